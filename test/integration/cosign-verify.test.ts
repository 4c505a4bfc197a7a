/**
 * `sigscan repo --key/--trust-root` against real cosign signatures on the loopback registry: key-based
 * and private-PKI signatures verify, another key does not, a `.sig` manifest copied onto another
 * image's signature tag is a payload digest mismatch, a swapped certificate is invalid, and without
 * trust inputs everything stays unverified. The signatures are made with --tlog-upload=false, so every
 * scan here passes --insecure-ignore-tlog (the log requirement is test/integration/cosign-tlog.test.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeCodeSigningCertForKey, makeEcCa } from '../helpers/cosign-pki.js';
import { sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import { cosignKeypair, cosignSign, ensureCosign, type CosignKeypair } from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents, digestTag, getManifest, pushManifest } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

type Sig = JsonTarget['signatures'][number];

describe('cosign verification against a real registry and real cosign signatures', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let otherKeys: CosignKeypair;
  let signed: PushedLayoutImage;
  let moved: PushedLayoutImage;
  let pki: PushedLayoutImage;
  let swapped: PushedLayoutImage;
  let ca: string;
  let otherCa: string;

  const makeCa = (name: string) => makeEcCa(work, name, `/CN=${name} CA/O=Example Corp`);
  /** A code-signing leaf for `pub` issued by `caPath`. */
  const makeLeaf = (name: string, pub: string, caPath: string) =>
    makeCodeSigningCertForKey(work, name, `/O=Example Corp/CN=${name}`, pub, caPath);

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-cosign-verify-'));
    reg = await startRegistry();
    await run('mkdir', ['-p', join(work, 'k1'), join(work, 'k2')]);
    keys = await cosignKeypair(join(work, 'k1'));
    otherKeys = await cosignKeypair(join(work, 'k2'));

    signed = await makeAndPushImage(reg, join(work, 'l1'), 'cv/app', 'v1', { seed: 'cv-app-v1' });
    moved = await makeAndPushImage(reg, join(work, 'l2'), 'cv/app', 'v2', { seed: 'cv-app-v2' });
    pki = await makeAndPushImage(reg, join(work, 'l3'), 'cv/pki', 'v1', { seed: 'cv-pki' });
    swapped = await makeAndPushImage(reg, join(work, 'l4'), 'cv/pki', 'swapped', { seed: 'cv-swapped' });

    await cosignSign(reg, `cv/app@${signed.digest}`, keys.key);
    // The signed image's .sig manifest (and its blobs, same repository) re-tagged onto v2's sig tag.
    const sig = await getManifest(reg, 'cv/app', digestTag(signed.digest, '.sig'));
    await pushManifest(reg, 'cv/app', digestTag(moved.digest, '.sig'), sig!.bytes, sig!.mediaType);

    ca = await makeCa('cv');
    otherCa = await makeCa('cv-other');
    const leaf = await makeLeaf('cv-release', keys.pub, ca);
    await cosignSign(reg, `cv/pki@${pki.digest}`, keys.key, {
      extraArgs: [`--certificate=${leaf}`, `--certificate-chain=${ca}.pem`],
    });
    // Signed with the other key, then its certificate annotation replaced by the first key's certificate.
    await cosignSign(reg, `cv/pki@${swapped.digest}`, otherKeys.key);
    const sw = await getManifest(reg, 'cv/pki', digestTag(swapped.digest, '.sig'));
    const pkiSig = await getManifest(reg, 'cv/pki', digestTag(pki.digest, '.sig'));
    const doc = sw!.json as { layers: Array<{ annotations: Record<string, string> }> };
    const pkiDoc = pkiSig!.json as { layers: Array<{ annotations: Record<string, string> }> };
    for (const k of ['dev.sigstore.cosign/certificate', 'dev.sigstore.cosign/chain']) {
      doc.layers[0]!.annotations[k] = pkiDoc.layers[0]!.annotations[k]!;
    }
    await pushManifest(reg, 'cv/pki', digestTag(swapped.digest, '.sig'), JSON.stringify(doc), sw!.mediaType);
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function scan(repo: string, extra: string[]): Promise<JsonReport> {
    const { report } = await sigscanJson([
      'repo',
      `${reg.host}/${repo}`,
      '--plain-http',
      '--insecure-ignore-tlog',
      ...extra,
    ]);
    return report;
  }
  function cosignSig(report: JsonReport, tag: string): Sig {
    const t = report.targets.find((x) => x.tag === tag && !x.platform);
    if (!t) throw new Error(`no target tag ${tag}: ${report.targets.map((x) => x.ref).join(', ')}`);
    const s = t.signatures.find((x) => x.family === 'cosign');
    if (!s) throw new Error(`no cosign signature on ${t.ref}`);
    return s;
  }

  it('a key-signed image verifies with --key cosign.pub', async () => {
    const v = cosignSig(await scan('cv/app', ['--key', keys.pub]), 'v1').verdict;
    expect(v).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
  });

  it('another key does not verify it (untrusted: no supplied key matches)', async () => {
    const v = cosignSig(await scan('cv/app', ['--key', otherKeys.pub]), 'v1').verdict;
    expect(v).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
  });

  it('a signature copied onto another image is invalid PAYLOAD_DIGEST_MISMATCH, with or without trust input', async () => {
    for (const extra of [['--key', keys.pub], []]) {
      const v = cosignSig(await scan('cv/app', extra), 'v2').verdict;
      expect(v).toMatchObject({ status: 'invalid', code: 'PAYLOAD_DIGEST_MISMATCH' });
    }
  });

  it('a private-PKI certificate verifies with --trust-root ca.pem, not with another CA', async () => {
    const ok = cosignSig(await scan('cv/pki', ['--trust-root', `${ca}.pem`]), 'v1').verdict;
    expect(ok).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    const other = cosignSig(await scan('cv/pki', ['--trust-root', `${otherCa}.pem`]), 'v1').verdict;
    expect(other.status).toBe('untrusted');
    const policy = cosignSig(
      await scan('cv/pki', ['--trust-root', `${ca}.pem`, '--certificate-identity', 'nobody@example.com']),
      'v1',
    ).verdict;
    expect(policy).toMatchObject({ status: 'untrusted', code: 'IDENTITY_MISMATCH' });
  });

  it('a swapped certificate is invalid', async () => {
    const report = await scan('cv/pki', ['--trust-root', `${ca}.pem`]);
    expect(cosignSig(report, 'swapped').verdict).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
    });
    // Even with the signer's real key supplied, the layer's certificate does not matter: the key decides.
    const withKey = await scan('cv/pki', ['--key', otherKeys.pub]);
    expect(cosignSig(withKey, 'swapped').verdict.status).toBe('verified');
  });

  it('without trust inputs every cosign signature is unverified NO_TRUST_ROOT (except the copied one)', async () => {
    for (const [repo, tag] of [
      ['cv/app', 'v1'],
      ['cv/pki', 'v1'],
      ['cv/pki', 'swapped'],
    ] as const) {
      expect(cosignSig(await scan(repo, []), tag).verdict).toMatchObject({
        status: 'unverified',
        code: 'NO_TRUST_ROOT',
      });
    }
  });

  it('removing one input never leaves a verified verdict', async () => {
    // PKI: the CA removed (only an unrelated key), the key-signed image: only a CA.
    expect(cosignSig(await scan('cv/pki', ['--key', otherKeys.pub]), 'v1').verdict.status).not.toBe(
      'verified',
    );
    expect(cosignSig(await scan('cv/app', ['--trust-root', `${ca}.pem`]), 'v1').verdict.status).not.toBe(
      'verified',
    );
  });
});
