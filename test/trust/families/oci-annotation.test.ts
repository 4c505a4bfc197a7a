/**
 * ociAnnotationVerifier (ir-sign) on openssl-made material (issue #18): the vendor key the root signed
 * is P-256, which ir-sign never makes (formats.md §8: P-384 only), so it is refused before any check.
 * Only an ECDSA P-384 `--key` can vouch for the vendor key: a P-256 or RSA root whose SHA-384 signature
 * over the vendor key is mathematically good is still not an ir-sign root.
 */
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  const verdict = async (material: IrSignMaterial | undefined, keys = [m.rootPub], vendorKeyId?: string) => {
    const evidence: Evidence = {
      family: 'oci-annotation',
      location: 'x',
      signer: {},
      details: vendorKeyId ? { vendorKeyId } : {},
      material,
    };
    const config = await loadTrustConfig({ key: keys });
    const v = await ociAnnotationVerifier(evidence, TARGET, { config, now: new Date() });
    return [v.status, v.code, v.message];
  };
  const good = (): IrSignMaterial => ({
    placeholder: false,
    configBytes: new TextEncoder().encode(IR_SIGN_CONFIG),
    signature: hex(m.signature),
    vendorPub: hex(m.vendorPub),
    vendorPubSignature: hex(m.vendorPubSignature),
  });

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

  it('no material is an INTERNAL error; placeholder annotations are unverified PLACEHOLDER', async () => {
    expect((await verdict(undefined)).slice(0, 2)).toEqual(['error', 'INTERNAL']);
    // The placeholder wins over whatever else the material holds: the image is not signed.
    expect((await verdict({ ...good(), placeholder: true })).slice(0, 2)).toEqual([
      'unverified',
      'PLACEHOLDER',
    ]);
  });

  it.each(['configBytes', 'signature', 'vendorPub', 'vendorPubSignature'] as const)(
    'without %s: invalid MALFORMED',
    async (field) => {
      const material: IrSignMaterial = { ...good() };
      delete material[field];
      expect((await verdict(material)).slice(0, 2)).toEqual(['invalid', 'MALFORMED']);
    },
  );

  it('no --key: unverified NO_TRUST_ROOT, naming the vendor key the detector read', async () => {
    const v = await verdict(good(), [], 'c0ffee');
    expect(v.slice(0, 2)).toEqual(['unverified', 'NO_TRUST_ROOT']);
    expect(v[2]).toContain('c0ffee');
  });

  it('a P-384 key that did not sign the vendor key: untrusted VENDOR_KEY_NOT_TRUSTED', async () => {
    expect((await verdict(good(), [join(m.dir, 'vendor.pub')])).slice(0, 2)).toEqual([
      'untrusted',
      'VENDOR_KEY_NOT_TRUSTED',
    ]);
  });

  it.each([
    ['P-256', () => [m.p256RootPub, m.p256RootVendorPubSignature]],
    ['RSA', () => [m.rsaRootPub, m.rsaRootVendorPubSignature]],
  ])(
    'a %s root whose SHA-384 signature over the vendor key is good: untrusted, not an ir-sign root',
    async (_name, which) => {
      const [rootPub, signature] = which() as [string, string];
      // The signature is good for that key: only the key type rule refuses it.
      const key = createPublicKey({ key: readFileSync(rootPub), format: 'der', type: 'spki' });
      expect(verify('sha384', hex(m.vendorPub), key, hex(signature))).toBe(true);
      const v = await verdict({ ...good(), vendorPubSignature: hex(signature) }, [rootPub]);
      expect(v.slice(0, 2)).toEqual(['untrusted', 'VENDOR_KEY_NOT_TRUSTED']);
      // Beside a P-384 root, the P-384 root still decides.
      expect((await verdict(good(), [rootPub, m.rootPub])).slice(0, 2)).toEqual(['verified', 'VERIFIED']);
    },
  );

  it('a config changed after signing: invalid CONFIG_SIGNATURE_INVALID', async () => {
    const configBytes = new TextEncoder().encode(IR_SIGN_CONFIG.replace('arm64', 'amd64'));
    expect((await verdict({ ...good(), configBytes })).slice(0, 2)).toEqual([
      'invalid',
      'CONFIG_SIGNATURE_INVALID',
    ]);
  });
});
