import { createHash } from 'node:crypto';
import { readFileSync, type BigIntStats, type Stats } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';

import { describeError, SigscanError } from '../errors.js';
import { scriptStyle } from '../formats/script.js';
import type { PeAuthenticode } from '../formats/pe/index.js';
import { OciLayoutStore } from '../oci/layout/store.js';
import type { ErrorEntry, FileFormat, FileTarget } from '../model/index.js';
import type { PreparedTarget, ScanJob, WalkWatch } from './job.js';
import { pathFilter } from '../util/glob.js';
import { inShard, type Shard } from '../util/shard.js';
import { storeTagJobs } from './registry.js';
import type { Limits } from '../util/limits.js';
import type { FileInput, Sidecar } from '../detectors/detector.js';
import { JobQueue } from './job-queue.js';
import { OpenFile } from './open-file.js';
import { leaseReadBuffer, releaseReadBuffer } from './read-buffers.js';
import { findSidecars, maySidecar } from './sidecars.js';
import { walkTree } from './walk.js';

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
  /** Directories listed while files are scanned (default 4). */
  walkConcurrency?: number;
  /** Entries of one directory held in memory before it is streamed instead (default 10,000; tests lower it). */
  directoryBatch?: number;
  /** PE images and ZIPs larger than this are read by ranges, never held whole (default STREAM_THRESHOLD; tests lower it). */
  streamThreshold?: number;
  /**
   * PE images within maxFileBytes and larger than this are read by ranges too (default 0: all of them);
   * tests raise it to Infinity to compare with a whole read.
   */
  peStreamThreshold?: number;
  /** Told of each file job as it is queued, and when the walk is over (see WalkWatch). */
  watch?: WalkWatch;
}

/**
 * Test seam: called after a file's bytes have been read and before they are checked against the size and
 * modification time the file had when it was opened. Tests change the file here, the one moment a real
 * race cannot be timed. Never set outside tests.
 */
export const fsTestHooks: { afterRead?: (absolutePath: string) => void | Promise<void> } = {};

/** Jobs found but not yet taken by the engine: enough to keep it busy, small enough not to matter. */
const QUEUE_CAPACITY = 1024;
const WALK_CONCURRENCY = 4;
const DIRECTORY_BATCH = 10_000;
/** Chunk for hashing files too large to hold: two buffers, one read while the other is hashed. */
const HASH_CHUNK = 1024 * 1024;
/** PE images and ZIP archives over this size are never held whole: their structures are read by position. */
export const STREAM_THRESHOLD = 16 * 1024 * 1024;
/**
 * Headers further into the file than this are refused rather than read: the loader maps them from the
 * first page, and no real image puts e_lfanew megabytes in.
 */
const MAX_PE_HEADER_BYTES = 16 * 1024 * 1024;

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
 * Symlinks are not followed unless asked, and then loops are cut. FIFOs and devices are never opened
 * (opening a FIFO would block the scan). Directories are read ahead, a few at a time, into a bounded queue
 * while the engine scans what was already found; roots are walked one after the other.
 */
export async function* fsJobs(opts: FsSourceOptions): AsyncIterable<ScanJob> {
  const queue = new JobQueue<ScanJob>(QUEUE_CAPACITY);
  const producing = produce(opts, queue)
    .then(
      () => queue.end(),
      (err: unknown) => queue.end(err),
    )
    .finally(() => opts.watch?.walked());
  try {
    yield* queue.drain();
  } finally {
    queue.cancel();
    await producing;
  }
}

