/**
 * evaluatePolicy (src/trust/policy/evaluate.ts): the requirement list, signedBy's keys and signatures,
 * each decision beside skopeo copy --policy's on a real registry image (skopeo-judge.ts), with sigscan's
 * exact scope, requirement and reason; then the key loading and the reporting skopeo cannot show.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { readKey } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  defaultLoadKeys,
  describeRequirement,
  evaluatePolicy,
  parsePolicy,
  type ContainersPolicy,
  type PolicyRequirement,
} from '../../../src/trust/policy/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { generic, judgeAll, sigscanDecision, type Judged } from './skopeo-judge.js';

let J: Judged;
let FPR: string;
let WRONG_FPR: string;
let OTHER_DIGEST: string;
const fingerprint = async (file: string) =>
  (await readKey({ binaryKey: new Uint8Array(readFileSync(file)) })).getFingerprint().toUpperCase();
beforeAll(async () => {
  J = await judgeAll();
  FPR = await fingerprint(join(J.dir, 'key.gpg'));
  WRONG_FPR = await fingerprint(join(J.dir, 'wrong-key.gpg'));
  OTHER_DIGEST = `sha256:${createHash('sha256')
    .update(readFileSync(join(J.dir, 'other-manifest.json')))
    .digest('hex')}`;
}, 300_000);

const SIGNER = '"policy-judge <policy-judge@sigscan.test>"';
const SCOPE = 'docker:HOST/ns/app';
const KEY = 'signedBy GPGKeys KEYS/key.gpg';

describe('evaluatePolicy beside skopeo copy --policy', () => {
  const judged = async (name: string, skopeo: 'accept' | 'reject') => {
    expect(J.skopeo[name], J.why[name]).toBe(skopeo);
    return generic(J, await sigscanDecision(J, name));
  };

  it('keyPaths: any of the listed keyrings may hold the signer', async () => {
    expect(await judged('keyPaths', 'accept')).toEqual({
      decision: 'accept',
      scope: SCOPE,
      requirement: 'signedBy GPGKeys KEYS/wrong-key.gpg, KEYS/key.gpg',
      reason: `signed by ${SIGNER} (${FPR}) for "HOST/ns/app:v1"`,
    });
  });

  it('keyData: the keyring inline, in base64', async () => {
    expect(await judged('keyData', 'accept')).toMatchObject({
      decision: 'accept',
      requirement: 'signedBy GPGKeys keyData',
    });
  });

  it('a signature by a key outside the requirement is refused', async () => {
    expect(await judged('wrong-key', 'reject')).toEqual({
      decision: 'reject',
      scope: SCOPE,
      requirement: 'signedBy GPGKeys KEYS/wrong-key.gpg',
      reason: `no signature satisfies it: signed by OpenPGP key ${FPR}, which is not in the trusted keyrings`,
    });
  });

  it('one good signature after bad ones is enough', async () => {
    expect(await judged('bad-then-good', 'accept')).toEqual({
      decision: 'accept',
      scope: SCOPE,
      requirement: KEY,
      reason: `signed by ${SIGNER} (${FPR}) for "HOST/ns/app:v1"`,
    });
  });

  it('a good signature of another manifest is refused', async () => {
    expect((await judged('other-manifest', 'reject')).reason).toBe(
      `no signature satisfies it: signature for ${OTHER_DIGEST}, not DIGEST`,
    );
  });

  it('no signature at all is refused', async () => {
    expect(await judged('no-signatures', 'reject')).toEqual({
      decision: 'reject',
      scope: SCOPE,
      requirement: KEY,
      reason: 'a signature was required, but the image has none',
    });
  });

  it('every requirement must accept; the signature requirement is reported whatever its place', async () => {
    for (const name of ['anything-then-signed', 'signed-then-anything']) {
      expect(await judged(name, 'accept'), name).toEqual({
        decision: 'accept',
        scope: SCOPE,
        requirement: KEY,
        reason: `signed by ${SIGNER} (${FPR}) for "HOST/ns/app:v1"`,
      });
    }
    expect(await judged('signed-then-reject', 'reject')).toEqual({
      decision: 'reject',
      scope: SCOPE,
      requirement: 'reject',
      reason: 'the policy rejects every image in this scope',
    });
    expect(await judged('insecure-unsigned', 'accept')).toEqual({
      decision: 'accept',
      scope: SCOPE,
      requirement: 'insecureAcceptAnything',
      reason: 'insecureAcceptAnything accepts any image',
    });
  });

  it('signedBaseLayer, an X.509 keyType, an unreadable keyring and sigstoreSigned reject', async () => {
    expect(await judged('signed-base-layer', 'reject')).toEqual({
      decision: 'reject',
      scope: SCOPE,
      requirement: 'signedBaseLayer',
      reason: 'signedBaseLayer is not implemented (containers/image rejects it too)',
    });
    expect(await judged('x509-keyType', 'reject')).toEqual({
      decision: 'reject',
      scope: SCOPE,
      requirement: 'signedBy X509Certificates KEYS/key.gpg',
      reason: 'keyType X509Certificates is not supported (only GPGKeys)',
    });
    const missing = await judged('missing-key', 'reject');
    expect(missing).toMatchObject({
      decision: 'reject',
      requirement: 'signedBy GPGKeys KEYS/no-such-key.gpg',
    });
    expect(missing.reason).toMatch(/^cannot read the requirement's keys: .*no-such-key\.gpg/);
    expect(await judged('sigstore-signed', 'reject')).toEqual({
      decision: 'reject',
      scope: SCOPE,
      requirement: 'sigstoreSigned',
      reason:
        'sigstoreSigned needs a sigstore signature; sigscan evaluates containers policy on simple signatures only',
    });
  });
});

describe('evaluatePolicy: what skopeo cannot show', () => {
  const image = () => ({ registry: J.host, repository: 'ns/app', tag: 'v1', digest: J.digest });
  const sig = (name: string) => new Uint8Array(readFileSync(join(J.dir, `${name}.sig`)));
  const policyOf = (reqs: PolicyRequirement[]): ContainersPolicy => ({ default: reqs, transports: {} });
  const signedBy = (keyPath: string): PolicyRequirement => ({
    type: 'signedBy',
    keyType: 'GPGKeys',
    keyPath,
  });

  it('lists each distinct refusal once, in the order of the signatures', async () => {
    const d = await evaluatePolicy(
      policyOf([signedBy(join(J.dir, 'key.gpg'))]),
      image(),
      [sig('wrongKey'), sig('otherManifest'), sig('wrongKey')],
      { now: new Date() },
    );
    expect(d.reason).toBe(
      `no signature satisfies it: signed by OpenPGP key ${WRONG_FPR}, which is not in the trusted keyrings; ` +
        `signature for ${OTHER_DIGEST}, not ${J.digest}`,
    );
  });

  it('an empty requirement list rejects, as in containers/image (parsePolicy never makes one)', async () => {
    const d = await evaluatePolicy(policyOf([]), image(), [], { now: new Date() });
    expect(d).toEqual({
      decision: 'reject',
      scope: 'default',
      reason: 'the list of requirements is empty',
    });
  });

  it('a good signature whose docker-reference is not a reference is refused, naming it', async () => {
    const dir = join(CORPUS_DIR, 'simple-signing', 'containers-image');
    const digest = `sha256:${createHash('sha256')
      .update(readFileSync(join(dir, 'image.manifest.json')))
      .digest('hex')}`;
    const d = await evaluatePolicy(
      policyOf([signedBy(join(dir, 'public-key.gpg'))]),
      { registry: 'docker.io', repository: 'testing/manifest', digest },
      [new Uint8Array(readFileSync(join(dir, 'invalid-reference.signature')))],
      { now: new Date('2026-11-21T00:00:00Z') },
    );
    expect(d.reason).toBe(
      'no signature satisfies it: invalid docker-reference "UPPERCASEISINVALID" in the signature',
    );
  });

  it('describes each requirement by its keys and signedIdentity', () => {
    expect(
      describeRequirement({
        type: 'signedBy',
        keyType: 'GPGKeys',
        keyPath: '/k.gpg',
        signedIdentity: { type: 'matchExact' },
      }),
    ).toBe('signedBy GPGKeys /k.gpg matchExact');
    expect(describeRequirement({ type: 'signedBy', keyType: 'GPGKeys' })).toBe('signedBy GPGKeys ');
    expect(describeRequirement({ type: 'sigstoreSigned', raw: {} })).toBe('sigstoreSigned');
    expect(describeRequirement({ type: 'reject' })).toBe('reject');
  });

  it('parsePolicy and evaluatePolicy agree on a parsed policy (keyData is decoded base64)', async () => {
    const keyData = readFileSync(join(J.dir, 'key.gpg')).toString('base64');
    const policy = parsePolicy(
      JSON.stringify({
        default: [
          { type: 'signedBy', keyType: 'GPGKeys', keyData, signedIdentity: { type: 'matchRepository' } },
        ],
      }),
    );
    const d = await evaluatePolicy(policy, { ...image(), tag: 'v9' }, [sig('tagged')], { now: new Date() });
    expect(d).toMatchObject({ decision: 'accept', requirement: 'signedBy GPGKeys keyData matchRepository' });
  });
});

describe('defaultLoadKeys', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sigscan-policy-keys-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const fprs = (keys: Awaited<ReturnType<typeof defaultLoadKeys>>) =>
    keys.map((k) => k.getFingerprint().toUpperCase());

  it('reads a relative keyPath beside the policy file, once per policy', async () => {
    copyFileSync(join(J.dir, 'key.gpg'), join(work, 'k.gpg'));
    const policy: ContainersPolicy = { default: [], transports: {}, path: join(work, 'policy.json') };
    const req: PolicyRequirement = { type: 'signedBy', keyType: 'GPGKeys', keyPath: 'k.gpg' };
    expect(fprs(await defaultLoadKeys(req, policy))).toEqual([FPR]);
    // The file changes; the policy's keys do not (read once, as containers/image reads them per policy context).
    copyFileSync(join(J.dir, 'wrong-key.gpg'), join(work, 'k.gpg'));
    expect(fprs(await defaultLoadKeys(req, policy))).toEqual([FPR]);
    expect(fprs(await defaultLoadKeys({ ...req }, { ...policy }))).toEqual([WRONG_FPR]);
  });

  it('keeps each keyData apart, and a requirement with no key source loads none', async () => {
    const policy: ContainersPolicy = { default: [], transports: {} };
    const data = (f: string): Extract<PolicyRequirement, { type: 'signedBy' }> => ({
      type: 'signedBy',
      keyType: 'GPGKeys',
      keyData: readFileSync(join(J.dir, f)).toString('base64'),
    });
    expect(fprs(await defaultLoadKeys(data('key.gpg'), policy))).toEqual([FPR]);
    expect(fprs(await defaultLoadKeys(data('wrong-key.gpg'), policy))).toEqual([WRONG_FPR]);
    expect(await defaultLoadKeys({ type: 'signedBy', keyType: 'GPGKeys' }, policy)).toEqual([]);
  });
});
