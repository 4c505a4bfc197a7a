/**
 * ArchiveFile and PagedBytes (src/formats/zip/archive-file.ts): the in-place reads the ZIP reader and the
 * structure checks make on archives too large to hold. Each read is compared with the same range of the
 * file's bytes read whole; the page cache is judged by how many reads of the file it makes (a cache that
 * reads too much is slow, one that keeps too much holds a large archive in memory after all).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { ArchiveFile, PagedBytes } from '../../../src/formats/zip/archive-file.js';
import { removeDir, tempDir } from '../../helpers/jar/index.js';

const PAGE = 64 * 1024;

let dir: string;
let count = 0;
const opened: ArchiveFile[] = [];

/** A new file of `bytes`, opened in place (closed after the test). */
function fileOf(bytes: Buffer): { path: string; file: ArchiveFile } {
  const path = join(dir, `${count++}.bin`);
  writeFileSync(path, bytes);
  const file = ArchiveFile.open(path);
  opened.push(file);
  return { path, file };
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<{ sizes: number[]; bytes: Buffer }> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return { sizes: parts.map((p) => p.length), bytes: Buffer.concat(parts) };
}

beforeAll(() => {
  dir = tempDir('sigscan-archive-file-');
});
afterEach(() => {
  for (const file of opened.splice(0)) file.close();
  vi.restoreAllMocks();
});
afterAll(() => removeDir(dir));

describe('ArchiveFile', () => {
  const bytes = randomBytes(1000);

  it('knows its size, and slices [start, end) clipped to the file as subarray does', () => {
    const { file } = fileOf(bytes);
    expect(file.size).toBe(1000);
    expect(file.slice(10, 20)).toEqual(bytes.subarray(10, 20));
    expect(file.slice(0, 1000)).toEqual(bytes);
    expect(file.slice(-5, 3)).toEqual(bytes.subarray(0, 3));
    expect(file.slice(990, 5000)).toEqual(bytes.subarray(990));
    expect(file.slice(2000, 3000).length).toBe(0);
    expect(file.slice(50, 40).length).toBe(0);
    expect(file.slice(1000, 1000).length).toBe(0);
  });

  it('returns what is left when the file shrinks under a slice', () => {
    const { path, file } = fileOf(bytes);
    truncateSync(path, 600);
    const got = file.slice(500, 800);
    expect(got).toEqual(bytes.subarray(500, 600));
    expect(file.slice(700, 800).length).toBe(0);
  });

  it('streams [start, end) clipped to the file, in chunks of at most the chunk size', async () => {
    const { file } = fileOf(bytes);
    expect(await collect(file.chunks(100, 350, 100))).toEqual({
      sizes: [100, 100, 50],
      bytes: bytes.subarray(100, 350),
    });
    expect(await collect(file.chunks(-10, 5000, 400))).toEqual({ sizes: [400, 400, 200], bytes });
    expect(await collect(file.chunks(0, 1000, 1000))).toEqual({ sizes: [1000], bytes });
    expect((await collect(file.chunks(300, 300, 10))).sizes).toEqual([]);
    expect((await collect(file.chunks(300, 200, 10))).sizes).toEqual([]);
    expect((await collect(file.chunks(1200, 1300, 10))).sizes).toEqual([]);
  });

  it('stops streaming where the file now ends when it shrank since it was opened', async () => {
    const { path, file } = fileOf(bytes);
    truncateSync(path, 250);
    expect(await collect(file.chunks(100, 400, 100))).toEqual({
      sizes: [100, 50],
      bytes: bytes.subarray(100, 250),
    });
  });

  it('tells a file changed in size or modification time since it was opened', () => {
    const same = fileOf(bytes);
    expect(same.file.unchanged()).toBe(true);
    const grown = fileOf(bytes);
    appendFileSync(grown.path, 'x');
    expect(grown.file.unchanged()).toBe(false);
    const touched = fileOf(bytes);
    utimesSync(touched.path, new Date(2001, 0, 1), new Date(2001, 0, 1));
    expect(touched.file.unchanged()).toBe(false);
    expect(touched.file.size).toBe(1000);
    // Another size under the same modification time (set back after the write) is a change too.
    const path = join(dir, `${count++}.bin`);
    writeFileSync(path, bytes);
    const when = new Date(2002, 0, 1);
    utimesSync(path, when, when);
    const file = ArchiveFile.open(path);
    opened.push(file);
    appendFileSync(path, 'x');
    utimesSync(path, when, when);
    expect(file.unchanged()).toBe(false);
  });

  it('closes its descriptor once: a second close does nothing (the number may belong to another file by then)', () => {
    const { file } = fileOf(bytes);
    file.close();
    expect(() => file.close()).not.toThrow();
    expect(() => file.slice(0, 10)).toThrow();
  });

  it('throws when the file cannot be opened', () => {
    expect(() => ArchiveFile.open(join(dir, 'missing.zip'))).toThrow(/ENOENT/);
  });
});

