/**
 * ociAnnotationVerifier (ir-sign) on openssl-made material (issue #18): the vendor key the root signed
 * is P-256, which ir-sign never makes (formats.md §8: P-384 only), so it is refused before any check.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { IrSignMaterial } from '../../../src/detectors/ir-sign.js';
import type { Evidence, ImageTarget } from '../../../src/model/index.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { ociAnnotationVerifier } from '../../../src/trust/families/oci-annotation.js';
import { IR_SIGN_CONFIG, irSignMaterial, type IrSignMaterialFiles } from '../../helpers/ir-sign.js';

const TARGET: ImageTarget = {
  kind: 'image',
  registry: 'registry.example',
  repository: 'islet/app',
  digest: `sha256:${'ab'.repeat(32)}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
};
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('ociAnnotationVerifier (openssl-made ir-sign material)', () => {
  let m: IrSignMaterialFiles;
  beforeAll(async () => {
    m = await irSignMaterial();
  }, 60_000);

  const verdict = async (material: IrSignMaterial) => {
    const evidence: Evidence = { family: 'oci-annotation', location: 'x', signer: {}, details: {}, material };
    const config = await loadTrustConfig({ key: [m.rootPub] });
    const v = await ociAnnotationVerifier(evidence, TARGET, { config, now: new Date() });
    return [v.status, v.code, v.message];
  };

  it('the P-384 vendor key: verified (the control)', async () => {
    const v = await verdict({
      placeholder: false,
      configBytes: new TextEncoder().encode(IR_SIGN_CONFIG),
      signature: hex(m.signature),
      vendorPub: hex(m.vendorPub),
      vendorPubSignature: hex(m.vendorPubSignature),
    });
    expect(v.slice(0, 2)).toEqual(['verified', 'VERIFIED']);
  });

  it('a P-256 vendor key, root-signed and signing the config: invalid VENDOR_KEY_INVALID', async () => {
    const v = await verdict({
      placeholder: false,
      configBytes: new TextEncoder().encode(IR_SIGN_CONFIG),
      signature: hex(m.p256Signature),
      vendorPub: hex(m.p256VendorPub),
      vendorPubSignature: hex(m.p256VendorPubSignature),
    });
    expect(v).toEqual([
      'invalid',
      'VENDOR_KEY_INVALID',
      'the vendor public key is ec prime256v1, not ECDSA P-384',
    ]);
  });

  it('a vendor key that is not DER: invalid VENDOR_KEY_INVALID', async () => {
    const v = await verdict({
      placeholder: false,
      configBytes: new TextEncoder().encode(IR_SIGN_CONFIG),
      signature: hex(m.signature),
      vendorPub: hex(m.vendorPub).subarray(0, 40),
      vendorPubSignature: hex(m.vendorPubSignature),
    });
    expect(v.slice(0, 2)).toEqual(['invalid', 'VENDOR_KEY_INVALID']);
    expect(v[2]).toMatch(/^the vendor public key is not a DER SubjectPublicKeyInfo \(/);
  });
});