async function produce(opts: FsSourceOptions, queue: JobQueue<ScanJob>): Promise<void> {
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
      if (!(await queue.put(announce(opts, fileJob(root, root, opts, sidecars))))) return;
      continue;
    }
    if (!info.isDirectory()) {
      // A device or FIFO named on the command line is refused, never opened: /dev/zero never ends.
      opts.scanErrors.push({
        code: 'FILE_UNREADABLE',
        message: `${root} is not a file or directory (${specialKind(info)}): not read`,
        source: root,
      });
      continue;
    }
    const accept = pathFilter(opts.include, opts.exclude);
    // Directories are listed concurrently: sorted at the end so the report does not depend on timing.
    const errors: ErrorEntry[] = [];
    let stopped = false;
    await walkTree(
      root,
      {
        followSymlinks: Boolean(opts.followSymlinks),
        concurrency: opts.walkConcurrency ?? WALK_CONCURRENCY,
        batchEntries: opts.directoryBatch ?? DIRECTORY_BATCH,
        counters: opts.counters,
      },
      {
        claimDirectory: async (dir) => {
          if (!(await OciLayoutStore.isLayout(dir))) return false;
          // An OCI image layout is scanned as images, through the same interface as a registry.
          if (!stopped && inShard(dir, opts.shard)) {
            for (const job of await layoutJobs(dir, opts, errors)) {
              if (!(await queue.put(job))) {
                stopped = true;
                break;
              }
            }
          }
          return true;
        },
        file: (path, rel, sidecars) => {
          if (stopped) return false;
          if (!accept(rel) || !inShard(path, opts.shard)) return true;
          opts.counters.files++;
          return queue.put(announce(opts, fileJob(path, path, opts, sidecars)));
        },
        error: (entry) => errors.push(entry),
      },
    );
    errors.sort((a, b) => compareText(`${a.source}\0${a.message}`, `${b.source}\0${b.message}`));
    opts.scanErrors.push(...errors);
    if (stopped) return;
  }
}

function announce(opts: FsSourceOptions, job: ScanJob): ScanJob {
  if (job.file) opts.watch?.queued(job.file);
  return job;
}

function specialKind(info: Stats): string {
  if (info.isCharacterDevice()) return 'character device';
  if (info.isBlockDevice()) return 'block device';
  if (info.isFIFO()) return 'FIFO';
  if (info.isSocket()) return 'socket';
  return 'special file';
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function layoutJobs(dir: string, opts: FsSourceOptions, errors: ErrorEntry[]): Promise<ScanJob[]> {
  try {
    return await storeTagJobs(new OciLayoutStore(dir, opts.limits.maxManifestBytes));
  } catch (err) {
    errors.push({ ...describeError(err), source: dir });
    return [];
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

const FORMAT_WHAT: Partial<Record<FileFormat, string>> = {
  jar: 'a ZIP/JAR archive',
  pe: 'a PE image (no MZ header)',
  msi: 'an MSI package (no OLE compound file header)',
  cab: 'a cabinet (no MSCF header)',
  cat: 'a security catalog (not DER)',
  apk: 'a ZIP/JAR archive',
  appx: 'an APPX/MSIX package (not a ZIP)',
  rpm: 'an RPM package (no RPM lead)',
  deb: 'a Debian package (no ar archive)',
};

const IN_TOTO_NAME = /\.(?:layout|link)$/i;
const IN_TOTO_MAX_BYTES = 16n * 1024n * 1024n;

/** MSI packages, patches, transforms and merge modules: OLE compound files the MSI SIP signs. */
const MSI_EXTENSIONS = new Set(['.msi', '.msp', '.mst', '.msm']);

/** APPX/MSIX packages and bundles: ZIPs the APPX SIP signs (AppxSignature.p7x). */
const APPX_EXTENSIONS = new Set(['.appx', '.msix', '.appxbundle', '.msixbundle']);

export function expectedFormat(path: string): FileFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.apk') return 'apk';
  if (ext === '.rpm') return 'rpm';
  if (ext === '.deb' || ext === '.udeb') return 'deb';
  if (JAR_EXTENSIONS.has(ext)) return 'jar';
  if (PE_EXTENSIONS.has(ext)) return 'pe';
  if (MSI_EXTENSIONS.has(ext)) return 'msi';
  if (ext === '.cab') return 'cab';
  if (ext === '.cat') return 'cat';
  if (APPX_EXTENSIONS.has(ext)) return 'appx';
  if (scriptStyle(path)) return 'script';
  return undefined;
}

/** What the first bytes say; `der` and `text` only where the name asks for a catalog or a script. */
type Kind = 'pe' | 'zip' | 'rpm' | 'deb' | 'ole' | 'cab' | 'der' | 'text';

const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function sniff(head: Uint8Array, expected: FileFormat | undefined): Kind | undefined {
  if (head[0] === 0x4d && head[1] === 0x5a) return 'pe';
  if (head[0] === 0xed && head[1] === 0xab && head[2] === 0xee && head[3] === 0xdb) return 'rpm';
  // An ar archive: a .deb when its first member is debian-binary (looksLikeDeb on the full bytes).
  if (Buffer.from(head.subarray(0, 8)).toString('latin1') === '!<arch>\n') return 'deb';
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5 || head[2] === 7)) return 'zip';
  if (OLE_MAGIC.every((b, i) => head[i] === b)) return 'ole';
  if (head[0] === 0x4d && head[1] === 0x53 && head[2] === 0x43 && head[3] === 0x46) return 'cab';
  // A catalog is a bare DER SEQUENCE (PKCS #7 ContentInfo); too common a first byte to sniff unnamed.
  if (expected === 'cat' && head[0] === 0x30) return 'der';
  // Scripts have no magic: the name decides, as it does for the script SIPs.
  if (expected === 'script') return 'text';
  return undefined;
}

