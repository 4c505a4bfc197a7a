import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { NotationMaterial } from '../../../src/detectors/notation.js';
import type { Evidence, ImageTarget, Verdict } from '../../../src/model/index.js';
import { notationVerifier, scopeOf } from '../../../src/trust/families/notation.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { testPki } from '../../helpers/notation/pki.js';
import { signNotation, type SignNotationOptions } from '../../helpers/notation/sign.js';
import {
  config,
  evaluate,
  evidenceFor,
  extraPki,
  imageTarget,
  notationDir,
  OCI_MANIFEST,
  policy,
  REGISTRY,
  REPOSITORY,
  rootsFrom,
  sampleImage,
  signJws,
  statement,
} from '../notation/support.js';

const SCOPE = `${REGISTRY}/${REPOSITORY}`;
const HOUR = 3600_000;

function signed(options: SignNotationOptions = {}, seed = 'app') {
  const { descriptor, target } = sampleImage(seed);
  const sig = signNotation(descriptor, options);
  return { target, evidence: evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target), sig };
}

/** A notation dir whose ca store holds the test PKI root, with one statement (overridable). */
function dirWith(
  overrides: Record<string, unknown> = {},
  extraStores: Record<string, Record<string, string | Uint8Array>> = {},
) {
  return notationDir({
    stores: { 'ca/test': { 'root.pem': testPki().root.pem }, ...extraStores },
    policy: policy(statement({ registryScopes: [SCOPE], ...overrides })),
  });
}

const withMaterial = (evidence: Evidence, patch: Partial<NotationMaterial>): Evidence => ({
  ...evidence,
  material: { ...(evidence.material as NotationMaterial), ...patch },
});

/** Calls the family verifier directly, past the evaluator's integrity-finding short cut. */
const direct = (evidence: Evidence, target: ImageTarget, cfg = config()) =>
  notationVerifier({ ...evidence, findings: [] }, target, { config: cfg, now: cfg.at ?? new Date() });

