import { Args, Command, Flags } from '@oclif/core';

import { EXIT_CODES_HELP, outputFlags, parseShardFlag, shardFlag } from './shared.js';
import { trustFlags, trustInput } from './trust-flags.js';

export default class Fs extends Command {
  static override summary = 'Scan directory trees for signed JARs and Authenticode-signed PE files.';
  static override description = `Walks each directory, recognises files by their magic bytes (not their names),
and reports every JAR/WAR/EAR/APK and EXE/DLL/SYS/EFI file with its SHA-256 and signers. Files
that are named like one of these but are not (empty, truncated, random bytes) are reported with an
error; other files are skipped and counted. Symlinks are not followed unless --follow-symlinks.

${EXIT_CODES_HELP}`;

  static override examples = [
    { description: 'Scan the bundled fixtures', command: '<%= config.bin %> fs fixtures' },
    {
      description: 'Two trees, JSON for jq',
      command: '<%= config.bin %> fs /opt/app /usr/lib/jvm -o json | jq .summary',
    },
    {
      description: 'SARIF for GitHub code scanning, plus JSON and HTML copies in reports/',
      command: '<%= config.bin %> fs dist -o sarif --output-file sigscan.sarif --report-format json,html',
    },
    {
      description: 'Only JARs, skipping test folders',
      command: '<%= config.bin %> fs . --include "**/*.jar" --exclude "**/test/**"',
    },
  ];

  static override strict = false;
  static override args = {
    dir: Args.string({ required: true, description: 'directories or files to scan' }),
  };

  static override flags = {
    ...outputFlags,
    ...trustFlags,
    ...shardFlag,
    'follow-symlinks': Flags.boolean({
      summary: 'Follow symbolic links (loops are detected).',
      default: false,
    }),
    include: Flags.string({ summary: 'Only paths matching these globs.', multiple: true, delimiter: ',' }),
    exclude: Flags.string({ summary: 'Skip paths matching these globs.', multiple: true, delimiter: ',' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Fs);
    const [
      { runFsScan },
      { startOutputs, finishOutputs, resultHook },
      { stderrLogger },
      { loadTrustConfig },
      { SigscanError },
    ] = await Promise.all([
      import('../scan/run.js'),
      import('./output.js'),
      import('../util/logger.js'),
      import('../trust/config.js'),
      import('../errors.js'),
    ]);
    try {
      const trust = await loadTrustConfig(trustInput(flags));
      const writer = await startOutputs(flags);
      const hook = await resultHook(writer, 'fs');
      const report = await runFsScan({
        trust,
        roots: argv as string[],
        followSymlinks: flags['follow-symlinks'],
        include: flags.include,
        exclude: flags.exclude,
        concurrency: flags.concurrency,
        log: stderrLogger(flags.verbose),
        onResult: hook.onResult,
        shard: flags.shard ? parseShardFlag(flags.shard) : undefined,
        retainResults: writer.retainResults,
      });
      hook.done();
      process.exitCode = await finishOutputs(writer, report);
    } catch (err) {
      if (err instanceof SigscanError)
        this.error(err.message, { exit: err.code === 'USAGE' ? 2 : 3, code: err.code });
      throw err;
    }
  }
}
