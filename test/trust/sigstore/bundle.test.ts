/**
 * verifySigstoreBundleDigest refusals before any signature check (issue #18), on the production GitHub
 * Actions wheel bundle from the corpus (a message signature over the wheel's bytes).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { Evidence, FileTarget } from '../../../src/model/index.js';
import { sigstoreBundleVerifier } from '../../../src/trust/families/sigstore-bundle.js';
import { emptyTrustConfig, readPublicKey, type TrustedKey } from '../../../src/trust/config.js';
import {
  verifySigstoreBundle,
  verifySigstoreBundleDigest,
  type SignedBy,
} from '../../../src/trust/sigstore/bundle.js';
import { TLOG_NOT_REQUIRED } from '../../../src/trust/sigstore/tlog-required.js';
import { cosign, cosignKeypair } from '../../helpers/cosign.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';

const WHEEL = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python', 'bundle_v3_github.whl');
const PRODUCTION = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const bundle = JSON.parse(readFileSync(`${WHEEL}.sigstore`, 'utf8')) as unknown;
const wheel = new Uint8Array(readFileSync(WHEEL));
const digest = `sha256:${createHash('sha256').update(wheel).digest('hex')}`;

const ctx = () => {
  const config = emptyTrustConfig();
  config.trustedRoots = [PRODUCTION];
  config.certificateIdentity =
    'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2';
  config.certificateOidcIssuer = 'https://token.actions.githubusercontent.com';
  return { config, now: new Date() };
};
const verdict = async (d: string, bytes?: Uint8Array) => {
  const v = await verifySigstoreBundleDigest(bundle, { digest: d, bytes }, ctx());
  return [v.status, v.code, v.message];
};

describe('verifySigstoreBundleDigest on the wheel bundle', () => {
  it('by digest with the bytes: verified (the control)', async () => {
    expect((await verdict(digest, wheel)).slice(0, 2)).toEqual(['verified', 'KEYLESS_VERIFIED']);
  });

  it('by digest without the bytes: a message signature cannot be checked, error ARTIFACT_UNAVAILABLE', async () => {
    expect(await verdict(digest)).toEqual([
      'error',
      'ARTIFACT_UNAVAILABLE',
      'the bundle signs the artifact bytes, which were not available to check the signature',
    ]);
  });

  it.each([
    ['md5:0123', 'an algorithm sigscan does not bind'],
    ['sha256', 'no value'],
    [`sha256:`, 'an empty value'],
    [digest.replace('sha256:', 'sha1:'), 'SHA-1'],
  ])('digest %s (%s): invalid MALFORMED_DIGEST', async (d) => {
    expect(await verdict(d, wheel)).toEqual([
      'invalid',
      'MALFORMED_DIGEST',
      `unsupported artifact digest ${d}`,
    ]);
  });

  it('the same digest in upper case is the same digest', async () => {
    expect((await verdict(digest.toUpperCase().replace('SHA256', 'sha256'), wheel)).slice(0, 2)).toEqual([
      'verified',
      'KEYLESS_VERIFIED',
    ]);
  });
});

/**
 * Key-signed bundles made by the real cosign 2.5 (`sign-blob` / `attest-blob --key --bundle
 * --new-bundle-format --tlog-upload=false`), once a day, with cosign's own `verify-blob` verdict on each
 * variant recorded beside them (cosign.json: exit code per case, `--trusted-root` = production, offline).
 * The variants are byte surgery on those bundles; the binding checks run before any signature check, so a
 * variant that passes them without a supplied key ends at `unverified NO_TRUST_ROOT`.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ARTIFACT = 'sigscan key-signed bundle fixture\n';
const artifact = new Uint8Array(Buffer.from(ARTIFACT));
const artifactSha256 = createHash('sha256').update(artifact).digest('hex');

/** The variants cosign also judges: name → [bundle file, change, verify-blob flags]. */
const VARIANTS: Record<string, [base: 'msg' | 'dsse', change: (b: Json) => void, flags: string[]]> = {
  'key-ignore-tlog': ['msg', () => {}, ['--insecure-ignore-tlog']],
  'key-needs-tlog': ['msg', () => {}, []],
  'wrong-key': ['msg', () => {}, ['--insecure-ignore-tlog', '--wrong-key']],
  'media-jsonx': [
    'msg',
    (b) => (b['mediaType'] = 'application/vnd.dev.sigstore.bundle.v0.3+jsonx'),
    ['--insecure-ignore-tlog'],
  ],
  'media-0.4': [
    'msg',
    (b) => (b['mediaType'] = 'application/vnd.dev.sigstore.bundle+json;version=0.4'),
    ['--insecure-ignore-tlog'],
  ],
  'media-v0.4': [
    'msg',
    (b) => (b['mediaType'] = 'application/vnd.dev.sigstore.bundle.v0.4+json'),
    ['--insecure-ignore-tlog'],
  ],
  'sha3-digest': [
    'msg',
    (b) => (b['messageSignature'].messageDigest.algorithm = 'SHA3_256'),
    ['--insecure-ignore-tlog'],
  ],
  'sha384-label': [
    'msg',
    (b) => (b['messageSignature'].messageDigest.algorithm = 'SHA2_384'),
    ['--insecure-ignore-tlog'],
  ],
  'dsse-key-ignore-tlog': ['dsse', () => {}, ['--insecure-ignore-tlog']],
};

