import type { ParsedCertificate } from '../formats/x509.js';
import { LruCache } from '../util/lru.js';

/**
 * The certificate-chain caches of one thread (each worker thread has its own; see scan/pool.ts), in a
 * module of their own so that reading their counts (`-v`, the pool's per-thread line) loads no chain or
 * certificate code: a thread that checked no file has zero counts without loading pkijs.
 */

export type PathSearch =
  | { path: ParsedCertificate[]; anchor: ParsedCertificate; lastSignatureFailure?: undefined }
  | { path?: undefined; anchor?: undefined; lastSignatureFailure?: string };

/**
 * Path searches by (leaf, pool, anchors, depth), all by DER fingerprint and in the order given. Every file
 * from one vendor repeats the same chain. The search depends on nothing but those certificates (names
 * and signatures): the first path found is the answer whatever the validity instant, which the chain
 * check applies on every call, so caching it cannot change a verdict. Bounded, as every parse cache is.
 */
const PATH_CACHE_LIMIT = 2000;
export const pathSearches = new LruCache<string, PathSearch>(PATH_CACHE_LIMIT);

/**
 * Certificate signature checks by (child, issuer) DER fingerprints. Every file from one vendor repeats the
 * same chain, and each check costs a signature verification; the answer depends on nothing but the two
 * certificates' bytes, so it is remembered (bounded: a hostile tree can present endless pairs).
 */
const SIGNATURE_CACHE_LIMIT = 5000;
export const signatureChecks = new LruCache<string, boolean>(SIGNATURE_CACHE_LIMIT);

export interface CacheCount {
  hits: number;
  misses: number;
}

/** Hits and misses of this thread's chain caches. */
export function chainCacheStats(): { pathSearches: CacheCount; signatureChecks: CacheCount } {
  return {
    pathSearches: { hits: pathSearches.hits, misses: pathSearches.misses },
    signatureChecks: { hits: signatureChecks.hits, misses: signatureChecks.misses },
  };
}
