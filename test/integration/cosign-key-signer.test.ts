/**
 * Who signed a key-verified cosign signature (issue #12 item 3, issue #11 "unverified certificates"):
 * the `--key` that verified it, by key id (SHA-256 of the DER SPKI) and file, one key per signature
 * when several are given; never a certificate the layer carries but nothing verified.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeCodeSigningCertForKey, makeEcCa } from '../helpers/cosign-pki.js';
import { sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import {
  cosignAttest,
  cosignKeypair,
  cosignSign,
  cosignVerify,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents, digestTag, getManifest, pushManifest } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

type Sig = JsonTarget['signatures'][number] & { signer: { keySource?: string } };

async function keyId(pubPath: string): Promise<string> {
  const der = createPublicKey(await readFile(pubPath, 'utf8')).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex');
}

describe('the key that verified a cosign signature is its signer', () => {
  let reg: TestRegistry;
  let work: string;
  let a: CosignKeypair;
  let b: CosignKeypair;
  const img: Record<string, PushedLayoutImage> = {};

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-key-signer-'));
    reg = await startRegistry();
    await mkdir(join(work, 'a'));
    await mkdir(join(work, 'b'));
    a = await cosignKeypair(join(work, 'a'));
    b = await cosignKeypair(join(work, 'b'));
    for (const name of ['bya', 'byb', 'pki', 'stolen']) {
      img[name] = await makeAndPushImage(reg, join(work, `l-${name}`), 'ks/app', name, {
        seed: `ks-${name}`,
      });
    }
    await cosignSign(reg, `ks/app@${img['bya']!.digest}`, a.key);
    await cosignSign(reg, `ks/app@${img['byb']!.digest}`, b.key);
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ ok: true }));
    await cosignAttest(reg, `ks/app@${img['byb']!.digest}`, b.key, predicate);

    // A genuine private-PKI signature by key a (certificate "CN=release"), and a signature by key b
    // whose layer was given that same certificate: the certificate claims a signer nothing verified.
    const ca = await makeEcCa(work, 'ks-ca', '/CN=ks CA/O=Example Corp');
    const leaf = await makeCodeSigningCertForKey(work, 'release', '/O=Example Corp/CN=release', a.pub, ca);
    await cosignSign(reg, `ks/app@${img['pki']!.digest}`, a.key, {
      extraArgs: [`--certificate=${leaf}`, `--certificate-chain=${ca}.pem`],
    });
    await cosignSign(reg, `ks/app@${img['stolen']!.digest}`, b.key);
    const donor = await getManifest(reg, 'ks/app', digestTag(img['pki']!.digest, '.sig'));
    const victim = await getManifest(reg, 'ks/app', digestTag(img['stolen']!.digest, '.sig'));
    const doc = victim!.json as { layers: Array<{ annotations: Record<string, string> }> };
    const from = (donor!.json as typeof doc).layers[0]!.annotations;
    for (const k of ['dev.sigstore.cosign/certificate', 'dev.sigstore.cosign/chain']) {
      doc.layers[0]!.annotations[k] = from[k]!;
    }
    await pushManifest(
      reg,
      'ks/app',
      digestTag(img['stolen']!.digest, '.sig'),
      JSON.stringify(doc),
      victim!.mediaType,
    );
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  // The signatures are made with --tlog-upload=false; who signed is the question here, not the log.
  async function scan(extra: string[]): Promise<JsonReport> {
    return (
      await sigscanJson(['repo', `${reg.host}/ks/app`, '--plain-http', '--insecure-ignore-tlog', ...extra])
    ).report;
  }
  function sig(report: JsonReport, tag: string, family = 'cosign'): Sig {
    const s = report.targets.find((t) => t.tag === tag)?.signatures.find((x) => x.family === family);
    if (!s) throw new Error(`no ${family} signature on ${tag}`);
    return s as Sig;
  }

  it('with --key a.pub --key b.pub each signature names its own key (id and file)', async () => {
    const report = await scan(['--key', a.pub, '--key', b.pub]);
    const [ka, kb] = [await keyId(a.pub), await keyId(b.pub)];
    expect(sig(report, 'bya').verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(sig(report, 'bya').signer).toEqual({
      keyId: ka,
      keySource: a.pub,
      publicKeyAlgorithm: 'ECDSA-P-256',
    });
    expect(sig(report, 'byb').signer).toEqual({
      keyId: kb,
      keySource: b.pub,
      publicKeyAlgorithm: 'ECDSA-P-256',
    });
    const att = sig(report, 'byb', 'cosign-attestation');
    expect(att.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(att.signer).toMatchObject({ keyId: kb, keySource: b.pub });
    // cosign agrees on which key verifies which image.
    expect((await cosignVerify(reg, `ks/app@${img['bya']!.digest}`, a.pub)).code).toBe(0);
    expect((await cosignVerify(reg, `ks/app@${img['bya']!.digest}`, b.pub)).code).not.toBe(0);
  });

  it('a certificate attached to a key-verified signature is not reported as its signer', async () => {
    // cosign verify --key b.pub accepts the layer and ignores the certificate: the key decides.
    expect((await cosignVerify(reg, `ks/app@${img['stolen']!.digest}`, b.pub)).code).toBe(0);
    const s = sig(await scan(['--key', b.pub]), 'stolen');
    expect(s.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(s.signer).toEqual({
      keyId: await keyId(b.pub),
      keySource: b.pub,
      publicKeyAlgorithm: 'ECDSA-P-256',
    });
    expect(JSON.stringify(s.signer)).not.toContain('release');
  });

  it('the same certificate, verified by its chain, is the signer of the genuine signature', async () => {
    const ca = join(work, 'ks-ca.pem');
    const s = sig(await scan(['--trust-root', ca]), 'pki');
    expect(s.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(s.signer.subject).toBe('CN=release,O=Example Corp');
    expect(s.signer.keySource).toBeUndefined();
  });
});
