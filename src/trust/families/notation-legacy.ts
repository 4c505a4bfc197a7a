import type { FamilyVerifier } from '../verifier.js';
import { unverified } from '../verdicts.js';
import { notationVerifier } from './notation.js';

/**
 * The `notation` family verifier: legacy nv2 prototype signatures (details.legacy) are reported and never
 * accepted (formats.md §3.1); everything else goes to the Notary Project verifier.
 */
export const notationFamilyVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  if (evidence.details?.['legacy'] !== undefined) {
    return unverified(
      'LEGACY_NV2',
      'legacy Notary v2 prototype signature; not accepted under a current notation trust policy',
    );
  }
  return notationVerifier(evidence, target, ctx);
};
