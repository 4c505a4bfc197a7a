/**
 * Smoke test of the real-registry harness: Distribution 2.8 (plain, and TLS + htpasswd), skopeo
 * pushes of hand-made OCI layouts, real cosign signing, and the referrers fallback index.
 * Loopback only (cosign is fetched beforehand by scripts/fetch-cosign.sh if it is not cached).
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cosignAttest,
  cosignKeypair,
  cosignSign,
  cosignVerify,
  ensureCosign,
  type CosignKeypair,
} from './cosign.js';
import {
  LINUX_AMD64,
  LINUX_ARM64,
  makeAndPushImage,
  makeOciLayout,
  type PushedLayoutImage,
} from './images.js';
import {
  addReferrerToFallbackIndex,
  closeAgents,
  digestTag,
  getBlob,
  getManifest,
  headManifest,
  listTags,
  OCI_INDEX,
  OCI_MANIFEST,
  pushReferrer,
  registryFetch,
  type Descriptor,
} from './push.js';
import { startRegistry, type TestRegistry } from './registry.js';

const SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const SIG_ANNOTATION = 'dev.cosignproject.cosign/signature';

interface SigManifest {
  mediaType?: string;
  layers: Array<Descriptor>;
}

/** Checks the `.sig` tag of `digest` in `repo` and verifies its first layer with node:crypto. */
async function expectCosignSignature(reg: TestRegistry, repo: string, digest: string, pubPem: string) {
  const tag = digestTag(digest, '.sig');
  expect(await listTags(reg, repo)).toContain(tag);
  const sig = await getManifest(reg, repo, tag);
  expect(sig).toBeDefined();
  expect(sig!.mediaType).toBe(OCI_MANIFEST);
  const m = sig!.json as SigManifest;
  expect(m.layers.length).toBeGreaterThanOrEqual(1);
  const layer = m.layers[0]!;
  expect(layer.mediaType).toBe(SIMPLESIGNING);
  const sigB64 = layer.annotations?.[SIG_ANNOTATION];
  expect(sigB64).toMatch(/^[A-Za-z0-9+/]+=*$/);
  const payload = await getBlob(reg, repo, layer.digest);
  const claims = JSON.parse(Buffer.from(payload).toString('utf8')) as {
    critical: {
      identity: { 'docker-reference': string };
      image: { 'docker-manifest-digest': string };
      type: string;
    };
  };
  expect(claims.critical.type).toBe('cosign container image signature');
  expect(claims.critical.image['docker-manifest-digest']).toBe(digest);
  expect(claims.critical.identity['docker-reference']).toBe(`${reg.host}/${repo}`);
  // ECDSA P-256 / SHA-256, ASN.1 DER signature over the exact payload bytes (formats.md §2.3)
  expect(cryptoVerify('sha256', payload, createPublicKey(pubPem), Buffer.from(sigB64!, 'base64'))).toBe(true);
  return m;
}

let work: string;
let keys: CosignKeypair;
let pubPem: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sigscan-harness-'));
  await ensureCosign();
  keys = await cosignKeypair(work);
  pubPem = await readFile(keys.pub, 'utf8');
});

