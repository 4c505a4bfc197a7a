import { Command } from '@oclif/core';

import { FS_ARGS, FS_FLAGS, FS_STRICT } from './fs-core.js';
import { runFs } from './fs-run.js';
import { EXIT_CODES_HELP } from './shared.js';

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

  static override strict = FS_STRICT;
  static override usage = 'fs [FLAGS] DIR...';
  static override args = FS_ARGS;
  static override flags = FS_FLAGS;

  async run(): Promise<void> {
    await runFs(this, await this.parse(Fs));
  }
}
