/**
 * PE images are never held whole (all those within the file-size limit, and any over the streaming
 * threshold): headers and certificate table are read by position and the file SHA-256 and the
 * Authenticode image hashes come from one pass. The reading must give exactly the report a whole read
 * gives, on real signed images (osslsigncode-signed fixture, the shared corpus, Debian's signed EFI
 * binaries) and on images altered after signing. The whole read is asked for with peStreamThreshold
 * Infinity; the 1 GiB case is in test/integration/large-files.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parsePeLayout } from '../../src/formats/pe/index.js';
import type { TargetResult } from '../../src/model/index.js';
import { runFsScan } from '../../src/scan/run.js';
import { loadTrustConfig } from '../../src/trust/index.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const SIGNED_EXE = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe');
const UNSIGNED_EXE = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-unsigned.exe');
const SIGNIFY = join(PROJECT_ROOT, '..', 'shared', 'corpus', 'authenticode', 'signify');
const VENDOR = join(PROJECT_ROOT, '.cache', 'vendor');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-stream-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scan(
  root: string,
  streamThreshold?: number,
  peStreamThreshold?: number,
): Promise<TargetResult[]> {
  const trust = await loadTrustConfig({
    trustRoot: [join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem')],
    // One verification time for both scans, so that their messages can be compared whole.
    at: '2026-12-01T00:00:00Z',
  });
  const report = await runFsScan({
    roots: [root],
    concurrency: 2,
    log: silentLogger,
    limits: DEFAULT_LIMITS,
    trust,
    streamThreshold,
    peStreamThreshold,
  });
  return report.results;
}

/** Every PE-named real file we have, copied into one tree. */
async function realImages(into: string): Promise<string[]> {
  const names: string[] = [];
  const add = async (from: string, name: string) => {
    await copyFile(from, join(into, name));
    names.push(name);
  };
  await add(SIGNED_EXE, 'hello-signed.exe');
  await add(UNSIGNED_EXE, 'hello-unsigned.exe');
  for (const name of await readdir(SIGNIFY))
    if (/\.(exe|dll|sys)$/.test(name)) await add(join(SIGNIFY, name), name);
  if (existsSync(VENDOR)) {
    for (const name of await readdir(VENDOR))
      if (/\.(efi\.signed|exe)$/.test(name)) await add(join(VENDOR, name), `vendor-${name}`);
  }
  return names;
}

describe('streamed PE images', () => {
  it('give the same results as a whole read on real signed images', async () => {
    const tree = join(dir, 'real');
    await mkdtempLike(tree);
    const names = await realImages(tree);
    // Small PE images are read by ranges by default: a whole read is asked for by raising its threshold.
    const whole = await scan(tree, undefined, Infinity);
    const streamed = await scan(tree, 0);
    expect(streamed.length).toBe(names.length);
    expect(summary(streamed)).toEqual(summary(whole));
    expect(comparable(streamed)).toEqual(comparable(whole));
    // The signed fixture verifies both ways (not just "the same").
    const hello = streamed.find(
      (r) => r.target.kind === 'file' && r.target.path.endsWith('hello-signed.exe'),
    )!;
    expect(hello.signatures.map((s) => s.verdict.status)).toEqual(['verified']);
    expect(hello.signatures[0]!.evidence.details?.imageHashMatches).toBe(true);
  });

  it('give the same verdicts as a whole read on images altered after signing', async () => {
    const tree = join(dir, 'altered');
    await mkdtempLike(tree);
    const signed = await readFile(SIGNED_EXE);
    const layout = parsePeLayout(signed);
    // A byte of the first section flipped: the image hash no longer matches (osslsigncode: MISMATCH).
    const flipped = Buffer.from(signed);
    const at = layout.sections[0]!.pointerToRawData + 16;
    flipped[at] = flipped[at]! ^ 0xff;
    await writeFile(join(tree, 'flipped.exe'), flipped);
    // Data after the certificate table.
    await writeFile(join(tree, 'overlay.exe'), Buffer.concat([signed, Buffer.alloc(8, 0x41)]));
    // A certificate table running past the end of the file: MALFORMED_PE from the detector both ways.
    await writeFile(join(tree, 'truncated.exe'), signed.subarray(0, signed.length - 100));
    // e_lfanew pointing past the end of the file.
    const badHeader = Buffer.from(signed);
    badHeader.writeUInt32LE(signed.length + 64, 0x3c);
    await writeFile(join(tree, 'bad-lfanew.exe'), badHeader);
    // A signed image that is not 8-byte aligned when unsigned: padding rule.
    await writeFile(
      join(tree, 'odd-unsigned.exe'),
      Buffer.concat([await readFile(UNSIGNED_EXE), Buffer.from([1, 2, 3])]),
    );

    const whole = await scan(tree, undefined, Infinity);
    const streamed = await scan(tree, 0);
    expect(comparable(streamed)).toEqual(comparable(whole));
    const byName = new Map(streamed.map((r) => [(r.target as { path: string }).path.split('/').pop(), r]));
    expect(byName.get('flipped.exe')!.signatures[0]!.verdict).toMatchObject({ status: 'invalid' });
    expect(byName.get('flipped.exe')!.signatures[0]!.evidence.details?.imageHashMatches).toBe(false);
    expect(byName.get('overlay.exe')!.signatures[0]!.verdict.status).toBe('invalid');
    expect(byName.get('truncated.exe')!.errors.map((e) => e.code)).toEqual(['MALFORMED_PE']);
    expect(byName.get('bad-lfanew.exe')!.errors.map((e) => e.code)).toEqual(['MALFORMED_PE']);
    expect(byName.get('truncated.exe')!.target).toMatchObject({ digest: expect.stringMatching(/^sha256:/) });
    // osslsigncode agrees on the altered ones.
    expect(osslVerify(join(tree, 'flipped.exe'))).toBe(false);
    expect(osslVerify(join(tree, 'truncated.exe'))).toBe(false);
  });

  it('a PE over the file-size limit but under the stream threshold is still FILE_TOO_LARGE, hashed', async () => {
    const tree = join(dir, 'limit');
    await mkdtempLike(tree);
    await copyFile(SIGNED_EXE, join(tree, 'tool.exe'));
    const report = await runFsScan({
      roots: [tree],
      concurrency: 1,
      log: silentLogger,
      limits: { ...DEFAULT_LIMITS, maxFileBytes: 1024 },
    });
    const bytes = await readFile(SIGNED_EXE);
    expect(report.results).toHaveLength(1);
    const [result] = report.results;
    expect(result!.errors.map((e) => e.code)).toEqual(['FILE_TOO_LARGE']);
    expect(result!.signatures).toEqual([]);
    expect(result!.target).toMatchObject({
      size: bytes.byteLength,
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      format: 'pe',
    });
  });

  it('a streamed file that grows while it is hashed is FILE_CHANGED, with no digest', async () => {
    const tree = join(dir, 'growing');
    await mkdtempLike(tree);
    const exe = join(tree, 'tool.exe');
    await copyFile(SIGNED_EXE, exe);
    const { fsTestHooks } = await import('../../src/sources/fs.js');
    fsTestHooks.afterRead = async (p) => {
      if (p === exe) await appendFile(p, 'x');
    };
    try {
      const [result] = await scan(tree, 0);
      expect(result!.status).toBe('unknown');
      expect(result!.errors.map((e) => e.code)).toEqual(['FILE_CHANGED']);
      expect(result!.target).toMatchObject({ digest: '' });
    } finally {
      delete fsTestHooks.afterRead;
    }
  });
});

