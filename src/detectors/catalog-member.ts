import type { Evidence } from '../model/index.js';
import { catalogMatches } from '../formats/catalog-match.js';
import type { AuthenticodeMaterial } from './authenticode.js';

/**
 * A file "signed by catalog" (formats.md §7.8): Windows accepts a file whose hash a signed catalog lists
 * as if the catalog's signature were the file's own. The rule here is the same and no looser: a file gets
 * one `authenticode` evidence per signature of the catalog, at location `catalog:<catalog path>`, only
 * when its Authenticode image hash (PE) or whole-file hash (flat-file member) equals a member hash, with
 * the member's algorithm. The evidence carries the catalog's signature bytes, so the trust layer decides
 * it exactly as it decided the catalog (chain, EKU, timestamp): catalog `verified` gives file `verified`.
 * A file whose hash is listed nowhere gets nothing: a catalog names no file it fails to match (its
 * File/Hint names are hints, not bindings), so there is no "mismatch" to report.
 */
export function catalogMemberEvidence(
  catalogSignatures: readonly Evidence[],
  catalogPath: string,
  bytes: Uint8Array,
): Evidence[] {
  const out: Evidence[] = [];
  for (const signature of catalogSignatures) {
    const material = signature.material as AuthenticodeMaterial | undefined;
    const members = material?.catalogMembers;
    if (signature.family !== 'authenticode' || !members) continue;
    const [member, ...others] = catalogMatches(members, bytes);
    if (!member) continue;
    out.push({
      family: 'authenticode',
      location: `catalog:${catalogPath}${signature.location === 'catalog' ? '' : `#${signature.location}`}`,
      signer: signature.signer,
      algorithm: signature.algorithm,
      digestAlgorithm: signature.digestAlgorithm,
      ...(signature.countersigner ? { countersigner: signature.countersigner } : {}),
      ...(signature.signingTime ? { signingTime: signature.signingTime } : {}),
      details: {
        // The CMS signature over the catalog's trust list is the binding; the member hash ties this file to it.
        signedContent: 'embedded',
        catalog: catalogPath,
        catalogMember: member,
        ...(others.length ? { catalogOtherMatches: others.length } : {}),
      },
      // The catalog's own integrity findings (bytes after its PKCS #7, ...) make this `invalid` as they do it.
      // (Its note about which files were matched is about the catalog, not this file.)
      findings: (signature.findings ?? []).filter((f) => f.code !== 'CATALOG_MEMBERS_NOT_CHECKED'),
      material,
    });
  }
  return out;
}