const variant = (dir: string, name: string): Json => {
  const [base, change] = VARIANTS[name]!;
  const b = JSON.parse(readFileSync(join(dir, `${base}.sigstore.json`), 'utf8')) as Json;
  change(b);
  return b;
};

async function buildKeyBundles(dir: string): Promise<void> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await mkdir(a);
  await mkdir(b);
  await cosignKeypair(a);
  await cosignKeypair(b);
  const file = join(dir, 'artifact.txt');
  await writeFile(file, ARTIFACT);
  await writeFile(join(dir, 'predicate.json'), '{"fixture":"sigscan"}');
  const common = ['--key', join(a, 'cosign.key'), '--new-bundle-format', '--tlog-upload=false', '--yes'];
  await cosign(['sign-blob', ...common, '--bundle', join(dir, 'msg.sigstore.json'), file]);
  await breathe();
  await cosign([
    'attest-blob',
    ...common,
    '--bundle',
    join(dir, 'dsse.sigstore.json'),
    '--predicate',
    join(dir, 'predicate.json'),
    '--type',
    'custom',
    file,
  ]);
  const verdicts: Record<string, number> = {};
  for (const name of Object.keys(VARIANTS)) {
    await breathe();
    const [base, , flags] = VARIANTS[name]!;
    const path = join(dir, `variant-${name}.json`);
    await writeFile(path, JSON.stringify(variant(dir, name)));
    const key = join(flags.includes('--wrong-key') ? b : a, 'cosign.pub');
    const res = await cosign(
      [
        base === 'msg' ? 'verify-blob' : 'verify-blob-attestation',
        ...(base === 'dsse' ? ['--type', 'custom'] : []),
        '--key',
        key,
        '--new-bundle-format',
        `--bundle=${path}`,
        `--trusted-root=${PRODUCTION}`,
        ...flags.filter((f) => f !== '--wrong-key'),
        file,
      ],
      { check: false },
    );
    verdicts[name] = res.code ?? -1;
  }
  await writeFile(join(dir, 'cosign.json'), JSON.stringify(verdicts));
}

