/**
 * Sigstore bundles (v0.1–v0.3, legacy cosign bundles, DSSE), containers/image sigstore-json signatures,
 * cosign payloads and layer annotations, certificate files; and OCI manifests / index.json as the OCI
 * layout store reads them (an in-memory layout, so no disk I/O per input).
 */
import { createHash } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { decodeBase64, parseCosignPayload, readLayerAnnotations } from '../../src/formats/cosign/index.js';
import {
  certificateFileDers,
  envelopeAsBundles,
  isLegacyCosignBundle,
  isSigstoreBundleJson,
  looksLikeBase64Signature,
  parseContainersSigstoreSignature,
  parseLegacyCosignBundle,
  summarizeBundle,
} from '../../src/formats/sigstore/index.js';
import { OciLayoutStore } from '../../src/oci/layout/store.js';
import type { LayoutFiles } from '../../src/oci/layout/files.js';
import { SigscanError } from '../../src/errors.js';
import {
  corpus,
  describeMutated,
  ext,
  fuzz,
  fuzzBytes,
  fuzzJson,
  mutatedJsonText,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  textSeed,
  type MutatedInput,
  type Seed,
} from './harness.js';

reportStats('sigstore-oci');

const dec = new TextDecoder();
const enc = new TextEncoder();
const bundles = [
  ...corpus('sigstore-bundle', ext('.json', '.sigstore')),
  ...corpus('cosign', ext('.sigstore.json')),
].filter((s) => !s.name.endsWith('trusted_root.json') && !s.name.includes('/trust/'));
const containersSigs = corpus('cosign/containers-image', (n) => /signature-\d+$|\.signature$/.test(n));
const sigstoreJson = containersSigs.filter((s) => s.bytes[0] === 0);
const certFiles = [...corpus('cosign', ext('.crt', '.pem')), ...corpus('sign-blob', ext('.crt'))];
const sigFiles = corpus('cosign', ext('.sig'));

const payloadSeeds: Seed[] = [];
const annotationSeeds: Seed[] = [];
for (const s of sigstoreJson) {
  try {
    const parsed = parseContainersSigstoreSignature(s.bytes);
    payloadSeeds.push({ name: `${s.name}#payload`, bytes: parsed.payload });
    annotationSeeds.push({
      name: `${s.name}#annotations`,
      bytes: enc.encode(JSON.stringify(parsed.annotations)),
    });
  } catch {
    // corrupt seed
  }
}
payloadSeeds.push(
  textSeed(
    'cosign-payload',
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': 'registry.example/app' },
        image: { 'docker-manifest-digest': 'sha256:' + 'a'.repeat(64) },
        type: 'cosign container image signature',
      },
      optional: { creator: 'fuzz' },
    }),
  ),
);

function parseOr(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(bytes));
  } catch {
    return undefined;
  }
}

// ---- in-memory OCI layout

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const manifestSeeds: Seed[] = [
  ...corpus('cosign/containers-image', ext('manifest.json')),
  ...corpus('simple-signing', ext('image.manifest.json')),
  ...corpus('notation', ext('target-manifest-sha256-19dbd2e4.json')),
];

