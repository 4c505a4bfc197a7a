import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { openZip } from '../../../src/formats/zip/index.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { makeJar, makeZipWithDuplicate, readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const SIGNED = `${CORPUS_DIR}/jar/equinox/signed.jar`;

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return (err as SigscanError).code;
  }
  throw new Error('expected a rejection');
}

describe('openZip', () => {
  let dir: string;
  let plain: string;
  beforeAll(() => {
    dir = tempDir('sigscan-zip-');
    plain = makeJar(join(dir, 'plain.jar'), {
      'a/one.txt': 'one\n',
      'a/two.txt': 'two two\n',
      'b.txt': 'bee',
    });
  });
  afterAll(() => removeDir(dir));

  it("reopening the same bytes reuses the structure but applies each caller's limits and budget", async () => {
    const bytes = readBytes(plain);
    const first = await openZip(bytes, DEFAULT_LIMITS);
    const one = first.get('a/one.txt')!;
    await first.read(one);
    expect(first.bytesRead).toBe(4);
    const second = await openZip(bytes, DEFAULT_LIMITS);
    expect(second.bytesRead).toBe(0);
    expect(second.entries.map((e) => e.name)).toEqual(first.entries.map((e) => e.name));
    expect(new TextDecoder().decode(await second.read(second.get('a/two.txt')!))).toBe('two two\n');
    // A stricter caller is still refused, although the structure was read for a laxer one.
    expect(await codeOf(openZip(bytes, { ...DEFAULT_LIMITS, maxArchiveEntries: 1 }))).toBe('TOO_LARGE');
    // A copy of the bytes is a different archive as far as the cache goes, and reads the same.
    const copy = await openZip(bytes.slice(), DEFAULT_LIMITS);
    expect(copy.entries.map((e) => e.name)).toEqual(first.entries.map((e) => e.name));
  });

  it('lists central-directory entries and reads them', async () => {
    const zip = await openZip(readBytes(plain), DEFAULT_LIMITS);
    try {
      const names = zip.entries.map((e) => e.name);
      expect(names).toEqual(
        expect.arrayContaining(['META-INF/MANIFEST.MF', 'a/one.txt', 'a/two.txt', 'b.txt', 'a/']),
      );
      expect(zip.entries.find((e) => e.name === 'a/')!.isDirectory).toBe(true);
      expect(Buffer.from(await zip.read(zip.get('a/two.txt')!)).toString()).toBe('two two\n');
      expect(zip.duplicateNames).toEqual([]);
      expect(zip.localHeaderMismatches).toEqual([]);
      expect(zip.bytesRead).toBe(8);
    } finally {
      zip.close();
    }
  });

  it('agrees with unzip -Z1 on the entry list of a corpus jar', async () => {
    const listed = execFileSync('unzip', ['-Z1', SIGNED], { encoding: 'utf8' }).trim().split('\n');
    const zip = await openZip(readBytes(SIGNED), DEFAULT_LIMITS);
    expect(zip.entries.map((e) => e.name)).toEqual(listed);
    zip.close();
  });

  it('rejects empty, random, and truncated input as MALFORMED_ZIP', async () => {
    expect(await codeOf(openZip(new Uint8Array(0), DEFAULT_LIMITS))).toBe('MALFORMED_ZIP');
    expect(await codeOf(openZip(new Uint8Array(randomBytes(4096)), DEFAULT_LIMITS))).toBe('MALFORMED_ZIP');
    const bytes = readBytes(SIGNED);
    expect(await codeOf(openZip(bytes.subarray(0, bytes.length - 30), DEFAULT_LIMITS))).toBe('MALFORMED_ZIP');
    expect(await codeOf(openZip(bytes.subarray(0, 100), DEFAULT_LIMITS))).toBe('MALFORMED_ZIP');
  });

  it('enforces the entry-count limit', async () => {
    const err = await codeOf(openZip(readBytes(plain), { ...DEFAULT_LIMITS, maxArchiveEntries: 3 }));
    expect(err).toBe('TOO_LARGE');
  });

  it('enforces the total uncompressed-bytes budget across reads', async () => {
    const zip = await openZip(readBytes(plain), { ...DEFAULT_LIMITS, maxArchiveUncompressedBytes: 10 });
    await zip.read(zip.get('a/two.txt')!);
    expect(await codeOf(zip.read(zip.get('a/one.txt')!))).toBe('TOO_LARGE');
    zip.close();
  });

  it('enforces a per-read byte cap', async () => {
    const zip = await openZip(readBytes(plain), DEFAULT_LIMITS);
    expect(await codeOf(zip.read(zip.get('a/two.txt')!, 4))).toBe('TOO_LARGE');
    zip.close();
  });

  it('refuses entries over the compression-ratio limit (zip bomb)', async () => {
    const zeros = join(dir, 'zeros.bin');
    writeFileSync(zeros, Buffer.alloc(4 * 1024 * 1024));
    const bomb = join(dir, 'bomb.zip');
    execFileSync('zip', ['-q', '-j', bomb, zeros]);
    expect(await codeOf(openZip(readBytes(bomb), DEFAULT_LIMITS))).toBe('TOO_LARGE');
    // The same archive passes when the ratio allowed is high enough.
    const zip = await openZip(readBytes(bomb), { ...DEFAULT_LIMITS, maxCompressionRatio: 100_000 });
    expect((await zip.read(zip.entries[0]!)).byteLength).toBe(4 * 1024 * 1024);
    zip.close();
  });

  it('rejects encrypted entries', async () => {
    const enc = join(dir, 'enc.zip');
    execFileSync('zip', ['-q', '-j', '-P', 'secret', enc, plain]);
    expect(await codeOf(openZip(readBytes(enc), DEFAULT_LIMITS))).toBe('MALFORMED_ZIP');
  });

  it('reports duplicate entry names and keeps every copy', async () => {
    const dup = join(dir, 'dup.zip');
    makeZipWithDuplicate(dup, plain, 'b.txt', 'evil');
    const zip = await openZip(new Uint8Array(readFileSync(dup)), DEFAULT_LIMITS);
    expect(zip.duplicateNames).toEqual(['b.txt']);
    const copies = zip.entries.filter((e) => e.name === 'b.txt');
    expect(copies).toHaveLength(2);
    expect(Buffer.from(await zip.read(copies[1]!)).toString()).toBe('evil');
    zip.close();
  });
});
