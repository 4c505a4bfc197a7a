import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { openZip, RATIO_CHECK_MIN_BYTES } from '../../../src/formats/zip/reader.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { makeJar, readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { run } from '../../helpers/tools.js';

/**
 * The archive limits at their exact bounds and the errors' words and causes (reports/mutation-log.md, session
 * 15: `reader.ts` survivors of the whole-set ZIP part): as many entries as the limit allows, an entry of
 * exactly RATIO_CHECK_MIN_BYTES, an entry at exactly the compression-ratio limit; an empty file; and the
 * cause kept on each MALFORMED_ZIP (what `-v` shows). Archives by `jar cf` and Info-ZIP `zip`.
 */

async function rejection(read: Promise<unknown>): Promise<SigscanError> {
  try {
    await read;
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return err as SigscanError;
  }
  throw new Error('expected a rejection');
}

let dir: string;
beforeAll(() => {
  dir = tempDir('sigscan-zip-bounds-');
});
afterAll(() => removeDir(dir));

/** A stored-free archive of one entry `name` of `size` zero bytes, deflated by Info-ZIP zip -9. */
async function zeros(name: string, size: number): Promise<Uint8Array> {
  writeFileSync(join(dir, name), Buffer.alloc(size));
  const out = join(dir, `${name}.zip`);
  await run('zip', ['-q', '-9', '-X', '-j', out, join(dir, name)]);
  return readBytes(out);
}

describe('archive limits at their bounds', () => {
  it('as many entries as maxArchiveEntries opens; one more than the limit is TOO_LARGE', async () => {
    const three = readBytes(makeJar(join(dir, 'three.jar'), { 'a.txt': 'a', 'b.txt': 'b' })); // + the manifest
    const zip = await openZip(three, { ...DEFAULT_LIMITS, maxArchiveEntries: 4 });
    expect(zip.entries.length).toBe(4);
    const err = await rejection(openZip(three, { ...DEFAULT_LIMITS, maxArchiveEntries: 3 }));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'TOO_LARGE',
      message: 'ZIP archive has 4 entries, more than the limit of 3',
    });
  });

  it('a count the end record claims over the limit is TOO_LARGE before a record is read, even past the directory', async () => {
    // jar cf's 4 entries, with the end record's two entry counts raised to 60000 (byte surgery): the count is
    // refused as a count, not read record by record until the directory runs out (MALFORMED_ZIP), which on
    // a ZIP64 count of billions would be the cost the limit is there to spare.
    const bytes = Buffer.from(readBytes(makeJar(join(dir, 'count.jar'), { 'a.txt': 'a', 'b.txt': 'b' })));
    const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    expect(bytes.readUInt16LE(end + 10)).toBe(4);
    bytes.writeUInt16LE(60000, end + 8);
    bytes.writeUInt16LE(60000, end + 10);
    const over = await rejection(
      openZip(new Uint8Array(bytes), { ...DEFAULT_LIMITS, maxArchiveEntries: 100 }),
    );
    expect({ code: over.code, message: over.message }).toEqual({
      code: 'TOO_LARGE',
      message: 'ZIP archive has 60000 entries, more than the limit of 100',
    });
    // Under the limit the same lie is a corrupt directory.
    const lie = await rejection(
      openZip(new Uint8Array(bytes), { ...DEFAULT_LIMITS, maxArchiveEntries: 60000 }),
    );
    expect(lie.code).toBe('MALFORMED_ZIP');
    expect(lie.message).toMatch(/^corrupt ZIP central directory: /);
  });

  it('an entry of exactly RATIO_CHECK_MIN_BYTES is not held to the ratio; one byte more is', async () => {
    const limits = { ...DEFAULT_LIMITS, maxCompressionRatio: 2 };
    const at = await zeros('at.bin', RATIO_CHECK_MIN_BYTES);
    const zip = await openZip(at, limits);
    expect((await zip.read(zip.get('at.bin')!)).length).toBe(RATIO_CHECK_MIN_BYTES);
    const err = await rejection(openZip(await zeros('over.bin', RATIO_CHECK_MIN_BYTES + 1), limits));
    expect(err.code).toBe('TOO_LARGE');
    expect(err.message).toMatch(
      /^ZIP entry over\.bin expands \d+ bytes to 1048577, over the compression-ratio limit of 2$/,
    );
  });

  it('an entry at exactly the compression-ratio limit opens; just under the limit refuses it', async () => {
    const bytes = await zeros('ratio.bin', RATIO_CHECK_MIN_BYTES + 1);
    const entry = (await openZip(bytes, { ...DEFAULT_LIMITS, maxCompressionRatio: 1e9 })).get('ratio.bin')!;
    const ratio = entry.uncompressedSize / entry.compressedSize;
    // The bound is `uncompressed > ratio * compressed`: exact here (checked, not assumed).
    expect(ratio * entry.compressedSize).toBe(entry.uncompressedSize);
    await expect(openZip(bytes, { ...DEFAULT_LIMITS, maxCompressionRatio: ratio })).resolves.toBeDefined();
    const err = await rejection(openZip(bytes, { ...DEFAULT_LIMITS, maxCompressionRatio: ratio - 0.01 }));
    expect(err.code).toBe('TOO_LARGE');
  });
});

