import { closeSync, fstatSync, openSync, read, readSync } from 'node:fs';
import { promisify } from 'node:util';

const readAt = promisify(read);

/**
 * An archive read in place by position instead of held in memory: for files too large to hold (a 500 MB
 * WAR). The ZIP reader takes one of these wherever it takes bytes. Reads are synchronous for the small
 * structures (end records, central directory, small entries, as the in-memory reader reads them at once)
 * and streamed for large entries. The descriptor belongs to whoever opened it.
 */
export class ArchiveFile {
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    readonly size: number,
    /** Modification time when opened, to tell a file changed under a scan. */
    readonly mtimeNs: bigint,
  ) {}

  static open(path: string): ArchiveFile {
    const fd = openSync(path, 'r');
    try {
      const stats = fstatSync(fd, { bigint: true });
      return new ArchiveFile(path, fd, Number(stats.size), stats.mtimeNs);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Bytes [start, end) clipped to the file, as `subarray` clips a buffer. */
  slice(start: number, end: number): Buffer {
    const from = Math.min(Math.max(start, 0), this.size);
    const to = Math.min(Math.max(end, from), this.size);
    const out = Buffer.allocUnsafe(to - from);
    let at = 0;
    while (at < out.length) {
      const n = readSync(this.fd, out, at, out.length - at, from + at);
      if (n === 0) return out.subarray(0, at);
      at += n;
    }
    return out;
  }

  /** Bytes [start, end) clipped to the file, chunk by chunk. */
  async *chunks(start: number, end: number, chunkSize: number): AsyncGenerator<Buffer> {
    const from = Math.min(Math.max(start, 0), this.size);
    const to = Math.min(Math.max(end, from), this.size);
    if (to === from) return;
    // Positional reads, not fs.createReadStream over the descriptor: a ReadStream destroyed early (a
    // consumer that stops at a bad entry) closes its descriptor whatever autoClose says, and the
    // descriptor, perhaps reused by then for another file, belongs to whoever opened this archive.
    for (let at = from; at < to;) {
      const want = Math.min(chunkSize, to - at);
      const { bytesRead, buffer } = await readAt(this.fd, Buffer.allocUnsafe(want), 0, want, at);
      if (bytesRead === 0) return; // the file shrank: the caller's size and mtime checks say so
      yield buffer.subarray(0, bytesRead);
      at += bytesRead;
    }
  }

  /** True when the file's size and modification time are what they were when it was opened. */
  unchanged(): boolean {
    const now = fstatSync(this.fd, { bigint: true });
    return Number(now.size) === this.size && now.mtimeNs === this.mtimeNs;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** What the structure checks read: a Buffer, or an ArchiveFile through a small page cache. */
export interface ByteView {
  readonly length: number;
  readUInt16LE(offset: number): number;
  readUInt32LE(offset: number): number;
  readBigUInt64LE(offset: number): bigint;
}

const PAGE = 64 * 1024;
const PAGES_KEPT = 64;

/** ByteView of an ArchiveFile: the end records and central directory are read a page at a time. */
export class PagedBytes implements ByteView {
  private readonly pages = new Map<number, Buffer>();

  constructor(private readonly file: ArchiveFile) {}

  get length(): number {
    return this.file.size;
  }

  readUInt16LE(offset: number): number {
    return this.bytes(offset, 2).readUInt16LE(0);
  }

  readUInt32LE(offset: number): number {
    return this.bytes(offset, 4).readUInt32LE(0);
  }

  readBigUInt64LE(offset: number): bigint {
    return this.bytes(offset, 8).readBigUInt64LE(0);
  }

  private bytes(offset: number, length: number): Buffer {
    if (offset < 0 || offset + length > this.file.size) {
      throw new RangeError(`offset ${offset} is out of range for ${length} bytes`);
    }
    const index = Math.floor(offset / PAGE);
    const page = this.page(index);
    const within = offset - index * PAGE;
    if (within + length <= page.length) return page.subarray(within, within + length);
    return Buffer.concat([page.subarray(within), this.page(index + 1)]).subarray(0, length);
  }

  private page(index: number): Buffer {
    let page = this.pages.get(index);
    if (!page) {
      if (this.pages.size >= PAGES_KEPT) this.pages.clear();
      page = this.file.slice(index * PAGE, (index + 1) * PAGE);
      this.pages.set(index, page);
    }
    return page;
  }
}
