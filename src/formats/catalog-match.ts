import type { CatalogMember } from './catalog.js';
import { computeImageHash, isSupportedImageHashAlgorithm, looksLikePe, parsePeLayout } from './pe/index.js';
import { sipHash } from './pe/image-hash.js';

/**
 * Which members of a catalog a file is (what `signtool verify /c <cat> <file>` asks): a PE file by its
 * Authenticode image hash, any file by the hash of its bytes (flat-file members), each with the member's
 * own algorithm. A match says the catalog's signer vouched for these exact bytes; whether that signer is
 * trusted is the catalog's own verdict.
 */
export function catalogMatches(members: readonly CatalogMember[], bytes: Uint8Array): CatalogMember[] {
  const hashes = new Map<string, string | undefined>();
  const hashOf = (kind: string, algorithm: string): string | undefined => {
    const key = `${kind}\n${algorithm}`;
    if (!hashes.has(key)) hashes.set(key, computeHash(kind, algorithm, bytes));
    return hashes.get(key);
  };
  return members.filter((m) => hashOf(m.kind, m.algorithm) === m.hash);
}

function computeHash(kind: string, algorithm: string, bytes: Uint8Array): string | undefined {
  if (!isSupportedImageHashAlgorithm(algorithm)) return undefined;
  if (kind === 'flat-file') return Buffer.from(sipHash(algorithm).update(bytes).digest()).toString('hex');
  if (kind !== 'pe-image' || !looksLikePe(bytes)) return undefined;
  try {
    return Buffer.from(computeImageHash(bytes, parsePeLayout(bytes), algorithm)).toString('hex');
  } catch {
    // Not a PE image we can hash: it cannot be this member.
    return undefined;
  }
}
