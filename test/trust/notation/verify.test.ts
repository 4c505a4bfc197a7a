/**
 * Notation verification codes the family tests do not reach (issue #18): a leaf key type notation never
 * signs with, an envelope that needs a verification plugin, and a real TSA token (notation-go's
 * jwsWithTimestamp.sig, Globalsign TSA) altered by one byte.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { NotationMaterial } from '../../../src/detectors/notation.js';
import type { Evidence, ImageTarget } from '../../../src/model/index.js';
import { notationVerifier } from '../../../src/trust/families/notation.js';
import { parseTrustPolicy } from '../../../src/trust/notation/trustpolicy.js';
import { TrustStoreCache, trustStoreRoot } from '../../../src/trust/notation/truststore.js';
import type { RevocationOptions } from '../../../src/trust/revocation/check.js';
import { readCrls } from '../../../src/trust/revocation/crl.js';
import {
  checkIntegrity,
  verifyUnderPolicy,
  type NotationSignatureInput,
} from '../../../src/trust/notation/verify.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { derEncode, derRebuilt, latin1, type DerNode } from '../../helpers/der-tree.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { opensslCaConfigHead } from '../../helpers/revocation-pki.js';
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
  opts: { source?: string; change?: (input: NotationSignatureInput) => void } = {},
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
  opts.change?.(input);
  const dir = notationDir({ stores, policy: policy(stmt) });
  const statementParsed = parseTrustPolicy(policy(stmt)).statements[0]!;
  const cache = new TrustStoreCache(trustStoreRoot(dir));
  const out = await verifyUnderPolicy(
    input,
    integrity.chain!,
    { statement: statementParsed, source: opts.source ?? 'policy.json', stores: (r) => cache.get(r) },
    now,
  );
  return {
    verdict: out.verdict,
    outcomes: out.outcomes.map((o) => [o.check, o.action, o.ok, o.code]),
    messages: out.outcomes.map((o) => o.message),
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

describe('checkIntegrity: critical headers', () => {
  it('an input without a crit list (none given) has nothing critical to refuse', async () => {
    const { descriptor, target } = sampleImage('no-crit');
    const m = evidenceFor(signNotation(descriptor).envelopeBytes, 'application/jose+json', target)
      .material as NotationMaterial;
    const integrity = await checkIntegrity(
      {
        alg: m.alg,
        signedBytes: m.signedBytes,
        signature: m.signature,
        certificatesDer: m.certificatesDer,
        payloadBytes: m.payloadBytes,
        signingScheme: 'notary.x509',
      },
      target,
    );
    expect([integrity.ok, integrity.verdict?.code]).toEqual([true, undefined]);
  });
});

describe('verifyUnderPolicy: trust stores, anchors and identities', () => {
  const sign = (seed: string, options: Parameters<typeof signNotation>[1] = {}) => {
    const { descriptor, target } = sampleImage(seed);
    const sig = signNotation(descriptor, options);
    return { target, evidence: evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, target) };
  };
  const caStore = () => ({ 'ca/test': { 'root.pem': testPki().root.pem } });

  it('a policy without a source is named without one', async () => {
    const { target, evidence } = sign('no-source');
    const { verdict } = await underPolicy(evidence, target, statement(), caStore(), new Date(), {
      source: '',
    });
    expect(verdict.message).toMatch(
      /^notation signature by .* verified under trust policy "test" \(strict\): /,
    );
  });

  it('notary.x509 under a policy with only a signingAuthority store: CHAIN_UNTRUSTED, no "ca" store named', async () => {
    const { target, evidence } = sign('no-ca-store');
    const { verdict } = await underPolicy(
      evidence,
      target,
      statement({ trustStores: ['signingAuthority:sa'] }),
      { 'signingAuthority/sa': { 'root.pem': testPki().root.pem } },
    );
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'CHAIN_UNTRUSTED']);
    expect(verdict.message).toMatch(
      /^signature valid but trust policy "test" names no "ca" trust store for the notary\.x509 signing scheme; /,
    );
    // An enforced failure with nothing logged before it carries no "logged" tail.
    expect(verdict.message).not.toContain('logged but not enforced');
  });

  it('every ca store of the policy is named when none anchors the chain', async () => {
    const { target, evidence } = sign('two-stores');
    const other = { 'root.pem': extraPki().root.pem };
    const { verdict } = await underPolicy(evidence, target, statement({ trustStores: ['ca:a', 'ca:b'] }), {
      'ca/a': other,
      'ca/b': other,
    });
    expect(verdict.code).toBe('CHAIN_UNTRUSTED');
    expect(verdict.message).toContain(`is not in trust store 'ca:a', 'ca:b'; authenticity is enforced`);
  });

  it('the first chain certificate found in a store anchors it: the intermediate, not the root above it', async () => {
    const pki = extraPki();
    const { descriptor, target } = sampleImage('anchor-intermediate');
    const bytes = signJws({
      target: descriptor,
      key: pki.subLeaf.key,
      chain: [pki.subLeaf.der, pki.intermediate.der, pki.root.der],
    });
    const { outcomes, messages } = await underPolicy(
      evidenceFor(bytes, 'application/jose+json', target),
      target,
      statement(),
      { 'ca/test': { 'inter.pem': pki.intermediate.pem, 'root.pem': pki.root.pem } },
    );
    expect(outcomes[0]).toEqual(['authenticity', 'enforce', true, 'AUTHENTIC']);
    expect(messages[0]).toBe(`chain anchored by ${pki.intermediate.subject} in trust store 'ca:test'`);
  });

  it('one matching trusted identity among others is enough', async () => {
    const { target, evidence } = sign('identities');
    const { outcomes } = await underPolicy(
      evidence,
      target,
      statement({
        trustedIdentities: [
          'x509.subject: C=US, ST=WA, O=someone else',
          'x509.subject: C=US, ST=WA, O=sigscan test',
        ],
      }),
      caStore(),
    );
    expect(outcomes[0]).toEqual(['authenticity', 'enforce', true, 'AUTHENTIC']);
  });

  it('audit level: two logged failures are listed one after the other', async () => {
    const { target, evidence } = sign('two-logged', { expiry: new Date(Date.now() - 60_000) });
    const { verdict, messages } = await underPolicy(
      evidence,
      target,
      statement({ signatureVerification: { level: 'audit' } }),
      { 'ca/test': { 'root.pem': extraPki().root.pem } },
    );
    expect(verdict.code).toBe('VERIFIED_WITH_LOGGED_FAILURES');
    expect(verdict.message).toContain(
      `authenticity failed (CHAIN_UNTRUSTED): ${messages[0]}; expiry failed (SIGNATURE_EXPIRED): ${messages[2]}`,
    );
  });

  it('signing-authority input without an authentic signing time: SIGNING_TIME_OUTSIDE_VALIDITY', async () => {
    const { target, evidence } = sign('sa-no-time', { signingScheme: 'notary.x509.signingAuthority' });
    const { outcomes } = await underPolicy(
      evidence,
      target,
      statement({ trustStores: ['signingAuthority:sa'] }),
      { 'signingAuthority/sa': { 'root.pem': testPki().root.pem } },
      new Date(),
      { change: (input) => delete input.authenticSigningTime },
    );
    expect(outcomes[1]).toEqual(['authenticTimestamp', 'enforce', false, 'SIGNING_TIME_OUTSIDE_VALIDITY']);
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

  /** The rsa3072 leaf's validity (second precision), the root's being wider. */
  const leafValidity = () => {
    const c = parseCertificate(testPki().leaves.rsa3072.der).cert;
    return { notBefore: c.notBefore.value, notAfter: c.notAfter.value };
  };

  it("the verification time equal to the leaf's notBefore or notAfter is inside (notation-go Before/After are strict)", async () => {
    const { target, evidence } = sign('bounds-now');
    for (const now of Object.values(leafValidity())) {
      const { outcomes } = await underPolicy(evidence, target, statement(), stores(), now);
      expect(outcomes[1]).toEqual(['authenticTimestamp', 'enforce', true, 'CERTS_VALID_NOW']);
    }
  });

  it('afterCertExpiry at exactly the leaf notAfter: not yet expired, so no timestamp is needed', async () => {
    const { target, evidence } = sign('bounds-after-expiry');
    const { outcomes } = await underPolicy(evidence, target, afterExpiry, stores(), leafValidity().notAfter);
    expect(outcomes[1]).toEqual(['authenticTimestamp', 'enforce', true, 'CERTS_VALID_NOW']);
  });

  it("signing-authority: an authentic signing time equal to the leaf's notBefore or notAfter is inside", async () => {
    for (const [bound, at] of Object.entries(leafValidity())) {
      const { target, evidence } = sign(`sa-bound-${bound}`, {
        signingScheme: 'notary.x509.signingAuthority',
        signingTime: at,
      });
      const { outcomes } = await underPolicy(
        evidence,
        target,
        statement({ trustStores: ['signingAuthority:sa'] }),
        {
          'signingAuthority/sa': { 'root.pem': testPki().root.pem },
        },
      );
      expect(outcomes[1]).toEqual(['authenticTimestamp', 'enforce', true, 'SIGNING_TIME_VALID']);
    }
  });

  it('an expiry equal to the verification time has passed (notation-go: expired unless now is before it)', async () => {
    const expiry = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000);
    const { target, evidence } = sign('expiry-bound', { expiry });
    const { verdict, outcomes } = await underPolicy(evidence, target, statement(), stores(), expiry);
    expect(outcomes[2]).toEqual(['expiry', 'enforce', false, 'SIGNATURE_EXPIRED']);
    expect(verdict.code).toBe('SIGNATURE_EXPIRED');
    const before = await underPolicy(evidence, target, statement(), stores(), new Date(expiry.getTime() - 1));
    expect(before.outcomes[2]).toEqual(['expiry', 'enforce', true, 'NOT_EXPIRED']);
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

// ---------------------------------------------------------------------------------------------------------
// The RFC 3161 timestamp of a notary.x509 signature against the signing chain and the TSA certificate
// profile (notation-go verifier.go verifyTimestamp; tspclient-go Timestamp.BoundedAfter/BoundedBefore,
// SignedToken.Verify; notation-core-go x509 validateTimestampingExtendedKeyUsage).

/**
 * One `openssl ca` root (backdated a month) that issues the TSA certificates and the signing leaves; a
 * token from `openssl ts -reply` (accuracy 1 s) over stand-in signature bytes, and the same TSTInfo
 * re-signed with `openssl cms -sign` by TSA certificates `openssl ts` refuses to sign with (EKU
 * timeStamping not critical; critical but with codeSigning beside it). Then, from the token's genTime T,
 * leaves whose validity starts or ends exactly at T - 1 s / T + 1 s (the accuracy bounds, inclusive in
 * tspclient-go) or at T itself (inside the accuracy window: refused).
 */
const TSA_CA_CONFIG = (
  dir: string,
) => `${opensslCaConfigHead(dir, { optional: ['organizationName', 'countryName', 'stateOrProvinceName'] })}[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[tsa_noncritical]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = timeStamping
[tsa_two]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping,codeSigning
[tsa_noku]
basicConstraints = critical,CA:FALSE
extendedKeyUsage = critical,timeStamping
[tsa_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[tsa_keyenc]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = critical,timeStamping
[tsa_nodigsig]
basicConstraints = critical,CA:FALSE
keyUsage = critical,nonRepudiation
extendedKeyUsage = critical,timeStamping
[tsa_nonrep]
keyUsage = digitalSignature,nonRepudiation
extendedKeyUsage = critical,timeStamping
[ca_noku]
basicConstraints = critical,CA:TRUE
[ts]
default_tsa = t
[t]
serial = ${dir}/tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha256
accuracy = secs:1
[t1]
serial = ${dir}/tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_alg = sha1
accuracy = secs:1
`;

/** YYYYMMDDHHMMSSZ, as `openssl ca -startdate/-enddate` take it. */
const opensslTime = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

const TSA_LEAVES = {
  /** notBefore = T - 1 s: the earliest the stamp allows, still inside. */
  startsAtEarliest: { from: -1_000, to: 10 * 86_400_000 },
  /** notBefore = T: the stamp (±1 s) can be before it. */
  startsAtGenTime: { from: 0, to: 10 * 86_400_000 },
  /** notAfter = T + 1 s: the latest the stamp allows, still inside. */
  endsAtLatest: { from: -10 * 86_400_000, to: 1_000 },
  /** notAfter = T: the stamp (±1 s) can be after it. */
  endsAtGenTime: { from: -10 * 86_400_000, to: 0 },
} as const;

/** TSA certificates (critical timeStamping EKU) each breaking one notation-core-go TSA leaf rule, or none. */
const TSA_PROFILE_CERTS = ['tsa_noku', 'tsa_ca', 'tsa_keyenc', 'tsa_nodigsig', 'tsa_nonrep'];

/** TSA certificates by key: name, then `openssl req -newkey` options. */
const TSA_KEY_SPECS: Array<[string, ...string[]]> = [
  ['tsa_rsa2560', 'rsa:2560'],
  ['tsa_p224', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-224'],
  ['tsa_rsa3072', 'rsa:3072'],
];

async function tsaFixture(): Promise<string> {
  return cachedFixtureDir('notation-tsa-v6', async (d) => {
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { cwd: d, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    mkdirSync(join(d, 'newcerts'));
    writeFileSync(join(d, 'index.txt'), '');
    writeFileSync(join(d, 'serial'), '1000\n');
    writeFileSync(join(d, 'tsaserial'), '01\n');
    writeFileSync(join(d, 'ca.cnf'), TSA_CA_CONFIG(d));
    const ca = (...args: string[]) => openssl('ca', '-batch', '-config', 'ca.cnf', '-notext', ...args);
    const ec = (name: string, subj: string) =>
      openssl(
        'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
        '-out', `${name}.csr`, '-subj', subj, '-config', 'ca.cnf',
      ); // prettier-ignore
    const monthAgo = opensslTime(new Date(Date.now() - 30 * 86_400_000));
    ec('ca', '/O=sigscan tsa test/CN=sigscan tsa test root');
    ca('-selfsign', '-keyfile', 'ca.key', '-in', 'ca.csr', '-out', 'ca.pem', '-extensions', 'ca_ext',
      '-startdate', monthAgo, '-days', '3650'); // prettier-ignore
    for (const ext of [...['tsa', 'tsa_noncritical', 'tsa_two'], ...TSA_PROFILE_CERTS]) {
      ec(ext, `/O=sigscan tsa test/CN=${ext}`);
      ca('-in', `${ext}.csr`, '-out', `${ext}.pem`, '-extensions', ext, '-startdate', monthAgo);
    }
    // The TSA key certified twice (the next serial): a token whose unsigned sid is swapped between them.
    ca('-in', 'tsa.csr', '-out', 'tsa_twin.pem', '-extensions', 'tsa', '-startdate', monthAgo);
    // Two more TSA roots notation-core-go refuses as CAs: one without keyUsage, one X.509 v1 (no
    // basicConstraints; sigscan's shared chain check lets a v1 anchor issue, as OpenSSL does).
    ec('ca_noku', '/O=sigscan tsa test/CN=root without keyUsage');
    ca('-selfsign', '-keyfile', 'ca_noku.key', '-in', 'ca_noku.csr', '-out', 'ca_noku.pem',
      '-extensions', 'ca_noku', '-startdate', monthAgo); // prettier-ignore
    ec('ca_v1', '/O=sigscan tsa test/CN=v1 root');
    ca('-selfsign', '-keyfile', 'ca_v1.key', '-in', 'ca_v1.csr', '-out', 'ca_v1.pem', '-startdate', monthAgo);
    for (const root of ['ca_noku', 'ca_v1']) {
      ec(`tsa_under_${root}`, `/O=sigscan tsa test/CN=tsa under ${root}`);
      ca('-cert', `${root}.pem`, '-keyfile', `${root}.key`, '-in', `tsa_under_${root}.csr`,
        '-out', `tsa_under_${root}.pem`, '-extensions', 'tsa', '-startdate', monthAgo); // prettier-ignore
    }
    // An intermediate TSA CA under the root, with a TSA under it: trusting only the intermediate gives a
    // path that does not end in a self-signed root.
    ec('tsa_int', '/O=sigscan tsa test/CN=tsa intermediate');
    ca('-in', 'tsa_int.csr', '-out', 'tsa_int.pem', '-extensions', 'ca_ext', '-startdate', monthAgo);
    ec('tsa_under_int', '/O=sigscan tsa test/CN=tsa under intermediate');
    ca('-cert', 'tsa_int.pem', '-keyfile', 'tsa_int.key', '-in', 'tsa_under_int.csr', '-out', 'tsa_under_int.pem',
      '-extensions', 'tsa', '-startdate', monthAgo); // prettier-ignore
    // TSA keys outside notation's key specs (RSA 2048/3072/4096, EC P-256/384/521), and an RSA 3072 control.
    for (const [name, ...keyopts] of TSA_KEY_SPECS) {
      openssl(
        'req', '-new', '-newkey', ...keyopts, '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`,
        '-subj', `/O=sigscan tsa test/CN=${name}`, '-config', 'ca.cnf',
      ); // prettier-ignore
      ca('-in', `${name}.csr`, '-out', `${name}.pem`, '-extensions', 'tsa', '-startdate', monthAgo);
    }
    // A TSA certificate the root revokes (ca.crl, below).
    ec('tsa_revoked', '/O=sigscan tsa test/CN=tsa_revoked');
    ca('-in', 'tsa_revoked.csr', '-out', 'tsa_revoked.pem', '-extensions', 'tsa', '-startdate', monthAgo);
    writeFileSync(join(d, 'signature.bin'), randomBytes(64));
    openssl('ts', '-query', '-data', 'signature.bin', '-sha256', '-cert', '-out', 'q.tsq');
    openssl(
      'ts', '-reply', '-config', 'ca.cnf', '-section', 't', '-queryfile', 'q.tsq', '-signer', 'tsa.pem',
      '-inkey', 'tsa.key', '-token_out', '-out', 'tsa.tok',
    ); // prettier-ignore
    openssl('cms', '-verify', '-inform', 'DER', '-in', 'tsa.tok', '-noverify', '-out', 'tstinfo.der');
    // openssl ts refuses these signers; `cms -sign -cades` re-signs the same TSTInfo with an ESS
    // signingCertificateV2 attribute (hash algorithm = -md), as tspclient-go requires.
    const resign = (out: string, signer: string, key: string, md: string, ...more: string[]) =>
      openssl(
        'cms', '-sign', '-binary', '-nodetach', '-in', 'tstinfo.der', '-econtent_type', '1.2.840.113549.1.9.16.1.4',
        '-signer', `${signer}.pem`, '-inkey', `${key}.key`, '-md', md, '-nosmimecap', '-outform', 'DER',
        '-out', `${out}.tok`, ...more,
      ); // prettier-ignore
    for (const ext of [
      'tsa_noncritical',
      'tsa_two',
      ...TSA_PROFILE_CERTS,
      'tsa_under_ca_noku',
      'tsa_under_ca_v1',
      ...TSA_KEY_SPECS.map(([name]) => name),
      'tsa_revoked',
    ]) {
      resign(ext, ext, ext, 'sha256', '-cades');
    }
    resign('tsa_under_int', 'tsa_under_int', 'tsa_under_int', 'sha256', '-cades', '-certfile', 'tsa_int.pem');
    resign('nocades', 'tsa', 'tsa', 'sha256');
    resign('cades384', 'tsa', 'tsa', 'sha384', '-cades');
    resign('cades224', 'tsa', 'tsa', 'sha224', '-cades');
    resign('twin_cades', 'tsa_twin', 'tsa', 'sha256', '-cades', '-certfile', 'tsa.pem');
    openssl(
      'ts', '-reply', '-config', 'ca.cnf', '-section', 't1', '-queryfile', 'q.tsq', '-signer', 'tsa.pem',
      '-inkey', 'tsa.key', '-token_out', '-out', 'essv1.tok',
    ); // prettier-ignore
    openssl(
      'ts', '-reply', '-config', 'ca.cnf', '-section', 't', '-queryfile', 'q.tsq', '-signer', 'tsa_twin.pem',
      '-inkey', 'tsa.key', '-chain', 'tsa.pem', '-token_out', '-out', 'twin.tok',
    ); // prettier-ignore
    // The sid (issuer Name, serial; unsigned) of the twin tokens now names tsa.pem, whose key made the
    // signature, while the signed attribute still names tsa_twin.pem.
    const serialOf = (pem: string) => openssl('x509', '-in', pem, '-noout', '-serial').trim().split('=')[1]!;
    const issuer = parseCertificate(pemCertificates(readFileSync(join(d, 'tsa.pem'), 'utf8'))[0]!).cert
      .issuer;
    const issuerDer = Buffer.from(issuer.toSchema().toBER());
    for (const name of ['twin_cades', 'twin']) {
      const tok = readFileSync(join(d, `${name}.tok`));
      const from = Buffer.concat([issuerDer, Buffer.from(`0202${serialOf('tsa_twin.pem')}`, 'hex')]);
      const at = tok.indexOf(from);
      Buffer.from(`0202${serialOf('tsa.pem')}`, 'hex').copy(tok, at + issuerDer.length);
      writeFileSync(join(d, `${name}_swapped.tok`), tok);
    }
    const genTime = /GENERALIZEDTIME\s*:(\d{14})Z/.exec(
      openssl('asn1parse', '-inform', 'DER', '-in', 'tstinfo.der'),
    )![1]!;
    const t = Date.parse(
      `${genTime.slice(0, 4)}-${genTime.slice(4, 6)}-${genTime.slice(6, 8)}T${genTime.slice(8, 10)}:${genTime.slice(10, 12)}:${genTime.slice(12, 14)}Z`,
    );
    writeFileSync(join(d, 'gentime'), new Date(t).toISOString());
    ec('leaf', '/C=US/ST=WA/O=sigscan tsa test/CN=timestamped leaf');
    for (const [name, w] of Object.entries(TSA_LEAVES)) {
      ca('-in', 'leaf.csr', '-out', `${name}.pem`, '-extensions', 'leaf',
        '-startdate', opensslTime(new Date(t + w.from)), '-enddate', opensslTime(new Date(t + w.to))); // prettier-ignore
    }
    // A copy of startsAtEarliest revoked (superseded) after genTime: the CA's CRL lists it.
    const w = TSA_LEAVES.startsAtEarliest;
    ca('-in', 'leaf.csr', '-out', 'revokedLater.pem', '-extensions', 'leaf',
      '-startdate', opensslTime(new Date(t + w.from)), '-enddate', opensslTime(new Date(t + w.to))); // prettier-ignore
    execFileSync('sleep', ['2']); // revocation time (whole seconds) strictly after genTime
    ca('-revoke', 'revokedLater.pem', '-crl_reason', 'superseded');
    // And one revoked for keyCompromise with an invalidityDate a day after genTime.
    ca('-in', 'leaf.csr', '-out', 'invalidLater.pem', '-extensions', 'leaf',
      '-startdate', opensslTime(new Date(t + w.from)), '-enddate', opensslTime(new Date(t + w.to))); // prettier-ignore
    ca('-revoke', 'invalidLater.pem', '-crl_compromise', opensslTime(new Date(t + 86_400_000)));
    ca('-revoke', 'tsa_revoked.pem', '-crl_reason', 'superseded');
    ca('-gencrl', '-crldays', '30', '-out', 'ca.crl');
  });
}

describe('verifyUnderPolicy: the timestamp against the chain and the TSA certificate (openssl ts tokens)', () => {
  let dir: string;
  let genTime: Date;
  beforeAll(async () => {
    dir = await tsaFixture();
    genTime = new Date(readFileSync(join(dir, 'gentime'), 'utf8'));
  }, 120_000);
  const cert = (name: string): ParsedCertificate =>
    parseCertificate(pemCertificates(readFileSync(join(dir, `${name}.pem`), 'utf8'))[0]!);

  /** The authenticTimestamp outcome for `leaf` (under the test root) stamped by `token`. */
  const stamped = async (
    leaf: keyof typeof TSA_LEAVES | 'revokedLater' | 'invalidLater',
    token = 'tsa',
    revocation?: RevocationOptions,
    authenticSigningTime?: Date,
    tsaStore?: string[],
    check: 'revocation' | 'authenticTimestamp' = revocation ? 'revocation' : 'authenticTimestamp',
  ) => {
    const root = cert('ca');
    const tsaRoots = tsaStore ? tsaStore.map(cert) : [root, cert('ca_noku'), cert('ca_v1')];
    const chain = [cert(leaf), root];
    const input: NotationSignatureInput = {
      alg: 'ES256',
      signedBytes: new Uint8Array(),
      signature: new Uint8Array(readFileSync(join(dir, 'signature.bin'))),
      certificatesDer: chain.map((c) => c.der),
      payloadBytes: new Uint8Array(),
      signingScheme: 'notary.x509',
      timestampTokenDer: new Uint8Array(readFileSync(join(dir, `${token}.tok`))),
      ...(authenticSigningTime ? { authenticSigningTime } : {}),
    };
    const stmt = parseTrustPolicy(policy(statement({ trustStores: ['ca:test', 'tsa:stamps', 'tsa:more'] })))
      .statements[0]!;
    const { outcomes } = await verifyUnderPolicy(
      input,
      chain,
      {
        statement: stmt,
        source: 'test',
        stores: async (ref) => ({
          ...ref,
          path: '(test)',
          certificates: ref.type === 'tsa' ? tsaRoots : [root],
          warnings: [],
        }),
      },
      new Date(),
      revocation,
    );
    return outcomes.find((o) => o.check === check)!;
  };

  it('a leaf valid from exactly genTime - accuracy: inside (the bound is inclusive, tspclient-go BoundedAfter)', async () => {
    const o = await stamped('startsAtEarliest');
    expect([o.ok, o.code, o.signingTime]).toEqual([true, 'TIMESTAMP_VALID', genTime]);
    expect(o.message).toBe(
      `timestamped ${genTime.toISOString()} by CN=tsa,O=sigscan tsa test ('tsa:stamps', 'tsa:more'), within the chain's validity`,
    );
  });

  it('a leaf valid from genTime itself: the stamp (±1 s) can be before it, TIMESTAMP_OUTSIDE_VALIDITY', async () => {
    const o = await stamped('startsAtGenTime');
    expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_OUTSIDE_VALIDITY']);
  });

  it('a leaf valid until exactly genTime + accuracy: inside (BoundedBefore is inclusive)', async () => {
    const o = await stamped('endsAtLatest');
    expect([o.ok, o.code]).toEqual([true, 'TIMESTAMP_VALID']);
  });

  it('a leaf valid until genTime itself: the stamp (±1 s) can be after it, TIMESTAMP_OUTSIDE_VALIDITY', async () => {
    const o = await stamped('endsAtGenTime');
    expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_OUTSIDE_VALIDITY']);
  });

  it('a TSA certificate whose timeStamping EKU is not critical: TIMESTAMP_UNTRUSTED (RFC 3161 §2.3)', async () => {
    const o = await stamped('startsAtEarliest', 'tsa_noncritical');
    expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
    expect(o.message).toBe(
      'the TSA certificate CN=tsa_noncritical,O=sigscan tsa test must carry a critical extendedKeyUsage of ' +
        'timeStamping only (has non-critical timeStamping)',
    );
  });

  it('a TSA certificate with codeSigning beside a critical timeStamping: TIMESTAMP_UNTRUSTED', async () => {
    const o = await stamped('startsAtEarliest', 'tsa_two');
    expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
    expect(o.message).toBe(
      'the TSA certificate CN=tsa_two,O=sigscan tsa test must carry a critical extendedKeyUsage of ' +
        'timeStamping only (has critical timeStamping, codeSigning)',
    );
  });

  it('notary.x509: a trusted timestamp before a superseded revocation does not keep the signature (notation-go)', async () => {
    // notation-go verifyRevocation passes an authentic signing time only for notary.x509.signingAuthority;
    // the RFC 3161 time of a notary.x509 signature never reaches the revocation check.
    const crls = await readCrls(join(dir, 'ca.crl'));
    const revocation: RevocationOptions = { mode: 'offline', crls, checkTime: new Date() };
    expect((await stamped('revokedLater')).code).toBe('TIMESTAMP_VALID');
    const o = await stamped('revokedLater', 'tsa', revocation);
    expect([o.ok, o.code]).toEqual([false, 'CERT_REVOKED']);
    expect((await stamped('startsAtEarliest', 'tsa', revocation)).code).toBe('NOT_REVOKED');
  });

  it('notary.x509: an authenticSigningTime before the invalidityDate is not passed on either (only signingAuthority)', async () => {
    const crls = await readCrls(join(dir, 'ca.crl'));
    const revocation: RevocationOptions = { mode: 'offline', crls, checkTime: new Date() };
    const o = await stamped('invalidLater', 'tsa', revocation, genTime);
    expect([o.ok, o.code]).toEqual([false, 'CERT_REVOKED']);
  });

  // notation-go verifyTimestamp step 5: the TSA chain's revocation, without a signing time (any revoked
  // entry fails), unknown failing once sources were asked; the root is not checked.
  describe('the TSA chain revocation (notation-go verifyTimestamp)', () => {
    const tsaStamp = (token: string, revocation?: RevocationOptions) =>
      stamped('startsAtEarliest', token, revocation, undefined, undefined, 'authenticTimestamp');
    const offline = async (): Promise<RevocationOptions> => ({
      mode: 'offline',
      crls: await readCrls(join(dir, 'ca.crl')),
      checkTime: new Date(),
    });
    it('a TSA certificate revoked (superseded, after genTime) on the CRL: TIMESTAMP_UNTRUSTED', async () => {
      expect((await tsaStamp('tsa_revoked')).code).toBe('TIMESTAMP_VALID');
      const o = await tsaStamp('tsa_revoked', await offline());
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('CN=tsa_revoked,O=sigscan tsa test');
      expect((await tsaStamp('tsa', await offline())).code).toBe('TIMESTAMP_VALID');
    });
    it('online, every source of the TSA certificate unavailable: unknown, TIMESTAMP_UNTRUSTED', async () => {
      const down: RevocationOptions = {
        mode: 'online',
        crls: [],
        checkTime: new Date(),
        online: { check: async () => [{ status: 'unavailable', source: 'OCSP test', problem: 'down' }] },
      };
      const o = await tsaStamp('tsa', down);
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('CN=tsa,O=sigscan tsa test is unknown');
      // Naming no source (notation-go "non-revokable") is no unknown.
      const none: RevocationOptions = { ...down, online: { check: async () => [] } };
      expect((await tsaStamp('tsa', none)).code).toBe('TIMESTAMP_VALID');
    });
    it('offline without a CRL for the TSA chain: reported, not failed (nothing was asked)', async () => {
      const o = await tsaStamp('tsa', { mode: 'offline', crls: [], checkTime: new Date() });
      expect([o.ok, o.code]).toEqual([true, 'TIMESTAMP_VALID']);
      expect(o.message).toContain('CN=tsa,O=sigscan tsa test is unknown');
    });
  });

  // tspclient-go SignedToken.SigningCertificate: a signed ESS signingCertificateV2 must name the TSA
  // certificate by hash (SHA-256 by default, SHA-384, SHA-512), by issuerSerial when it has one.
  describe('the ESS signingCertificateV2 attribute (tspclient-go SigningCertificate)', () => {
    it('openssl ts (v2, SHA-256, no issuerSerial) and cms -cades (v2, SHA-384 with issuerSerial): trusted', async () => {
      expect((await stamped('startsAtEarliest')).code).toBe('TIMESTAMP_VALID');
      expect((await stamped('startsAtEarliest', 'cades384')).code).toBe('TIMESTAMP_VALID');
    });

    it('a token without the attribute (cms -sign): TIMESTAMP_UNTRUSTED', async () => {
      const o = await stamped('startsAtEarliest', 'nocades');
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('no signed signingCertificateV2');
    });

    it('only the v1 signingCertificate (openssl ts ess_cert_id_alg = sha1): TIMESTAMP_UNTRUSTED', async () => {
      const o = await stamped('startsAtEarliest', 'essv1');
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('no signed signingCertificateV2');
    });

    it('a SHA-224 ESSCertIDv2: unsupported hash algorithm, TIMESTAMP_UNTRUSTED', async () => {
      const o = await stamped('startsAtEarliest', 'cades224');
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('2.16.840.1.101.3.4.2.4');
    });

    it('the sid swapped to another certificate of the same key: the hash (or issuerSerial) does not match', async () => {
      // Untouched, the twin tokens verify: the attribute names their signer.
      expect((await stamped('startsAtEarliest', 'twin')).code).toBe('TIMESTAMP_VALID');
      expect((await stamped('startsAtEarliest', 'twin_cades')).code).toBe('TIMESTAMP_VALID');
      const noSerial = await stamped('startsAtEarliest', 'twin_swapped');
      expect([noSerial.ok, noSerial.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(noSerial.message).toContain('hash does not match its signer CN=tsa,O=sigscan tsa test');
      const withSerial = await stamped('startsAtEarliest', 'twin_cades_swapped');
      expect([withSerial.ok, withSerial.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(withSerial.message).toContain(
        'names a certificate other than its signer CN=tsa,O=sigscan tsa test',
      );
    });
  });

  // notation-core-go ValidateTimestampingCertChain: TSA leaf and CA rules beyond the EKU.
  describe('the TSA chain profile (notation-core-go ValidateTimestampingCertChain)', () => {
    const refused = async (token: string, what: string) => {
      const o = await stamped('startsAtEarliest', token);
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain(what);
    };
    it('a TSA certificate without keyUsage', () =>
      refused('tsa_noku', 'CN=tsa_noku,O=sigscan tsa test has no keyUsage'));
    it('a TSA certificate marked cA=true', () => refused('tsa_ca', 'marked as a CA'));
    it('a TSA keyUsage with keyEncipherment', () =>
      refused('tsa_keyenc', 'digitalSignature (and nonRepudiation) only'));
    it('a TSA keyUsage without digitalSignature', () =>
      refused('tsa_nodigsig', 'keyUsage lacks digitalSignature'));
    it('a TSA root without keyUsage', () =>
      refused('tsa_under_ca_noku', 'CN=root without keyUsage,O=sigscan tsa test has no keyUsage'));
    it('an X.509 v1 TSA root (no basicConstraints)', () =>
      refused('tsa_under_ca_v1', 'CN=v1 root,O=sigscan tsa test is used as a CA but basicConstraints'));
    it('digitalSignature with nonRepudiation, non-critical keyUsage, no basicConstraints: trusted', async () => {
      expect((await stamped('startsAtEarliest', 'tsa_nonrep')).code).toBe('TIMESTAMP_VALID');
    });
    it('a TSA path ending at a trusted intermediate, not a self-signed root: TIMESTAMP_UNTRUSTED', async () => {
      const viaRoot = await stamped('startsAtEarliest', 'tsa_under_int', undefined, undefined, ['ca']);
      expect(viaRoot.code).toBe('TIMESTAMP_VALID');
      const o = await stamped('startsAtEarliest', 'tsa_under_int', undefined, undefined, ['tsa_int']);
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('ends at CN=tsa intermediate,O=sigscan tsa test');
    });
    it('the TSA certificate itself trusted (not self-signed, a path of one): TIMESTAMP_UNTRUSTED', async () => {
      const o = await stamped('startsAtEarliest', 'tsa', undefined, undefined, ['tsa']);
      expect([o.ok, o.code]).toEqual([false, 'TIMESTAMP_UNTRUSTED']);
      expect(o.message).toContain('ends at CN=tsa,O=sigscan tsa test');
    });
    it('a TSA key of RSA 2560 bits (not 2048/3072/4096): TIMESTAMP_UNTRUSTED', () =>
      refused('tsa_rsa2560', 'RSA key of 2560 bits'));
    it('a TSA key on EC P-224: TIMESTAMP_UNTRUSTED', () => refused('tsa_p224', 'EC curve secp224r1'));
    it('a TSA key of RSA 3072 bits: trusted', async () => {
      expect((await stamped('startsAtEarliest', 'tsa_rsa3072')).code).toBe('TIMESTAMP_VALID');
    });
  });
});

describe('checkIntegrity: each certificate must be issued by the next, by name and by signature', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await cachedFixtureDir('notation-chain-v2', async (d) => {
      const openssl = (...args: string[]) =>
        execFileSync('openssl', args, { cwd: d, stdio: ['ignore', 'pipe', 'pipe'] });
      writeFileSync(join(d, 'ca.ext'), 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n');
      writeFileSync(
        join(d, 'leaf.ext'),
        'basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\n',
      );
      const O = '/O=sigscan chain test';
      openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'twin.key');
      openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1', '-out', 'k1.key');
      openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'leaf.key');
      // Three roots with one key: two names, and twina's name in capitals (OpenSSL's Name match, not
      // notation's); a secp256k1 root (WebCrypto cannot verify with its key).
      for (const [name, key, subject] of [
        ['twina', 'twin.key', `${O}/CN=twina`],
        ['twinb', 'twin.key', `${O}/CN=twinb`],
        ['twinupper', 'twin.key', `${O.toUpperCase()}/CN=TWINA`],
        ['k1root', 'k1.key', `${O}/CN=k1root`],
      ] as const) {
        openssl('req', '-new', '-key', key, '-subj', subject, '-out', `${name}.csr`);
        openssl('x509', '-req', '-in', `${name}.csr`, '-signkey', key, '-sha256', '-days', '30', '-extfile', 'ca.ext',
          '-out', `${name}.pem`); // prettier-ignore
      }
      openssl(
        'req',
        '-new',
        '-key',
        'leaf.key',
        '-subj',
        `/C=US/ST=WA${O}/CN=chain leaf`,
        '-out',
        'leaf.csr',
      );
      for (const [name, ca, key] of [
        ['leafa', 'twina', 'twin.key'],
        ['leafk1', 'k1root', 'k1.key'],
      ] as const) {
        openssl('x509', '-req', '-in', 'leaf.csr', '-CA', `${ca}.pem`, '-CAkey', key, '-sha256', '-days', '30',
          '-set_serial', '7', '-extfile', 'leaf.ext', '-out', `${name}.pem`); // prettier-ignore
      }
    });
  }, 120_000);

  const integrityOf = async (chainNames: Array<string | Uint8Array>) => {
    const { descriptor, target } = sampleImage('chain-structure');
    const bytes = signJws({
      target: descriptor,
      key: createPrivateKey(readFileSync(join(dir, 'leaf.key'))),
      chain: chainNames.map((n) =>
        typeof n === 'string' ? pemCertificates(readFileSync(join(dir, `${n}.pem`), 'utf8'))[0]! : n,
      ),
    });
    const m = evidenceFor(bytes, 'application/jose+json', target).material as NotationMaterial;
    const result = await checkIntegrity(
      {
        alg: m.alg,
        signedBytes: m.signedBytes,
        signature: m.signature,
        certificatesDer: m.certificatesDer,
        payloadBytes: m.payloadBytes,
        crit: m.crit ?? [],
        signingScheme: 'notary.x509',
      },
      target,
    );
    return [result.ok, result.verdict?.code];
  };

  it('the leaf under the root that issued it: intact (the control)', async () => {
    expect(await integrityOf(['leafa', 'twina'])).toEqual([true, undefined]);
  });

  it('a root with the issuing key but another name: CHAIN_INVALID (notation-core-go isIssuedBy compares names)', async () => {
    expect(await integrityOf(['leafa', 'twinb'])).toEqual([false, 'CHAIN_INVALID']);
  });

  // pkijs' isEqual folds case, so this chained before; notation-core-go compares RawIssuer and RawSubject
  // byte for byte.
  it('a root with the issuing key and the issuer name in capitals: CHAIN_INVALID (bytes.Equal, no case folding)', async () => {
    expect(await integrityOf(['leafa', 'twinupper'])).toEqual([false, 'CHAIN_INVALID']);
  });

  // twina with its own issuer CN in capitals, signed again with its key: signed by itself, but its issuer
  // Name is not its subject Name byte for byte (notation-core-go isSelfSigned = isIssuedBy(cert, cert)).
  it('a root whose issuer name differs from its subject in case only: CHAIN_INCOMPLETE (not self-signed)', async () => {
    const key = createPrivateKey(readFileSync(join(dir, 'twin.key')));
    const twina = pemCertificates(readFileSync(join(dir, 'twina.pem'), 'utf8'))[0]!;
    const der = derRebuilt(twina, (root) => {
      const tbs = root.children![0]!;
      const issuerCn = tbs.children![3]!.children![1]!.children![0]!.children![1]!;
      expect(Buffer.from(issuerCn.content!).toString()).toBe('twina');
      issuerCn.content = latin1('TWINA');
      root.children![2]!.content = new Uint8Array([0, ...sign('sha256', derEncode(tbs), key)]);
    });
    expect(await integrityOf(['leafa', der])).toEqual([false, 'CHAIN_INCOMPLETE']);
  });

  it('an issuer whose key cannot be used to verify (secp256k1): CHAIN_INVALID, not a pass', async () => {
    expect(await integrityOf(['leafk1', 'k1root'])).toEqual([false, 'CHAIN_INVALID']);
  });
});

describe("notation: a leaf certificate notation-go's crypto/x509 refuses", () => {
  // x509.ParseCertificate (cryptobyte) refuses a length not in DER's shortest form and a signatureAlgorithm
  // that is not byte for byte the tbsCertificate's. Both sit outside the root's signature, so whoever holds
  // the leaf can make either; the envelope is signed by the leaf's key all the same (the control verifies).
  const pki = () => extraPki();
  const changed = {
    padded: (root: DerNode) => void (root.children![2]!.paddedLength = true),
    withoutNull: (root: DerNode) => void root.children![1]!.children!.splice(1),
  };
  const envelope = (seed: string, leafDer: Uint8Array) => {
    const { descriptor, target } = sampleImage(seed);
    const bytes = signJws({
      target: descriptor,
      key: pki().leaf.key,
      chain: [leafDer, pki().root.der],
    });
    return { bytes, target };
  };
  const storeDir = () =>
    notationDir({
      stores: { 'ca/test': { 'root.pem': pki().root.pem } },
      policy: policy(statement({ registryScopes: [SCOPE] })),
    });

  it('as issued: verified (the control)', async () => {
    const { bytes, target } = envelope('go-der-control', pki().leaf.der);
    const v = await direct(
      evidenceFor(bytes, 'application/jose+json', target),
      target,
      config({ notationDir: storeDir() }),
    );
    expect([v.status, v.code]).toEqual(['verified', 'VERIFIED']);
  });

  it('the padded signature-value length, the outer NULL dropped: the envelope is malformed, the family says invalid CERT_MALFORMED', async () => {
    const reasons = {
      padded: /^the length at offset \d+ is not in the shortest form DER requires$/,
      withoutNull: /^signatureAlgorithm differs from the signature field of tbsCertificate$/,
    };
    for (const [name, change] of Object.entries(changed) as [
      keyof typeof changed,
      (root: DerNode) => void,
    ][]) {
      const der = derRebuilt(pki().leaf.der, change);
      const { bytes, target } = envelope(`go-der-${name}`, der);
      const why = (message: string) => message.replace(/^.*not a valid X\.509 certificate: /, '');
      expect(() => evidenceFor(bytes, 'application/jose+json', target)).toThrow(
        /^certificate 0 of the envelope chain is not valid X\.509: not a valid X\.509 certificate: /,
      );
      try {
        evidenceFor(bytes, 'application/jose+json', target);
      } catch (err) {
        expect(why((err as Error).message), name).toMatch(reasons[name]);
      }
      // The family on the intact envelope's material with this leaf in its place (what a detector that
      // did not parse the chain would hand over).
      const intact = envelope(`go-der-${name}`, pki().leaf.der);
      const evidence = withMaterial(evidenceFor(intact.bytes, 'application/jose+json', intact.target), {
        certificatesDer: [der, pki().root.der],
      });
      const v = await direct(evidence, intact.target, config({ notationDir: storeDir() }));
      expect([v.status, v.code], name).toEqual(['invalid', 'CERT_MALFORMED']);
      expect(why(v.message), name).toMatch(reasons[name]);
      expect(v.message).toMatch(
        /^the signing certificate chain cannot be read: not a valid X\.509 certificate: /,
      );
    }
  });
});
