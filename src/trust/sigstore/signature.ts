import { constants, verify, type KeyObject } from 'node:crypto';

/**
 * Verifies a raw cosign signature over `data` with `key` by cosign's rule for a `--key` or a certificate
 * key (sigstore `signature.LoadVerifier(pub, crypto.SHA256)`): ECDSA of any curve over SHA-256 in ASN.1
 * DER (raw r‖s is rejected), RSA PKCS#1 v1.5 over SHA-256, Ed25519 over the raw data. cosign 2.5 refuses
 * P-384/SHA-384, P-521/SHA-512 and RSA-PSS signatures, and cannot load an RSASSA-PSS key at all, so none
 * of those verifies here either.
 */
export function verifyRawSignature(data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  if (!signature.length) return false;
  try {
    switch (key.asymmetricKeyType) {
      case 'ec':
        return verify('sha256', data, { key, dsaEncoding: 'der' }, signature);
      case 'rsa':
        return verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
      case 'ed25519':
        return verify(null, data, key, signature);
      default:
        return false;
    }
  } catch {
    return false;
  }
}
