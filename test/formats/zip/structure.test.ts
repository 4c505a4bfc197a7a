/**
 * The "one archive, one reading" checks (src/formats/zip/structure.ts): every point where java.util.zip's
 * ZipFile (jarsigner, class loaders), streaming readers (JarInputStream) and offset readers (yauzl, ours)
 * could read different archives. Archives are made by Info-ZIP zip (plain, ZIP64, streamed with data
 * descriptors, with comments and extra fields) and by the JDK's jar tool, then changed by byte surgery;
 * each is opened by the reader (in memory and in place) and its disagreements are asserted by kind and by
 * the numbers they carry (bytes in a gap, headers counted), so that each check and each bound is held.
 * Java's own reading of the same bytes is in test/integration/jar-zip-ambiguity.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ArchiveFile, openZip } from '../../../src/formats/zip/index.js';
import { readingDisagreements, type OffsetReading } from '../../../src/formats/zip/structure.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { apkFixtures, apkLayout, rawPairs, withPairs } from '../../helpers/apk/index.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { compileJavaReaders } from '../../helpers/jar/java-readers.js';
import { removeDir, tempDir } from '../../helpers/jar/index.js';

const END_SIG = 0x06054b50;
const CEN_SIG = 0x02014b50;
const LOC_SIG = 0x04034b50;
const END_SIZE = 22;

/**
 * Which check a disagreement comes from, and the numbers it carries: a gap's byte count, a count's two
 * numbers. A classification (a reworded message fails here loudly), not the wording itself.
 */
function kind(message: string): string {
  const gap = /^(\d+) bytes between/.exec(message);
  if (gap) return `gap ${gap[1]}`;
  const count = /holds (\d+) headers but the end record declares (\d+)/.exec(message);
  if (count) return `count ${count[1]}/${count[2]}`;
  const more = /^and (\d+) more gaps/.exec(message);
  if (more) return `more ${more[1]}`;
  const kinds: Array<[RegExp, string]> = [
    [/^no end-of-central-directory/, 'no end'],
    [/ZIP64 locator points at no ZIP64 end record/, 'bad locator'],
    [/ZIP64 end record disagrees/, 'zip64 disagrees'],
    [/larger than what precedes it/, 'too large'],
    [/by its position and size/, 'offset'],
    [/not filled exactly/, 'size'],
    [/ overlaps /, 'overlap'],
    [/data descriptor of .* another CRC-32/, 'crc'],
  ];
  for (const [re, name] of kinds) if (re.test(message)) return name;
  return `unknown: ${message}`;
}

let dir: string;
let inPlace = 0;
beforeAll(() => {
  dir = tempDir('sigscan-zip-structure-');
});
afterAll(() => removeDir(dir));

/** The disagreements the reader finds, read in memory and in place (the paged reads must agree). */
async function found(bytes: Buffer): Promise<string[]> {
  const memory = await openZip(new Uint8Array(bytes), DEFAULT_LIMITS);
  const path = join(dir, `${inPlace++}.zip`);
  writeFileSync(path, bytes);
  const file = ArchiveFile.open(path);
  try {
    const paged = await openZip(file, DEFAULT_LIMITS);
    expect([...paged.ambiguities]).toEqual([...memory.ambiguities]);
  } finally {
    file.close();
  }
  return memory.ambiguities.map(kind);
}

