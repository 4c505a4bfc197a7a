/**
 * The fast path's parser (src/cli/fs-argv.ts) against oclif's: on every command line it takes, it must
 * give oclif's directories and flag values; everything else it must leave to oclif (undefined).
 */
import fc from 'fast-check';
import { parse } from '@oclif/core/parser';
import { describe, expect, it } from 'vitest';

import { parseFsArgv } from '../../src/cli/fs-argv.js';
import { FS_ARGS, FS_FLAGS, FS_STRICT } from '../../src/commands/fs-core.js';
import { FS_MANIFEST } from '../../src/commands/fs-manifest.js';
import { flagManifest, manifestSource } from '../../scripts/fs-manifest.js';

type Context = NonNullable<Parameters<typeof parse>[1]['context']>;

/** What oclif's Command.parse gives for `sigscan fs ARGS`, or 'error'. */
async function oclif(args: string[]) {
  try {
    const out = await parse(args, {
      flags: FS_FLAGS,
      args: FS_ARGS,
      strict: FS_STRICT,
      context: {} as Context,
    });
    return { argv: out.argv, flags: out.flags };
  } catch {
    return 'error' as const;
  }
}

describe('the fs flag manifest', () => {
  it('is the plain-data copy of the fs flags (run `npx tsx scripts/fs-manifest.ts` after changing one)', async () => {
    const live = await flagManifest(FS_FLAGS);
    expect(FS_MANIFEST).toEqual(live);
    // Same order too: the flags object is built in this order, as oclif builds it.
    expect(Object.keys(FS_MANIFEST)).toEqual(Object.keys(FS_FLAGS));
    expect(manifestSource(live)).toContain('"plugin-timeout": {');
    expect(FS_MANIFEST.jobs).toEqual({ type: 'option', integer: { min: 1, max: 64 } });
    expect(FS_MANIFEST.output).toMatchObject({ type: 'option', char: 'o', default: 'pretty' });
  });

  it('refuses flags the parser does not read', async () => {
    const Flags = await import('@oclif/core/flags');
    await expect(flagManifest({ x: Flags.string({ env: 'X' }) })).rejects.toThrow(/--x: env/);
    await expect(flagManifest({ x: Flags.string({ multiple: true }) })).rejects.toThrow(/greedy/);
    await expect(flagManifest({ x: Flags.string({ parse: async (s) => s.toUpperCase() }) })).rejects.toThrow(
      /parse function/,
    );
    await expect(flagManifest({ x: Flags.string({ default: async () => 'a' }) })).rejects.toThrow(/computed/);
  });
});

describe('parseFsArgv gives what oclif gives', () => {
  const D = '/tmp/d';
  it.each([
    [[D]],
    [[D, '-o', 'json']],
    [['-o', 'csv', D, 'other', D]],
    [[D, '--output=sarif', '--jobs', '3', '--concurrency=16']],
    [[D, '--no-nested', '--follow-symlinks', '-v']],
    [[D, '--include', '**/*.jar, **/*.exe', '--include', 'x', '--exclude', 'a,,b']],
    [[D, '--trust-root', 'a.pem', '--trust-root', 'b.pem', 'e', '--fail-on', 'invalid,untrusted']],
    [[D, '--report-format', 'json,html', '--report-dir', 'out', '--shard', '1/2', '--plugin-timeout', '007']],
    [['-', D]],
  ])('%j', async (args) => {
    const mine = parseFsArgv(args, FS_MANIFEST);
    expect(mine).toBeDefined();
    expect(mine).toEqual(await oclif(args));
  });

  it.each([
    [[]],
    [['-o', 'json']],
    [[D, '-o', 'yaml']],
    [[D, '--jobs', '0']],
    [[D, '--jobs', 'x']],
    [[D, '--jobs', '65']],
    [[D, '-o']],
    [[D, '-o', 'json', '-o', 'csv']],
    [[D, '--verbose=true']],
    [[D, '--nested', '--no-nested']],
    [[D, '--no-verbose']],
    [[D, '--trust-rot', 'a']],
    [[D, '-vo', 'json']],
    [[D, '-ojson']],
    [[D, '--', '-o']],
    [[D, '--include', '"a b",c']],
    [[D, '--include', 'a\\,b']],
    [[D, '--key', '-']],
    [[D, '--report-format', 'json,yaml']],
  ])('leaves %j to oclif', (args) => {
    expect(parseFsArgv(args, FS_MANIFEST)).toBeUndefined();
  });

  it('on generated command lines: the same result whenever it takes one', async () => {
    const names = Object.keys(FS_MANIFEST);
    const value = fc.constantFrom(
      'json',
      'csv',
      'pretty',
      '1',
      '3',
      '0',
      '64',
      '65',
      'x',
      'a,b',
      ' a , b ,',
      'a,,b',
      '"a"',
      'a\\,b',
      '',
      '-',
      '-x',
      'dir',
    );
    const token = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...names).map((n) => `--${n}`) },
      {
        weight: 2,
        arbitrary: fc.constantFrom('-o', '-v', '-x', '--no-nested', '--no-verbose', '--', '-vo', '--nope'),
      },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...names), value).map(([n, v]) => `--${n}=${v}`) },
      { weight: 6, arbitrary: value },
      { weight: 3, arbitrary: fc.constantFrom('/tmp/a', '/tmp/b', 'rel/c') },
    );
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(token, { maxLength: 8 }), async (args) => {
        const mine = parseFsArgv(args, FS_MANIFEST);
        if (mine === undefined) return;
        taken++;
        expect(mine).toEqual(await oclif(args));
      }),
      { numRuns: 3000 },
    );
    // Not vacuous: a fair share of the generated lines are taken (and so compared).
    expect(taken).toBeGreaterThan(100);
  });
});
