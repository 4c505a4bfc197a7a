/**
 * One archive, one reading. yauzl reads a ZIP one way (the central directory at the end record's offset,
 * ZIP64 whenever its locator is present, exactly the entry count the end record declares, local headers
 * wherever the central directory says). java.util.zip.ZipFile, which jarsigner, `java -jar` and class
 * loaders use, reads it another way, and java.util.zip.ZipInputStream / JarInputStream (streaming tools)
 * a third way: local header after local header from byte 0. A signed JAR is only what was signed when all
 * three readings agree; this module lists every point where they could differ.
 *
 * The JDK rules come from OpenJDK 17u java/util/zip/ZipFile.java, class Source:
 * - findEND: the END record is the last `PK\5\6` whose comment runs to the end of the file (yauzl
 *   requires the same, so the two always pick the same record when yauzl opens the file); a ZIP64
 *   locator right before it is followed only when the ZIP64 record "double-checks" against the END
 *   record (each field equal, or the END field holds the 0xFFFF/0xFFFFFFFF marker), and then the ZIP64
 *   record's position replaces the END position.
 * - initCEN: the central directory is read at `endpos - cenlen` (position and size), not at `cenoff`;
 *   `cenpos - cenoff` is a prefix added to every local header offset; headers are counted until the
 *   directory's size runs out (more than ENDTOT are all used, via countCENHeaders), and they must fill
 *   that size exactly ("invalid CEN header (bad header size)").
 */

import { signingBlockStart } from '../apk/signing-block.js';
import type { ByteView } from './archive-file.js';

const END_SIG = 0x06054b50;
const END_SIZE = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_END_SIG = 0x06064b50;
const ZIP64_END_SIZE = 56;
const CEN_SIG = 0x02014b50;
const CEN_SIZE = 46;
const DESCRIPTOR_SIG = 0x08074b50;
const LOC_SIZE = 30;
const ZIP64_EXTRA_ID = 0x0001;
const MAGIC16 = 0xffff;
const MAGIC32 = 0xffffffff;

/** How many gaps or overlaps are described before the rest are counted. */
const GAP_REPORT_CAP = 5;

/** What yauzl made of the archive's layout, as readCentralDirectory captured it. */
export interface OffsetReading {
  /** Where yauzl started reading central-directory headers. */
  centralDirectoryOffset: number;
  /** How many headers it read. */
  entryCount: number;
  entries: ReadonlyArray<{
    name: string;
    localHeaderOffset: number;
    /** First byte of the entry's data, after the local header's name and extra field. */
    dataStart: number;
    compressedSize: number;
    /** With compressedSize, tells whether a data descriptor holds 8-byte sizes. */
    uncompressedSize: number;
    generalPurposeBitFlag: number;
    /** The central directory's CRC-32, compared with a data descriptor's when the entry has one. */
    crc32?: number;
  }>;
}

/**
 * Every disagreement between the JDK's reading of `buffer` and the offset reading yauzl made, plus bytes
 * that no entry accounts for (a streaming reader would parse them). Empty when there is one reading.
 * Messages name the structure; the order is end records first, then the central directory, then the
 * entries' layout, so the first one explains the root cause.
 */
export function readingDisagreements(buffer: ByteView, reading: OffsetReading): string[] {
  const out: string[] = [];
  const jdk = jdkCentralDirectory(buffer, out);
  if (!jdk) return out;
  if (jdk.cenpos !== reading.centralDirectoryOffset) {
    out.push(
      `the end record puts the central directory at ${jdk.cenpos} by its position and size, but records ` +
        `its offset as ${reading.centralDirectoryOffset}: java.util.zip and offset-based readers read different directories`,
    );
  }
  const counted = countHeaders(buffer, jdk.cenpos, jdk.cenlen);
  if (counted.end !== jdk.cenlen) {
    out.push(
      `the central directory's ${jdk.cenlen} bytes are not filled exactly by its headers ` +
        `(java.util.zip refuses the archive: bad header size)`,
    );
  } else if (counted.count !== reading.entryCount) {
    out.push(
      `the central directory holds ${counted.count} headers but the end record declares ${reading.entryCount}: ` +
        'java.util.zip reads them all, other readers stop at the declared count',
    );
  }
  out.push(...layoutGaps(buffer, reading, Math.min(jdk.cenpos, reading.centralDirectoryOffset)));
  return out;
}

interface JdkDirectory {
  cenpos: number;
  cenlen: number;
}

