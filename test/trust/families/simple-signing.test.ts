import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { simpleSigningEvidence } from '../../../src/detectors/simple-signing.js';
import type { ImageTarget, Verdict } from '../../../src/model/index.js';
import { emptyTrustConfig, type TrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { simpleSigningVerifier } from '../../../src/trust/families/simple-signing.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { CORPUS_AT } from '../helpers.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');
const MANIFEST_DIGEST = `sha256:${createHash('sha256')
  .update(readFileSync(join(DIR, 'image.manifest.json')))
  .digest('hex')}`;

interface Artifact {
  id: string;
  kind: string;
  files: Record<string, string>;
  signer: {
    keyId?: string;
    fingerprint?: string | null;
    primaryFingerprint?: string;
    uid?: string | null;
  } | null;
  expected: { verifies: boolean | null; trustRoot: string[]; reason: string };
}

const artifacts = (
  JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as { artifacts: Artifact[] }
).artifacts.filter((a) => a.kind === 'simple-signing-gpg');

/** The image the containers/image fixtures were signed for: `testing/manifest`, reached by digest. */
const target: ImageTarget = {
  kind: 'image',
  registry: 'docker.io',
  repository: 'testing/manifest',
  digest: MANIFEST_DIGEST,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
};

/** Distinct codes per fixture: each failure is told apart from the others. */
const EXPECTED_CODE: Record<string, string> = {
  'simple-signing/image.signature': 'SIGNED_BY_TRUSTED_KEY',
  'simple-signing/no-optional-fields.signature': 'SIGNED_BY_TRUSTED_KEY',
  'simple-signing/subkey.signature': 'SIGNED_BY_TRUSTED_KEY',
  'simple-signing/corrupt.signature': 'BAD_SIGNATURE',
  'simple-signing/expired.signature': 'SIGNATURE_EXPIRED',
  'simple-signing/unknown-key.signature': 'UNKNOWN_SIGNER',
  'simple-signing/invalid-reference.signature': 'INVALID_REFERENCE',
  'simple-signing/invalid-blob.signature': 'MALFORMED_CLAIM',
  'simple-signing/subkey-revoked.signature': 'KEY_REVOKED',
  'simple-signing/unsigned-literal.signature': 'NOT_A_SIGNATURE',
  'simple-signing/unsigned-encrypted.signature': 'NOT_A_SIGNATURE',
};

/** Good signatures whose claim names no tag ("testing/manifest"). */
const NAME_ONLY = new Set(['simple-signing/image.signature', 'simple-signing/no-optional-fields.signature']);
/** The same image with no name (a skopeo dir: layout): its claim is checked against --signed-identity. */
const unnamedTarget: ImageTarget = { ...target, registry: 'dir:/tmp/app', repository: '' };

function config(keyrings: string[], extra: Partial<TrustConfig> = {}): TrustConfig {
  return { ...emptyTrustConfig(), gpgKeyrings: keyrings, at: new Date(CORPUS_AT), ...extra };
}

async function verdictFor(sigFile: string, cfg: TrustConfig, image = target): Promise<Verdict> {
  const blob = new Uint8Array(readFileSync(join(CORPUS_DIR, sigFile)));
  const evidence = await simpleSigningEvidence(image, `file://${sigFile}`, blob, 'lookaside');
  return new TrustEvaluator(cfg).evaluate(evidence, image);
}

describe('simple-signing verifier on the corpus (expected.json)', () => {
  it('covers every simple-signing artifact', () => {
    expect(artifacts.map((a) => a.id).sort()).toEqual(Object.keys(EXPECTED_CODE).sort());
  });

  for (const a of artifacts) {
    it(`${a.id}: ${a.expected.verifies ? 'verifies' : 'does not verify'} (${EXPECTED_CODE[a.id]})`, async () => {
      const keyrings = a.expected.trustRoot.map((p) => join(CORPUS_DIR, p));
      if (NAME_ONLY.has(a.id)) {
        // On this image reached by digest the default matchRepoDigestOrExact refuses the name-only claim,
        // as containers/image does (identity.test.ts has skopeo's decision on such a signature)…
        const registry = await verdictFor(a.files['signature']!, config(keyrings));
        expect([registry.status, registry.code]).toEqual(['untrusted', 'IDENTITY_MISMATCH']);
        expect(registry.message).toMatch(
          /"testing\/manifest", which does not match this image under matchRepoDigestOrExact$/,
        );
        // …while the signature is good for the name it claims (skopeo standalone-verify's exact check).
        const named = await verdictFor(
          a.files['signature']!,
          config(keyrings, { signedIdentity: 'testing/manifest' }),
          unnamedTarget,
        );
        expect(named.code, named.message).toBe(EXPECTED_CODE[a.id]);
        expect(named.status === 'verified').toBe(a.expected.verifies === true);
        return;
      }
      const verdict = await verdictFor(a.files['signature']!, config(keyrings));
      expect(verdict.code, verdict.message).toBe(EXPECTED_CODE[a.id]);
      expect(verdict.status === 'verified').toBe(a.expected.verifies === true);
    });
  }

  it('names the signer from the signature and, when known, the keyring', async () => {
    const blob = new Uint8Array(readFileSync(join(DIR, 'subkey.signature')));
    const ev = await simpleSigningEvidence(target, 'x', blob, 'lookaside');
    expect(ev.signer.keyId).toBe('D75B3109B3BAAEAF');
    expect(ev.claims).toEqual({ subjectDigest: MANIFEST_DIGEST, identity: 'testing/manifest:latest' });
    expect(ev.signingTime).toBe('2025-07-23T20:40:15.000Z');
    const v = await verdictFor(
      'simple-signing/containers-image/subkey.signature',
      config([join(DIR, 'public-key-with-subkey.gpg')]),
    );
    // The subkey signature maps to the primary key (expected.json note).
    expect(v.message).toContain('B9F4CDB9FD8C475BFA340AC38D54A947EE396F36');
    expect(v.message).toContain('c/image test key with subkey');
  });

  it('reports creator and timestamp from the claim, fingerprint from subpacket 33', async () => {
    const blob = new Uint8Array(readFileSync(join(DIR, 'image.signature')));
    const ev = await simpleSigningEvidence(target, 'x', blob, 'lookaside');
    expect(ev.signer.keyId).toBe('08CD26E446E2E95249B7A405E932F44B23E8DD43');
    expect(ev.details?.['keyId']).toBe('E932F44B23E8DD43');
    expect(typeof ev.details?.['creator']).toBe('string');
    expect(ev.findings).toEqual([]);
  });

  it('a binary pubring with many keys works as well as a single armored/binary key', async () => {
    const v = await verdictFor(
      'simple-signing/containers-image/image.signature',
      config([join(DIR, 'pubring.gpg')], { signedIdentity: 'testing/manifest' }),
      unnamedTarget,
    );
    expect(v.status).toBe('verified');
  });

  it('the wrong keyring makes a good signature untrusted, no keyring leaves it unverified', async () => {
    const wrong = await verdictFor(
      'simple-signing/containers-image/image.signature',
      config([join(DIR, 'public-key-2.gpg')]),
    );
    expect(wrong).toMatchObject({ status: 'untrusted', code: 'UNKNOWN_SIGNER' });
    const none = await verdictFor('simple-signing/containers-image/image.signature', config([]));
    expect(none).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
  });

  it('the expired signature verified before its expiry still fails, on its non-JSON claim', async () => {
    const v = await verdictFor(
      'simple-signing/containers-image/expired.signature',
      config([join(DIR, 'public-key.gpg')], { at: new Date('2025-06-24T00:00:00Z') }),
    );
    expect(v.code).toBe('MALFORMED_CLAIM');
  });

  it('a signature for another manifest is invalid (digest mismatch)', async () => {
    const other = { ...target, digest: `sha256:${'0'.repeat(64)}` };
    const v = await verdictFor(
      'simple-signing/containers-image/image.signature',
      config([join(DIR, 'public-key.gpg')]),
      other,
    );
    expect(v).toMatchObject({ status: 'invalid', code: 'CLAIM_DIGEST_MISMATCH' });
  });

  it('identity: a tagged image needs the exact reference under matchRepoDigestOrExact', async () => {
    const keys = config([join(DIR, 'public-key-with-subkey.gpg')]);
    const sig = 'simple-signing/containers-image/subkey.signature';
    expect((await verdictFor(sig, keys, { ...target, tag: 'latest' })).status).toBe('verified');
    expect(await verdictFor(sig, keys, { ...target, tag: 'v2' })).toMatchObject({
      status: 'untrusted',
      code: 'IDENTITY_MISMATCH',
    });
    expect(await verdictFor(sig, keys, { ...target, repository: 'testing/other' })).toMatchObject({
      code: 'IDENTITY_MISMATCH',
    });
  });
});

describe('simple signing on an image with no name (a skopeo dir: layout)', () => {
  const unnamed: ImageTarget = { ...target, registry: 'dir:/tmp/app', repository: '' };
  const sig = 'simple-signing/containers-image/image.signature';
  const keys = [join(DIR, 'public-key.gpg')];

  it('leaves a good signature unverified without --signed-identity, naming the claimed reference', async () => {
    const v = await verdictFor(sig, config(keys), unnamed);
    expect(v.status).toBe('unverified');
    expect(v.code).toBe('IDENTITY_NOT_CHECKED');
    expect(v.message).toContain('for "testing/manifest"');
  });

  it('compares --signed-identity with the claim after normalizing both (skopeo standalone-verify)', async () => {
    for (const ok of ['testing/manifest', 'docker.io/testing/manifest']) {
      const v = await verdictFor(sig, config(keys, { signedIdentity: ok }), unnamed);
      expect(v.code, ok).toBe('SIGNED_BY_TRUSTED_KEY');
      expect(v.message).toContain('(--signed-identity)');
    }
    // The claim has no tag: a tagged expectation differs from it, as in standalone-verify.
    for (const bad of [
      'testing/manifest:latest',
      'testing/manifest:v2',
      'quay.io/testing/manifest:latest',
      'testing/other:latest',
    ]) {
      const v = await verdictFor(sig, config(keys, { signedIdentity: bad }), unnamed);
      expect(v, bad).toMatchObject({ status: 'untrusted', code: 'IDENTITY_MISMATCH' });
    }
    const broken = await verdictFor(sig, config(keys, { signedIdentity: 'Not A Reference' }), unnamed);
    expect(broken).toMatchObject({ status: 'error', code: 'USAGE' });
  });

  it('does not apply a containers policy to it, and says so', async () => {
    const v = await verdictFor(
      sig,
      config(keys, { signedIdentity: 'testing/manifest', policyFile: join(DIR, 'no-such-policy.json') }),
      unnamed,
    );
    expect(v.code).toBe('SIGNED_BY_TRUSTED_KEY');
    expect(v.message).toContain('; --policy not applied (no docker name');
  });

  it('still checks the key and the manifest digest first', async () => {
    const other = await verdictFor(
      sig,
      config([join(DIR, 'public-key-2.gpg')], { signedIdentity: 'testing/manifest' }),
      unnamed,
    );
    expect(other.code).toBe('UNKNOWN_SIGNER');
    const moved = { ...unnamed, digest: `sha256:${'0'.repeat(64)}` };
    const v = await verdictFor(sig, config(keys, { signedIdentity: 'testing/manifest' }), moved);
    expect(v.code).toBe('CLAIM_DIGEST_MISMATCH');
  });
});

describe('simple signing under a containers policy (--policy)', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sigscan-ss-policy-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const SUBKEY_KEY = join(DIR, 'public-key-with-subkey.gpg');
  const SIGNER =
    /^signed by "[^"]*c\/image test key with subkey[^"]*" \(B9F4CDB9FD8C475BFA340AC38D54A947EE396F36, subkey 57D1D95BBC53BA0EAFF0718CD75B3109B3BAAEAF\) for "testing\/manifest:latest"/;
  const policyFile = (name: string, policy: unknown): string => {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify(policy));
    return path;
  };
  const blob = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
  const inTesting = (reqs: unknown[]) => ({
    default: [{ type: 'reject' }],
    transports: { docker: { 'docker.io/testing/manifest': reqs } },
  });

  it('refuses a file target and evidence without a blob, naming why', async () => {
    const ctx = { config: config([]), now: new Date(CORPUS_AT) };
    const ev = await simpleSigningEvidence(target, 'x', blob('subkey.signature'), 'lookaside');
    const file = { kind: 'file' as const, path: '/x', size: 0, digest: target.digest, format: 'unknown' };
    expect(await simpleSigningVerifier(ev, file as never, ctx)).toEqual({
      status: 'error',
      code: 'UNSUPPORTED',
      message: 'simple signing applies to images only',
    });
    expect(await simpleSigningVerifier({ ...ev, material: undefined }, target, ctx)).toEqual({
      status: 'error',
      code: 'INTERNAL',
      message: 'the detector handed over no signature blob',
    });
  });

  it('an image whose name is no docker reference is an error, not a mismatch, once the signature is good', async () => {
    const v = await verdictFor('simple-signing/containers-image/subkey.signature', config([SUBKEY_KEY]), {
      ...target,
      repository: 'Testing/Manifest',
    });
    expect([v.status, v.code]).toEqual(['error', 'INTERNAL']);
    expect(v.message).toMatch(
      /^cannot name the image as a docker reference: "docker\.io\/Testing\/Manifest" is not a valid/,
    );
  });

  it('names the signedIdentity rule it applied, verified or not', async () => {
    const keys = config([SUBKEY_KEY]);
    const ok = await verdictFor('simple-signing/containers-image/subkey.signature', keys, {
      ...target,
      tag: 'latest',
    });
    expect(ok.message).toMatch(new RegExp(`${SIGNER.source} \\(matchRepoDigestOrExact\\)$`));
    const bad = await verdictFor('simple-signing/containers-image/subkey.signature', keys, {
      ...target,
      tag: 'v2',
    });
    expect(bad.message).toMatch(/", which does not match this image under matchRepoDigestOrExact$/);
  });

  it("takes the keys and signedIdentity of the policy's signedBy requirement for this image", async () => {
    const policy = policyFile(
      'by-repo',
      inTesting([
        {
          type: 'signedBy',
          keyType: 'GPGKeys',
          keyPath: SUBKEY_KEY,
          signedIdentity: { type: 'matchRepository' },
        },
      ]),
    );
    const v = await verdictFor(
      'simple-signing/containers-image/subkey.signature',
      config([], { policyFile: policy }),
      {
        ...target,
        tag: 'v2',
      },
    );
    expect([v.status, v.code]).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
    const [own, decision] = v.message.split('; ');
    expect(own).toMatch(new RegExp(`${SIGNER.source} \\(matchRepository\\)$`));
    expect(decision).toMatch(
      new RegExp(
        `^containers policy accepts the image \\(docker:docker.io/testing/manifest, signedBy GPGKeys ${SUBKEY_KEY} matchRepository\\): ${SIGNER.source.slice(1)}$`,
      ),
    );
  });

  it('does not take the keys of a signedBy requirement of another keyType', async () => {
    const policy = policyFile(
      'x509',
      inTesting([{ type: 'signedBy', keyType: 'X509Certificates', keyPath: SUBKEY_KEY }]),
    );
    const v = await verdictFor(
      'simple-signing/containers-image/subkey.signature',
      config([], { policyFile: policy }),
    );
    expect([v.status, v.code]).toEqual(['unverified', 'NO_TRUST_ROOT']);
    expect(v.message).toBe(
      'no OpenPGP keyring given (--gpg-keyring or a signedBy policy requirement); containers policy rejects the image ' +
        `(docker:docker.io/testing/manifest, signedBy X509Certificates ${SUBKEY_KEY}): keyType X509Certificates is not supported (only GPGKeys)`,
    );
  });

  it("decides per image: a bad signature's verdict carries the acceptance another signature earned", async () => {
    const policy = policyFile(
      'signed',
      inTesting([{ type: 'signedBy', keyType: 'GPGKeys', keyPath: SUBKEY_KEY }]),
    );
    const shared = { blobs: [blob('unknown-key.signature'), blob('subkey.signature')] };
    const ev = await simpleSigningEvidence(target, 'x', shared.blobs[0]!, 'lookaside', shared);
    const v = await new TrustEvaluator(config([SUBKEY_KEY], { policyFile: policy })).evaluate(ev, target);
    // Not verified, and not POLICY_REJECTED: the policy accepts the image on the other signature.
    expect([v.status, v.code]).toEqual(['untrusted', 'UNKNOWN_SIGNER']);
    expect(v.message.split('; ')[1]).toMatch(
      new RegExp(
        `^containers policy accepts the image \\(docker:docker.io/testing/manifest, signedBy GPGKeys ${SUBKEY_KEY}\\): ${SIGNER.source.slice(1)}$`,
      ),
    );
  });

  it('evaluates the policy on the blob itself when the evidence carries no image-wide list', async () => {
    const policy = policyFile(
      'signed-alone',
      inTesting([{ type: 'signedBy', keyType: 'GPGKeys', keyPath: SUBKEY_KEY }]),
    );
    const ev = await simpleSigningEvidence(target, 'x', blob('subkey.signature'), 'lookaside');
    const alone = { ...ev, material: { blob: blob('subkey.signature') } };
    const v = await new TrustEvaluator(config([], { policyFile: policy })).evaluate(alone, target);
    expect([v.status, v.code]).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
    expect(v.message).toContain('; containers policy accepts the image (');
  });

  it('reads the keyrings and the policy file once per trust configuration', async () => {
    const keyring = join(work, 'keyring.gpg');
    copyFileSync(SUBKEY_KEY, keyring);
    const policy = policyFile('changing', { default: [{ type: 'insecureAcceptAnything' }] });
    const cfg = config([keyring], { policyFile: policy });
    const sig = 'simple-signing/containers-image/subkey.signature';
    const first = await verdictFor(sig, cfg);
    expect([first.code, first.message.split('; ')[1]]).toEqual([
      'SIGNED_BY_TRUSTED_KEY',
      'containers policy accepts the image (default, insecureAcceptAnything): insecureAcceptAnything accepts any image',
    ]);
    copyFileSync(join(DIR, 'public-key-2.gpg'), keyring);
    writeFileSync(policy, JSON.stringify({ default: [{ type: 'reject' }] }));
    const again = await verdictFor(sig, cfg);
    expect([again.code, again.message.split('; ')[1]]).toEqual([first.code, first.message.split('; ')[1]]);
    // A new configuration reads them anew.
    const fresh = await verdictFor(sig, { ...cfg });
    expect(fresh.code).toBe('UNKNOWN_SIGNER');
  });
});
