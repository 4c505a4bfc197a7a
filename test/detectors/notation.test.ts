import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import type { DetectContext, RepositoryDiscovery } from '../../src/detectors/detector.js';
import { notationDetector, type NotationMaterial } from '../../src/detectors/notation.js';
import { NotFoundError, SigscanError } from '../../src/errors.js';
import type { Evidence, ImageTarget } from '../../src/model/index.js';
import type { Descriptor, FetchedManifest, OciManifest, OciStore } from '../../src/oci/types.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import type { Logger } from '../../src/util/logger.js';
import { sameDn } from '../helpers/dn.js';
import {
  signNotation,
  type NotationTestSignature,
  type SignNotationOptions,
} from '../helpers/notation/sign.js';
import { envelopeSignatureVerifies } from '../helpers/notation/verify.js';
import { parseNotationEnvelope } from '../../src/formats/notation/index.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const REPO = 'team/app';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const digestOf = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const enc = (s: string) => new TextEncoder().encode(s);

/** Just enough of a registry: content-addressed manifests and blobs, referrers computed from `subject`. */
class MemoryStore implements OciStore {
  readonly name = 'memory.example';
  private manifests = new Map<string, { bytes: Uint8Array; manifest: OciManifest; mediaType: string }>();
  private blobs = new Map<string, Uint8Array>();
  private tags = new Map<string, string>();
  readonly blobRequests: string[] = [];

  putManifest(bytes: Uint8Array, tag?: string): Descriptor {
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as OciManifest;
    const digest = digestOf(bytes);
    const mediaType = manifest.mediaType ?? OCI_MANIFEST;
    this.manifests.set(digest, { bytes, manifest, mediaType });
    if (tag) this.tags.set(tag, digest);
    return { mediaType, digest, size: bytes.length };
  }

  putBlob(bytes: Uint8Array): Descriptor {
    const digest = digestOf(bytes);
    this.blobs.set(digest, bytes);
    return { mediaType: 'application/octet-stream', digest, size: bytes.length };
  }

  push(sig: NotationTestSignature): void {
    for (const b of sig.blobs) this.putBlob(b.bytes);
    this.putManifest(sig.manifestBytes);
  }

  async *listRepositories(): AsyncIterable<string> {
    yield REPO;
  }

  async listTags(): Promise<string[]> {
    return [...this.tags.keys()];
  }

  async resolve(_repo: string, reference: string): Promise<Descriptor> {
    return (await this.getManifest(_repo, reference)).descriptor;
  }

  async getManifest(_repo: string, reference: string): Promise<FetchedManifest> {
    const digest = this.tags.get(reference) ?? reference;
    const m = this.manifests.get(digest);
    if (!m) throw new NotFoundError(`manifest ${reference} not found`);
    return {
      descriptor: { mediaType: m.mediaType, digest, size: m.bytes.length },
      bytes: m.bytes,
      manifest: m.manifest,
    };
  }

  async getBlob(_repo: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    this.blobRequests.push(descriptor.digest);
    const bytes = this.blobs.get(descriptor.digest);
    if (!bytes) throw new NotFoundError(`blob ${descriptor.digest} not found`);
    if (bytes.length > maxBytes) throw new SigscanError('TOO_LARGE', 'blob too large');
    return bytes;
  }

  async listReferrers(_repo: string, digest: string): Promise<Descriptor[] | undefined> {
    const out: Descriptor[] = [];
    for (const [d, m] of this.manifests) {
      if (m.manifest.subject?.digest !== digest) continue;
      const desc: Descriptor = { mediaType: m.mediaType, digest: d, size: m.bytes.length };
      const artifactType = m.manifest.artifactType ?? m.manifest.config?.mediaType;
      if (artifactType) desc.artifactType = artifactType;
      if (m.manifest.annotations) desc.annotations = m.manifest.annotations;
      out.push(desc);
    }
    return out;
  }
}

/** Referrers from the store, plus stale or racy entries a fallback index can hold. */
class MemoryDiscovery implements RepositoryDiscovery {
  readonly repository = REPO;
  readonly extra: Descriptor[] = [];
  constructor(private store: MemoryStore) {}
  async hasTag(tag: string): Promise<boolean> {
    return (await this.store.listTags()).includes(tag);
  }
  async referrers(digest: string): Promise<Descriptor[]> {
    return [...((await this.store.listReferrers(REPO, digest)) ?? []), ...this.extra];
  }
}

