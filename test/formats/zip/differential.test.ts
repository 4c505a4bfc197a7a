/**
 * The synchronous in-memory reader against the yauzl-based reader it replaced: same refusals, same
 * entries, same bytes, same budget accounting, whether entries are expanded at once or streamed. Inputs
 * are the corpus and fixture JARs, archives with large stored/deflated entries, ZIP64, a bomb, and
 * targeted lies in the central directory and local headers.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArchiveFile, openZip, type ZipArchive, type ZipLimits } from '../../../src/formats/zip/index.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { PROJECT_ROOT } from '../../helpers/tools.js';
import { zipOutcome } from './outcome.js';
import { openZipWithYauzl } from './yauzl-reader.js';

const LIMITS: Array<[string, ZipLimits]> = [
  ['default limits', DEFAULT_LIMITS],
  ['ratio unlimited', { ...DEFAULT_LIMITS, maxCompressionRatio: 1e9 }],
  ['budget 5000 bytes', { ...DEFAULT_LIMITS, maxArchiveUncompressedBytes: 5000 }],
];

/** Archives written to disk for the in-place reader; each is closed and removed with its ZipArchive. */
const opened: ArchiveFile[] = [];
let inPlaceCount = 0;
let inPlaceDir: string;
beforeAll(() => {
  inPlaceDir = tempDir('sigscan-zip-inplace-');
});
afterAll(() => {
  for (const file of opened) file.close();
  removeDir(inPlaceDir);
});

async function openInPlace(bytes: Uint8Array, limits: ZipLimits, options?: { syncReadMaxBytes: number }) {
  const path = join(inPlaceDir, `${inPlaceCount++}.zip`);
  writeFileSync(path, bytes);
  const file = ArchiveFile.open(path);
  opened.push(file);
  const release = () => {
    file.close();
    rmSync(path, { force: true });
  };
  try {
    const zip = await openZip(file, limits, options);
    const close = zip.close.bind(zip);
    zip.close = () => {
      close();
      release();
    };
    return zip;
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Every way of reading: expanded at once when small (the default), everything streamed, and both again
 * from the file in place (archives too large to hold are read that way).
 */
const READERS = [
  ['default', (b: Uint8Array, l: ZipLimits) => openZip(b, l)],
  ['streamed', (b: Uint8Array, l: ZipLimits) => openZip(b, l, { syncReadMaxBytes: 0 })],
  ['in place', (b: Uint8Array, l: ZipLimits) => openInPlace(b, l)],
  ['in place, streamed', (b: Uint8Array, l: ZipLimits) => openInPlace(b, l, { syncReadMaxBytes: 0 })],
] as const;

/** The structure checks (structure.ts) see the same disagreements through paged file reads as in memory. */
async function expectSameAmbiguities(bytes: Uint8Array, limits: ZipLimits): Promise<void> {
  const ambiguities = async (open: () => Promise<ZipArchive>) => {
    try {
      const zip = await open();
      const found = [...zip.ambiguities];
      zip.close();
      return found;
    } catch (err) {
      return `error ${(err as { code?: string }).code}`;
    }
  };
  expect(await ambiguities(() => openInPlace(bytes, limits))).toEqual(
    await ambiguities(() => openZip(bytes, limits)),
  );
}

async function expectSameAsYauzl(bytes: Uint8Array, limitSets = LIMITS): Promise<void> {
  await expectSameAmbiguities(bytes, limitSets[0]![1]);
  for (const [index, [limitsName, limits]] of limitSets.entries()) {
    const expected = await zipOutcome(openZipWithYauzl, bytes, limits);
    // The in-place readers share every line of the limit checks with the in-memory ones; one limit set
    // is enough to show they read the same archive, and keeps this file under its time budget.
    const readers = index === 0 ? READERS : READERS.filter(([name]) => !name.startsWith('in place'));
    for (const [readerName, open] of readers) {
      expect(await zipOutcome(open, bytes, limits), `${readerName} reader, ${limitsName}`).toEqual(expected);
    }
  }
}

/** About 1.5 MiB that deflate shrinks about twofold: over the sync limit, under any ratio limit. */
function text(): string {
  return randomBytes(768 * 1024).toString('hex');
}

/**
 * Each lie is read by six readers under three limit sets: about 40 s on a quiet machine, more than the
 * default minute on a shared one. A budget, not a speed check (speed lives in `npm run bench`).
 */
const LIES_TIMEOUT_MS = 240_000;

/** For archives without a bomb, where the ratio limit changes nothing. */
const NO_BOMB_LIMITS = LIMITS.filter(([name]) => name !== 'ratio unlimited');

function jarsIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.jar'))
    .map((n) => join(dir, n));
}

/** Offset of the central-directory header of `name`. */
function centralHeader(bytes: Uint8Array, name: string): number {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = buf.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1')); at >= 0;) {
    const nameLength = buf.readUInt16LE(at + 28);
    if (buf.subarray(at + 46, at + 46 + nameLength).toString('utf8') === name) return at;
    at = at === 0 ? -1 : buf.lastIndexOf(Buffer.from('PK\x01\x02', 'latin1'), at - 1);
  }
  throw new Error(`no central header for ${name}`);
}

