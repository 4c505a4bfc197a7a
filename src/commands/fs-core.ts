import type { Interfaces } from '@oclif/core';
import * as Args from '@oclif/core/args';
import * as Flags from '@oclif/core/flags';

import { runScanCommand, type CommandErrors } from './scan-command.js';
import { jobsFlag, outputFlags, shardFlag } from './shared.js';
import { trustFlags } from './trust-flags.js';
import { grouped } from './flag-groups.js';
import { pluginFlags } from './plugin-flags.js';

/**
 * The fs command without oclif's Command class: what it parses and what it runs. commands/fs.ts (the
 * oclif command, with the help texts) and cli/fast-path.ts (a plain `sigscan fs ...` without oclif's
 * configuration) both use these, so the two parse the same flags and run the same code.
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

/** What oclif's parser gives for FS_FLAGS and FS_ARGS: the directories, and the flags' values. */
export interface ParsedFs {
  argv: unknown[];
  flags: Interfaces.InferredFlags<typeof FS_FLAGS>;
}

/** `sigscan fs` once its command line is parsed. */
export async function runFs(command: CommandErrors, { argv, flags }: ParsedFs): Promise<void> {
  const [{ runFsScan }, { defaultJobs }] = await Promise.all([
    import('../scan/run.js'),
    import('../scan/pool.js'),
  ]);
  await runScanCommand(command, 'fs', flags, (common) =>
    runFsScan({
      ...common,
      nested: flags.nested,
      roots: argv as string[],
      followSymlinks: flags['follow-symlinks'],
      include: flags.include,
      exclude: flags.exclude,
      jobs: flags.jobs ?? defaultJobs(),
    }),
  );
}
