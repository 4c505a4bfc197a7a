import { constants, verify, type KeyObject } from 'node:crypto';

/**
 * Verifies a raw cosign signature over `data` with `key` in the key's native scheme: ECDSA ASN.1 DER
 * (raw r‖s is rejected, as cosign does) with SHA-256 (or the curve's hash for P-384/P-521), RSA
 * PKCS#1 v1.5 then PSS with SHA-256, Ed25519 over the raw data.
 */
export function verifyRawSignature(data: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  if (!signature.length) return false;
  const attempt = (fn: () => boolean): boolean => {
    try {
      return fn();
    } catch {
      return false;
    }
  };
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const hashes = [
        'sha256',
        curve === 'secp384r1' ? 'sha384' : curve === 'secp521r1' ? 'sha512' : undefined,
      ];
      return hashes.some(
        (h) => h !== undefined && attempt(() => verify(h, data, { key, dsaEncoding: 'der' }, signature)),
      );
    }
    case 'rsa':
      return (
        attempt(() => verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)) ||
        attempt(() =>
          verify(
            'sha256',
            data,
            { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
            signature,
          ),
        )
      );
    case 'rsa-pss':
      return attempt(() =>
        verify('sha256', data, { key, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature),
      );
    case 'ed25519':
      return attempt(() => verify(null, data, key, signature));
    default:
      return false;
  }
}
