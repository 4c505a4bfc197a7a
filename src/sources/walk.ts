import type { Dirent } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

import type { Sidecar } from '../detectors/detector.js';
import { describeError } from '../errors.js';
import type { ErrorEntry } from '../model/index.js';
import { findSidecars, maySidecar, type DirectorySidecars } from './sidecars.js';

export interface WalkOptions {
  followSymlinks: boolean;
  /** Directories listed at the same time (while the engine scans the files already found). */
  concurrency: number;
  /**
   * Entries of one directory held in memory, sorted, before its files are handed on. A larger directory is
   * streamed in two passes (signature-file names first, then everything) so memory does not grow with it.
   */
  batchEntries: number;
  counters: { symlinksSkipped: number; specialSkipped: number };
}

export interface WalkVisitor {
  /** True when the directory is scanned as a whole (an OCI layout) and must not be descended. */
  claimDirectory(dir: string): Promise<boolean>;
  /**
   * A regular file, or a followed link to one, with the detached signatures found beside it. `rel` is its
   * path below the root with `/` separators. Resolves when there is room for more; false stops the walk.
   */
  file(path: string, rel: string, sidecars: Sidecar[] | undefined): boolean | Promise<boolean>;
  /** A directory that could not be read. The walk goes on. */
  error(entry: ErrorEntry): void;
}

type EntryKind = 'dir' | 'file' | 'link' | 'special';
interface Entry {
  name: string;
  kind: EntryKind;
}

interface WalkState {
  root: string;
  opts: WalkOptions;
  visitor: WalkVisitor;
  /** `dev:ino` of every directory listed: directories only, never files. */
  visited: Set<string>;
  /** Followed links to directories, walked after the real directories (see walkTree). */
  links: string[];
  stopped: boolean;
  failure?: { error: unknown };
}

/**
 * Walks one tree with a few directories listed at once. Every directory is listed once (by device and
 * inode, which also cuts bind-mount loops). Links to directories are walked only after all real
 * directories, one link at a time in path order and then level by level, so the path a linked directory
 * is reported under never depends on which worker got there first, and a link into the tree itself finds
 * its target already listed. Only per-directory state is kept, never per-file state.
 */
export async function walkTree(root: string, opts: WalkOptions, visitor: WalkVisitor): Promise<void> {
  const state: WalkState = { root, opts, visitor, visited: new Set(), links: [], stopped: false };
  await drain(state, root);
  while (state.links.length > 0 && !state.stopped) {
    const round = state.links.sort(comparePaths);
    state.links = [];
    for (const link of round) {
      if (state.stopped) break;
      await drain(state, link);
    }
  }
  if (state.failure) throw state.failure.error;
}

/** Lists `start` and everything below it that is not a link, with `concurrency` directories in flight. */
async function drain(state: WalkState, start: string): Promise<void> {
  const pending = [start];
  const idle: Array<() => void> = [];
  let active = 0;
  const wakeAll = () => {
    for (const wake of idle.splice(0)) wake();
  };
  const worker = async (): Promise<void> => {
    for (;;) {
      if (state.stopped) return wakeAll();
      const dir = pending.pop();
      if (dir === undefined) {
        if (active === 0) return wakeAll();
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      active++;
      try {
        await listDirectory(state, dir, (sub) => {
          pending.push(sub);
          idle.shift()?.();
        });
      } catch (error) {
        // listDirectory turns file-system failures into error entries; anything else is a bug.
        state.failure ??= { error };
        state.stopped = true;
      } finally {
        active--;
      }
      if (active === 0 && pending.length === 0) wakeAll();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, state.opts.concurrency) }, worker));
}

