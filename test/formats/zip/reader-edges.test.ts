/**
 * The in-place header reader (src/formats/zip/reader.ts, readCentralDirectoryEntries and localHeader) at
 * the edges the differential test's archives never reach: a structure ending exactly at the last byte of
 * the file, a ZIP64 extra field that carries all three 64-bit values, a 64-bit value above 2^32, a stored
 * entry under traditional encryption, and trailing bytes in the extra fields. Each archive is Info-ZIP's
 * output with a few fields changed; each is read by the reader and by yauzl (the oracle it replaced), and
 * the reader's exact answer is asserted as well, so a reader and oracle that drift together still fail.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { openZip } from '../../../src/formats/zip/index.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { zipOutcome } from './outcome.js';
import { openZipWithYauzl } from './yauzl-reader.js';

const CONTENT = 'hello hello hello\n';
const EOCD_SIZE = 22;

/** The reader's whole answer, after checking that yauzl gives the very same one. */
async function sameAsYauzl(bytes: Uint8Array): Promise<unknown> {
  const ours = await zipOutcome(openZip, bytes, DEFAULT_LIMITS);
  expect(ours).toEqual(await zipOutcome(openZipWithYauzl, bytes, DEFAULT_LIMITS));
  return ours;
}

/** Offset of the (only) central-directory header; the archives here hold one entry. */
function centralHeader(buf: Buffer): number {
  const at = buf.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'));
  expect(at).toBeGreaterThan(0);
  return at;
}

/**
 * The archive with `comment` appended as its end record's comment (the archives are made without one, so
 * the end record is the last 22 bytes). The comment is where a structure can be put so that it ends
 * exactly at the end of the file; `directoryAt` moves the central directory into it.
 */
function withComment(bytes: Uint8Array, comment: Buffer, directoryAt?: number): Buffer {
  const out = Buffer.concat([Buffer.from(bytes), comment]);
  const eocd = bytes.length - EOCD_SIZE;
  expect(out.readUInt32LE(eocd)).toBe(0x06054b50);
  out.writeUInt16LE(comment.length, eocd + 20);
  if (directoryAt !== undefined) {
    out.writeUInt32LE(comment.length, eocd + 12);
    out.writeUInt32LE(directoryAt, eocd + 16);
  }
  return out;
}

function nameOf(entry: { rawName: Uint8Array }): string {
  return Buffer.from(entry.rawName).toString('latin1');
}

