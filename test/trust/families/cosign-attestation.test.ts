/**
 * cosignAttestationVerifier, keyless (issue #18): the decisions `cosign verify-attestation` makes for a
 * Fulcio-certified DSSE attestation, driven at unit level with real cosign output so Stryker runs them.
 *
 * The material is the corpus' cosign OCI attestation (cosign/cosign-repo/oci-attestation.sigstore.json:
 * made by cosign against the public-good instance, Fulcio certificate for cody@soyland.com, GitHub OAuth
 * issuer, Rekor dsse entry 175508996 with SET) laid out as cosign attaches it to a `.att` layer: the
 * DSSE envelope as the layer blob, the certificate and the Rekor bundle as the layer annotations. Each
 * case removes or changes one input: SAN/issuer policy, SCT (CT logs of the trusted root), Rekor entry,
 * Fulcio CA, signature, SET; `--at` never stands in for a logged signing time.
 */
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { attestationEvidence, type DsseMaterial } from '../../../src/detectors/cosign-attestation.js';
import type { Evidence, ImageTarget, Verdict } from '../../../src/model/index.js';
import {
  emptyTrustConfig,
  readCertificates,
  readPublicKey,
  type TrustConfig,
} from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { cosignAttestationVerifier } from '../../../src/trust/families/cosign-attestation.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { makeRevocationCa } from '../../helpers/revocation-pki.js';
import { run } from '../../helpers/tools.js';
import { cosign, cosignKeypair } from '../../helpers/cosign.js';
import { cosignSignBytes } from '../../helpers/cosign-surgery.js';

