import { Args, Command, Flags } from '@oclif/core';

import { OUTPUT_FORMATS } from '../report/formats.js';
import { grouped } from './flag-groups.js';
import { registryAccess, registryFlags } from './registry-flags.js';
import { trustFlags, trustInput } from './trust-flags.js';

export default class Verify extends Command {
  static override summary =
    'Verify named images or files and fail unless every one is verified: a pipeline gate.';
  static override description = `Like cosign verify, notation verify and jarsigner -verify, for any family sigscan
knows: each argument is a file or directory on disk (JAR, PE, ...) or an image reference. The exit
code is 0 only when every artifact has at least one target and every target's verdict is verified
(the target verdict rule of the README: an invalid signature fails the target whatever else
verifies). Unsigned, unknown, untrusted, unverified and "nothing found" all fail.

EXIT CODES
  0  every named artifact verified
  1  at least one did not (the line for it says why)
  2  usage error (bad flags, unreadable trust input)`;

  static override examples = [
    {
      description: 'Gate a release JAR on your code-signing CA',
      command: '<%= config.bin %> verify build/app.jar --trust-root corp-ca.pem',
    },
    {
      description: 'Gate an image on a cosign key (flags may come first)',
      command: '<%= config.bin %> verify --key cosign.pub ghcr.io/org/app@sha256:<digest>',
    },
    {
      description: 'Keyless: a GitHub Actions identity',
      command:
        "<%= config.bin %> verify ghcr.io/org/app:1.2 --trusted-root trusted_root.json --certificate-oidc-issuer https://token.actions.githubusercontent.com --certificate-identity-regexp '^https://github.com/org/'",
    },
    {
      description: 'The full report as JSON',
      command: '<%= config.bin %> verify dist/setup.exe --trust-root ms-root.pem -o json',
    },
  ];

  static override strict = false;
  static override usage = 'verify [FLAGS] ARTIFACT...';
  static override args = {
    artifact: Args.string({ required: true, description: 'files, directories or image references' }),
  };
  static override flags = grouped({
    ...trustFlags,
    ...registryFlags,
    output: Flags.string({
      char: 'o',
      summary: 'pretty: one line per artifact; any other -o format prints the full report.',
      options: [...OUTPUT_FORMATS],
      default: 'pretty',
    }),
    concurrency: Flags.integer({ summary: 'Work in flight at once.', default: 8, min: 1, max: 256 }),
    verbose: Flags.boolean({ char: 'v', summary: 'Log progress details to stderr.', default: false }),
  });

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Verify);
    const [{ runVerify }, { SigscanError }] = await Promise.all([
      import('../scan/verify-run.js'),
      import('../errors.js'),
    ]);
    try {
      const { text, passed } = await runVerify({
        artifacts: argv as string[],
        trust: trustInput(flags),
        access: await registryAccess(flags),
        format: flags.output as (typeof OUTPUT_FORMATS)[number],
        concurrency: flags.concurrency,
        verbose: flags.verbose,
        color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
      });
      process.stdout.write(text);
      process.exitCode = passed ? 0 : 1;
    } catch (err) {
      if (err instanceof SigscanError)
        this.error(err.message, { exit: err.code === 'USAGE' ? 2 : 1, code: err.code });
      throw err;
    }
  }
}
