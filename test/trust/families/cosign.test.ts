/**
 * cosign classic signatures from the corpus (containers/image `dir:` fixtures, serialized as
 * "\x00sigstore-json\n{…}") through the detector's evidence builder and the trust evaluator, compared
 * with corpus/expected.json; plus one-input-removed and tampering variants of the same real values.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { layerEvidence } from '../../../src/detectors/cosign.js';
import { MediaType } from '../../../src/oci/types.js';
import { parseContainersSigstoreSignature } from '../../../src/formats/sigstore/index.js';
import type { Evidence, ImageTarget, Verdict } from '../../../src/model/index.js';
import {
  emptyTrustConfig,
  readCertificates,
  readPublicKey,
  type TrustConfig,
} from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { cosignVerifier } from '../../../src/trust/families/cosign.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { run } from '../../helpers/tools.js';

const CI = join(CORPUS_DIR, 'cosign', 'containers-image');
const PRODUCTION_ROOT = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');

interface ExpectedArtifact {
  id: string;
  kind: string;
  files: { signature: string; manifest: string };
  signer: { san?: string | string[]; oidcIssuer?: string } | null;
  rekor: { integratedTime: number } | null;
  expected: { verifies: boolean | null; trustRoot: string[] };
}
const EXPECTED = (
  JSON.parse(readFileSync(join(CORPUS_DIR, 'expected.json'), 'utf8')) as { artifacts: ExpectedArtifact[] }
).artifacts.filter((a) => a.kind === 'cosign-signature');

function fixture(sigPath: string, manifestPath: string): { evidence: Evidence; target: ImageTarget } {
  const sig = parseContainersSigstoreSignature(new Uint8Array(readFileSync(join(CORPUS_DIR, sigPath))));
  const manifest = readFileSync(join(CORPUS_DIR, manifestPath));
  const target: ImageTarget = {
    kind: 'image',
    registry: 'dir',
    repository: sigPath.split('/').slice(0, -1).join('/'),
    digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  };
  if (sig.mimeType !== MediaType.cosignSimpleSigning)
    throw new Error(`not a cosign signature: ${sig.mimeType}`);
  return { evidence: layerEvidence(target, sigPath, sig.annotations, sig.payload), target };
}

async function evaluate(
  f: { evidence: Evidence; target: ImageTarget },
  config: TrustConfig,
): Promise<Verdict> {
  return new TrustEvaluator(config).evaluate(f.evidence, f.target);
}

async function config(parts: {
  keys?: string[];
  roots?: string[];
  trustedRoots?: string[];
  identity?: string;
  issuer?: string;
  at?: Date;
  /** --insecure-ignore-tlog: for fixtures about something else than the transparency log. */
  ignoreTlog?: boolean;
}): Promise<TrustConfig> {
  const c = emptyTrustConfig();
  for (const k of parts.keys ?? []) c.keys.push(await readPublicKey(join(CI, k)));
  for (const r of parts.roots ?? []) c.roots.push(...(await readCertificates(join(CI, r), '--trust-root')));
  c.trustedRoots = parts.trustedRoots ?? [];
  c.certificateIdentity = parts.identity;
  c.certificateOidcIssuer = parts.issuer;
  c.at = parts.at;
  if (parts.ignoreTlog) c.insecureIgnoreTlog = true;
  return c;
}

const VALID = fixture(
  'cosign/containers-image/dir-img-cosign-valid/signature-1',
  'cosign/containers-image/dir-img-cosign-valid/manifest.json',
);
const UNKNOWN = fixture(
  'cosign/containers-image/unknown-cosign-key.signature',
  'cosign/containers-image/dir-img-cosign-valid/manifest.json',
);
const KEY_REKOR = fixture(
  'cosign/containers-image/dir-img-cosign-key-rekor-valid/signature-1',
  'cosign/containers-image/dir-img-cosign-key-rekor-valid/manifest.json',
);
const FULCIO = fixture(
  'cosign/containers-image/dir-img-cosign-fulcio-rekor-valid/signature-1',
  'cosign/containers-image/dir-img-cosign-fulcio-rekor-valid/manifest.json',
);
const PKI = fixture(
  'cosign/containers-image/dir-img-cosign-pki-valid/signature-1',
  'cosign/containers-image/dir-img-cosign-pki-valid/manifest.json',
);
const KEYLESS_POLICY = { identity: 'mitr@redhat.com', issuer: 'https://github.com/login/oauth' };