describe('key-signed bundles made by cosign', () => {
  let dir: string;
  let keyA: TrustedKey;
  let keyB: TrustedKey;
  let theirs: Record<string, number>;

  beforeAll(async () => {
    dir = await cachedFixtureDir('sigstore-key-bundles-v1', buildKeyBundles);
    keyA = await readPublicKey(join(dir, 'a', 'cosign.pub'));
    keyB = await readPublicKey(join(dir, 'b', 'cosign.pub'));
    theirs = JSON.parse(readFileSync(join(dir, 'cosign.json'), 'utf8')) as Record<string, number>;
  }, 240_000);

  const keyCtx = (keys: TrustedKey[], ignoreTlog = true) => {
    const config = emptyTrustConfig();
    config.keys = keys;
    if (ignoreTlog) config.insecureIgnoreTlog = true;
    return { config, now: new Date() };
  };
  const ours = async (b: unknown, keys: TrustedKey[], ignoreTlog = true, signedBy: SignedBy = {}) => {
    const v = await verifySigstoreBundle(b, artifact, keyCtx(keys, ignoreTlog), signedBy);
    return [v.status, v.code, v.message];
  };
  const byDigest = async (b: unknown, d: string) => {
    const v = await verifySigstoreBundleDigest(b, { digest: d }, keyCtx([]));
    return [v.status, v.code, v.message];
  };
  const NO_KEY = ['unverified', 'NO_TRUST_ROOT', 'key-signed Sigstore bundle; pass --key to verify it'];

  it('verifies with its key and --insecure-ignore-tlog, names the key; cosign agrees', async () => {
    const signedBy: SignedBy = {};
    expect(await ours(variant(dir, 'key-ignore-tlog'), [keyB, keyA], true, signedBy)).toEqual([
      'verified',
      'KEY_VERIFIED',
      `bundle signature verifies with key ${keyA.path} (ECDSA-P-256) at an unverified time; ${TLOG_NOT_REQUIRED}`,
    ]);
    expect(signedBy.key).toBe(keyA);
    expect(theirs['key-ignore-tlog']).toBe(0);
  });

  it('an empty RFC 3161 timestamp list is no timestamp: still verified without a signing time', async () => {
    const b = variant(dir, 'key-ignore-tlog');
    b['verificationMaterial'].timestampVerificationData = { rfc3161Timestamps: [] };
    expect((await ours(b, [keyA])).slice(0, 2)).toEqual(['verified', 'KEY_VERIFIED']);
  });

  it('without --insecure-ignore-tlog: untrusted TLOG_MISSING, as cosign refuses it', async () => {
    expect(await ours(variant(dir, 'key-needs-tlog'), [keyA], false)).toEqual([
      'untrusted',
      'TLOG_MISSING',
      `the bundle signature verifies with key ${keyA.path} (ECDSA-P-256), but carries no transparency-log (Rekor) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one`,
    ]);
    expect(theirs['key-needs-tlog']).not.toBe(0);
  });

  it('another key: untrusted KEY_NOT_TRUSTED, not the signature failure itself; cosign refuses', async () => {
    const signedBy: SignedBy = {};
    const [status, code, message] = await ours(variant(dir, 'wrong-key'), [keyB], true, signedBy);
    expect([status, code]).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
    expect(message).toMatch(/^the bundle signature does not verify with any supplied key \(.+\)$/);
    expect(signedBy.key).toBeUndefined();
    expect(theirs['wrong-key']).not.toBe(0);
  });

  it('a Rekor entry grafted from another bundle: the tlog failure wins over KEY_NOT_TRUSTED', async () => {
    const donor = JSON.parse(
      readFileSync(
        join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'managed-key-happy-path', 'bundle.sigstore.json'),
        'utf8',
      ),
    ) as Json;
    const b = variant(dir, 'key-ignore-tlog');
    b['verificationMaterial'].tlogEntries = donor['verificationMaterial'].tlogEntries;
    const ctx = keyCtx([keyA]);
    ctx.config.trustedRoots = [PRODUCTION];
    const v = await verifySigstoreBundle(b, artifact, ctx);
    expect([v.status, v.code]).toEqual(['invalid', 'TLOG_ENTRY_MISMATCH']);
  });

  it.each([
    ['media-jsonx', 'application/vnd.dev.sigstore.bundle.v0.3+jsonx'],
    ['media-0.4', 'application/vnd.dev.sigstore.bundle+json;version=0.4'],
    ['media-v0.4', 'application/vnd.dev.sigstore.bundle.v0.4+json'],
  ])('media type %s: invalid MALFORMED_BUNDLE; cosign refuses', async (name, type) => {
    expect(await ours(variant(dir, name), [keyA])).toEqual([
      'invalid',
      'MALFORMED_BUNDLE',
      `unsupported Sigstore bundle media type ${type}`,
    ]);
    expect(theirs[name]).not.toBe(0);
  });

  it('a SHA3-256 message digest: invalid MALFORMED_BUNDLE, with or without the bytes (cosign ignores it)', async () => {
    const b = variant(dir, 'sha3-digest');
    const refusal = ['invalid', 'MALFORMED_BUNDLE', 'unsupported or missing message digest algorithm'];
    expect(await ours(b, [keyA])).toEqual(refusal);
    expect(await byDigest(b, `sha256:${artifactSha256}`)).toEqual(refusal);
    // cosign 2.5 accepts it (exit 0): with the bytes at hand it checks the signature over them with the
    // key's own hash and does not hold the bundle to the messageDigest it declares. sigscan, like
    // sigstore-js, does: stricter than cosign here, never looser.
    expect(theirs['sha3-digest']).toBe(0);
  });

  it('the SHA-256 digest labelled SHA2_384: ARTIFACT_DIGEST_MISMATCH, with or without the bytes (cosign ignores it)', async () => {
    const b = variant(dir, 'sha384-label');
    expect((await ours(b, [keyA])).slice(0, 2)).toEqual(['invalid', 'ARTIFACT_DIGEST_MISMATCH']);
    // Same hex, other algorithm: the algorithm alone must refuse it.
    expect(await byDigest(b, `sha256:${artifactSha256}`)).toEqual([
      'invalid',
      'ARTIFACT_DIGEST_MISMATCH',
      `the bundle message digest is not sha256:${artifactSha256}`,
    ]);
    // cosign accepts it for the same reason as the SHA3-256 label above.
    expect(theirs['sha384-label']).toBe(0);
  });

  it('bytes that do not hash to the digest given: invalid DIGEST_MISMATCH before the bundle is read', async () => {
    const d = `sha256:${createHash('sha256').update('other').digest('hex')}`;
    const v = await verifySigstoreBundleDigest(
      variant(dir, 'key-ignore-tlog'),
      { digest: d, bytes: artifact },
      keyCtx([keyA]),
    );
    expect([v.status, v.code, v.message]).toEqual([
      'invalid',
      'DIGEST_MISMATCH',
      `the artifact bytes do not hash to ${d}`,
    ]);
  });

  it('a grafted entry from a log no trusted root names: untrusted KEY_NOT_TRUSTED, the log failure in the message', async () => {
    const donor = JSON.parse(
      readFileSync(
        join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'managed-key-happy-path', 'bundle.sigstore.json'),
        'utf8',
      ),
    ) as Json;
    const b = variant(dir, 'key-ignore-tlog');
    b['verificationMaterial'].tlogEntries = donor['verificationMaterial'].tlogEntries;
    const [status, code, message] = await ours(b, [keyA]);
    expect([status, code]).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
    expect(message).toMatch(
      /^the bundle signature does not verify with any supplied key \(the transparency log is not in the trusted root: /,
    );
  });

  it('by digest only: the matching digest needs the bytes; another digest is a mismatch', async () => {
    const b = variant(dir, 'key-ignore-tlog');
    expect((await byDigest(b, `sha256:${artifactSha256}`)).slice(0, 2)).toEqual([
      'error',
      'ARTIFACT_UNAVAILABLE',
    ]);
    const other = createHash('sha256').update('other').digest('hex');
    expect(await byDigest(b, `sha256:${other}`)).toEqual([
      'invalid',
      'ARTIFACT_DIGEST_MISMATCH',
      `the bundle message digest is not sha256:${other}`,
    ]);
  });

  describe('through the sigstore-bundle family verifier', () => {
    const FINGERPRINT = 'ab'.repeat(32);
    const evidence = (): Evidence => ({
      family: 'sigstore-bundle',
      location: 'artifact.txt.sigstore.json',
      signer: { sha256Fingerprint: FINGERPRINT },
      details: { keyless: true },
      material: {
        kind: 'sigstore-bundle',
        bundle: variant(dir, 'key-ignore-tlog'),
        artifactDigest: `sha256:${artifactSha256}`,
        artifactBytes: artifact,
      },
    });
    const target: FileTarget = {
      kind: 'file',
      path: 'artifact.txt',
      size: artifact.length,
      digest: `sha256:${artifactSha256}`,
      format: 'blob',
    };

    it('verified with a key: the key becomes the signer, the certificate only a detail', async () => {
      const e = evidence();
      const v = await sigstoreBundleVerifier(e, target, keyCtx([keyA]));
      expect([v.status, v.code]).toEqual(['verified', 'KEY_VERIFIED']);
      expect(e.signer).toEqual({
        keyId: keyA.spkiSha256,
        keySource: keyA.path,
        publicKeyAlgorithm: 'ECDSA-P-256',
      });
      expect(e.details).toStrictEqual({ unverifiedCertificateSha256: FINGERPRINT });
    });

    it('not verified (no log entry, no waiver): the evidence is left as found', async () => {
      const e = evidence();
      const v = await sigstoreBundleVerifier(e, target, keyCtx([keyA], false));
      expect([v.status, v.code]).toEqual(['untrusted', 'TLOG_MISSING']);
      expect(e.signer).toStrictEqual({ sha256Fingerprint: FINGERPRINT });
      expect(e.details).toStrictEqual({ keyless: true });
    });

    it('a bundle matched to another digest than the target: invalid ARTIFACT_DIGEST_MISMATCH', async () => {
      const other = `sha256:${'0'.repeat(64)}`;
      expect(await sigstoreBundleVerifier(evidence(), { ...target, digest: other }, keyCtx([keyA]))).toEqual({
        status: 'invalid',
        code: 'ARTIFACT_DIGEST_MISMATCH',
        message: `the bundle was matched to sha256:${artifactSha256}, not ${other}`,
      });
    });

    it('an attachment bundle is checked against what it is attached to, not the target digest', async () => {
      const e = evidence();
      e.details = { attachedTo: { digest: `sha256:${artifactSha256}` } };
      const v = await sigstoreBundleVerifier(
        e,
        { ...target, digest: `sha256:${'0'.repeat(64)}` },
        keyCtx([keyA]),
      );
      expect([v.status, v.code]).toEqual(['verified', 'KEY_VERIFIED']);
    });

    it('evidence without a bundle: error MALFORMED_SIGNATURE', async () => {
      const e = { ...evidence(), material: { kind: 'cosign' } };
      expect(await sigstoreBundleVerifier(e, target, keyCtx([keyA]))).toEqual({
        status: 'error',
        code: 'MALFORMED_SIGNATURE',
        message: 'Sigstore bundle evidence carries no bundle',
      });
    });
  });

  describe('DSSE (attest-blob) bundle', () => {
    const dsse = (payloadType: string, payload: unknown): Json => {
      const b = variant(dir, 'dsse-key-ignore-tlog');
      b['dsseEnvelope'].payloadType = payloadType;
      b['dsseEnvelope'].payload = Buffer.from(
        typeof payload === 'string' ? payload : JSON.stringify(payload),
      ).toString('base64');
      return b;
    };
    const IN_TOTO = 'application/vnd.in-toto+json';
    const subjects = (...digests: Array<Record<string, string>>) => ({
      _type: 'https://in-toto.io/Statement/v0.1',
      subject: digests.map((digest, i) => ({ name: `s${i}`, digest })),
    });
    const other = createHash('sha256').update('other').digest('hex');
    const ourSha512 = createHash('sha512').update(artifact).digest('hex');

    it('verifies with its key and --insecure-ignore-tlog; cosign verify-blob-attestation agrees', async () => {
      expect((await ours(variant(dir, 'dsse-key-ignore-tlog'), [keyA])).slice(0, 2)).toEqual([
        'verified',
        'KEY_VERIFIED',
      ]);
      expect(theirs['dsse-key-ignore-tlog']).toBe(0);
    });

    it('a payload type other than in-toto: unverified UNSUPPORTED, with or without the bytes', async () => {
      const b = dsse('text/plain', subjects({ sha256: artifactSha256 }));
      const refusal = [
        'unverified',
        'UNSUPPORTED',
        'DSSE payload type text/plain cannot be bound to an artifact',
      ];
      expect(await ours(b, [])).toEqual(refusal);
      expect(await byDigest(b, `sha256:${artifactSha256}`)).toEqual(refusal);
    });

    it.each([
      ['no subject list', { subject: { sha256: 'x' } }, 'in-toto statement: no subject list'],
      ['not JSON', '{"subject": [', undefined],
    ])('%s: invalid MALFORMED_BUNDLE, with or without the bytes', async (_, payload, message) => {
      const b = dsse(IN_TOTO, payload);
      for (const v of [await ours(b, []), await byDigest(b, `sha256:${artifactSha256}`)]) {
        expect(v.slice(0, 2)).toEqual(['invalid', 'MALFORMED_BUNDLE']);
        if (message) expect(v[2]).toBe(message);
        else expect(v[2]).toMatch(/^in-toto statement: /);
      }
    });

    it('one matching subject among others binds (by bytes and by digest)', async () => {
      const b = dsse(IN_TOTO, subjects({ sha256: other }, { sha256: artifactSha256.toUpperCase() }));
      expect(await ours(b, [])).toEqual(NO_KEY);
      expect(await byDigest(b, `sha256:${artifactSha256}`)).toEqual(NO_KEY);
    });

    it('one matching digest among wrong ones in a subject binds', async () => {
      const b = dsse(IN_TOTO, subjects({ sha512: other, sha256: artifactSha256, gitCommit: 'abc' }));
      expect(await ours(b, [])).toEqual(NO_KEY);
    });

    it.each([
      ['a wrong sha256', { sha256: other }],
      ['an algorithm sigscan does not hash', { md5: artifactSha256 }],
      ['the sha256 under the sha512 name', { sha512: artifactSha256 }],
    ])('%s only: invalid ARTIFACT_DIGEST_MISMATCH', async (_, digest) => {
      expect(await ours(dsse(IN_TOTO, subjects(digest)), [])).toEqual([
        'invalid',
        'ARTIFACT_DIGEST_MISMATCH',
        'no in-toto subject names the artifact digest',
      ]);
    });

    it('by digest, the subject must name the same algorithm', async () => {
      const b = dsse(IN_TOTO, subjects({ sha512: ourSha512 }));
      expect(await byDigest(b, `sha512:${ourSha512}`)).toEqual(NO_KEY);
      expect(await byDigest(b, `sha256:${artifactSha256}`)).toEqual([
        'invalid',
        'ARTIFACT_DIGEST_MISMATCH',
        `no in-toto subject names sha256:${artifactSha256}`,
      ]);
    });
  });
});

