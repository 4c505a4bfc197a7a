/**
 * The concurrent walk finds exactly what the sequential one did, whatever the number of directories
 * listed at once and whether a directory is held in memory or streamed: same targets, same sidecars, same
 * counters, symlink loops cut, the same winner when two links reach one directory, FIFOs never opened.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PreparedTarget } from '../../src/scan/engine.js';
import { fsJobs, newFsCounters, type FsCounters, type FsSourceOptions } from '../../src/sources/fs.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');
const SIGN_BLOB = join(CORPUS_DIR, 'cosign', 'sign-blob-sigstore-python');
const BUNDLES = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python');

interface Walked {
  /** `rel path|format|sidecar names`, sorted. */
  targets: string[];
  counters: Omit<FsCounters, 'bytesRead'>;
  errors: string[];
}

let base: string;
let root: string;
let outside: string;

async function walk(options: Partial<FsSourceOptions> = {}): Promise<Walked> {
  const counters = newFsCounters();
  const scanErrors: FsSourceOptions['scanErrors'] = [];
  const prepared: PreparedTarget[] = [];
  for await (const job of fsJobs({
    roots: [root],
    limits: DEFAULT_LIMITS,
    scanErrors,
    counters,
    ...options,
  })) {
    prepared.push(...(await job.run()));
  }
  const targets = prepared.map((p) => {
    if (p.target.kind !== 'file') return `oci:${p.target.registry}`;
    const sidecars = (p.context?.file?.sidecars ?? []).map((s) => relative(root, s.absolutePath));
    return [relative(root, p.target.path), p.target.format, ...sidecars].join('|');
  });
  const { bytesRead: _ignored, ...rest } = counters;
  return {
    targets: targets.sort(),
    counters: rest,
    errors: scanErrors.map((e) => `${e.code} ${e.source}`),
  };
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'sigscan-walk-'));
  root = join(base, 'tree');
  outside = join(base, 'outside');
  const dirs = ['a/b/c', 'blob', 'big', 'layout', 'links'];
  for (const d of dirs) await mkdir(join(root, d), { recursive: true });
  await mkdir(outside);
  await copyFile(join(FIXTURES, 'jar', 'hello-signed.jar'), join(root, 'a', 'app.jar'));
  await copyFile(join(FIXTURES, 'pe', 'hello-signed.exe'), join(root, 'a', 'b', 'c', 'deep.exe'));
  await writeFile(join(root, 'a', 'notes.txt'), 'noise\n');
  // A blob signed by a cosign .sig with its certificate, and one signed by a bundle in a big directory.
  await writeFile(join(root, 'blob', 'data.txt'), 'signed data\n');
  await copyFile(join(SIGN_BLOB, 'a.txt.sig'), join(root, 'blob', 'data.txt.sig'));
  await copyFile(join(SIGN_BLOB, 'a.txt.crt'), join(root, 'blob', 'data.txt.crt'));
  for (let i = 0; i < 50; i++)
    await writeFile(join(root, 'big', `f${String(i).padStart(4, '0')}.txt`), `${i}`);
  await writeFile(join(root, 'big', 'x.bin'), 'bundle-signed bytes\n');
  await copyFile(join(BUNDLES, 'bundle_v3.txt.sigstore'), join(root, 'big', 'x.bin.sigstore.json'));
  // An OCI layout is scanned as images and never descended: the JAR inside it is not a file target.
  await writeFile(join(root, 'layout', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(root, 'layout', 'index.json'), '{"schemaVersion":2,"manifests":[]}');
  await copyFile(join(FIXTURES, 'jar', 'hello-unsigned.jar'), join(root, 'layout', 'inside.jar'));
  execFileSync('mkfifo', [join(root, 'pipe.jar')]);
  // Links: a loop, two links to one directory outside (the first in path order wins), a link back into
  // the tree (its target is walked as itself), a link to a file, a dangling link.
  await copyFile(join(FIXTURES, 'jar', 'hello-unsigned.jar'), join(outside, 'lib.jar'));
  await symlink(root, join(outside, 'back'));
  await symlink('..', join(root, 'links', 'loop'));
  await symlink(outside, join(root, 'links', 'out1'));
  await symlink(outside, join(root, 'links', 'out2'));
  await symlink('../a', join(root, 'links', 'z-into'));
  await symlink('../a/app.jar', join(root, 'links', 'file.jar'));
  await symlink('nowhere', join(root, 'links', 'broken'));
});

afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

const FOLLOWED: Walked = {
  targets: [
    'a/app.jar|jar',
    'a/b/c/deep.exe|pe',
    'big/x.bin|blob|big/x.bin.sigstore.json',
    'blob/data.txt|blob|blob/data.txt.sig',
    'links/file.jar|jar',
    'links/out1/lib.jar|jar',
  ],
  // 50 big/f*.txt + a/notes.txt skipped; the three signature files are neither targets nor counted.
  counters: { files: 57, skipped: 51, symlinksSkipped: 1, specialSkipped: 1 },
  errors: [],
};

describe('fsJobs walk', () => {
  it('follows links once each, cuts loops, and never opens the FIFO', async () => {
    expect(await walk({ followSymlinks: true, walkConcurrency: 1 })).toEqual(FOLLOWED);
  });

  it('finds the same with directories listed concurrently and large directories streamed', async () => {
    // A batch of 3 entries streams the root, big/ and links/ in two passes; blob/ (3 entries) is held.
    for (let i = 0; i < 5; i++) {
      expect(await walk({ followSymlinks: true, walkConcurrency: 4, directoryBatch: 3 })).toEqual(FOLLOWED);
    }
  });

  it('skips every link when links are not followed', async () => {
    const expected: Walked = {
      targets: FOLLOWED.targets.filter((t) => !t.startsWith('links/')),
      counters: { files: 55, skipped: 51, symlinksSkipped: 6, specialSkipped: 1 },
      errors: [],
    };
    expect(await walk({ walkConcurrency: 4 })).toEqual(expected);
    expect(await walk({ walkConcurrency: 4, directoryBatch: 1 })).toEqual(expected);
  });

  it('splits the files and layouts between shards exactly once', async () => {
    const all = await walk({ followSymlinks: true });
    const parts = [];
    for (let index = 1; index <= 3; index++) {
      parts.push(await walk({ followSymlinks: true, shard: { index, count: 3 }, directoryBatch: 2 }));
    }
    const union = parts.flatMap((p) => p.targets).sort();
    expect(union).toEqual(all.targets);
    expect(parts.reduce((n, p) => n + p.counters.files, 0)).toBe(all.counters.files);
  });

  it('applies include and exclude globs to paths below the root', async () => {
    const walked = await walk({
      followSymlinks: true,
      include: ['**/*.jar', '**/*.exe'],
      exclude: ['links/**', '**/c/**'],
      directoryBatch: 2,
    });
    expect(walked.targets).toEqual(['a/app.jar|jar']);
    expect(walked.counters.files).toBe(1);
  });

  it('stops the walk when the consumer stops early', async () => {
    const counters = newFsCounters();
    let taken = 0;
    for await (const _job of fsJobs({
      roots: [root],
      limits: DEFAULT_LIMITS,
      scanErrors: [],
      counters,
      walkConcurrency: 4,
    })) {
      if (++taken === 2) break;
    }
    expect(taken).toBe(2);
  });

  it('reports a root that does not exist and goes on with the next', async () => {
    const counters = newFsCounters();
    const scanErrors: FsSourceOptions['scanErrors'] = [];
    const paths: string[] = [];
    for await (const job of fsJobs({
      roots: [join(base, 'missing'), join(root, 'a')],
      limits: DEFAULT_LIMITS,
      scanErrors,
      counters,
    })) {
      for (const p of await job.run())
        if (p.target.kind === 'file') paths.push(relative(root, p.target.path));
    }
    expect(paths.sort()).toEqual(['a/app.jar', 'a/b/c/deep.exe']);
    expect(scanErrors.map((e) => [e.code, e.source])).toEqual([['FILE_UNREADABLE', join(base, 'missing')]]);
  });
});
