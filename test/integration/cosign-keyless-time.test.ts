/**
 * Keyless proof of time on every cosign path (issue #16 item 6): a Fulcio-style certificate (OIDC
 * issuer extensions v1 + v2, email SAN) from a test CA made by openssl, used by the real cosign for a
 * `.sig`, a `.att` and a `sign-blob` sidecar. Nothing proves when they were signed (no Rekor entry, no
 * RFC 3161 timestamp), so none may verify: not through a `--trusted-root` naming the CA, not through
 * the CA as a private `--trust-root`, and not with `--at` inside the certificate's validity. cosign
 * refuses the same inputs when it is not told to skip the transparency log.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEcCa } from '../helpers/cosign-pki.js';
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
import { IDENTITY, ISSUER, issueFulcioLikeLeaf } from '../helpers/keyless-tsa.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

type Verdict = JsonTarget['signatures'][number]['verdict'];

const POLICY = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];

describe('keyless certificates need a proven signing time on every path', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let image: PushedLayoutImage;
  let ca: string;
  let leaf: string;
  let trustedRoot: string;
  let blobDir: string;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-keyless-time-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);
    ca = `${await makeEcCa(work, 'fulcio', '/CN=fulcio-like test CA/O=Example Corp')}.pem`;
    leaf = await issueFulcioLikeLeaf(work, ca, keys.pub);
    await run('openssl', ['x509', '-in', ca, '-outform', 'DER', '-out', join(work, 'ca.der')]);
    const caDer = await readFile(join(work, 'ca.der'));
    trustedRoot = join(work, 'trusted_root.json');
    await writeFile(
      trustedRoot,
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        certificateAuthorities: [
          {
            subject: { organization: 'Example Corp', commonName: 'fulcio-like test CA' },
            uri: 'https://fulcio.example.com',
            certChain: { certificates: [{ rawBytes: caDer.toString('base64') }] },
            validFor: { start: '2020-01-01T00:00:00Z' },
          },
        ],
        ctlogs: [],
        timestampAuthorities: [],
      }),
    );

    image = await makeAndPushImage(reg, join(work, 'l'), 'kt/app', 'v1', { seed: 'keyless-time' });
    const certArgs = [`--certificate=${leaf}`, `--certificate-chain=${ca}`];
    await cosignSign(reg, `kt/app@${image.digest}`, keys.key, { extraArgs: certArgs });
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ built: true }));
    await cosignAttest(reg, `kt/app@${image.digest}`, keys.key, predicate, { extraArgs: certArgs });
    blobDir = join(work, 'blob');
    await run('mkdir', ['-p', blobDir]);
    const blob = join(blobDir, 'release.tar');
    await writeFile(blob, 'release bytes\n');
    await cosign([
      'sign-blob',
      `--key=${keys.key}`,
      '--tlog-upload=false',
      '--yes',
      `--output-signature=${blob}.sig`,
      blob,
    ]);
    await copyFile(leaf, `${blob}.crt`);
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function ours(trust: string[]): Promise<Record<'sig' | 'att' | 'blob', Verdict>> {
    const at = ['--at', new Date().toISOString()];
    const repo = await sigscanJson([
      'repo',
      `${reg.host}/kt/app`,
      '--plain-http',
      ...trust,
      ...POLICY,
      ...at,
    ]);
    const fs = await sigscanJson(['fs', blobDir, ...trust, ...POLICY, ...at]);
    const sigs = repo.report.targets[0]!.signatures;
    return {
      sig: sigs.find((s) => s.family === 'cosign')!.verdict,
      att: sigs.find((s) => s.family === 'cosign-attestation')!.verdict,
      blob: fs.report.targets.find((t) => t.path?.endsWith('release.tar'))!.signatures[0]!.verdict,
    };
  }

  it('the certificate is what the test needs: Fulcio issuer extensions, inside its validity now', async () => {
    const text = (await run('openssl', ['x509', '-in', leaf, '-noout', '-text'])).stdout;
    expect(text).toContain('1.3.6.1.4.1.57264.1.1');
    expect(text).toContain('1.3.6.1.4.1.57264.1.8');
    expect(await readFile(trustedRoot, 'utf8')).toContain('certificateAuthorities');
  });

  it('--trusted-root naming the CA, with --at now: untrusted TLOG_MISSING on .sig, .att and the sidecar', async () => {
    const v = await ours(['--trusted-root', trustedRoot]);
    for (const family of ['sig', 'att', 'blob'] as const) {
      expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
        status: 'untrusted',
        code: 'TLOG_MISSING',
      });
    }
  });

  it('the CA as a private --trust-root, with --at now: untrusted TLOG_MISSING on every path', async () => {
    const v = await ours(['--trust-root', ca]);
    for (const family of ['sig', 'att', 'blob'] as const) {
      expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
        status: 'untrusted',
        code: 'TLOG_MISSING',
      });
    }
  });

  it('cosign refuses all three unless told to skip the transparency log', async () => {
    const common = [`--ca-roots=${ca}`, '--insecure-ignore-sct=true', `--certificate-identity=${IDENTITY}`];
    const pol = [...common, `--certificate-oidc-issuer=${ISSUER}`];
    const ref = `${reg.host}/kt/app@${image.digest}`;
    const blob = join(blobDir, 'release.tar');
    const results = await Promise.all([
      cosign(['verify', ...pol, ...cosignRegistryFlags(reg), ref], { check: false }),
      cosign(['verify-attestation', '--type=custom', ...pol, ...cosignRegistryFlags(reg), ref], {
        check: false,
      }),
      cosign(['verify-blob', `--certificate=${leaf}`, `--signature=${blob}.sig`, ...pol, blob], {
        check: false,
      }),
    ]);
    // Offline, cosign stops at the transparency log it must consult (it wants the Rekor keys first):
    // with no entry beside the signature, only the log could prove the time, and there is none here.
    for (const r of results) {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/Rekor/);
    }
  });
});
