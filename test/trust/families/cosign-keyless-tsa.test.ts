/**
 * A keyless cosign `.sig` dated by an RFC 3161 timestamp and never logged in Rekor, through the trust
 * layer in-process (the detector's evidence builder and the evaluator), so mutation testing reaches the
 * decisions of `keylessThroughTrustedRoot` (src/trust/sigstore/tlog-required.ts): the log threshold
 * asked of sigstore-js, the waiver's wording, and which failure is named first.
 *
 * The signatures are made once per day by the real cosign 2.5 against a registry on 127.0.0.1, with
 * an openssl TSA (helpers/tsa-server.ts) and the PKI of the integration test
 * (test/integration/cosign-keyless-tsa.test.ts, which checks the same verdicts through `dist/` and
 * cosign's own verify --offline beside them). Only the SCT is hand-made (helpers/ct-log.ts).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { layerEvidence } from '../../../src/detectors/cosign.js';
import { attestationEvidence } from '../../../src/detectors/cosign-attestation.js';
import type { ImageTarget, Verdict } from '../../../src/model/index.js';
import { emptyTrustConfig, readCertificates, type TrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { cosign, cosignKeypair, cosignRegistryFlags, ensureCosign } from '../../helpers/cosign.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { makeAndPushImage } from '../../helpers/images.js';
import { IDENTITY, ISSUER, makeKeylessTsaPki } from '../../helpers/keyless-tsa.js';
import { closeAgents } from '../../helpers/push.js';
import { startRegistry } from '../../helpers/registry.js';
import { startTsa } from '../../helpers/tsa-server.js';

const RFC3161 = 'dev.sigstore.cosign/rfc3161timestamp';
// Spelled out, not imported from src: a test that reads the constant it checks cannot catch a blanked one.
const TLOG_NOT_REQUIRED = 'transparency log not required (--insecure-ignore-tlog)';

/** A signature layer as cosign pushed it: its annotations and its blob (base64). */
interface PushedLayer {
  annotations: Record<string, string>;
  blob: string;
}

/** The `.sig` and `.att` layers cosign pushed for an image, and the image. */
interface SignedImage {
  target: ImageTarget;
  sig: PushedLayer;
  att: PushedLayer;
}

/** cosign signs two images: with the leaf that has no SCT (`app`) and with the one that has (`sct`). */
async function buildFixtures(dir: string): Promise<void> {
  await ensureCosign();
  const work = await mkdtemp(join(tmpdir(), 'sigscan-keyless-tsa-unit-'));
  const reg = await startRegistry();
  const tsa = await startTsa(work);
  try {
    const keys = await cosignKeypair(work);
    const pki = await makeKeylessTsaPki(work, tsa, keys);
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ built: true }));
    const signed: Record<string, SignedImage> = {};
    for (const [name, leaf] of [
      ['app', pki.leaf],
      ['sct', pki.sctLeaf],
    ] as const) {
      const repo = `tsa/${name}`;
      const image = await makeAndPushImage(reg, join(work, name), repo, 'v1', { seed: `unit-${name}` });
      const common = [
        `--key=${keys.key}`,
        '--tlog-upload=false',
        '--yes',
        ...cosignRegistryFlags(reg),
        `--certificate=${leaf}`,
        `--certificate-chain=${pki.ca}`,
        `--timestamp-server-url=${tsa.url}`,
      ];
      const ref = `${reg.host}/${repo}@${image.digest}`;
      // cosign checks an embedded SCT when it signs: it gets the CT log key from the environment.
      const env = { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: pki.ctPub };
      await cosign(['sign', ...common, ref], { env });
      await cosign(['attest', `--predicate=${predicate}`, '--type=custom', ...common, ref], { env });
      const layer = async (suffix: 'sig' | 'att'): Promise<PushedLayer> => {
        const tag = `${image.digest.replace(':', '-')}.${suffix}`;
        const res = await fetch(`${reg.url}/v2/${repo}/manifests/${tag}`, {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        });
        if (res.status !== 200) throw new Error(`${repo}:${tag}: HTTP ${res.status}`);
        const manifest = (await res.json()) as {
          layers: Array<{ digest: string; annotations?: Record<string, string> }>;
        };
        const first = manifest.layers[0]!;
        const blob = await fetch(`${reg.url}/v2/${repo}/blobs/${first.digest}`);
        return {
          annotations: first.annotations ?? {},
          blob: Buffer.from(await blob.arrayBuffer()).toString('base64'),
        };
      };
      signed[name] = {
        target: {
          kind: 'image',
          registry: reg.host,
          repository: repo,
          digest: image.digest,
          mediaType: image.mediaType,
        },
        sig: await layer('sig'),
        att: await layer('att'),
      };
    }
    await writeFile(join(dir, 'signed.json'), JSON.stringify(signed));
    await cp(pki.trustedRoot, join(dir, 'trusted_root.json'));
    await cp(pki.rootWithoutTsa, join(dir, 'trusted_root_no_tsa.json'));
    await cp(pki.ca, join(dir, 'ca.pem'));
  } finally {
    await reg.stop();
    await tsa.stop();
    await closeAgents();
    await rm(work, { recursive: true, force: true });
  }
}

