import { readFile } from 'node:fs/promises';

import { SigscanError } from '../../errors.js';

/** Repository names as the distribution spec defines them (path components of lowercase alphanumerics). */
const REPOSITORY_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

/**
 * `--repos-from-file`: one repository per line; blank lines and `#` comments (whole-line or trailing) are
 * skipped, duplicates dropped. A malformed name is a usage error naming its line.
 */
export function parseRepositoryList(text: string, source: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const name = lines[i]!.replace(/#.*$/, '').trim();
    if (!name) continue;
    if (!REPOSITORY_RE.test(name) || name.length > 255) {
      throw new SigscanError('USAGE', `${source}:${i + 1}: "${name.slice(0, 80)}" is not a repository name`);
    }
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(name);
  }
  return out;
}

export async function readRepositoryFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SigscanError('USAGE', `cannot read --repos-from-file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return parseRepositoryList(text, path);
}