describe('errors: words and causes', () => {
  it('an empty file: MALFORMED_ZIP "empty file", before yauzl sees it', async () => {
    const err = await rejection(openZip(new Uint8Array(0), DEFAULT_LIMITS));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'MALFORMED_ZIP',
      message: 'empty file: not a ZIP archive',
    });
  });

  it('no end record: "not a readable ZIP archive", with yauzl\'s error as the cause', async () => {
    const err = await rejection(openZip(new TextEncoder().encode('not a zip at all'), DEFAULT_LIMITS));
    expect(err.code).toBe('MALFORMED_ZIP');
    expect(err.message).toMatch(/^not a readable ZIP archive: /);
    expect(err.cause).toBeInstanceOf(Error);
    expect(err.message).toContain((err.cause as Error).message);
  });

  it('a central-directory header without its signature: "corrupt ZIP central directory", with the cause', async () => {
    const bytes = readBytes(makeJar(join(dir, 'cen.jar'), { 'a.txt': 'a' })).slice();
    const cen = Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes[cen + 3] = 0x09;
    const err = await rejection(openZip(bytes, DEFAULT_LIMITS));
    expect(err.code).toBe('MALFORMED_ZIP');
    expect(err.message).toMatch(/^corrupt ZIP central directory: /);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('deflated data that does not inflate: "corrupt ZIP entry", with zlib\'s error as the cause', async () => {
    const bytes = readBytes(makeJar(join(dir, 'data.jar'), { 'a.txt': 'sigscan '.repeat(40) })).slice();
    const zip0 = await openZip(bytes, DEFAULT_LIMITS);
    const entry0 = zip0.get('a.txt')!;
    expect(entry0.compressionMethod).toBe(8);
    // The first byte of the deflate stream: BTYPE 11 is reserved ("invalid block type").
    const local = Buffer.from(bytes).indexOf(Buffer.from('a.txt'), 30) + 'a.txt'.length;
    bytes[local] = 0x07;
    const zip = await openZip(bytes, DEFAULT_LIMITS);
    const err = await rejection(zip.read(zip.get('a.txt')!));
    expect(err.code).toBe('MALFORMED_ZIP');
    expect(err.message).toMatch(/^corrupt ZIP entry a\.txt: /);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('a compression method sigscan does not read (12, bzip2, in both headers): "cannot read ZIP entry"', async () => {
    const bytes = readBytes(makeJar(join(dir, 'method.jar'), { 'a.txt': 'sigscan '.repeat(40) })).slice();
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    for (const [signature, at] of [
      [0x04034b50, 8],
      [0x02014b50, 10],
    ] as const) {
      for (let i = 0; i + 4 <= view.length; i++)
        if (view.readUInt32LE(i) === signature) view.writeUInt16LE(12, i + at);
    }
    const zip = await openZip(bytes, DEFAULT_LIMITS);
    expect(zip.get('a.txt')!.compressionMethod).toBe(12);
    const err = await rejection(zip.read(zip.get('a.txt')!));
    expect({ code: err.code, message: err.message }).toEqual({
      code: 'MALFORMED_ZIP',
      message: 'cannot read ZIP entry a.txt: unsupported compression method: 12',
    });
    expect(err.cause).toBeInstanceOf(Error);
  });
});
