import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { PROJECT_ROOT, run } from '../helpers/tools.js';

/**
 * bin/run.js picks dist/bundle only while it is at least as new as dist/cli/main.js: a bare `tsc` after
 * `npm run build` must not leave the CLI running the old bundle. Checked on a copy of bin/run.js beside
 * two stand-in entry modules that say which one ran.
 */
describe('bin/run.js chooses the bundle or dist/', () => {
  const root = mkdtempSync(join(tmpdir(), 'sigscan-entry-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'bin'));
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  copyFileSync(join(PROJECT_ROOT, 'bin', 'run.js'), join(root, 'bin', 'run.js'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  const entry = (name: string) =>
    `export async function main(argv) { process.stdout.write(${JSON.stringify(name)} + ' ' + argv.join(' ')); }\n`;
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), entry('dist'));
  const cliMain = join(root, 'dist', 'cli', 'main.js');
  const bundleMain = join(root, 'dist', 'bundle', 'main.js');
  const at = (path: string, seconds: number) => utimesSync(path, seconds, seconds);
  const ran = async (env: Record<string, string> = {}) =>
    (
      await run(process.execPath, [join(root, 'bin', 'run.js'), 'fs', 'x'], {
        env: { ...process.env, ...env },
      })
    ).stdout;

  it('no bundle: dist/', async () => {
    expect(await ran()).toBe('dist fs x');
  });

  it('a bundle newer than dist/cli/main.js, or as old (npm pack gives every file one date): the bundle', async () => {
    mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
    writeFileSync(bundleMain, entry('bundle'));
    at(cliMain, 1_000_000);
    at(bundleMain, 2_000_000);
    expect(await ran()).toBe('bundle fs x');
    at(bundleMain, 1_000_000);
    expect(await ran()).toBe('bundle fs x');
  });

  it('dist/ rebuilt after the bundle (a bare tsc): dist/', async () => {
    at(cliMain, 3_000_000);
    at(bundleMain, 2_000_000);
    expect(await ran()).toBe('dist fs x');
  });

  it('SIGSCAN_NO_BUNDLE=1: dist/ even with a fresh bundle', async () => {
    at(bundleMain, 4_000_000);
    expect(await ran()).toBe('bundle fs x');
    expect(await ran({ SIGSCAN_NO_BUNDLE: '1' })).toBe('dist fs x');
  });
});

/**
 * Node 22.8+ has `module.enableCompileCache`; this machine's Node 20 does not, so a stand-in installed
 * with --import records the directory bin/run.js asks for (or throws, as a broken one might).
 */
describe("bin/run.js turns on Node's compile cache where Node has one", () => {
  const root = mkdtempSync(join(tmpdir(), 'sigscan-compile-cache-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const stub = join(root, 'stub.mjs');
  writeFileSync(
    stub,
    `import m from 'node:module';
m.enableCompileCache = (dir) => {
  if (process.env.STUB_THROWS) throw new Error('cannot');
  process.stderr.write('cache: ' + dir + '\\n');
  return { status: 0 };
};
`,
  );
  const version = (env: Record<string, string | undefined>) =>
    run(process.execPath, ['--import', stub, join(PROJECT_ROOT, 'bin', 'run.js'), '--version'], {
      env: {
        HOME: root,
        SIGSCAN_CACHE_DIR: undefined,
        XDG_CACHE_HOME: undefined,
        STUB_THROWS: undefined,
        ...env,
      },
    });

  it('under ~/.cache/sigscan by default, $XDG_CACHE_HOME when absolute, $SIGSCAN_CACHE_DIR first', async () => {
    expect((await version({})).stderr).toBe(`cache: ${join(root, '.cache', 'sigscan', 'compile')}\n`);
    expect((await version({ XDG_CACHE_HOME: '/var/cache/u' })).stderr).toBe(
      'cache: /var/cache/u/sigscan/compile\n',
    );
    // The XDG spec: a relative path is invalid and ignored (it would put the cache in the scanned tree).
    expect((await version({ XDG_CACHE_HOME: 'rel' })).stderr).toBe(
      `cache: ${join(root, '.cache', 'sigscan', 'compile')}\n`,
    );
    expect((await version({ SIGSCAN_CACHE_DIR: '/srv/c', XDG_CACHE_HOME: '/var/cache/u' })).stderr).toBe(
      'cache: /srv/c/compile\n',
    );
  });

  it('a cache that cannot be turned on changes nothing', async () => {
    const res = await version({ STUB_THROWS: '1' });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/^sigscan \d+\.\d+\.\d+ \(node v/);
  });
});