/** Offsets of the central-directory headers, walked from the end record's offset (no ZIP64). */
function centralHeaders(buf: Buffer): number[] {
  const end = buf.lastIndexOf(u32(END_SIG));
  const out: number[] = [];
  let p = buf.readUInt32LE(end + 16);
  for (let n = buf.readUInt16LE(end + 10); n > 0; n--) {
    expect(buf.readUInt32LE(p)).toBe(CEN_SIG);
    out.push(p);
    p += 46 + buf.readUInt16LE(p + 28) + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * `bytes` inserted at `at` with every offset that points past it moved (local header offsets, the end
 * record's directory offset), as `zip -A` adjusts them: the archive stays consistent, only the layout
 * has bytes no entry accounts for.
 */
function insertAdjusted(buf: Buffer, at: number, bytes: Buffer): Buffer {
  const out = Buffer.concat([buf.subarray(0, at), bytes, buf.subarray(at)]);
  const end = out.lastIndexOf(u32(END_SIG));
  for (const h of centralHeaders(buf)) {
    const moved = h >= at ? h + bytes.length : h;
    const local = out.readUInt32LE(moved + 42);
    if (local >= at) out.writeUInt32LE(local + bytes.length, moved + 42);
  }
  const cenoff = out.readUInt32LE(end + 16);
  if (cenoff >= at) out.writeUInt32LE(cenoff + bytes.length, end + 16);
  return out;
}

/** Bytes inserted between the central directory and the end record, offsets left as they were. */
function beforeEnd(buf: Buffer, bytes: Buffer): Buffer {
  const end = buf.lastIndexOf(u32(END_SIG));
  return Buffer.concat([buf.subarray(0, end), bytes, buf.subarray(end)]);
}

function patched(buf: Buffer, edit: (b: Buffer, end: number) => void): Buffer {
  const out = Buffer.from(buf);
  edit(out, out.lastIndexOf(u32(END_SIG)));
  return out;
}

const FILES: Record<string, string> = {
  'a.txt': 'hello\n',
  'b.txt': 'b'.repeat(300) + '\n',
  'c.txt': 'the third entry, which deflate shrinks a little little little\n',
};
const MANY = ['1', '2', '3', '4', '5', '6', '7'].map((n) => `${n}.txt`);

const PIPED64 = [
  'import sys, zipfile',
  "with zipfile.ZipFile(sys.stdout.buffer, 'w', zipfile.ZIP_DEFLATED) as z:",
  '    for name in sys.argv[1:]:',
  "        with open(name, 'rb') as f, z.open(name, 'w', force_zip64=True) as w:",
  '            w.write(f.read())',
].join('\n');

interface Archives {
  /** a, b, c deflated, no extra fields (zip -X). */
  plain: Buffer;
  /** a, b, c with Info-ZIP's UT/ux extra fields and an entry comment each. */
  commented: Buffer;
  /** plain with an archive comment. */
  archiveComment: Buffer;
  /** a, b, c as ZIP64 (zip -fz): a ZIP64 end record and locator, the end record's offset 0xFFFFFFFF. */
  zip64: Buffer;
  /** zip to a pipe: data descriptors with a signature and 4-byte sizes (16 bytes). */
  piped: Buffer;
  /** Python's zipfile to a pipe, ZIP64 forced: data descriptors with a signature and 8-byte sizes (24 bytes). */
  piped64: Buffer;
  /** The JDK's jar tool: deflated entries with 16-byte data descriptors. */
  jar: Buffer;
  /** 1.txt … 7.txt stored. */
  many: Buffer;
  /** Info-ZIP with no entries: the end record alone. */
  empty: Buffer;
  /** JarInputStream's entries of piped.zip with 8 bytes after its first entry's descriptor. */
  javaStream: string[];
  /** JarFile's entries of the same archive. */
  javaZipFile: string[];
}

let zips: Archives;
beforeAll(async () => {
  const made = await cachedFixtureDir('zip-structure-v3', async (out) => {
    for (const [name, data] of Object.entries(FILES)) writeFileSync(join(out, name), data);
    for (const name of MANY) writeFileSync(join(out, name), `entry ${name}\n`);
    const names = Object.keys(FILES);
    const sh = (cmd: string, input?: string) =>
      execFileSync('sh', ['-c', cmd], { cwd: out, ...(input === undefined ? {} : { input }) });
    sh(`zip -q -X plain.zip ${names.join(' ')}`);
    sh(`zip -q -c commented.zip ${names.join(' ')}`, 'first comment\nsecond\nthird one\n');
    sh(`cp plain.zip archive-comment.zip && zip -q -z archive-comment.zip`, 'an archive comment\n');
    sh(`zip -q -X -fz zip64.zip ${names.join(' ')}`);
    sh(`zip -q -X - ${names.join(' ')} | cat > piped.zip`);
    // Info-ZIP's own -fz to a pipe writes end records unzip refuses; Python's zipfile writes them right.
    writeFileSync(join(out, 'piped64.py'), PIPED64);
    sh(`python3 piped64.py ${names.join(' ')} | cat > piped64.zip`);
    sh(`jar cfM0 stored.jar a.txt && jar cfM made.jar ${names.join(' ')}`);
    sh(`zip -q -X -0 many.zip ${MANY.join(' ')}`);
    sh(`zip -q -X empty.zip a.txt && zip -q -d empty.zip a.txt`);
    // How the JDK's readers see piped.zip with 8 bytes after its first entry's descriptor.
    const piped = readFileSync(join(out, 'piped.zip'));
    const second = dataOf(piped, centralHeaders(piped)[1]!).local;
    writeFileSync(join(out, 'gap8.zip'), insertAdjusted(piped, second, Buffer.alloc(8)));
    const java = await compileJavaReaders(out);
    writeFileSync(join(out, 'gap8.stream.json'), JSON.stringify(await java.stream(join(out, 'gap8.zip'))));
    writeFileSync(join(out, 'gap8.zipfile.json'), JSON.stringify(await java.zipFile(join(out, 'gap8.zip'))));
  });
  const read = (name: string) => readFileSync(join(made, name));
  zips = {
    plain: read('plain.zip'),
    commented: read('commented.zip'),
    archiveComment: read('archive-comment.zip'),
    zip64: read('zip64.zip'),
    piped: read('piped.zip'),
    piped64: read('piped64.zip'),
    jar: read('made.jar'),
    many: read('many.zip'),
    empty: read('empty.zip'),
    javaStream: JSON.parse(read('gap8.stream.json').toString()) as string[],
    javaZipFile: JSON.parse(read('gap8.zipfile.json').toString()) as string[],
  };
});

describe('one reading: archives as their tools write them', () => {
  it('finds no disagreement in Info-ZIP, ZIP64, streamed and jar-tool archives', async () => {
    expect(zips.commented.readUInt16LE(centralHeaders(zips.commented)[0]! + 32)).toBeGreaterThan(0);
    expect(zips.commented.readUInt16LE(centralHeaders(zips.commented)[0]! + 30)).toBeGreaterThan(0);
    expect(zips.empty.length).toBe(END_SIZE);
    for (const bytes of Object.values(zips)) {
      if (Buffer.isBuffer(bytes)) expect(await found(bytes)).toEqual([]);
    }
  });
});

/** Where an entry's data starts and ends, by its central header at `h`. */
function dataOf(buf: Buffer, h: number): { local: number; start: number; end: number } {
  const local = buf.readUInt32LE(h + 42);
  expect(buf.readUInt32LE(local)).toBe(LOC_SIG);
  const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
  return { local, start, end: start + buf.readUInt32LE(h + 20) };
}

function cenoffOf(buf: Buffer): number {
  return buf.readUInt32LE(buf.lastIndexOf(u32(END_SIG)) + 16);
}

describe('the central directory: where the JDK finds it and what fills it', () => {
  it('bytes between the directory and the end record, offsets kept: the JDK reads at another position', async () => {
    // A second copy of the directory before the end record: the JDK reads the copy, yauzl the first.
    const cenoff = cenoffOf(zips.plain);
    const copy = zips.plain.subarray(cenoff, zips.plain.lastIndexOf(u32(END_SIG)));
    expect(await found(beforeEnd(zips.plain, copy))).toEqual(['offset']);
    // Bytes that are no copy: the JDK also finds no header where it looks.
    expect(await found(beforeEnd(zips.plain, Buffer.from('7 bytes')))).toEqual(['offset', 'size']);
  });

  it('a directory size that counts bytes no header fills: bad header size', async () => {
    const grow = (pad: Buffer) =>
      patched(beforeEnd(zips.plain, pad), (b, end) =>
        b.writeUInt32LE(b.readUInt32LE(end + 12) + pad.length, end + 12),
      );
    expect(await found(grow(Buffer.from('ten bytes!')))).toEqual(['size']);
    // Exactly a header's fixed size of zeros: not a header (no signature), so still not filled.
    expect(await found(grow(Buffer.alloc(46)))).toEqual(['size']);
  });

  it('a size one byte short: the JDK starts a byte late, finds no header and fills nothing', async () => {
    const short = patched(zips.plain, (b, end) => b.writeUInt32LE(b.readUInt32LE(end + 12) - 1, end + 12));
    expect(await found(short)).toEqual(['offset', 'size']);
  });

  it('fewer entries declared than headers: the JDK reads all three, yauzl two, and the third is a gap', async () => {
    const headers = centralHeaders(zips.plain);
    const third = dataOf(zips.plain, headers[2]!);
    const fewer = patched(zips.plain, (b, end) => {
      b.writeUInt16LE(2, end + 8);
      b.writeUInt16LE(2, end + 10);
    });
    expect(await found(fewer)).toEqual(['count 3/2', `gap ${cenoffOf(zips.plain) - third.local}`]);
  });

  it('a directory larger than what precedes the end record, or than its offset allows: refused', async () => {
    const size = (n: number) => patched(zips.plain, (b, end) => b.writeUInt32LE(n, end + 12));
    expect(await found(size(0x7fffffff))).toEqual(['too large']);
    const cenlen = zips.plain.readUInt32LE(zips.plain.lastIndexOf(u32(END_SIG)) + 12);
    expect(await found(size(cenlen + 10))).toEqual(['too large']);
  });

  it('headers with names, extra fields and comments are counted by all three lengths', async () => {
    // Each length moved to another: the headers no longer fill the directory where the JDK counts them.
    const h = centralHeaders(zips.commented)[0]!;
    const lengths = [28, 30, 32].map((at) => zips.commented.readUInt16LE(h + at));
    expect(lengths.every((n) => n > 0)).toBe(true);
    expect(await found(zips.commented)).toEqual([]);
  });
});

describe('ZIP64: the JDK follows the ZIP64 end record only when it double-checks against the end record', () => {
  /** The ZIP64 end record's offset, by the locator before the end record. */
  const end64Of = (b: Buffer, end: number) => Number(b.readBigUInt64LE(end - 20 + 8));
  const edit = (fn: (b: Buffer, end: number, end64: number) => void) =>
    patched(zips.zip64, (b, end) => fn(b, end, end64Of(b, end)));

  it('Info-ZIP writes the offset as 0xFFFFFFFF; the real value, the size and the count as markers also agree', async () => {
    const end = zips.zip64.lastIndexOf(u32(END_SIG));
    expect(zips.zip64.readUInt32LE(end + 16)).toBe(0xffffffff);
    expect(zips.zip64.readUInt32LE(end - 20)).toBe(0x07064b50);
    const real = edit((b, e, z) => b.writeUInt32LE(Number(b.readBigUInt64LE(z + 48)), e + 16));
    expect(await found(real)).toEqual([]);
    expect(await found(edit((b, e) => b.writeUInt32LE(0xffffffff, e + 12)))).toEqual([]);
    expect(await found(edit((b, e) => b.writeUInt16LE(0xffff, e + 10)))).toEqual([]);
  });

  it('each field that differs from the ZIP64 record without being the marker: the JDK refuses', async () => {
    const offset = edit((b, e, z) => b.writeUInt32LE(Number(b.readBigUInt64LE(z + 48)) + 1, e + 16));
    expect(await found(offset)).toEqual(['zip64 disagrees']);
    const size = edit((b, e) => b.writeUInt32LE(b.readUInt32LE(e + 12) + 1, e + 12));
    expect(await found(size)).toEqual(['zip64 disagrees']);
    const size64 = edit((b, _e, z) => b.writeBigUInt64LE(b.readBigUInt64LE(z + 40) + 1n, z + 40));
    expect(await found(size64)).toEqual(['zip64 disagrees']);
    const count = edit((b, e) => b.writeUInt16LE(2, e + 10));
    expect(await found(count)).toEqual(['zip64 disagrees']);
  });

  it('an agreeing ZIP64 size larger than what precedes the ZIP64 record: refused', async () => {
    const huge = edit((b, e, z) => {
      b.writeUInt32LE(0xffffffff, e + 12);
      b.writeBigUInt64LE(BigInt(z + 1), z + 40);
    });
    expect(await found(huge)).toEqual(['too large']);
  });
});

describe('the layout: bytes no entry accounts for, and entries that overlap', () => {
  it('a stub before the first entry, offsets adjusted as zip -A does', async () => {
    expect(await found(insertAdjusted(zips.plain, 0, Buffer.alloc(30, 0x41)))).toEqual(['gap 30']);
  });

  it('bytes hidden between two entries, and between the last entry and the directory', async () => {
    const second = dataOf(zips.plain, centralHeaders(zips.plain)[1]!).local;
    expect(await found(insertAdjusted(zips.plain, second, Buffer.alloc(25, 0x42)))).toEqual(['gap 25']);
    expect(await found(insertAdjusted(zips.plain, cenoffOf(zips.plain), Buffer.alloc(9)))).toEqual(['gap 9']);
  });

  it('an entry pointed at another one: an overlap, and its own bytes a gap', async () => {
    const [, hb, hc] = centralHeaders(zips.plain);
    const b = dataOf(zips.plain, hb!);
    const c = dataOf(zips.plain, hc!);
    const overlapped = patched(zips.plain, (buf) => buf.writeUInt32LE(b.local, hc! + 42));
    const csize = c.end - c.start;
    const expectedEnd = Math.max(b.end, b.start + csize);
    expect(await found(overlapped)).toEqual(['overlap', `gap ${cenoffOf(zips.plain) - expectedEnd}`]);
  });

  it('five problems are all listed; from six on, the first five and a count of the rest', async () => {
    const headers = centralHeaders(zips.many);
    const atZero = (n: number) =>
      patched(zips.many, (b) => {
        for (const h of headers.slice(1, n + 1)) b.writeUInt32LE(0, h + 42);
      });
    // n entries moved onto the first: n overlaps, and their own bytes one gap.
    const gapOf = (n: number) =>
      dataOf(zips.many, headers[n + 1]!).local - dataOf(zips.many, headers[0]!).end;
    expect(await found(atZero(4))).toEqual(['overlap', 'overlap', 'overlap', 'overlap', `gap ${gapOf(4)}`]);
    expect(await found(atZero(5))).toEqual(['overlap', 'overlap', 'overlap', 'overlap', 'overlap', 'more 1']);
    const all = await found(atZero(6));
    expect(all).toEqual(['overlap', 'overlap', 'overlap', 'overlap', 'overlap', 'more 2']);
  });
});

describe('data descriptors: the four forms, where they end, and their CRC-32', () => {
  /** The archive with the signature of its last entry's descriptor cut out (offsets moved). */
  function unsigned(buf: Buffer, descriptor: number): Buffer {
    const cenoff = cenoffOf(buf);
    const at = cenoff - descriptor;
    expect(buf.readUInt32LE(at)).toBe(0x08074b50);
    const out = Buffer.concat([buf.subarray(0, at), buf.subarray(at + 4)]);
    const end = out.lastIndexOf(u32(END_SIG));
    out.writeUInt32LE(cenoff - 4, end + 16);
    return out;
  }

  it('16 and 24 bytes with a signature, 12 and 20 without: each ends where the next structure starts', async () => {
    const last = centralHeaders(zips.piped).at(-1)!;
    expect(zips.piped.readUInt16LE(last + 8) & 8).toBe(8);
    expect(cenoffOf(zips.piped) - dataOf(zips.piped, last).end).toBe(16);
    expect(await found(unsigned(zips.piped, 16))).toEqual([]);
    expect(await found(unsigned(zips.jar, 16))).toEqual([]);
    // Python's ZIP64 entries record 0xFFFFFFFF sizes in their local headers; the central directory's are real.
    const last64 = centralHeaders(zips.piped64).at(-1)!;
    expect(cenoffOf(zips.piped64) - dataOf(zips.piped64, last64).end).toBe(24);
    expect(await found(unsigned(zips.piped64, 24))).toEqual([]);
  });

  it('a descriptor followed by bytes of no entry: the gap is counted after the form the entry has', async () => {
    expect(await found(insertAdjusted(zips.piped, cenoffOf(zips.piped), Buffer.alloc(3)))).toEqual(['gap 3']);
    expect(await found(insertAdjusted(zips.piped64, cenoffOf(zips.piped64), Buffer.alloc(3)))).toEqual([
      'gap 3',
    ]);
    const bare = unsigned(zips.piped, 16);
    expect(await found(insertAdjusted(bare, cenoffOf(bare), Buffer.alloc(5)))).toEqual(['gap 5']);
  });

  it('8 bytes after the 16-byte descriptor of an entry that is no ZIP64 entry: a gap, not a 24-byte form', async () => {
    // JarInputStream reads 4-byte sizes for such an entry, then finds no local header in the 8 bytes and
    // ends the archive there: it sees the first entry of three where ZipFile sees all three (the cached
    // answers of the JDK's readers, made with the archive below).
    const second = (b: Buffer) => dataOf(b, centralHeaders(b)[1]!).local;
    expect(await found(insertAdjusted(zips.piped, second(zips.piped), Buffer.alloc(8)))).toEqual(['gap 8']);
    expect(await found(insertAdjusted(zips.jar, second(zips.jar), Buffer.alloc(8)))).toEqual(['gap 8']);
    const bare = unsigned(zips.piped, 16);
    expect(await found(insertAdjusted(bare, cenoffOf(bare), Buffer.alloc(8)))).toEqual(['gap 8']);
    expect(zips.javaStream).toEqual(['a.txt\tunsigned']);
    expect(zips.javaZipFile).toEqual(['a.txt\tunsigned', 'b.txt\tunsigned', 'c.txt\tunsigned']);
  });

  it('a descriptor with 8-byte sizes is read for an entry with a ZIP64 field in its local header', async () => {
    // JDK 21+ (ZipInputStream.hasZip64Extra) reads 8-byte sizes there; JDK 17 reads 4-byte ones and fails
    // on the sizes, so it reads no other entry.
    const first = dataOf(zips.piped64, centralHeaders(zips.piped64)[0]!);
    expect(zips.piped64.readUInt16LE(first.local + 30 + zips.piped64.readUInt16LE(first.local + 26))).toBe(1);
    expect(await found(zips.piped64)).toEqual([]);
    // Its last descriptor cut to 16 bytes (8-byte sizes lost): 8 bytes short of the form.
    const end = cenoffOf(zips.piped64);
    const cut = Buffer.concat([zips.piped64.subarray(0, end - 8), zips.piped64.subarray(end)]);
    const eocd = cut.lastIndexOf(u32(END_SIG));
    cut.writeUInt32LE(end - 8, eocd + 16);
    expect(await found(cut)).toEqual(['overlap']);
  });

  it('a descriptor CRC-32 other than the directory one, signed or not: readers disagree on the entry', async () => {
    const crcChanged = (buf: Buffer, index: number, sigBytes: number) => {
      const end = dataOf(buf, centralHeaders(buf)[index]!).end;
      return patched(buf, (b) => b.writeUInt32LE((b.readUInt32LE(end + sigBytes) ^ 1) >>> 0, end + sigBytes));
    };
    expect(await found(crcChanged(zips.piped, 0, 4))).toEqual(['crc']);
    expect(await found(crcChanged(zips.jar, 2, 4))).toEqual(['crc']);
    expect(await found(crcChanged(zips.piped64, 1, 4))).toEqual(['crc']);
    const bare = unsigned(zips.piped, 16);
    expect(await found(crcChanged(bare, 2, 0))).toEqual(['crc']);
    // The size fields after it are not compared: a changed one is no CRC-32 disagreement.
    expect(await found(crcChanged(zips.piped, 0, 8))).toEqual([]);
  });
});

describe('the end record search (findEND): the last signature, its comment running to the end of the file', () => {
  const none: OffsetReading = { centralDirectoryOffset: 0, entryCount: 0, entries: [] };

  it('an archive comment of the largest length, 65535 bytes: the end record is still found', async () => {
    const comment = Buffer.alloc(0xffff, 0x20);
    const out = patched(Buffer.concat([zips.plain, comment]), (b) => {
      const end = zips.plain.length - END_SIZE;
      b.writeUInt16LE(0xffff, end + 20);
    });
    expect(await found(out)).toEqual([]);
    expect(await found(zips.archiveComment)).toEqual([]);
  });

  it('no signature, or a last one whose comment does not run to the end: no end record (yauzl refuses too)', () => {
    expect(readingDisagreements(Buffer.alloc(100, 0x61), none).map(kind)).toEqual(['no end']);
    expect(readingDisagreements(Buffer.concat([zips.plain, Buffer.from('tail')]), none).map(kind)).toEqual([
      'no end',
    ]);
    // A fake end record in the comment, its own comment length wrong: the search stops there.
    const fake = Buffer.alloc(END_SIZE);
    fake.writeUInt32LE(END_SIG, 0);
    fake.writeUInt16LE(1, 20);
    const withFake = patched(Buffer.concat([zips.plain, fake]), (b) =>
      b.writeUInt16LE(END_SIZE, zips.plain.length - 2),
    );
    expect(readingDisagreements(withFake, none).map(kind)).toEqual(['no end']);
    expect(readingDisagreements(Buffer.alloc(10), none).map(kind)).toEqual(['no end']);
  });

  it('a ZIP64 locator that points at no usable record: the JDK ignores it (yauzl refuses the file)', () => {
    const end = zips.zip64.lastIndexOf(u32(END_SIG));
    const locate = (at: bigint, tail?: Buffer) => {
      const out = Buffer.concat([zips.zip64, tail ?? Buffer.alloc(0)]);
      out.writeBigUInt64LE(at, end - 20 + 8);
      if (tail) out.writeUInt16LE(tail.length, end + 20);
      return readingDisagreements(out, none).map(kind);
    };
    expect(locate(0n)).toEqual(['bad locator']);
    expect(locate(1n << 60n)).toEqual(['bad locator']);
    expect(locate(BigInt(zips.zip64.length))).toEqual(['bad locator']);
    // A ZIP64 signature 4 bytes before the end of the file: the record would run past it.
    const sig = Buffer.alloc(8);
    sig.writeUInt32LE(0x06064b50, 4);
    expect(locate(BigInt(zips.zip64.length + 4), sig)).toEqual(['bad locator']);
    // A whole record ending at the last byte (in the comment) is followed: it agrees with the end record,
    // and puts the directory where no header is.
    const record = Buffer.from(zips.zip64.subarray(end - 20 - 56, end - 20));
    expect(record.readUInt32LE(0)).toBe(0x06064b50);
    expect(locate(BigInt(zips.zip64.length), record)).toEqual(['offset', 'size']);
  });

  it('an end record at offset 0 has no room for a locator; one at offset 20 does', () => {
    expect(readingDisagreements(zips.empty, none)).toEqual([]);
    // Locator at 0, end record at 20, and the ZIP64 record in the end record's comment: it is followed.
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(42n, 8);
    const end = Buffer.alloc(END_SIZE);
    end.writeUInt32LE(END_SIG, 0);
    end.writeUInt32LE(0xffffffff, 16);
    end.writeUInt16LE(56, 20);
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(42n, 48);
    const out = Buffer.concat([locator, end, record]);
    expect(readingDisagreements(out, { ...none, centralDirectoryOffset: 42 }).map(kind)).toEqual(['gap 42']);
  });
});

describe('entry order: the layout is read by local header offset, not by directory order', () => {
  it('the directory listing the entries last to first: no gap and no overlap', async () => {
    const headers = centralHeaders(zips.plain);
    const cenoff = cenoffOf(zips.plain);
    const end = zips.plain.lastIndexOf(u32(END_SIG));
    const bounds = [...headers, end];
    const records = headers.map((h, i) => zips.plain.subarray(h, bounds[i + 1]));
    const reversed = Buffer.concat([
      zips.plain.subarray(0, cenoff),
      ...records.reverse(),
      zips.plain.subarray(end),
    ]);
    expect(reversed.length).toBe(zips.plain.length);
    const zip = await openZip(new Uint8Array(reversed), DEFAULT_LIMITS);
    expect(zip.entries.map((e) => e.name)).toEqual(['c.txt', 'b.txt', 'a.txt']);
    expect(await found(reversed)).toEqual([]);
  });
});

describe('the APK Signing Block between the entries and the directory', () => {
  let v2: Buffer;
  beforeAll(() => {
    v2 = readFileSync(apkFixtures().apk['v2']!);
  }, 180_000);

  /** The central header of the entry whose local header comes last, and where its data ends. */
  function lastEntry(b: Buffer): { header: number; end: number } {
    const { cdOffset } = apkLayout(b);
    const end = b.lastIndexOf(u32(END_SIG));
    const headers: number[] = [];
    for (
      let p = cdOffset;
      p < end;
      p += 46 + b.readUInt16LE(p + 28) + b.readUInt16LE(p + 30) + b.readUInt16LE(p + 32)
    )
      headers.push(p);
    const header = headers.reduce((a, h) => (b.readUInt32LE(h + 42) > b.readUInt32LE(a + 42) ? h : a));
    // apksigner keeps the data descriptor (16 bytes, with its signature) of an entry streamed in.
    const data = dataOf(b, header).end;
    expect(b.readUInt16LE(header + 8) & 8).toBe(8);
    expect(b.readUInt32LE(data)).toBe(0x08074b50);
    return { header, end: data + 16 };
  }

  /**
   * The last entry's directory size grown so that its data ends at `at` (into the padding, or the block),
   * its descriptor flag cleared: the 16 descriptor bytes are now the end of its data.
   */
  function endingAt(b: Buffer, at: number): Buffer {
    const { header, end } = lastEntry(b);
    return patched(b, (out) => {
      out.writeUInt16LE(out.readUInt16LE(header + 8) & ~8, header + 8);
      out.writeUInt32LE(out.readUInt32LE(header + 20) + 16 + at - end, header + 20);
    });
  }

  const ambiguities = async (b: Buffer) =>
    (await openZip(new Uint8Array(b), DEFAULT_LIMITS)).ambiguities.map(kind);

  it("apksigner's zero padding is no gap up to 4095 bytes; 4096 zero bytes are", async () => {
    const { blockOffset } = apkLayout(v2);
    expect(blockOffset % 4096).toBe(0);
    expect(await ambiguities(v2)).toEqual([]);
    // The block moved one alignment on: 4096 zero bytes more before it.
    const pairs = rawPairs(v2).map((p) => p.raw);
    const moved = Buffer.from(withPairs(v2, pairs, 4096));
    expect(apkLayout(moved).blockOffset).toBe(blockOffset + 4096);
    expect(await ambiguities(endingAt(moved, blockOffset + 1))).toEqual([]);
    expect(await ambiguities(endingAt(moved, blockOffset))).toEqual(['gap 4096']);
  });

  it('an entry whose data runs into the block: the block overlaps it', async () => {
    const { blockOffset } = apkLayout(v2);
    expect(await ambiguities(endingAt(v2, blockOffset + 10))).toEqual(['overlap']);
    expect(await ambiguities(endingAt(v2, blockOffset))).toEqual([]);
  });

  it('read in place, the block is a gap: the in-place reader never reads APK blocks', async () => {
    const { blockOffset, cdOffset } = apkLayout(v2);
    const path = join(dir, 'in-place.apk');
    writeFileSync(path, v2);
    const file = ArchiveFile.open(path);
    try {
      const zip = await openZip(file, DEFAULT_LIMITS);
      expect(zip.ambiguities.map(kind)).toEqual([`gap ${cdOffset - lastEntry(v2).end}`]);
      expect(cdOffset - lastEntry(v2).end).toBeGreaterThan(cdOffset - blockOffset);
    } finally {
      file.close();
    }
  });
});

describe('a directory header of no name, extra field or comment', () => {
  it('ending exactly at the end of the directory is counted (46 bytes fill it)', async () => {
    const headers = centralHeaders(zips.many);
    const last = headers.at(-1)!;
    const nameLength = zips.many.readUInt16LE(last + 28);
    expect(zips.many.readUInt16LE(last + 30) + zips.many.readUInt16LE(last + 32)).toBe(0);
    const end = zips.many.lastIndexOf(u32(END_SIG));
    const out = Buffer.concat([zips.many.subarray(0, last + 46), zips.many.subarray(last + 46 + nameLength)]);
    out.writeUInt16LE(0, last + 28);
    out.writeUInt32LE(out.readUInt32LE(end - nameLength + 12) - nameLength, end - nameLength + 12);
    const zip = await openZip(new Uint8Array(out), DEFAULT_LIMITS);
    expect(zip.entries.at(-1)!.name).toBe('');
    expect(await found(out)).toEqual([]);
  });
});

describe('descriptor bounds at the end of the file (readingDisagreements on an offset reading given directly)', () => {
  /**
   * An end record with an 8-byte comment, and one entry (local header at 0, data from `dataStart`) with a
   * descriptor: the comment's bytes are where its descriptor would be.
   */
  function atEnd(comment: Buffer, dataStart: number, crc32?: number): string[] {
    const end = Buffer.alloc(END_SIZE);
    end.writeUInt32LE(END_SIG, 0);
    end.writeUInt16LE(comment.length, 20);
    const buffer = Buffer.concat([end, comment]);
    const entry = {
      name: 'x',
      localHeaderOffset: 0,
      dataStart,
      compressedSize: 0,
      uncompressedSize: 0,
      generalPurposeBitFlag: 8,
    };
    const reading: OffsetReading = {
      centralDirectoryOffset: 0,
      entryCount: 0,
      entries: [crc32 === undefined ? entry : { ...entry, crc32 }],
    };
    return readingDisagreements(buffer, reading).map(kind);
  }

  it("compares a descriptor CRC-32 that ends at the file's last byte, and reads none past it", () => {
    const comment = Buffer.from('12345678');
    // The last 4 bytes, no descriptor signature before them: a 12-byte form whose CRC-32 is read.
    expect(atEnd(comment, 26, 0x1234)).toEqual(['crc', 'overlap']);
    expect(atEnd(comment, 26, comment.readUInt32LE(4))).toEqual(['overlap']);
    // Two bytes from the end: no CRC-32 to read.
    expect(atEnd(comment, 28, 0x1234)).toEqual(['overlap']);
    // Without the directory's CRC-32 there is nothing to compare.
    expect(atEnd(comment, 26)).toEqual(['overlap']);
  });

  it('a descriptor signature in the last 4 bytes is one: its CRC-32 would be past the end', () => {
    const comment = Buffer.concat([Buffer.from('1234'), u32(0x08074b50)]);
    expect(atEnd(comment, 26, 0x1234)).toEqual(['overlap']);
  });
});

describe('which entries have a descriptor with 8-byte sizes (ZipInputStream.readEnd)', () => {
  /** piped64 with its first local header's 20-byte extra area rewritten (same length, so offsets hold). */
  function withLocalExtra(fields: Array<[id: number, size: number, bytes: number]>): Buffer {
    const out = Buffer.from(zips.piped64);
    const local = dataOf(out, centralHeaders(out)[0]!).local;
    const extraAt = local + 30 + out.readUInt16LE(local + 26);
    expect(out.readUInt16LE(local + 28)).toBe(20);
    let i = extraAt;
    for (const [id, size, bytes] of fields) {
      out.writeUInt16LE(id, i);
      out.writeUInt16LE(size, i + 2);
      out.fill(0, i + 4, i + 4 + bytes);
      i += 4 + bytes;
    }
    expect(i).toBe(extraAt + 20);
    return out;
  }

  it('a ZIP64 field of 8 bytes after another field: 8-byte sizes', async () => {
    expect(
      await found(
        withLocalExtra([
          [0x9999, 4, 4],
          [0x0001, 8, 8],
        ]),
      ),
    ).toEqual([]);
    // The other field first with the ZIP64 one's length: no ZIP64 field, 4-byte sizes, 8 bytes over.
    expect(
      await found(
        withLocalExtra([
          [0x0001, 4, 4],
          [0x9999, 8, 8],
        ]),
      ),
    ).toEqual(['gap 8']);
  });

  it('a ZIP64 field of another length than 8 or 16, or running past the extra area, does not count', async () => {
    expect(
      await found(
        withLocalExtra([
          [0x0001, 12, 12],
          [0x9999, 0, 0],
        ]),
      ),
    ).toEqual(['gap 8']);
    expect(
      await found(
        withLocalExtra([
          [0x9999, 0, 0],
          [0x0001, 16, 12],
        ]),
      ),
    ).toEqual(['gap 8']);
  });

  it('sizes over 4 GiB need 8-byte sizes whatever the local header holds', () => {
    /** One entry of no name or extra field, its descriptor `descriptor` bytes, then the directory. */
    const reading = (uncompressedSize: number, descriptor: number): string[] => {
      const endpos = 30 + descriptor;
      const end = Buffer.alloc(END_SIZE);
      end.writeUInt32LE(END_SIG, 0);
      end.writeUInt32LE(endpos, 16);
      const buffer = Buffer.concat([Buffer.alloc(endpos), end]);
      buffer.writeUInt32LE(LOC_SIG, 0);
      const entry = {
        name: 'x',
        localHeaderOffset: 0,
        dataStart: 30,
        compressedSize: 0,
        uncompressedSize,
        generalPurposeBitFlag: 8,
      };
      return readingDisagreements(buffer, {
        centralDirectoryOffset: endpos,
        entryCount: 0,
        entries: [entry],
      }).map(kind);
    };
    expect(reading(2 ** 32, 20)).toEqual([]);
    expect(reading(2 ** 32 - 1, 12)).toEqual([]);
    expect(reading(2 ** 32 - 1, 20)).toEqual(['gap 8']);
  });
});