describe('cosign verifier on the containers/image corpus', () => {
  it('agrees with expected.json for every cosign-signature fixture', async () => {
    expect(EXPECTED.length).toBeGreaterThanOrEqual(7);
    const rows: string[] = [];
    for (const a of EXPECTED) {
      const sig = parseContainersSigstoreSignature(
        new Uint8Array(readFileSync(join(CORPUS_DIR, a.files.signature))),
      );
      if (sig.mimeType !== MediaType.cosignSimpleSigning) {
        // dir-img-cosign-other-attachment: a text/plain attachment is no signature at all.
        expect(a.expected.verifies).toBe(false);
        rows.push(`${a.id}: not a signature`);
        continue;
      }
      const f = fixture(a.files.signature, a.files.manifest);
      const keys = a.expected.trustRoot.filter((p) => p.endsWith('.pub') && !p.endsWith('rekor.pub'));
      const pki = a.expected.trustRoot.filter((p) => p.includes('pki_'));
      // fulcio_v1.crt.pem + rekor.pub are the public-good instance: the production trusted root holds both.
      const usesRekorOrFulcio = a.expected.trustRoot.some(
        (p) => p.endsWith('rekor.pub') || p.includes('fulcio'),
      );
      const c = await config({
        keys: keys.map((p) => p.split('/').pop()!),
        roots: pki.map((p) => p.split('/').pop()!),
        trustedRoots: usesRekorOrFulcio ? [PRODUCTION_ROOT] : [],
        ...(a.signer?.oidcIssuer ? { identity: String(a.signer.san), issuer: a.signer.oidcIssuer } : {}),
      });
      if (a.expected.verifies && !a.rekor && !a.signer?.oidcIssuer) {
        // containers/image accepts a key or private-PKI signature without a Rekor entry; cosign 2.x
        // (and sigscan) only with --insecure-ignore-tlog.
        const strict = await evaluate(f, c);
        expect([strict.status, strict.code], `${a.id}: ${strict.message}`).toEqual([
          'untrusted',
          'TLOG_MISSING',
        ]);
        c.insecureIgnoreTlog = true;
      }
      const v = await evaluate(f, c);
      rows.push(`${a.id}: ${v.status} ${v.code}`);
      expect(v.status === 'verified', `${a.id}: ${v.status} ${v.code} ${v.message}`).toBe(
        a.expected.verifies,
      );
    }
    expect(rows.length).toBe(EXPECTED.length);
  });

  it('key-based: untrusted TLOG_MISSING without a Rekor entry; verified with cosign.pub under --insecure-ignore-tlog, untrusted with another key', async () => {
    const strict = await evaluate(VALID, await config({ keys: ['cosign.pub'] }));
    expect(strict).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(strict.message).toContain('--insecure-ignore-tlog');
    const ok = await evaluate(VALID, await config({ keys: ['cosign.pub'], ignoreTlog: true }));
    expect(ok).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(ok.message).toContain('transparency log not required (--insecure-ignore-tlog)');
    const other = await evaluate(VALID, await config({ keys: ['cosign2.pub'], ignoreTlog: true }));
    expect(other).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
    // The requirement comes after the key: a key that does not verify is still KEY_NOT_TRUSTED.
    expect(await evaluate(VALID, await config({ keys: ['cosign2.pub'] }))).toMatchObject({
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
    });
    const unknown = await evaluate(UNKNOWN, await config({ keys: ['cosign.pub', 'cosign2.pub'] }));
    expect(unknown).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
  });

  it('key + Rekor SET: verified with the trusted root, never without it', async () => {
    const ok = await evaluate(
      KEY_REKOR,
      await config({ keys: ['cosign2.pub'], trustedRoots: [PRODUCTION_ROOT] }),
    );
    expect(ok.status, ok.message).toBe('verified');
    expect(ok.message).toContain('Rekor entry 11608800 verified');
    expect(ok.message).not.toContain('--insecure-ignore-tlog');
    const noRoot = await evaluate(KEY_REKOR, await config({ keys: ['cosign2.pub'] }));
    expect(noRoot).toMatchObject({ status: 'unverified', code: 'TLOG_UNCHECKED' });
    expect(noRoot.message).toBe(
      'the signature carries Rekor entry 11608800, which cannot be checked without --trusted-root',
    );
  });

  it('keyless: verified at the Rekor integrated time with the identity policy', async () => {
    const c = await config({ trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY });
    const v = await evaluate(FULCIO, c);
    expect(v.status, v.message).toBe('verified');
    expect(v.code).toBe('KEYLESS_VERIFIED');
    expect(v.message).toBe(
      `keyless signature by mitr@redhat.com (issuer https://github.com/login/oauth) verified with ${PRODUCTION_ROOT} at 2023-01-20T20:51:33.000Z`,
    );
    // --at does not matter: the certificate is checked at the logged time, not "now".
    expect((await evaluate(FULCIO, { ...c, at: new Date('2030-01-01T00:00:00Z') })).status).toBe('verified');
    // Logged in Rekor, so --insecure-ignore-tlog waived nothing, and the verdict does not claim it did.
    expect(await evaluate(FULCIO, { ...c, insecureIgnoreTlog: true })).toEqual(v);
  });

  it('keyless: wrong identity or issuer is untrusted, a regexp policy is anchored', async () => {
    const wrongId = await evaluate(
      FULCIO,
      await config({ trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY, identity: 'someone@example.com' }),
    );
    expect(wrongId).toMatchObject({ status: 'untrusted', code: 'IDENTITY_MISMATCH' });
    const wrongIss = await evaluate(
      FULCIO,
      await config({
        trustedRoots: [PRODUCTION_ROOT],
        ...KEYLESS_POLICY,
        issuer: 'https://accounts.google.com',
      }),
    );
    expect(wrongIss).toMatchObject({ status: 'untrusted', code: 'ISSUER_MISMATCH' });
    const c = await config({ trustedRoots: [PRODUCTION_ROOT], issuer: KEYLESS_POLICY.issuer });
    c.certificateIdentityRegexp = new RegExp('^(?:mitr@redhat)$');
    expect((await evaluate(FULCIO, c)).status).toBe('untrusted');
    c.certificateIdentityRegexp = new RegExp('^(?:.*@redhat\\.com)$');
    expect((await evaluate(FULCIO, c)).status).toBe('verified');
  });

  it('keyless without an identity policy is not verified', async () => {
    const v = await evaluate(FULCIO, await config({ trustedRoots: [PRODUCTION_ROOT] }));
    expect(v).toMatchObject({ status: 'unverified', code: 'IDENTITY_POLICY_MISSING' });
    expect(v.message).toBe(
      'keyless signature by mitr@redhat.com (issuer https://github.com/login/oauth) chains to a Fulcio CA, but no identity policy was given: pass --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]',
    );
    const half = await evaluate(
      FULCIO,
      await config({ trustedRoots: [PRODUCTION_ROOT], identity: KEYLESS_POLICY.identity }),
    );
    expect(half).toMatchObject({ status: 'unverified', code: 'IDENTITY_POLICY_MISSING' });
  });

  it('private PKI: verified with root + intermediates under --insecure-ignore-tlog, untrusted TLOG_MISSING without it, untrusted with another CA', async () => {
    const strict = await evaluate(
      PKI,
      await config({ roots: ['pki_root_crts.pem', 'pki_intermediate_crts.pem'] }),
    );
    expect(strict).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(strict.message).toContain('verifies with the certificate of');
    const ok = await evaluate(
      PKI,
      await config({ roots: ['pki_root_crts.pem', 'pki_intermediate_crts.pem'], ignoreTlog: true }),
    );
    expect(ok).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(ok.message).toContain('transparency log not required (--insecure-ignore-tlog)');
    const policy = await config({
      roots: ['pki_root_crts.pem', 'pki_intermediate_crts.pem'],
      ignoreTlog: true,
    });
    policy.certificateIdentity = 'qiwan@redhat.com';
    expect((await evaluate(PKI, policy)).status).toBe('verified');
    policy.certificateIdentity = 'other@redhat.com';
    expect(await evaluate(PKI, policy)).toMatchObject({ status: 'untrusted', code: 'IDENTITY_MISMATCH' });
    const wrongCa = await evaluate(PKI, await config({ roots: ['fulcio_v1.crt.pem'], ignoreTlog: true }));
    expect(wrongCa.status).toBe('untrusted');
    // A Fulcio certificate under the PKI roots only is not trusted either.
    expect((await evaluate(FULCIO, await config({ roots: ['pki_root_crts.pem'] }))).status).not.toBe(
      'verified',
    );
  });

  it('no trust input at all is unverified NO_TRUST_ROOT', async () => {
    for (const f of [VALID, KEY_REKOR, FULCIO, PKI]) {
      expect(await evaluate(f, emptyTrustConfig())).toMatchObject({
        status: 'unverified',
        code: 'NO_TRUST_ROOT',
      });
    }
  });

  it('removing any one trust input never leaves a verified verdict', async () => {
    const full = { trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY };
    const variants: Array<Partial<typeof full>> = [
      { ...full, trustedRoots: [] },
      { ...full, identity: undefined },
      { ...full, issuer: undefined },
    ];
    for (const v of variants) expect((await evaluate(FULCIO, await config(v))).status).not.toBe('verified');
    // The layer's chain annotation carries the intermediate and the root, so the root alone anchors it;
    // the chain's own root certificate never does.
    const pkiOnly = { roots: ['pki_root_crts.pem'], ignoreTlog: true };
    expect((await evaluate(PKI, await config(pkiOnly))).status).toBe('verified');
    expect((await evaluate(PKI, await config({ ...pkiOnly, ignoreTlog: false }))).status).not.toBe(
      'verified',
    );
    expect((await evaluate(PKI, await config({ ...pkiOnly, roots: ['fulcio_v1.crt.pem'] }))).status).not.toBe(
      'verified',
    );
    expect((await evaluate(PKI, await config({ keys: ['cosign.pub'], ignoreTlog: true }))).status).not.toBe(
      'verified',
    );
    expect((await evaluate(KEY_REKOR, await config({ trustedRoots: [PRODUCTION_ROOT] }))).status).not.toBe(
      'verified',
    );
    expect((await evaluate(KEY_REKOR, await config({ keys: ['cosign2.pub'] }))).status).not.toBe('verified');
  });
});

