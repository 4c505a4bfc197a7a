import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  const building = startBuild(dir);
  if (!building) return dir;
  await build(building);
  finishBuild(building, dir);
  return dir;
}

/**
 * Lets the test worker answer Vitest's RPC between synchronous tool runs in a build: a worker that blocks its
 * event loop for over a minute (a dozen JVM starts on a loaded machine) fails the run with "Timeout calling
 * onTaskUpdate", though every test passes.
 */
export function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A fresh temporary copy of a cached fixture directory, for tests that write beside the fixtures (the cache is
 * shared by every test process of the day and never changed after it is built). The caller removes it.
 */
export function workingCopy(cached: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(cached, dir, { recursive: true });
  return dir;
}

/**
 * `dir` made once by `build` (synchronous builders: keytool, apksigner, rpmbuild, dpkg-deb), with the same
 * build-aside-and-rename as cachedFixtureDir, for callers that choose their own place and lifetime.
 */
export function buildDirOnceSync(dir: string, build: (dir: string) => void): string {
  const building = startBuild(dir);
  if (!building) return dir;
  build(building);
  finishBuild(building, dir);
  return dir;
}

/** A fresh directory beside `dir` to build in, or undefined when `dir` is already complete. */
function startBuild(dir: string): string | undefined {
  if (existsSync(join(dir, 'done'))) return undefined;
  mkdirSync(join(dir, '..'), { recursive: true });
  return mkdtempSync(`${dir}.building-`);
}

function finishBuild(building: string, dir: string): void {
  writeFileSync(join(building, 'done'), '');
  try {
    renameSync(building, dir);
  } catch {
    // Another process got there first; its fixtures are as good.
    rmSync(building, { recursive: true, force: true });
  }
}