/** ZipFile.Source.findEND + the start of initCEN, on an archive yauzl has already opened. */
function jdkCentralDirectory(buffer: ByteView, out: string[]): JdkDirectory | undefined {
  const endpos = findEnd(buffer);
  if (endpos === undefined) {
    out.push('no end-of-central-directory record whose comment runs to the end of the file');
    return undefined;
  }
  let cenlen = buffer.readUInt32LE(endpos + 12);
  let cenoff = buffer.readUInt32LE(endpos + 16);
  const centot = buffer.readUInt16LE(endpos + 10);
  let pos = endpos;
  const locator = endpos - ZIP64_LOCATOR_SIZE;
  if (locator >= 0 && buffer.readUInt32LE(locator) === ZIP64_LOCATOR_SIG) {
    const end64 = Number(buffer.readBigUInt64LE(locator + 8));
    const z64ok =
      Number.isSafeInteger(end64) &&
      end64 + ZIP64_END_SIZE <= buffer.length &&
      buffer.readUInt32LE(end64) === ZIP64_END_SIG;
    if (!z64ok) {
      // yauzl follows any locator (and fails on a bad record); the JDK ignores a locator it cannot use.
      out.push(
        'a ZIP64 locator points at no ZIP64 end record: java.util.zip ignores it, other readers do not',
      );
      return undefined;
    }
    const cenlen64 = Number(buffer.readBigUInt64LE(end64 + 40));
    const cenoff64 = Number(buffer.readBigUInt64LE(end64 + 48));
    const centot64 = Number(buffer.readBigUInt64LE(end64 + 32));
    const agrees =
      (cenlen64 === cenlen || cenlen === MAGIC32) &&
      (cenoff64 === cenoff || cenoff === MAGIC32) &&
      (centot64 === centot || centot === MAGIC16);
    if (!agrees) {
      out.push(
        'the ZIP64 end record disagrees with the end record: java.util.zip uses the end record, ' +
          'other readers the ZIP64 one',
      );
      return undefined;
    }
    cenlen = cenlen64;
    cenoff = cenoff64;
    pos = end64;
  }
  const cenpos = pos - cenlen;
  if (cenpos < 0 || cenpos - cenoff < 0 || !Number.isSafeInteger(cenpos)) {
    out.push('the end record declares a central directory larger than what precedes it');
    return undefined;
  }
  return { cenpos, cenlen };
}

/** The last END signature whose declared comment ends exactly at the end of the file. */
function findEnd(buffer: ByteView): number | undefined {
  const lowest = Math.max(0, buffer.length - END_SIZE - MAGIC16);
  for (let i = buffer.length - END_SIZE; i >= lowest; i--) {
    if (buffer.readUInt32LE(i) !== END_SIG) continue;
    if (i + END_SIZE + buffer.readUInt16LE(i + 20) === buffer.length) return i;
    return undefined; // yauzl stops at the last signature too: it would have refused this file
  }
  return undefined;
}

/** ZipFile.Source.countCENHeaders: headers until the directory's size runs out, and where they end. */
function countHeaders(buffer: ByteView, cenpos: number, cenlen: number): { count: number; end: number } {
  let count = 0;
  let p = 0;
  while (p + CEN_SIZE <= cenlen && cenpos + p + CEN_SIZE <= buffer.length) {
    if (buffer.readUInt32LE(cenpos + p) !== CEN_SIG) break;
    count++;
    p +=
      CEN_SIZE +
      buffer.readUInt16LE(cenpos + p + 28) +
      buffer.readUInt16LE(cenpos + p + 30) +
      buffer.readUInt16LE(cenpos + p + 32);
  }
  return { count, end: p };
}

/**
 * Bytes before the first local header, between entries, and between the last entry and the central
 * directory; and entries that overlap. ZipFile never looks at such bytes, but a streaming reader
 * (ZipInputStream, JarInputStream) parses them as entries when they hold a local header, and sees an
 * entry twice when two overlap.
 */
