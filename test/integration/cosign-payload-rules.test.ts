/**
 * What a cosign signature or attestation must say to be about this image (issue #11): the `.sig`
 * payload's critical.type and exact keys, the `.att` envelope's payloadType and the statement's keys.
 * Every input is signed by the real cosign (`cosign sign --payload`, `cosign sign-blob` over a DSSE
 * PAE) on the loopback registry, and cosign's own verdict is asserted beside ours.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import {
  cosign,
  cosignKeypair,
  cosignRegistryFlags,
  cosignSign,
  cosignVerify,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { cosignDsse, DSSE_LAYER, IN_TOTO, pushCosignTag, statement } from '../helpers/cosign-surgery.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

type Sig = JsonTarget['signatures'][number];

describe('cosign payload and attestation rules, against cosign 2.5', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  const img: Record<string, PushedLayoutImage> = {};

  const payload = (digest: string, image: Record<string, string>, type: string) =>
    JSON.stringify({
      critical: { identity: { 'docker-reference': `${reg.host}/pr/app` }, image, type },
      optional: null,
    });

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-payload-rules-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);
    for (const name of ['type', 'casekey', 'attok', 'atttype', 'attfold', 'victim']) {
      img[name] = await makeAndPushImage(reg, join(work, name), 'pr/app', name, { seed: `pr-${name}` });
    }
    const victim = img['victim']!.digest;

    // .sig: a payload of another kind (critical.type), signed by cosign itself with --payload.
    const typed = join(work, 'typed.json');
    await writeFile(
      typed,
      payload(
        img['type']!.digest,
        { 'docker-manifest-digest': img['type']!.digest },
        'atomic container signature',
      ),
    );
    await cosignSign(reg, `pr/app@${img['type']!.digest}`, keys.key, { extraArgs: [`--payload=${typed}`] });

    // .sig: `docker-manifest-digest` names this image, a case variant after it names the victim.
    // Go's encoding/json folds case and keeps the last; JSON.parse keeps the exact key.
    const cased = join(work, 'cased.json');
    await writeFile(
      cased,
      payload(
        img['casekey']!.digest,
        { 'docker-manifest-digest': img['casekey']!.digest, 'Docker-Manifest-Digest': victim },
        'cosign container image signature',
      ),
    );
    await cosignSign(reg, `pr/app@${img['casekey']!.digest}`, keys.key, {
      extraArgs: [`--payload=${cased}`],
    });

    const att = async (name: string, type: string, body: string) => {
      const env = await cosignDsse(work, keys.key, type, body);
      await pushCosignTag(reg, 'pr/app', img[name]!.digest, '.att', [
        { mediaType: DSSE_LAYER, bytes: env, annotations: { 'dev.cosignproject.cosign/signature': '' } },
      ]);
    };
    // The control: built exactly like the attacks, and both tools accept it.
    await att('attok', IN_TOTO, statement([img['attok']!.digest]));
    // A correctly signed statement about this image, under another payloadType.
    await att('atttype', 'application/json', statement([img['atttype']!.digest]));
    // `subject` names this image, `Subject` (which Go reads, last wins) the victim.
    const folded = statement([img['attfold']!.digest]).replace(
      /}$/,
      `,"Subject":[{"name":"image","digest":{"sha256":"${victim.slice(7)}"}}]}`,
    );
    await att('attfold', IN_TOTO, folded);
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function sig(tag: string, family: string): Promise<Sig> {
    const { report } = await sigscanJson([
      'repo',
      `${reg.host}/pr/app:${tag}`,
      '--plain-http',
      '--key',
      keys.pub,
      // Signed with --tlog-upload=false, verified by cosign with --insecure-ignore-tlog: the payload is the point.
      '--insecure-ignore-tlog',
    ]);
    const s = report.targets[0]?.signatures.find((x) => x.family === family);
    if (!s) throw new Error(`no ${family} signature on ${tag}`);
    return s;
  }
  const verifyAttestation = (name: string) =>
    cosign(
      [
        'verify-attestation',
        `--key=${keys.pub}`,
        '--insecure-ignore-tlog=true',
        '--type=custom',
        ...cosignRegistryFlags(reg),
        `${reg.host}/pr/app@${img[name]!.digest}`,
      ],
      { check: false },
    );

  it('a payload whose critical.type is not "cosign container image signature" is invalid (cosign 2.5 does not read the type)', async () => {
    const ref = `pr/app@${img['type']!.digest}`;
    // cosign's SimpleClaimVerifier checks only the digest; containers/image refuses the type. We refuse.
    expect((await cosignVerify(reg, ref, keys.pub)).code).toBe(0);
    expect((await sig('type', 'cosign')).verdict).toMatchObject({
      status: 'invalid',
      code: 'PAYLOAD_TYPE_MISMATCH',
    });
  });

  it('a payload with a case-variant key naming another image is invalid; cosign reads the variant and refuses', async () => {
    const res = await cosignVerify(reg, `pr/app@${img['casekey']!.digest}`, keys.pub);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('invalid or missing digest in claim');
    expect((await sig('casekey', 'cosign')).verdict).toMatchObject({
      status: 'invalid',
      code: 'MALFORMED_PAYLOAD',
    });
  });

  it('the control attestation, made the same way, verifies with both', async () => {
    expect((await verifyAttestation('attok')).code).toBe(0);
    expect((await sig('attok', 'cosign-attestation')).verdict).toMatchObject({
      status: 'verified',
      code: 'KEY_VERIFIED',
    });
  });

  it('an attestation envelope whose payloadType is not in-toto is invalid, as cosign verify-attestation says', async () => {
    const res = await verifyAttestation('atttype');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('invalid payloadType application/json');
    expect((await sig('atttype', 'cosign-attestation')).verdict).toMatchObject({
      status: 'invalid',
      code: 'PAYLOAD_TYPE_MISMATCH',
    });
  });

  it('a statement whose case-folded "Subject" names another image is invalid; cosign reads it and refuses', async () => {
    const res = await verifyAttestation('attfold');
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('no matching subject digest found');
    expect((await sig('attfold', 'cosign-attestation')).verdict).toMatchObject({
      status: 'invalid',
      code: 'MALFORMED_STATEMENT',
    });
  });
});
