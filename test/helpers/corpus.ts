import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { PROJECT_ROOT } from './tools.js';

/** The shared corpus sits beside the checkout (CI clones main next to shared/). */
export const CORPUS_DIR = process.env['SIGSCAN_CORPUS'] ?? join(PROJECT_ROOT, '..', 'shared', 'corpus');

/** Every file below `dir` whose name matches `re`, in name order; none when `dir` is missing. */
export function filesUnder(dir: string, re: RegExp): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p, re) : re.test(n) ? [p] : [];
  });
}
