/**
 * Notation verification codes the family tests do not reach (issue #18): a leaf key type notation never
 * signs with, an envelope that needs a verification plugin, and a real TSA token (notation-go's
 * jwsWithTimestamp.sig, Globalsign TSA) altered by one byte.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { NotationMaterial } from '../../../src/detectors/notation.js';
import type { Evidence, ImageTarget } from '../../../src/model/index.js';
import { notationVerifier } from '../../../src/trust/families/notation.js';
import { parseTrustPolicy } from '../../../src/trust/notation/trustpolicy.js';
import { TrustStoreCache, trustStoreRoot } from '../../../src/trust/notation/truststore.js';
import {
  checkIntegrity,
  verifyUnderPolicy,
  type NotationSignatureInput,
} from '../../../src/trust/notation/verify.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { testPki } from '../../helpers/notation/pki.js';
import { signNotation } from '../../helpers/notation/sign.js';
import {
  config,
  evaluate,
  evidenceFor,
  extraPki,
  imageTarget,
  notationDir,
  policy,
  REGISTRY,
  REPOSITORY,
  sampleImage,
  signJws,
  statement,
  tempDir,
} from './support.js';

const SCOPE = `${REGISTRY}/${REPOSITORY}`;
const withMaterial = (evidence: Evidence, patch: Partial<NotationMaterial>): Evidence => ({
  ...evidence,
  material: { ...(evidence.material as NotationMaterial), ...patch },
});
const direct = (evidence: Evidence, target: ImageTarget, cfg = config()) =>
  notationVerifier({ ...evidence, findings: [] }, target, { config: cfg, now: cfg.at ?? new Date() });

describe('notation: the leaf key type', () => {
  it('an Ed25519 leaf (openssl), which notation never signs with: invalid KEY_UNSUPPORTED', async () => {
    const dir = tempDir('sigscan-notation-ed25519-');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ED25519', '-out', 'ed.key'], { cwd: dir });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        'ed.key',
        '-subj',
        '/C=US/O=sigscan test/CN=ed25519 leaf',
        '-days',
        '30',
        '-outform',
        'DER',
        '-out',
        'ed.der',
      ],
      { cwd: dir },
    );
    const { descriptor, target } = sampleImage();
    const sig = signNotation(descriptor);
    const evidence = withMaterial(evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target), {
      certificatesDer: [new Uint8Array(readFileSync(join(dir, 'ed.der'))), testPki().root.der],
    });
    const dirWith = notationDir({
      stores: { 'ca/test': { 'root.pem': testPki().root.pem } },
      policy: policy(statement({ registryScopes: [SCOPE] })),
    });
    const v = await direct(evidence, target, config({ notationDir: dirWith }));
    expect([v.status, v.code]).toEqual(['invalid', 'KEY_UNSUPPORTED']);
    expect(v.message).toMatch(
      /^the signing key of CN=ed25519 leaf,O=sigscan test,C=US \(.*\) is not one notation signs with/,
    );
  });
});

describe('notation: verification plugins', () => {
  it('an intact envelope whose crit names io.cncf.notary.verificationPlugin: unverified VERIFICATION_PLUGIN_REQUIRED', async () => {
    const pki = extraPki();
    const { descriptor, target } = sampleImage('plugin');
    const bytes = signJws({
      target: descriptor,
      key: pki.leaf.key,
      chain: [pki.leaf.der, pki.root.der],
      extraCrit: { 'io.cncf.notary.verificationPlugin': 'com.example.plugin' },
    });
    const evidence = evidenceFor(bytes, 'application/jose+json', target);
    expect(
      evidence.findings!.filter((f) => f.code === 'VERIFICATION_PLUGIN_REQUIRED').map((f) => f.severity),
    ).toEqual(['warning']);
    const dir = notationDir({
      stores: { 'ca/test': { 'root.pem': pki.root.pem } },
      policy: policy(statement({ registryScopes: [SCOPE] })),
    });
    const v = await evaluate(evidence, target, config({ notationDir: dir }));
    expect([v.status, v.code]).toEqual(['unverified', 'VERIFICATION_PLUGIN_REQUIRED']);
    expect(v.message).toContain('io.cncf.notary.verificationPlugin');
  });
});

describe('notation: the RFC 3161 timestamp (notation-go corpus signature)', () => {
  const AT = new Date('2026-11-21T00:00:00Z');
  const target = imageTarget({
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
    size: 528,
  });
  const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, 'notation/notation-go/jwsWithTimestamp.sig')));
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

  it('as made: verified (the control)', async () => {
    const v = await evaluate(
      evidenceFor(bytes, 'application/jose+json', target),
      target,
      config({ notationDir: dir(), at: AT }),
    );
    expect([v.status, v.code]).toEqual(['verified', 'VERIFIED']);
  });

  it('the TSA signature value altered by one byte: untrusted TIMESTAMP_INVALID', async () => {
    const evidence = evidenceFor(bytes, 'application/jose+json', target);
    const token = Buffer.from((evidence.material as NotationMaterial).timestampTokenDer!);
    token[token.length - 1] = token[token.length - 1]! ^ 0x01;
    const v = await direct(
      withMaterial(evidence, { timestampTokenDer: new Uint8Array(token) }),
      target,
      config({ notationDir: dir(), at: AT }),
    );
    expect([v.status, v.code]).toEqual(['untrusted', 'TIMESTAMP_INVALID']);
    expect(v.message).toMatch(/^the timestamp countersignature is invalid: /);
  });
});

/** checkIntegrity then verifyUnderPolicy, as the family runs them, keeping the per-check outcomes. */
async function underPolicy(
  evidence: Evidence,
  target: ImageTarget,
  stmt: Record<string, unknown>,
  stores: Record<string, Record<string, string | Uint8Array>>,
  now = new Date(),
) {
  const m = evidence.material as NotationMaterial;
  const input: NotationSignatureInput = {
    alg: m.alg,
    signedBytes: m.signedBytes,
    signature: m.signature,
    certificatesDer: m.certificatesDer,
    payloadBytes: m.payloadBytes,
    crit: m.crit ?? [],
    ...(m.signingScheme ? { signingScheme: m.signingScheme } : {}),
    ...(m.timestampTokenDer ? { timestampTokenDer: m.timestampTokenDer } : {}),
    ...(m.expiry ? { expiry: m.expiry } : {}),
    ...(m.authenticSigningTime ? { authenticSigningTime: m.authenticSigningTime } : {}),
  };
  const integrity = await checkIntegrity(input, target);
  expect(integrity.ok, integrity.verdict?.message).toBe(true);
  const dir = notationDir({ stores, policy: policy(stmt) });
  const statementParsed = parseTrustPolicy(policy(stmt)).statements[0]!;
  const cache = new TrustStoreCache(trustStoreRoot(dir));
  const out = await verifyUnderPolicy(
    input,
    integrity.chain!,
    { statement: statementParsed, source: 'policy.json', stores: (r) => cache.get(r) },
    now,
  );
  return {
    verdict: out.verdict,
    outcomes: out.outcomes.map((o) => [o.check, o.action, o.ok, o.code]),
  };
}

