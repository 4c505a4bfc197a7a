import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { TrustInputRecord } from './report-model.js';

/** A directory holds configuration, not data: past these, its hash is not taken (null). */
const MAX_DIR_FILES = 2000;
const MAX_DEPTH = 6;

/**
 * The trust inputs of a scan with the SHA-256 of what was read, so that two reports can be compared for
 * "same verdicts because same inputs". Directories hash their regular files: relative name, NUL, bytes,
 * in sorted order. Unreadable inputs get a null hash (the scan reported or refused them already).
 */
export async function describeTrustInputs(
  inputs: ReadonlyArray<{ kind: string; path: string; default?: boolean }>,
): Promise<TrustInputRecord[]> {
  const out: TrustInputRecord[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const key = `${input.kind}\0${input.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      kind: input.kind,
      path: input.path,
      sha256: await hashPath(input.path),
      ...(input.default ? { default: true } : {}),
    });
  }
  return out;
}

export async function hashPath(path: string): Promise<string | null> {
  try {
    const info = await stat(path);
    if (info.isFile())
      return createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    if (!info.isDirectory()) return null;
    const files: string[] = [];
    await listFiles(path, '', 0, files);
    const hash = createHash('sha256');
    for (const rel of files.sort()) {
      hash
        .update(rel)
        .update('\0')
        .update(await readFile(join(path, rel)));
    }
    return hash.digest('hex');
  } catch {
    return null;
  }
}

async function listFiles(root: string, rel: string, depth: number, out: string[]): Promise<void> {
  if (depth > MAX_DEPTH) throw new Error('too deep');
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const child = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) await listFiles(root, child, depth + 1, out);
    else if (entry.isFile()) {
      out.push(child);
      if (out.length > MAX_DIR_FILES) throw new Error('too many files');
    }
  }
}