function layoutGaps(buffer: ByteView, reading: OffsetReading, cenpos: number): string[] {
  const entries = [...reading.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const problems: string[] = [];
  let expected = 0;
  let previous = 'the start of the file';
  for (let i = 0; i <= entries.length; i++) {
    const entry = entries[i];
    // An APK Signing Block (v2/v3) sits between the last entry and the central directory by design: the
    // bytes it fills exactly are no gap; anything before it still is.
    // Archives read in place (over the streaming threshold) are never APKs to the fs source, so a block
    // there stays a gap: refused, not read.
    const block = entry || !(buffer instanceof Uint8Array) ? undefined : signingBlockStart(buffer, cenpos);
    const start = entry ? entry.localHeaderOffset : (block ?? cenpos);
    const what = entry
      ? `the local header of ${entry.name}`
      : block === undefined
        ? 'the central directory'
        : 'the APK Signing Block';
    if (block !== undefined && apkSignerPadding(buffer as unknown as Buffer, expected, block))
      expected = block;
    if (start > expected) {
      problems.push(`${start - expected} bytes between ${previous} and ${what} belong to no entry`);
    } else if (start < expected) {
      problems.push(`${what} overlaps ${previous}`);
    }
    if (!entry) break;
    const dataEnd = entry.dataStart + entry.compressedSize;
    const descriptor = descriptorLength(buffer, entry, dataEnd);
    expected = Math.max(expected, dataEnd + descriptor);
    // A data descriptor whose CRC-32 is not the central directory's: one of them is not the data's.
    // Readers differ on which they check (JarInputStream, and so jarsigner -verify, the descriptor's;
    // Info-ZIP unzip the directory's; ZipFile neither), so they differ on whether the entry is readable.
    const crcAt = descriptor === 16 || descriptor === 24 ? dataEnd + 4 : dataEnd;
    if (
      descriptor > 0 &&
      entry.crc32 !== undefined &&
      crcAt + 4 <= buffer.length &&
      buffer.readUInt32LE(crcAt) !== entry.crc32
    ) {
      problems.push(
        `the data descriptor of ${entry.name} states another CRC-32 than the central directory: ` +
          'readers that check one or the other disagree on the entry',
      );
    }
    previous = `the data of ${entry.name}`;
  }
  if (problems.length > GAP_REPORT_CAP) {
    const more = problems.length - GAP_REPORT_CAP;
    return [...problems.slice(0, GAP_REPORT_CAP), `and ${more} more gaps or overlaps between entries`];
  }
  return problems;
}

/** apksig aligns the signing block to this many bytes, zero-filling the end of the entries section. */
const APK_BLOCK_ALIGNMENT = 4096;

/**
 * The zero bytes apksigner writes before a 4096-aligned APK Signing Block (ApkSigningBlockUtils'
 * padding): covered by the v2/v3 digests, and no streaming reader finds a header in zeros. Anything
 * else there (a byte that is not zero, a gap longer than the alignment) is still a gap.
 */
function apkSignerPadding(buffer: Buffer, from: number, blockOffset: number): boolean {
  if (blockOffset % APK_BLOCK_ALIGNMENT !== 0) return false;
  if (from > blockOffset || blockOffset - from >= APK_BLOCK_ALIGNMENT) return false;
  for (let i = from; i < blockOffset; i++) if (buffer[i] !== 0) return false;
  return true;
}

/**
 * Length of the data descriptor after an entry (general-purpose flag bit 3), as ZipInputStream.readEnd
 * reads it: with its optional signature when the first 4 bytes are that signature, and with 8-byte sizes
 * only for a ZIP64 entry, never by which length happens to end where the next structure starts. A 16-byte
 * descriptor followed by 8 stray bytes is no 24-byte one: the streaming reader reads 16, finds no local
 * header in the 8 bytes and ends the archive there (seeing fewer entries than ZipFile), so those bytes are
 * a gap like any other.
 */
function descriptorLength(
  buffer: ByteView,
  entry: OffsetReading['entries'][number],
  dataEnd: number,
): number {
  if ((entry.generalPurposeBitFlag & 0x8) === 0) return 0;
  const signed = dataEnd + 4 <= buffer.length && buffer.readUInt32LE(dataEnd) === DESCRIPTOR_SIG;
  return (signed ? 4 : 0) + (zip64Entry(buffer, entry) ? 20 : 12);
}

/**
 * Whether ZipInputStream reads 8-byte sizes in the entry's descriptor: the sizes are over 4 GiB, or (JDK 21
 * on, hasZip64Extra) the local header has a ZIP64 extra field of 8 or 16 bytes. JDK 17 goes by the sizes
 * alone, so it reads such a small entry's 24-byte descriptor as 16 bytes and fails on the sizes: an error,
 * not another reading of the archive.
 */
function zip64Entry(buffer: ByteView, entry: OffsetReading['entries'][number]): boolean {
  if (entry.compressedSize > MAGIC32 || entry.uncompressedSize > MAGIC32) return true;
  const local = entry.localHeaderOffset;
  const end = entry.dataStart;
  for (let i = local + LOC_SIZE + buffer.readUInt16LE(local + 26); i + 4 <= end;) {
    const size = buffer.readUInt16LE(i + 2);
    if (i + 4 + size > end) return false;
    if (buffer.readUInt16LE(i) === ZIP64_EXTRA_ID) return size === 8 || size === 16;
    i += 4 + size;
  }
  return false;
}