describe('notation verifier: signer-made signatures', () => {
  for (const [envelope, key] of [
    ['jws', 'rsa3072'],
    ['cose', 'p256'],
    ['jws', 'rsa2048'],
    ['cose', 'rsa3072'],
  ] as const) {
    it(`good ${envelope} ${key} signature → verified (notation dir, exact scope)`, async () => {
      const { target, evidence } = signed({ envelope, key });
      const v = await evaluate(evidence, target, config({ notationDir: dirWith() }));
      expect(v, v.message).toMatchObject({ status: 'verified', code: 'VERIFIED' });
      expect(v.message).toContain(`trust store 'ca:test'`);
      expect(v.message).toContain('is unknown (offline: only --crl files are read)');
      expect(evidence.details).toMatchObject({ trustPolicy: { name: 'test', level: 'strict' } });
    });
  }

  it('good signature → verified through the --trust-root fallback', async () => {
    const { target, evidence } = signed();
    const v = await evaluate(
      evidence,
      target,
      config({ roots: await rootsFrom(join(testPki().dir, 'root.crt')) }),
    );
    expect(v).toMatchObject({ status: 'verified', code: 'VERIFIED' });
    expect(v.message).toContain('implicit policy from --trust-root');
  });

  it('one byte of the signed bytes changed → invalid SIGNATURE_INVALID', async () => {
    const { target, evidence } = signed();
    const m = evidence.material as NotationMaterial;
    const signedBytes = m.signedBytes.slice();
    signedBytes[signedBytes.length - 3]! ^= 0x01;
    const v = await evaluate(
      withMaterial(evidence, { signedBytes }),
      target,
      config({ notationDir: dirWith() }),
    );
    expect(v).toMatchObject({ status: 'invalid', code: 'SIGNATURE_INVALID' });
  });

  it('one byte of the signature changed → invalid SIGNATURE_INVALID, even without any trust root', async () => {
    const { target, evidence } = signed({ envelope: 'cose', key: 'p256' });
    const signature = (evidence.material as NotationMaterial).signature.slice();
    signature[5]! ^= 0x80;
    const v = await evaluate(withMaterial(evidence, { signature }), target, config());
    expect(v).toMatchObject({ status: 'invalid', code: 'SIGNATURE_INVALID' });
  });

  it('swapped certificate: a leaf of another key of the same type → SIGNATURE_INVALID', async () => {
    const { target, evidence } = signed({ key: 'rsa2048' });
    const m = evidence.material as NotationMaterial;
    const swapped = withMaterial(evidence, { certificatesDer: [extraPki().leaf.der, extraPki().root.der] });
    expect(await evaluate(swapped, target, config({ notationDir: dirWith() }))).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
    });
    expect(m.certificatesDer).toHaveLength(2);
  });

  it('swapped certificate: a leaf whose key means another algorithm → ALG_MISMATCH', async () => {
    const { target, evidence } = signed({ key: 'rsa3072' });
    const pki = testPki();
    const swapped = withMaterial(evidence, { certificatesDer: [pki.leaves.p256.der, pki.root.der] });
    const v = await evaluate(swapped, target, config({ notationDir: dirWith() }));
    expect(v).toMatchObject({ status: 'invalid', code: 'ALG_MISMATCH' });
    expect(v.message).toMatch(/says PS384 but the signing key .* means ES256/);
  });

  it('correct signature by a root the trust store does not hold → untrusted CHAIN_UNTRUSTED', async () => {
    const { target, evidence } = signed();
    const dir = notationDir({
      stores: { 'ca/prod': { 'other.pem': extraPki().root.pem } },
      policy: policy(statement({ trustStores: ['ca:prod'] })),
    });
    const v = await evaluate(evidence, target, config({ notationDir: dir }));
    expect(v).toMatchObject({ status: 'untrusted', code: 'CHAIN_UNTRUSTED' });
    expect(v.message).toContain(`signature valid but signer CN=sigscan leaf rsa3072`);
    expect(v.message).toContain(`is not in trust store 'ca:prod'`);
  });

  it('trustedIdentities: a matching subject verifies, another is IDENTITY_NOT_TRUSTED', async () => {
    const { target, evidence } = signed();
    const ok = dirWith({
      trustedIdentities: ['x509.subject: C=US, ST=WA, O=sigscan test, CN=sigscan leaf rsa3072'],
    });
    expect((await evaluate(evidence, target, config({ notationDir: ok }))).status).toBe('verified');
    const other = dirWith({ trustedIdentities: ['x509.subject: C=US, ST=WA, O=wabbit-networks.io'] });
    const v = await evaluate(evidence, target, config({ notationDir: other }));
    expect(v).toMatchObject({ status: 'untrusted', code: 'IDENTITY_NOT_TRUSTED' });
    expect(v.message).toContain('matches none of the trusted identities');
  });

  describe('expiry in the past, per level', () => {
    const past = () =>
      signed({ expiry: new Date(Date.now() - HOUR), signingTime: new Date(Date.now() - 2 * HOUR) });
    it('strict → untrusted SIGNATURE_EXPIRED', async () => {
      const { target, evidence } = past();
      const v = await evaluate(evidence, target, config({ notationDir: dirWith() }));
      expect(v).toMatchObject({ status: 'untrusted', code: 'SIGNATURE_EXPIRED' });
      expect(v.message).toContain('expiry is enforced by trust policy "test" (strict');
    });
    it('permissive → verified, the expiry failure logged in the message', async () => {
      const { target, evidence } = past();
      const v = await evaluate(
        evidence,
        target,
        config({ notationDir: dirWith({ signatureVerification: { level: 'permissive' } }) }),
      );
      expect(v).toMatchObject({ status: 'verified', code: 'VERIFIED_WITH_LOGGED_FAILURES' });
      expect(v.message).toContain('logged but not enforced by the policy: expiry failed (SIGNATURE_EXPIRED)');
    });
    it('strict with override expiry=log → verified with the failure logged', async () => {
      const { target, evidence } = past();
      const dir = dirWith({ signatureVerification: { level: 'strict', override: { expiry: 'log' } } });
      expect(await evaluate(evidence, target, config({ notationDir: dir }))).toMatchObject({
        status: 'verified',
        code: 'VERIFIED_WITH_LOGGED_FAILURES',
      });
    });
    it('a future expiry passes', async () => {
      const { target, evidence } = signed({ expiry: new Date(Date.now() + HOUR) });
      expect((await evaluate(evidence, target, config({ notationDir: dirWith() }))).code).toBe('VERIFIED');
    });
  });

  it('audit level logs an authenticity failure instead of enforcing it', async () => {
    const { target, evidence } = signed();
    const dir = notationDir({
      stores: { 'ca/prod': { 'other.pem': extraPki().root.pem } },
      policy: policy(statement({ trustStores: ['ca:prod'], signatureVerification: { level: 'audit' } })),
    });
    const v = await evaluate(evidence, target, config({ notationDir: dir }));
    expect(v).toMatchObject({ status: 'verified', code: 'VERIFIED_WITH_LOGGED_FAILURES' });
    expect(v.message).toContain('authenticity failed (CHAIN_UNTRUSTED)');
  });

  it('audit level still enforces integrity', async () => {
    const { target, evidence } = signed();
    const signature = (evidence.material as NotationMaterial).signature.slice();
    signature[0]! ^= 1;
    const dir = dirWith({ signatureVerification: { level: 'audit' } });
    expect(
      await evaluate(withMaterial(evidence, { signature }), target, config({ notationDir: dir })),
    ).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
    });
  });

  it('skip level → unverified POLICY_SKIP (a broken signature is still invalid)', async () => {
    const { target, evidence } = signed();
    const dir = notationDir({
      stores: {},
      policy: policy(
        { name: 'skipped', registryScopes: [SCOPE], signatureVerification: { level: 'skip' } },
        statement({ name: 'global' }),
      ),
    });
    expect(await evaluate(evidence, target, config({ notationDir: dir }))).toMatchObject({
      status: 'unverified',
      code: 'POLICY_SKIP',
    });
    const signature = (evidence.material as NotationMaterial).signature.slice();
    signature[0]! ^= 1;
    expect(
      (await evaluate(withMaterial(evidence, { signature }), target, config({ notationDir: dir }))).status,
    ).toBe('invalid');
  });

  it('no statement for the repository and no global one → unverified NO_POLICY_FOR_SCOPE', async () => {
    const { target, evidence } = signed();
    const dir = notationDir({
      stores: { 'ca/test': { 'root.pem': testPki().root.pem } },
      policy: policy(statement({ registryScopes: ['registry.example/team/other'] })),
    });
    expect(await evaluate(evidence, target, config({ notationDir: dir }))).toMatchObject({
      status: 'unverified',
      code: 'NO_POLICY_FOR_SCOPE',
    });
  });

  it('no trust root at all → unverified NO_TRUST_ROOT, never verified', async () => {
    const { target, evidence } = signed();
    const v = await evaluate(evidence, target, config());
    expect(v).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
    expect(v.message).toContain('--notation-dir');
  });

  it('an invalid trust policy or a missing trust store is a configuration error, not a verdict on the signature', async () => {
    const { target, evidence } = signed();
    const bad = notationDir({
      stores: {},
      policy: { version: '1.0', trustPolicies: [statement({ name: 'a' }), statement({ name: 'b' })] },
    });
    expect(await evaluate(evidence, target, config({ notationDir: bad }))).toMatchObject({
      status: 'error',
      code: 'TRUST_POLICY_INVALID',
    });
    const missing = notationDir({ stores: {}, policy: policy(statement({ trustStores: ['ca:nowhere'] })) });
    const v = await evaluate(evidence, target, config({ notationDir: missing }));
    expect(v).toMatchObject({ status: 'error', code: 'TRUST_STORE_INVALID' });
    expect(v.message).toContain('trust store "ca:nowhere" does not exist');
  });

  describe('signingAuthority scheme', () => {
    it('anchors only in signingAuthority stores', async () => {
      const { target, evidence } = signed({ signingScheme: 'notary.x509.signingAuthority' });
      expect(await evaluate(evidence, target, config({ notationDir: dirWith() }))).toMatchObject({
        status: 'untrusted',
        code: 'CHAIN_UNTRUSTED',
      });
      const dir = notationDir({
        stores: { 'signingAuthority/sa': { 'root.pem': testPki().root.pem } },
        policy: policy(statement({ trustStores: ['signingAuthority:sa'] })),
      });
      expect((await evaluate(evidence, target, config({ notationDir: dir }))).code).toBe('VERIFIED');
    });
    it('authentic signing time outside the chain validity → SIGNING_TIME_OUTSIDE_VALIDITY', async () => {
      const { target, evidence } = signed({
        signingScheme: 'notary.x509.signingAuthority',
        signingTime: new Date('2001-01-01T00:00:00Z'),
      });
      const dir = notationDir({
        stores: { 'signingAuthority/sa': { 'root.pem': testPki().root.pem } },
        policy: policy(statement({ trustStores: ['signingAuthority:sa'] })),
      });
      expect(await evaluate(evidence, target, config({ notationDir: dir }))).toMatchObject({
        status: 'untrusted',
        code: 'SIGNING_TIME_OUTSIDE_VALIDITY',
      });
    });
  });

  it('verification time after the leaf expired, no tsa store → CERT_EXPIRED', async () => {
    const { target, evidence } = signed();
    const later = new Date(Date.now() + 400 * 24 * HOUR);
    expect(await evaluate(evidence, target, config({ notationDir: dirWith(), at: later }))).toMatchObject({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
    });
  });

  it('target mismatch is re-checked by the verifier itself → TARGET_MISMATCH', async () => {
    const { evidence } = signed();
    const other = sampleImage('other').target;
    expect(await direct(evidence, other, config({ notationDir: dirWith() }))).toMatchObject({
      status: 'invalid',
      code: 'TARGET_MISMATCH',
    });
  });
});

