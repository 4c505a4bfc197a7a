import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { SigscanError } from '../../errors.js';

/** containers/image stops reading a signature sequence after this many entries. */
export const MAX_SIGNATURES = 128;

/**
 * `B/<ns…/name>@<alg>=<hex>/signature-<N>` (formats.md §4.4): the repository path without the
 * registry host, the digest's `:` as `=`.
 */
export function lookasideSignatureUrl(base: string, repository: string, digest: string, n: number): string {
  const trimmed = base.replace(/\/+$/, '');
  return `${trimmed}/${repository}@${digest.replace(':', '=')}/signature-${n}`;
}

/**
 * Signatures of a `dir:` layout: `signature-1`, `signature-2`, … next to `manifest.json`, read until
 * the first missing file, at most MAX_SIGNATURES, each at most `maxBytes`.
 */
export async function readDirSignatures(
  dir: string,
  maxBytes: number,
): Promise<Array<{ path: string; blob: Uint8Array }>> {
  const out: Array<{ path: string; blob: Uint8Array }> = [];
  for (let n = 1; n <= MAX_SIGNATURES; n++) {
    const path = join(dir, `signature-${n}`);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return out;
      throw err;
    }
    if (size > maxBytes) {
      throw new SigscanError('TOO_LARGE', `${path} is ${size} bytes, over the ${maxBytes}-byte limit`);
    }
    out.push({ path, blob: new Uint8Array(await readFile(path)) });
  }
  return out;
}
