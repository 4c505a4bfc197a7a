import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { TargetResult } from '../../src/model/index.js';
import { runRepoScan } from '../../src/scan/run.js';
import { loadTrustConfig } from '../../src/trust/config.js';
import { silentLogger } from '../../src/util/logger.js';
import { cosignSign, cosignVerify, type CosignKeypair } from '../helpers/cosign.js';
import {
  cosignDsse,
  cosignSignBytes,
  DSSE_LAYER,
  IN_TOTO,
  pushCosignTag,
  statement,
} from '../helpers/cosign-surgery.js';
import { digestTag, getBlob, getManifest, OCI_MANIFEST, pushBlob, pushManifest } from '../helpers/push.js';
import type { TestRegistry } from '../helpers/registry.js';
import { caseList, type AdversarialCase, type FamilyCorpus, type Outcome } from './corpus.js';
import { scanOutcome } from './scan-outcome.js';

/**
 * cosign image signatures and attestations on the loopback registry: `cosign sign --key` for the
 * untouched control, `cosign sign-blob --key` over payloads and DSSE PAEs built here (the signature is
 * still cosign's), pushed where cosign and sigscan look (`sha256-<hex>.sig` / `.att`). One registry scan
 * (runRepoScan, in process) with `--key` reads every case; `cosign verify` runs beside on a sample.
 */

const REPO = 'adv/app';
const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const SIG_ANNOTATION = 'dev.cosignproject.cosign/signature';

interface CosignCase {
  id: string;
  attack: string;
  status: AdversarialCase['status'];
  code: string | readonly string[];
  control?: boolean;
  oracle?: boolean;
  family: 'cosign' | 'cosign-attestation';
  /** Signs or pushes the case's signature for the image `digest` (the victim is another image). */
  make: (digest: string) => Promise<void>;
}

/** A one-layer OCI image made from `seed` (the target only: what matters is the signature on it). */
async function pushTinyImage(reg: TestRegistry, tag: string): Promise<string> {
  const config = await pushBlob(reg, REPO, JSON.stringify({ architecture: 'amd64', os: 'linux', seed: tag }));
  const layer = await pushBlob(reg, REPO, `layer of ${tag}\n`);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  });
  return pushManifest(reg, REPO, tag, manifest, OCI_MANIFEST);
}