describe('verifyUnderPolicy: per-check outcomes and the verified message', () => {
  const pki = () => testPki();
  const caStore = () => ({ 'ca/test': { 'root.pem': pki().root.pem } });

  it('notary.x509 under strict, no tsa store: every check passes; the message lists them, expiry aside', async () => {
    const { descriptor, target } = sampleImage('outcomes');
    const sig = signNotation(descriptor);
    const now = new Date();
    const { verdict, outcomes } = await underPolicy(
      evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target),
      target,
      statement(),
      caStore(),
      now,
    );
    expect(outcomes).toEqual([
      ['authenticity', 'enforce', true, 'AUTHENTIC'],
      ['authenticTimestamp', 'enforce', true, 'CERTS_VALID_NOW'],
      ['expiry', 'enforce', true, 'NOT_EXPIRED'],
      ['revocation', 'enforce', true, 'REVOCATION_NOT_CHECKED'],
    ]);
    expect([verdict.status, verdict.code]).toEqual(['verified', 'VERIFIED']);
    expect(verdict.message).toBe(
      `notation signature by ${pki().leaves.rsa3072.subject} verified under trust policy "test" (strict, policy.json): ` +
        `chain anchored by ${pki().root.subject} in trust store 'ca:test'; ` +
        `the chain is valid at ${now.toISOString()} (the policy names no tsa trust store); ` +
        'revocation (OCSP/CRL) was not checked',
    );
  });

  it('an override of skip leaves the check out; the signing-authority scheme checks the authentic signing time', async () => {
    const { descriptor, target } = sampleImage('outcomes-sa');
    const sig = signNotation(descriptor, { signingScheme: 'notary.x509.signingAuthority' });
    const { outcomes } = await underPolicy(
      evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target),
      target,
      statement({
        trustStores: ['signingAuthority:sa'],
        signatureVerification: { level: 'strict', override: { revocation: 'skip' } },
      }),
      { 'signingAuthority/sa': { 'root.pem': pki().root.pem } },
    );
    expect(outcomes).toEqual([
      ['authenticity', 'enforce', true, 'AUTHENTIC'],
      ['authenticTimestamp', 'enforce', true, 'SIGNING_TIME_VALID'],
      ['expiry', 'enforce', true, 'NOT_EXPIRED'],
    ]);
  });

  it('audit level: a logged authenticity failure is named after the passed checks, not among them', async () => {
    const { descriptor, target } = sampleImage('outcomes-audit');
    const sig = signNotation(descriptor);
    const now = new Date();
    const { verdict, outcomes } = await underPolicy(
      evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target),
      target,
      statement({ signatureVerification: { level: 'audit' } }),
      { 'ca/test': { 'root.pem': extraPki().root.pem } },
      now,
    );
    expect(outcomes.map((o) => o.slice(0, 3))).toEqual([
      ['authenticity', 'log', false],
      ['authenticTimestamp', 'log', true],
      ['expiry', 'log', true],
      ['revocation', 'log', true],
    ]);
    expect(verdict.code).toBe('VERIFIED_WITH_LOGGED_FAILURES');
    expect(verdict.message).toBe(
      `notation signature by ${pki().leaves.rsa3072.subject} verified under trust policy "test" (audit, policy.json): ` +
        `the chain is valid at ${now.toISOString()} (the policy names no tsa trust store); ` +
        'revocation (OCSP/CRL) was not checked; logged but not enforced by the policy: ' +
        `authenticity failed (CHAIN_UNTRUSTED): signature valid but signer ${pki().leaves.rsa3072.subject} ` +
        `(root ${pki().root.subject}) is not in trust store 'ca:test'`,
    );
  });

  it('the corpus timestamp under a tsa store: TIMESTAMP_VALID', async () => {
    const target = imageTarget({
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      digest: 'sha256:c0669ef34cdc14332c0f1ab0c2c01acb91d96014b172f1a76f3a39e63d1f0bda',
      size: 528,
    });
    const bytes = new Uint8Array(readFileSync(join(CORPUS_DIR, 'notation/notation-go/jwsWithTimestamp.sig')));
    const store = join(CORPUS_DIR, 'notation/notation-go/truststore');
    const { outcomes } = await underPolicy(
      evidenceFor(bytes, 'application/jose+json', target),
      target,
      statement({ trustStores: ['ca:valid', 'tsa:stamps'] }),
      {
        'ca/valid': { 'c.crt': readFileSync(join(store, 'ca-valid-trust-store/TestTimestamp.crt')) },
        'tsa/stamps': { 'g.cer': readFileSync(join(store, 'tsa-test-timestamp/globalsignRoot.cer')) },
      },
      new Date('2026-11-21T00:00:00Z'),
    );
    expect(outcomes[1]).toEqual(['authenticTimestamp', 'enforce', true, 'TIMESTAMP_VALID']);
  });
});