const DIR = join(CORPUS_DIR, 'cosign', 'cosign-repo');
const ROOT_PATH = join(DIR, 'trusted_root_pgi.json');
const IDENTITY = 'cody@soyland.com';
const ISSUER = 'https://github.com/login/oauth';
// The in-toto subject of the attestation (expected.json "cosign/cosign-repo/oci-attestation.sigstore.json").
const SUBJECT = 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4';
const INTEGRATED = '2025-02-28T19:18:11.000Z';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const bundle = JSON.parse(readFileSync(join(DIR, 'oci-attestation.sigstore.json'), 'utf8')) as Json;
const rootJson = JSON.parse(readFileSync(ROOT_PATH, 'utf8')) as Json;
const work = mkdtempSync(join(tmpdir(), 'sigscan-cosign-att-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const IMAGE: ImageTarget = {
  kind: 'image',
  registry: '127.0.0.1:60943',
  repository: 'repo',
  digest: SUBJECT,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
};

const certDer = Buffer.from(bundle['verificationMaterial'].certificate.rawBytes, 'base64');
const certPem = new X509Certificate(certDer).toString();

/** The `.att` layer cosign writes for this signature: envelope blob + certificate and Rekor annotations. */
function layer(
  edit: { envelope?: (e: Json) => void; rekor?: (r: Json) => void; noRekor?: boolean } = {},
): Evidence {
  const env = structuredClone(bundle['dsseEnvelope']) as Json;
  edit.envelope?.(env);
  const entry = bundle['verificationMaterial'].tlogEntries[0];
  const rekor: Json = {
    SignedEntryTimestamp: entry.inclusionPromise.signedEntryTimestamp,
    Payload: {
      body: entry.canonicalizedBody,
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: Buffer.from(entry.logId.keyId, 'base64').toString('hex'),
    },
  };
  edit.rekor?.(rekor);
  const annotations: Record<string, string> = {
    'dev.cosignproject.cosign/signature': '',
    'dev.sigstore.cosign/certificate': certPem,
  };
  if (!edit.noRekor) annotations['dev.sigstore.cosign/bundle'] = JSON.stringify(rekor);
  return attestationEvidence(
    IMAGE,
    'sha256-x.att#layer0',
    annotations,
    new TextEncoder().encode(JSON.stringify(env)),
  );
}

/** A trusted root file: the corpus one, edited. */
function trustedRoot(name: string, edit?: (r: Json) => void): string {
  const r = structuredClone(rootJson);
  edit?.(r);
  const path = join(work, `${name}.trusted_root.json`);
  writeFileSync(path, JSON.stringify(r));
  return path;
}

/** The Fulcio root and intermediate of the trusted root, as a `--trust-root` PEM file. */
function fulcioPem(): string {
  const path = join(work, 'fulcio.pem');
  const pems = (rootJson['certificateAuthorities'] as Json[]).flatMap((ca) =>
    (ca['certChain'].certificates as Json[]).map((c) =>
      new X509Certificate(Buffer.from(c['rawBytes'], 'base64')).toString(),
    ),
  );
  writeFileSync(path, pems.join(''));
  return path;
}

async function config(parts: Partial<TrustConfig> & { trustRootPem?: string; keyPem?: string } = {}) {
  const c: TrustConfig = { ...emptyTrustConfig(), ...parts };
  if (parts.trustRootPem) c.roots = await readCertificates(parts.trustRootPem, '--trust-root');
  if (parts.keyPem) c.keys = [await readPublicKey(parts.keyPem)];
  return c;
}
const POLICY = { certificateIdentity: IDENTITY, certificateOidcIssuer: ISSUER };

async function full(e: Evidence, c: TrustConfig): Promise<[string, string, string]> {
  const v: Verdict = await cosignAttestationVerifier(e, IMAGE, { config: c, now: c.at ?? new Date() });
  return [v.status, v.code, v.message];
}

async function verdict(e: Evidence, c: TrustConfig): Promise<[string, string]> {
  const v: Verdict = await cosignAttestationVerifier(e, IMAGE, { config: c, now: c.at ?? new Date() });
  return [v.status, v.code];
}

describe('cosignAttestationVerifier: keyless attestation from the corpus', () => {
  it('the layer as cosign attaches it: no integrity finding, the certificate and Rekor entry read', () => {
    const e = layer();
    expect((e.findings ?? []).filter((f) => f.severity === 'integrity')).toEqual([]);
    const m = e.material as DsseMaterial;
    expect(m.signatures).toHaveLength(1);
    expect(m.rekorBundle?.logIndex).toBe(175508996);
    expect(e.signer.subjectAlternativeNames).toEqual([`email:${IDENTITY}`]);
  });

  it('with the trusted root and the identity policy: verified KEYLESS_VERIFIED at the Rekor time', async () => {
    const c = await config({ trustedRoots: [ROOT_PATH], ...POLICY });
    const v = await cosignAttestationVerifier(layer(), IMAGE, { config: c, now: new Date() });
    expect([v.status, v.code]).toEqual(['verified', 'KEYLESS_VERIFIED']);
    expect(v.message).toBe(
      `keyless attestation by ${IDENTITY} (issuer ${ISSUER}) verified with ${ROOT_PATH} at ${INTEGRATED}`,
    );
  });

  describe('identity policy (SAN and issuer)', () => {
    it('none, or half of one: unverified IDENTITY_POLICY_MISSING, never verified', async () => {
      for (const p of [{}, { certificateIdentity: IDENTITY }, { certificateOidcIssuer: ISSUER }]) {
        expect(await verdict(layer(), await config({ trustedRoots: [ROOT_PATH], ...p }))).toEqual([
          'unverified',
          'IDENTITY_POLICY_MISSING',
        ]);
      }
      const c = await config({ trustedRoots: [ROOT_PATH] });
      const v = await cosignAttestationVerifier(layer(), IMAGE, { config: c, now: new Date() });
      expect(v.message).toBe(
        `keyless attestation by ${IDENTITY} (issuer ${ISSUER}) chains to a Fulcio CA, but no identity policy was given: pass --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]`,
      );
    });

    it('another SAN: untrusted IDENTITY_MISMATCH; another issuer: untrusted ISSUER_MISMATCH', async () => {
      const base = { trustedRoots: [ROOT_PATH], ...POLICY };
      expect(
        await verdict(layer(), await config({ ...base, certificateIdentity: 'someone@soyland.com' })),
      ).toEqual(['untrusted', 'IDENTITY_MISMATCH']);
      expect(
        await verdict(
          layer(),
          await config({ ...base, certificateOidcIssuer: 'https://accounts.google.com' }),
        ),
      ).toEqual(['untrusted', 'ISSUER_MISMATCH']);
    });

    it('a regexp policy is anchored: a prefix does not match, the whole address does', async () => {
      const base = { trustedRoots: [ROOT_PATH], certificateOidcIssuer: ISSUER };
      expect(
        await verdict(layer(), await config({ ...base, certificateIdentityRegexp: /^(?:cody)$/ })),
      ).toEqual(['untrusted', 'IDENTITY_MISMATCH']);
      expect(
        await verdict(layer(), await config({ ...base, certificateIdentityRegexp: /^(?:.*@soyland\.com)$/ })),
      ).toEqual(['verified', 'KEYLESS_VERIFIED']);
    });
  });

  it('a trusted root without the CT log: untrusted SCT_INVALID (the embedded SCT cannot be checked)', async () => {
    const noCt = trustedRoot('no-ct', (r) => {
      r['ctlogs'] = [];
    });
    expect(await verdict(layer(), await config({ trustedRoots: [noCt], ...POLICY }))).toEqual([
      'untrusted',
      'SCT_INVALID',
    ]);
  });

  it('a trusted root without the Fulcio CAs: untrusted CHAIN_UNTRUSTED', async () => {
    const noCa = trustedRoot('no-ca', (r) => {
      r['certificateAuthorities'] = [];
    });
    expect(await verdict(layer(), await config({ trustedRoots: [noCa], ...POLICY }))).toEqual([
      'untrusted',
      'CHAIN_UNTRUSTED',
    ]);
  });

  describe('the signing time', () => {
    it('no Rekor entry: untrusted TLOG_MISSING, with or without --at inside the certificate', async () => {
      const c = await config({ trustedRoots: [ROOT_PATH], ...POLICY });
      expect(await verdict(layer({ noRekor: true }), c)).toEqual(['untrusted', 'TLOG_MISSING']);
      // cosign's reason first, naming the signer the certificate's key verified.
      expect((await full(layer({ noRekor: true }), c))[2]).toMatch(
        new RegExp(
          `^the DSSE signature verifies with the certificate of ${IDENTITY}, but carries no transparency-log \\(Rekor\\) entry, which cosign requires`,
        ),
      );
      // Seconds after the logged time, inside the ten-minute certificate: --at proves nothing.
      const at = new Date(Date.parse(INTEGRATED) + 5_000);
      expect(await verdict(layer({ noRekor: true }), { ...c, at })).toEqual(['untrusted', 'TLOG_MISSING']);
    });

    it('the Fulcio CA as a private-PKI --trust-root: untrusted TLOG_MISSING, even at --at inside the certificate', async () => {
      const at = new Date(Date.parse(INTEGRATED) + 5_000);
      const c = await config({ trustRootPem: fulcioPem(), ...POLICY, at });
      expect(await verdict(layer(), c)).toEqual(['untrusted', 'TLOG_MISSING']);
      expect(await verdict(layer({ noRekor: true }), c)).toEqual(['untrusted', 'TLOG_MISSING']);
      // With the trusted root beside it, the logged time decides: verified.
      expect(await verdict(layer(), { ...c, trustedRoots: [ROOT_PATH] })).toEqual([
        'verified',
        'KEYLESS_VERIFIED',
      ]);
    });

    it('an integrated time moved by a minute: the SET breaks, invalid TLOG_INVALID', async () => {
      const e = layer({
        rekor: (r) => {
          r['Payload'].integratedTime += 60;
        },
      });
      expect(await verdict(e, await config({ trustedRoots: [ROOT_PATH], ...POLICY }))).toEqual([
        'invalid',
        'TLOG_INVALID',
      ]);
    });
  });

  it('the DSSE signature altered: invalid SIGNATURE_INVALID before any trust input is read', async () => {
    const e = layer({
      envelope: (env) => {
        const sig = Buffer.from(env['signatures'][0].sig, 'base64');
        sig[sig.length - 3] = sig[sig.length - 3]! ^ 1;
        env['signatures'][0].sig = sig.toString('base64');
      },
    });
    expect(await verdict(e, await config({ trustedRoots: [ROOT_PATH], ...POLICY }))).toEqual([
      'invalid',
      'SIGNATURE_INVALID',
    ]);
  });

  it('no trust input: unverified NO_TRUST_ROOT; only a key that is not the signer: untrusted KEY_NOT_TRUSTED', async () => {
    expect(await verdict(layer(), await config())).toEqual(['unverified', 'NO_TRUST_ROOT']);
    const other = join(CORPUS_DIR, 'cosign', 'containers-image', 'cosign.pub');
    expect(await verdict(layer(), await config({ keyPem: other }))).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
  });

  it('of a private-PKI and a Sigstore failure, the more severe is returned', async () => {
    const moved = layer({
      rekor: (r) => {
        r['Payload'].integratedTime += 60;
      },
    });
    // --trust-root: untrusted TLOG_MISSING; --trusted-root: the SET breaks, invalid TLOG_INVALID.
    const c = await config({ trustRootPem: fulcioPem(), trustedRoots: [ROOT_PATH], ...POLICY });
    expect(await verdict(moved, c)).toEqual(['invalid', 'TLOG_INVALID']);
  });

  it('says which input is missing (messages)', async () => {
    // A Fulcio certificate has an empty subject: it is named by its SAN.
    expect(await full(layer(), await config({ trustRootPem: fulcioPem(), ...POLICY }))).toEqual([
      'untrusted',
      'TLOG_MISSING',
      `the certificate of ${IDENTITY} is a keyless (Fulcio) certificate; it is verified only with --trusted-root and a Rekor entry proving when it signed`,
    ]);
    expect(await full(layer(), await config())).toEqual([
      'unverified',
      'NO_TRUST_ROOT',
      'DSSE signature valid with its certificate; no trust root was supplied',
    ]);
    const other = join(CORPUS_DIR, 'cosign', 'containers-image', 'cosign.pub');
    expect(await full(layer(), await config({ keyPem: other }))).toEqual([
      'untrusted',
      'KEY_NOT_TRUSTED',
      'the DSSE signature verifies with its certificate, but with none of the supplied keys',
    ]);
  });
});

/**
 * The same real attestation verified with `--key` (the Fulcio certificate's own public key, written as
 * a PEM SPKI): cosign verify-attestation --key checks the Rekor entry before the signer (issue #11), so
 * the entry must be present and verify with `--trusted-root`, unless --insecure-ignore-tlog.
 */
describe('cosign attestation with --key: the transparency log is required', () => {
  const keyPem = join(work, 'cert-key.pub');
  writeFileSync(keyPem, new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'pem' }));

  it('with its Rekor entry and the trusted root: verified, naming the entry', async () => {
    const [status, code, message] = await full(layer(), await config({ keyPem, trustedRoots: [ROOT_PATH] }));
    expect([status, code]).toEqual(['verified', 'KEY_VERIFIED']);
    expect(message).toMatch(/Rekor entry \d+ verified$/);
  });

  it('with its Rekor entry but no trusted root: unverified TLOG_UNCHECKED, never verified', async () => {
    expect(await verdict(layer(), await config({ keyPem }))).toEqual(['unverified', 'TLOG_UNCHECKED']);
  });

  it('a Rekor entry whose integrated time moved: invalid TLOG_INVALID, even with --insecure-ignore-tlog', async () => {
    const moved = layer({
      rekor: (r) => {
        r['Payload'].integratedTime += 60;
      },
    });
    const c = await config({ keyPem, trustedRoots: [ROOT_PATH] });
    expect(await verdict(moved, c)).toEqual(['invalid', 'TLOG_INVALID']);
    expect(await verdict(moved, { ...c, insecureIgnoreTlog: true })).toEqual(['invalid', 'TLOG_INVALID']);
  });

  it('the Rekor bundle stripped: untrusted TLOG_MISSING; --insecure-ignore-tlog accepts it and says so', async () => {
    const c = await config({ keyPem, trustedRoots: [ROOT_PATH] });
    const [status, code, message] = await full(layer({ noRekor: true }), c);
    expect([status, code]).toEqual(['untrusted', 'TLOG_MISSING']);
    expect(message).toContain('pass --insecure-ignore-tlog');
    const waived = await full(layer({ noRekor: true }), { ...c, insecureIgnoreTlog: true });
    expect(waived.slice(0, 2)).toEqual(['verified', 'KEY_VERIFIED']);
    expect(waived[2]).toContain('transparency log not required (--insecure-ignore-tlog)');
  });
});