/**
 * The trust-anchor rule on `x509CertificateChain` bundles (§2.9): the conformance case
 * bundle-with-root-cert_fail carries the leaf, the Fulcio root and the intermediate, in that order; cut down, it shows that only
 * a self-signed certificate after the leaf is refused by that rule.
 */
describe('certificate chains in the bundle', () => {
  const CASE = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'bundle-with-root-cert_fail');
  const withRoot = JSON.parse(readFileSync(join(CASE, 'bundle.sigstore.json'), 'utf8')) as Json;
  const file = new Uint8Array(readFileSync(join(CASE, 'artifact')));
  const keyless = async (certs: number[]) => {
    const b = structuredClone(withRoot);
    const chain = b['verificationMaterial'].x509CertificateChain.certificates as unknown[];
    b['verificationMaterial'].x509CertificateChain.certificates = certs.map((i) => chain[i]);
    const config = emptyTrustConfig();
    config.trustedRoots = [PRODUCTION];
    config.certificateIdentity = BEACON;
    config.certificateOidcIssuer = 'https://token.actions.githubusercontent.com';
    const v = await verifySigstoreBundle(b, file, { config, now: new Date() });
    return [v.status, v.code, v.message];
  };
  const BEACON =
    'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
  const ROOT_REFUSAL = ['invalid', 'MALFORMED_BUNDLE', 'the bundle carries a root certificate'];

  it('leaf, root, intermediate: the root is refused', async () => {
    expect(await keyless([0, 1, 2])).toEqual(ROOT_REFUSAL);
  });

  it('leaf and intermediate: no anchor, so the rule lets it through to verification', async () => {
    // happy-path-v0.1 carries its leaf alone; the intermediate added is the Fulcio one that issued it.
    const happy = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'happy-path-v0.1');
    const b = JSON.parse(readFileSync(join(happy, 'bundle.sigstore.json'), 'utf8')) as Json;
    const intermediate = withRoot['verificationMaterial'].x509CertificateChain.certificates[2] as unknown;
    b['verificationMaterial'].x509CertificateChain.certificates.push(intermediate);
    const config = emptyTrustConfig();
    config.trustedRoots = [PRODUCTION];
    config.certificateIdentity = BEACON;
    config.certificateOidcIssuer = 'https://token.actions.githubusercontent.com';
    const artifactA = new Uint8Array(
      readFileSync(join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'a.txt')),
    );
    const v = await verifySigstoreBundle(b, artifactA, { config, now: new Date() });
    expect([v.status, v.code]).toEqual(['verified', 'KEYLESS_VERIFIED']);
  });

  it('the root alone as the leaf: not refused by this rule (the leaf is not checked for it)', async () => {
    expect((await keyless([1])).slice(0, 2)).toEqual(['untrusted', 'CHAIN_UNTRUSTED']);
  });
});

