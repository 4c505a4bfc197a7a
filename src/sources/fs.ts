import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, opendir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, sep } from 'node:path';
import { readdir } from 'node:fs/promises';

import { describeError, SigscanError } from '../errors.js';
import { looksLikeInToto } from '../formats/in-toto/index.js';
import { looksLikeJar } from '../formats/jar/index.js';
import { OciLayoutStore } from '../oci/layout/store.js';
import type { ErrorEntry, FileFormat, FileTarget } from '../model/index.js';
import type { PreparedTarget, ScanJob } from './job.js';
import { pathFilter } from '../util/glob.js';
import { inShard, type Shard } from '../util/shard.js';
import { storeTagJobs } from './registry.js';
import type { Limits } from '../util/limits.js';
import type { Sidecar } from '../detectors/detector.js';
import { findSidecars } from './sidecars.js';

export interface FsSourceOptions {
  roots: string[];
  followSymlinks?: boolean;
  include?: string[];
  exclude?: string[];
  limits: Limits;
  scanErrors: ErrorEntry[];
  counters: FsCounters;
  /** Only the files (and layouts) this job owns when a fleet splits the trees. */
  shard?: Shard;
}

/** What the walk saw but did not report as targets, for the summary. */
export interface FsCounters {
  files: number;
  skipped: number;
  symlinksSkipped: number;
  specialSkipped: number;
  bytesRead: number;
}

export function newFsCounters(): FsCounters {
  return { files: 0, skipped: 0, symlinksSkipped: 0, specialSkipped: 0, bytesRead: 0 };
}

const JAR_EXTENSIONS = new Set([
  '.jar',
  '.war',
  '.ear',
  '.apk',
  '.aar',
  '.sar',
  '.rar',
  '.hpi',
  '.jpi',
  '.kar',
  '.jmod',
]);
const PE_EXTENSIONS = new Set([
  '.exe',
  '.dll',
  '.sys',
  '.efi',
  '.ocx',
  '.scr',
  '.cpl',
  '.drv',
  '.mui',
  '.msstyles',
]);

/**
 * Walks directory trees and yields one job per regular file. Type comes from magic bytes, never from the
 * name; the name only tells us when a file *should* have been a JAR or PE and is not, which is reported.
 * Symlinks are not followed unless asked, and then loops are cut by real path. FIFOs and devices are
 * never opened (opening a FIFO would block the scan).
 */
export async function* fsJobs(opts: FsSourceOptions): AsyncIterable<ScanJob> {
  for (const root of opts.roots) {
    let info;
    try {
      info = await stat(root);
    } catch (err) {
      opts.scanErrors.push({ ...describeError(err), code: 'FILE_UNREADABLE', source: root });
      continue;
    }
    if (info.isFile()) {
      const sidecars = await siblingSidecars(root);
      if (sidecars === 'claimed') continue; // a signature file: reported on the file it signs
      opts.counters.files++;
      yield fileJob(root, root, opts, sidecars);
      continue;
    }
    const accept = pathFilter(opts.include, opts.exclude);
    const visited = new Set<string>();
    yield* walk(root, root, accept, visited, opts);
  }
}

async function* walk(
  root: string,
  dir: string,
  accept: (rel: string) => boolean,
  visited: Set<string>,
  opts: FsSourceOptions,
): AsyncIterable<ScanJob> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    unreadableDirectory(opts, dir, 'read', err);
    return;
  }
  if (visited.has(real)) return;
  visited.add(real);
  if (await OciLayoutStore.isLayout(dir)) {
    if (!inShard(dir, opts.shard)) return;
    // An OCI image layout is scanned as images, through the same interface as a registry.
    yield* layoutJobs(dir, opts);
    return;
  }

  let entries;
  try {
    entries = await opendir(dir);
  } catch (err) {
    unreadableDirectory(opts, dir, 'read', err);
    return;
  }
  const names: Array<{ name: string; kind: 'dir' | 'file' | 'link' | 'special' }> = [];
  try {
    for await (const e of entries) {
      names.push({
        name: e.name,
        kind: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? 'link' : 'special',
      });
    }
  } catch (err) {
    unreadableDirectory(opts, dir, 'list', err);
  }
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // Detached signatures travel with the file they sign and are never targets themselves.
  const { attached, claimed } = await findSidecars(
    dir,
    dir,
    names.filter((n) => n.kind === 'file' || (n.kind === 'link' && opts.followSymlinks)).map((n) => n.name),
  );

  for (const { name, kind: listedKind } of names) {
    const path = join(dir, name);
    const rel = relative(root, path).split(sep).join('/');
    let kind = listedKind;
    if (kind === 'link') {
      if (!opts.followSymlinks) {
        opts.counters.symlinksSkipped++;
        continue;
      }
      try {
        const target = await stat(path);
        kind = target.isDirectory() ? 'dir' : target.isFile() ? 'file' : 'special';
      } catch {
        opts.counters.symlinksSkipped++;
        continue;
      }
    }
    if (kind === 'dir') {
      yield* walk(root, path, accept, visited, opts);
    } else if (kind === 'special') {
      opts.counters.specialSkipped++;
    } else if (claimed.has(name)) {
      continue;
    } else if (accept(rel) && inShard(path, opts.shard)) {
      opts.counters.files++;
      yield fileJob(path, path, opts, attached.get(name));
    }
  }
}

