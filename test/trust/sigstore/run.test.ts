/**
 * mapSigstoreError: every sigstore-js VerificationError code and the verdict it becomes (issue #18).
 *
 * Each case is a real bundle from the corpus (a production GitHub Actions keyless bundle, or the
 * sigstore-conformance managed-key bundle) with one byte-level fault. The oracle is sigstore-js itself:
 * its Verifier is run on the same entity and the code it throws is asserted beside sigscan's verdict, so
 * the test breaks if either the fault stops reaching that check or the mapping changes.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import {
  PolicyError,
  toSignedEntity,
  VerificationError,
  Verifier,
  type VerifierOptions,
} from '@sigstore/verify';
import { describe, expect, it } from 'vitest';

import type { TrustConfig } from '../../../src/trust/config.js';
import { mapSigstoreError, runSigstore, tlogFirst } from '../../../src/trust/sigstore/run.js';
import { tlogMissing } from '../../../src/trust/sigstore/tlog-required.js';
import {
  parseTrustedRoot,
  trustMaterial,
  type LoadedTrustedRoot,
} from '../../../src/trust/sigstore/trusted-root.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const PRODUCTION = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const WHEEL = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python', 'bundle_v3_github.whl');
const MANAGED = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'managed-key-happy-path');
const CONFORMANCE_ARTIFACT = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'a.txt');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const rootJson = JSON.parse(readFileSync(PRODUCTION, 'utf8')) as Json;
const wheelBundle = JSON.parse(readFileSync(`${WHEEL}.sigstore`, 'utf8')) as Json;
const wheel = readFileSync(WHEEL);
const KEYLESS: VerifierOptions = { tlogThreshold: 1, ctlogThreshold: 1 };

function root(edit?: (r: Json) => void): LoadedTrustedRoot {
  const r = structuredClone(rootJson);
  edit?.(r);
  return parseTrustedRoot(r, 'production.trusted_root.json');
}

function wheelWith(edit?: (b: Json) => void): Bundle {
  const b = structuredClone(wheelBundle);
  edit?.(b);
  return bundleFromJSON(b);
}

/** The sigstore-js code the reference verifier throws, or 'OK'. */
function sigstoreCode(
  bundle: Bundle,
  artifact: Buffer,
  r: LoadedTrustedRoot,
  options: VerifierOptions,
): string {
  try {
    new Verifier(trustMaterial(r), options).verify(toSignedEntity(bundle, artifact));
    return 'OK';
  } catch (err) {
    return (err as VerificationError).code;
  }
}

function ours(bundle: Bundle, artifact: Buffer, r: LoadedTrustedRoot, options = KEYLESS) {
  const outcome = runSigstore({ bundle, artifact, roots: [r], options });
  return outcome.ok
    ? { status: 'verified', code: 'OK' }
    : { status: outcome.verdict.status, code: outcome.verdict.code };
}

const flip = (b64: string, at = 10): string => {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes.toString('base64');
};