/**
 * A key-signed bundle whose log entry proves inclusion but no time (conformance managed-key-happy-path with
 * its TSA timestamp and SET removed and integratedTime 0, as a Rekor v2 entry has): the entry is there, so
 * a time is required, and there is none.
 */
describe('key-signed bundle with a log entry but no time', () => {
  const CASE = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'managed-key-happy-path');

  it('not verified (KEY_NOT_TRUSTED, for want of a time): --insecure-ignore-tlog does not waive the time', async () => {
    const b = JSON.parse(readFileSync(join(CASE, 'bundle.sigstore.json'), 'utf8')) as Json;
    delete b['verificationMaterial'].timestampVerificationData;
    const entry = b['verificationMaterial'].tlogEntries[0] as Json;
    delete entry['inclusionPromise'];
    entry['integratedTime'] = '0';
    const config = emptyTrustConfig();
    config.keys = [await readPublicKey(join(CASE, 'key.pub'))];
    config.trustedRoots = [PRODUCTION];
    config.insecureIgnoreTlog = true;
    const v = await verifySigstoreBundle(
      b,
      new Uint8Array(readFileSync(join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'a.txt'))),
      {
        config,
        now: new Date(),
      },
    );
    expect([v.status, v.code]).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
    expect(v.message).toContain('expected 1 timestamps, got 0');
  });
});