function setup() {
  const store = new MemoryStore();
  const targetBytes = enc(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: `sha256:${'11'.repeat(32)}`,
        size: 2,
      },
      layers: [],
    }),
  );
  const desc = store.putManifest(targetBytes, 'v1');
  const target: ImageTarget = {
    kind: 'image',
    registry: store.name,
    repository: REPO,
    tag: 'v1',
    digest: desc.digest,
    mediaType: desc.mediaType,
    size: desc.size,
  };
  const discovery = new MemoryDiscovery(store);
  const warnings: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m) };
  const ctx: DetectContext = { oci: store, discovery, limits: DEFAULT_LIMITS, log };
  const sign = (opts: SignNotationOptions = {}) => {
    const sig = signNotation(desc, opts);
    store.push(sig);
    return sig;
  };
  return { store, discovery, target, targetDescriptor: desc, ctx, warnings, sign };
}

async function collect(it: AsyncIterable<Evidence>): Promise<Evidence[]> {
  const out: Evidence[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('notation detector', () => {
  it('applies to images only', () => {
    const { target } = setup();
    expect(notationDetector.family).toBe('notation');
    expect(notationDetector.applies(target)).toBe(true);
    expect(
      notationDetector.applies({ kind: 'file', path: 'a.jar', size: 1, digest: 'sha256:00', format: 'jar' }),
    ).toBe(false);
  });

  it('reports nothing for an unsigned image', async () => {
    const { target, ctx } = setup();
    expect(await collect(notationDetector.detect(target, ctx))).toEqual([]);
  });

  it('extracts evidence from JWS and COSE signatures in both manifest forms', async () => {
    const { target, ctx, sign, warnings } = setup();
    const sigs = [
      sign({ envelope: 'jws', manifestForm: 'artifactType', key: 'rsa3072' }),
      sign({ envelope: 'cose', manifestForm: 'config', key: 'p256' }),
      sign({
        envelope: 'jws',
        manifestForm: 'config',
        key: 'rsa2048',
        expiry: new Date('2040-01-01T00:00:00Z'),
      }),
      sign({
        envelope: 'cose',
        manifestForm: 'artifactType',
        key: 'rsa2048',
        signingScheme: 'notary.x509.signingAuthority',
      }),
    ];
    const evidence = await collect(notationDetector.detect(target, ctx));
    expect(warnings).toEqual([]);
    expect(evidence).toHaveLength(4);
    for (const sig of sigs) {
      const ev = evidence.find((e) => e.location === `referrer ${sig.manifestDigest}`);
      expect(ev, sig.manifestDigest).toBeDefined();
      const leaf = sig.certificates[0]!;
      const form = sig.manifest.artifactType ? 'artifactType' : 'config';
      expect(ev!.family).toBe('notation');
      expect(sameDn(ev!.signer.subject!, leaf.subject)).toBe(true);
      expect(sameDn(ev!.signer.issuer!, sig.certificates[1]!.subject)).toBe(true);
      expect(ev!.signer.sha256Fingerprint).toBe(leaf.sha256Fingerprint);
      expect(ev!.signer.certificate?.sha256Fingerprint).toBe(leaf.sha256Fingerprint);
      expect(ev!.signer.chain?.map((c) => c.sha256Fingerprint)).toEqual([
        sig.certificates[1]!.sha256Fingerprint,
      ]);
      expect(ev!.algorithm).toBe(sig.alg);
      expect(ev!.signingTime).toBe(sig.signingTime.toISOString());
      expect(ev!.countersigner).toBeUndefined();
      expect(ev!.claims).toEqual({ subjectDigest: target.digest });
      expect(ev!.findings).toEqual([]);
      expect(ev!.details).toMatchObject({
        envelope: sig.envelopeMediaType === 'application/cose' ? 'cose' : 'jws',
        signingAgent: 'sigscan-test-signer/1.0',
        chainThumbprints: sig.thumbprints,
        thumbprintAnnotation: sig.thumbprints,
        thumbprintAnnotationMatches: true,
        payloadTarget: { digest: target.digest, mediaType: target.mediaType, size: target.size },
        manifestForm: form,
      });
      const material = ev!.material as NotationMaterial;
      expect(material.certificatesDer.map((d) => digestOf(d).slice(7))).toEqual(sig.thumbprints);
      expect(material.timestampTokenDer).toBeUndefined();
      const env = parseNotationEnvelope(sig.envelopeBytes, sig.envelopeMediaType);
      expect(material.signedBytes).toEqual(env.signedBytes);
      expect(envelopeSignatureVerifies(env)).toBe(true);
      expect(JSON.stringify(ev)).not.toMatch(/verified/i);
    }
    const jwsExpiry = evidence.find((e) => e.location === `referrer ${sigs[2]!.manifestDigest}`)!;
    expect(jwsExpiry.details?.expiry).toBe('2040-01-01T00:00:00.000Z');
    const sa = evidence.find((e) => e.location === `referrer ${sigs[3]!.manifestDigest}`)!;
    expect(sa.details?.signingScheme).toBe('notary.x509.signingAuthority');
    expect(sa.details?.authenticSigningTime).toBe(sigs[3]!.signingTime.toISOString());
  });

  it('never attributes a signature whose subject is another digest', async () => {
    const { target, ctx, discovery, store, warnings } = setup();
    const other: Descriptor = { mediaType: OCI_MANIFEST, digest: `sha256:${'22'.repeat(32)}`, size: 10 };
    const stray = signNotation(other, {});
    store.push(stray);
    discovery.extra.push(stray.manifestDescriptor);
    expect(await collect(notationDetector.detect(target, ctx))).toEqual([]);
    expect(warnings.join('\n')).toMatch(/not attributed/);
    expect(store.blobRequests).toEqual([]);
  });

  it('flags a payload that names another digest', async () => {
    const { target, ctx, sign } = setup();
    sign({
      payloadTarget: { mediaType: OCI_MANIFEST, digest: `sha256:${'33'.repeat(32)}`, size: target.size! },
    });
    const [ev] = await collect(notationDetector.detect(target, ctx));
    expect(ev!.claims?.subjectDigest).toBe(`sha256:${'33'.repeat(32)}`);
    expect(ev!.findings?.map((f) => [f.code, f.severity])).toEqual([['TARGET_DIGEST_MISMATCH', 'integrity']]);
  });

  it('flags size and media type mismatches while the digest matches', async () => {
    const { target, ctx, sign } = setup();
    sign({
      payloadTarget: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        digest: target.digest,
        size: 1,
      },
    });
    const [ev] = await collect(notationDetector.detect(target, ctx));
    expect(ev!.findings?.map((f) => f.code).sort()).toEqual([
      'TARGET_MEDIATYPE_MISMATCH',
      'TARGET_SIZE_MISMATCH',
    ]);
  });

  it('compares the thumbprint annotation case-insensitively and in order', async () => {
    const { target, ctx, sign } = setup();
    const wrong = sign({ thumbprintAnnotation: JSON.stringify(['X']) });
    const ok = sign({ key: 'p256', thumbprintAnnotation: null });
    const results = await collect(notationDetector.detect(target, ctx));
    const byLoc = (s: NotationTestSignature) =>
      results.find((e) => e.location === `referrer ${s.manifestDigest}`)!;
    expect(byLoc(wrong).findings?.map((f) => f.code)).toEqual(['THUMBPRINT_ANNOTATION_MISMATCH']);
    expect(byLoc(wrong).details?.thumbprintAnnotationMatches).toBe(false);
    expect(byLoc(ok).findings?.map((f) => [f.code, f.severity])).toEqual([
      ['THUMBPRINT_ANNOTATION_MISSING', 'info'],
    ]);

    const second = setup();
    const probe = signNotation(second.targetDescriptor, { key: 'p256', envelope: 'cose' });
    const caseFold = second.sign({
      key: 'p256',
      envelope: 'cose',
      thumbprintAnnotation: JSON.stringify(probe.thumbprints.map((t) => t.toUpperCase())),
    });
    const swapped = second.sign({
      key: 'p256',
      thumbprintAnnotation: JSON.stringify([...probe.thumbprints].reverse()),
    });
    const junk = second.sign({ key: 'rsa2048', thumbprintAnnotation: 'not json' });
    const r2 = await collect(notationDetector.detect(second.target, second.ctx));
    const find = (s: NotationTestSignature) => r2.find((e) => e.location === `referrer ${s.manifestDigest}`)!;
    expect(find(caseFold).findings).toEqual([]);
    expect(find(caseFold).details?.thumbprintAnnotationMatches).toBe(true);
    expect(find(swapped).findings?.map((f) => f.code)).toEqual(['THUMBPRINT_ANNOTATION_MISMATCH']);
    expect(find(junk).findings?.map((f) => f.code)).toEqual(['THUMBPRINT_ANNOTATION_MISMATCH']);
    expect(find(junk).details?.thumbprintAnnotation).toBeUndefined();
  });

  it('ignores referrers of other artifact types and stale listings', async () => {
    const { target, ctx, discovery, store, sign, warnings } = setup();
    const cosignLike = enc(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        config: {
          mediaType: 'application/vnd.oci.empty.v1+json',
          digest: `sha256:${'44'.repeat(32)}`,
          size: 2,
        },
        layers: [],
        subject: { mediaType: OCI_MANIFEST, digest: target.digest, size: target.size },
      }),
    );
    store.putManifest(cosignLike);
    discovery.extra.push({
      mediaType: OCI_MANIFEST,
      digest: `sha256:${'55'.repeat(32)}`,
      size: 5,
      artifactType: 'application/vnd.cncf.notary.signature',
    });
    sign();
    const evidence = await collect(notationDetector.detect(target, ctx));
    expect(evidence).toHaveLength(1);
    expect(warnings.join('\n')).toMatch(/listed but missing/);
  });

  it('reports a malformed envelope as an error after yielding the good signatures', async () => {
    const { target, ctx, store, sign, targetDescriptor } = setup();
    sign();
    const bad = signNotation(targetDescriptor, { envelope: 'cose' });
    const garbage = enc('not cbor at all');
    const garbageDesc = { ...bad.envelopeDescriptor, digest: digestOf(garbage), size: garbage.length };
    store.putBlob(garbage);
    store.putBlob(bad.configBytes);
    store.putManifest(enc(JSON.stringify({ ...bad.manifest, layers: [garbageDesc] })));
    const seen: Evidence[] = [];
    const run = async () => {
      for await (const e of notationDetector.detect(target, ctx)) seen.push(e);
    };
    await expect(run()).rejects.toMatchObject({ code: 'MALFORMED_ENVELOPE' });
    expect(seen).toHaveLength(1);
  });

  it('rejects a signature manifest without exactly one envelope layer', async () => {
    const { target, ctx, store, targetDescriptor } = setup();
    const sig = signNotation(targetDescriptor, {});
    for (const b of sig.blobs) store.putBlob(b.bytes);
    store.putManifest(
      enc(JSON.stringify({ ...sig.manifest, layers: [sig.envelopeDescriptor, sig.envelopeDescriptor] })),
    );
    await expect(collect(notationDetector.detect(target, ctx))).rejects.toMatchObject({
      code: 'MALFORMED_MANIFEST',
      message: expect.stringMatching(/2 layers/),
    });
  });

  it('reports the RFC 3161 countersignature of a real notation envelope', async () => {
    const store = new MemoryStore();
    const envelope = new Uint8Array(readFileSync(`${CORPUS_DIR}/notation/notation-go/coseWithTimestamp.sig`));
    const subject: Descriptor = {
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
      size: 528,
    };
    const layer = { ...store.putBlob(envelope), mediaType: 'application/cose' };
    const config = store.putBlob(enc('{}'));
    const sigDesc = store.putManifest(
      enc(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { ...config, mediaType: 'application/vnd.cncf.notary.signature' },
          layers: [layer],
          subject,
          annotations: {
            'io.cncf.notary.x509chain.thumbprint#S256':
              '["01937612E3E24E6496B325FB899FDB3B7045350AB2D91141C6310A917D5CEBE2"]',
          },
        }),
      ),
    );
    const target: ImageTarget = {
      kind: 'image',
      registry: store.name,
      repository: REPO,
      digest: subject.digest,
      mediaType: subject.mediaType,
      size: subject.size,
    };
    const ctx: DetectContext = {
      oci: store,
      discovery: new MemoryDiscovery(store),
      limits: DEFAULT_LIMITS,
      log: { debug() {}, info() {}, warn() {} },
    };
    const [ev] = await collect(notationDetector.detect(target, ctx));
    expect(ev!.location).toBe(`referrer ${sigDesc.digest}`);
    expect(ev!.signingTime).toBe('2024-06-18T06:27:11.000Z');
    expect(ev!.countersigner).toMatchObject({ kind: 'rfc3161', time: '2024-06-18T06:27:16.000Z' });
    expect(
      sameDn(
        ev!.countersigner!.subject!,
        'CN=Globalsign TSA for Advanced - G4 - 202311,O=GlobalSign nv-sa,C=BE',
      ),
    ).toBe(true);
    expect(ev!.countersigner?.sha256Fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(ev!.details).toMatchObject({
      manifestForm: 'config',
      thumbprintAnnotationMatches: true,
      signingAgent: 'Notation/1.0.0',
    });
    expect(ev!.findings).toEqual([]);
    expect((ev!.material as NotationMaterial).timestampTokenDer?.length).toBeGreaterThan(1000);
  });
});