describe('notation verifier: chains and certificate profile (hand-made JWS)', () => {
  const x = () => extraPki();
  const storeOf = () =>
    notationDir({
      stores: { 'ca/other': { 'root.pem': x().root.pem } },
      policy: policy(statement({ trustStores: ['ca:other'] })),
    });
  const run = async (
    key: 'leaf' | 'subLeaf' | 'caLeaf' | 'nonCriticalKuLeaf' | 'serverAuthLeaf' | 'sha1Leaf' | 'selfSigned',
    chain: Uint8Array[],
    extra: Parameters<typeof signJws>[0]['extraCrit'] = undefined,
  ) => {
    const { descriptor, target } = sampleImage('hand');
    const bytes = signJws({
      target: descriptor,
      key: x()[key].key,
      chain,
      ...(extra ? { extraCrit: extra } : {}),
    });
    return { target, evidence: evidenceFor(bytes, 'application/jose+json', target) };
  };

  it('leaf → intermediate → root verifies against the root', async () => {
    const { target, evidence } = await run('subLeaf', [x().subLeaf.der, x().intermediate.der, x().root.der]);
    expect((await evaluate(evidence, target, config({ notationDir: storeOf() }))).code).toBe('VERIFIED');
  });
  it('a chain without its root → CHAIN_INCOMPLETE (even though the root is in the store)', async () => {
    const { target, evidence } = await run('subLeaf', [x().subLeaf.der, x().intermediate.der]);
    expect(await evaluate(evidence, target, config({ notationDir: storeOf() }))).toMatchObject({
      status: 'invalid',
      code: 'CHAIN_INCOMPLETE',
    });
  });
  it('a chain out of order → CHAIN_INVALID', async () => {
    const { target, evidence } = await run('subLeaf', [x().subLeaf.der, x().root.der, x().intermediate.der]);
    expect(await evaluate(evidence, target, config({ notationDir: storeOf() }))).toMatchObject({
      status: 'invalid',
      code: 'CHAIN_INVALID',
    });
  });
  for (const [key, why] of [
    ['caLeaf', /marked as a CA/],
    ['nonCriticalKuLeaf', /keyUsage extension must be critical/],
    ['serverAuthLeaf', /serverAuth is not allowed/],
    ['sha1Leaf', /sha1WithRSAEncryption/],
  ] as const) {
    it(`${key} → CERT_PROFILE_VIOLATION`, async () => {
      const { target, evidence } = await run(key, [x()[key].der, x().root.der]);
      const v = await evaluate(evidence, target, config({ notationDir: storeOf() }));
      expect(v).toMatchObject({ status: 'invalid', code: 'CERT_PROFILE_VIOLATION' });
      expect(v.message).toMatch(why);
    });
  }
  it('a lone self-signed signing certificate, pinned, verifies', async () => {
    const { target, evidence } = await run('selfSigned', [x().selfSigned.der]);
    const dir = notationDir({
      stores: { 'ca/pin': { 'self.pem': x().selfSigned.pem } },
      policy: policy(statement({ trustStores: ['ca:pin'] })),
    });
    expect((await evaluate(evidence, target, config({ notationDir: dir }))).code).toBe('VERIFIED');
  });
  it('an unknown critical header → invalid (finding from the parser; CRIT_UNKNOWN in the verifier)', async () => {
    const { target, evidence } = await run('leaf', [x().leaf.der, x().root.der], {
      'com.example.mustUnderstand': 'x',
    });
    expect((await evaluate(evidence, target, config({ notationDir: storeOf() }))).status).toBe('invalid');
    expect(await direct(evidence, target, config({ notationDir: storeOf() }))).toMatchObject({
      status: 'invalid',
      code: 'CRIT_UNKNOWN',
    });
  });
});

