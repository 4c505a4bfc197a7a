import { isSigstoreBundleMaterial } from '../../detectors/sigstore-bundle.js';
import { verifySigstoreBundleDigest, type SignedBy } from '../sigstore/bundle.js';
import { attributeToKey } from '../sigstore/key-signer.js';
import { invalid, verificationError } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';

/**
 * Sigstore bundles beside files and attached to images as referrers: the bundle must be about the
 * target (file digest, image manifest digest, or the attachment it signs) and verify with
 * `--trusted-root` + identity policy (keyless) or `--key` (formats.md §2.9).
 */
export const sigstoreBundleVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  const m = evidence.material;
  if (!isSigstoreBundleMaterial(m)) {
    return verificationError('MALFORMED_SIGNATURE', 'Sigstore bundle evidence carries no bundle');
  }
  // The bundle is checked against what the detector says it is about; for the target itself that must
  // be the target's own digest (an attachment's bundle names the attachment, reported in details).
  const attached = (evidence.details?.['attachedTo'] as { digest?: string } | undefined)?.digest;
  if (!attached && m.artifactDigest !== target.digest) {
    return invalid(
      'ARTIFACT_DIGEST_MISMATCH',
      `the bundle was matched to ${m.artifactDigest}, not ${target.digest}`,
    );
  }
  const signedBy: SignedBy = {};
  const verdict = await verifySigstoreBundleDigest(
    m.bundle,
    { digest: m.artifactDigest, bytes: m.artifactBytes },
    ctx,
    signedBy,
  );
  if (verdict.status === 'verified' && signedBy.key) attributeToKey(evidence, signedBy.key);
  return verdict;
};