describe('keyless cosign signature with an RFC 3161 timestamp and no Rekor entry (trust layer)', () => {
  let dir: string;
  let signed: Record<'app' | 'sct', SignedImage>;

  beforeAll(async () => {
    dir = await cachedFixtureDir('cosign-keyless-tsa-v3', buildFixtures);
    signed = JSON.parse(await readFile(join(dir, 'signed.json'), 'utf8')) as typeof signed;
  }, 300_000);

  function config(root: 'trusted_root.json' | 'trusted_root_no_tsa.json', ignoreTlog: boolean): TrustConfig {
    const c = emptyTrustConfig();
    c.trustedRoots = [join(dir, root)];
    c.certificateIdentity = IDENTITY;
    c.certificateOidcIssuer = ISSUER;
    if (ignoreTlog) c.insecureIgnoreTlog = true;
    return c;
  }

  async function evaluate(
    which: 'app' | 'sct',
    c: TrustConfig,
    layer: 'sig' | 'att' = 'sig',
  ): Promise<Verdict> {
    const s = signed[which];
    const bytes = new Uint8Array(Buffer.from(s[layer].blob, 'base64'));
    const location = `${s.target.repository}@${s.target.digest}.${layer}`;
    const evidence =
      layer === 'sig'
        ? layerEvidence(s.target, location, s.sig.annotations, bytes)
        : attestationEvidence(s.target, location, s.att.annotations, bytes);
    return new TrustEvaluator(c).evaluate(evidence, s.target);
  }

  it('cosign wrote the timestamp annotation and no Rekor bundle on every layer', () => {
    for (const s of Object.values(signed)) {
      for (const layer of [s.sig, s.att]) {
        expect(Object.keys(layer.annotations)).toContain(RFC3161);
        expect(Object.keys(layer.annotations)).not.toContain('dev.sigstore.cosign/bundle');
      }
    }
  });

  it('SCT and TSA both good, no waiver: untrusted TLOG_MISSING, the log named first and sigstore-js after it', async () => {
    const v = await evaluate('sct', config('trusted_root.json', false));
    expect(v).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    // Ours first; sigstore-js was asked for one log entry, and its own refusal is kept after ours.
    expect(v.message).toBe(
      `the signature verifies with the certificate of O=sigstore.dev, but carries no transparency-log (Rekor) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one (sigstore: no transparency-log entry proves the signing time: expected 1 tlog entries, got 0 (trusted root ${join(dir, 'trusted_root.json')}))`,
    );
  });

  it('the same with --insecure-ignore-tlog: verified at the TSA time, and the verdict says the log was waived', async () => {
    const v = await evaluate('sct', config('trusted_root.json', true));
    expect(v, v.message).toMatchObject({ status: 'verified', code: 'KEYLESS_VERIFIED' });
    const at = /at (\S+); /.exec(v.message)?.[1] ?? '';
    expect(v.message).toBe(
      `keyless signature by ${IDENTITY} (issuer ${ISSUER}) verified with ${join(dir, 'trusted_root.json')} at ${at}; ${TLOG_NOT_REQUIRED}`,
    );
    // The TSA's genTime from the day's fixture build: not --at, not "now".
    expect(new Date(at).toISOString()).toBe(at);
    expect(Date.parse(at)).toBeGreaterThanOrEqual(Date.parse(`${dir.slice(-10)}T00:00:00Z`));
    expect(Date.parse(at)).toBeLessThanOrEqual(Date.now());
  });

  it('no SCT, with the waiver: the timestamp verified, so the missing SCT is the one failure named', async () => {
    const v = await evaluate('app', config('trusted_root.json', true));
    expect(v).toMatchObject({ status: 'untrusted', code: 'SCT_INVALID' });
    expect(v.message).toBe(
      `certificate transparency check failed: expected 1 SCTs, got 0 (trusted root ${join(dir, 'trusted_root.json')})`,
    );
  });

  it('no SCT, no waiver: the missing log entry is named first', async () => {
    const v = await evaluate('app', config('trusted_root.json', false));
    expect(v).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    // sigstore-js' refusal (the SCT) is kept after ours.
    expect(v.message).toBe(
      `the signature verifies with the certificate of O=sigstore.dev, but carries no transparency-log (Rekor) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one (sigstore: certificate transparency check failed: expected 1 SCTs, got 0 (trusted root ${join(dir, 'trusted_root.json')}))`,
    );
  });

  it('a trusted root without the TSA, with the waiver: the timestamp is what fails', async () => {
    const v = await evaluate('sct', config('trusted_root_no_tsa.json', true));
    expect(v).toMatchObject({ status: 'untrusted', code: 'TIMESTAMP_UNTRUSTED' });
    expect(v.message).toBe(
      `timestamp check failed: timestamp could not be verified (trusted root ${join(dir, 'trusted_root_no_tsa.json')})`,
    );
  });

  it('the .att, whose timestamp cosign 2.5 made over the whole envelope: nothing dates it, so even with the waiver it is not verified', async () => {
    // Known gap, as in the integration test: sigstore-js checks a DSSE timestamp over the signature, and
    // cosign stamped the envelope JSON, so no timestamp counts and no Rekor entry stands in for one.
    const sigstore = `no Rekor entry or RFC 3161 timestamp proves the signing time (--at does not stand in for one): expected 1 timestamps, got 0 (trusted root ${join(dir, 'trusted_root.json')})`;
    const strict = await evaluate('sct', config('trusted_root.json', false), 'att');
    expect(strict).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(strict.message).toBe(
      `the DSSE signature verifies with the certificate of O=sigstore.dev, but carries no transparency-log (Rekor) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one (sigstore: ${sigstore})`,
    );
    const waived = await evaluate('sct', config('trusted_root.json', true), 'att');
    expect(waived).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING', message: sigstore });
  });

  it('with the waiver but another identity: untrusted IDENTITY_MISMATCH, and no word of the waiver', async () => {
    const c = config('trusted_root.json', true);
    c.certificateIdentity = 'bob@example.com';
    const v = await evaluate('sct', c);
    expect(v).toMatchObject({ status: 'untrusted', code: 'IDENTITY_MISMATCH' });
    expect(v.message).toBe('certificate identity alice@example.com is not the required bob@example.com');
  });

  it("the CA also given as --trust-root: its own TLOG_MISSING is reported, ranked before the trusted root's", async () => {
    const c = config('trusted_root.json', false);
    c.roots.push(...(await readCertificates(join(dir, 'ca.pem'), '--trust-root')));
    const v = await evaluate('sct', c);
    // Both paths fail alike (untrusted); the first one tried, the --trust-root chain, is the one named.
    expect(v).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(v.message).toBe(
      'the certificate of O=sigstore.dev is a keyless (Fulcio) certificate, and no Rekor entry or RFC 3161 timestamp proves when it signed; --at does not stand in for one',
    );
  });
});
