/**
 * The whole sigstore-conformance bundle-verify suite (corpus sigstore-bundle/conformance/) through
 * verifySigstoreBundle: every `*_fail` case must fail, every other case must verify.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { emptyTrustConfig, readPublicKey } from '../../../src/trust/config.js';
import { verifySigstoreBundle } from '../../../src/trust/sigstore/bundle.js';
import type { Verdict } from '../../../src/model/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const SUITE = join(CORPUS_DIR, 'sigstore-bundle', 'conformance');
const PRODUCTION_ROOT = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/** Cases where sigscan's answer differs from the suite's convention, with the reason. */
const EXCEPTIONS: Record<string, string> = {};

/**
 * Every `_fail` case, by the exact status and code it must fail with: the fault the case name describes,
 * not just "not verified" (a check removed would otherwise let another check fail it by chance). Notes
 * where the first check to notice is not the one the name suggests.
 */
const FAIL_CODES: Record<string, [status: string, code: string]> = {
  'bundle-empty-certificate-chain_fail': ['invalid', 'MALFORMED_BUNDLE'],
  'bundle-from-wrong-instance_fail': ['untrusted', 'CHAIN_UNTRUSTED'],
  // sigstore-js reports the undecodable signature through the SET check first
  'bundle-invalid-base64-signature_fail': ['invalid', 'TLOG_INVALID'],
  'bundle-malformed-json_fail': ['invalid', 'MALFORMED_BUNDLE'],
  // the SET over the entry does not verify with a negative index
  'bundle-negative-log-index_fail': ['invalid', 'TLOG_INVALID'],
  'bundle-unknown-version_fail': ['invalid', 'MALFORMED_BUNDLE'],
  'bundle-with-root-cert_fail': ['invalid', 'MALFORMED_BUNDLE'],
  'checkpoint-bad-keyhint_fail': ['invalid', 'TLOG_INVALID'],
  'checkpoint-wrong-roothash_fail': ['invalid', 'TLOG_INVALID'],
  'dsse-invalid-sig_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'dsse-mismatch-envelope_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'dsse-mismatch-sig_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'inclusion-proof-corrupted-hash_fail': ['invalid', 'TLOG_INVALID'],
  // the SET check is the first to use the wrong key
  'incorrect-public-key_fail': ['invalid', 'TLOG_INVALID'],
  // the leaf is not valid at the (future) integrated time
  'integrated-time-in-future_fail': ['untrusted', 'CHAIN_UNTRUSTED'],
  'intoto-expired-certificate_fail': ['untrusted', 'CHAIN_UNTRUSTED'],
  'intoto-log-entry-mismatch_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'intoto-missing-inclusion-proof_fail': ['invalid', 'MALFORMED_BUNDLE'],
  // the leaf is not valid at the SET time
  'intoto-set-outside-signing-cert-validity_fail': ['untrusted', 'CHAIN_UNTRUSTED'],
  // the leaf is not valid at the TSA time
  'intoto-tsa-timestamp-outside-cert-validity_fail': ['untrusted', 'CHAIN_UNTRUSTED'],
  'invalid-checkpoint-signature_fail': ['invalid', 'TLOG_INVALID'],
  'invalid-ct-key_fail': ['untrusted', 'SCT_INVALID'],
  'invalid-inclusion-proof_fail': ['invalid', 'MALFORMED_BUNDLE'],
  // no key.pub in the case: key-signed bundle without --key is unverified, never verified
  'managed-key-no-key_fail': ['unverified', 'NO_TRUST_ROOT'],
  // the case key.pub is not a key sigscan can read: refused as a usage error before verification
  'managed-key-wrong-key_fail': ['error', 'USAGE'],
  'message-digest-mismatch_fail': ['invalid', 'ARTIFACT_DIGEST_MISMATCH'],
  'rekor2-checkpoint-missing-log-signature_fail': ['invalid', 'TLOG_INVALID'],
  'rekor2-checkpoint-missing-origin_fail': ['invalid', 'TLOG_INVALID'],
  'rekor2-checkpoint-missing-root-hash_fail': ['invalid', 'TLOG_INVALID'],
  'rekor2-checkpoint-missing-size_fail': ['invalid', 'TLOG_INVALID'],
  'rekor2-checkpoint-no-matching-signature_fail': ['invalid', 'TLOG_INVALID'],
  'rekor2-dsse-invalid-sig_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'rekor2-dsse-mismatch-envelope_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'rekor2-dsse-mismatch-sig_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'rekor2-no-inclusion-proof_fail': ['invalid', 'MALFORMED_BUNDLE'],
  'rekor2-no-timestamp_fail': ['untrusted', 'TLOG_MISSING'],
  'rekor2-timestamp-outside-trust-root-tsa-validity_fail': ['untrusted', 'TIMESTAMP_UNTRUSTED'],
  'rekor2-timestamp-outside-tsa-cert-validity_fail': ['untrusted', 'TIMESTAMP_UNTRUSTED'],
  'rekor2-timestamp-payload-mismatch_fail': ['untrusted', 'TIMESTAMP_UNTRUSTED'],
  'rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail': ['untrusted', 'TIMESTAMP_UNTRUSTED'],
  'rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail': ['untrusted', 'TIMESTAMP_UNTRUSTED'],
  // the leaf is not valid at the stamped time
  'rekor2-timestamp-with-incorrect-time_fail': ['untrusted', 'CHAIN_UNTRUSTED'],
  'set-invalid-signature_fail': ['invalid', 'TLOG_INVALID'],
  'signature-mismatch_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  // the trusted root lists the log without a validity start: the log is not trusted
  'trust-root-tlog-missing-validity-start_fail': ['untrusted', 'TLOG_UNTRUSTED'],
  'wrong-hashedrekord-artifact_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'wrong-hashedrekord-cert-and-sig_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'wrong-hashedrekord-entry_fail': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  'wrong-material_fail': ['invalid', 'ARTIFACT_DIGEST_MISMATCH'],
};

