import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PROJECT_ROOT } from './tools.js';

/**
 * A directory of fixtures made by real tools once per recipe and UTC day, under .cache/test-fixtures/,
 * and reused by every later test process. Stryker reruns a test file's hooks for every mutant its tests
 * cover, so a key generation or a compiler run in beforeAll is paid hundreds of times otherwise. Keyed by
 * the day so certificates made with a validity of days or more never expire under a test. Built aside
 * and renamed into place, so a concurrent process never reads a half-made directory.
 */
export async function cachedFixtureDir(
  recipe: string,
  build: (dir: string) => Promise<unknown>,
): Promise<string> {
  const dir = join(
    PROJECT_ROOT,
    '.cache',
    'test-fixtures',
    `${recipe}-${new Date().toISOString().slice(0, 10)}`,
  );
  if (existsSync(join(dir, 'done'))) return dir;
  mkdirSync(join(dir, '..'), { recursive: true });
  const building = mkdtempSync(`${dir}.building-`);
  await build(building);
  writeFileSync(join(building, 'done'), '');
  try {
    renameSync(building, dir);
  } catch {
    // Another process got there first; its fixtures are as good.
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}
