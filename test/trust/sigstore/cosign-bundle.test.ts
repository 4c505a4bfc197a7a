/**
 * The cosign → Sigstore-bundle bridge (cosignAsBundle, dsseAsBundle) and the Rekor body readers that tie a
 * log entry to its signer (§2.5). The bodies are real Rekor entries from the corpus: a `hashedrekord` with
 * a key (conformance managed-key-happy-path), a `dsse` 0.0.1 (conformance happy-path-intoto-in-dsse-v3) and
 * an `intoto` 0.0.2 (sigstore-go dsse.sigstore.json), with byte surgery on their JSON for the edge cases.
 */
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { RekorBundle } from '../../../src/formats/cosign/index.js';
import {
  cosignAsBundle,
  dsseAsBundle,
  isCosignMaterial,
  rekorEntryNamesSigner,
  rekorSignerMaterials,
  spki,
} from '../../../src/trust/sigstore/cosign-bundle.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const BUNDLES = join(CORPUS_DIR, 'sigstore-bundle');
const read = (p: string) => JSON.parse(readFileSync(join(BUNDLES, p), 'utf8')) as Json;

/** The first tlog entry of a corpus bundle as the Rekor annotation cosign would carry. */
function rekor(p: string, editBody?: (body: Json) => void): RekorBundle {
  const e = read(p)['verificationMaterial'].tlogEntries[0] as Json;
  const body = JSON.parse(Buffer.from(e['canonicalizedBody'] as string, 'base64').toString('utf8')) as Json;
  editBody?.(body);
  return {
    signedEntryTimestamp: e['inclusionPromise']?.signedEntryTimestamp ?? '',
    body: Buffer.from(JSON.stringify(body)).toString('base64'),
    integratedTime: Number(e['integratedTime']),
    logIndex: Number(e['logIndex']),
    logId: Buffer.from(e['logId'].keyId as string, 'base64').toString('hex'),
  };
}

const HASHEDREKORD = 'conformance/managed-key-happy-path/bundle.sigstore.json';
const DSSE = 'conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json';
const INTOTO = 'sigstore-go/dsse.sigstore.json';
const managedKey = createPublicKey(
  readFileSync(join(BUNDLES, 'conformance', 'managed-key-happy-path', 'key.pub')),
);
const otherKey = createPublicKey(readFileSync(join(BUNDLES, 'sigstore-go', 'examples-publish_key.pub')));
const pemB64 = (key: typeof managedKey) =>
  Buffer.from(key.export({ type: 'spki', format: 'pem' }) as string).toString('base64');

describe('isCosignMaterial', () => {
  it('needs both the payload and the signature bytes', () => {
    const bytes = new Uint8Array([1]);
    expect(isCosignMaterial({ payload: bytes, signature: bytes, chainDer: [] })).toBe(true);
    expect(isCosignMaterial({ payload: bytes, chainDer: [] })).toBe(false);
    expect(isCosignMaterial({ signature: bytes, chainDer: [] })).toBe(false);
    expect(isCosignMaterial(undefined)).toBe(false);
  });
});

