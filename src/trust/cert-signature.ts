import * as asn1js from 'asn1js';
import { verify } from 'node:crypto';

import type { ParsedCertificate } from '../formats/x509.js';
import { certificatePublicKey } from './cms-verify.js';

/** Hash names of the signature OIDs pkijs maps to a WebCrypto hash (its getHashAlgorithm), RSA-PSS aside. */
const HASH_BY_SIGNATURE_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.4': 'sha512',
};

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** The named curves WebCrypto knows, by OID, with their field size in bytes (r and s each). */
const CURVE_SIZE: Readonly<Record<string, number>> = {
  '1.2.840.10045.3.1.7': 32,
  '1.3.132.0.34': 48,
  '1.3.132.0.35': 66,
};

/**
 * A certificate's signature checked with node:crypto, deciding as pkijs' `Certificate.verify` with
 * WebCrypto does, without its promise chain, key import and ASN.1 re-encoding per call (a third of the
 * CPU of a scan of vendor-signed PEs). As pkijs: the scheme comes from the issuer's key (rsaEncryption:
 * PKCS #1 v1.5; id-ecPublicKey on P-256/384/521 named by OID: ECDSA, with the DER signature laid out as
 * r||s at the curve size), the hash from the certificate's signature OID, the signed bytes are the TBS
 * as read. Undefined for every other combination (RSA-PSS, Ed25519, explicit curve parameters, an
 * unknown OID): the caller asks pkijs then, so those keep exactly pkijs' answer or refusal.
 */
export function nodeCertificateSignature(
  child: ParsedCertificate,
  issuer: ParsedCertificate,
): boolean | undefined {
  const hash = HASH_BY_SIGNATURE_OID[child.signatureAlgorithm];
  if (!hash) return undefined;
  const signature = child.signatureValue;
  const tbs = child.tbs;
  if (issuer.spkiAlgorithm === RSA_ENCRYPTION) {
    try {
      return verify(hash, tbs, certificatePublicKey(issuer), signature);
    } catch {
      return false;
    }
  }
  if (issuer.spkiAlgorithm !== EC_PUBLIC_KEY) return undefined;
  if (issuer.spkiParameterOid === undefined) return undefined;
  const size = CURVE_SIZE[issuer.spkiParameterOid];
  if (!size) return undefined;
  const raw = rawEcdsaSignature(signature, size);
  if (!raw) return false;
  try {
    return verify(hash, tbs, { key: certificatePublicKey(issuer), dsaEncoding: 'ieee-p1363' }, raw);
  } catch {
    return false;
  }
}

/**
 * ECDSA-Sig-Value to r||s as pkijs converts it (BER read, minimal integers right-aligned at the curve
 * size); an r or s longer than the curve, or anything but two INTEGERs, cannot verify.
 */
function rawEcdsaSignature(der: Uint8Array, size: number): Uint8Array | undefined {
  const asn1 = asn1js.fromBER(der);
  if (asn1.offset === -1) return undefined;
  const seq = asn1.result;
  if (!(seq instanceof asn1js.Sequence) || seq.valueBlock.value.length !== 2) return undefined;
  const [r, s] = seq.valueBlock.value;
  if (!(r instanceof asn1js.Integer) || !(s instanceof asn1js.Integer)) return undefined;
  const rBytes = r.convertFromDER().valueBlock.valueHexView;
  const sBytes = s.convertFromDER().valueBlock.valueHexView;
  if (rBytes.length > size || sBytes.length > size) return undefined;
  const out = new Uint8Array(size * 2);
  out.set(rBytes, size - rBytes.length);
  out.set(sBytes, 2 * size - sBytes.length);
  return out;
}
