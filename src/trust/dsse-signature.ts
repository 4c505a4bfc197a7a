import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Checks a signature with a key in that key's native scheme, as sigstore signs: ECDSA with an ASN.1
 * DER signature over SHA-256 (SHA-384 for P-384), RSA PKCS#1 v1.5 with SHA-256, Ed25519 over the raw
 * message. Returns false rather than throwing on malformed signatures.
 */
export function verifyWithKey(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (key.asymmetricKeyType === 'ed25519') return verify(null, message, key, signature);
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const hash = curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : 'sha256';
    return verify(hash, message, key, signature);
  } catch {
    return false;
  }
}

export function certificateKey(certificateDer: Uint8Array): KeyObject {
  const pem = `-----BEGIN CERTIFICATE-----\n${Buffer.from(certificateDer).toString('base64')}\n-----END CERTIFICATE-----\n`;
  return createPublicKey(pem);
}