describe('notation verifier: verified never appears when an input is missing', () => {
  const AT = new Date('2026-11-21T00:00:00Z');
  const corpusEvidence = () => {
    const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, 'notation/notation-go/jwsWithTimestamp.sig')));
    const target = imageTarget({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
      size: 528,
    });
    return { target, evidence: evidenceFor(bytes, 'application/jose+json', target) };
  };
  const store = join(CORPUS_DIR, 'notation/notation-go/truststore');
  const dir = () =>
    notationDir({
      stores: {
        'ca/valid': {
          'TestTimestamp.crt': readFileSync(join(store, 'ca-valid-trust-store/TestTimestamp.crt')),
        },
        'tsa/stamps': {
          'globalsignRoot.cer': readFileSync(join(store, 'tsa-test-timestamp/globalsignRoot.cer')),
        },
      },
      policy: policy(statement({ trustStores: ['ca:valid', 'tsa:stamps'] })),
    });

  it('baseline: every input present → verified, with the timestamp checked', async () => {
    const { target, evidence } = corpusEvidence();
    const v = await evaluate(evidence, target, config({ notationDir: dir(), at: AT }));
    expect(v, v.message).toMatchObject({ status: 'verified', code: 'VERIFIED' });
    expect(v.message).toContain('timestamped 2024-06-18T06:29:37.000Z by CN=Globalsign TSA');
  });

  const removals: Array<[string, (e: Evidence) => Evidence, (d: string) => void, string]> = [
    [
      'timestamp token',
      (e) => withMaterial(e, { timestampTokenDer: undefined }),
      () => {},
      'TIMESTAMP_MISSING',
    ],
    ['signature', (e) => withMaterial(e, { signature: new Uint8Array() }), () => {}, 'SIGNATURE_INVALID'],
    [
      'signed bytes',
      (e) => withMaterial(e, { signedBytes: new Uint8Array() }),
      () => {},
      'SIGNATURE_INVALID',
    ],
    ['certificates', (e) => withMaterial(e, { certificatesDer: [] }), () => {}, 'CERT_MALFORMED'],
    ['payload', (e) => withMaterial(e, { payloadBytes: new Uint8Array() }), () => {}, 'PAYLOAD_INVALID'],
    [
      'signing scheme',
      (e) => ({
        ...withMaterial(e, { signingScheme: undefined }),
        details: { ...e.details, signingScheme: undefined },
      }),
      () => {},
      'SIGNING_SCHEME_UNKNOWN',
    ],
    ['alg', (e) => withMaterial(e, { alg: '' }), () => {}, 'ALG_MISMATCH'],
    [
      'ca store',
      (e) => e,
      (d) => rmSync(join(d, 'truststore/x509/ca'), { recursive: true }),
      'TRUST_STORE_INVALID',
    ],
    [
      'tsa store',
      (e) => e,
      (d) => rmSync(join(d, 'truststore/x509/tsa'), { recursive: true }),
      'TRUST_STORE_INVALID',
    ],
    ['trust policy', (e) => e, (d) => rmSync(join(d, 'trustpolicy.oci.json')), 'TRUST_POLICY_INVALID'],
  ];
  for (const [what, mutate, unlink, code] of removals) {
    it(`without the ${what} → ${code}, not verified`, async () => {
      const { target, evidence } = corpusEvidence();
      const d = dir();
      unlink(d);
      const v: Verdict = await direct(mutate(evidence), target, config({ notationDir: d, at: AT }));
      expect(v.status).not.toBe('verified');
      expect(v.code, v.message).toBe(code);
    });
  }
  it('without the notation dir and roots → NO_TRUST_ROOT', async () => {
    const { target, evidence } = corpusEvidence();
    expect(await direct(evidence, target, config({ at: AT }))).toMatchObject({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
    });
  });
});