class MemoryFiles implements LayoutFiles {
  constructor(private readonly files: Map<string, Uint8Array>) {}
  size(path: string): Promise<number | undefined> {
    return Promise.resolve(this.files.get(path)?.length);
  }
  read(path: string, maxBytes: number): Promise<Uint8Array> {
    const f = this.files.get(path);
    if (!f) return Promise.reject(new SigscanError('NOT_FOUND', `${path} is missing`));
    if (f.length > maxBytes) return Promise.reject(new SigscanError('TOO_LARGE', `${path} too large`));
    return Promise.resolve(f);
  }
  list(dir: string): Promise<string[]> {
    const prefix = `${dir}/`;
    return Promise.resolve(
      [...this.files.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)),
    );
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** A layout whose manifests (and index.json) may be mutated; blob names stay true digests. */
const layoutArb = fc
  .tuple(
    fc.array(fuzzJson(manifestSeeds), { minLength: 1, maxLength: 3 }),
    mutatedJsonText([textSeed('index', '{}')]),
    fc.boolean(),
  )
  .map(([manifests, indexNoise, mutateIndex]) => {
    const files = new Map<string, Uint8Array>();
    const descriptors = manifests.map((m, i) => {
      const hex = sha(m.bytes);
      files.set(`blobs/sha256/${hex}`, m.bytes);
      return {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: `sha256:${hex}`,
        size: m.bytes.length,
        annotations: { 'org.opencontainers.image.ref.name': `t${i}` },
      };
    });
    let index: Uint8Array = enc.encode(JSON.stringify({ schemaVersion: 2, manifests: descriptors }));
    if (mutateIndex) {
      const noise = JSON.parse(dec.decode(indexNoise.bytes)) as unknown;
      index = enc.encode(JSON.stringify({ schemaVersion: 2, manifests: descriptors, extra: noise }));
      if (typeof noise !== 'object') index = indexNoise.bytes;
    }
    files.set('index.json', index);
    files.set('oci-layout', enc.encode('{"imageLayoutVersion":"1.0.0"}'));
    return { files, manifests: manifests.map((m: MutatedInput) => m.seed) };
  });

async function exerciseLayout(files: Map<string, Uint8Array>): Promise<void> {
  const store = new OciLayoutStore('fuzz', 4 * 1024 * 1024, new MemoryFiles(files));
  const step = async (f: () => Promise<unknown>): Promise<void> => {
    try {
      await f();
    } catch (err) {
      if (!(err instanceof SigscanError)) throw err;
    }
  };
  let tags: string[] = [];
  await step(async () => (tags = await store.listTags()));
  for (const tag of tags) {
    await step(async () => {
      const m = await store.getManifest('', tag);
      await store.listReferrers('', m.descriptor.digest);
    });
  }
  for (const name of files.keys()) {
    if (name.startsWith('blobs/sha256/')) await step(() => store.getManifest('', `sha256:${name.slice(13)}`));
  }
}

describe('fuzz: sigstore / cosign / OCI manifests', () => {
  it('has seeds', () => {
    expect(bundles.length).toBeGreaterThan(40);
    expect(sigstoreJson.length).toBeGreaterThan(3);
    expect(payloadSeeds.length).toBeGreaterThan(3);
    expect(certFiles.length).toBeGreaterThan(3);
    expect(manifestSeeds.length).toBeGreaterThan(3);
  });

  it('summarizeBundle / envelopeAsBundles / legacy bundles', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'sigstore.bundle',
      fuzzJson(bundles),
      ({ bytes }) => {
        const doc = parseOr(bytes);
        isSigstoreBundleJson(doc);
        for (const b of envelopeAsBundles(doc)) summarizeBundle(b);
        if (isLegacyCosignBundle(doc)) parseLegacyCosignBundle(doc);
        return summarizeBundle(doc);
      },
      { describe: describeMutated },
    );
  });

  it('parseContainersSigstoreSignature', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'sigstore.containers-image',
      fc.oneof(
        fuzzBytes(containersSigs),
        fuzzJson(sigstoreJson.map((s) => ({ name: s.name, bytes: s.bytes.subarray(15) }))).map((m) => ({
          seed: m.seed,
          bytes: new Uint8Array([...enc.encode('\x00sigstore-json\n'), ...m.bytes]),
        })),
      ),
      ({ bytes }) => parseContainersSigstoreSignature(bytes),
      { describe: describeMutated },
    );
  });

  it('certificateFileDers / looksLikeBase64Signature', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'sigstore.certfile',
      fuzzBytes([...certFiles, ...sigFiles]),
      ({ bytes }) => {
        looksLikeBase64Signature(bytes);
        return certificateFileDers(bytes);
      },
      { describe: describeMutated },
    );
  });

  it('parseCosignPayload', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('cosign.payload', fuzzJson(payloadSeeds), ({ bytes }) => parseCosignPayload(bytes), {
      describe: describeMutated,
    });
  });

  it('readLayerAnnotations / decodeBase64', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'cosign.annotations',
      fuzzJson(annotationSeeds),
      ({ bytes }) => {
        const doc = parseOr(bytes);
        // Descriptor annotations are a string map after JSON parsing; callers pass whatever is there.
        const result = readLayerAnnotations(doc as Record<string, string> | undefined);
        decodeBase64(dec.decode(bytes), 'fuzz');
        return result;
      },
      { describe: describeMutated },
    );
  });

  it('OCI layout: index.json and manifests', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('oci.manifest', layoutArb, ({ files }) => exerciseLayout(files), {
      describe: ({ files, manifests }) =>
        `${manifests.join(', ')}: ` +
        [...files].map(([k, v]) => `${k}=${dec.decode(v).slice(0, 200)}`).join(' | '),
    });
  });

  // Found by fuzzing: a manifest blob or index.json holding `null` crashed the layout store; it is now
  // MALFORMED_MANIFEST, as in RegistryClient.
  it('regression: a manifest blob holding JSON null is MALFORMED_MANIFEST', async () => {
    const blob = enc.encode('null');
    const hex = sha(blob);
    const files = new Map<string, Uint8Array>([
      [`blobs/sha256/${hex}`, blob],
      [
        'index.json',
        enc.encode(JSON.stringify({ manifests: [{ mediaType: 'x', digest: `sha256:${hex}`, size: 4 }] })),
      ],
    ]);
    const store = new OciLayoutStore('fuzz', 1024, new MemoryFiles(files));
    await expect(store.getManifest('', `sha256:${hex}`)).rejects.toBeInstanceOf(SigscanError);
  });
});
