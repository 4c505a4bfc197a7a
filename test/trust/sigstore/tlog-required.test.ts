/**
 * The transparency-log requirement for signers trusted without Sigstore's CAs alone (issue #16): a keyless
 * signature through `--trusted-root` (the production GitHub Actions wheel bundle of the corpus, with and
 * without its Rekor entry) and a Rekor annotation beside a key (the conformance managed-key bundle).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { bundleFromJSON } from '@sigstore/bundle';
import { describe, expect, it } from 'vitest';

import type { RekorBundle } from '../../../src/formats/cosign/index.js';
import { parseCertificate } from '../../../src/formats/x509.js';
import { emptyTrustConfig } from '../../../src/trust/config.js';
import {
  checkRekorEntry,
  keylessThroughTrustedRoot,
  TLOG_NOT_REQUIRED,
} from '../../../src/trust/sigstore/tlog-required.js';
import { parseTrustedRoot } from '../../../src/trust/sigstore/trusted-root.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const BUNDLES = join(CORPUS_DIR, 'sigstore-bundle');
const PRODUCTION = join(BUNDLES, 'trust', 'production.trusted_root.json');
const production = parseTrustedRoot(JSON.parse(readFileSync(PRODUCTION, 'utf8')), 'production.json');

describe('keylessThroughTrustedRoot', () => {
  const WHEEL = join(BUNDLES, 'sigstore-python', 'bundle_v3_github.whl');
  const wheelJson = JSON.parse(readFileSync(`${WHEEL}.sigstore`, 'utf8')) as Json;
  const wheel = new Uint8Array(readFileSync(WHEEL));
  const leafDer = Buffer.from(
    wheelJson['verificationMaterial'].x509CertificateChain.certificates[0].rawBytes as string,
    'base64',
  );
  const leaf = parseCertificate(new Uint8Array(leafDer)).cert;
  const IDENTITY = 'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2';
  const ISSUER = 'https://token.actions.githubusercontent.com';
  const signer = { sans: [IDENTITY], oidc: ISSUER, who: 'the leaf' };

  const run = (logged: boolean, waiver: boolean) => {
    const b = structuredClone(wheelJson);
    if (!logged) b['verificationMaterial'].tlogEntries = [];
    const config = emptyTrustConfig();
    config.certificateIdentity = IDENTITY;
    config.certificateOidcIssuer = ISSUER;
    if (waiver) config.insecureIgnoreTlog = true;
    const out = keylessThroughTrustedRoot(
      { bundle: bundleFromJSON(b), artifact: wheel, roots: [production] },
      { config, logged, leaf, what: 'signature', signer, verifies: 'the signature verifies' },
    );
    return [out.ok, out.verdict.status, out.verdict.code, out.verdict.message];
  };

  it('logged: verified, nothing said about the log', () => {
    const [ok, status, code, message] = run(true, false);
    expect([ok, status, code]).toEqual([true, 'verified', 'KEYLESS_VERIFIED']);
    expect(message).not.toContain(TLOG_NOT_REQUIRED);
    expect(run(true, true)[3]).toBe(message);
  });

  it('not logged, no waiver: untrusted TLOG_MISSING', () => {
    const [ok, status, code, message] = run(false, false);
    expect([ok, status, code]).toEqual([false, 'untrusted', 'TLOG_MISSING']);
    expect(message).toMatch(/^the signature verifies, but carries no transparency-log \(Rekor\) entry/);
  });

  it('not logged, waived, but no TSA stamp either: still untrusted TLOG_MISSING, for want of a signing time', () => {
    const [ok, status, code, message] = run(false, true);
    expect([ok, status, code]).toEqual([false, 'untrusted', 'TLOG_MISSING']);
    expect(message).toMatch(/^no Rekor entry or RFC 3161 timestamp proves the signing time/);
  });
});

describe('checkRekorEntry', () => {
  const MANAGED = join(BUNDLES, 'conformance', 'managed-key-happy-path');
  const managed = JSON.parse(readFileSync(join(MANAGED, 'bundle.sigstore.json'), 'utf8')) as Json;
  const artifact = new Uint8Array(readFileSync(join(BUNDLES, 'conformance', 'a.txt')));
  const key = createPublicKey(readFileSync(join(MANAGED, 'key.pub')));
  const otherKey = createPublicKey(readFileSync(join(BUNDLES, 'sigstore-go', 'examples-publish_key.pub')));
  const e = managed['verificationMaterial'].tlogEntries[0] as Json;
  const rekor: RekorBundle = {
    signedEntryTimestamp: e['inclusionPromise'].signedEntryTimestamp as string,
    body: e['canonicalizedBody'] as string,
    integratedTime: Number(e['integratedTime']),
    logIndex: Number(e['logIndex']),
    logId: Buffer.from(e['logId'].keyId as string, 'base64').toString('hex'),
  };
  const bundle = (edit?: (b: Json) => void) => {
    const b = structuredClone(managed);
    edit?.(b);
    return bundleFromJSON(b);
  };

  it('the entry of this key, checked with the production root: no objection', () => {
    expect(
      checkRekorEntry(rekor, { bundle: bundle(), artifact, roots: [production] }, { key }, 'signature'),
    ).toBeUndefined();
  });

  it('no trusted root: unverified TLOG_UNCHECKED', () => {
    expect(checkRekorEntry(rekor, { bundle: bundle(), artifact, roots: [] }, { key }, 'signature')).toEqual({
      status: 'unverified',
      code: 'TLOG_UNCHECKED',
      message: `the signature carries Rekor entry ${rekor.logIndex}, which cannot be checked without --trusted-root`,
    });
  });

  it('an entry recording another key: invalid TLOG_ENTRY_MISMATCH', () => {
    expect(
      checkRekorEntry(
        rekor,
        { bundle: bundle(), artifact, roots: [production] },
        { key: otherKey },
        'attestation',
      ),
    ).toEqual({
      status: 'invalid',
      code: 'TLOG_ENTRY_MISMATCH',
      message: `Rekor entry ${rekor.logIndex} records another signer than this attestation's`,
    });
  });

  it('the entry is what proves the time: without the TSA stamp it still holds, with no SCT asked of a key', () => {
    const b = bundle((j) => delete j['verificationMaterial'].timestampVerificationData);
    expect(
      checkRekorEntry(rekor, { bundle: b, artifact, roots: [production] }, { key }, 'signature'),
    ).toBeUndefined();
  });
});
