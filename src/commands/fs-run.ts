import type { Interfaces } from '@oclif/core';

import type { FS_FLAGS } from './fs-core.js';
import { runScanCommand, type CommandErrors } from './scan-command.js';

/**
 * `sigscan fs` once its command line is parsed, by oclif (commands/fs.ts) or by the fast path
 * (cli/fast-path.ts): one function, so both run the same scan. Loads no oclif module.
 */

/** What oclif's parser gives for FS_FLAGS and FS_ARGS: the directories, and the flags' values. */
export interface ParsedFs {
  argv: unknown[];
  flags: Interfaces.InferredFlags<typeof FS_FLAGS>;
}

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
