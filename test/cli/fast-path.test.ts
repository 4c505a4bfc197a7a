/**
 * `sigscan fs ...` without oclif's configuration (src/cli/fast-path.ts) must be indistinguishable from
 * the oclif path: same report bytes, same messages, same exit codes. `--config` with an empty file sends
 * the same command line through runCli and oclif (the file adds no flag), which is what it is compared with.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { takesFastPath } from '../../src/cli/fast-path.js';
import { sigscan } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');
const PE = join(FIXTURES, 'pe', 'hello-signed.exe');
const ROOT_CA = join(FIXTURES, 'fixture-root-ca.pem');

const work = mkdtempSync(join(tmpdir(), 'sigscan-fast-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const emptyConfig = join(work, 'empty.yml');
writeFileSync(emptyConfig, '');

/** Times and the scan id are the only bytes that may differ between two runs. */
const stable = (text: string) =>
  text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, '<time>')
    .replace(/"durationMs": \d+/g, '"durationMs": 0')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>');

describe('the fast path gives what the oclif path gives', () => {
  it.each([
    ['one signed PE as JSON', [PE, '-o', 'json']],
    [
      'pretty, with a trust root and --fail-on that matches (exit 1)',
      [FIXTURES, '--trust-root', ROOT_CA, '--fail-on', 'unsigned'],
    ],
    ['short flags run together and with =', [PE, '-vojson', '--jobs=1', '--no-nested']],
    [
      'csv, flags before the directories, a comma list',
      ['-o', 'csv', '--include', '**/*.exe,**/*.jar', FIXTURES],
    ],
    ['a missing directory (exit 3)', [join(work, 'nonexistent'), '-o', 'json']],
    ['no directory (exit 2)', ['-o', 'json']],
    ['an unknown flag with a suggestion (exit 2)', [PE, '--trust-rot', ROOT_CA]],
    ['a bad option value (exit 2)', [PE, '-o', 'yaml']],
    ['an integer out of range (exit 2)', [PE, '--jobs', '0']],
    ['a flag without its value (exit 2)', [PE, '--shard']],
    ['a usage error from the command (exit 2)', [PE, '--shard', '3/2']],
    ['a non-repeatable flag given twice (exit 2)', [PE, '-o', 'json', '-o', 'csv']],
    ['everything after -- is a directory (exit 3)', [PE, '--', '-o', 'json']],
    ['help', ['--help']],
    ['help after the directory', [PE, '-h']],
    ['--version, which fs does not take (exit 2)', [PE, '--version']],
  ])('%s', async (_name, args) => {
    const fast = await sigscan(['fs', ...args]);
    const oclif = await sigscan(['fs', '--config', emptyConfig, ...args]);
    expect({ code: fast.code, stdout: stable(fast.stdout), stderr: stable(fast.stderr) }).toEqual({
      code: oclif.code,
      stdout: stable(oclif.stdout),
      stderr: stable(oclif.stderr),
    });
    // Not two empty runs: every case prints a report, a help page or a message.
    expect(fast.stdout.length + fast.stderr.length).toBeGreaterThan(20);
  });

  it('exit codes cover success, --fail-on, usage and incomplete scans', async () => {
    const codes = await Promise.all(
      [[PE], [FIXTURES, '--fail-on', 'unsigned'], [PE, '-o', 'yaml'], [join(work, 'nonexistent')]].map(
        async (args) => (await sigscan(['fs', ...args, '-v'])).code,
      ),
    );
    expect(codes).toEqual([0, 1, 2, 3]);
  });
});

describe('what the fast path takes', () => {
  it.each([
    [['fs', PE], true],
    [['fs', '-o', 'json', FIXTURES, PE], true],
    [['fs'], true],
    [['fs', PE, '--help'], false],
    [['fs', '-h', PE], false],
    [['fs', PE, '--debug'], false],
    [['fs', '--config', emptyConfig, PE], false],
    [['fs', `--config=${emptyConfig}`, PE], false],
    [['repo', 'localhost:5000'], false],
    [['help', 'fs'], false],
    [['--version'], false],
  ])('%j: %s', (argv, taken) => {
    expect(takesFastPath(argv)).toBe(taken);
  });

  it("not with DEBUG (oclif's debug log) or SIGSCAN_DEBUG", () => {
    const saved = { DEBUG: process.env.DEBUG, SIGSCAN_DEBUG: process.env.SIGSCAN_DEBUG };
    try {
      process.env.DEBUG = '*';
      expect(takesFastPath(['fs', PE])).toBe(false);
      delete process.env.DEBUG;
      process.env.SIGSCAN_DEBUG = '1';
      expect(takesFastPath(['fs', PE])).toBe(false);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

describe('the fast path without oclif', () => {
  it('loads no oclif module to take a run', async () => {
    const { parseFsArgv } = await import('../../src/cli/fs-argv.js');
    const { FS_MANIFEST } = await import('../../src/commands/fs-manifest.js');
    expect(
      parseFsArgv(['-o', 'json', FIXTURES, '--trust-root', ROOT_CA, PE, '--no-nested'], FS_MANIFEST),
    ).toEqual({
      argv: [FIXTURES, PE],
      flags: expect.objectContaining({
        output: 'json',
        'trust-root': [ROOT_CA],
        nested: false,
        concurrency: 8,
      }),
    });
    // This file imports fast-path.ts (and through it the run): none of it may load oclif.
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@oclif'));
    expect(loaded).toEqual([]);
    // And the check can see oclif when it is loaded.
    await import('@oclif/core/flags');
    expect(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('@oclif'))).toBe(true);
  });
});
