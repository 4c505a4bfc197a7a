/**
 * skopeo `dir:` layouts with simple signatures: a real registry, `skopeo copy --sign-by --sign-identity
 * docker://… dir:DIR` (skopeo writes `signature-1` beside `manifest.json`), then `sigscan layout DIR`.
 * `skopeo standalone-verify` is the oracle: it takes the expected docker reference from the user, as
 * --signed-identity does.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import { makeAndPushImage } from '../helpers/images.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

describe('sigscan layout on a skopeo dir: layout with simple signatures', () => {
  let reg: TestRegistry;
  let work: string;
  let gnupg: string;
  let fingerprint: string;
  let otherFingerprint: string;
  let keyring: string;
  let otherKeyring: string;
  let dir: string;
  let ref: string;
  let digest: string;

  const gpg = async (home: string, args: string[]) =>
    (await run('gpg', ['--homedir', home, '--batch', ...args], { timeoutMs: 60_000 })).stdout;

  async function makeKey(home: string, uid: string): Promise<string> {
    await mkdir(home, { recursive: true, mode: 0o700 });
    await gpg(home, [
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--quick-gen-key',
      uid,
      'rsa3072',
      'sign',
      'never',
    ]);
    return /^fpr:+([0-9A-F]{40}):/m.exec(await gpg(home, ['--with-colons', '--list-keys', uid]))![1]!;
  }

  /** skopeo's own verdict: exit 0 and "Signature verified" or a failure. */
  async function oracle(at: string, expectedRef: string, fpr = fingerprint): Promise<boolean> {
    const res = await run(
      'skopeo',
      ['standalone-verify', join(at, 'manifest.json'), expectedRef, fpr, join(at, 'signature-1')],
      { env: { GNUPGHOME: gnupg }, check: false, timeoutMs: 60_000 },
    );
    return res.code === 0 && res.stdout.includes('Signature verified');
  }

  async function scan(at: string, ...flags: string[]): Promise<JsonTarget> {
    const { report } = await sigscanJson(['layout', at, ...flags]);
    expect(report.targets).toHaveLength(1);
    return report.targets[0]!;
  }

  beforeAll(async () => {
    reg = await startRegistry();
    work = await mkdtemp(join(tmpdir(), 'sigscan-dir-'));
    gnupg = join(work, 'gnupg');
    fingerprint = await makeKey(gnupg, 'dir signer <dir@example.test>');
    otherFingerprint = await makeKey(gnupg, 'someone else <other@example.test>');
    keyring = join(work, 'signer.gpg');
    otherKeyring = join(work, 'other.gpg');
    await gpg(gnupg, ['--output', keyring, '--export', fingerprint]);
    await gpg(gnupg, ['--output', otherKeyring, '--export', otherFingerprint]);

    const pushed = await makeAndPushImage(reg, join(work, 'layout'), 'dirs/app', 'v1', {
      seed: 'skopeo-dir',
    });
    ref = pushed.ref;
    dir = join(work, 'dir');
    await run(
      'skopeo',
      [
        '--insecure-policy',
        'copy',
        '--quiet',
        '--retry-times=0',
        '--src-tls-verify=false',
        '--sign-by',
        fingerprint,
        '--sign-identity',
        ref,
        `docker://${ref}`,
        `dir:${dir}`,
      ],
      { env: { GNUPGHOME: gnupg }, timeoutMs: 60_000 },
    );
    digest = pushed.digest;
  }, 180_000);

  afterAll(async () => {
    await run('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent'], { check: false });
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('verifies the signature skopeo wrote when --signed-identity names the signed reference', async () => {
    expect(await oracle(dir, ref)).toBe(true);
    const t = await scan(dir, '--gpg-keyring', keyring, '--signed-identity', ref);
    expect(t.ref).toBe(`dir:${dir}@${digest}`);
    expect(t.digest).toBe(digest);
    expect(t.signatures).toHaveLength(1);
    const [sig] = t.signatures;
    expect(sig!.family).toBe('simple-signing');
    expect(sig!.location).toBe('signature-1');
    expect(sig!.details['source']).toBe('dir');
    expect(sig!.signer.keyId).toBe(fingerprint);
    expect(sig!.claims).toMatchObject({ subjectDigest: digest, identity: ref });
    expect(sig!.verdict).toMatchObject({ status: 'verified', code: 'SIGNED_BY_TRUSTED_KEY' });
  });

  it('leaves the claimed identity unmatched without --signed-identity, and refuses another one', async () => {
    const none = await scan(dir, '--gpg-keyring', keyring);
    expect(none.signatures[0]!.verdict).toMatchObject({ status: 'unverified', code: 'IDENTITY_NOT_CHECKED' });
    expect(none.signatures[0]!.verdict.message).toContain(`for "${ref}"`);

    const other = `${reg.host}/dirs/other:v1`;
    expect(await oracle(dir, other)).toBe(false);
    const wrong = await scan(dir, '--gpg-keyring', keyring, '--signed-identity', other);
    expect(wrong.signatures[0]!.verdict).toMatchObject({ status: 'untrusted', code: 'IDENTITY_MISMATCH' });
  });

  it('does not trust another key', async () => {
    expect(await oracle(dir, ref, otherFingerprint)).toBe(false);
    const t = await scan(dir, '--gpg-keyring', otherKeyring, '--signed-identity', ref);
    expect(t.signatures[0]!.verdict).toMatchObject({ status: 'untrusted', code: 'UNKNOWN_SIGNER' });
  });

  it('refuses a tampered signature and a changed manifest', async () => {
    const tampered = join(work, 'tampered');
    await cp(dir, tampered, { recursive: true });
    const sig = await readFile(join(tampered, 'signature-1'));
    sig[sig.length - 20] = sig[sig.length - 20]! ^ 0x01;
    await writeFile(join(tampered, 'signature-1'), sig);
    expect(await oracle(tampered, ref)).toBe(false);
    const t = await scan(tampered, '--gpg-keyring', keyring, '--signed-identity', ref);
    // The flipped byte is inside gpg's compressed packet: depending on the key's random bytes it breaks the
    // deflate stream (NOT_A_SIGNATURE) or changes what is checked (BAD_SIGNATURE); never a pass.
    expect(t.signatures[0]!.verdict.status).toBe('invalid');
    expect(['BAD_SIGNATURE', 'NOT_A_SIGNATURE']).toContain(t.signatures[0]!.verdict.code);

    const moved = join(work, 'moved');
    await cp(dir, moved, { recursive: true });
    const manifest = JSON.parse(await readFile(join(moved, 'manifest.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    manifest['annotations'] = { evil: 'yes' };
    await writeFile(join(moved, 'manifest.json'), JSON.stringify(manifest));
    expect(await oracle(moved, ref)).toBe(false);
    const m = await scan(moved, '--gpg-keyring', keyring, '--signed-identity', ref);
    expect(m.digest).not.toBe(digest);
    expect(m.signatures[0]!.verdict).toMatchObject({ status: 'invalid', code: 'CLAIM_DIGEST_MISMATCH' });
  });

  it('says simple signing was checked for a dir: layout and not for an OCI layout', async () => {
    const { report } = await sigscanJson(['layout', dir, '--gpg-keyring', keyring]);
    const scanInfo = (
      report as unknown as { scan: { checked: string[]; notChecked: Array<{ family: string }> } }
    ).scan;
    expect(scanInfo.checked).toContain('simple-signing');
    expect(scanInfo.notChecked.map((n) => n.family)).toEqual(['tuf']);
    const mixed = (
      (await sigscanJson(['layout', dir, join(work, 'layout')])).report as unknown as {
        scan: { notChecked: Array<{ family: string }> };
      }
    ).scan;
    expect(mixed.notChecked.map((n) => n.family)).toEqual(['simple-signing', 'tuf']);
  });
});