describe('verifyUnderPolicy: validity times without a timestamp', () => {
  const DAY = 24 * 3600_000;
  const stores = () => ({
    'ca/test': { 'root.pem': testPki().root.pem },
    'tsa/stamps': { 'root.pem': testPki().root.pem },
  });
  const sign = (seed: string, options: Parameters<typeof signNotation>[1] = {}) => {
    const { descriptor, target } = sampleImage(seed);
    const sig = signNotation(descriptor, options);
    return { target, evidence: evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target) };
  };
  const afterExpiry = statement({
    trustStores: ['ca:test', 'tsa:stamps'],
    signatureVerification: { level: 'strict', verifyTimestamp: 'afterCertExpiry' },
  });

  it('afterCertExpiry with no certificate expired: no timestamp needed, the chain checked now', async () => {
    const { target, evidence } = sign('after-expiry');
    const now = new Date();
    const { verdict, outcomes } = await underPolicy(evidence, target, afterExpiry, stores(), now);
    expect(outcomes[1]).toEqual(['authenticTimestamp', 'enforce', true, 'CERTS_VALID_NOW']);
    expect(verdict.message).toContain(
      `the chain is valid at ${now.toISOString()} (verifyTimestamp is afterCertExpiry and no certificate has expired)`,
    );
  });

  it('afterCertExpiry once the leaf (not the root) has expired: a timestamp is required', async () => {
    const { target, evidence } = sign('after-expiry-2');
    const later = new Date(Date.now() + 400 * DAY);
    const { verdict } = await underPolicy(evidence, target, afterExpiry, stores(), later);
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'TIMESTAMP_MISSING']);
  });

  it('verification time before the chain is valid: CERT_NOT_YET_VALID', async () => {
    const { target, evidence } = sign('not-yet');
    const early = new Date('2001-01-01T00:00:00Z');
    const { verdict } = await underPolicy(evidence, target, statement(), stores(), early);
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'CERT_NOT_YET_VALID']);
    expect(verdict.message).toMatch(
      new RegExp(
        `^certificate ${testPki().leaves.rsa3072.subject} is not valid before .* \\(verification time 2001-01-01T00:00:00.000Z; no timestamp was checked because the policy names no tsa trust store\\); authenticTimestamp is enforced by`,
      ),
    );
  });

  it('signing-authority: an authentic signing time after the leaf expired is outside its validity', async () => {
    const { target, evidence } = sign('sa-late', {
      signingScheme: 'notary.x509.signingAuthority',
      signingTime: new Date(Date.now() + 400 * DAY),
    });
    const { verdict } = await underPolicy(
      evidence,
      target,
      statement({ trustStores: ['signingAuthority:sa'] }),
      {
        'signingAuthority/sa': { 'root.pem': testPki().root.pem },
      },
    );
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'SIGNING_TIME_OUTSIDE_VALIDITY']);
    expect(verdict.message).toContain(`certificate ${testPki().leaves.rsa3072.subject} (valid `);
  });
});