describe('cosign verifier against tampering (real corpus values, one field changed)', () => {
  const material = (f: { evidence: Evidence }) =>
    f.evidence.material as {
      payload: Uint8Array;
      signature: Uint8Array;
      certificateDer?: Uint8Array;
      chainDer: Uint8Array[];
      rekorBundle?: {
        body: string;
        signedEntryTimestamp: string;
        integratedTime: number;
        logIndex: number;
        logId: string;
      };
    };
  const withMaterial = (f: { evidence: Evidence; target: ImageTarget }, patch: Record<string, unknown>) => ({
    target: f.target,
    evidence: { ...f.evidence, material: { ...material(f), ...patch } },
  });

  it('a flipped signature byte is invalid for a certificate signer, untrusted for a bare key', async () => {
    const flip = (b: Uint8Array) => {
      const c = new Uint8Array(b);
      c[c.length - 3]! ^= 1;
      return c;
    };
    const fulcio = withMaterial(FULCIO, { signature: flip(material(FULCIO).signature) });
    const c = await config({ trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY });
    expect(await evaluate(fulcio, c)).toMatchObject({ status: 'invalid', code: 'SIGNATURE_INVALID' });
    // The Rekor entry records cosign2.pub, which does not verify the flipped signature either: tampered.
    const keyRekor = withMaterial(KEY_REKOR, { signature: flip(material(KEY_REKOR).signature) });
    expect(await evaluate(keyRekor, await config({ keys: ['cosign2.pub'] }))).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
    });
  });

  it('a payload naming another image is invalid PAYLOAD_DIGEST_MISMATCH', async () => {
    const moved = {
      evidence: VALID.evidence,
      target: { ...VALID.target, digest: `sha256:${'0'.repeat(64)}` },
    };
    expect(await evaluate(moved, await config({ keys: ['cosign.pub'] }))).toMatchObject({
      status: 'invalid',
      code: 'PAYLOAD_DIGEST_MISMATCH',
    });
  });

  it('a Rekor entry from another signature (CVE-2022-36056 style) is invalid', async () => {
    // The keyless fixture's valid, SET-signed entry attached to the key-signed fixture.
    const swapped = withMaterial(KEY_REKOR, { rekorBundle: material(FULCIO).rekorBundle });
    const v = await evaluate(
      swapped,
      await config({ keys: ['cosign2.pub'], trustedRoots: [PRODUCTION_ROOT] }),
    );
    expect(v).toMatchObject({ status: 'invalid', code: 'TLOG_ENTRY_MISMATCH' });
    // Refused by sigscan's own signer check, before sigstore-js (whose body check has the same code).
    expect(v.message).toBe(
      `Rekor entry ${material(FULCIO).rekorBundle!.logIndex} records another signer than this signature's`,
    );
  });

  it('a key-signed, Rekor-logged signature stripped of its Rekor bundle: untrusted TLOG_MISSING, not verified', async () => {
    const stripped = withMaterial(KEY_REKOR, { rekorBundle: undefined });
    const c = await config({ keys: ['cosign2.pub'], trustedRoots: [PRODUCTION_ROOT] });
    const v = await evaluate(stripped, c);
    expect(v).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(v.message).toContain('--insecure-ignore-tlog');
    // The waiver is what lets it through, and the verdict says so.
    const waived = await evaluate(stripped, { ...c, insecureIgnoreTlog: true });
    expect(waived).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(waived.message).toContain('transparency log not required (--insecure-ignore-tlog)');
  });

  it('a forged SET is invalid, and a changed integrated time breaks the SET', async () => {
    const r = material(FULCIO).rekorBundle!;
    const c = await config({ trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY });
    const later = withMaterial(FULCIO, { rekorBundle: { ...r, integratedTime: r.integratedTime + 60 } });
    expect(await evaluate(later, c)).toMatchObject({ status: 'invalid', code: 'TLOG_INVALID' });
    const otherSet = withMaterial(FULCIO, {
      rekorBundle: { ...r, signedEntryTimestamp: material(KEY_REKOR).rekorBundle!.signedEntryTimestamp },
    });
    expect(await evaluate(otherSet, c)).toMatchObject({ status: 'invalid', code: 'TLOG_INVALID' });
  });

  it('keyless without a Rekor entry has no trusted signing time, and --at does not stand in for one', async () => {
    const noRekor = withMaterial(FULCIO, { rekorBundle: undefined });
    const c = await config({ trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY });
    const v = await evaluate(noRekor, c);
    expect(v).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    // cosign's reason (the missing log entry) first, sigstore-js' timestamp refusal kept after it.
    expect(v.message).toMatch(
      /^the signature verifies with the certificate of .+, but carries no transparency-log \(Rekor\) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one \(sigstore: no Rekor entry or RFC 3161 timestamp proves the signing time/,
    );
    // Inside the 10-minute certificate, by --at: still no proof of when it signed.
    const at = new Date('2023-01-20T20:51:40Z');
    expect(await evaluate(noRekor, { ...c, at })).toMatchObject({
      status: 'untrusted',
      code: 'TLOG_MISSING',
    });
    // The Fulcio root given as a private-PKI --trust-root is no way around it either.
    const asPki = await config({ roots: ['fulcio_v1.crt.pem'], ...KEYLESS_POLICY, at });
    expect(await evaluate(noRekor, asPki)).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
  });

  it("a certificate swapped for another signer's is invalid", async () => {
    const swapped = withMaterial(FULCIO, {
      certificateDer: material(PKI).certificateDer,
      chainDer: material(PKI).chainDer,
    });
    const c = await config({
      roots: ['pki_root_crts.pem', 'pki_intermediate_crts.pem'],
      trustedRoots: [PRODUCTION_ROOT],
    });
    expect(await evaluate(swapped, c)).toMatchObject({ status: 'invalid', code: 'SIGNATURE_INVALID' });
  });
});

