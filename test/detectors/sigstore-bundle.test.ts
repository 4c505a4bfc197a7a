/** Sigstore bundle evidence and digest-bound verification (the image-referrer path) on corpus bundles. */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import {
  bundleEvidence,
  isSigstoreBundleMaterial,
  sigstoreBundleDetector,
} from '../../src/detectors/sigstore-bundle.js';
import type { Evidence, ImageTarget } from '../../src/model/index.js';
import { StoreDiscovery } from '../../src/oci/discovery.js';
import { OciLayoutStore } from '../../src/oci/layout/store.js';
import { digestTag, MediaType, type OciStore } from '../../src/oci/types.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { loadTrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { verifySigstoreBundleDigest } from '../../src/trust/sigstore/bundle.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const OCI_BUNDLE = join(CORPUS_DIR, 'cosign', 'cosign-repo', 'oci-attestation.sigstore.json');
const PGI_ROOT = join(CORPUS_DIR, 'cosign', 'cosign-repo', 'trusted_root_pgi.json');
// expected.json "cosign/cosign-repo/oci-attestation.sigstore.json": the in-toto subject of the attestation.
const SUBJECT = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const image: ImageTarget = {
  kind: 'image',
  registry: '127.0.0.1:60943',
  repository: 'repo',
  digest: SUBJECT,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
};

async function bundle(): Promise<unknown> {
  return JSON.parse(await readFile(OCI_BUNDLE, 'utf8')) as unknown;
}

describe('bundleEvidence', () => {
  it('reports signer, content, predicate type and the Rekor entry of a cosign OCI attestation bundle', async () => {
    const e = bundleEvidence(await bundle(), { location: 'sha256:referrer', artifactDigest: SUBJECT });
    expect(e.family).toBe('sigstore-bundle');
    expect(e.findings).toEqual([]);
    expect(e.signer.subjectAlternativeNames).toEqual(['email:cody@soyland.com']);
    expect(e.signer.oidcIssuer).toBe('https://github.com/login/oauth');
    expect(e.signer.sha256Fingerprint).toBe(
      'dec0b1e2104dc7cbdcf47f1e05ee98850bec08dea46a4c5d5c18976e6c735dce',
    );
    expect(e.details).toMatchObject({
      bundleMediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      content: 'dsseEnvelope',
      predicateType: 'https://cosign.sigstore.dev/attestation/v1',
      keyless: true,
    });
    expect(e.claims?.subjectDigest).toBe(SUBJECT);
    expect(e.countersigner).toEqual({
      kind: 'rekor',
      subject: 'Rekor log index 175508996',
      time: new Date(1740770291 * 1000).toISOString(),
    });
    expect(isSigstoreBundleMaterial(e.material)).toBe(true);
  });

  it('turns a non-bundle into an integrity finding, not an exception', () => {
    const e = bundleEvidence({ verificationMaterial: {} }, { location: 'x', artifactDigest: SUBJECT });
    expect(e.findings?.[0]).toMatchObject({ code: 'MALFORMED_BUNDLE', severity: 'integrity' });
  });
});

describe('verifySigstoreBundleDigest (artifact known by digest)', () => {
  const policy = {
    trustedRoot: [PGI_ROOT],
    certificateIdentity: 'cody@soyland.com',
    certificateOidcIssuer: 'https://github.com/login/oauth',
  };

  it('verifies the DSSE bundle against its subject digest with the public-good root (expected.json: true)', async () => {
    const config = await loadTrustConfig(policy);
    const verdict = await verifySigstoreBundleDigest(
      await bundle(),
      { digest: SUBJECT },
      { config, now: new Date() },
    );
    expect(verdict).toMatchObject({ status: 'verified', code: 'KEYLESS_VERIFIED' });
  });

  it('rejects another digest, and bytes that do not hash to the digest', async () => {
    const config = await loadTrustConfig(policy);
    const ctx = { config, now: new Date() };
    const other = `sha256:${'0'.repeat(64)}`;
    expect(await verifySigstoreBundleDigest(await bundle(), { digest: other }, ctx)).toMatchObject({
      status: 'invalid',
      code: 'ARTIFACT_DIGEST_MISMATCH',
    });
    expect(
      await verifySigstoreBundleDigest(await bundle(), { digest: SUBJECT, bytes: new Uint8Array([1]) }, ctx),
    ).toMatchObject({ status: 'invalid', code: 'DIGEST_MISMATCH' });
  });

  it('goes through the evaluator for an image target, and fails another identity', async () => {
    const e = bundleEvidence(await bundle(), { location: 'sha256:referrer', artifactDigest: SUBJECT });
    const good = new TrustEvaluator(await loadTrustConfig(policy));
    expect(await good.evaluate(e, image)).toMatchObject({ status: 'verified' });
    const wrong = new TrustEvaluator(
      await loadTrustConfig({ ...policy, certificateIdentity: 'someone@else.example' }),
    );
    expect((await wrong.evaluate(e, image)).status).toBe('untrusted');
    const replayed = new TrustEvaluator(await loadTrustConfig(policy));
    expect(await replayed.evaluate(e, { ...image, digest: `sha256:${'1'.repeat(64)}` })).toMatchObject({
      status: 'invalid',
      code: 'ARTIFACT_DIGEST_MISMATCH',
    });
  });
});