describe('runSigstore on the production wheel bundle', () => {
  it('verifies the bundle as made (the control)', () => {
    const r = root();
    expect(sigstoreCode(wheelWith(), wheel, r, KEYLESS)).toBe('OK');
    const outcome = runSigstore({ bundle: wheelWith(), artifact: wheel, roots: [r], options: KEYLESS });
    expect(outcome.ok).toBe(true);
    expect(outcome.ok && outcome.signingTime?.toISOString()).toBe(
      new Date(
        Number(wheelBundle['verificationMaterial'].tlogEntries[0].integratedTime) * 1000,
      ).toISOString(),
    );
  });

  it('an artifact other than the signed one: SIGNATURE_ERROR -> invalid SIGNATURE_INVALID', () => {
    const other = Buffer.from(wheel);
    other[100] = other[100]! ^ 0xff;
    const r = root();
    expect(sigstoreCode(wheelWith(), other, r, KEYLESS)).toBe('SIGNATURE_ERROR');
    expect(ours(wheelWith(), other, r)).toEqual({ status: 'invalid', code: 'SIGNATURE_INVALID' });
  });

  it('a signature other than the logged one: TLOG_BODY_ERROR -> invalid TLOG_ENTRY_MISMATCH', () => {
    const bundle = wheelWith((b) => {
      b['messageSignature'].signature = flip(b['messageSignature'].signature, 12);
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TLOG_BODY_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'invalid', code: 'TLOG_ENTRY_MISMATCH' });
  });

  // A v0.1 bundle may carry the SET alone; v0.2 and later must carry the inclusion proof.
  it('a SET that does not verify (no proof): TLOG_INCLUSION_PROMISE_ERROR -> invalid TLOG_INVALID', () => {
    const bundle = wheelWith((b) => {
      b['mediaType'] = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
      const e = b['verificationMaterial'].tlogEntries[0];
      delete e.inclusionProof;
      e.inclusionPromise.signedEntryTimestamp = flip(e.inclusionPromise.signedEntryTimestamp, 20);
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TLOG_INCLUSION_PROMISE_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'invalid', code: 'TLOG_INVALID' });
  });

  it('the logged entry plus one from a log the root does not name: untrusted TLOG_UNTRUSTED, not TLOG_INVALID', () => {
    const bundle = wheelWith((b) => {
      b['mediaType'] = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
      const e = b['verificationMaterial'].tlogEntries[0];
      delete e.inclusionProof;
      const foreign = structuredClone(e);
      foreign.logId.keyId = flip(foreign.logId.keyId, 0);
      b['verificationMaterial'].tlogEntries.push(foreign);
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TLOG_INCLUSION_PROMISE_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'untrusted', code: 'TLOG_UNTRUSTED' });
  });

  it('a SET from a log the root does not name: TLOG_INCLUSION_PROMISE_ERROR -> untrusted TLOG_UNTRUSTED', () => {
    const bundle = wheelWith((b) => {
      b['mediaType'] = 'application/vnd.dev.sigstore.bundle+json;version=0.1';
      const e = b['verificationMaterial'].tlogEntries[0];
      delete e.inclusionProof;
      e.logId.keyId = flip(e.logId.keyId, 0);
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TLOG_INCLUSION_PROMISE_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'untrusted', code: 'TLOG_UNTRUSTED' });
  });

  it('an inclusion proof with a corrupted hash: TLOG_INCLUSION_PROOF_ERROR -> invalid TLOG_INVALID', () => {
    const bundle = wheelWith((b) => {
      const e = b['verificationMaterial'].tlogEntries[0];
      e.inclusionProof.hashes[0] = flip(e.inclusionProof.hashes[0], 3);
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TLOG_INCLUSION_PROOF_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'invalid', code: 'TLOG_INVALID' });
  });

  it('the same log entry twice: TIMESTAMP_ERROR (duplicate) -> untrusted TIMESTAMP_UNTRUSTED', () => {
    const bundle = wheelWith((b) => {
      const entries = b['verificationMaterial'].tlogEntries;
      entries.push(structuredClone(entries[0]));
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TIMESTAMP_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'untrusted', code: 'TIMESTAMP_UNTRUSTED' });
  });

  it('no entry and no TSA timestamp: TIMESTAMP_ERROR "expected 1 timestamps, got 0" -> untrusted TLOG_MISSING', () => {
    const bundle = wheelWith((b) => {
      b['verificationMaterial'].tlogEntries = [];
    });
    const r = root();
    expect(sigstoreCode(bundle, wheel, r, KEYLESS)).toBe('TIMESTAMP_ERROR');
    expect(ours(bundle, wheel, r)).toEqual({ status: 'untrusted', code: 'TLOG_MISSING' });
  });

  it('a root without the Fulcio CAs: CERTIFICATE_ERROR -> untrusted CHAIN_UNTRUSTED', () => {
    const r = root((j) => {
      j['certificateAuthorities'] = [];
    });
    expect(sigstoreCode(wheelWith(), wheel, r, KEYLESS)).toBe('CERTIFICATE_ERROR');
    expect(ours(wheelWith(), wheel, r)).toEqual({ status: 'untrusted', code: 'CHAIN_UNTRUSTED' });
  });

  it('a root without the CT logs: CERTIFICATE_ERROR (SCT) -> untrusted SCT_INVALID', () => {
    const r = root((j) => {
      j['ctlogs'] = [];
    });
    expect(sigstoreCode(wheelWith(), wheel, r, KEYLESS)).toBe('CERTIFICATE_ERROR');
    expect(ours(wheelWith(), wheel, r)).toEqual({ status: 'untrusted', code: 'SCT_INVALID' });
  });

  it('of several roots the most severe failure is returned, whatever their order', () => {
    const noCa = root((j) => {
      j['certificateAuthorities'] = [];
    });
    const other = Buffer.from(wheel);
    other[100] = other[100]! ^ 0xff;
    for (const roots of [
      [noCa, root()],
      [root(), noCa],
    ]) {
      const outcome = runSigstore({ bundle: wheelWith(), artifact: other, roots, options: KEYLESS });
      expect(outcome.ok ? 'OK' : outcome.verdict.code).toBe('SIGNATURE_INVALID');
    }
    const outcome = runSigstore({
      bundle: wheelWith(),
      artifact: wheel,
      roots: [noCa, root()],
      options: KEYLESS,
    });
    expect(outcome.ok && outcome.root?.path).toBe('production.trusted_root.json');
  });
});

