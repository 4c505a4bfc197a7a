/**
 * ZIP structure attacks on signed JARs: a JAR signature covers entry contents, not the ZIP structure, so
 * a repacked archive (ZIP64) must still verify, and a structure that lets two readers see different
 * files (local header vs central directory) must be `invalid`. Inputs start from the jarsigner-signed
 * fixture; ZIP64 repacks are made by Info-ZIP (`zip -fz`) and checked with jarsigner itself.
 */
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan, type JsonTarget } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const SIGNED = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
const ROOT = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-zip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function scan(file: string): Promise<JsonTarget> {
  const res = await sigscan(['fs', file, '-o', 'json', '--trust-root', ROOT]);
  const doc = JSON.parse(res.stdout) as { targets: JsonTarget[] };
  expect(doc.targets).toHaveLength(1);
  return doc.targets[0]!;
}

/** Unpacks a JAR and packs it again with Info-ZIP's `zip -fz`, which writes ZIP64 records throughout. */
async function repackZip64(from: string, to: string): Promise<void> {
  const tree = await mkdtemp(join(dir, 'tree-'));
  await run('unzip', ['-q', from, '-d', tree]);
  const names = (await readdir(tree)).filter((n) => n !== 'META-INF');
  // META-INF first, as jar tools write it (JarInputStream expects the manifest near the start).
  await run('zip', ['-q', '-fz', '-r', to, 'META-INF', ...names], { cwd: tree });
}

/** Offset of the ZIP64 end-of-central-directory record (signature PK\x06\x06). */
function zip64Eocd(bytes: Buffer): number {
  const at = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]));
  expect(at).toBeGreaterThan(0);
  return at;
}

describe('ZIP oddities in signed JARs', () => {
  it('the original fixture verifies against its root (the baseline for the cases below)', async () => {
    const target = await scan(SIGNED);
    expect(target.status).toBe('signed');
    expect(target.signatures.map((s) => s.verdict.status)).toEqual(['verified']);
  });

  it('a ZIP64 repack of a signed JAR still verifies, as jarsigner agrees', async () => {
    const file = join(dir, 'zip64.jar');
    await repackZip64(SIGNED, file);
    const bytes = await readFile(file);
    zip64Eocd(bytes); // really ZIP64
    const jarsigner = await run('jarsigner', ['-verify', file], { check: false });
    expect(jarsigner.stdout).toContain('jar verified');
    const target = await scan(file);
    expect(target.signatures.map((s) => s.verdict.status)).toEqual(['verified']);
  });

  it('a ZIP64 end record claiming 2^40 entries is refused before reading, as an error on the file', async () => {
    const file = join(dir, 'zip64-count.jar');
    await repackZip64(SIGNED, file);
    const bytes = await readFile(file);
    const eocd = zip64Eocd(bytes);
    // total entries on this disk (offset 24) and in all (offset 32), both 8-byte little-endian.
    bytes.writeBigUInt64LE(2n ** 40n, eocd + 24);
    bytes.writeBigUInt64LE(2n ** 40n, eocd + 32);
    await writeFile(file, bytes);
    const target = await scan(file);
    expect(target.status).toBe('unknown');
    expect(target.errors.map((e) => e.code)).toEqual([expect.stringMatching(/^(TOO_LARGE|MALFORMED_ZIP)$/)]);
  });

  it('a ZIP64 end record pointing its central directory past the end of the file is MALFORMED_ZIP', async () => {
    const file = join(dir, 'zip64-offset.jar');
    await repackZip64(SIGNED, file);
    const bytes = await readFile(file);
    const eocd = zip64Eocd(bytes);
    bytes.writeBigUInt64LE(BigInt(bytes.length) * 16n, eocd + 48); // offset of the central directory
    await writeFile(file, bytes);
    const target = await scan(file);
    expect(target.status).toBe('unknown');
    expect(target.errors.map((e) => e.code)).toEqual(['MALFORMED_ZIP']);
  });

  it('a local header naming another file than the central directory makes the signature invalid', async () => {
    const file = join(dir, 'local-header.jar');
    await copyFile(SIGNED, file);
    const bytes = await readFile(file);
    // The first local header whose name is not under META-INF/: rename it in place, same length.
    let at = -1;
    let name = '';
    for (let i = bytes.indexOf('PK\x03\x04'); i !== -1; i = bytes.indexOf('PK\x03\x04', i + 4)) {
      const length = bytes.readUInt16LE(i + 26);
      name = bytes.subarray(i + 30, i + 30 + length).toString('utf8');
      if (!name.startsWith('META-INF/') && !name.endsWith('/')) {
        at = i + 30;
        break;
      }
    }
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at] === 0x58 ? 0x59 : 0x58; // 'X' or 'Y'
    await writeFile(file, bytes);
    const target = await scan(file);
    expect(target.status).toBe('signed');
    const verdicts = target.signatures.map((s) => s.verdict);
    expect(verdicts.map((v) => v.status)).toEqual(['invalid']);
    expect(verdicts[0]!.code).toBe('LOCAL_HEADER_MISMATCH');
    expect(verdicts[0]!.message).toContain(name);
  });
});