export async function runCase(name: string): Promise<Verdict> {
  const dir = join(SUITE, name);
  const file = (f: string): string | undefined => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
  const config = emptyTrustConfig();
  config.trustedRoots = [file('trusted_root.json') ?? PRODUCTION_ROOT];
  const keyPath = file('key.pub');
  if (keyPath) {
    try {
      config.keys.push(await readPublicKey(keyPath));
    } catch (err) {
      return { status: 'error', code: 'USAGE', message: (err as Error).message };
    }
  }
  config.certificateIdentity = readText(file('identity')) ?? DEFAULT_IDENTITY;
  config.certificateOidcIssuer = readText(file('issuer')) ?? DEFAULT_ISSUER;
  const artifact = new Uint8Array(readFileSync(file('artifact') ?? join(SUITE, 'a.txt')));
  const bundleText = readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(bundleText);
  } catch (err) {
    return { status: 'invalid', code: 'MALFORMED_BUNDLE', message: (err as Error).message };
  }
  try {
    return await verifySigstoreBundle(json, artifact, { config, now: new Date() });
  } catch (err) {
    return { status: 'error', code: 'THROWN', message: (err as Error).message };
  }
}

function readText(path: string | undefined): string | undefined {
  return path ? readFileSync(path, 'utf8').trim() : undefined;
}

const cases = existsSync(SUITE)
  ? readdirSync(SUITE, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];

describe('sigstore-conformance bundle-verify suite', () => {
  it('is present in the corpus, and every failing case has its code', () => {
    expect(cases.length).toBeGreaterThan(60);
    const failing = cases.filter((c) => c.endsWith('_fail'));
    expect(failing.length).toBeGreaterThanOrEqual(45);
    expect(failing).toEqual(Object.keys(FAIL_CODES).sort());
  });

  for (const name of cases) {
    const mustFail = name.endsWith('_fail');
    it(`${name} ${mustFail ? 'fails' : 'verifies'}`, async () => {
      const verdict = await runCase(name);
      const ok = verdict.status === 'verified';
      if (EXCEPTIONS[name]) {
        expect(ok, `${name}: exception (${EXCEPTIONS[name]})`).toBe(mustFail);
        return;
      }
      expect(ok, `${name}: ${verdict.status} ${verdict.code} ${verdict.message}`).toBe(!mustFail);
      if (mustFail) expect([verdict.status, verdict.code], verdict.message).toEqual(FAIL_CODES[name]);
    });
  }
});