/** Runs the family verifier on an evidence object the caller keeps, to read the details it records. */
async function run(evidence: Evidence, target: Parameters<typeof notationVerifier>[1], cfg = config()) {
  const e: Evidence = { ...evidence, findings: [] };
  const v = await notationVerifier(e, target, { config: cfg, now: cfg.at ?? new Date() });
  return { v, details: e.details ?? {} };
}

describe('notation verifier: the --trust-root fallback stores and policy', () => {
  const roots = async () => rootsFrom(join(testPki().dir, 'root.crt'));

  it('notary.x509 anchors in the in-memory ca:trust-root store; no store warnings', async () => {
    const { target, evidence } = signed();
    const { v, details } = await run(evidence, target, config({ roots: await roots() }));
    expect([v.status, v.code], v.message).toEqual(['verified', 'VERIFIED']);
    expect(v.message).toContain(`trust store 'ca:trust-root'`);
    expect(details['trustPolicy']).toEqual({
      name: 'sigscan --trust-root',
      level: 'strict',
      source: 'implicit policy from --trust-root',
    });
    expect(details).not.toHaveProperty('trustStoreWarnings');
  });

  it('notary.x509.signingAuthority anchors in the signingAuthority:trust-root store', async () => {
    const { target, evidence } = signed({ signingScheme: 'notary.x509.signingAuthority' });
    const { v } = await run(evidence, target, config({ roots: await roots() }));
    expect([v.status, v.code], v.message).toEqual(['verified', 'VERIFIED']);
    expect(v.message).toContain(`trust store 'signingAuthority:trust-root'`);
  });

  describe('--tsa-root is the tsa:tsa-root store (notation-go jwsWithTimestamp.sig, Globalsign TSA)', () => {
    const AT = new Date('2026-11-21T00:00:00Z');
    const store = join(CORPUS_DIR, 'notation/notation-go/truststore');
    const corpus = () => {
      const bytes = new Uint8Array(
        readFileSync(join(CORPUS_DIR, 'notation/notation-go/jwsWithTimestamp.sig')),
      );
      const target = imageTarget({
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
        size: 528,
      });
      return { target, evidence: evidenceFor(bytes, 'application/jose+json', target) };
    };
    const caRoots = () => rootsFrom(join(store, 'ca-valid-trust-store/TestTimestamp.crt'));

    it('the Globalsign root as --tsa-root → verified, timestamped, store tsa:tsa-root', async () => {
      const { target, evidence } = corpus();
      const tsaRoots = await rootsFrom(join(store, 'tsa-test-timestamp/globalsignRoot.cer'));
      const { v } = await run(evidence, target, config({ roots: await caRoots(), tsaRoots, at: AT }));
      expect([v.status, v.code], v.message).toEqual(['verified', 'VERIFIED']);
      expect(v.message).toContain(`timestamped 2024-06-18T06:29:37.000Z by CN=Globalsign TSA`);
      expect(v.message).toContain(`('tsa:tsa-root')`);
    });

    it('another root as --tsa-root → untrusted TIMESTAMP_UNTRUSTED naming tsa:tsa-root', async () => {
      const { target, evidence } = corpus();
      const tsaRoots = await roots();
      const { v } = await run(evidence, target, config({ roots: await caRoots(), tsaRoots, at: AT }));
      expect([v.status, v.code], v.message).toEqual(['untrusted', 'TIMESTAMP_UNTRUSTED']);
      expect(v.message).toContain(`not trusted by 'tsa:tsa-root'`);
    });
  });

  it('the trust setup is built once per TrustConfig: a policy removed after the first verdict is not re-read', async () => {
    const dir = dirWith();
    const cfg = config({ notationDir: dir });
    const { target, evidence } = signed();
    expect((await run(evidence, target, cfg)).v.code).toBe('VERIFIED');
    rmSync(join(dir, 'trustpolicy.oci.json'));
    expect((await run(evidence, target, cfg)).v.code).toBe('VERIFIED');
    expect((await run(evidence, target, config({ notationDir: dir }))).v.code).toBe('TRUST_POLICY_INVALID');
  });

  it('trust store warnings (a sub-directory in the store) are recorded in the details', async () => {
    const dir = dirWith();
    mkdirSync(join(dir, 'truststore/x509/ca/test/nested'));
    const { target, evidence } = signed();
    const { v, details } = await run(evidence, target, config({ notationDir: dir }));
    expect(v.code).toBe('VERIFIED');
    expect(details['trustStoreWarnings']).toEqual([`trust store "ca:test": sub-directory nested is ignored`]);
  });
});

