/**
 * A keyless cosign `.sig` and `.att` dated by an RFC 3161 timestamp but never logged in Rekor (issue
 * #11). The real cosign signs with a Fulcio-style certificate (OIDC issuer extensions, email SAN) from
 * an openssl test CA, `--tlog-upload=false`, and asks a TSA on 127.0.0.1 (`openssl ts -reply`, see
 * helpers/tsa-server.ts) for the `dev.sigstore.cosign/rfc3161timestamp` annotation. The timestamp
 * proves when it was signed, but not that it was logged: cosign 2.5 refuses it without
 * `--insecure-ignore-tlog`, and sigscan says `untrusted TLOG_MISSING` through a `--trusted-root`
 * naming the CA and the TSA.
 *
 * Two certificates: one without an SCT (tsa/app), and one with an embedded SCT from a test CT log key
 * (tsa/sct), the one that verified before issue #11. That SCT is the only hand-made input: no CT log
 * runs here (see issueWithSct); cosign checks it when signing and verifying.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import {
  cosign,
  cosignAttest,
  cosignKeypair,
  cosignRegistryFlags,
  cosignSign,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';
import { startTsa, type TestTsa } from '../helpers/tsa-server.js';
import { ISSUER, IDENTITY, makeKeylessTsaPki } from '../helpers/keyless-tsa.js';

type Verdict = JsonTarget['signatures'][number]['verdict'];

const POLICY = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];
const RFC3161 = 'dev.sigstore.cosign/rfc3161timestamp';

describe('keyless signatures dated only by an RFC 3161 timestamp still need their Rekor entry', () => {
  let reg: TestRegistry;
  let tsa: TestTsa;
  let work: string;
  let keys: CosignKeypair;
  let image: PushedLayoutImage;
  let ca: string;
  let trustedRoot: string;
  let rootWithoutTsa: string;
  let tsaChain: string;
  let sctImage: PushedLayoutImage;
  let ctPub: string;
  let leaf: string;
  let sctLeaf: string;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-keyless-tsa-'));
    reg = await startRegistry();
    tsa = await startTsa(work);
    keys = await cosignKeypair(work);
    ({ ca, leaf, sctLeaf, trustedRoot, rootWithoutTsa, tsaChain, ctPub } = await makeKeylessTsaPki(
      work,
      tsa,
      keys,
    ));

    image = await makeAndPushImage(reg, join(work, 'l'), 'tsa/app', 'v1', { seed: 'keyless-tsa' });
    const signArgs = [
      `--certificate=${leaf}`,
      `--certificate-chain=${ca}`,
      `--timestamp-server-url=${tsa.url}`,
    ];
    await cosignSign(reg, `tsa/app@${image.digest}`, keys.key, { extraArgs: signArgs });
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ built: true }));
    await cosignAttest(reg, `tsa/app@${image.digest}`, keys.key, predicate, { extraArgs: signArgs });

    sctImage = await makeAndPushImage(reg, join(work, 's'), 'tsa/sct', 'v1', { seed: 'keyless-tsa-sct' });
    const sctArgs = [
      `--certificate=${sctLeaf}`,
      `--certificate-chain=${ca}`,
      `--timestamp-server-url=${tsa.url}`,
    ];
    // cosign checks an embedded SCT when it signs: it gets the CT log key from the environment.
    const sctRef = `${reg.host}/tsa/sct@${sctImage.digest}`;
    const common = [
      `--key=${keys.key}`,
      '--tlog-upload=false',
      '--yes',
      ...cosignRegistryFlags(reg),
      ...sctArgs,
    ];
    const env = { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: ctPub };
    await cosign(['sign', ...common, sctRef], { env });
    await cosign(['attest', `--predicate=${predicate}`, '--type=custom', ...common, sctRef], { env });
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await tsa?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function ours(extra: string[], repoName = 'tsa/app'): Promise<Record<'sig' | 'att', Verdict>> {
    const repo = await sigscanJson(['repo', `${reg.host}/${repoName}`, '--plain-http', ...POLICY, ...extra]);
    const sigs = repo.report.targets[0]!.signatures;
    return {
      sig: sigs.find((s) => s.family === 'cosign')!.verdict,
      att: sigs.find((s) => s.family === 'cosign-attestation')!.verdict,
    };
  }

  it('cosign asked the TSA and wrote the timestamp annotation, and no Rekor bundle, on the .sig and the .att', async () => {
    expect(tsa.answered).toBe(4);
    for (const suffix of ['sig', 'att']) {
      const tag = `${image.digest.replace(':', '-')}.${suffix}`;
      const res = await fetch(`${reg.url}/v2/tsa/app/manifests/${tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.status, tag).toBe(200);
      const manifest = (await res.json()) as {
        layers: Array<{ digest: string; annotations?: Record<string, string> }>;
      };
      const layer = manifest.layers[0]!;
      const annotations = layer.annotations ?? {};
      expect(Object.keys(annotations), tag).toContain(RFC3161);
      expect(Object.keys(annotations), tag).not.toContain('dev.sigstore.cosign/bundle');
      const token = JSON.parse(annotations[RFC3161]!) as { SignedRFC3161Timestamp: string };
      const tsr = join(work, `${suffix}.tsr`);
      await writeFile(tsr, Buffer.from(token.SignedRFC3161Timestamp, 'base64'));
      // What cosign 2.5 had stamped: the raw signature of a .sig, the whole envelope (layer) of a .att.
      const stamped = join(work, `${suffix}.stamped`);
      if (suffix === 'sig') {
        await writeFile(stamped, Buffer.from(annotations['dev.cosignproject.cosign/signature']!, 'base64'));
      } else {
        const blob = await fetch(`${reg.url}/v2/tsa/app/blobs/${layer.digest}`);
        await writeFile(stamped, new Uint8Array(await blob.arrayBuffer()));
      }
      // openssl verifies the TSA's reply over those bytes, trusting only the TSA root.
      const verify = await run('openssl', [
        'ts', '-verify', '-in', tsr, '-data', stamped, '-CAfile', tsa.rootPem, '-untrusted', tsa.tsaPem,
      ]); // prettier-ignore
      expect(verify.stdout).toContain('Verification: OK');
    }
  });

  it('--trusted-root naming the CA and the TSA: untrusted TLOG_MISSING on the .sig and the .att, naming the flag', async () => {
    const v = await ours(['--trusted-root', trustedRoot]);
    for (const family of ['sig', 'att'] as const) {
      expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
        status: 'untrusted',
        code: 'TLOG_MISSING',
      });
      expect(v[family].message).toContain('--insecure-ignore-tlog');
    }
  });

  it('with --insecure-ignore-tlog the .sig timestamp verifies, and the certificate then fails for lack of an SCT', async () => {
    const v = await ours(['--trusted-root', trustedRoot, '--insecure-ignore-tlog']);
    // sigstore-js checks timestamps before SCTs: reaching the SCT check means the TSA token verified.
    expect(v.sig, v.sig.message).toMatchObject({ status: 'untrusted', code: 'SCT_INVALID' });
    expect(v.sig.message).toContain('expected 1 SCTs, got 0');
    // Known gap: cosign 2.5 stamps a legacy .att over the whole envelope JSON, not over the DSSE
    // signature that sigstore-js checks, so sigscan does not use that timestamp: nothing dates the .att.
    expect(v.att, v.att.message).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(v.att.message).toContain('expected 1 timestamps, got 0');
  });

  it('with --insecure-ignore-tlog and a trusted root without the TSA, the .sig timestamp is what fails', async () => {
    const v = await ours(['--trusted-root', rootWithoutTsa, '--insecure-ignore-tlog']);
    expect(v.sig, v.sig.message).toMatchObject({ status: 'untrusted', code: 'TIMESTAMP_UNTRUSTED' });
  });

  it('a certificate with a valid SCT, dated by the TSA, no Rekor entry: untrusted TLOG_MISSING on the .sig and the .att', async () => {
    // Before issue #11 the .sig verified here (KEYLESS_VERIFIED): the timestamp alone was enough.
    const v = await ours(['--trusted-root', trustedRoot], 'tsa/sct');
    for (const family of ['sig', 'att'] as const) {
      expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
        status: 'untrusted',
        code: 'TLOG_MISSING',
      });
      expect(v[family].message).toContain('--insecure-ignore-tlog');
    }
    // The log requirement is the only failure: sigstore-js itself asked for the entry.
    expect(v.sig.message).toContain('expected 1 tlog entries, got 0');
  });

  it('the same with --insecure-ignore-tlog: the .sig verifies at the TSA time and says the log was waived', async () => {
    const before = Date.now();
    const v = await ours(['--trusted-root', trustedRoot, '--insecure-ignore-tlog'], 'tsa/sct');
    expect(v.sig, v.sig.message).toMatchObject({ status: 'verified', code: 'KEYLESS_VERIFIED' });
    expect(v.sig.message).toContain('transparency log not required (--insecure-ignore-tlog)');
    const at = /at (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(v.sig.message)?.[1];
    expect(at, v.sig.message).toBeDefined();
    // The TSA's genTime, from this run (the image was signed minutes ago at most), not --at or now.
    expect(Date.parse(at!)).toBeLessThan(before);
    expect(before - Date.parse(at!)).toBeLessThan(10 * 60_000);
    // The .att timestamp is the known gap (see above): nothing dates it.
    expect(v.att, v.att.message).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
  });

  it('cosign verify --offline with the TSA chain refuses both without --insecure-ignore-tlog and accepts both with it', async () => {
    const ref = `${reg.host}/tsa/app@${image.digest}`;
    const common = [
      `--ca-roots=${ca}`,
      '--insecure-ignore-sct=true',
      `--certificate-identity=${IDENTITY}`,
      `--certificate-oidc-issuer=${ISSUER}`,
      '--use-signed-timestamps=true',
      `--timestamp-certificate-chain=${tsaChain}`,
      '--offline=true',
      ...cosignRegistryFlags(reg),
    ];
    const verify = (waive: boolean) =>
      Promise.all([
        cosign(['verify', ...common, ...(waive ? ['--insecure-ignore-tlog=true'] : []), ref], {
          check: false,
        }),
        cosign(
          [
            'verify-attestation',
            '--type=custom',
            ...common,
            ...(waive ? ['--insecure-ignore-tlog=true'] : []),
            ref,
          ],
          { check: false },
        ),
      ]);
    for (const r of await verify(false)) {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/offline verification failed|Rekor/i);
    }
    for (const r of await verify(true)) expect(r.code, r.stderr).toBe(0);
  });

  it('cosign verify --offline checks the hand-made SCT with the CT log key, and still refuses without the waiver', async () => {
    const ref = `${reg.host}/tsa/sct@${sctImage.digest}`;
    const args = (waive: boolean) => [
      'verify',
      `--ca-roots=${ca}`,
      `--certificate-identity=${IDENTITY}`,
      `--certificate-oidc-issuer=${ISSUER}`,
      '--use-signed-timestamps=true',
      `--timestamp-certificate-chain=${tsaChain}`,
      '--offline=true',
      ...(waive ? ['--insecure-ignore-tlog=true'] : []),
      ...cosignRegistryFlags(reg),
      ref,
    ];
    const env = { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: ctPub };
    const refused = await cosign(args(false), { check: false, env });
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(refused.stderr).toMatch(/offline verification failed|Rekor/i);
    const accepted = await cosign(args(true), { check: false, env });
    expect(accepted.code, accepted.stderr).toBe(0);
  });
});
