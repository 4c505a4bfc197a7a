import { Readable } from 'node:stream';

import yauzl from 'yauzl';

import { SigscanError } from '../../errors.js';
import type { Limits } from '../../util/limits.js';
import { ArchiveFile, PagedBytes, type ByteView } from './archive-file.js';
import { decodeChunks, decodeStream, decodeSync, decodeTransient } from './entry-data.js';
import { readingDisagreements } from './structure.js';

/** The subset of Limits the ZIP reader enforces. */
export type ZipLimits = Pick<
  Limits,
  'maxArchiveEntries' | 'maxArchiveUncompressedBytes' | 'maxCompressionRatio'
>;

/**
 * Tiny, well-compressed entries (manifests, empty files) routinely exceed any ratio a bomb check
 * would use; the ratio only says something once the expanded size matters.
 */
export const RATIO_CHECK_MIN_BYTES = 1024 * 1024;

/**
 * Entries up to this size are expanded in one synchronous call: a JAR's classes and resources, read
 * through streams, cost more in stream and promise set-up than in inflating. Larger ones are streamed
 * so that memory stays bounded and the event loop is not held for long.
 */
export const SYNC_READ_MAX_BYTES = 1024 * 1024;

/** Entries `read` expands in the reused inflater and copies out; larger ones get zlib's own buffer. */
const COPIED_MAX_BYTES = 64 * 1024;

/** Not limits: how entries are read, for tests that must exercise both ways. */
export interface ZipReadOptions {
  /** Entries larger than this are streamed (default SYNC_READ_MAX_BYTES). */
  syncReadMaxBytes?: number;
}

export interface ZipEntry {
  /** Position in the central directory. */
  index: number;
  /** Decoded as UTF-8 whatever the flags say, as the JDK does for JAR entry names. */
  name: string;
  rawName: Uint8Array;
  /**
   * Named with a trailing `/` and empty. A `/`-named entry with data is a file: java.util.zip's getEntry
   * finds `a/B.class/` when asked for `a/B.class` (ZipFile.Source.getEntryPos, addSlash).
   */
  isDirectory: boolean;
  compressionMethod: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
}