describe('notation verifier: signature inputs from the material, else from the details', () => {
  const at = (d: Date) => d.toISOString();

  it('signing scheme: the material wins; the details are the fallback', async () => {
    const { target, evidence } = signed();
    const fromDetails = withMaterial(evidence, { signingScheme: undefined });
    fromDetails.details = { ...evidence.details, signingScheme: 'notary.x509' };
    expect((await direct(fromDetails, target, config({ notationDir: dirWith() }))).code).toBe('VERIFIED');
    const both = { ...evidence, details: { ...evidence.details, signingScheme: 'bogus' } };
    expect((await direct(both, target, config({ notationDir: dirWith() }))).code).toBe('VERIFIED');
  });

  it('expiry: the material wins; a details date is the fallback; an unreadable one is ignored', async () => {
    const { target, evidence } = signed();
    const past = at(new Date(Date.now() - 24 * HOUR));
    const cfg = () => config({ notationDir: dirWith() });
    const fromDetails = { ...evidence, details: { ...evidence.details, expiry: past } };
    expect(await direct(fromDetails, target, cfg())).toMatchObject({
      status: 'untrusted',
      code: 'SIGNATURE_EXPIRED',
    });
    const both = withMaterial(fromDetails, { expiry: new Date(Date.now() + 24 * HOUR) });
    expect((await direct(both, target, cfg())).code).toBe('VERIFIED');
    const garbage = { ...evidence, details: { ...evidence.details, expiry: 'not a date' } };
    expect((await direct(garbage, target, cfg())).code).toBe('VERIFIED');
  });

  it('authentic signing time: the material wins; the details are the fallback', async () => {
    const { target, evidence } = signed({ signingScheme: 'notary.x509.signingAuthority' });
    const dir = notationDir({
      stores: { 'signingAuthority/sa': { 'root.pem': testPki().root.pem } },
      policy: policy(statement({ trustStores: ['signingAuthority:sa'] })),
    });
    const real = (evidence.material as NotationMaterial).authenticSigningTime!;
    const fromDetails = withMaterial(
      { ...evidence, details: { ...evidence.details, authenticSigningTime: at(real) } },
      { authenticSigningTime: undefined },
    );
    expect((await direct(fromDetails, target, config({ notationDir: dir }))).code).toBe('VERIFIED');
    const both = {
      ...evidence,
      details: { ...evidence.details, authenticSigningTime: '2001-01-01T00:00:00Z' },
    };
    expect((await direct(both, target, config({ notationDir: dir }))).code).toBe('VERIFIED');
  });

  it('no crit list in the material reads as an empty one', async () => {
    const { target, evidence } = signed();
    const v = await direct(
      withMaterial(evidence, { crit: undefined }),
      target,
      config({ notationDir: dirWith() }),
    );
    expect(v.code, v.message).toBe('VERIFIED');
  });

  it('the payload size and media type are compared with the image, the size with a file', async () => {
    const { target, evidence } = signed();
    const cfg = () => config({ notationDir: dirWith() });
    const size = await direct(evidence, { ...target, size: target.size! + 1 }, cfg());
    expect([size.code, size.message]).toEqual([
      'TARGET_MISMATCH',
      `the signed payload gives size ${target.size}, the artifact is ${target.size! + 1} bytes`,
    ]);
    const media = await direct(evidence, { ...target, mediaType: 'application/x-other' }, cfg());
    expect([media.code, media.message]).toEqual([
      'TARGET_MISMATCH',
      `the signed payload gives media type ${OCI_MANIFEST}, the artifact is application/x-other`,
    ]);
    // Neither given: nothing more to compare.
    const bare = await direct(evidence, { ...target, size: undefined, mediaType: '' }, cfg());
    expect(bare.code, bare.message).toBe('VERIFIED');
    const file = (size: number) => ({
      kind: 'file' as const,
      path: 'app.sig-target',
      size,
      digest: target.digest,
      format: 'blob' as const,
    });
    const fileSize = await direct(evidence, file(target.size! + 1) as never, cfg());
    expect([fileSize.code, fileSize.message]).toEqual([
      'TARGET_MISMATCH',
      `the signed payload gives size ${target.size}, the file is ${target.size! + 1} bytes`,
    ]);
    // The right size passes integrity; a file has no scope, and this policy has no global statement.
    const fileOk = await direct(evidence, file(target.size!) as never, cfg());
    expect([fileOk.status, fileOk.code]).toEqual(['unverified', 'NO_POLICY_FOR_SCOPE']);
    expect(scopeOf(file(1) as never)).toBeUndefined();
  });
});