function localHeader(bytes: Uint8Array, name: string): number {
  return Buffer.from(bytes.buffer, bytes.byteOffset).readUInt32LE(centralHeader(bytes, name) + 42);
}

function patched(bytes: Uint8Array, at: number, width: 2 | 4, value: number): Uint8Array {
  const out = Buffer.from(bytes);
  if (width === 2) out.writeUInt16LE(value & 0xffff, at);
  else out.writeUInt32LE(value >>> 0, at);
  return new Uint8Array(out);
}

describe('ZIP reader: same results as the yauzl reader it replaced', () => {
  let dir: string;
  let large: Uint8Array;
  let zip64: Uint8Array;
  let bomb: Uint8Array;
  beforeAll(() => {
    dir = tempDir('sigscan-zipdiff-');
    const src = join(dir, 'src');
    execFileSync('mkdir', ['-p', join(src, 'd')]);
    writeFileSync(join(src, 'd/random.bin'), randomBytes(1536 * 1024));
    writeFileSync(join(src, 'd/text.txt'), text());
    writeFileSync(join(src, 'small.txt'), 'small small small small\n'.repeat(25));
    writeFileSync(join(src, 'medium.txt'), randomBytes(50 * 1024).toString('hex'));
    writeFileSync(join(src, 'tiny.txt'), 'x'); // stored: deflate cannot shrink it
    writeFileSync(join(src, 'empty.txt'), '');
    // -n .bin keeps the random file stored; the text is deflated. Both are over the sync limit.
    execFileSync('zip', ['-q', '-r', '-n', '.bin', join(dir, 'large.zip'), '.'], { cwd: src });
    large = readBytes(join(dir, 'large.zip'));
    execFileSync('zip', ['-q', '-fz', '-r', join(dir, 'zip64.zip'), '.'], { cwd: src });
    zip64 = readBytes(join(dir, 'zip64.zip'));
    writeFileSync(join(dir, 'zeros.bin'), Buffer.alloc(4 * 1024 * 1024));
    execFileSync('zip', ['-q', '-j', join(dir, 'bomb.zip'), join(dir, 'zeros.bin')]);
    bomb = readBytes(join(dir, 'bomb.zip'));
  });
  afterAll(() => removeDir(dir));

  it('has the entry kinds the cases below rely on', async () => {
    const zip = await openZip(large, DEFAULT_LIMITS);
    const method = (name: string): number => zip.get(name)!.compressionMethod;
    expect([method('d/random.bin'), method('tiny.txt')]).toEqual([0, 0]);
    expect([method('d/text.txt'), method('small.txt'), method('medium.txt')]).toEqual([8, 8, 8]);
    expect(zip.get('d/text.txt')!.uncompressedSize).toBeGreaterThan(1024 * 1024);
    zip.close();
  });

  it('on every fixture and corpus JAR', async () => {
    const jars = [
      ...jarsIn(join(PROJECT_ROOT, 'fixtures', 'jar')),
      ...jarsIn(join(CORPUS_DIR, 'jar', 'equinox')),
    ];
    expect(jars.length).toBeGreaterThan(10);
    for (const jar of jars) await expectSameAsYauzl(readBytes(jar));
  });

  it('on large stored and deflated entries, ZIP64 and a bomb', async () => {
    await expectSameAsYauzl(large);
    await expectSameAsYauzl(zip64);
    await expectSameAsYauzl(bomb);
  });

  it(
    'on lies in the central directory',
    async () => {
      for (const name of ['d/text.txt', 'small.txt', 'medium.txt', 'd/random.bin', 'tiny.txt', 'empty.txt']) {
        const cdh = centralHeader(large, name);
        const size = Buffer.from(large).readUInt32LE(cdh + 24);
        const csize = Buffer.from(large).readUInt32LE(cdh + 20);
        for (const [field, value] of [
          [24, size + 1],
          [24, size - 1],
          [24, 0],
          [24, 10],
          [20, csize - 1],
          [20, csize + 1],
          [20, 0],
          [20, large.length],
          [42, 0],
          [42, large.length],
        ] as const) {
          await expectSameAsYauzl(patched(large, cdh + field, 4, value), NO_BOMB_LIMITS);
        }
        for (const method of [0, 8, 12, 99])
          await expectSameAsYauzl(patched(large, cdh + 10, 2, method), NO_BOMB_LIMITS);
        await expectSameAsYauzl(patched(large, cdh + 8, 2, 0x1), NO_BOMB_LIMITS); // traditional encryption
        await expectSameAsYauzl(patched(large, cdh + 8, 2, 0x40), NO_BOMB_LIMITS); // strong encryption
      }
    },
    LIES_TIMEOUT_MS,
  );

  it(
    'on lies in the central-directory header fields it reads itself (signature, lengths, extra fields, ZIP64)',
    async () => {
      for (const name of ['small.txt', 'd/random.bin', 'empty.txt']) {
        const cdh = centralHeader(large, name);
        const buf = Buffer.from(large);
        const nameLength = buf.readUInt16LE(cdh + 28);
        const extraLength = buf.readUInt16LE(cdh + 30);
        await expectSameAsYauzl(patched(large, cdh, 4, 0x02014b51), NO_BOMB_LIMITS);
        for (const [field, value] of [
          [28, nameLength + 1],
          [28, nameLength - 1],
          [28, 0xffff],
          [30, extraLength + 1],
          [30, extraLength - 1],
          [30, 0xffff],
          [32, 5],
          [32, 0xffff],
        ] as const) {
          await expectSameAsYauzl(patched(large, cdh + field, 2, value), NO_BOMB_LIMITS);
        }
        // Info-ZIP writes extra fields (UT, ux): the first one renamed ZIP64 is too short for any 64-bit size.
        expect(extraLength).toBeGreaterThanOrEqual(4);
        const zip64 = patched(large, cdh + 46 + nameLength, 2, 0x0001);
        await expectSameAsYauzl(zip64, NO_BOMB_LIMITS);
        for (const field of [24, 20, 42]) {
          await expectSameAsYauzl(patched(zip64, cdh + field, 4, 0xffffffff), NO_BOMB_LIMITS);
        }
      }
    },
    LIES_TIMEOUT_MS,
  );

  it(
    'on lies in the end records (the search for them, comment length, disk numbers, ZIP64 locator and record)',
    async () => {
      const sig = (bytes: Uint8Array, s: string) =>
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).lastIndexOf(Buffer.from(s, 'latin1'));
      const eocd = sig(large, 'PK\x05\x06');
      expect(eocd).toBe(large.length - 22);
      const u16 = (at: number) => Buffer.from(large).readUInt16LE(at);
      const u32 = (at: number) => Buffer.from(large).readUInt32LE(at);
      for (const [field, width, value] of [
        [20, 2, 1], // comment length with no comment
        [4, 2, 1], // disk number
        [10, 2, u16(eocd + 10) + 1], // entry count
        [10, 2, u16(eocd + 10) - 1],
        [10, 2, 0],
        [10, 2, 0xffff],
        [16, 4, u32(eocd + 16) + 1], // central directory offset
        [16, 4, 0],
        [16, 4, large.length],
        [0, 4, 0x06054b51], // no signature at all
      ] as const) {
        await expectSameAsYauzl(patched(large, eocd + field, width, value), NO_BOMB_LIMITS);
      }
      const withComment = (comment: Buffer) => {
        const out = Buffer.concat([Buffer.from(large), comment]);
        out.writeUInt16LE(comment.length, eocd + 20);
        return new Uint8Array(out);
      };
      await expectSameAsYauzl(withComment(Buffer.from('a comment')), NO_BOMB_LIMITS);
      // An end record inside the comment: the last signature is the one read.
      await expectSameAsYauzl(withComment(Buffer.from(large.subarray(eocd))), NO_BOMB_LIMITS);
      await expectSameAsYauzl(
        new Uint8Array(Buffer.concat([Buffer.from(large), Buffer.from('x')])),
        NO_BOMB_LIMITS,
      );
      // Shorter than an end record, and an end record alone (an empty archive).
      for (const n of [1, 21, 22]) await expectSameAsYauzl(large.subarray(large.length - n), NO_BOMB_LIMITS);

      const locator = sig(zip64, 'PK\x06\x07');
      const record = sig(zip64, 'PK\x06\x06');
      expect(locator).toBe(zip64.length - 22 - 20);
      expect(record).toBeGreaterThan(0);
      for (const [at, width, value] of [
        [locator + 8, 4, record + 1], // the locator points elsewhere
        [locator + 8, 4, 0],
        [locator + 8, 4, zip64.length - 10], // a record cut short by the end of the file
        [locator + 8, 4, zip64.length],
        [locator + 12, 4, 1], // beyond 2^32
        [record, 4, 0x06064b51],
        [record + 16, 4, 1], // disk number
        [record + 32, 4, Buffer.from(zip64).readUInt32LE(record + 32) + 1], // entry count
        [record + 48, 4, Buffer.from(zip64).readUInt32LE(record + 48) + 1], // central directory offset
      ] as const) {
        await expectSameAsYauzl(patched(zip64, at, width, value), NO_BOMB_LIMITS);
      }
    },
    LIES_TIMEOUT_MS,
  );

  it(
    'on lies in local headers and corrupt data',
    async () => {
      for (const name of ['d/text.txt', 'small.txt', 'medium.txt', 'd/random.bin']) {
        const lfh = localHeader(large, name);
        for (const delta of [-1, 1, 200]) {
          const nameLength = Buffer.from(large).readUInt16LE(lfh + 26);
          await expectSameAsYauzl(patched(large, lfh + 26, 2, nameLength + delta), NO_BOMB_LIMITS);
          await expectSameAsYauzl(patched(large, lfh + 28, 2, delta < 0 ? 0 : delta), NO_BOMB_LIMITS);
        }
        await expectSameAsYauzl(patched(large, lfh, 4, 0x04034b51), NO_BOMB_LIMITS);
        const nameLength = Buffer.from(large).readUInt16LE(lfh + 26);
        // A name of the same length that differs in its first or last byte (compared in place).
        for (const at of [lfh + 30, lfh + 30 + nameLength - 1]) {
          await expectSameAsYauzl(
            patched(large, at, 2, Buffer.from(large).readUInt16LE(at) ^ 0x01),
            NO_BOMB_LIMITS,
          );
        }
        const data = lfh + 30 + nameLength + Buffer.from(large).readUInt16LE(lfh + 28);
        for (const at of [data, data + 1, data + 100]) {
          await expectSameAsYauzl(
            patched(large, at, 4, Buffer.from(large).readUInt32LE(at) ^ 0x5a5aa5a5),
            NO_BOMB_LIMITS,
          );
        }
      }
      await expectSameAsYauzl(large.subarray(0, large.length - 1), NO_BOMB_LIMITS);
      await expectSameAsYauzl(
        new Uint8Array(Buffer.concat([Buffer.from('stub bytes'), large])),
        NO_BOMB_LIMITS,
      );
    },
    LIES_TIMEOUT_MS,
  );
});