/**
 * cosignVerifier called directly (issue #18): the decisions each input makes, with exact codes and
 * messages, on the same real corpus values.
 */
describe('cosignVerifier: each input and its verdict', () => {
  const KEY2 = join(CI, 'cosign2.pub');
  const direct = async (
    f: { evidence: Evidence; target: ImageTarget },
    c: TrustConfig,
  ): Promise<[string, string, string]> => {
    const v = await cosignVerifier(f.evidence, f.target, { config: c, now: c.at ?? new Date() });
    return [v.status, v.code, v.message];
  };
  const fresh = (f: { evidence: Evidence; target: ImageTarget }, patch: Partial<Evidence> = {}) => ({
    target: f.target,
    evidence: { ...f.evidence, signer: { ...f.evidence.signer }, ...patch },
  });
  const mat = (f: { evidence: Evidence }) => f.evidence.material as Record<string, unknown>;

  it('evidence without a payload and signature: error MALFORMED_SIGNATURE', async () => {
    const v = await direct(fresh(VALID, { material: undefined }), await config({ keys: ['cosign.pub'] }));
    expect(v).toEqual(['error', 'MALFORMED_SIGNATURE', 'cosign evidence carries no payload and signature']);
  });

  it('a payload that names no image digest: invalid MALFORMED_PAYLOAD', async () => {
    const v = await direct(fresh(VALID, { claims: {} }), await config({ keys: ['cosign.pub'] }));
    expect(v).toEqual(['invalid', 'MALFORMED_PAYLOAD', 'the cosign payload names no image digest']);
  });

  it('an empty signature annotation: invalid SIGNATURE_INVALID, not a key mismatch', async () => {
    const empty = fresh(VALID, { material: { ...mat(VALID), signature: new Uint8Array() } });
    expect(await direct(empty, await config({ keys: ['cosign.pub'], ignoreTlog: true }))).toEqual([
      'invalid',
      'SIGNATURE_INVALID',
      'the cosign signature annotation is empty',
    ]);
  });

  it('names the key that verified, and credits it as the signer only when verified', async () => {
    const c = await config({ keys: ['cosign.pub'], ignoreTlog: true });
    const key = c.keys[0]!;
    // Fresh from the corpus: the evaluations above credited cosign.pub on the shared VALID evidence.
    const pristine = () =>
      fixture(
        'cosign/containers-image/dir-img-cosign-valid/signature-1',
        'cosign/containers-image/dir-img-cosign-valid/manifest.json',
      );
    const ok = pristine();
    expect(ok.evidence.signer.keyId).toBeUndefined();
    expect(await direct(ok, c)).toEqual([
      'verified',
      'KEY_VERIFIED',
      `signature verifies with key ${key.path} (${key.algorithm}, ${key.spkiSha256.slice(0, 16)}…); transparency log not required (--insecure-ignore-tlog)`,
    ]);
    expect(ok.evidence.signer.keyId).toBe(key.spkiSha256);
    // The same key, the log not waived: untrusted, and the key is not named as the signer.
    const strict = pristine();
    expect((await direct(strict, { ...c, insecureIgnoreTlog: false })).slice(0, 2)).toEqual([
      'untrusted',
      'TLOG_MISSING',
    ]);
    expect(strict.evidence.signer).toEqual(pristine().evidence.signer);
    expect(strict.evidence.signer.keyId).toBeUndefined();
  });

  it('key + Rekor entry: KEY_VERIFIED naming the key and the entry', async () => {
    const c = await config({ keys: ['cosign2.pub'], trustedRoots: [PRODUCTION_ROOT] });
    const key = c.keys[0]!;
    expect(await direct(KEY_REKOR, c)).toEqual([
      'verified',
      'KEY_VERIFIED',
      `signature verifies with key ${key.path} (${key.algorithm}, ${key.spkiSha256.slice(0, 16)}…); Rekor entry 11608800 verified`,
    ]);
  });

  it('a Fulcio certificate under a private-PKI --trust-root, --at inside it and the log waived: still untrusted TLOG_MISSING', async () => {
    // The waiver covers the log, not the signing time: a ten-minute certificate needs a logged time.
    const noRekor = fresh(FULCIO, { material: { ...mat(FULCIO), rekorBundle: undefined } });
    const c = await config({
      roots: ['fulcio_v1.crt.pem'],
      ...KEYLESS_POLICY,
      at: new Date('2023-01-20T20:51:40Z'),
      ignoreTlog: true,
    });
    expect(await direct(noRekor, c)).toEqual([
      'untrusted',
      'TLOG_MISSING',
      'the certificate of mitr@redhat.com is a keyless (Fulcio) certificate, and no Rekor entry or RFC 3161 timestamp proves when it signed; --at does not stand in for one',
    ]);
  });

  it('a bare signature with only certificate roots: unverified NO_TRUST_ROOT, only --key can verify it', async () => {
    expect(await direct(VALID, await config({ roots: ['pki_root_crts.pem'] }))).toEqual([
      'unverified',
      'NO_TRUST_ROOT',
      'key-based cosign signature (no certificate attached); only --key can verify it',
    ]);
  });

  it('a supplied key that is not the signer: KEY_NOT_TRUSTED, naming the key the Rekor entry recorded', async () => {
    expect(await direct(VALID, await config({ keys: ['cosign2.pub'], ignoreTlog: true }))).toEqual([
      'untrusted',
      'KEY_NOT_TRUSTED',
      'the signature does not verify with any supplied key',
    ]);
    const recorded = (await readPublicKey(KEY2)).spkiSha256;
    expect(await direct(KEY_REKOR, await config({ keys: ['cosign.pub'] }))).toEqual([
      'untrusted',
      'KEY_NOT_TRUSTED',
      `the signature does not verify with any supplied key (it was made by key ${recorded})`,
    ]);
  });

  it('a certificate signer with only --key given: KEY_NOT_TRUSTED, the certificate is not read as trusted', async () => {
    expect(await direct(PKI, await config({ keys: ['cosign.pub'], ignoreTlog: true }))).toEqual([
      'untrusted',
      'KEY_NOT_TRUSTED',
      expect.stringMatching(
        /^the signature verifies with the certificate of .+, but not with any supplied key; pass --trust-root or --trusted-root to trust certificates$/,
      ),
    ]);
  });

  it('private PKI verified without a log says it was checked now, under the waiver', async () => {
    const v = await direct(PKI, await config({ roots: ['pki_root_crts.pem'], ignoreTlog: true }));
    expect(v.slice(0, 2)).toEqual(['verified', 'CHAIN_VALID']);
    const leaf = 'CN=Team A Cosign Certificate,OU=Security,O=IT,L=Valencia,C=ES';
    expect(v[2]).toBe(
      `signature verifies with the certificate of ${leaf}, which chains to trusted CN=Linuxera Root Certificate Authority,OU=Security,O=IT,L=Valencia,C=ES at now; the revocation status of ${leaf}, CN=Linuxera Intermediate Certificate Authority,OU=Security,O=IT,L=Valencia,C=ES is unknown (offline: only --crl files are read); transparency log not required (--insecure-ignore-tlog)`,
    );
  });

  it('a private-PKI leaf whose CA signature is broken: invalid CERT_BAD_SIGNATURE', async () => {
    const der = new Uint8Array(mat(PKI)['certificateDer'] as Uint8Array);
    der[der.length - 5]! ^= 1; // inside the CA's signature value; the leaf key is unchanged
    const broken = fresh(PKI, { material: { ...mat(PKI), certificateDer: der } });
    const v = await direct(broken, await config({ roots: ['pki_root_crts.pem'], ignoreTlog: true }));
    expect(v.slice(0, 2)).toEqual(['invalid', 'CERT_BAD_SIGNATURE']);
  });

  it('keyless verified through --trusted-root wins over a private-PKI root that does not anchor it', async () => {
    const c = await config({
      roots: ['pki_root_crts.pem'],
      trustedRoots: [PRODUCTION_ROOT],
      ...KEYLESS_POLICY,
    });
    expect((await direct(FULCIO, c)).slice(0, 2)).toEqual(['verified', 'KEYLESS_VERIFIED']);
  });

  it("a certificate signer with another signature's Rekor entry: invalid TLOG_ENTRY_MISMATCH", async () => {
    const swapped = fresh(FULCIO, {
      material: { ...mat(FULCIO), rekorBundle: mat(KEY_REKOR)['rekorBundle'] },
    });
    const logIndex = (mat(KEY_REKOR)['rekorBundle'] as { logIndex: number }).logIndex;
    expect(
      await direct(swapped, await config({ trustedRoots: [PRODUCTION_ROOT], ...KEYLESS_POLICY })),
    ).toEqual([
      'invalid',
      'TLOG_ENTRY_MISMATCH',
      `Rekor entry ${logIndex} records another certificate than this signature's`,
    ]);
  });
});