describe('scopeOf: the trust policy scope of a target', () => {
  const image = (registry: string, repository: string) => ({ ...sampleImage().target, registry, repository });
  it.each([
    ['registry-1.docker.io', 'nginx', 'docker.io/library/nginx'],
    ['index.docker.io', 'org/app', 'docker.io/org/app'],
    ['docker.io', 'busybox', 'docker.io/library/busybox'],
    ['registry.example', 'app', 'registry.example/app'],
    ['registry.example', 'team/app', 'registry.example/team/app'],
  ])('%s + %s → %s', (registry, repository, scope) => {
    expect(scopeOf(image(registry, repository))).toBe(scope);
  });
});

describe('notation verifier: evidence without material', () => {
  it('is a verification error NO_MATERIAL, never a verdict on a signature', async () => {
    const { target, evidence } = signed();
    const v = await direct({ ...evidence, material: undefined }, target, config({ notationDir: dirWith() }));
    expect([v.status, v.code, v.message]).toEqual([
      'error',
      'NO_MATERIAL',
      'the notation detector handed over no signature material',
    ]);
  });
});

describe('notation verifier: the payload digest alone', () => {
  it('another artifact of the same size and media type → TARGET_MISMATCH naming both digests', async () => {
    const { evidence } = signed({}, 'abc');
    const other = sampleImage('xyz').target;
    const mine = sampleImage('abc').target;
    expect([other.size, other.mediaType]).toEqual([mine.size, mine.mediaType]);
    const v = await direct(evidence, other, config({ notationDir: dirWith() }));
    expect([v.status, v.code, v.message]).toEqual([
      'invalid',
      'TARGET_MISMATCH',
      `the signature covers ${mine.digest}, not this artifact ${other.digest}`,
    ]);
  });
});