afterAll(async () => {
  await closeAgents();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('image fixtures', () => {
  it('are deterministic per seed and distinct across seeds', async () => {
    const a1 = await makeOciLayout(join(work, 'det-a1'), { seed: 'alpha' });
    const a2 = await makeOciLayout(join(work, 'det-a2'), { seed: 'alpha' });
    const b = await makeOciLayout(join(work, 'det-b'), { seed: 'beta' });
    const m1 = await makeOciLayout(join(work, 'det-m1'), {
      seed: 'alpha',
      platforms: [LINUX_AMD64, LINUX_ARM64],
    });
    const m2 = await makeOciLayout(join(work, 'det-m2'), {
      seed: 'alpha',
      platforms: [LINUX_AMD64, LINUX_ARM64],
    });
    expect(a1.digest).toBe(a2.digest);
    expect(a1.digest).not.toBe(b.digest);
    expect(m1.digest).toBe(m2.digest);
    expect(m1.mediaType).toBe(OCI_INDEX);
    expect(m1.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);
    expect(new Set(m1.manifests.map((m) => m.digest)).size).toBe(2);
  });
});

describe('plain HTTP registry', () => {
  let reg: TestRegistry;
  let single: PushedLayoutImage;
  let multi: PushedLayoutImage;

  beforeAll(async () => {
    reg = await startRegistry();
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('answers /v2/ anonymously', async () => {
    expect(reg.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(reg.url).toBe(`http://${reg.host}`);
    const res = await registryFetch(reg, '/v2/');
    expect(res.status).toBe(200);
  });

  it('pushes a single-arch image with skopeo and reads the digest back', async () => {
    single = await makeAndPushImage(reg, join(work, 'lay-single'), 'demo/app', 'v1', { seed: 'single' });
    expect(single.mediaType).toBe(OCI_MANIFEST);
    expect(single.digest).toBe(single.layout.digest); // --preserve-digests
    expect(single.children).toEqual([]);
    expect(await headManifest(reg, 'demo/app', 'v1')).toBe(single.digest);
  });

  it('pushes a multi-arch index with skopeo --all', async () => {
    multi = await makeAndPushImage(reg, join(work, 'lay-multi'), 'demo/multi', 'v1', {
      seed: 'multi',
      platforms: [LINUX_AMD64, LINUX_ARM64],
    });
    expect(multi.mediaType).toBe(OCI_INDEX);
    expect(multi.digest).toBe(multi.layout.digest);
    expect(multi.children.map((c) => c.platform?.architecture)).toEqual(['amd64', 'arm64']);
    for (const c of multi.children) {
      const child = await getManifest(reg, 'demo/multi', c.digest);
      expect(child?.digest).toBe(c.digest);
    }
  });

  it('signs a manifest with real cosign (key pair, no tlog)', async () => {
    const res = await cosignSign(reg, `demo/app@${single.digest}`, keys.key, {
      annotations: { env: 'test' },
    });
    expect(res.sigTag).toBe(digestTag(single.digest, '.sig'));
    await expectCosignSignature(reg, 'demo/app', single.digest, pubPem);
    const v = await cosignVerify(reg, `demo/app@${single.digest}`, keys.pub);
    expect(v.code).toBe(0);
  });

  it('signs an index and, with --recursive, every platform manifest', async () => {
    await cosignSign(reg, `demo/multi@${multi.digest}`, keys.key, { recursive: true });
    for (const d of [multi.digest, ...multi.children.map((c) => c.digest)]) {
      await expectCosignSignature(reg, 'demo/multi', d, pubPem);
    }
  });

  it('honours COSIGN_REPOSITORY and COSIGN_DOCKER_MEDIA_TYPES', async () => {
    const res = await cosignSign(reg, `demo/app@${single.digest}`, keys.key, {
      signatureRepo: 'demo/sigs',
      dockerMediaTypes: true,
    });
    expect(await listTags(reg, 'demo/sigs')).toEqual([res.sigTag]);
    const sig = await getManifest(reg, 'demo/sigs', res.sigTag);
    expect(sig?.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
  });

  it('attests with real cosign (.att tag with a DSSE layer)', async () => {
    const pred = join(work, 'predicate.json');
    await writeFile(pred, '{"hello":"world"}');
    const res = await cosignAttest(reg, `demo/app@${single.digest}`, keys.key, pred);
    expect(await listTags(reg, 'demo/app')).toContain(res.sigTag);
    const att = (await getManifest(reg, 'demo/app', res.sigTag))!.json as SigManifest;
    expect(att.layers[0]!.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
  });

  it('has no referrers API (Distribution 2.8) but keeps a fallback index written by push.ts', async () => {
    const api = await registryFetch(reg, `/v2/demo/app/referrers/${single.digest}`);
    await api.body?.cancel();
    expect(api.status).toBe(404);

    const subject = { digest: single.digest, size: single.size, mediaType: single.mediaType };
    const r1 = await pushReferrer(reg, 'demo/app', subject, {
      artifactType: 'application/vnd.example.sbom.v1+json',
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' },
      layers: [{ mediaType: 'application/vnd.example.sbom.v1+json', bytes: '{"sbom":true}' }],
    });
    const r2 = await pushReferrer(reg, 'demo/app', subject, {
      artifactType: 'application/vnd.cncf.notary.signature',
      annotations: { 'io.cncf.notary.x509chain.thumbprint#S256': '["00"]' },
    });

    const fb = await getManifest(reg, 'demo/app', digestTag(single.digest));
    expect(fb?.mediaType).toBe(OCI_INDEX);
    const index = fb!.json as { mediaType: string; manifests: Descriptor[] };
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(index.manifests).toEqual([r1.descriptor, r2.descriptor]);
    expect(index.manifests[1]!.artifactType).toBe('application/vnd.cncf.notary.signature');

    const ref = (await getManifest(reg, 'demo/app', r1.descriptor.digest))!.json as {
      subject: Descriptor;
      artifactType: string;
    };
    expect(ref.subject.digest).toBe(single.digest);
    expect(ref.artifactType).toBe('application/vnd.example.sbom.v1+json');

    // idempotent read-modify-write: re-adding the same descriptor does not duplicate it
    const again = await addReferrerToFallbackIndex(reg, 'demo/app', single.digest, r1.descriptor);
    expect(again.index.manifests.map((d) => d.digest)).toEqual([r2.descriptor.digest, r1.descriptor.digest]);
  });
});

describe('TLS + htpasswd registry', () => {
  const auth = { user: 'tester', password: 's3cret-pw' };
  let reg: TestRegistry;
  let img: PushedLayoutImage;

  beforeAll(async () => {
    reg = await startRegistry({ tls: true, htpasswd: auth });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('serves HTTPS with the test CA and rejects anonymous access with 401', async () => {
    expect(reg.url).toBe(`https://${reg.host}`);
    expect(reg.caFile && existsSync(reg.caFile)).toBe(true);
    expect(reg.certDir && existsSync(join(reg.certDir, 'ca.crt'))).toBe(true);
    const anon = await registryFetch(reg, '/v2/', { anonymous: true });
    await anon.body?.cancel();
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic realm="sigscan-test"/);
    const bad = await registryFetch(reg, '/v2/', {
      headers: { authorization: 'Basic ' + btoa('tester:wrong') },
    });
    await bad.body?.cancel();
    expect(bad.status).toBe(401);
    const ok = await registryFetch(reg, '/v2/');
    await ok.body?.cancel();
    expect(ok.status).toBe(200);
  });

  it('pushes with skopeo (--dest-creds, --dest-cert-dir) and signs with cosign (creds + CA)', async () => {
    img = await makeAndPushImage(reg, join(work, 'lay-tls'), 'secure/app', 'v1', { seed: 'tls' });
    expect(img.digest).toBe(img.layout.digest);
    const anonTags = await registryFetch(reg, '/v2/secure/app/tags/list', { anonymous: true });
    await anonTags.body?.cancel();
    expect(anonTags.status).toBe(401);

    await cosignSign(reg, `secure/app@${img.digest}`, keys.key);
    await expectCosignSignature(reg, 'secure/app', img.digest, pubPem);
  });

  it('pushes a referrer and its fallback index with Basic auth', async () => {
    const r = await pushReferrer(
      reg,
      'secure/app',
      { digest: img.digest, size: img.size, mediaType: img.mediaType },
      { artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json' },
    );
    const fb = await getManifest(reg, 'secure/app', digestTag(img.digest));
    expect((fb!.json as { manifests: Descriptor[] }).manifests).toEqual([r.descriptor]);
  });
});

describe('registry lifecycle', () => {
  it('stop() kills the process and removes the temp dir', async () => {
    const reg = await startRegistry();
    const { dir, pid } = reg;
    expect(existsSync(dir)).toBe(true);
    await reg.stop();
    expect(existsSync(dir)).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(registryFetch(reg, '/v2/')).rejects.toThrow();
    await reg.stop(); // idempotent
  });
});