describe('ZIP archives over the threshold, read in place', () => {
  it('give the same results as a whole read on real signed JARs (jarsigner fixtures and corpus)', async () => {
    const tree = join(dir, 'jars');
    await mkdtempLike(tree);
    const equinox = join(PROJECT_ROOT, '..', 'shared', 'corpus', 'jar', 'equinox');
    for (const name of await readdir(equinox))
      if (name.endsWith('.jar')) await copyFile(join(equinox, name), join(tree, name));
    for (const name of ['hello-signed.jar', 'hello-unsigned.jar']) {
      await copyFile(join(PROJECT_ROOT, 'fixtures', 'jar', name), join(tree, name));
    }
    // An entry changed after signing: its digest no longer matches (jarsigner: "has been modified").
    const signed = await readFile(join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar'));
    const at = signed.indexOf(Buffer.from('PK\x03\x04', 'latin1'), 1);
    const tampered = Buffer.from(signed);
    tampered[at + 60] = tampered[at + 60]! ^ 0x01;
    await writeFile(join(tree, 'tampered.jar'), tampered);
    // A ZIP that is not a JAR is skipped both ways; one cut short is an error both ways.
    await writeFile(join(tree, 'cut.jar'), signed.subarray(0, signed.length - 30));

    const whole = await scan(tree);
    const streamed = await scan(tree, 0);
    expect(summary(streamed)).toEqual(summary(whole));
    expect(comparable(streamed)).toEqual(comparable(whole));
    const byName = new Map(streamed.map((r) => [(r.target as { path: string }).path.split('/').pop(), r]));
    expect(byName.get('hello-signed.jar')!.signatures.map((s) => s.verdict.status)).toEqual(['verified']);
    expect(byName.get('cut.jar')!.errors.map((e) => e.code)).toEqual(['MALFORMED_ZIP']);
    expect(byName.get('tampered.jar')!.signatures.map((s) => s.verdict.status)).not.toContain('verified');
  });
});

/** By path: with two files at a time, results arrive in the order they finish. */
function byPath(results: TargetResult[]): TargetResult[] {
  const path = (r: TargetResult) => (r.target.kind === 'file' ? r.target.path : '');
  return [...results].sort((a, b) => (path(a) < path(b) ? -1 : path(a) > path(b) ? 1 : 0));
}

function summary(results: TargetResult[]): string[] {
  return byPath(results).map((r) =>
    JSON.stringify([
      r.target.kind === 'file' ? r.target.path : '',
      r.status,
      r.errors.map((e) => e.code),
      r.signatures.map((s) => [s.evidence.location, s.verdict.code]),
    ]),
  );
}

/** Results as plain JSON with the raw DER (material) shown as hex, so a difference prints readably. */
function comparable(results: TargetResult[]): unknown {
  return JSON.parse(
    JSON.stringify(byPath(results), (_key, value: unknown) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
    ),
  );
}

function osslVerify(path: string): boolean {
  try {
    execFileSync('osslsigncode', ['verify', '-in', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function mkdtempLike(path: string): Promise<void> {
  await import('node:fs/promises').then((fs) => fs.mkdir(path, { recursive: true }));
}