async function* layoutJobs(dir: string, opts: FsSourceOptions): AsyncIterable<ScanJob> {
  try {
    yield* await storeTagJobs(new OciLayoutStore(dir, opts.limits.maxManifestBytes));
  } catch (err) {
    opts.scanErrors.push({ ...describeError(err), source: dir });
  }
}

const TAR_NAME = /\.tar$/i;

/** Targets of an image archive, or undefined when the tarball holds no OCI layout (it is then skipped). */
async function archiveTargets(
  absolutePath: string,
  displayPath: string,
  opts: FsSourceOptions,
): Promise<PreparedTarget[] | undefined> {
  let store: OciLayoutStore;
  try {
    store = await OciLayoutStore.fromTar(absolutePath, opts.limits.maxManifestBytes);
  } catch {
    return undefined;
  }
  try {
    let jobs: ScanJob[];
    try {
      jobs = await storeTagJobs(store);
    } catch (err) {
      const e = describeError(err);
      // Only archives that look like images are reported; any other tarball stays a skipped file.
      if (!/docker save/.test(e.message)) return undefined;
      opts.scanErrors.push({ ...e, source: displayPath });
      return [];
    }
    // The archive is read in place by the detectors after this returns (each read opens it briefly).
    const out: PreparedTarget[] = [];
    for (const job of jobs) out.push(...(await job.run()));
    return out;
  } catch {
    return undefined;
  }
}

function unreadableDirectory(opts: FsSourceOptions, dir: string, verb: string, err: unknown): void {
  opts.scanErrors.push({
    code: 'FILE_UNREADABLE',
    message: `cannot ${verb} directory ${dir}: ${describeError(err).message}`,
    source: dir,
  });
}

const IN_TOTO_NAME = /\.(?:layout|link)$/i;
const IN_TOTO_MAX_BYTES = 16 * 1024 * 1024;

function expectedFormat(path: string): FileFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (JAR_EXTENSIONS.has(ext)) return 'jar';
  if (PE_EXTENSIONS.has(ext)) return 'pe';
  return undefined;
}

function sniff(head: Uint8Array): 'pe' | 'zip' | undefined {
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5 || head[2] === 7)) return 'zip';
  return undefined;
}

/** Sidecars of a file named directly as a root, or `claimed` when the root is itself a signature file. */
async function siblingSidecars(path: string): Promise<Sidecar[] | 'claimed' | undefined> {
  let names: string[];
  try {
    const entries = await readdir(dirname(path), { withFileTypes: true });
    names = entries.filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return undefined;
  }
  const { attached, claimed } = await findSidecars(dirname(path), dirname(path), names);
  const name = basename(path);
  if (claimed.has(name)) return 'claimed';
  return attached.get(name);
}