/**
 * A bundle referrer listed under an image's `sha256-<hex>` fallback tag whose manifest names another
 * subject (issue #18): anyone who can push a tag can list it, so the subject is checked, not the list.
 * The layout is written here; the store is hidden behind one without a referrers API, as a registry
 * without one (distribution 2.8) is, so the fallback index is what lists the referrer.
 */
describe('sigstoreBundleDetector: a fallback index listing a referrer of another image', () => {
  const work = mkdtempSync(join(tmpdir(), 'sigscan-bundle-referrer-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const sha = (b: string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

  async function scan(name: string, referrerSubject: 'image' | 'other'): Promise<Evidence[]> {
    const dir = join(work, name);
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
    const blob = (bytes: string) => {
      const digest = sha(bytes);
      writeFileSync(join(dir, 'blobs', 'sha256', digest.slice(7)), bytes);
      return { digest, size: Buffer.byteLength(bytes) };
    };
    const empty = blob('{}');
    const image = (label: string) =>
      blob(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: MediaType.ociConfig, ...blob(JSON.stringify({ label })) },
          layers: [],
        }),
      );
    const app = image('app');
    const other = image('other');
    const bundleType = 'application/vnd.dev.sigstore.bundle.v0.3+json';
    const referrer = blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        artifactType: bundleType,
        config: { mediaType: MediaType.ociEmpty, ...empty },
        layers: [{ mediaType: bundleType, ...blob(await readFile(OCI_BUNDLE, 'utf8')) }],
        subject: { mediaType: MediaType.ociManifest, ...(referrerSubject === 'image' ? app : other) },
      }),
    );
    const fallback = blob(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [{ mediaType: MediaType.ociManifest, artifactType: bundleType, ...referrer }],
      }),
    );
    const ref = (d: { digest: string; size: number }, mediaType: string, tag: string) => ({
      mediaType,
      ...d,
      annotations: { 'org.opencontainers.image.ref.name': tag },
    });
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          ref(app, MediaType.ociManifest, 'v1'),
          ref(fallback, MediaType.ociIndex, digestTag(app.digest)),
        ],
      }),
    );
    const layout = new OciLayoutStore(dir, DEFAULT_LIMITS.maxManifestBytes);
    const store: OciStore = Object.assign(Object.create(layout) as OciLayoutStore, {
      listReferrers: async () => undefined,
    });
    const target: ImageTarget = {
      kind: 'image',
      registry: `oci:${dir}`,
      repository: '',
      digest: app.digest,
      mediaType: MediaType.ociManifest,
    };
    const ctx = {
      oci: store,
      discovery: new StoreDiscovery(store, ''),
      limits: DEFAULT_LIMITS,
      log: silentLogger,
    };
    const out: Evidence[] = [];
    for await (const e of sigstoreBundleDetector.detect(target, ctx)) out.push(e);
    return out;
  }

  it('the referrer names the image: the bundle is read (the control)', async () => {
    const [e, ...rest] = await scan('same', 'image');
    expect(rest).toEqual([]);
    expect(e!.findings).toEqual([]);
    expect(e!.signer.subjectAlternativeNames).toEqual(['email:cody@soyland.com']);
  });

  it('the referrer names another image: REFERRER_SUBJECT_MISMATCH, the bundle not read', async () => {
    const [e, ...rest] = await scan('other', 'other');
    expect(rest).toEqual([]);
    expect(e!.findings!.map((f) => [f.code, f.severity])).toEqual([
      ['REFERRER_SUBJECT_MISMATCH', 'integrity'],
    ]);
    expect(e!.signer).toEqual({});
  });
});
