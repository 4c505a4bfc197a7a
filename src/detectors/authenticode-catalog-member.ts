import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { Evidence, Target } from '../model/index.js';
import type { Limits } from '../util/limits.js';
import { silentLogger } from '../util/logger.js';
import type { DetectContext, Detector } from './detector.js';

/**
 * Files signed by a catalog beside them (`signtool verify /c <cat> <file>`, for the catalogs a file scan
 * can see): the `.cat` files in the target's own directory, which is how driver packages and other
 * catalog-signed payloads ship (INF, SYS and CAT together). Windows looks in its system catalog database
 * instead, which a scan does not have; a catalog elsewhere in the tree is not consulted, so a file
 * without such evidence is not shown to be covered by no catalog.
 * The rule for the verdict is catalog-member.ts's: only an exact member-hash match, decided as the catalog.
 */
export const authenticodeCatalogMemberDetector: Detector = {
  name: 'authenticode-catalog-member',
  family: 'authenticode',
  applies(target: Target): boolean {
    // The catalog itself is not its own member; blobs and in-toto files are other families' business.
    // Entries of archives (`container`) have no directory of their own.
    return (
      target.kind === 'file' &&
      target.container === undefined &&
      target.format !== 'cat' &&
      target.format !== 'blob' &&
      target.format !== 'in-toto' &&
      target.format !== 'unknown'
    );
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const file = ctx.file;
    // Files read in place (over the streaming threshold) are not matched: a gap, not a verdict.
    if (target.kind !== 'file' || !file || file.large) return;
    const catalogs = await siblingCatalogs(dirname(file.absolutePath), ctx.limits);
    if (catalogs.length === 0) return;
    // Loaded with the first catalog found: most trees have none, and this code (the catalog and PE
    // parsers under it) then costs every JAR or script scan its loading for nothing.
    const { catalogMemberEvidence } = await import('./catalog-member.js');
    for (const catalog of catalogs) {
      const display = join(dirname(target.path), catalog.name);
      yield* catalogMemberEvidence(catalog.evidence, display, file.bytes);
    }
  },
};

interface SiblingCatalog {
  name: string;
  evidence: Evidence[];
}

/**
 * One directory's catalogs, listed, read and parsed once per process however many files sit beside them
 * (a scan is one process; the per-file cost is one map lookup). Bounded, oldest directory dropped first.
 */
const cache = new Map<string, Promise<SiblingCatalog[]>>();
const CACHE_MAX = 1024;

function siblingCatalogs(dir: string, limits: Limits): Promise<SiblingCatalog[]> {
  let found = cache.get(dir);
  if (!found) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
    found = listCatalogs(dir, limits);
    cache.set(dir, found);
  }
  return found;
}

async function listCatalogs(dir: string, limits: Limits): Promise<SiblingCatalog[]> {
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.toLowerCase().endsWith('.cat'))
      .map((e) => e.name);
  } catch {
    return [];
  }
  return names.length ? readCatalogs(dir, names, limits) : [];
}

async function readCatalogs(dir: string, names: string[], limits: Limits): Promise<SiblingCatalog[]> {
  const out: SiblingCatalog[] = [];
  const { authenticodeCatalogDetector } = await import('./authenticode-catalog.js');
  for (const name of names.sort()) {
    const absolutePath = join(dir, name);
    try {
      const bytes = new Uint8Array(await readFile(absolutePath));
      const target: Target = {
        kind: 'file',
        path: absolutePath,
        size: bytes.length,
        digest: '',
        format: 'cat',
      };
      const evidence: Evidence[] = [];
      const ctx = { file: { absolutePath, bytes }, limits, log: silentLogger };
      for await (const e of authenticodeCatalogDetector.detect(target, ctx)) evidence.push(e);
      if (evidence.length) out.push({ name: basename(absolutePath), evidence });
    } catch {
      // Not a catalog we can read: its own target reports why; it vouches for nothing here.
    }
  }
  return out;
}
