import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join, posix } from 'node:path';

import { SigscanError } from '../../errors.js';

/** Read access to the files of an OCI layout, wherever they are stored (a directory or a tar archive). */
export interface LayoutFiles {
  /** Size of a regular file, or undefined when missing. */
  size(path: string): Promise<number | undefined>;
  read(path: string, maxBytes: number): Promise<Uint8Array>;
  /** File names directly inside a directory. */
  list(dir: string): Promise<string[]>;
  close(): Promise<void>;
}

export class DirectoryFiles implements LayoutFiles {
  constructor(private readonly root: string) {}

  async size(path: string): Promise<number | undefined> {
    try {
      const info = await stat(join(this.root, path));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  async read(path: string, maxBytes: number): Promise<Uint8Array> {
    const size = await this.size(path);
    if (size === undefined) throw new SigscanError('NOT_FOUND', `${path} is missing`);
    if (size > maxBytes) throw new SigscanError('TOO_LARGE', `${path} is over ${maxBytes} bytes`);
    return new Uint8Array(await readFile(join(this.root, path)));
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await readdir(join(this.root, dir));
    } catch {
      return [];
    }
  }

  async close(): Promise<void> {}
}

interface TarEntry {
  offset: number;
  size: number;
}

const MAX_TAR_ENTRIES = 200_000;

/**
 * An OCI archive or `docker save` tarball, read in place: headers are indexed once, contents are read by
 * offset when needed, nothing is extracted to disk. Names with `..` or an absolute path are ignored, so a
 * hostile archive cannot point outside itself. Hand-written because only ustar headers, GNU long names
 * and pax `path` records are needed, and tar libraries are built for extraction, which we never do.
 */
export class TarFiles implements LayoutFiles {
  private constructor(
    private readonly path: string,
    private readonly entries: Map<string, TarEntry>,
  ) {}

  /** Indexes the headers once; each later read opens the file briefly, so no handle outlives a read. */
  static async open(path: string): Promise<TarFiles> {
    const fh = await open(path, 'r');
    try {
      return new TarFiles(path, await indexTar(fh));
    } finally {
      await fh.close();
    }
  }

  async size(path: string): Promise<number | undefined> {
    return this.entries.get(normalize(path) ?? '')?.size;
  }

  async read(path: string, maxBytes: number): Promise<Uint8Array> {
    const entry = this.entries.get(normalize(path) ?? '');
    if (!entry) throw new SigscanError('NOT_FOUND', `${path} is not in the archive`);
    if (entry.size > maxBytes) throw new SigscanError('TOO_LARGE', `${path} is over ${maxBytes} bytes`);
    const buf = Buffer.alloc(entry.size);
    const fh = await open(this.path, 'r');
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(buf, 0, entry.size, entry.offset));
    } finally {
      await fh.close();
    }
    if (bytesRead !== entry.size)
      throw new SigscanError('MALFORMED_MANIFEST', `${path} is truncated in the archive`);
    return new Uint8Array(buf);
  }

  async list(dir: string): Promise<string[]> {
    const prefix = dir ? `${normalize(dir)}/` : '';
    const out = new Set<string>();
    for (const name of this.entries.keys()) {
      if (!name.startsWith(prefix)) continue;
      const rest = name.slice(prefix.length);
      if (rest && !rest.includes('/')) out.add(rest);
    }
    return [...out];
  }

  async close(): Promise<void> {}
}

function normalize(name: string): string | undefined {
  const clean = posix.normalize(name.replace(/^\.\//, ''));
  if (clean.startsWith('/') || clean === '..' || clean.startsWith('../') || clean.includes('/../'))
    return undefined;
  return clean.replace(/\/$/, '');
}

async function indexTar(fh: FileHandle): Promise<Map<string, TarEntry>> {
  const entries = new Map<string, TarEntry>();
  const size = (await fh.stat()).size;
  const header = Buffer.alloc(512);
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= size) {
    const { bytesRead } = await fh.read(header, 0, 512, offset);
    if (bytesRead < 512) break;
    if (header.every((b) => b === 0)) break;
    const entrySize = parseOctal(header.subarray(124, 136));
    if (entrySize === undefined)
      throw new SigscanError('MALFORMED_MANIFEST', 'tar header has an invalid size');
    const type = String.fromCharCode(header[156]!);
    const dataOffset = offset + 512;
    if (dataOffset + entrySize > size)
      throw new SigscanError('MALFORMED_MANIFEST', 'tar archive is truncated');
    if (type === 'L' || type === 'x') {
      const body = Buffer.alloc(Math.min(entrySize, 64 * 1024));
      await fh.read(body, 0, body.length, dataOffset);
      longName =
        type === 'L'
          ? body.toString('utf8').replace(/\0.*$/s, '')
          : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
    } else {
      const prefix = cString(header.subarray(345, 500));
      const base = cString(header.subarray(0, 100));
      const name = longName ?? (prefix ? `${prefix}/${base}` : base);
      longName = undefined;
      const clean = normalize(name);
      if (clean && (type === '0' || type === '\0' || type === '7')) {
        entries.set(clean, { offset: dataOffset, size: entrySize });
        if (entries.size > MAX_TAR_ENTRIES)
          throw new SigscanError('TOO_LARGE', 'tar archive has too many entries');
      }
    }
    offset = dataOffset + Math.ceil(entrySize / 512) * 512;
  }
  return entries;
}

function parseOctal(field: Buffer): number | undefined {
  if (field[0]! & 0x80) return undefined; // base-256 sizes mean > 8 GiB: not a layout blob we read
  const text = cString(field).trim();
  if (!/^[0-7]*$/.test(text)) return undefined;
  return text ? parseInt(text, 8) : 0;
}

function cString(field: Buffer): string {
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8');
}
