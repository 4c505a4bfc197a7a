import { verify, type KeyObject } from 'node:crypto';

import type { IrSignMaterial } from '../../detectors/ir-sign.js';
import { parseVendorKey } from '../../formats/ir-sign.js';
import type { FamilyVerifier } from '../verifier.js';
import { invalid, unverified, untrusted, verificationError, verified } from '../verdicts.js';

const ecdsaSha384 = (key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean => {
  try {
    return verify('sha384', data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
};

/**
 * ir-sign (formats.md §8.4): a root key from `--key` (P-384, DER SPKI) must sign the vendor key's exact
 * SPKI DER bytes, and the vendor key must sign the raw config blob bytes (already digest-checked by the
 * detector). ECDSA P-384 with SHA-384, DER signatures only.
 */
export const ociAnnotationVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as IrSignMaterial | undefined;
  if (!m) return verificationError('INTERNAL', 'ir-sign evidence without material');
  if (m.placeholder) {
    return unverified('PLACEHOLDER', 'ir-sign placeholder annotations ("TODO: …"); the image is not signed');
  }
  if (!m.configBytes || !m.signature || !m.vendorPub || !m.vendorPubSignature) {
    return invalid('MALFORMED', 'ir-sign annotations or config blob incomplete');
  }
  const vendorKey = parseVendorKey(m.vendorPub);
  if (typeof vendorKey === 'string') return invalid('VENDOR_KEY_INVALID', vendorKey);
  const vendorKeyId = String(evidence.details?.['vendorKeyId'] ?? 'unknown');

  const roots = ctx.config.keys;
  if (!roots.length) {
    return unverified(
      'NO_TRUST_ROOT',
      `ir-sign signature by vendor key ${vendorKeyId}; pass the ISLET root CA public key with --key to verify it`,
    );
  }
  const p384 = roots.filter(
    (k) => k.key.asymmetricKeyType === 'ec' && k.key.asymmetricKeyDetails?.namedCurve === 'secp384r1',
  );
  const root = p384.find((k) => ecdsaSha384(k.key, m.vendorPub!, m.vendorPubSignature!));
  if (!root) {
    return untrusted(
      'VENDOR_KEY_NOT_TRUSTED',
      `vendor key ${vendorKeyId} is not signed by any supplied root key` +
        (p384.length ? '' : ' (no supplied key is ECDSA P-384)'),
    );
  }
  if (!ecdsaSha384(vendorKey, m.configBytes, m.signature)) {
    return invalid(
      'CONFIG_SIGNATURE_INVALID',
      `the config signature does not verify with vendor key ${vendorKeyId} (root ${root.spkiSha256})`,
    );
  }
  return verified(
    'VERIFIED',
    `config signed by vendor key ${vendorKeyId}, which root key ${root.path} (${root.spkiSha256}) signed; ` +
      'layer descriptors are outside the signature',
  );
};
