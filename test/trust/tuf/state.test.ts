/**
 * The rollback memory (src/trust/tuf/state.ts) in a temporary directory, never the user's cache.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { defaultTufCacheDir, findRollbacks, TufStateCache } from '../../../src/trust/tuf/state.js';

const GUN = 'example.test/tuft/app';
const fileOf = (dir: string, gun: string): string =>
  join(dir, `${createHash('sha256').update(gun, 'utf8').digest('hex').slice(0, 40)}.json`);

describe('defaultTufCacheDir', () => {
  it('$SIGSCAN_CACHE_DIR/tuf first', () => {
    expect(defaultTufCacheDir({ SIGSCAN_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/c/tuf');
  });
  it('then $XDG_CACHE_HOME/sigscan/tuf', () => {
    expect(defaultTufCacheDir({ XDG_CACHE_HOME: '/x' }, '/home/u')).toBe('/x/sigscan/tuf');
  });
  it('then ~/.cache/sigscan/tuf (an empty XDG_CACHE_HOME counts as unset)', () => {
    expect(defaultTufCacheDir({}, '/home/u')).toBe('/home/u/.cache/sigscan/tuf');
    expect(defaultTufCacheDir({ XDG_CACHE_HOME: '' }, '/home/u')).toBe('/home/u/.cache/sigscan/tuf');
  });
});

describe('findRollbacks', () => {
  it('a lower version is a rollback; the same or a higher one is not; a role never recorded is first sight', () => {
    expect(
      findRollbacks(
        { timestamp: 7, snapshot: 7, targets: 5 },
        { timestamp: 6, snapshot: 7, targets: 6, 'targets/releases': 1 },
      ),
    ).toEqual([{ role: 'timestamp', seen: 7, fetched: 6 }]);
    expect(findRollbacks({}, { root: 1 })).toEqual([]);
  });
});

describe('TufStateCache', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'sigscan-tuf-state-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('records into a new nested directory (0700), one file per GUN named by its hash (0600), and reads it back', async () => {
    const dir = join(tmp, 'xdg', 'sigscan', 'tuf');
    const cache = new TufStateCache(dir);
    expect(await cache.read(GUN)).toEqual({});
    await cache.record(GUN, { root: 1, timestamp: 0 });
    expect(readdirSync(dir)).toEqual([fileOf(dir, GUN).slice(dir.length + 1)]);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(fileOf(dir, GUN)).mode & 0o777).toBe(0o600);
    expect(readFileSync(fileOf(dir, GUN), 'utf8')).toBe(
      `${JSON.stringify({ gun: GUN, versions: { root: 1, timestamp: 0 } }, null, 1)}\n`,
    );
    // A fresh cache object (another scan) reads what the first one wrote; version 0 is a version.
    expect(await new TufStateCache(dir).read(GUN)).toEqual({ root: 1, timestamp: 0 });
    expect(await new TufStateCache(dir).read('example.test/other')).toEqual({});
  });

  it('never lowers a version: a later record of older versions keeps the higher ones', async () => {
    const cache = new TufStateCache(tmp);
    await cache.record(GUN, { timestamp: 7, snapshot: 3 });
    await cache.record(GUN, { timestamp: 5, snapshot: 4, targets: 2 });
    expect(await cache.read(GUN)).toEqual({ timestamp: 7, snapshot: 4, targets: 2 });
  });

  it('a read right after an unawaited record sees it (writes are serialised before reads)', async () => {
    const cache = new TufStateCache(tmp);
    const writing = cache.record(GUN, { timestamp: 9 });
    expect(await cache.read(GUN)).toEqual({ timestamp: 9 });
    await writing;
  });

  it('a file naming another GUN (a hash collision or a copied file) is ignored by reads and not merged by writes', async () => {
    writeFileSync(fileOf(tmp, GUN), JSON.stringify({ gun: 'example.test/else', versions: { timestamp: 9 } }));
    const cache = new TufStateCache(tmp);
    expect(await cache.read(GUN)).toEqual({});
    await cache.record(GUN, { timestamp: 2 });
    expect(await cache.read(GUN)).toEqual({ timestamp: 2 });
  });

  it('unusable contents are first sight: not JSON, versions not an object or null, and non-integer or negative versions dropped', async () => {
    const cache = new TufStateCache(tmp);
    const put = (doc: unknown) =>
      writeFileSync(fileOf(tmp, GUN), typeof doc === 'string' ? doc : JSON.stringify(doc));
    put('{not json');
    expect(await cache.read(GUN)).toEqual({});
    put({ gun: GUN, versions: 5 });
    expect(await cache.read(GUN)).toEqual({});
    put({ gun: GUN, versions: null });
    expect(await cache.read(GUN)).toEqual({});
    put({ gun: GUN });
    expect(await cache.read(GUN)).toEqual({});
    put({ gun: GUN, versions: { root: 2, timestamp: -1, snapshot: 1.5, targets: '3', a: 0 } });
    expect(await cache.read(GUN)).toEqual({ root: 2, a: 0 });
  });

  it('a write that fails rejects, and the next write still happens', async () => {
    const blocker = join(tmp, 'file');
    writeFileSync(blocker, '');
    const bad = new TufStateCache(join(blocker, 'tuf'));
    await expect(bad.record(GUN, { root: 1 })).rejects.toThrow(/ENOTDIR|EEXIST/);
    const cache = new TufStateCache(join(tmp, 'ok'));
    mkdirSync(join(tmp, 'ok'));
    const first = cache.record(GUN, { root: 1 });
    const second = cache.record(GUN, { root: 2 });
    await Promise.all([first, second]);
    expect(await cache.read(GUN)).toEqual({ root: 2 });
  });
});