export async function cosignCorpus(
  work: string,
  reg: TestRegistry,
  keys: { main: CosignKeypair; other: CosignKeypair },
): Promise<FamilyCorpus> {
  const ref = `${reg.host}/${REPO}`;
  const victim = await pushTinyImage(reg, 'victim');
  const payload = (
    digest: string,
    over: { type?: string; reference?: string; optional?: unknown; image?: Record<string, string> } = {},
  ) =>
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': over.reference ?? ref },
        image: over.image ?? { 'docker-manifest-digest': digest },
        type: over.type ?? 'cosign container image signature',
      },
      optional: over.optional ?? null,
    });
  const pushSig = async (
    digest: string,
    body: string,
    sig: string,
    annotations: Record<string, string> = {},
  ) =>
    pushCosignTag(reg, REPO, digest, '.sig', [
      { mediaType: SIMPLE_SIGNING, bytes: body, annotations: { [SIG_ANNOTATION]: sig, ...annotations } },
    ]);
  const signedSig = async (digest: string, body: string, key = keys.main.key) =>
    pushSig(digest, body, await cosignSignBytes(work, key, body));
  const pushAtt = (digest: string, envelope: string) =>
    pushCosignTag(reg, REPO, digest, '.att', [
      { mediaType: DSSE_LAYER, bytes: envelope, annotations: { [SIG_ANNOTATION]: '' } },
    ]);
  /** The `.sig` manifest cosign wrote for `from`, copied byte for byte under `to`'s tag. */
  const replaySig = async (from: string, to: string) => {
    const m = await getManifest(reg, REPO, digestTag(from, '.sig'));
    if (!m) throw new Error('no signature to replay');
    await pushManifest(reg, REPO, digestTag(to, '.sig'), m.bytes, m.mediaType);
  };
  const withBlob = async (digest: string, suffix: '.sig' | '.att', edit: (body: string) => string) => {
    const m = await getManifest(reg, REPO, digestTag(digest, suffix));
    const json = m!.json as {
      layers: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }>;
    };
    const layer = json.layers[0]!;
    const body = Buffer.from(await getBlob(reg, REPO, layer.digest)).toString('utf8');
    await pushCosignTag(reg, REPO, digest, suffix, [
      { mediaType: layer.mediaType, bytes: edit(body), annotations: layer.annotations },
    ]);
  };
  const controlDigest: { value?: string; att?: string } = {};
  const attOf = async (digest: string) => cosignDsse(work, keys.main.key, IN_TOTO, statement([digest]));

  const cc: CosignCase[] = [
    {
      id: 'cosign-control',
      attack: 'untouched cosign sign --key signature',
      status: 'verified',
      code: 'KEY_VERIFIED',
      control: true,
      oracle: true,
      family: 'cosign',
      make: async (d) => {
        controlDigest.value = d;
        await cosignSign(reg, `${REPO}@${d}`, keys.main.key, { annotations: { build: '42' } });
      },
    },
    {
      id: 'cosign-control-att',
      attack: 'untouched attestation (cosign-signed DSSE over an in-toto statement)',
      status: 'verified',
      code: 'KEY_VERIFIED',
      control: true,
      family: 'cosign-attestation',
      make: async (d) => {
        controlDigest.att = d;
        await pushAtt(d, await attOf(d));
      },
    },
    {
      id: 'cosign-replayed',
      attack: "another image's .sig manifest copied to this image's tag",
      status: 'invalid',
      code: 'PAYLOAD_DIGEST_MISMATCH',
      oracle: false,
      family: 'cosign',
      make: async (d) => replaySig(controlDigest.value!, d),
    },
    {
      id: 'cosign-digest-swapped',
      attack: 'payload naming another image, correctly signed',
      status: 'invalid',
      code: 'PAYLOAD_DIGEST_MISMATCH',
      oracle: false,
      family: 'cosign',
      make: async (d) => signedSig(d, payload(victim)),
    },
    {
      id: 'cosign-type-edited',
      attack: 'payload critical.type of another kind, correctly signed',
      status: 'invalid',
      code: 'PAYLOAD_TYPE_MISMATCH',
      oracle: true,
      family: 'cosign',
      make: async (d) => signedSig(d, payload(d, { type: 'atomic container signature' })),
    },
    {
      id: 'cosign-case-key',
      attack: 'payload with a case-variant Docker-Manifest-Digest naming another image',
      status: 'invalid',
      code: 'MALFORMED_PAYLOAD',
      family: 'cosign',
      make: async (d) =>
        signedSig(
          d,
          payload(d, { image: { 'docker-manifest-digest': d, 'Docker-Manifest-Digest': victim } }),
        ),
    },
    {
      id: 'cosign-annotation-edited',
      attack: 'a signed payload annotation (optional) changed after signing',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      oracle: false,
      family: 'cosign',
      make: async (d) => {
        await cosignSign(reg, `${REPO}@${d}`, keys.main.key, { annotations: { build: '42' } });
        await withBlob(d, '.sig', (b) => b.replace('"42"', '"43"'));
      },
    },
    {
      id: 'cosign-payload-whitespace',
      attack: 'whitespace added to the signed payload',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      family: 'cosign',
      make: async (d) => {
        await signedSig(d, payload(d));
        await withBlob(d, '.sig', (b) => `${b} `);
      },
    },
    {
      id: 'cosign-signature-flipped',
      attack: 'one byte of the signature annotation changed',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      family: 'cosign',
      make: async (d) => {
        const body = payload(d);
        const raw = Buffer.from(await cosignSignBytes(work, keys.main.key, body), 'base64');
        raw[raw.length - 3]! ^= 0x01;
        await pushSig(d, body, raw.toString('base64'));
      },
    },
    {
      id: 'cosign-wrong-key',
      attack: 'signed by a key other than the trusted one',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      oracle: false,
      family: 'cosign',
      make: async (d) => signedSig(d, payload(d), keys.other.key),
    },
    {
      id: 'cosign-benign-reference-other',
      attack:
        'benign without an identity policy: payload docker-reference names another repository (cosign binds by digest only)',
      status: 'verified',
      code: 'KEY_VERIFIED',
      control: true,
      oracle: true,
      family: 'cosign',
      make: async (d) => signedSig(d, payload(d, { reference: 'evil.example/other/app' })),
    },
    {
      id: 'cosign-att-subject-other',
      attack: 'attestation whose statement names another image',
      status: 'invalid',
      code: 'SUBJECT_DIGEST_MISMATCH',
      family: 'cosign-attestation',
      make: async (d) => pushAtt(d, await attOf(victim)),
    },
    {
      id: 'cosign-att-replayed',
      attack: "another image's attestation copied to this image's .att tag",
      status: 'invalid',
      code: 'SUBJECT_DIGEST_MISMATCH',
      family: 'cosign-attestation',
      make: async (d) => {
        const m = await getManifest(reg, REPO, digestTag(controlDigest.att!, '.att'));
        await pushManifest(reg, REPO, digestTag(d, '.att'), m!.bytes, m!.mediaType);
      },
    },
    {
      id: 'cosign-att-payload-type',
      attack: 'attestation envelope with payloadType application/json',
      status: 'invalid',
      code: 'PAYLOAD_TYPE_MISMATCH',
      family: 'cosign-attestation',
      make: async (d) =>
        pushAtt(d, await cosignDsse(work, keys.main.key, 'application/json', statement([d]))),
    },
    {
      id: 'cosign-att-folded-subject',
      attack: 'statement with a case-folded Subject naming another image',
      status: 'invalid',
      code: 'MALFORMED_STATEMENT',
      family: 'cosign-attestation',
      make: async (d) =>
        pushAtt(
          d,
          await cosignDsse(
            work,
            keys.main.key,
            IN_TOTO,
            statement([d]).replace(
              /}$/,
              `,"Subject":[{"name":"image","digest":{"sha256":"${victim.slice(7)}"}}]}`,
            ),
          ),
        ),
    },
    {
      id: 'cosign-att-payload-edited',
      attack: 'attestation payload replaced after signing (signature kept)',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      family: 'cosign-attestation',
      make: async (d) => {
        const env = JSON.parse(await attOf(d)) as { payload: string };
        env.payload = Buffer.from(statement([d], { predicate: { Data: 'edited' } })).toString('base64');
        await pushAtt(d, JSON.stringify(env));
      },
    },
    {
      id: 'cosign-att-wrong-key',
      attack: 'attestation signed by another key',
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
      family: 'cosign-attestation',
      make: async (d) => pushAtt(d, await cosignDsse(work, keys.other.key, IN_TOTO, statement([d]))),
    },
  ];

  const digests = new Map<string, string>();
  for (const c of cc) digests.set(c.id, await pushTinyImage(reg, c.id));
  // The control first: replays copy its signature and attestation.
  for (const c of cc) await c.make(digests.get(c.id)!);
  writeFileSync(join(work, 'cosign-digests.json'), JSON.stringify(Object.fromEntries(digests)));

  // Signed with --tlog-upload=false: the cases are about other attacks, so the scan waives the log
  // (the no-log rule itself: test/integration/cosign-tlog.test.ts and blob-no-tlog-* in blob.ts).
  const trust = await loadTrustConfig({ key: [keys.main.pub], tufCache: 'none', insecureIgnoreTlog: true });
  const report = await runRepoScan({
    target: ref,
    plainHttp: true,
    concurrency: 2,
    log: silentLogger,
    trust,
    untagged: false,
  });
  const byTag = new Map<string, TargetResult>();
  for (const r of report.results) if (r.target.kind === 'image' && r.target.tag) byTag.set(r.target.tag, r);

  const { cases, add } = caseList('cosign');
  const outcomes = new Map<string, Outcome>();
  for (const c of cc) {
    add({ id: c.id, attack: c.attack, status: c.status, code: c.code, control: c.control, oracle: c.oracle });
    const result = byTag.get(c.id);
    const outcome = scanOutcome(
      result && { ...result, signatures: result.signatures.filter((s) => s.evidence.family === c.family) },
    );
    if (c.oracle !== undefined)
      outcome.oracle = (await cosignVerify(reg, `${REPO}@${digests.get(c.id)!}`, keys.main.pub)).code === 0;
    outcomes.set(c.id, outcome);
  }
  return { family: 'cosign', cases, outcomes };
}