describe('ZIP header reader: edges', () => {
  let dir: string;
  /** a.txt stored, no extra fields. */
  let stored: Uint8Array;
  /** e.txt (empty) stored, no extra fields. */
  let empty: Uint8Array;
  /** a.txt stored, with Info-ZIP's UT and ux extra fields. */
  let withExtra: Uint8Array;
  /** a.txt deflated, ZIP64 (`zip -fz`): UT, ux and a ZIP64 field with the uncompressed size. */
  let zip64: Uint8Array;
  /** a.txt stored under traditional encryption. */
  let encrypted: Uint8Array;
  beforeAll(() => {
    dir = tempDir('sigscan-zipedge-');
    writeFileSync(join(dir, 'a.txt'), CONTENT);
    writeFileSync(join(dir, 'e.txt'), '');
    const zip = (name: string, file: string, ...flags: string[]): Uint8Array => {
      execFileSync('zip', ['-q', ...flags, name, file], { cwd: dir });
      return readBytes(join(dir, name));
    };
    stored = zip('stored.zip', 'a.txt', '-0', '-X');
    empty = zip('empty.zip', 'e.txt', '-0', '-X');
    withExtra = zip('extra.zip', 'a.txt', '-0');
    zip64 = zip('z64.zip', 'a.txt', '-fz');
    encrypted = zip('enc.zip', 'a.txt', '-0', '-X', '-P', 'secret');
  });
  afterAll(() => removeDir(dir));

  it('reads a central-directory header whose fixed part ends at the last byte of the file', async () => {
    const buf = Buffer.from(stored);
    // A copy of the real header without its name, as the end record's comment, and the directory moved there.
    const fake = Buffer.from(buf.subarray(centralHeader(buf), centralHeader(buf) + 46));
    fake.writeUInt16LE(0, 28);
    const bytes = withComment(stored, fake, stored.length);
    expect(bytes.length).toBe(stored.length + 46);
    const outcome = (await sameAsYauzl(bytes)) as { entries: Array<{ rawName: string }> };
    expect(outcome.entries.map((e) => e.rawName)).toEqual(['']);
    const archive = await openZip(bytes, DEFAULT_LIMITS);
    // The local header at 0 names a.txt: a mismatch, reported, not a refusal.
    expect(archive.localHeaderMismatches).toEqual(['']);
    expect(Buffer.from(await archive.read(archive.entries[0]!)).toString()).toBe(CONTENT);
    archive.close();
  });

  it('reads a central-directory header whose name ends at the last byte of the file', async () => {
    const buf = Buffer.from(stored);
    const cen = centralHeader(buf);
    const header = Buffer.from(buf.subarray(cen, cen + 46 + 'a.txt'.length));
    const bytes = withComment(stored, header, stored.length);
    await sameAsYauzl(bytes);
    const archive = await openZip(bytes, DEFAULT_LIMITS);
    expect(archive.entries.map(nameOf)).toEqual(['a.txt']);
    expect(archive.localHeaderMismatches).toEqual([]);
    expect(Buffer.from(await archive.read(archive.entries[0]!)).toString()).toBe(CONTENT);
    archive.close();
  });

  it('reads a local header that ends at the last byte of the file (no name, no data)', async () => {
    const buf = Buffer.from(empty);
    const local = Buffer.from(buf.subarray(0, 30));
    local.writeUInt16LE(0, 26);
    local.writeUInt16LE(0, 28);
    const bytes = withComment(empty, local);
    bytes.writeUInt32LE(empty.length, centralHeader(bytes) + 42);
    await sameAsYauzl(bytes);
    const archive = await openZip(bytes, DEFAULT_LIMITS);
    expect(archive.entries.map(nameOf)).toEqual(['e.txt']);
    expect(archive.localHeaderMismatches).toEqual(['e.txt']);
    expect((await archive.read(archive.entries[0]!)).byteLength).toBe(0);
    archive.close();
  });

  it('reads an entry whose data ends at the last byte of the file', async () => {
    const local = Buffer.from(stored.subarray(0, 30 + 'a.txt'.length + CONTENT.length));
    expect(local.subarray(30 + 'a.txt'.length).toString()).toBe(CONTENT);
    const bytes = withComment(stored, local);
    bytes.writeUInt32LE(stored.length, centralHeader(bytes) + 42);
    await sameAsYauzl(bytes);
    const archive = await openZip(bytes, DEFAULT_LIMITS);
    expect(archive.localHeaderMismatches).toEqual([]);
    expect(Buffer.from(await archive.read(archive.get('a.txt')!)).toString()).toBe(CONTENT);
    archive.close();
    // One byte of data fewer in the file: refused, with the sizes named.
    const short = withComment(stored, local.subarray(0, local.length - 1));
    short.writeUInt32LE(stored.length, centralHeader(short) + 42);
    const refused = (await sameAsYauzl(short)) as { open: string; message: string };
    expect(refused).toEqual({
      open: 'MALFORMED_ZIP',
      message: `bad local header for ZIP entry a.txt: file data overflows file bounds: ${stored.length + 35} + 18 > ${short.length}`,
    });
  });

  it('ignores up to three bytes after the last extra field (too short for a field header)', async () => {
    const bytes = Buffer.from(withExtra);
    const cen = centralHeader(bytes);
    const extraAt = cen + 46 + 'a.txt'.length;
    const extraLength = bytes.readUInt16LE(cen + 30);
    // Info-ZIP's central UT (4 + 5 bytes) then ux (4 + 11 bytes): ux shortened by three.
    expect([bytes.readUInt16LE(extraAt), bytes.readUInt16LE(extraAt + 9)]).toEqual([0x5455, 0x7875]);
    expect(extraLength).toBe(24);
    bytes.writeUInt16LE(8, extraAt + 9 + 2);
    await sameAsYauzl(bytes);
    const archive = await openZip(bytes, DEFAULT_LIMITS);
    expect(archive.entries.map(nameOf)).toEqual(['a.txt']);
    archive.close();
    // Four bytes left over are a field header, here one whose length (1) overruns the extra field.
    // (A copy: openZip keeps what it read of an archive per byte array.)
    const four = Buffer.from(bytes);
    four.writeUInt16LE(7, extraAt + 9 + 2);
    four.writeUInt16LE(0x9999, extraAt + extraLength - 4);
    four.writeUInt16LE(1, extraAt + extraLength - 2);
    expect(await sameAsYauzl(four)).toEqual({
      open: 'MALFORMED_ZIP',
      message: 'corrupt ZIP central directory: extra field length exceeds extra field buffer size',
    });
  });

  /**
   * `zip -fz`'s central header with all three 32-bit fields at 0xffffffff and its 36 bytes of extra fields
   * rewritten in place: a ZIP64 field of 24 bytes (uncompressed size, compressed size, local header
   * offset, in that order) and an 8-byte filler, so nothing after it moves.
   */
  function allThreeZip64(values: { usize: bigint; csize: bigint; offset: bigint }, dataLength = 24): Buffer {
    const bytes = Buffer.from(zip64);
    const cen = centralHeader(bytes);
    const extraAt = cen + 46 + 'a.txt'.length;
    expect(bytes.readUInt16LE(cen + 30)).toBe(36);
    expect([
      bytes.readUInt32LE(cen + 20),
      bytes.readUInt32LE(cen + 24),
      bytes.readUInt32LE(cen + 42),
    ]).toEqual([11, 0xffffffff, 0]);
    const extra = Buffer.alloc(36);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(dataLength, 2);
    extra.writeBigUInt64LE(values.usize, 4);
    extra.writeBigUInt64LE(values.csize, 12);
    extra.writeBigUInt64LE(values.offset, 20);
    extra.writeUInt16LE(0x9999, 4 + dataLength);
    extra.writeUInt16LE(36 - 8 - dataLength, 4 + dataLength + 2);
    extra.copy(bytes, extraAt);
    for (const field of [20, 24, 42]) bytes.writeUInt32LE(0xffffffff, cen + field);
    return bytes;
  }

  it('reads the uncompressed size, compressed size and header offset from one ZIP64 field', async () => {
    const bytes = allThreeZip64({ usize: 18n, csize: 11n, offset: 0n });
    await sameAsYauzl(bytes);
    const archive = await openZip(bytes, DEFAULT_LIMITS);
    const entry = archive.get('a.txt')!;
    expect([entry.compressionMethod, entry.compressedSize, entry.uncompressedSize]).toEqual([8, 11, 18]);
    expect(Buffer.from(await archive.read(entry)).toString()).toBe(CONTENT);
    archive.close();
    // The field one value short: the offset is missing.
    expect(await sameAsYauzl(allThreeZip64({ usize: 18n, csize: 11n, offset: 0n }, 16))).toEqual({
      open: 'MALFORMED_ZIP',
      message:
        'corrupt ZIP central directory: zip64 extended information extra field does not include relative header offset',
    });
    expect(await sameAsYauzl(allThreeZip64({ usize: 18n, csize: 11n, offset: 0n }, 8))).toEqual({
      open: 'MALFORMED_ZIP',
      message:
        'corrupt ZIP central directory: zip64 extended information extra field does not include compressed size',
    });
  });

  it('reads a ZIP64 value above 2^32 whole (its high word counts)', async () => {
    const csize = 0x100000000n + 11n;
    const bytes = allThreeZip64({ usize: 18n, csize, offset: 0n });
    const header = 30 + 'a.txt'.length + Buffer.from(zip64).readUInt16LE(28);
    expect(await sameAsYauzl(bytes)).toEqual({
      open: 'MALFORMED_ZIP',
      message: `bad local header for ZIP entry a.txt: file data overflows file bounds: ${header} + ${csize} > ${bytes.length}`,
    });
  });

  it('allows a stored entry under traditional encryption its 12-byte header, then refuses it as encrypted', async () => {
    const buf = Buffer.from(encrypted);
    const cen = centralHeader(buf);
    expect(buf.readUInt16LE(cen + 8) & 0x1).toBe(1);
    expect([buf.readUInt16LE(cen + 10), buf.readUInt32LE(cen + 20), buf.readUInt32LE(cen + 24)]).toEqual([
      0,
      CONTENT.length + 12,
      CONTENT.length,
    ]);
    const outcome = (await sameAsYauzl(encrypted)) as { open: string; message: string };
    expect(outcome.open).toBe('MALFORMED_ZIP');
    expect(outcome.message).not.toContain('size mismatch');
    expect(outcome.message).toContain('a.txt');
    // The same entry with the encryption flag cleared: now the 12 bytes are a size mismatch.
    const clear = Buffer.from(encrypted);
    clear.writeUInt16LE(buf.readUInt16LE(cen + 8) & ~0x1, cen + 8);
    expect(await sameAsYauzl(clear)).toEqual({
      open: 'MALFORMED_ZIP',
      message:
        'corrupt ZIP central directory: compressed/uncompressed size mismatch for stored file: 30 != 18',
    });
  });

  it("keeps the local header's own error as the cause of the refusal", async () => {
    const bytes = Buffer.from(stored);
    bytes.writeUInt32LE(0x04034b51, 0);
    const err = await openZip(bytes, DEFAULT_LIMITS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('MALFORMED_ZIP');
    expect((err as Error).message).toBe(
      'bad local header for ZIP entry a.txt: invalid local file header signature: 0x4034b51',
    );
    const cause = (err as Error).cause;
    expect(cause).toBeInstanceOf(Error);
    expect((cause as Error).message).toBe('invalid local file header signature: 0x4034b51');
  });
});
