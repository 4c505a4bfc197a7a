/**
 * A file that changes while it is read is an error on its target (FILE_CHANGED, status unknown), never a
 * result computed from torn bytes. A real file system cannot be made to change a file at an exact moment,
 * so the test seam `fsTestHooks.afterRead` changes the real file right after its bytes were read; the
 * check that follows must notice. Unchanged files are read once: hashing and parsing share the bytes.
 */
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, readFile, rm, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { TargetResult } from '../../src/model/index.js';
import { runFsScan } from '../../src/scan/run.js';
import { fsJobs, fsTestHooks, newFsCounters } from '../../src/sources/fs.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const SIGNED_JAR = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
const SIGNED_EXE = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-changed-'));
});
afterEach(async () => {
  delete fsTestHooks.afterRead;
  await rm(dir, { recursive: true, force: true });
});
afterAll(() => {
  delete fsTestHooks.afterRead;
});

async function scanOne(path: string, limits: Limits = DEFAULT_LIMITS): Promise<TargetResult> {
  const report = await runFsScan({ roots: [path], concurrency: 2, log: silentLogger, limits });
  expect(report.results).toHaveLength(1);
  return report.results[0]!;
}

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Changes `path` (and only it) right after its bytes were read. */
function changeAfterRead(path: string, change: (path: string) => Promise<void>): { calls: number } {
  const seen = { calls: 0 };
  fsTestHooks.afterRead = async (p) => {
    if (p !== path) return;
    seen.calls++;
    await change(p);
  };
  return seen;
}

describe('files that change while they are read', () => {
  it('a file that grows: FILE_CHANGED, unknown, no digest, no signatures', async () => {
    const jar = join(dir, 'app.jar');
    await copyFile(SIGNED_JAR, jar);
    const seen = changeAfterRead(jar, (p) => appendFile(p, 'appended while scanning'));
    const result = await scanOne(jar);
    expect(seen.calls).toBe(1);
    expect(result.status).toBe('unknown');
    expect(result.signatures).toEqual([]);
    expect(result.errors.map((e) => e.code)).toEqual(['FILE_CHANGED']);
    expect(result.errors[0]!.message).toContain('size went from');
    expect(result.target).toMatchObject({ kind: 'file', path: jar, format: 'jar', digest: '' });
  });

  it('a file that shrinks', async () => {
    const exe = join(dir, 'tool.exe');
    await copyFile(SIGNED_EXE, exe);
    changeAfterRead(exe, (p) => truncate(p, 100));
    const result = await scanOne(exe);
    expect(result.status).toBe('unknown');
    expect(result.errors.map((e) => e.code)).toEqual(['FILE_CHANGED']);
    expect(result.target).toMatchObject({ format: 'pe', digest: '' });
  });

  it('a file rewritten in place with the same size: its modification time tells', async () => {
    const jar = join(dir, 'same-size.jar');
    await copyFile(SIGNED_JAR, jar);
    await utimes(jar, new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    changeAfterRead(jar, async (p) => {
      const bytes = await readFile(p);
      const last = bytes.length - 1;
      bytes[last] = bytes[last]! ^ 0xff;
      await writeFile(p, bytes);
    });
    const result = await scanOne(jar);
    expect(result.status).toBe('unknown');
    expect(result.errors).toEqual([
      expect.objectContaining({
        code: 'FILE_CHANGED',
        message: expect.stringContaining('modification time'),
      }),
    ]);
  });

  it('a file too large to hold that changes while it is hashed: FILE_CHANGED, not FILE_TOO_LARGE', async () => {
    const jar = join(dir, 'big.jar');
    await copyFile(SIGNED_JAR, jar);
    const limits = { ...DEFAULT_LIMITS, maxFileBytes: 1024 };
    changeAfterRead(jar, (p) => appendFile(p, 'x'));
    const changed = await scanOne(jar, limits);
    expect(changed.errors.map((e) => e.code)).toEqual(['FILE_CHANGED']);
    expect(changed.target).toMatchObject({ digest: '' });

    delete fsTestHooks.afterRead;
    const bytes = await readFile(jar);
    const stable = await scanOne(jar, limits);
    expect(stable.status).toBe('unknown');
    expect(stable.errors.map((e) => e.code)).toEqual(['FILE_TOO_LARGE']);
    expect(stable.target).toMatchObject({ size: bytes.byteLength, digest: sha256(bytes) });
  });

  it('an unchanged file: a normal result, read exactly once for digest and detection', async () => {
    const jar = join(dir, 'app.jar');
    const exe = join(dir, 'tool.exe');
    await copyFile(SIGNED_JAR, jar);
    await copyFile(SIGNED_EXE, exe);
    const seen = changeAfterRead(jar, async () => {});
    const result = await scanOne(jar);
    expect(seen.calls).toBe(1);
    expect(result.status).toBe('signed');
    expect(result.errors).toEqual([]);
    const jarBytes = await readFile(jar);
    expect(result.target).toMatchObject({ size: jarBytes.byteLength, digest: sha256(jarBytes) });

    // bytesRead counts what the walk read: each file once, whole, whatever it is used for.
    const counters = newFsCounters();
    for await (const job of fsJobs({ roots: [dir], limits: DEFAULT_LIMITS, scanErrors: [], counters })) {
      await job.run();
    }
    const exeBytes = await readFile(exe);
    expect(counters.bytesRead).toBe(jarBytes.byteLength + exeBytes.byteLength);
  });
});
