import { Args, Flags } from '@oclif/core';

import { jobsFlag, outputFlags, shardFlag } from './shared.js';
import { trustFlags } from './trust-flags.js';
import { grouped } from './flag-groups.js';
import { pluginFlags } from './plugin-flags.js';

/**
 * What the fs command parses, without oclif's Command class: commands/fs.ts (the oclif command, with the
 * help texts) uses these, and commands/fs-manifest.ts is their plain-data copy for the fast path
 * (cli/fast-path.ts), checked against them by test/cli/fs-argv.test.ts.
 */

/** Directories may be many: non-strict, so oclif hands them over as argv. */
export const FS_STRICT = false;

export const FS_ARGS = {
  dir: Args.string({ required: true, description: 'directories or files to scan' }),
};

export const FS_FLAGS = grouped({
  ...outputFlags,
  ...trustFlags,
  ...pluginFlags,
  ...shardFlag,
  ...jobsFlag,
  'follow-symlinks': Flags.boolean({
    summary: 'Follow symbolic links (loops are detected).',
    default: false,
  }),
  include: Flags.string({ summary: 'Only paths matching these globs.', multiple: true, delimiter: ',' }),
  exclude: Flags.string({ summary: 'Skip paths matching these globs.', multiple: true, delimiter: ',' }),
  nested: Flags.boolean({
    summary: 'Scan JARs inside WARs, EARs and fat JARs as targets of their own (app.war!/WEB-INF/lib/x.jar).',
    description: 'Up to 3 levels deep; --no-nested reports only the files on disk.',
    default: true,
    allowNo: true,
  }),
});