export interface ZipArchive {
  /** Central-directory order; duplicates are kept so callers can check every copy. */
  readonly entries: readonly ZipEntry[];
  /** Names that occur more than once in the central directory. */
  readonly duplicateNames: readonly string[];
  /** Entries whose local header names a different file than the central directory does. */
  readonly localHeaderMismatches: readonly string[];
  /**
   * Where java.util.zip, offset-based readers (this one) and streaming readers could see different
   * archives in these bytes (structure.ts); empty when there is one reading.
   */
  readonly ambiguities: readonly string[];
  /** First entry with this exact name. */
  get(name: string): ZipEntry | undefined;
  /** Uncompressed bytes of an entry; `maxBytes` caps this read on top of the archive-wide budget. */
  read(entry: ZipEntry, maxBytes?: number): Promise<Uint8Array>;
  /**
   * Uncompressed bytes chunk by chunk, under the same caps as `read`. Chunks may be views of the
   * archive's bytes (stored entries) or of zlib's buffers: copy one before keeping it.
   */
  stream(entry: ZipEntry, maxBytes?: number): AsyncIterable<Uint8Array>;
  /**
   * The uncompressed bytes in one synchronous call when the entry is small enough to be expanded at once
   * (what `read` and `stream` do for it anyway), under the same caps; undefined, with nothing charged, when
   * it must be streamed. For callers that only look at the bytes (digests): a view of the archive or of
   * one output buffer that the next readAtOnce (of any archive in this thread) overwrites; read it at
   * once, and copy it before keeping anything of it.
   */
  readAtOnce(entry: ZipEntry, maxBytes?: number): Uint8Array | undefined;
  /** Uncompressed bytes read so far, counted against maxArchiveUncompressedBytes. */
  readonly bytesRead: number;
  close(): void;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Opens a ZIP held in memory, or read in place from an ArchiveFile (files too large to hold: the same
 * checks, entry data read by position and large entries streamed from the file). The central directory is authoritative (prepended stubs and stale local
 * headers do not change what we see); encrypted entries and archives over the limits are refused before
 * any entry data is read.
 */
export async function openZip(
  bytes: Uint8Array | ArchiveFile,
  limits: ZipLimits,
  options: ZipReadOptions = {},
): Promise<ZipArchive> {
  const size = bytes instanceof ArchiveFile ? bytes.size : bytes.byteLength;
  if (size === 0) throw new SigscanError('MALFORMED_ZIP', 'empty file: not a ZIP archive');
  const data: EntryData =
    bytes instanceof ArchiveFile
      ? fileData(bytes)
      : memoryData(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  let structure = structures.get(bytes);
  if (!structure) {
    structure = { directory: readCentralDirectory(bytes, limits) };
    structures.set(bytes, structure);
  }
  const { entryCount, raw, centralDirectoryOffset } = await structure.directory;
  // Limits are checked on every open (two callers need not share them), and before any local header is
  // read, so that an archive over them costs nothing more.
  if (entryCount > limits.maxArchiveEntries) throw tooManyEntries(entryCount, limits);
  const entries = raw.map((e, index) => toEntry(e, index, limits));
  structure.headers ??= readLocalHeaders(data, raw, centralDirectoryOffset);
  const { dataStarts, mismatches, ambiguities } = await structure.headers;
  return new MemoryZip(data, raw, dataStarts, entries, mismatches, ambiguities, limits, options);
}

/** Where entry data comes from: the bytes in memory, or the file by position. */
interface EntryData {
  /** For the structure checks. */
  view: ByteView;
  /** The archive's bytes when held in memory: headers are read at their offsets there. */
  buffer?: Buffer;
  /** [start, end) clipped to the archive; a view for memory, a fresh read for a file. */
  slice(start: number, end: number): Buffer;
  /** Whether `slice` of this many bytes costs nothing (a view), so small entries may be decoded at once. */
  held: boolean;
  chunks(start: number, end: number): AsyncIterable<Buffer>;
}

const FILE_CHUNK_BYTES = 1024 * 1024;

function memoryData(buffer: Buffer): EntryData {
  return {
    view: buffer,
    buffer,
    held: true,
    slice: (start, end) => buffer.subarray(start, end),
    chunks: async function* (start, end) {
      yield buffer.subarray(start, end);
    },
  };
}

function fileData(file: ArchiveFile): EntryData {
  return {
    view: new PagedBytes(file),
    held: false,
    slice: (start, end) => file.slice(start, end),
    chunks: (start, end) => file.chunks(start, end, FILE_CHUNK_BYTES),
  };
}

/**
 * The structure of archives by the bytes that hold them. One file's bytes are opened more than once
 * (the JAR detector, and the search for JARs nested in it); reading the central directory and every
 * local header again costs more than the signature checks on JARs of thousands of classes. Weak, so an
 * entry lives exactly as long as the bytes it describes.
 */
const structures = new WeakMap<Uint8Array | ArchiveFile, ZipStructure>();

interface ZipStructure {
  directory: Promise<{ entryCount: number; raw: RawEntry[]; centralDirectoryOffset: number }>;
  headers?: Promise<{ dataStarts: number[]; mismatches: string[]; ambiguities: string[] }>;
}

// yauzl finds the end records (and ZIP64) with its checks (endRecords); the central-directory and local
// headers are then read here with the same checks (readCentralDirectoryEntries, localHeader), and entry
// data decoded from the same bytes, without yauzl's per-entry callback reads and streams, which cost more
// than the inflating on JARs of thousands of small classes. test/formats/zip/differential.test.ts holds
// every step to yauzl itself, lies included.
async function readCentralDirectory(
  bytes: Uint8Array | ArchiveFile,
  limits: ZipLimits,
): Promise<{ entryCount: number; raw: RawEntry[]; centralDirectoryOffset: number }> {
  const source =
    bytes instanceof ArchiveFile ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end: { entryCount: number; centralDirectoryOffset: number };
  try {
    end = await endRecords(source);
  } catch (cause) {
    throw new SigscanError('MALFORMED_ZIP', `not a readable ZIP archive: ${(cause as Error).message}`, {
      cause,
    });
  }
  const { entryCount, centralDirectoryOffset } = end;
  // Before a single record is read, so that a huge (or lying) count costs nothing.
  if (entryCount > limits.maxArchiveEntries) throw tooManyEntries(entryCount, limits);
  let raw: RawEntry[];
  try {
    raw = readCentralDirectoryEntries(source, centralDirectoryOffset, entryCount);
  } catch (cause) {
    throw new SigscanError('MALFORMED_ZIP', `corrupt ZIP central directory: ${(cause as Error).message}`, {
      cause,
    });
  }
  return { entryCount, raw, centralDirectoryOffset };
}

/**
 * yauzl finds the end records: the last end-of-central-directory signature whose comment runs exactly to
 * the end of the file, and the ZIP64 record its locator points at. What it yields is where it would start
 * reading headers (`readEntryCursor`: not in yauzl's typings, but part of its ZipFile since 2.x, captured
 * before the cursor moves) and how many it would read. Over a buffer yauzl holds no descriptor; over a
 * file it reads through ArchiveReader, never the descriptor itself (yauzl closes a descriptor it was
 * given when it meets an error, and the descriptor belongs to whoever opened it). Nothing to close.
 */
async function endRecords(
  source: Buffer | ArchiveFile,
): Promise<{ entryCount: number; centralDirectoryOffset: number }> {
  const options = { lazyEntries: true, autoClose: false, decodeStrings: false };
  const zip =
    source instanceof ArchiveFile
      ? await yauzl.fromRandomAccessReaderPromise(new ArchiveReader(source), source.size, options)
      : await yauzl.fromBufferPromise(source, options);
  return {
    entryCount: zip.entryCount,
    centralDirectoryOffset: (zip as unknown as { readEntryCursor: number }).readEntryCursor,
  };
}

/** yauzl's view of an ArchiveFile: reads by range, with "unexpected EOF" for a short one, as its own. */
class ArchiveReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: ArchiveFile) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.file.chunks(start, end, 64 * 1024));
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null) => void,
  ): void {
    let got: Buffer;
    try {
      got = this.file.slice(position, position + length);
    } catch (err) {
      callback(err as Error);
      return;
    }
    got.copy(buffer, offset);
    callback(got.length < length ? new Error('unexpected EOF') : null);
  }
}