function fileJob(
  displayPath: string,
  absolutePath: string,
  opts: FsSourceOptions,
  sidecars?: Sidecar[],
): ScanJob {
  return {
    run: async (): Promise<PreparedTarget[]> => {
      const expected = expectedFormat(displayPath);
      const failed = (format: FileFormat, size: number, digest: string, err: unknown): PreparedTarget[] => [
        {
          target: { kind: 'file', path: displayPath, size, digest, format },
          errors: [describeError(err)],
          skipDetection: true,
        },
      ];

      let fh: FileHandle;
      try {
        fh = await open(absolutePath, 'r');
      } catch (err) {
        return failed(expected ?? 'unknown', 0, '', err);
      }
      try {
        const size = (await fh.stat()).size;
        const head = new Uint8Array(8);
        const { bytesRead } = await fh.read(head, 0, 8, 0);
        const kind = sniff(head.subarray(0, bytesRead));
        // A file with a detached signature beside it is a target whatever its type (`blob`).
        const blob = !kind && !expected && Boolean(sidecars?.length);
        if (!kind && !expected && !blob && TAR_NAME.test(displayPath)) {
          // An OCI archive or docker save tarball: its images are targets, read in place.
          const images = await archiveTargets(absolutePath, displayPath, opts);
          if (images) return images;
        }
        if (!kind && !expected && !blob) {
          // in-toto layouts and links are JSON named *.layout / *.link: read only those candidates.
          if (IN_TOTO_NAME.test(displayPath) && size <= IN_TOTO_MAX_BYTES) {
            const bytes = await readAll(fh, size);
            opts.counters.bytesRead += bytes.byteLength;
            if (looksLikeInToto(bytes, displayPath)) {
              const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
              const target: FileTarget = {
                kind: 'file',
                path: displayPath,
                size: bytes.byteLength,
                digest,
                format: 'in-toto',
              };
              return [{ target, context: { file: { absolutePath, bytes } } }];
            }
          }
          opts.counters.skipped++;
          return [];
        }
        if (size > opts.limits.maxFileBytes) {
          const digest = await hashStream(absolutePath);
          opts.counters.bytesRead += size;
          return failed(
            blob ? 'blob' : (expected ?? (kind === 'pe' ? 'pe' : 'jar')),
            size,
            digest,
            new SigscanError(
              'FILE_TOO_LARGE',
              `file is ${size} bytes, over the ${opts.limits.maxFileBytes}-byte limit`,
            ),
          );
        }
        const bytes = await readAll(fh, size);
        opts.counters.bytesRead += bytes.byteLength;
        const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        const file = { absolutePath, bytes, ...(sidecars?.length ? { sidecars } : {}) };
        if (blob) {
          const target: FileTarget = {
            kind: 'file',
            path: displayPath,
            size: bytes.byteLength,
            digest,
            format: 'blob',
          };
          return [{ target, context: { file } }];
        }
        if (!kind) {
          const what = expected === 'jar' ? 'a ZIP/JAR archive' : 'a PE image (no MZ header)';
          const message =
            bytes.byteLength === 0 ? `empty file named like ${what}` : `file named like ${what} is not one`;
          return failed(expected!, bytes.byteLength, digest, new SigscanError('FORMAT_MISMATCH', message));
        }
        let format: FileFormat = kind === 'pe' ? 'pe' : 'jar';
        if (kind === 'zip' && expected !== 'jar') {
          let jar = false;
          try {
            jar = await looksLikeJar(bytes);
          } catch {
            jar = false;
          }
          if (!jar && !sidecars?.length) {
            opts.counters.skipped++;
            return [];
          }
          format = jar ? 'jar' : 'blob';
        }
        const target: FileTarget = {
          kind: 'file',
          path: displayPath,
          size: bytes.byteLength,
          digest,
          format,
        };
        return [{ target, context: { file } }];
      } catch (err) {
        return failed(expected ?? 'unknown', 0, '', err);
      } finally {
        await fh.close();
      }
    },
  };
}

/** Reads from the open handle until EOF: a file that grows or shrinks under us is read as it is. */
async function readAll(fh: FileHandle, sizeHint: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let position = 0;
  let total = 0;
  const chunkSize = Math.max(64 * 1024, Math.min(sizeHint + 1, 16 * 1024 * 1024));
  for (;;) {
    const buf = Buffer.allocUnsafe(chunkSize);
    const { bytesRead } = await fh.read(buf, 0, chunkSize, position);
    if (bytesRead === 0) break;
    chunks.push(buf.subarray(0, bytesRead));
    position += bytesRead;
    total += bytesRead;
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

function hashStream(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(`sha256:${hash.digest('hex')}`))
      .on('error', reject);
  });
}