describe('ZIP reader: entry data', () => {
  let dir: string;
  let large: Uint8Array;
  beforeAll(() => {
    dir = tempDir('sigscan-zipdata-');
    writeFileSync(join(dir, 'text.txt'), text());
    writeFileSync(join(dir, 'small.txt'), 'small small small small small small\n'.repeat(20));
    execFileSync('zip', ['-q', '-j', join(dir, 'a.zip'), join(dir, 'text.txt'), join(dir, 'small.txt')]);
    large = readBytes(join(dir, 'a.zip'));
  });
  afterAll(() => removeDir(dir));

  it('stops a deflate stream that expands past its declared size, at once or streamed', async () => {
    for (const name of ['text.txt', 'small.txt']) {
      const lie = patched(large, centralHeader(large, name) + 24, 4, 10);
      for (const [, open] of READERS) {
        const zip = await open(lie, DEFAULT_LIMITS);
        const entry = zip.get(name)!;
        await expect(zip.read(entry)).rejects.toMatchObject({ code: 'MALFORMED_ZIP' });
        // Only the declared size was charged: nothing beyond it was kept.
        expect(zip.bytesRead).toBe(10);
        zip.close();
      }
    }
  });

  it('returns fresh, exactly sized arrays from read (never a view of the archive)', async () => {
    for (const [, open] of READERS) {
      const zip = await open(large, DEFAULT_LIMITS);
      for (const entry of zip.entries) {
        const bytes = await zip.read(entry);
        expect(bytes.byteOffset).toBe(0);
        expect(bytes.buffer.byteLength).toBe(entry.uncompressedSize);
        const copy = bytes.slice();
        bytes.fill(0x5a);
        expect(Buffer.compare(await zip.read(entry), copy)).toBe(0);
      }
      zip.close();
    }
  });

  it('streams large entries in bounded chunks', async () => {
    const zip = await openZip(large, DEFAULT_LIMITS);
    const entry = zip.get('text.txt')!;
    expect(entry.uncompressedSize).toBeGreaterThan(1024 * 1024);
    let chunks = 0;
    for await (const chunk of zip.stream(entry)) {
      expect(chunk.byteLength).toBeLessThanOrEqual(64 * 1024);
      chunks++;
    }
    expect(chunks).toBeGreaterThan(10);
    zip.close();
  });

  it('refuses to read after close', async () => {
    const zip = await openZip(large, DEFAULT_LIMITS);
    const entry = zip.get('small.txt')!;
    zip.close();
    await expect(zip.read(entry)).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(zip.entries.map((e) => e.name)).toEqual(['text.txt', 'small.txt']);
  });
});