/**
 * A private-PKI attestation (issue #18): an in-toto statement naming IMAGE, its PAE signed by `openssl
 * dgst -sha256` with the key of an `openssl ca` leaf (RSA PKCS #1 v1.5 over SHA-256, as cosign signs with
 * an RSA key; extendedKeyUsage codeSigning), the leaf and CA attached as cosign attaches them. Made once
 * a day (.cache/test-fixtures). No Rekor entry: cosign 2.x requires one unless --insecure-ignore-tlog.
 */
describe('cosign attestation with a private-PKI certificate (--trust-root)', () => {
  let fx: string;
  const PAYLOAD = JSON.stringify({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://cosign.sigstore.dev/attestation/v1',
    subject: [{ name: 'app', digest: { sha256: SUBJECT.slice(7) } }],
    predicate: { Data: 'private pki', Timestamp: '2026-12-06T00:00:00Z' },
  });
  const TYPE = 'application/vnd.in-toto+json';
  const LEAF = 'CN=Sigscan Attester,O=Sigscan Test';

  beforeAll(async () => {
    fx = await cachedFixtureDir('csn-cosign-att-pki-v3', async (d) => {
      const ca = await makeRevocationCa(join(d, 'ca'), '/O=Sigscan Test/CN=Sigscan Attestation CA');
      const leaf = await ca.issue('leaf', 'Sigscan Attester');
      const other = await makeRevocationCa(join(d, 'other'), '/O=Sigscan Test/CN=Another CA');
      writeFileSync(join(d, 'other-ca.pem'), readFileSync(other.caPem));
      writeFileSync(join(d, 'ca.pem'), readFileSync(ca.caPem));
      writeFileSync(join(d, 'leaf.pem'), readFileSync(leaf.cert));
      const pae = join(d, 'pae.bin');
      writeFileSync(pae, `DSSEv1 ${TYPE.length} ${TYPE} ${Buffer.byteLength(PAYLOAD)} ${PAYLOAD}`);
      await run('openssl', ['dgst', '-sha256', '-sign', leaf.key, '-out', join(d, 'pae.sig'), pae]);
      // The attack DSSE exists to stop: a signature over the raw payload, not over PAE(type, payload).
      writeFileSync(join(d, 'payload.bin'), PAYLOAD);
      await run('openssl', [
        'dgst',
        '-sha256',
        '-sign',
        leaf.key,
        '-out',
        join(d, 'raw.sig'),
        join(d, 'payload.bin'),
      ]);
      // A test log standing in for Rekor (the corpus has no logged private-PKI attestation): a dsse
      // v0.0.1 body recording this signature, payload hash and certificate as Rekor records them, its SET
      // signed by an openssl P-256 log key over the canonical JSON, and a trusted root naming that key.
      const logKey = join(d, 'log.key');
      await run('openssl', [
        'genpkey',
        '-algorithm',
        'EC',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-out',
        logKey,
      ]);
      const spki = createPublicKey(readFileSync(logKey)).export({ type: 'spki', format: 'der' });
      const logId = createHash('sha256').update(spki).digest();
      const root = structuredClone(rootJson);
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
          kind: 'dsse',
          spec: {
            payloadHash: { algorithm: 'sha256', value: createHash('sha256').update(PAYLOAD).digest('hex') },
            signatures: [
              {
                signature: readFileSync(join(d, 'pae.sig')).toString('base64'),
                verifier: Buffer.from(readFileSync(leaf.cert, 'utf8')).toString('base64'),
              },
            ],
          },
        }),
      ).toString('base64');
      const integratedTime =
        Math.floor(Date.parse(new X509Certificate(readFileSync(leaf.cert)).validFrom) / 1000) + 3600;
      // Canonical JSON (RFC 8785): keys sorted, no spaces; these keys are already in order.
      const entry = { body, integratedTime, logID: logId.toString('hex'), logIndex: 7 };
      writeFileSync(join(d, 'set-input'), JSON.stringify(entry));
      await run('openssl', [
        'dgst',
        '-sha256',
        '-sign',
        logKey,
        '-out',
        join(d, 'set'),
        join(d, 'set-input'),
      ]);
      writeFileSync(
        join(d, 'rekor.json'),
        JSON.stringify({
          body,
          integratedTime,
          logIndex: 7,
          logId: logId.toString('hex'),
          signedEntryTimestamp: readFileSync(join(d, 'set')).toString('base64'),
        }),
      );
    });
  }, 120_000);

  const pkiLayer = (
    opts: { leafDer?: (der: Buffer) => void; rekor?: boolean | 'test-log'; sig?: string } = {},
  ): Evidence => {
    const der = Buffer.from(new X509Certificate(readFileSync(join(fx, 'leaf.pem'))).raw);
    opts.leafDer?.(der);
    const annotations: Record<string, string> = {
      'dev.cosignproject.cosign/signature': '',
      'dev.sigstore.cosign/certificate': new X509Certificate(der).toString(),
      'dev.sigstore.cosign/chain': readFileSync(join(fx, 'ca.pem'), 'utf8'),
    };
    const env = {
      payloadType: TYPE,
      payload: Buffer.from(PAYLOAD).toString('base64'),
      signatures: [{ keyid: '', sig: readFileSync(join(fx, opts.sig ?? 'pae.sig')).toString('base64') }],
    };
    const e = attestationEvidence(
      IMAGE,
      'sha256-x.att#layer0',
      annotations,
      Buffer.from(JSON.stringify(env)),
    );
    if (!opts.rekor) return e;
    // The corpus attestation's real, SET-signed Rekor entry: it records another signer and envelope.
    const rekorBundle =
      opts.rekor === 'test-log'
        ? (JSON.parse(readFileSync(join(fx, 'rekor.json'), 'utf8')) as DsseMaterial['rekorBundle'])
        : (layer().material as DsseMaterial).rekorBundle;
    return { ...e, material: { ...(e.material as DsseMaterial), rekorBundle } };
  };

  it('chains to --trust-root: untrusted TLOG_MISSING; verified CHAIN_VALID under --insecure-ignore-tlog', async () => {
    const c = await config({ trustRootPem: join(fx, 'ca.pem') });
    expect((await full(pkiLayer(), c)).slice(0, 2)).toEqual(['untrusted', 'TLOG_MISSING']);
    const [status, code, message] = await full(pkiLayer(), { ...c, insecureIgnoreTlog: true });
    expect([status, code]).toEqual(['verified', 'CHAIN_VALID']);
    expect(message).toMatch(
      new RegExp(`^signed by ${LEAF}, .+; transparency log not required \\(--insecure-ignore-tlog\\)$`),
    );
  });

  it('a signature over the raw payload instead of its PAE: invalid SIGNATURE_INVALID', async () => {
    const c = await config({ trustRootPem: join(fx, 'ca.pem'), insecureIgnoreTlog: true });
    expect(await full(pkiLayer({ sig: 'raw.sig' }), c)).toEqual([
      'invalid',
      'SIGNATURE_INVALID',
      'the DSSE signature does not verify with the attached certificate',
    ]);
  });

  it('verified by --trust-root although --trusted-root (Sigstore) does not know the certificate', async () => {
    const c = await config({
      trustRootPem: join(fx, 'ca.pem'),
      trustedRoots: [ROOT_PATH],
      insecureIgnoreTlog: true,
    });
    expect(await verdict(pkiLayer(), c)).toEqual(['verified', 'CHAIN_VALID']);
  });

  it('another CA: untrusted, the signature valid but the chain not', async () => {
    const c = await config({ trustRootPem: join(fx, 'other-ca.pem'), insecureIgnoreTlog: true });
    const [status, code, message] = await full(pkiLayer(), c);
    expect([status, code]).toEqual(['untrusted', 'CHAIN_UNTRUSTED']);
    expect(message).toMatch(/^signature valid but /);
  });

  it("a leaf whose CA signature is broken: invalid CERT_BAD_SIGNATURE, also beside Sigstore's lesser refusal", async () => {
    // A byte inside the CA's signature value: the leaf's key, which signed the PAE, is unchanged.
    const broken = pkiLayer({ leafDer: (der) => void (der[der.length - 5] = der[der.length - 5]! ^ 1) });
    const c = await config({ trustRootPem: join(fx, 'ca.pem'), insecureIgnoreTlog: true });
    expect(await verdict(broken, c)).toEqual(['invalid', 'CERT_BAD_SIGNATURE']);
    expect(await verdict(broken, { ...c, trustedRoots: [ROOT_PATH] })).toEqual([
      'invalid',
      'CERT_BAD_SIGNATURE',
    ]);
  });

  it('logged in a trusted log: verified CHAIN_VALID, checked at the integrated time', async () => {
    const rekor = JSON.parse(readFileSync(join(fx, 'rekor.json'), 'utf8')) as { integratedTime: number };
    const c = await config({
      trustRootPem: join(fx, 'ca.pem'),
      trustedRoots: [join(fx, 'trusted_root.json')],
    });
    const [status, code, message] = await full(pkiLayer({ rekor: 'test-log' }), c);
    expect([status, code], message).toEqual(['verified', 'CHAIN_VALID']);
    expect(message).toMatch(
      new RegExp(
        `^signed by ${LEAF}, .+; Rekor entry 7 verified, checked at its integrated time ${new Date(rekor.integratedTime * 1000).toISOString()}$`,
      ),
    );
  });

  it("another signature's Rekor entry: refused before the chain is trusted", async () => {
    const c = await config({ trustRootPem: join(fx, 'ca.pem') });
    expect(await verdict(pkiLayer({ rekor: true }), c)).toEqual(['unverified', 'TLOG_UNCHECKED']);
    expect(await verdict(pkiLayer({ rekor: true }), { ...c, trustedRoots: [ROOT_PATH] })).toEqual([
      'invalid',
      'TLOG_ENTRY_MISMATCH',
    ]);
  });
});