/**
 * The private-PKI corpus signature with a Rekor entry (issue #18). The corpus has none, so this test
 * stands in for Rekor: a hashedrekord v0.0.1 body recording the signature, the payload hash and the
 * certificate exactly as Rekor records a cosign signature, its SET signed with an openssl P-256 log key
 * (`openssl dgst -sha256` over the canonical JSON Rekor signs), and a trusted root naming that log key.
 * The logged time is the signing time the chain is checked at; a logged time before the leaf was valid
 * is a forgery signal (invalid), not a stale certificate. Made once a day (.cache/test-fixtures).
 */
describe('cosign private-PKI signature with a Rekor entry (a test log)', () => {
  const m = PKI.evidence.material as {
    payload: Uint8Array;
    signature: Uint8Array;
    certificateDer: Uint8Array;
  };
  const leaf = new X509Certificate(Buffer.from(m.certificateDer));
  const TIMES = {
    inside: Math.floor(Date.parse(leaf.validFrom) / 1000) + 86_400,
    before: Math.floor(Date.parse(leaf.validFrom) / 1000) - 86_400,
  };
  let fx: string;

  beforeAll(async () => {
    fx = await cachedFixtureDir('csn-cosign-pki-rekor-v1', async (d) => {
      const key = join(d, 'log.key');
      await run('openssl', [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        key,
      ]);
      const spki = createPublicKey(readFileSync(key)).export({ type: 'spki', format: 'der' });
      const logId = createHash('sha256').update(spki).digest();
      const root = JSON.parse(readFileSync(PRODUCTION_ROOT, 'utf8')) as Record<string, unknown>;
      root['tlogs'] = [
        {
          baseUrl: 'https://rekor.test',
          hashAlgorithm: 'SHA2_256',
          publicKey: {
            rawBytes: spki.toString('base64'),
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
            validFor: { start: '2000-01-01T00:00:00Z' },
          },
          logId: { keyId: logId.toString('base64') },
        },
      ];
      writeFileSync(join(d, 'trusted_root.json'), JSON.stringify(root));
      const body = Buffer.from(
        JSON.stringify({
          apiVersion: '0.0.1',
          kind: 'hashedrekord',
          spec: {
            data: {
              hash: { algorithm: 'sha256', value: createHash('sha256').update(m.payload).digest('hex') },
            },
            signature: {
              content: Buffer.from(m.signature).toString('base64'),
              publicKey: { content: Buffer.from(leaf.toString()).toString('base64') },
            },
          },
        }),
      ).toString('base64');
      for (const [name, integratedTime] of Object.entries(TIMES)) {
        const entry = { body, integratedTime, logID: logId.toString('hex'), logIndex: 7 };
        // Canonical JSON (RFC 8785): keys sorted, no spaces; these keys are already in order.
        const signed = join(d, `${name}.set-input`);
        writeFileSync(signed, JSON.stringify(entry));
        await run('openssl', ['dgst', '-sha256', '-sign', key, '-out', join(d, `${name}.set`), signed]);
        writeFileSync(
          join(d, `${name}.json`),
          JSON.stringify({
            body,
            integratedTime,
            logIndex: 7,
            logId: logId.toString('hex'),
            signedEntryTimestamp: readFileSync(join(d, `${name}.set`)).toString('base64'),
          }),
        );
      }
    });
  }, 60_000);

  const logged = (name: keyof typeof TIMES) => ({
    target: PKI.target,
    evidence: {
      ...PKI.evidence,
      material: { ...m, rekorBundle: JSON.parse(readFileSync(join(fx, `${name}.json`), 'utf8')) as unknown },
    },
  });
  const direct = async (f: { evidence: Evidence; target: ImageTarget }, c: TrustConfig) => {
    const v = await cosignVerifier(f.evidence, f.target, { config: c, now: new Date() });
    return [v.status, v.code, v.message];
  };

  it('logged inside the leaf validity: verified CHAIN_VALID at the Rekor integrated time', async () => {
    const c = await config({ roots: ['pki_root_crts.pem'], trustedRoots: [join(fx, 'trusted_root.json')] });
    const [status, code, message] = await direct(logged('inside'), c);
    expect([status, code], message).toEqual(['verified', 'CHAIN_VALID']);
    expect(message).toContain(`at the Rekor integrated time ${new Date(TIMES.inside * 1000).toISOString()}`);
    expect(message).not.toContain('--insecure-ignore-tlog');
  });

  it('logged before the leaf was valid: invalid CERT_NOT_YET_VALID (a forgery signal)', async () => {
    const c = await config({ roots: ['pki_root_crts.pem'], trustedRoots: [join(fx, 'trusted_root.json')] });
    expect((await direct(logged('before'), c)).slice(0, 2)).toEqual(['invalid', 'CERT_NOT_YET_VALID']);
  });

  it('without the trusted root that holds the log key: unverified TLOG_UNCHECKED', async () => {
    expect(
      (await direct(logged('inside'), await config({ roots: ['pki_root_crts.pem'] }))).slice(0, 2),
    ).toEqual(['unverified', 'TLOG_UNCHECKED']);
  });
});
