import type { Evidence } from '../../model/index.js';
import type { TrustedKey } from '../config.js';

/**
 * Names the `--key` that verified a signature as its signer (issue #12): its key id (hex SHA-256 of
 * the DER SubjectPublicKeyInfo) and the file it came from. A certificate the signature carries was
 * not what verified it (cosign too ignores it once `--key` verifies: pkg/cosign/verify.go,
 * verifyInternal uses co.SigVerifier and never reads the certificate), so the detector's reading of
 * that certificate is dropped from the signer: anyone can attach anyone's certificate to a layer.
 * Only its fingerprint stays, in details, marked as unverified.
 */
export function attributeToKey(evidence: Evidence, key: TrustedKey): void {
  const cert = evidence.signer.sha256Fingerprint;
  if (cert) {
    evidence.details = { ...evidence.details, unverifiedCertificateSha256: cert };
    delete evidence.details['keyless'];
  }
  evidence.signer = { keyId: key.spkiSha256, keySource: key.path, publicKeyAlgorithm: key.algorithm };
  evidence.algorithm = key.algorithm;
}
