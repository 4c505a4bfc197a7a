import { createHash } from 'node:crypto';

import { describeError, SigscanError, type ErrorCode } from '../errors.js';
import { openZip, type ArchiveFile, type ZipArchive, type ZipEntry } from '../formats/zip/index.js';
import { NESTED_SEPARATOR, type FileTarget } from '../model/index.js';
import type { Limits } from '../util/limits.js';
import type { PreparedTarget } from './job.js';

/** Between an archive and an entry inside it, as in Java's `jar:file:/srv/app.war!/WEB-INF/lib/x.jar`. */

/** Entries scanned as archives of their own: libraries in WARs, EARs and fat JARs, resource adapters. */
const NESTED_NAME = /\.(?:jar|war|ear|rar)$/i;

export type NestedLimits = Pick<
  Limits,
  | 'maxNestingDepth'
  | 'maxNestedEntryBytes'
  | 'maxNestedBytes'
  | 'maxNestedArchives'
  | 'maxArchiveEntries'
  | 'maxCompressionRatio'
>;

interface Walk {
  /** The file on disk, as reported and as opened. */
  displayPath: string;
  absolutePath: string;
  limits: NestedLimits;
  out: PreparedTarget[];
  /** Inflated bytes still allowed for this outer file. */
  bytesLeft: number;
  /** Nested targets still allowed for this outer file. */
  archivesLeft: number;
  stopped: boolean;
}

/**
 * The archives inside a JAR-family file (and inside those, down to maxNestingDepth), each as a file target
 * of its own: `app.war!/WEB-INF/lib/x.jar`, with the SHA-256 of its inflated bytes, scanned by the same
 * detectors. The outer file's own target is not touched. Every entry named like an archive ends up as a
 * target: scanned, or carrying the error that says why not (too deep, too large, over the budget, not a
 * ZIP). An archive that cannot be opened yields nothing here: its own target reports that.
 */
export async function nestedArchiveTargets(
  bytes: Uint8Array | ArchiveFile,
  displayPath: string,
  absolutePath: string,
  limits: NestedLimits,
): Promise<PreparedTarget[]> {
  if (limits.maxNestingDepth <= 0) return [];
  const walk: Walk = {
    displayPath,
    absolutePath,
    limits,
    out: [],
    bytesLeft: limits.maxNestedBytes,
    archivesLeft: limits.maxNestedArchives,
    stopped: false,
  };
  await collect(walk, bytes, displayPath, 1);
  return walk.out;
}

async function collect(
  walk: Walk,
  bytes: Uint8Array | ArchiveFile,
  container: string,
  depth: number,
): Promise<void> {
  const { limits } = walk;
  let zip: ZipArchive;
  try {
    zip = await openZip(bytes, {
      maxArchiveEntries: limits.maxArchiveEntries,
      // Entry sizes are charged to this file's nested budget below, not to the reader's.
      maxArchiveUncompressedBytes: Number.MAX_SAFE_INTEGER,
      maxCompressionRatio: limits.maxCompressionRatio,
    });
  } catch {
    return;
  }
  try {
    for (const entry of zip.entries) {
      if (walk.stopped) return;
      if (!isNestedArchive(zip, entry)) continue;
      const path = `${container}${NESTED_SEPARATOR}${entry.name}`;
      if (walk.archivesLeft === 0) {
        walk.stopped = true;
        refuse(
          walk,
          path,
          entry,
          'TOO_LARGE',
          `more than ${limits.maxNestedArchives} nested archives in ${walk.displayPath}: ` +
            'this one and any later ones are not scanned',
        );
        return;
      }
      walk.archivesLeft--;
      if (depth > limits.maxNestingDepth) {
        refuse(
          walk,
          path,
          entry,
          'NESTING_TOO_DEEP',
          `archive nested ${depth} levels deep, over the limit of ${limits.maxNestingDepth}: not scanned`,
        );
        continue;
      }
      const inner = await inflate(walk, zip, entry, path);
      if (!inner) continue;
      const digest = `sha256:${createHash('sha256').update(inner).digest('hex')}`;
      if (!isZip(inner)) {
        const message =
          inner.byteLength === 0
            ? 'empty entry named like a ZIP/JAR archive'
            : 'entry named like a ZIP/JAR archive is not one';
        walk.out.push(
          failed(walk, path, inner.byteLength, digest, new SigscanError('FORMAT_MISMATCH', message)),
        );
        continue;
      }
      const target: FileTarget = {
        kind: 'file',
        path,
        container: walk.displayPath,
        size: inner.byteLength,
        digest,
        format: 'jar',
      };
      walk.out.push({ target, context: { file: { absolutePath: walk.absolutePath, bytes: inner } } });
      await collect(walk, inner, path, depth + 1);
    }
  } finally {
    zip.close();
  }
}

/** The entry's bytes, or undefined after recording why they were not read. */
async function inflate(
  walk: Walk,
  zip: ZipArchive,
  entry: ZipEntry,
  path: string,
): Promise<Uint8Array | undefined> {
  const { limits } = walk;
  const size = entry.uncompressedSize;
  let refusal: SigscanError | undefined;
  if (size > limits.maxNestedEntryBytes) {
    refusal = new SigscanError(
      'FILE_TOO_LARGE',
      `nested archive is ${size} bytes inflated, over the ${limits.maxNestedEntryBytes}-byte limit`,
    );
  } else if (size > walk.bytesLeft) {
    refusal = new SigscanError(
      'TOO_LARGE',
      `nested archive is ${size} bytes inflated, over what is left (${walk.bytesLeft}) of the ` +
        `${limits.maxNestedBytes}-byte budget for the archives inside ${walk.displayPath}`,
    );
  }
  if (refusal) {
    walk.out.push(failed(walk, path, size, '', refusal));
    return undefined;
  }
  // Charged before reading: the reader refuses to inflate more than the declared size.
  walk.bytesLeft -= size;
  try {
    return await zip.read(entry, limits.maxNestedEntryBytes);
  } catch (err) {
    walk.out.push(failed(walk, path, size, '', err));
    return undefined;
  }
}

/**
 * Named like an archive, a file, and the copy `get` returns when a name occurs twice (as the JAR
 * analysis reads it). Names that would not survive path normalisation (`..`, `.`, empty segments, a
 * leading `/`) are left out: a report path built from them would point somewhere else.
 */
function isNestedArchive(zip: ZipArchive, entry: ZipEntry): boolean {
  if (entry.isDirectory || !NESTED_NAME.test(entry.name)) return false;
  if (zip.get(entry.name) !== entry) return false;
  return (
    entry.name.split('/').every((s) => s !== '' && s !== '.' && s !== '..') && !entry.name.includes('\\')
  );
}

function isZip(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5 || bytes[2] === 7);
}

/** An entry a limit keeps from being read: reported with what its header declares, never inflated. */
function refuse(walk: Walk, path: string, entry: ZipEntry, code: ErrorCode, message: string): void {
  walk.out.push(failed(walk, path, entry.uncompressedSize, '', new SigscanError(code, message)));
}

function failed(walk: Walk, path: string, size: number, digest: string, err: unknown): PreparedTarget {
  return {
    target: { kind: 'file', path, container: walk.displayPath, size, digest, format: 'jar' },
    errors: [describeError(err)],
    skipDetection: true,
  };
}
