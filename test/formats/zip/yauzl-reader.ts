/**
 * The ZIP reader as it was before entries were read synchronously from memory: yauzl streams, yauzl's
 * own parsing of the central directory and local headers. Kept as an independent oracle: the new reader
 * must accept, refuse and return exactly what this one did (test/formats/zip/differential.test.ts and
 * the ZIP fuzz property).
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

import { SigscanError } from '../../../src/errors.js';
import type { ZipArchive, ZipEntry, ZipLimits } from '../../../src/formats/zip/index.js';

const RATIO_CHECK_MIN_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8');

/**
 * Opens a ZIP held in memory. The central directory is authoritative (prepended stubs and stale local
 * headers do not change what we see); encrypted entries and archives over the limits are refused before
 * any entry data is read.
 */
export async function openZipWithYauzl(bytes: Uint8Array, limits: ZipLimits): Promise<ZipArchive> {
  if (bytes.byteLength === 0) throw new SigscanError('MALFORMED_ZIP', 'empty file: not a ZIP archive');
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromBufferPromise(buffer, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (cause) {
    throw new SigscanError('MALFORMED_ZIP', `not a readable ZIP archive: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    if (zip.entryCount > limits.maxArchiveEntries) {
      throw new SigscanError(
        'TOO_LARGE',
        `ZIP archive has ${zip.entryCount} entries, more than the limit of ${limits.maxArchiveEntries}`,
      );
    }
    const raw = await readCentralDirectory(zip);
    const entries = raw.map((e, index) => toEntry(e, index, limits));
    const mismatches = await checkLocalHeaders(zip, raw, entries);
    return new MemoryZip(zip, raw, entries, mismatches, limits);
  } catch (err) {
    zip.close();
    throw err;
  }
}

async function readCentralDirectory(zip: yauzl.ZipFile): Promise<yauzl.Entry[]> {
  const out: yauzl.Entry[] = [];
  try {
    for await (const entry of zip.eachEntry()) out.push(entry);
  } catch (cause) {
    throw new SigscanError('MALFORMED_ZIP', `corrupt ZIP central directory: ${(cause as Error).message}`, {
      cause,
    });
  }
  return out;
}

function toEntry(e: yauzl.Entry, index: number, limits: ZipLimits): ZipEntry {
  const rawName = new Uint8Array(e.fileNameRaw);
  const name = utf8.decode(rawName);
  if (e.isEncrypted())
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
    // A `/`-named entry with data is a file (reader.ts, issue #11).
    isDirectory: name.endsWith('/') && e.uncompressedSize === 0,
    compressionMethod: e.compressionMethod,
    compressedSize: e.compressedSize,
    uncompressedSize: e.uncompressedSize,
    crc32: e.crc32,
  };
}

/** apksig rejects archives whose local headers disagree with the central directory; we report them. */
async function checkLocalHeaders(
  zip: yauzl.ZipFile,
  raw: yauzl.Entry[],
  entries: ZipEntry[],
): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    let header: yauzl.LocalFileHeader;
    try {
      header = await zip.readLocalFileHeaderPromise(raw[i]!);
    } catch (cause) {
      throw new SigscanError(
        'MALFORMED_ZIP',
        `bad local header for ZIP entry ${entries[i]!.name}: ${(cause as Error).message}`,
        { cause },
      );
    }
    if (!Buffer.from(header.fileName).equals(Buffer.from(entries[i]!.rawName))) out.push(entries[i]!.name);
  }
  return out;
}

class MemoryZip implements ZipArchive {
  readonly duplicateNames: readonly string[];
  /** The reference reader predates the one-reading checks; outcome.ts does not compare them. */
  readonly ambiguities: readonly string[] = [];
  private readonly byName = new Map<string, ZipEntry>();
  private total = 0;
  private closed = false;

  constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly raw: yauzl.Entry[],
    readonly entries: readonly ZipEntry[],
    readonly localHeaderMismatches: readonly string[],
    private readonly limits: ZipLimits,
  ) {
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
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.stream(entry, maxBytes)) chunks.push(chunk);
    return new Uint8Array(Buffer.concat(chunks));
  }

  /** yauzl only streams: every read that readAtOnce offers is compared with a streamed one. */
  readAtOnce(): Uint8Array | undefined {
    return undefined;
  }

  async *stream(entry: ZipEntry, maxBytes?: number): AsyncIterable<Uint8Array> {
    if (this.closed) throw new SigscanError('INTERNAL', 'ZIP archive already closed');
    const source = this.raw[entry.index];
    if (!source || this.entries[entry.index] !== entry) {
      throw new SigscanError('INTERNAL', `entry ${entry.name} does not belong to this archive`);
    }
    const cap = Math.min(maxBytes ?? Number.MAX_SAFE_INTEGER, entry.uncompressedSize);
    if (entry.uncompressedSize > (maxBytes ?? Number.MAX_SAFE_INTEGER)) {
      throw new SigscanError(
        'TOO_LARGE',
        `ZIP entry ${entry.name} is ${entry.uncompressedSize} bytes, over ${maxBytes}`,
      );
    }
    this.reserve(entry, entry.uncompressedSize);
    let stream: Readable;
    try {
      stream = await this.zip.openReadStreamPromise(source);
    } catch (cause) {
      throw new SigscanError(
        'MALFORMED_ZIP',
        `cannot read ZIP entry ${entry.name}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    let seen = 0;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        seen += chunk.byteLength;
        // The declared size was checked above; this guards against a stream that lies about it.
        if (seen > cap) {
          throw new SigscanError('TOO_LARGE', `ZIP entry ${entry.name} produced more than its ${cap} bytes`);
        }
        yield chunk;
      }
    } catch (cause) {
      if (cause instanceof SigscanError) throw cause;
      throw new SigscanError(
        'MALFORMED_ZIP',
        `corrupt ZIP entry ${entry.name}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    } finally {
      stream.destroy();
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
    this.zip.close();
  }
}