describe('PagedBytes', () => {
  /** 65 pages and a bit: one page more than the cache keeps. */
  let big: Buffer;
  beforeAll(() => {
    big = randomBytes(65 * PAGE + 100);
  });

  it('reads 16-, 32- and 64-bit values within a page, across a page boundary and at the last byte', () => {
    const { file } = fileOf(big);
    const view = new PagedBytes(file);
    expect(view.length).toBe(big.length);
    for (const at of [0, 1, PAGE - 4, PAGE - 3, PAGE - 1, PAGE, 3 * PAGE - 2, big.length - 8]) {
      expect(view.readUInt32LE(Math.min(at, big.length - 4))).toBe(
        big.readUInt32LE(Math.min(at, big.length - 4)),
      );
      expect(view.readUInt16LE(Math.min(at, big.length - 2))).toBe(
        big.readUInt16LE(Math.min(at, big.length - 2)),
      );
      expect(view.readBigUInt64LE(Math.min(at, big.length - 8))).toBe(
        big.readBigUInt64LE(Math.min(at, big.length - 8)),
      );
    }
    expect(view.readUInt16LE(big.length - 2)).toBe(big.readUInt16LE(big.length - 2));
  });

  it('refuses reads outside the file with a RangeError, as a Buffer does', () => {
    const { file } = fileOf(Buffer.from('0123456789'));
    const view = new PagedBytes(file);
    expect(view.readUInt16LE(8)).toBe(Buffer.from('89').readUInt16LE(0));
    expect(() => view.readUInt16LE(9)).toThrow(RangeError);
    expect(() => view.readUInt32LE(-1)).toThrow(RangeError);
    expect(() => view.readBigUInt64LE(3)).toThrow(RangeError);
    expect(view.readBigUInt64LE(2)).toBe(Buffer.from('23456789').readBigUInt64LE(0));
  });

  it('refuses a read outside the file before reading anything from it', () => {
    const { file } = fileOf(Buffer.from('0123456789'));
    const reads = vi.spyOn(file, 'slice');
    const view = new PagedBytes(file);
    expect(() => view.readUInt16LE(9)).toThrow(RangeError);
    expect(() => view.readUInt32LE(-1)).toThrow(RangeError);
    expect(() => view.readBigUInt64LE(10)).toThrow(RangeError);
    expect(reads).not.toHaveBeenCalled();
  });

  it('reads a page once while it is kept, and the next page only for a value that crosses into it', () => {
    const { file } = fileOf(big);
    const reads = vi.spyOn(file, 'slice');
    const view = new PagedBytes(file);
    view.readUInt32LE(10);
    view.readUInt32LE(PAGE - 4); // ends at the page's last byte: no second page
    view.readUInt16LE(200);
    expect(reads.mock.calls).toEqual([[0, PAGE]]);
    view.readUInt32LE(PAGE - 2); // crosses: page 1 is read
    expect(reads.mock.calls).toEqual([
      [0, PAGE],
      [PAGE, 2 * PAGE],
    ]);
  });

  it('keeps at most 64 pages: reading a 65th drops them all, so the first is read again', () => {
    const { file } = fileOf(big);
    const reads = vi.spyOn(file, 'slice');
    const view = new PagedBytes(file);
    for (let page = 0; page < 64; page++) view.readUInt16LE(page * PAGE);
    view.readUInt16LE(0);
    expect(reads).toHaveBeenCalledTimes(64);
    view.readUInt16LE(64 * PAGE);
    expect(reads).toHaveBeenCalledTimes(65);
    expect(view.readUInt16LE(5)).toBe(big.readUInt16LE(5));
    expect(reads).toHaveBeenCalledTimes(66);
    expect(reads.mock.calls[65]).toEqual([0, PAGE]);
  });
});
