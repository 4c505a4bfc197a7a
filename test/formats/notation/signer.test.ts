import { X509Certificate } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { parseCertificate } from '../../../src/formats/x509.js';
import { parseNotationEnvelope, signatureManifestKind } from '../../../src/formats/notation/index.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { testPki, type TestKeyKind } from '../../helpers/notation/pki.js';
import { digestOf, signNotation, THUMBPRINT_ANNOTATION } from '../../helpers/notation/sign.js';
import { envelopeSignatureVerifies } from '../../helpers/notation/verify.js';

const targetBytes = new TextEncoder().encode(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
);
const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: digestOf(targetBytes),
  size: targetBytes.length,
};

describe('test PKI', () => {
  const pki = testPki();

  it('follows the Notary Project certificate profile', () => {
    const root = parseCertificate(pki.root.der).cert;
    const ext = (cert: typeof root, oid: string) => cert.extensions?.find((e) => e.extnID === oid);
    expect(ext(root, '2.5.29.19')?.critical).toBe(true);
    expect(ext(root, '2.5.29.15')?.critical).toBe(true);
    expect(new X509Certificate(pki.root.der).ca).toBe(true);
    for (const leaf of Object.values(pki.leaves)) {
      const cert = parseCertificate(leaf.der).cert;
      expect(ext(cert, '2.5.29.15')?.critical).toBe(true);
      const x509 = new X509Certificate(leaf.der);
      expect(x509.ca).toBe(false);
      expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.3']);
      expect(x509.verify(new X509Certificate(pki.root.der).publicKey)).toBe(true);
      expect(leaf.subject).toBe(`CN=sigscan leaf ${leaf.kind},O=sigscan test,L=Seattle,ST=WA,C=US`);
    }
  });
});

describe('test signer round trip', () => {
  const cases: Array<[TestKeyKind, 'jws' | 'cose', string]> = [
    ['rsa3072', 'jws', 'PS384'],
    ['rsa3072', 'cose', 'PS384'],
    ['rsa2048', 'jws', 'PS256'],
    ['rsa2048', 'cose', 'PS256'],
    ['p256', 'jws', 'ES256'],
    ['p256', 'cose', 'ES256'],
  ];
  for (const [key, envelope, alg] of cases) {
    it(`${key} ${envelope} -> ${alg}: parses and the signature verifies over signedBytes`, () => {
      const signingTime = new Date('2025-01-02T03:04:05.678Z');
      const expiry = new Date('2035-01-01T00:00:00Z');
      const sig = signNotation(target, { key, envelope, signingTime, expiry });
      const env = parseNotationEnvelope(sig.envelopeBytes, sig.envelopeMediaType);
      expect(env.envelopeType).toBe(envelope);
      expect(env.alg).toBe(alg);
      expect(env.signingScheme).toBe('notary.x509');
      expect(env.signingTime?.date.toISOString()).toBe('2025-01-02T03:04:05.000Z');
      expect(env.expiry?.date.toISOString()).toBe('2035-01-01T00:00:00.000Z');
      expect(env.signingAgent).toBe('sigscan-test-signer/1.0');
      expect(env.payload.targetArtifact).toEqual(target);
      expect(env.certificates.map((c) => c.summary.sha256Fingerprint)).toEqual(sig.thumbprints);
      expect(env.issues).toEqual([]);
      expect(envelopeSignatureVerifies(env)).toBe(true);
      if (envelope === 'cose') expect([...sig.envelopeBytes.subarray(0, 2)]).toEqual([0xd2, 0x84]);
    });
  }

  it('signs with the signingAuthority scheme', () => {
    const sig = signNotation(target, { signingScheme: 'notary.x509.signingAuthority', envelope: 'cose' });
    const env = parseNotationEnvelope(sig.envelopeBytes, sig.envelopeMediaType);
    expect(env.signingScheme).toBe('notary.x509.signingAuthority');
    expect(env.authenticSigningTime?.date.getTime()).toBe(sig.signingTime.getTime());
    expect(env.signingTime).toBeUndefined();
    expect(env.issues).toEqual([]);
    expect(envelopeSignatureVerifies(env)).toBe(true);
  });

  it('a flipped payload byte breaks the signature', () => {
    const sig = signNotation(target, { envelope: 'cose', key: 'p256' });
    const env = parseNotationEnvelope(sig.envelopeBytes, sig.envelopeMediaType);
    const tampered = { ...env, signedBytes: env.signedBytes.slice() };
    tampered.signedBytes[tampered.signedBytes.length - 3] =
      tampered.signedBytes[tampered.signedBytes.length - 3]! ^ 1;
    expect(envelopeSignatureVerifies(tampered)).toBe(false);
  });

  it('writes both manifest forms', () => {
    const a = signNotation(target, { manifestForm: 'artifactType' });
    expect(a.manifest.artifactType).toBe('application/vnd.cncf.notary.signature');
    expect(a.manifest.config?.mediaType).toBe('application/vnd.oci.empty.v1+json');
    expect(a.manifest.config?.digest).toBe(
      'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
    );
    expect(signatureManifestKind(a.manifest)).toEqual({ kind: 'notation', form: 'artifactType' });
    const c = signNotation(target, { manifestForm: 'config' });
    expect(c.manifest.artifactType).toBeUndefined();
    expect(c.manifest.config?.mediaType).toBe('application/vnd.cncf.notary.signature');
    expect(signatureManifestKind(c.manifest)).toEqual({ kind: 'notation', form: 'config' });
    for (const sig of [a, c]) {
      expect(sig.manifest.subject).toEqual(target);
      expect(sig.manifest.layers).toEqual([sig.envelopeDescriptor]);
      expect(JSON.parse(sig.manifest.annotations![THUMBPRINT_ANNOTATION]!)).toEqual(sig.thumbprints);
      expect(sig.manifestDigest).toBe(digestOf(sig.manifestBytes));
      expect(sig.blobs.map((b) => digestOf(b.bytes))).toEqual([
        sig.configDescriptor.digest,
        sig.envelopeDescriptor.digest,
      ]);
    }
  });
});