describe('cosign attestation signed with a key and no certificate', () => {
  const keyPem = join(work, 'bare-key.pub');
  writeFileSync(keyPem, new X509Certificate(certDer).publicKey.export({ type: 'spki', format: 'pem' }));
  const bare = (): Evidence => {
    const e = layer({ noRekor: true });
    const m = e.material as DsseMaterial;
    return { ...e, signer: {}, material: { ...m, certificateDer: undefined } };
  };

  it('no --key: unverified NO_TRUST_ROOT; another key: untrusted KEY_NOT_TRUSTED', async () => {
    expect(await full(bare(), await config())).toEqual([
      'unverified',
      'NO_TRUST_ROOT',
      'attestation signed with a key; no --key was supplied to check it',
    ]);
    const other = join(CORPUS_DIR, 'cosign', 'containers-image', 'cosign.pub');
    expect(await full(bare(), await config({ keyPem: other }))).toEqual([
      'untrusted',
      'KEY_NOT_TRUSTED',
      'the DSSE signature does not verify with any supplied key',
    ]);
  });

  it('the signing key, log waived: verified, naming the key', async () => {
    const c = await config({ keyPem, insecureIgnoreTlog: true });
    const key = c.keys[0]!;
    expect(await full(bare(), c)).toEqual([
      'verified',
      'KEY_VERIFIED',
      `DSSE signature verifies with the supplied key ${key.path} (${key.algorithm}); transparency log not required (--insecure-ignore-tlog)`,
    ]);
  });
});