const KIND_FORMAT: Record<Kind, FileFormat> = {
  pe: 'pe',
  zip: 'jar',
  rpm: 'rpm',
  deb: 'deb',
  ole: 'msi',
  cab: 'cab',
  der: 'cat',
  text: 'script',
};

/** JScript is everywhere (node_modules): a .js file is a target only when it holds a signature block. */
const JS_SIGNATURE_HEADER = Buffer.from('// SIG // Begin signature block');
const JS_SIGNATURE_HEADER_UTF16 = Buffer.from('// SIG // Begin signature block', 'utf16le');

/** Sidecars of a file named directly as a root, or `claimed` when the root is itself a signature file. */
async function siblingSidecars(path: string): Promise<Sidecar[] | 'claimed' | undefined> {
  const dir = dirname(path);
  // Only names that may be signature files are kept: the root's directory can be huge.
  const names: string[] = [];
  try {
    for await (const e of await opendir(dir)) if (e.isFile() && maySidecar(e.name)) names.push(e.name);
  } catch {
    return undefined;
  }
  names.sort();
  const { attached, claimed } = await findSidecars(dir, dir, names, async (name) => {
    try {
      return (await lstat(join(dir, name))).isFile();
    } catch {
      return false;
    }
  });
  const name = basename(path);
  if (claimed.has(name)) return 'claimed';
  return attached.get(name);
}

