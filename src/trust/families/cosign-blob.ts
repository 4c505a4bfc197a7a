import { isBlobSignatureMaterial } from '../../detectors/cosign-blob.js';
import { sha256Hex } from '../../formats/der.js';
import type { FamilyVerifier } from '../verifier.js';
import { invalid } from '../verdicts.js';
import { cosignVerifier } from './cosign.js';

/**
 * The `cosign` family: image signatures go to {@link cosignVerifier}; detached blob signatures
 * (`cosign sign-blob` output beside a file) are bound to the file and then verified the same way (the
 * signed payload is the file). A keyless certificate beside a file needs what it needs on an image:
 * an SCT and a Rekor entry or RFC 3161 timestamp proving the signing time (cosign verify-blob refuses
 * it otherwise); `--at` never stands in for that proof (issue #16 item 6).
 */
export const cosignFamilyVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  const m = evidence.material;
  if (!isBlobSignatureMaterial(m)) return cosignVerifier(evidence, target, ctx);
  if (target.kind !== 'file' || `sha256:${sha256Hex(m.payload)}` !== target.digest) {
    return invalid('ARTIFACT_DIGEST_MISMATCH', 'the detached signature was not checked against this file');
  }
  return cosignVerifier(evidence, target, ctx);
};
