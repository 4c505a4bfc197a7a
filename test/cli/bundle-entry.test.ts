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