export function fileJob(
  displayPath: string,
  absolutePath: string,
  opts: FsSourceOptions,
  sidecars?: Sidecar[],
): ScanJob {
  return {
    file: { displayPath, absolutePath, ...(sidecars ? { sidecars } : {}) },
    run: async (): Promise<PreparedTarget[]> => {
      const expected = expectedFormat(displayPath);
      const failed = (format: FileFormat, size: number, digest: string, err: unknown): PreparedTarget[] => [
        {
          target: { kind: 'file', path: displayPath, size, digest, format },
          errors: [describeError(err)],
          skipDetection: true,
        },
      ];

      let fh: OpenFile;
      try {
        fh = await OpenFile.open(absolutePath);
      } catch (err) {
        return failed(expected ?? 'unknown', 0, '', err);
      }
      let kind: Kind | undefined;
      let blob = false;
      // What the file would be reported as if it changes under us before its type is settled.
      const provisional = (): FileFormat =>
        blob ? 'blob' : (expected ?? (kind === 'pe' || kind === 'rpm' || kind === 'deb' ? kind : 'unknown'));
      try {
        // Most files in a tree are none of ours: the first bytes settle that before anything else is asked.
        const head = new Uint8Array(8);
        const bytesRead = await fh.read(head, 0, 8, 0);
        kind = sniff(head.subarray(0, bytesRead), expected);
        // A file with a detached signature beside it is a target whatever its type (`blob`).
        blob = !kind && !expected && Boolean(sidecars?.length);
        if (!kind && !expected && !blob && TAR_NAME.test(displayPath)) {
          // An OCI archive or docker save tarball: its images are targets, read in place.
          const images = await archiveTargets(absolutePath, displayPath, opts);
          if (images) return images;
        }
        if (!kind && !expected && !blob) {
          // in-toto layouts and links are JSON named *.layout / *.link: read only those candidates.
          const opened = IN_TOTO_NAME.test(displayPath) ? await fh.stat() : undefined;
          if (opened && opened.size <= IN_TOTO_MAX_BYTES) {
            const bytes = await readStable(fh, opened, absolutePath);
            opts.counters.bytesRead += bytes.byteLength;
            const { looksLikeInToto } = await import('../formats/in-toto/index.js');
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
        const opened = await fh.stat();
        const size = Number(opened.size);
        // Every PE image the limits let through is read by ranges, not only the large ones: holding a file
        // whole costs fresh memory per file (page faults, then a slow first pass over bytes just copied
        // in), while this path hashes through two reused buffers in one pass for the file SHA-256 and the
        // image hashes. On 67 vendor PEs (273 MB) that was about 0.8 s of a 1.8 s scan's CPU. A PE over
        // maxFileBytes but under the stream threshold stays FILE_TOO_LARGE, as before.
        const streamedPe =
          kind === 'pe' &&
          (size > (opts.streamThreshold ?? STREAM_THRESHOLD) ||
            (size > (opts.peStreamThreshold ?? 0) && size <= opts.limits.maxFileBytes));
        if (streamedPe) {
          const streamed = await streamPe(fh, opened, absolutePath, expected, opts);
          const target: FileTarget = {
            kind: 'file',
            path: displayPath,
            size,
            digest: streamed.digest,
            format: 'pe',
          };
          const file = readOnDemand(absolutePath, streamed.digest, size, opts.limits.maxFileBytes, {
            authenticode: streamed.authenticode,
            // Only past the threshold is it `large` (not matched against catalogs): a smaller image is
            // read again for that, on demand, as it would have been held.
            ...(size > (opts.streamThreshold ?? STREAM_THRESHOLD)
              ? { large: { size, mtimeNs: opened.mtimeNs } }
              : {}),
            ...(sidecars?.length ? { sidecars } : {}),
          });
          return [{ target, context: { file } }];
        }
        // APKs stay on the whole-file path (under the file-size limit): the v2/v3 verifier reads bytes.
        if (
          kind === 'zip' &&
          expected !== 'apk' &&
          expected !== 'appx' &&
          size > (opts.streamThreshold ?? STREAM_THRESHOLD)
        ) {
          return await streamZip({ fh, opened, absolutePath, displayPath, expected, opts, sidecars });
        }
        if (size > opts.limits.maxFileBytes) {
          // Too large to hold: hashed in one streaming pass so the report still names the file exactly.
          const digest = await hashStable(fh, opened, absolutePath);
          opts.counters.bytesRead += size;
          return failed(
            blob ? 'blob' : (expected ?? (kind ? KIND_FORMAT[kind] : 'jar')),
            size,
            digest,
            new SigscanError(
              'FILE_TOO_LARGE',
              `file is ${size} bytes, over the ${opts.limits.maxFileBytes}-byte limit`,
            ),
          );
        }
        if (kind === 'zip' && expected !== 'apk' && expected !== 'appx') {
          return await heldZip({ fh, opened, absolutePath, displayPath, expected, opts, sidecars });
        }
        // One read serves hashing, sniffing and every detector.
        const bytes = await readStable(fh, opened, absolutePath);
        // The type was settled from a first look; bytes that say otherwise were written in between.
        if (sniff(bytes, expected) !== kind) throw changed(absolutePath, 'its first bytes changed');
        opts.counters.bytesRead += bytes.byteLength;
        // Hashed where a target is made: most .js files and ZIPs in a tree turn out not to be ours and are skipped.
        const sha256 = () => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
        const file = { absolutePath, bytes, ...(sidecars?.length ? { sidecars } : {}) };
        if (blob) {
          const target: FileTarget = {
            kind: 'file',
            path: displayPath,
            size: bytes.byteLength,
            digest: sha256(),
            format: 'blob',
          };
          return [{ target, context: { file } }];
        }
        if (!kind) {
          const what = FORMAT_WHAT[expected!] ?? expected!;
          const message =
            bytes.byteLength === 0 ? `empty file named like ${what}` : `file named like ${what} is not one`;
          return failed(expected!, bytes.byteLength, sha256(), new SigscanError('FORMAT_MISMATCH', message));
        }
        let format: FileFormat = KIND_FORMAT[kind];
        const notOurs =
          (kind === 'ole' && expected !== 'msi') ||
          (kind === 'text' &&
            scriptStyle(displayPath) === 'js' &&
            !Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(
              bytes[0] === 0xff && bytes[1] === 0xfe ? JS_SIGNATURE_HEADER_UTF16 : JS_SIGNATURE_HEADER,
            ));
        // Another ar archive (a static library) is not a Debian package.
        const notDeb = kind === 'deb' && !(await import('../formats/deb/index.js')).looksLikeDeb(bytes);
        if (notOurs || notDeb) {
          // Other OLE documents (Office, Outlook), unsigned JScript and other ar archives: not our targets.
          if (!sidecars?.length) {
            opts.counters.skipped++;
            return [];
          }
          format = 'blob';
        } else if (kind === 'zip') {
          // Only ZIPs named as APPX or APK come here (other ZIPs are heldZip's). By name, as Windows picks
          // the APPX SIP: its hashes are read in memory; an APK's v2/v3 schemes apply beside v1.
          format = expected === 'appx' ? 'appx' : 'apk';
        }
        const target: FileTarget = {
          kind: 'file',
          path: displayPath,
          size: bytes.byteLength,
          digest: sha256(),
          format,
        };
        return [{ target, context: { file } }];
      } catch (err) {
        if (err instanceof SigscanError && err.code === 'FILE_CHANGED') {
          // Torn bytes prove nothing: no digest, no detection, and an error that says why.
          return failed(provisional(), 0, '', err);
        }
        return failed(expected ?? 'unknown', 0, '', err);
      } finally {
        await fh.close();
      }
    },
  };
}

/**
 * Reads exactly the size the file had when opened, into one buffer (no chunks joined afterwards, so a file
 * costs its size in memory once). Throws FILE_CHANGED when the file ends early, goes on past that size,
 * or its size or modification time differ afterwards: such bytes may mix two versions of the file.
 */
async function readStable(
  fh: OpenFile,
  opened: BigIntStats,
  path: string,
  into?: Uint8Array,
): Promise<Uint8Array> {
  const size = Number(opened.size);
  const bytes = into ?? new Uint8Array(size);
  let position = 0;
  while (position < size) {
    const bytesRead = await fh.read(bytes, position, size - position, position);
    if (bytesRead === 0) throw changed(path, `it ended after ${position} of ${size} bytes`);
    position += bytesRead;
  }
  await checkUnchanged(fh, opened, path);
  return bytes;
}

/** SHA-256 of a file too large to hold, through one reused buffer, with the same checks as readStable. */
async function hashStable(fh: OpenFile, opened: BigIntStats, path: string): Promise<string> {
  const size = Number(opened.size);
  const hash = createHash('sha256');
  const chunk = new Uint8Array(Math.min(HASH_CHUNK, Math.max(size, 1)));
  let position = 0;
  while (position < size) {
    const bytesRead = await fh.read(chunk, 0, Math.min(chunk.byteLength, size - position), position);
    if (bytesRead === 0) throw changed(path, `it ended after ${position} of ${size} bytes`);
    hash.update(chunk.subarray(0, bytesRead));
    position += bytesRead;
  }
  await checkUnchanged(fh, opened, path);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * A PE image too large to hold, in one pass: headers and certificate table by positional reads first, then
 * every byte once, feeding the file's SHA-256 and the image hash of each algorithm its signatures name.
 * A parse failure does not stop the hashing: it is handed to the detector, which throws it as it would
 * have for the whole file, so the report is the same as for a file read whole.
 */
async function streamPe(
  fh: OpenFile,
  opened: BigIntStats,
  path: string,
  expected: FileFormat | undefined,
  opts: FsSourceOptions,
): Promise<{ digest: string; authenticode: NonNullable<FileInput['authenticode']> }> {
  const size = Number(opened.size);
  const readExact = async (position: number, length: number): Promise<Uint8Array> => {
    const out = new Uint8Array(length);
    let at = 0;
    while (at < length) {
      const n = await fh.read(out, at, length - at, position + at);
      if (n === 0) throw changed(path, `it ended after ${position + at} of ${size} bytes`);
      at += n;
    }
    return out;
  };
  // The PE code (and the CMS and X.509 code under it, pkijs included) loads with the first PE image.
  const [
    { checkTableSize, headerBytesNeeded, ImageHasher, parsePeLayout, readPeAuthenticodeParts },
    { authenticodeBounds, imageHashAlgorithms },
  ] = await Promise.all([import('../formats/pe/index.js'), import('../detectors/authenticode.js')]);
  let pe: PeAuthenticode | undefined;
  let error: unknown;
  try {
    let head = await readExact(0, Math.min(size, 4096));
    // The type was settled from a first look; as for a whole read, bytes that say otherwise were written since.
    if (sniff(head, expected) !== 'pe') throw changed(path, 'its first bytes changed');
    for (let need = headerBytesNeeded(head); need > head.length && head.length < size;) {
      if (need > MAX_PE_HEADER_BYTES) {
        throw new SigscanError(
          'MALFORMED_PE',
          `PE headers reach 0x${need.toString(16)}, past the first 16 MiB`,
        );
      }
      head = await readExact(0, Math.min(size, need));
      need = headerBytesNeeded(head);
    }
    const layout = parsePeLayout(head, size);
    const bounds = authenticodeBounds(opts.limits);
    const { offset, size: tableSize } = layout.certificateTable;
    if (tableSize > 0) checkTableSize(tableSize, bounds);
    const table = tableSize > 0 ? await readExact(offset, tableSize) : new Uint8Array(0);
    pe = readPeAuthenticodeParts(layout, table, bounds);
  } catch (err) {
    if (err instanceof SigscanError && err.code === 'FILE_CHANGED') throw err;
    error = err;
  }
  const imageHasher = pe ? new ImageHasher(pe.layout, imageHashAlgorithms(pe)) : undefined;
  const digest = await hashPass(fh, opened, path, (chunk, position) => imageHasher?.update(chunk, position));
  opts.counters.bytesRead += size;
  const authenticode = pe
    ? { pe, imageHashes: imageHasher!.digests() }
    : { error, imageHashes: new Map<string, Uint8Array>() };
  return { digest, authenticode };
}

/**
 * SHA-256 of a file not held whole, in one pass that also hands each chunk to `onChunk` (other digests of
 * the same bytes), with the same checks as readStable. The next chunk is read while this one is hashed.
 */
async function hashPass(
  fh: OpenFile,
  opened: BigIntStats,
  path: string,
  onChunk?: (chunk: Uint8Array, position: number) => void,
): Promise<string> {
  const size = Number(opened.size);
  const hash = createHash('sha256');
  const buffers = [takeChunk(), takeChunk()] as const;
  const readChunk = (position: number, buffer: Uint8Array): Promise<number> =>
    position < size
      ? fh.read(buffer, 0, Math.min(HASH_CHUNK, size - position), position)
      : Promise.resolve(0);
  let position = 0;
  let turn = 0;
  let pending = readChunk(0, buffers[0]);
  try {
    while (position < size) {
      const bytesRead = await pending;
      if (bytesRead === 0) throw changed(path, `it ended after ${position} of ${size} bytes`);
      const chunk = buffers[turn]!.subarray(0, bytesRead);
      turn ^= 1;
      pending = readChunk(position + bytesRead, buffers[turn]!);
      hash.update(chunk);
      onChunk?.(chunk, position);
      position += bytesRead;
    }
  } finally {
    // A read still in flight writes into its buffer: only once it is done may the buffers be reused.
    await pending.catch(() => 0);
    spareChunks.push(...buffers.slice(0, SPARE_CHUNKS - spareChunks.length));
  }
  await checkUnchanged(fh, opened, path);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Hash buffers kept between files: a fresh 1 MiB buffer per file costs page faults and a cold first pass
 * each time, as a whole read does. Files hashed at once each hold two; a few more are not kept.
 */
const SPARE_CHUNKS = 8;
const spareChunks: Uint8Array[] = [];

function takeChunk(): Uint8Array {
  return spareChunks.pop() ?? new Uint8Array(HASH_CHUNK);
}

/** What streamZip and heldZip need of the file job that opened a ZIP. */
interface ZipFileJob {
  fh: OpenFile;
  opened: BigIntStats;
  absolutePath: string;
  displayPath: string;
  expected: FileFormat | undefined;
  opts: FsSourceOptions;
  sidecars: Sidecar[] | undefined;
}

/**
 * A ZIP is a JAR when named so or when it holds a JAR manifest; otherwise a blob, and only when a sidecar
 * signs it (undefined: nothing here to check). An archive whose manifest cannot be read is not a JAR.
 */
async function jarOrBlob<T>(
  archive: T,
  expected: FileFormat | undefined,
  sidecars: Sidecar[] | undefined,
  looksLikeJar: (archive: T) => Promise<boolean>,
): Promise<'jar' | 'blob' | undefined> {
  if (expected === 'jar') return 'jar';
  let jar = false;
  try {
    jar = await looksLikeJar(archive);
  } catch {
    jar = false;
  }
  if (jar) return 'jar';
  return sidecars?.length ? 'blob' : undefined;
}

/**
 * A ZIP too large to hold: read in place (central directory, local headers and entries by position), its
 * digest from one streaming pass. The JAR detector opens it again the same way.
 */
async function streamZip(job: ZipFileJob): Promise<PreparedTarget[]> {
  const { fh, opened, absolutePath, displayPath, expected, opts, sidecars } = job;
  const size = Number(opened.size);
  // ZIP and JAR code is loaded when a tree has archives: a tree of PE images (a worker's share) never needs it.
  const [{ ArchiveFile }, { looksLikeJar }, { nestedArchiveTargets }] = await Promise.all([
    import('../formats/zip/index.js'),
    import('../formats/jar/index.js'),
    import('./nested.js'),
  ]);
  const archive = ArchiveFile.open(absolutePath);
  try {
    if (archive.size !== size || archive.mtimeNs !== opened.mtimeNs) {
      throw changed(absolutePath, 'it was replaced while it was opened');
    }
    const format = await jarOrBlob(archive, expected, sidecars, looksLikeJar);
    if (!format) {
      opts.counters.skipped++;
      return [];
    }
    const digest = await hashPass(fh, opened, absolutePath);
    opts.counters.bytesRead += size;
    const target: FileTarget = { kind: 'file', path: displayPath, size, digest, format };
    const file = readOnDemand(absolutePath, digest, size, opts.limits.maxFileBytes, {
      large: { size, mtimeNs: opened.mtimeNs },
      ...(sidecars?.length ? { sidecars } : {}),
    });
    const own: PreparedTarget = { target, context: { file } };
    if (format !== 'jar') return [own];
    return [own, ...(await nestedArchiveTargets(archive, displayPath, absolutePath, opts.limits))];
  } finally {
    archive.close();
  }
}

/**
 * A ZIP within the streaming threshold (not named as an APK or APPX): read whole into a leased buffer
 * (read-buffers.ts), and everything that needs its bytes done before this job gives the buffer back: the
 * SHA-256, the type (an APK Signing Block, a JAR manifest), the archives nested in it and, for a JAR, the
 * JAR analysis the detector would otherwise run on the held bytes. What goes on holds no view of the
 * buffer: the analysis keeps only copies (ZipArchive.read), an APK or a blob gets a copy of the bytes (its
 * detectors read them), and a JAR's own bytes are read again only if a detector asks (a sidecar
 * signature, a catalog beside it), checked against the digest reported.
 */
async function heldZip(job: ZipFileJob): Promise<PreparedTarget[]> {
  const { fh, opened, absolutePath, displayPath, expected, opts, sidecars } = job;
  const size = Number(opened.size);
  const lease = leaseReadBuffer(size);
  try {
    const bytes = await readStable(fh, opened, absolutePath, lease);
    // The type was settled from a first look; bytes that say otherwise were written in between.
    if (sniff(bytes, expected) !== 'zip') throw changed(absolutePath, 'its first bytes changed');
    opts.counters.bytesRead += size;
    const withSidecars = sidecars?.length ? { sidecars } : {};
    // Only the signing-block reader: the APK verifier is loaded for APKs, not for every JAR. Any ZIP holding
    // an APK Signing Block is an APK: the v2/v3 schemes apply beside v1.
    const { hasApkSigningBlock } = await import('../formats/apk/signing-block.js');
    const { looksLikeJar } = await import('../formats/jar/index.js');
    const format = hasApkSigningBlock(bytes)
      ? 'apk'
      : await jarOrBlob(bytes, expected, sidecars, looksLikeJar);
    if (!format) {
      opts.counters.skipped++;
      return [];
    }
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const target: FileTarget = { kind: 'file', path: displayPath, size, digest, format };
    if (format !== 'jar') {
      return [{ target, context: { file: { absolutePath, bytes: bytes.slice(), ...withSidecars } } }];
    }
    const [{ analyzeJar }, { nestedArchiveTargets }] = await Promise.all([
      import('../formats/jar/index.js'),
      import('./nested.js'),
    ]);
    let jar: NonNullable<FileInput['jar']>;
    try {
      jar = { analysis: await analyzeJar(bytes, opts.limits) };
    } catch (error) {
      // Thrown by the detector, as it would have thrown reading the held bytes itself.
      jar = { error };
    }
    const file = sidecars?.length
      ? { absolutePath, bytes: bytes.slice(), jar, ...withSidecars }
      : readOnDemand(absolutePath, digest, size, opts.limits.maxFileBytes, { jar });
    const own: PreparedTarget = { target, context: { file } };
    // Libraries inside WARs, EARs and fat JARs are targets of their own; this file's result is unchanged.
    return [own, ...(await nestedArchiveTargets(bytes, displayPath, absolutePath, opts.limits))];
  } finally {
    releaseReadBuffer(lease);
  }
}

/**
 * The file input of a file that was not held whole: `bytes` is read only if a detector asks (a sidecar
 * signature over the whole file), under the size limit, and only if it still hashes to what was reported.
 */
function readOnDemand(
  absolutePath: string,
  digest: string,
  size: number,
  maxFileBytes: number,
  rest: Omit<FileInput, 'absolutePath' | 'bytes'>,
): FileInput {
  let bytes: Uint8Array | undefined;
  const file = { absolutePath, ...rest } as FileInput;
  Object.defineProperty(file, 'bytes', {
    enumerable: false,
    get(): Uint8Array {
      if (bytes) return bytes;
      if (size > maxFileBytes) {
        throw new SigscanError(
          'FILE_TOO_LARGE',
          `file is ${size} bytes, over the ${maxFileBytes}-byte limit`,
        );
      }
      const read = new Uint8Array(readFileSync(absolutePath));
      if (`sha256:${createHash('sha256').update(read).digest('hex')}` !== digest) {
        throw changed(absolutePath, 'its bytes no longer hash to the digest reported');
      }
      bytes = read;
      return bytes;
    },
  });
  return file;
}

async function checkUnchanged(fh: OpenFile, opened: BigIntStats, path: string): Promise<void> {
  const size = Number(opened.size);
  // One byte past the end tells a file that grew from one that did not.
  const bytesRead = await fh.read(new Uint8Array(1), 0, 1, size);
  if (bytesRead > 0) throw changed(path, `it grew past ${size} bytes`);
  await fsTestHooks.afterRead?.(path);
  const now = await fh.stat();
  if (now.size !== opened.size) throw changed(path, `its size went from ${opened.size} to ${now.size} bytes`);
  if (now.mtimeNs !== opened.mtimeNs) throw changed(path, 'its modification time changed');
}

function changed(path: string, how: string): SigscanError {
  return new SigscanError('FILE_CHANGED', `${path} changed while it was read (${how}): not scanned`);
}