/**
 * `cosign attest-blob --key` output beside `cosign verify-blob-attestation`'s verdict (issue #18): the
 * envelope as cosign made it, and one whose signature cosign made over the raw statement instead of its
 * PAE (`cosign sign-blob` over the payload bytes). Made once a day (.cache/test-fixtures).
 */
describe('cosign attest-blob envelopes, with cosign verify-blob-attestation beside sigscan', () => {
  let fx: string;
  let says: { made: boolean; raw: boolean; otherSubject: boolean };

  beforeAll(async () => {
    fx = await cachedFixtureDir('csn-cosign-attest-blob-v2', async (d) => {
      const keys = await cosignKeypair(d);
      writeFileSync(join(d, 'manifest.json'), '{"schemaVersion":2,"layers":[]}');
      // Another image's manifest: the attestation's subject does not name it.
      writeFileSync(join(d, 'other.json'), '{"schemaVersion":2,"layers":[{}]}');
      writeFileSync(join(d, 'predicate.json'), '{"Data":"attest-blob fixture"}');
      await cosign(
        [
          'attest-blob',
          '--yes',
          '--key',
          keys.key,
          '--predicate',
          'predicate.json',
          '--type',
          'custom',
          '--tlog-upload=false',
          '--output-signature',
          'made.intoto.json',
          'manifest.json',
        ],
        { cwd: d },
      );
      const env = JSON.parse(readFileSync(join(d, 'made.intoto.json'), 'utf8')) as {
        payload: string;
        signatures: Array<{ sig: string }>;
      };
      const sig = await cosignSignBytes(d, keys.key, Buffer.from(env.payload, 'base64'));
      writeFileSync(join(d, 'raw.intoto.json'), JSON.stringify({ ...env, signatures: [{ keyid: '', sig }] }));
      const accepts = async (file: string, blob = 'manifest.json') =>
        (
          await cosign(
            [
              'verify-blob-attestation',
              '--key',
              keys.pub,
              '--insecure-ignore-tlog',
              '--type',
              'custom',
              '--signature',
              file,
              blob,
            ],
            { cwd: d, check: false },
          )
        ).code === 0;
      writeFileSync(
        join(d, 'cosign-says.json'),
        JSON.stringify({
          made: await accepts('made.intoto.json'),
          raw: await accepts('raw.intoto.json'),
          otherSubject: await accepts('made.intoto.json', 'other.json'),
        }),
      );
    });
    says = JSON.parse(readFileSync(join(fx, 'cosign-says.json'), 'utf8')) as typeof says;
  }, 180_000);

  const evidence = (file: string) =>
    attestationEvidence(IMAGE, 'sha256-x.att#layer0', {}, new Uint8Array(readFileSync(join(fx, file))));

  it('as cosign made it: both verify with the key (tlog waived)', async () => {
    expect(says.made).toBe(true);
    const c = await config({ keyPem: join(fx, 'cosign.pub'), insecureIgnoreTlog: true });
    expect(await verdict(evidence('made.intoto.json'), c)).toEqual(['verified', 'KEY_VERIFIED']);
  });

  it('signed over the raw statement, not its PAE: cosign refuses, sigscan does not verify', async () => {
    expect(says.raw).toBe(false);
    const c = await config({ keyPem: join(fx, 'cosign.pub'), insecureIgnoreTlog: true });
    expect(await verdict(evidence('raw.intoto.json'), c)).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
  });

  it('through the evaluator: bound to the image its subject names, invalid SUBJECT_DIGEST_MISMATCH on another (as cosign refuses another blob)', async () => {
    expect(says.otherSubject).toBe(false);
    const c = await config({ keyPem: join(fx, 'cosign.pub'), insecureIgnoreTlog: true });
    const named = (file: string): ImageTarget => ({
      ...IMAGE,
      digest: `sha256:${createHash('sha256')
        .update(readFileSync(join(fx, file)))
        .digest('hex')}`,
    });
    const judge = async (target: ImageTarget) => {
      const e = attestationEvidence(
        target,
        'sha256-x.att#layer0',
        {},
        new Uint8Array(readFileSync(join(fx, 'made.intoto.json'))),
      );
      const v = await new TrustEvaluator(c).evaluate(e, target);
      return [v.status, v.code];
    };
    expect(await judge(named('manifest.json'))).toEqual(['verified', 'KEY_VERIFIED']);
    expect(await judge(named('other.json'))).toEqual(['invalid', 'SUBJECT_DIGEST_MISMATCH']);
  });
});