describe('cosignAsBundle / dsseAsBundle', () => {
  const m = {
    payload: new Uint8Array(Buffer.from('{}')),
    signature: new Uint8Array([1, 2, 3]),
    chainDer: [],
  };

  it('a key-signed layer carries the signer hint as its public key', () => {
    const b = cosignAsBundle(m, { hint: 'the-hint' });
    expect(b.verificationMaterial.content).toEqual({ $case: 'publicKey', publicKey: { hint: 'the-hint' } });
    expect(b.verificationMaterial.tlogEntries).toEqual([]);
  });

  it('a keyless layer: its certificate as the chain, the Rekor annotation as a promised entry, its TSA stamp', () => {
    const managed = read(HASHEDREKORD)['verificationMaterial'] as Json;
    const stamp = new Uint8Array(
      Buffer.from(
        managed['timestampVerificationData'].rfc3161Timestamps[0].signedTimestamp as string,
        'base64',
      ),
    );
    const cert = rekorSignerMaterials(rekor(INTOTO))[0]!.certificateDer!;
    const r = rekor(HASHEDREKORD);
    const b = cosignAsBundle({ ...m, rekorBundle: r, rfc3161Timestamp: stamp }, { certificateDer: cert });
    const vm = b.verificationMaterial;
    expect(
      vm.content.$case === 'x509CertificateChain' && vm.content.x509CertificateChain.certificates,
    ).toEqual([{ rawBytes: Buffer.from(cert) }]);
    expect(vm.timestampVerificationData?.rfc3161Timestamps).toEqual([
      { signedTimestamp: Buffer.from(stamp) },
    ]);
    const e = vm.tlogEntries[0]!;
    expect(e.logId?.keyId).toEqual(Buffer.from(r.logId, 'hex'));
    expect(e.kindVersion).toEqual({ kind: 'hashedrekord', version: '0.0.1' });
    expect(e.inclusionPromise?.signedEntryTimestamp).toEqual(Buffer.from(r.signedEntryTimestamp, 'base64'));
    expect([e.logIndex, e.integratedTime]).toEqual([String(r.logIndex), String(r.integratedTime)]);
    expect(e.canonicalizedBody).toEqual(Buffer.from(r.body, 'base64'));
  });

  it('a keyless envelope: its certificate as the chain, the Rekor annotation as its entry', () => {
    const cert = rekorSignerMaterials(rekor(INTOTO))[0]!.certificateDer!;
    const r = rekor(INTOTO);
    const b = dsseAsBundle({
      payloadType: 'application/vnd.in-toto+json',
      payload: m.payload,
      signature: m.signature,
      certificateDer: cert,
      rekorBundle: r,
    });
    const vm = b.verificationMaterial;
    expect(
      vm.content.$case === 'x509CertificateChain' && vm.content.x509CertificateChain.certificates,
    ).toEqual([{ rawBytes: Buffer.from(cert) }]);
    expect(vm.tlogEntries.map((e) => e.kindVersion)).toEqual([{ kind: 'intoto', version: '0.0.2' }]);
  });

  it('a Rekor body that is not JSON: the entry keeps empty kind and version', () => {
    const r: RekorBundle = { ...rekor(HASHEDREKORD), body: Buffer.from('not json').toString('base64') };
    const b = cosignAsBundle(m, { hint: 'h' });
    expect(b.verificationMaterial.tlogEntries).toEqual([]);
    const logged = cosignAsBundle({ ...m, rekorBundle: r }, { hint: 'h' });
    expect(logged.verificationMaterial.tlogEntries[0]!.kindVersion).toEqual({ kind: '', version: '' });
    expect(rekorSignerMaterials(r)).toEqual([]);
  });

  it('a key-signed envelope: the cosign-signer hint, one signature with an empty key id', () => {
    const b = dsseAsBundle({
      payloadType: 'application/vnd.in-toto+json',
      payload: m.payload,
      signature: m.signature,
    });
    expect(b.verificationMaterial.content).toEqual({
      $case: 'publicKey',
      publicKey: { hint: 'cosign-signer' },
    });
    expect(b.content.$case === 'dsseEnvelope' && b.content.dsseEnvelope.signatures).toEqual([
      { sig: Buffer.from([1, 2, 3]), keyid: '' },
    ]);
  });
});

describe('rekorSignerMaterials / rekorEntryNamesSigner', () => {
  it('hashedrekord: the recorded key', () => {
    const r = rekor(HASHEDREKORD);
    const found = rekorSignerMaterials(r);
    expect(found.map((f) => spki(f.key).toString('hex'))).toEqual([spki(managedKey).toString('hex')]);
    expect(found[0]!.certificateDer).toBeUndefined();
    expect(rekorEntryNamesSigner(r, { key: managedKey })).toBe(true);
    expect(rekorEntryNamesSigner(r, { key: otherKey })).toBe(false);
  });

  it('a signer with a certificate never matches an entry that recorded only a key', () => {
    // The certificate is the one the intoto entry recorded.
    const cert = rekorSignerMaterials(rekor(INTOTO))[0]!;
    expect(cert.certificateDer).toBeInstanceOf(Uint8Array);
    expect(
      rekorEntryNamesSigner(rekor(HASHEDREKORD), { certificateDer: cert.certificateDer, key: managedKey }),
    ).toBe(false);
  });

  it('dsse: one verifier per signature; an entry naming the signer second still names it', () => {
    const r = rekor(DSSE, (body) => {
      const sigs = body['spec'].signatures as Json[];
      body['spec'].signatures = [null, { ...sigs[0], verifier: pemB64(otherKey) }, ...sigs];
    });
    const found = rekorSignerMaterials(r);
    expect(found).toHaveLength(2);
    expect(spki(found[0]!.key).equals(spki(otherKey))).toBe(true);
    const signer = found[1]!;
    expect(rekorEntryNamesSigner(r, signer)).toBe(true);
  });

  it('intoto 0.0.2: one publicKey per envelope signature, certificates compared byte for byte', () => {
    const r = rekor(INTOTO, (body) => {
      const sigs = body['spec'].content.envelope.signatures as Json[];
      body['spec'].content.envelope.signatures = [null, { publicKey: pemB64(otherKey) }, ...sigs];
    });
    const found = rekorSignerMaterials(r);
    expect(found).toHaveLength(2);
    const cert = found[1]!;
    expect(new X509Certificate(Buffer.from(cert.certificateDer!)).publicKey.equals(cert.key)).toBe(true);
    expect(rekorEntryNamesSigner(r, cert)).toBe(true);
    const flipped = Buffer.from(cert.certificateDer!);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    expect(rekorEntryNamesSigner(r, { certificateDer: new Uint8Array(flipped), key: cert.key })).toBe(false);
  });

  it('a recorded value that is not a PEM is skipped', () => {
    const r = rekor(HASHEDREKORD, (body) => {
      body['spec'].signature.publicKey.content = Buffer.from(
        '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      ).toString('base64');
    });
    expect(rekorSignerMaterials(r)).toEqual([]);
    expect(rekorEntryNamesSigner(r, { key: managedKey })).toBe(false);
  });
});
