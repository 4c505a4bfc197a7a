import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { simpleSigningEvidence } from '../../../src/detectors/simple-signing.js';
import type { ImageTarget, Verdict } from '../../../src/model/index.js';
import { emptyTrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { onPath, run } from '../../helpers/tools.js';

/**
 * Issue #16 item 5: GPG key validity is judged at the time of the check, never at the creation time a
 * signature declares. The signer holds a key that has expired, or that was revoked as superseded,
 * and back-dates a simple-signing signature into the key's lifetime with gpg --faked-system-time.
 * skopeo standalone-verify (gpgme, as containers/image uses it) refuses both; so must sigscan.
 */
const tools = (await onPath('gpg')) && (await onPath('skopeo'));

const REFERENCE = 'registry.example/app:v1';
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  config: {
    mediaType: 'application/vnd.docker.container.image.v1+json',
    size: 2,
    digest: `sha256:${createHash('sha256').update('{}').digest('hex')}`,
  },
  layers: [],
});
const DIGEST = `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`;
const IMAGE: ImageTarget = {
  kind: 'image',
  registry: 'registry.example',
  repository: 'app',
  tag: 'v1',
  digest: DIGEST,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
};

describe.skipIf(!tools)('simple signing: GPG key validity at the time of the check (gpg, skopeo)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sigscan-gpg-validity-'));
  const manifestFile = join(root, 'manifest.json');
  const claimFile = join(root, 'claim.json');
  afterAll(async () => {
    for (const name of ['expired', 'revoked', 'revoked-signer', 'valid', 'subkey-valid', 'subkey-expired'])
      await run('gpgconf', ['--homedir', join(root, name), '--kill', 'gpg-agent'], { check: false }).catch(
        () => undefined,
      );
    rmSync(root, { recursive: true, force: true });
  });

  const gpg = async (home: string, args: string[], input?: string): Promise<string> =>
    (
      await run(
        'gpg',
        ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
        { timeoutMs: 60_000, input },
      )
    ).stdout;

  /** A fresh GnuPG home with one ed25519 signing key made at `created`; returns its fingerprint. */
  async function makeKey(
    name: string,
    created: string,
    expiry: string,
  ): Promise<{ home: string; fpr: string }> {
    const home = join(root, name);
    mkdirSync(home, { mode: 0o700 });
    await gpg(home, [
      '--faked-system-time',
      `${created}!`,
      '--quick-gen-key',
      `${name} signer <${name}@sigscan.test>`,
      'ed25519',
      'sign',
      expiry,
    ]);
    const colons = await gpg(home, ['--with-colons', '--list-keys']);
    const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(colons)![1]!;
    return { home, fpr };
  }

  /** Signs the claim with gpg pretending it is `when`: the signature's declared creation time. */
  async function sign(home: string, fpr: string, when: string): Promise<string> {
    const out = join(home, `sig-${when}`);
    await gpg(home, [
      '--faked-system-time',
      `${when}!`,
      '--local-user',
      fpr,
      '--output',
      out,
      '--sign',
      claimFile,
    ]);
    return out;
  }

  async function exportKey(home: string, fpr: string): Promise<string> {
    const out = join(home, 'pub.gpg');
    await gpg(home, ['--output', out, '--export', fpr]);
    return out;
  }

  /** skopeo standalone-verify with gpgme on `home`'s keyring: 0 = accepted. */
  async function skopeo(home: string, fpr: string, sig: string) {
    const r = await run('skopeo', ['standalone-verify', manifestFile, REFERENCE, fpr, sig], {
      check: false,
      env: { GNUPGHOME: home },
      timeoutMs: 60_000,
    });
    return { accepted: r.code === 0, output: r.stdout + r.stderr };
  }

  async function ours(keyring: string, sig: string, at?: string): Promise<Verdict> {
    const blob = new Uint8Array(readFileSync(sig));
    const evidence = await simpleSigningEvidence(IMAGE, `file://${sig}`, blob, 'lookaside');
    const config = { ...emptyTrustConfig(), gpgKeyrings: [keyring], at: at ? new Date(at) : undefined };
    return new TrustEvaluator(config).evaluate(evidence, IMAGE);
  }

  beforeAll(() => {
    writeFileSync(manifestFile, MANIFEST);
    writeFileSync(
      claimFile,
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': REFERENCE },
          image: { 'docker-manifest-digest': DIGEST },
          type: 'atomic container signature',
        },
        optional: {},
      }),
    );
  });

  it('a valid key signing now: both accept (the baseline)', async () => {
    const { home, fpr } = await makeKey('valid', '20240101T000000', '0');
    const sig = await sign(home, fpr, '20240601T000000');
    const ref = await skopeo(home, fpr, sig);
    expect(ref.accepted, ref.output).toBe(true);
    const v = await ours(await exportKey(home, fpr), sig);
    expect([v.status, v.code], v.message).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
  }, 60_000);

  it('an expired key, signature back-dated into its lifetime: skopeo refuses; sigscan untrusted KEY_EXPIRED', async () => {
    // Made 2024-01-01, valid one year; signed "on 2024-06-01" by a clock the signer controls.
    const { home, fpr } = await makeKey('expired', '20240101T000000', '1y');
    const sig = await sign(home, fpr, '20240601T000000');
    const ref = await skopeo(home, fpr, sig);
    expect(ref.accepted).toBe(false);
    const v = await ours(await exportKey(home, fpr), sig);
    expect([v.status, v.code], v.message).toEqual(['untrusted', 'KEY_EXPIRED']);
    // Checked as of a time when the key was valid (--at), the same signature verifies.
    const then = await ours(await exportKey(home, fpr), sig, '2024-07-01T00:00:00Z');
    expect([then.status, then.code], then.message).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
  }, 60_000);

  it('a key revoked as superseded, signature back-dated before the revocation: skopeo refuses; sigscan untrusted KEY_REVOKED', async () => {
    const { home, fpr } = await makeKey('revoked', '20240101T000000', '0');
    // The holder keeps a copy of the secret key from before the revocation (gpg itself will not sign
    // with a key it knows is revoked).
    const signerCopy = `${home}-signer`;
    cpSync(home, signerCopy, { recursive: true, filter: (src) => !/[/]S\.gpg-agent/.test(src) });
    // Revoked on 2024-06-01, reason 2 ("key is superseded": a soft revocation).
    await gpg(
      home,
      ['--faked-system-time', '20240601T000000!', '--command-fd', '0', '--edit-key', fpr],
      'revkey\ny\n2\n\ny\nsave\n',
    );
    expect(await gpg(home, ['--with-colons', '--list-keys', fpr])).toMatch(/^pub:r:/m);
    // The holder signs today, claiming 2024-03-01, before the revocation.
    const sig = await sign(signerCopy, fpr, '20240301T000000');
    const ref = await skopeo(home, fpr, sig);
    expect(ref.accepted).toBe(false);
    const v = await ours(await exportKey(home, fpr), sig);
    expect([v.status, v.code], v.message).toEqual(['untrusted', 'KEY_REVOKED']);
    // Before the revocation (--at), the same signature verifies.
    const then = await ours(await exportKey(home, fpr), sig, '2024-05-01T00:00:00Z');
    expect([then.status, then.code], then.message).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
  }, 60_000);

  describe('subkeys', () => {
    /** A primary key (certify only) with one signing subkey made at `created` with `expiry`. */
    async function withSubkey(
      name: string,
      expiry: string,
    ): Promise<{ home: string; fpr: string; sub: string }> {
      const home = join(root, name);
      mkdirSync(home, { mode: 0o700 });
      await gpg(home, [
        '--faked-system-time',
        '20240101T000000!',
        '--quick-gen-key',
        `${name} <${name}@sigscan.test>`,
        'ed25519',
        'cert',
        '0',
      ]);
      const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(await gpg(home, ['--with-colons', '--list-keys']))![1]!;
      await gpg(home, [
        '--faked-system-time',
        '20240101T000000!',
        '--quick-add-key',
        fpr,
        'ed25519',
        'sign',
        expiry,
      ]);
      const fprs = [
        ...(await gpg(home, ['--with-colons', '--list-keys'])).matchAll(/^fpr:+([0-9A-F]{40}):/gm),
      ].map((m) => m[1]!);
      return { home, fpr, sub: fprs.find((f) => f !== fpr)! };
    }

    it('a valid signing subkey: sigscan verifies as containers/image main does; Debian skopeo 1.9.3 (containers/image 5.23) still refuses subkeys', async () => {
      const { home, fpr, sub } = await withSubkey('subkey-valid', '0');
      const sig = await sign(home, `${sub}!`, '20240601T000000');
      const ref = await skopeo(home, fpr, sig);
      expect(ref.accepted).toBe(false);
      expect(ref.output).toContain(`Signature by ${sub} does not match expected fingerprint ${fpr}`);
      const v = await ours(await exportKey(home, fpr), sig);
      expect([v.status, v.code], v.message).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
      expect(v.message).toContain(`subkey ${sub}`);
    }, 60_000);

    it('an expired signing subkey, signature back-dated into its lifetime: both refuse; sigscan untrusted KEY_EXPIRED', async () => {
      const { home, fpr, sub } = await withSubkey('subkey-expired', '1y');
      const sig = await sign(home, `${sub}!`, '20240601T000000');
      expect((await skopeo(home, fpr, sig)).accepted).toBe(false);
      expect((await skopeo(home, sub, sig)).accepted).toBe(false);
      const v = await ours(await exportKey(home, fpr), sig);
      expect([v.status, v.code], v.message).toEqual(['untrusted', 'KEY_EXPIRED']);
    }, 60_000);
  });
});