const CEN_SIG = 0x02014b50;
const CEN_SIZE = 46;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x1;
const FLAG_STRONG_ENCRYPTION = 0x40;

/**
 * yauzl's readEntry (3.x, decodeStrings off, validateEntrySizes on) for `count` headers from `cursor`,
 * read in place: the same checks in the same order with the same messages, without its two callback
 * reads (a copy and a setImmediate each) per entry, which cost more than the rest of opening a JAR of
 * small classes. yauzl (endRecords) says where the directory starts and how many headers it holds.
 * Fields are read at their offsets in the archive's own buffer when it is held (no view per header: on a
 * JAR of small classes those showed in profiles), else from a fresh read of each header.
 */
function readCentralDirectoryEntries(bytes: Buffer | ArchiveFile, cursor: number, count: number): RawEntry[] {
  const memory = bytes instanceof ArchiveFile ? undefined : bytes;
  const read = (start: number, end: number) => (bytes as ArchiveFile).slice(start, end);
  const raw: RawEntry[] = [];
  for (let n = 0; n < count; n++) {
    const { bytes: fixed, at } = fieldsAt(memory, read, cursor, CEN_SIZE);
    const signature = fixed.readUInt32LE(at);
    if (signature !== CEN_SIG) {
      throw new Error(`invalid central directory file header signature: 0x${signature.toString(16)}`);
    }
    const generalPurposeBitFlag = fixed.readUInt16LE(at + 8);
    const compressionMethod = fixed.readUInt16LE(at + 10);
    const crc32 = fixed.readUInt32LE(at + 16);
    let compressedSize = fixed.readUInt32LE(at + 20);
    let uncompressedSize = fixed.readUInt32LE(at + 24);
    const nameLength = fixed.readUInt16LE(at + 28);
    const extraLength = fixed.readUInt16LE(at + 30);
    const commentLength = fixed.readUInt16LE(at + 32);
    let localHeaderOffset = fixed.readUInt32LE(at + 42);
    if (generalPurposeBitFlag & FLAG_STRONG_ENCRYPTION) throw new Error('strong encryption is not supported');
    cursor += CEN_SIZE;
    const variableLength = nameLength + extraLength + commentLength;
    const { bytes: variable, at: from } = fieldsAt(memory, read, cursor, variableLength);
    cursor += variableLength;
    const zip64 = zip64Field(variable, from + nameLength, from + nameLength + extraLength);
    if (zip64 !== undefined) {
      const [start, end] = zip64;
      let index = start;
      if (uncompressedSize === 0xffffffff) {
        if (index + 8 > end) {
          throw new Error('zip64 extended information extra field does not include uncompressed size');
        }
        uncompressedSize = readUInt64LE(variable, index);
        index += 8;
      }
      if (compressedSize === 0xffffffff) {
        if (index + 8 > end) {
          throw new Error('zip64 extended information extra field does not include compressed size');
        }
        compressedSize = readUInt64LE(variable, index);
        index += 8;
      }
      if (localHeaderOffset === 0xffffffff) {
        if (index + 8 > end) {
          throw new Error('zip64 extended information extra field does not include relative header offset');
        }
        localHeaderOffset = readUInt64LE(variable, index);
      }
    }
    if (compressionMethod === 0) {
      // Traditional encryption prefixes stored data with a 12-byte header.
      const expected = uncompressedSize + (generalPurposeBitFlag & FLAG_ENCRYPTED ? 12 : 0);
      if (compressedSize !== expected) {
        throw new Error(
          `compressed/uncompressed size mismatch for stored file: ${compressedSize} != ${uncompressedSize}`,
        );
      }
    }
    // A copy: entries outlive the archive's bytes (close), and must not keep them alive.
    const rawName = new Uint8Array(nameLength);
    for (let i = 0; i < nameLength; i++) rawName[i] = variable[from + i]!;
    raw.push({
      rawName,
      // Decoded once here: the structure checks, every open of the archive and the entries share it.
      name: utf8.decode(rawName),
      generalPurposeBitFlag,
      compressionMethod,
      crc32,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
  }
  return raw;
}

/**
 * yauzl's parseExtraFields over `buffer[start, end)`: every field must fit (checked to the last one, as
 * yauzl parses them all before looking), and the first ZIP64 field's data range is returned.
 */
function zip64Field(buffer: Buffer, start: number, end: number): [number, number] | undefined {
  let found: [number, number] | undefined;
  let i = start;
  while (i < end - 3) {
    const id = buffer.readUInt16LE(i);
    const dataStart = i + 4;
    const dataEnd = dataStart + buffer.readUInt16LE(i + 2);
    if (dataEnd > end) throw new Error('extra field length exceeds extra field buffer size');
    if (id === ZIP64_EXTRA_ID && !found) found = [dataStart, dataEnd];
    i = dataEnd;
  }
  return found;
}

/** As yauzl reads it: exact up to 2^53, which the bounds checks against the file size then catch. */
function readUInt64LE(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + 4) * 0x100000000 + buffer.readUInt32LE(offset);
}

/** Where each entry's data starts; apksig rejects archives whose local headers disagree with the central
 * directory, and we report them. */
async function readLocalHeaders(
  data: EntryData,
  raw: readonly RawEntry[],
  centralDirectoryOffset: number,
): Promise<{ dataStarts: number[]; mismatches: string[]; ambiguities: string[] }> {
  const buffer = data.view;
  const dataStarts: number[] = [];
  const mismatches: string[] = [];
  for (const entry of raw) {
    let header: { sameName: boolean; fileDataStart: number };
    try {
      header = localHeader(data, entry);
    } catch (cause) {
      throw new SigscanError(
        'MALFORMED_ZIP',
        `bad local header for ZIP entry ${entry.name}: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (!header.sameName) mismatches.push(entry.name);
    dataStarts.push(header.fileDataStart);
  }
  const ambiguities = readingDisagreements(buffer, {
    centralDirectoryOffset,
    entryCount: raw.length,
    entries: raw.map((e, i) => ({
      name: e.name,
      localHeaderOffset: e.localHeaderOffset,
      dataStart: dataStarts[i]!,
      compressedSize: e.compressedSize,
      uncompressedSize: e.uncompressedSize,
      generalPurposeBitFlag: e.generalPurposeBitFlag,
      crc32: e.crc32,
    })),
  });
  return { dataStarts, mismatches, ambiguities };
}

const LOCAL_HEADER_SIG = 0x04034b50;
const LOCAL_HEADER_SIZE = 30;

/**
 * yauzl's readLocalFileHeader, read in place: the same checks in the same order with the same messages,
 * but without its two callback reads (a copy and a setImmediate each) per entry, which cost more than
 * the rest of opening a JAR of small classes. Read at its offset in the archive's buffer when held, else
 * from a fresh read; the name is only compared with the central directory's.
 */
function localHeader(data: EntryData, entry: RawEntry): { sameName: boolean; fileDataStart: number } {
  const offset = entry.localHeaderOffset;
  const { bytes: fixed, at } = fieldsAt(data.buffer, data.slice, offset, LOCAL_HEADER_SIZE);
  const signature = fixed.readUInt32LE(at);
  if (signature !== LOCAL_HEADER_SIG) {
    throw new Error(`invalid local file header signature: 0x${signature.toString(16)}`);
  }
  const nameLength = fixed.readUInt16LE(at + 26);
  const extraLength = fixed.readUInt16LE(at + 28);
  const fileDataStart = offset + LOCAL_HEADER_SIZE + nameLength + extraLength;
  const fileSize = data.view.length;
  if (fileDataStart + entry.compressedSize > fileSize) {
    throw new Error(
      `file data overflows file bounds: ${fileDataStart} + ${entry.compressedSize} > ${fileSize}`,
    );
  }
  const rawName = entry.rawName;
  if (nameLength !== rawName.length) return { sameName: false, fileDataStart };
  // Within the file by the check above, so the read cannot come up short (yauzl's "unexpected EOF").
  const name = fieldsAt(data.buffer, data.slice, offset + LOCAL_HEADER_SIZE, nameLength);
  for (let i = 0; i < nameLength; i++) {
    if (name.bytes[name.at + i] !== rawName[i]) return { sameName: false, fileDataStart };
  }
  return { sameName: true, fileDataStart };
}

/**
 * Where the header readers find `length` bytes at `start`: in the archive's own buffer at that offset
 * when it is held (no view or copy per header: on JARs of small classes those showed in profiles), else
 * in a fresh read of just those bytes. Short of them, yauzl's "unexpected EOF".
 */
function fieldsAt(
  memory: Buffer | undefined,
  read: (start: number, end: number) => Buffer,
  start: number,
  length: number,
): { bytes: Buffer; at: number } {
  if (memory) {
    if (start + length > memory.length) throw new Error('unexpected EOF');
    return { bytes: memory, at: start };
  }
  const bytes = read(start, start + length);
  if (bytes.length < length) throw new Error('unexpected EOF');
  return { bytes, at: 0 };
}

function tooManyEntries(count: number, limits: ZipLimits): SigscanError {
  return new SigscanError(
    'TOO_LARGE',
    `ZIP archive has ${count} entries, more than the limit of ${limits.maxArchiveEntries}`,
  );
}

/** The central-directory fields decoding relies on, kept apart from the caller's mutable ZipEntry. */
interface RawEntry {
  rawName: Uint8Array;
  /** rawName decoded as UTF-8 (ZipEntry.name). */
  name: string;
  generalPurposeBitFlag: number;
  compressionMethod: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

function toEntry(e: RawEntry, index: number, limits: ZipLimits): ZipEntry {
  const rawName = e.rawName;
  const name = e.name;
  if (e.generalPurposeBitFlag & 0x1)
    throw new SigscanError('MALFORMED_ZIP', `encrypted ZIP entry is not supported: ${name}`);
  if (
    e.uncompressedSize > RATIO_CHECK_MIN_BYTES &&
    e.uncompressedSize > limits.maxCompressionRatio * Math.max(e.compressedSize, 1)
  ) {
    throw new SigscanError(
      'TOO_LARGE',
      `ZIP entry ${name} expands ${e.compressedSize} bytes to ${e.uncompressedSize}, ` +
        `over the compression-ratio limit of ${limits.maxCompressionRatio}`,
    );
  }
  return {
    index,
    name,
    rawName,
    isDirectory: name.endsWith('/') && e.uncompressedSize === 0,
    compressionMethod: e.compressionMethod,
    compressedSize: e.compressedSize,
    uncompressedSize: e.uncompressedSize,
    crc32: e.crc32,
  };
}

/** What decoding one entry needs. */
interface Source {
  /** Where the compressed data lies in the archive: [start, end). */
  start: number;
  end: number;
  compressionMethod: number;
  uncompressedSize: number;
}

class MemoryZip implements ZipArchive {
  readonly duplicateNames: readonly string[];
  private readonly byName = new Map<string, ZipEntry>();
  private readonly syncReadMaxBytes: number;
  private total = 0;
  private closed = false;

  constructor(
    private data: EntryData | undefined,
    private readonly raw: readonly RawEntry[],
    /** Where each entry's compressed data starts, by entry index. */
    private readonly dataStarts: readonly number[],
    readonly entries: readonly ZipEntry[],
    readonly localHeaderMismatches: readonly string[],
    readonly ambiguities: readonly string[],
    private readonly limits: ZipLimits,
    options: ZipReadOptions,
  ) {
    this.syncReadMaxBytes = options.syncReadMaxBytes ?? SYNC_READ_MAX_BYTES;
    const dups = new Set<string>();
    for (const e of entries) {
      if (this.byName.has(e.name)) dups.add(e.name);
      else this.byName.set(e.name, e);
    }
    this.duplicateNames = [...dups];
  }

  get bytesRead(): number {
    return this.total;
  }

  get(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  async read(entry: ZipEntry, maxBytes?: number): Promise<Uint8Array> {
    const source = this.begin(entry, maxBytes);
    const size = source.uncompressedSize;
    if (this.decodesAtOnce(source)) {
      // Small entries (manifests, signature files and blocks) expand in the reused inflater and are
      // copied out: a zlib stream of their own cost more than the copy.
      const small = size <= COPIED_MAX_BYTES;
      const { data, compressed } = this.decodeSync(entry, source, small ? decodeTransient : decodeSync);
      // A fresh, exactly sized array, as callers may keep it (nested archives are scanned from it): never
      // a view of the archive, of zlib's shared pool or of the reused inflater's buffer.
      return !small && data.byteOffset === 0 && data.buffer.byteLength === size && data !== compressed
        ? new Uint8Array(data.buffer, 0, size)
        : new Uint8Array(data);
    }
    // Filled chunk by chunk: one copy of the entry in memory, never the chunks and their concatenation.
    const out = new Uint8Array(size);
    let at = 0;
    for await (const chunk of this.decodeStream(entry, source)) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }

  async *stream(entry: ZipEntry, maxBytes?: number): AsyncIterable<Uint8Array> {
    const source = this.begin(entry, maxBytes);
    if (this.decodesAtOnce(source)) {
      yield this.decodeSync(entry, source).data;
      return;
    }
    yield* this.decodeStream(entry, source);
  }

  readAtOnce(entry: ZipEntry, maxBytes?: number): Uint8Array | undefined {
    // Whether it decodes at once depends on sizes alone, so an entry left to `stream` is charged there only.
    const source = this.source(entry);
    if (!this.decodesAtOnce(source)) return undefined;
    this.admit(entry, source.uncompressedSize, maxBytes);
    // The caller looks and keeps nothing (the contract above): deflated data goes to a reused buffer.
    return this.decodeSync(entry, source, decodeTransient).data;
  }

  /**
   * Small entries are decoded in one call. From a file the compressed bytes must be read first, so their
   * size counts too: a small entry may declare a huge compressed size.
   */
  private decodesAtOnce(source: Source): boolean {
    if (source.uncompressedSize > this.syncReadMaxBytes) return false;
    return this.data!.held || source.end - source.start <= this.syncReadMaxBytes;
  }

  /**
   * Checks shared by read, stream and readAtOnce, in the order they always ran: the entry belongs here, fits the
   * caller's cap, and its declared size fits what is left of the archive budget (charged now, since the
   * decoders refuse to produce more than that). Sizes and method come from the central directory as
   * parsed, not from the caller's ZipEntry object, which is plain mutable data.
   */
  private begin(entry: ZipEntry, maxBytes: number | undefined): Source {
    const source = this.source(entry);
    this.admit(entry, source.uncompressedSize, maxBytes);
    return source;
  }

  private source(entry: ZipEntry): Source {
    if (this.closed || !this.data) throw new SigscanError('INTERNAL', 'ZIP archive already closed');
    const raw = this.raw[entry.index];
    const start = this.dataStarts[entry.index];
    if (!raw || start === undefined || this.entries[entry.index] !== entry) {
      throw new SigscanError('INTERNAL', `entry ${entry.name} does not belong to this archive`);
    }
    return {
      start,
      end: start + raw.compressedSize,
      compressionMethod: raw.compressionMethod,
      uncompressedSize: raw.uncompressedSize,
    };
  }

  private admit(entry: ZipEntry, size: number, maxBytes: number | undefined): void {
    if (size > (maxBytes ?? Number.MAX_SAFE_INTEGER)) {
      throw new SigscanError('TOO_LARGE', `ZIP entry ${entry.name} is ${size} bytes, over ${maxBytes}`);
    }
    this.reserve(entry, size);
  }

  private decodeSync(
    entry: ZipEntry,
    source: Source,
    decode: typeof decodeSync = decodeSync,
  ): { data: Buffer; compressed: Buffer } {
    try {
      const compressed = this.data!.slice(source.start, source.end);
      return { data: decode(compressed, source.compressionMethod, source.uncompressedSize), compressed };
    } catch (cause) {
      throw corrupt(entry, cause);
    }
  }

  private async *decodeStream(entry: ZipEntry, source: Source): AsyncGenerator<Buffer> {
    const data = this.data!;
    try {
      if (data.held) {
        yield* decodeStream(
          data.slice(source.start, source.end),
          source.compressionMethod,
          source.uncompressedSize,
        );
      } else {
        yield* decodeChunks(
          () => data.chunks(source.start, source.end),
          Math.max(0, Math.min(source.end, data.view.length) - source.start),
          source.compressionMethod,
          source.uncompressedSize,
        );
      }
    } catch (cause) {
      throw corrupt(entry, cause);
    }
  }

  private reserve(entry: ZipEntry, size: number): void {
    if (this.total + size > this.limits.maxArchiveUncompressedBytes) {
      throw new SigscanError(
        'TOO_LARGE',
        `reading ZIP entry ${entry.name} would exceed the archive limit of ` +
          `${this.limits.maxArchiveUncompressedBytes} uncompressed bytes`,
      );
    }
    this.total += size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Entries and names stay usable; only the archive's bytes are let go (a file's opener closes it).
    this.data = undefined;
  }
}

function corrupt(entry: ZipEntry, cause: unknown): SigscanError {
  const message = (cause as Error).message;
  // An unsupported method was refused before reading started, as a failure to open the entry.
  const what = message.startsWith('unsupported compression method') ? 'cannot read' : 'corrupt';
  return new SigscanError('MALFORMED_ZIP', `${what} ZIP entry ${entry.name}: ${message}`, { cause });
}