describe('runSigstore on the conformance managed-key bundle', () => {
  const bundleJson = JSON.parse(readFileSync(join(MANAGED, 'bundle.sigstore.json'), 'utf8')) as Json;
  const artifact = readFileSync(CONFORMANCE_ARTIFACT);
  const key = createPublicKey(readFileSync(join(MANAGED, 'key.pub')));
  const options: VerifierOptions = { tlogThreshold: 1, ctlogThreshold: 0 };

  it('verifies with its key (the control)', () => {
    const outcome = runSigstore({
      bundle: bundleFromJSON(bundleJson),
      artifact,
      roots: [root()],
      key,
      options,
    });
    expect(outcome.ok).toBe(true);
  });

  it('no key for the hint: PUBLIC_KEY_ERROR -> untrusted KEY_NOT_TRUSTED', () => {
    const bundle = bundleFromJSON(bundleJson);
    const r = root();
    expect(sigstoreCode(bundle, artifact, r, options)).toBe('PUBLIC_KEY_ERROR');
    expect(ours(bundle, artifact, r, options)).toEqual({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
  });

  function keyed(bundle: Bundle, bytes: Buffer, opts: VerifierOptions) {
    let code = 'OK';
    try {
      new Verifier(
        trustMaterial(root(), () => ({ publicKey: key, validFor: () => true })),
        opts,
      ).verify(toSignedEntity(bundle, bytes));
    } catch (err) {
      code = (err as VerificationError).code;
    }
    const outcome = runSigstore({ bundle, artifact: bytes, roots: [root()], key, options: opts });
    return { sigstore: code, ours: outcome.ok ? 'OK' : [outcome.verdict.status, outcome.verdict.code] };
  }

  it('no log entry under a tlog threshold: TLOG_ERROR -> untrusted TLOG_MISSING', () => {
    const b = structuredClone(bundleJson);
    b['verificationMaterial'].tlogEntries = [];
    expect(
      keyed(bundleFromJSON(b), artifact, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 }),
    ).toEqual({
      sigstore: 'TLOG_ERROR',
      ours: ['untrusted', 'TLOG_MISSING'],
    });
  });

  // bundleFromJSON refuses an entry without promise or proof in every bundle version, and cosignAsBundle
  // always carries the SET of the Rekor annotation: no sigscan input reaches this today. The fault is made
  // on the parsed bundle so the mapping stays pinned should a caller build bundles another way.
  it('an entry with neither promise nor proof: TLOG_MISSING_INCLUSION_ERROR -> invalid TLOG_INVALID', () => {
    const bundle = bundleFromJSON(bundleJson);
    const entry = bundle.verificationMaterial.tlogEntries[0]!;
    entry.inclusionPromise = undefined;
    entry.inclusionProof = undefined;
    expect(keyed(bundle, artifact, { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 })).toEqual({
      sigstore: 'TLOG_MISSING_INCLUSION_ERROR',
      ours: ['invalid', 'TLOG_INVALID'],
    });
  });
});

describe('tlogFirst: without a Rekor entry, the missing entry is the reason unless sigstore-js proved tampering', () => {
  const missing = tlogMissing({} as TrustConfig, 'the signature verifies')!;
  const failure = (artifact: Buffer, r: LoadedTrustedRoot) => {
    const outcome = runSigstore({ bundle: wheelWith(), artifact, roots: [r], options: KEYLESS });
    if (outcome.ok) throw new Error('expected a sigstore failure');
    return outcome.verdict;
  };

  it('an invalid verdict (another artifact: SIGNATURE_INVALID) wins over TLOG_MISSING', () => {
    const other = Buffer.from(wheel);
    other[100] = other[100]! ^ 0xff;
    const invalid = failure(other, root());
    expect([invalid.status, invalid.code]).toEqual(['invalid', 'SIGNATURE_INVALID']);
    expect(tlogFirst(missing, invalid)).toBe(invalid);
  });

  it('an untrusted verdict (no Fulcio CA in the root: CHAIN_UNTRUSTED) gives way to TLOG_MISSING, its message kept', () => {
    const untrusted = failure(
      wheel,
      root((r) => {
        r['certificateAuthorities'] = [];
      }),
    );
    expect([untrusted.status, untrusted.code]).toEqual(['untrusted', 'CHAIN_UNTRUSTED']);
    expect(missing.code).toBe('TLOG_MISSING');
    expect(tlogFirst(missing, untrusted)).toEqual({
      ...missing,
      message: `${missing.message} (sigstore: ${untrusted.message})`,
    });
    // Logged, or waived: sigstore's verdict as it is.
    expect(tlogFirst(undefined, untrusted)).toBe(untrusted);
  });
});

describe('mapSigstoreError for faults sigstore-js 3 does not throw', () => {
  const bundle = wheelWith();
  const r = root();
  const material = trustMaterial(r);

  it('an unknown VerificationError code -> invalid SIGSTORE_VERIFY_FAILED naming the root', () => {
    const v = mapSigstoreError(
      new VerificationError({ code: 'NEW_CHECK_ERROR' as never, message: 'new check failed' }),
      bundle,
      material,
      r,
    );
    expect([v.status, v.code, v.message]).toEqual([
      'invalid',
      'SIGSTORE_VERIFY_FAILED',
      'new check failed (trusted root production.trusted_root.json)',
    ]);
  });

  it("an error that is not sigstore-js' -> error INTERNAL, with its cause", () => {
    const v = mapSigstoreError(
      new Error('boom', { cause: new Error('deeper') }),
      bundle,
      material,
      undefined,
    );
    expect([v.status, v.code, v.message]).toEqual(['error', 'INTERNAL', 'boom: deeper']);
  });
});

describe('runSigstore: roots, entity and signing time', () => {
  const managedJson = JSON.parse(readFileSync(join(MANAGED, 'bundle.sigstore.json'), 'utf8')) as Json;
  const artifact = readFileSync(CONFORMANCE_ARTIFACT);
  const key = createPublicKey(readFileSync(join(MANAGED, 'key.pub')));

  it('the signing time is the earliest of the Rekor integrated time and the TSA time', () => {
    // The corpus bundles stamp both in the same second; without its SET the entry's integrated time is
    // covered by nothing, so it is moved a minute later (the inclusion proof still verifies the entry).
    const b = structuredClone(managedJson);
    const entry = b['verificationMaterial'].tlogEntries[0] as Json;
    delete entry['inclusionPromise'];
    const logged = Number(entry['integratedTime']);
    entry['integratedTime'] = String(logged + 60);
    const bundle = bundleFromJSON(b);
    const outcome = runSigstore({
      bundle,
      artifact,
      roots: [root()],
      key,
      options: { tlogThreshold: 1, ctlogThreshold: 0 },
    });
    expect(outcome.ok && outcome.signingTime?.getTime()).toBe(logged * 1000);
    const later = toSignedEntity(bundle, artifact).timestamps.find((t) => t.$case === 'transparency-log');
    expect(later && Number(later.tlogEntry.integratedTime)).toBe(logged + 60);
  });

  it('no trusted root: the key alone verifies an entry-less bundle, with no root and no time', () => {
    const b = structuredClone(managedJson);
    b['verificationMaterial'].tlogEntries = [];
    delete b['verificationMaterial'].timestampVerificationData;
    const outcome = runSigstore({
      bundle: bundleFromJSON(b),
      artifact,
      roots: [],
      key,
      options: { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 },
    });
    expect(outcome).toMatchObject({ ok: true, root: undefined, signingTime: undefined });
  });

  it('an RFC 3161 timestamp that does not parse: invalid MALFORMED_BUNDLE before any root is tried', () => {
    const b = structuredClone(managedJson);
    b['verificationMaterial'].timestampVerificationData.rfc3161Timestamps[0].signedTimestamp =
      Buffer.from('not a timestamp').toString('base64');
    const outcome = runSigstore({ bundle: bundleFromJSON(b), artifact, roots: [root()], key, options: {} });
    expect(outcome.ok ? 'OK' : [outcome.verdict.status, outcome.verdict.code]).toEqual([
      'invalid',
      'MALFORMED_BUNDLE',
    ]);
    expect(outcome.ok ? '' : outcome.verdict.message).toMatch(/^sigstore bundle: /);
  });

  it('two roots failing alike: the first one’s failure is kept', () => {
    const noCa = (path: string) => {
      const r = structuredClone(rootJson);
      r['certificateAuthorities'] = [];
      return parseTrustedRoot(r, path);
    };
    const outcome = runSigstore({
      bundle: wheelWith(),
      artifact: wheel,
      roots: [noCa('first.json'), noCa('second.json')],
      options: KEYLESS,
    });
    expect(outcome.ok ? 'OK' : outcome.verdict.code).toBe('CHAIN_UNTRUSTED');
    expect(outcome.ok ? '' : outcome.verdict.message).toContain('(trusted root first.json)');
  });
});

describe('runSigstore on a Rekor v2 DSSE bundle (hashedrekord over the PAE)', () => {
  const CASE = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'rekor2-dsse-happy-path');
  const json = JSON.parse(readFileSync(join(CASE, 'bundle.sigstore.json'), 'utf8')) as Json;
  const caseRoot = parseTrustedRoot(
    JSON.parse(readFileSync(join(CASE, 'trusted_root.json'), 'utf8')),
    'rekor2-dsse/trusted_root.json',
  );

  it('as made: verifies', () => {
    expect(runSigstore({ bundle: bundleFromJSON(json), roots: [caseRoot], options: KEYLESS }).ok).toBe(true);
  });

  it('the payload re-encoded (a space added): the logged PAE digest no longer matches, TLOG_ENTRY_MISMATCH', () => {
    const b = structuredClone(json);
    const payload = Buffer.from(b['dsseEnvelope'].payload as string, 'base64').toString('utf8');
    b['dsseEnvelope'].payload = Buffer.from(`${payload} `).toString('base64');
    const outcome = runSigstore({ bundle: bundleFromJSON(b), roots: [caseRoot], options: KEYLESS });
    expect(outcome.ok ? 'OK' : [outcome.verdict.status, outcome.verdict.code]).toEqual([
      'invalid',
      'TLOG_ENTRY_MISMATCH',
    ]);
  });
});

describe('mapSigstoreError: a policy refusal', () => {
  // sigscan applies the identity policy itself and gives sigstore-js none, so no input reaches this; the
  // mapping is pinned for a caller that would.
  it('PolicyError -> untrusted IDENTITY_MISMATCH', () => {
    const r = root();
    const v = mapSigstoreError(
      new PolicyError({ code: 'UNTRUSTED_SIGNER_ERROR', message: 'identity not allowed' }),
      wheelWith(),
      trustMaterial(r),
      r,
    );
    expect([v.status, v.code, v.message]).toEqual([
      'untrusted',
      'IDENTITY_MISMATCH',
      'identity not allowed (trusted root production.trusted_root.json)',
    ]);
  });
});
