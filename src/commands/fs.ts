import { Args, Command, Flags } from '@oclif/core';

import { runScanCommand } from './scan-command.js';
import { EXIT_CODES_HELP, jobsFlag, outputFlags, shardFlag } from './shared.js';
import { trustFlags } from './trust-flags.js';
import { grouped } from './flag-groups.js';
import { pluginFlags } from './plugin-flags.js';

export default class Fs extends Command {
  static override summary = 'Scan directory trees for signed JARs and Authenticode-signed PE files.';
  static override description = `Walks each directory, recognises files by their magic bytes (not their names),
and reports every JAR/WAR/EAR/APK, EXE/DLL/SYS/EFI, RPM and Debian package with its SHA-256 and signers. Files
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
  static override usage = 'fs [FLAGS] DIR...';
  static override args = {
    dir: Args.string({ required: true, description: 'directories or files to scan' }),
  };

  static override flags = grouped({
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
      summary:
        'Scan JARs inside WARs, EARs and fat JARs as targets of their own (app.war!/WEB-INF/lib/x.jar).',
      description: 'Up to 3 levels deep; --no-nested reports only the files on disk.',
      default: true,
      allowNo: true,
    }),
  });

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Fs);
    const [{ runFsScan }, { defaultJobs }] = await Promise.all([
      import('../scan/run.js'),
      import('../scan/pool.js'),
    ]);
    await runScanCommand(this, 'fs', flags, (common) =>
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
}