async function listDirectory(state: WalkState, dir: string, pushDir: (dir: string) => void): Promise<void> {
  const { opts, visitor } = state;
  let info;
  try {
    info = await stat(dir, { bigint: true });
  } catch (err) {
    visitor.error(unreadable(dir, 'read', err));
    return;
  }
  const key = `${info.dev}:${info.ino}`;
  if (state.visited.has(key)) return;
  state.visited.add(key);
  if (await visitor.claimDirectory(dir)) return;

  const sidecarName = (e: Entry) => e.kind === 'file' || (e.kind === 'link' && opts.followSymlinks);
  let handle;
  try {
    handle = await opendir(dir);
  } catch (err) {
    visitor.error(unreadable(dir, 'read', err));
    return;
  }
  const batch: Entry[] = [];
  let candidates: string[] | undefined;
  try {
    for await (const dirent of handle) {
      const entry = toEntry(dirent);
      if (candidates) {
        if (sidecarName(entry) && maySidecar(entry.name)) candidates.push(entry.name);
        continue;
      }
      batch.push(entry);
      if (batch.length > opts.batchEntries) {
        candidates = batch.filter((e) => sidecarName(e) && maySidecar(e.name)).map((e) => e.name);
        batch.length = 0;
      }
    }
  } catch (err) {
    visitor.error(unreadable(dir, 'list', err));
    // A listing that failed half-way still hands on what it read; a streamed one has nothing to hand on.
    if (candidates) return;
  }

  const subdirs: string[] = [];
  if (!candidates) {
    batch.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Detached signatures travel with the file they sign and are never targets themselves.
    const sidecars = await findSidecars(
      dir,
      dir,
      batch.filter(sidecarName).map((e) => e.name),
    );
    for (const entry of batch) {
      const more = visitEntry(state, dir, entry, sidecars, subdirs);
      if (!(typeof more === 'boolean' ? more : await more)) {
        state.stopped = true;
        return;
      }
    }
    for (const sub of subdirs.reverse()) pushDir(sub);
    return;
  }

  candidates.sort();
  const sidecars = await findSidecars(dir, dir, candidates, (name) =>
    isSidecarTarget(join(dir, name), opts.followSymlinks),
  );
  try {
    for await (const dirent of await opendir(dir)) {
      const more = visitEntry(state, dir, toEntry(dirent), sidecars, subdirs);
      if (!(typeof more === 'boolean' ? more : await more)) {
        state.stopped = true;
        return;
      }
      // Subdirectories of a huge directory go out as they come: holding them would be per-entry state.
      while (subdirs.length > 0) pushDir(subdirs.pop()!);
    }
  } catch (err) {
    visitor.error(unreadable(dir, 'list', err));
  }
}

/** Handles one directory entry; false when the visitor wants the walk to stop. */
function visitEntry(
  state: WalkState,
  dir: string,
  entry: Entry,
  sidecars: DirectorySidecars,
  subdirs: string[],
): boolean | Promise<boolean> {
  const path = join(dir, entry.name);
  if (entry.kind === 'link') return visitLink(state, path, entry, sidecars);
  return visitKind(state, path, entry.kind, entry.name, sidecars, subdirs);
}

async function visitLink(
  state: WalkState,
  path: string,
  entry: Entry,
  sidecars: DirectorySidecars,
): Promise<boolean> {
  const { opts } = state;
  if (!opts.followSymlinks) {
    opts.counters.symlinksSkipped++;
    return true;
  }
  let target;
  try {
    target = await stat(path);
  } catch {
    opts.counters.symlinksSkipped++;
    return true;
  }
  if (target.isDirectory()) {
    state.links.push(path);
    return true;
  }
  return visitKind(state, path, target.isFile() ? 'file' : 'special', entry.name, sidecars, []);
}

/** Synchronous unless the visitor has to wait: most entries cost no promise at all. */
function visitKind(
  state: WalkState,
  path: string,
  kind: EntryKind,
  name: string,
  sidecars: DirectorySidecars,
  subdirs: string[],
): boolean | Promise<boolean> {
  const { opts, visitor } = state;
  if (kind === 'dir') {
    subdirs.push(path);
    return true;
  }
  if (kind === 'special') {
    // FIFOs, sockets and devices are never opened: opening a FIFO would block the scan.
    opts.counters.specialSkipped++;
    return true;
  }
  if (sidecars.claimed.has(name)) return true;
  const rel = relative(state.root, path).split(sep).join('/');
  return visitor.file(path, rel, sidecars.attached.get(name));
}

function toEntry(e: Dirent): Entry {
  return {
    name: e.name,
    kind: e.isDirectory() ? 'dir' : e.isFile() ? 'file' : e.isSymbolicLink() ? 'link' : 'special',
  };
}

/** Presence of a file a sidecar names, in a directory too large to hold its listing. */
async function isSidecarTarget(path: string, followSymlinks: boolean): Promise<boolean> {
  try {
    const info = await lstat(path);
    return info.isFile() || (followSymlinks && info.isSymbolicLink());
  } catch {
    return false;
  }
}

/** Path order of a depth-first walk over sorted names: compares segment by segment. */
function comparePaths(a: string, b: string): number {
  const x = a.split(sep);
  const y = b.split(sep);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}

function unreadable(dir: string, verb: string, err: unknown): ErrorEntry {
  return {
    code: 'FILE_UNREADABLE',
    message: `cannot ${verb} directory ${dir}: ${describeError(err).message}`,
    source: dir,
  };
}
