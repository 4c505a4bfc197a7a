/**
 * verifyDetached and the two family verifiers that call it (rpm, debsig), decision by decision, on
 * detached signatures gpg made over one blob with gpg-made keys (RSA 2048, Ed25519, a key that expires
 * after 2 days) in SHA-256, SHA-1 and MD5. The packet and the signed bytes are handed in as a detector
 * would hand them; the V3 packet and the unreadable packet are hand-made (gpg 2.2 makes no V3
 * signatures). rpm.test.ts and debsig.test.ts reach the same verdicts through the detectors with
 * rpmkeys/gpgv as oracles; this file is fast enough to rerun for every mutant (issue #18).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { Evidence, FileTarget, Verdict } from '../../src/model/index.js';
import { loadTrustConfig } from '../../src/trust/config.js';
import { debsigVerifier } from '../../src/trust/families/debsig.js';
import { rpmVerifier } from '../../src/trust/families/rpm.js';
import { verifyDetached } from '../../src/trust/openpgp-detached.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';

const DATA = Buffer.from('sigscan detached OpenPGP test blob\n'.repeat(20));
const SIGS = ['rsa-sha256', 'rsa-sha1', 'rsa-md5', 'eddsa-sha256', 'expiring-sha256'] as const;
const KEYS: Record<string, [uid: string, algo: string, expire: string]> = {
  rsa: ['PGP RSA Signer <pgp-rsa@sigscan.test>', 'rsa2048', 'never'],
  eddsa: ['PGP EdDSA Signer <pgp-eddsa@sigscan.test>', 'ed25519', 'never'],
  other: ['Someone Else <other@sigscan.test>', 'rsa2048', 'never'],
  expiring: ['PGP Short-lived Signer <pgp-short@sigscan.test>', 'rsa2048', '2d'],
};

/** Armored public keyrings and fingerprints, by KEYS name. */
let fx: { keyring: Record<string, string>; fingerprint: Record<string, string> };
const sig: Record<string, Uint8Array> = {};

function gpg(home: string, args: string[]): string {
  return execFileSync(
    'gpg',
    ['--batch', '--homedir', home, '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
    { encoding: 'utf8', stdio: 'pipe' },
  );
}

/** gpg --detach-sign over DATA with the key `fpr` and `digest`. */
function sign(home: string, fpr: string, digest: string, out: string): void {
  gpg(home, [
    '--local-user',
    fpr,
    '--digest-algo',
    digest,
    // gpg 2.2 still signs with MD5 when told to; openpgp.js must refuse it (rejectMessageHashAlgorithms).
    '--allow-weak-digest-algos',
    '--detach-sign',
    '--output',
    out,
    join(home, '..', 'data.bin'),
  ]);
}

// Keys and signatures made once a day (.cache/test-fixtures): Stryker reruns this hook for every mutant.
beforeAll(async () => {
  const dir = await cachedFixtureDir('openpgp-detached-v1', async (d) => {
    // A short GNUPGHOME: gpg-agent's socket path must fit.
    const work = mkdtempSync(join(tmpdir(), 'sgpg-'));
    const home = join(work, 'g');
    mkdirSync(home, { mode: 0o700 });
    try {
      writeFileSync(join(work, 'data.bin'), DATA);
      const fingerprint: Record<string, string> = {};
      for (const [name, [uid, algo, expire]] of Object.entries(KEYS)) {
        gpg(home, ['--quick-gen-key', uid, algo, 'sign', expire]);
        const listed = gpg(home, ['--list-keys', '--with-colons', uid]);
        fingerprint[name] = /^fpr:+([0-9A-F]+):/m.exec(listed)![1]!;
        writeFileSync(join(d, `${name}.asc`), gpg(home, ['--armor', '--export', fingerprint[name]!]));
      }
      writeFileSync(join(d, 'fingerprints.json'), JSON.stringify(fingerprint));
      sign(home, fingerprint['rsa']!, 'SHA256', join(d, 'rsa-sha256.sig'));
      sign(home, fingerprint['rsa']!, 'SHA1', join(d, 'rsa-sha1.sig'));
      sign(home, fingerprint['rsa']!, 'MD5', join(d, 'rsa-md5.sig'));
      sign(home, fingerprint['eddsa']!, 'SHA256', join(d, 'eddsa-sha256.sig'));
      sign(home, fingerprint['expiring']!, 'SHA256', join(d, 'expiring-sha256.sig'));
    } finally {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { stdio: 'ignore' });
      rmSync(work, { recursive: true, force: true });
    }
  });
  fx = {
    keyring: Object.fromEntries(Object.keys(KEYS).map((n) => [n, join(dir, `${n}.asc`)])),
    fingerprint: JSON.parse(readFileSync(join(dir, 'fingerprints.json'), 'utf8')) as Record<string, string>,
  };
  for (const name of SIGS) sig[name] = new Uint8Array(readFileSync(join(dir, `${name}.sig`)));
}, 120_000);

async function ctx(keyrings: string[], opts: { at?: string; allowWeakAlgorithms?: boolean } = {}) {
  const config = await loadTrustConfig({ gpgKeyring: keyrings, ...opts });
  return { config, now: config.at ?? new Date() };
}

async function check(
  name: string,
  keyrings: string[],
  opts: { at?: string; allowWeakAlgorithms?: boolean; signed?: Uint8Array } = {},
): Promise<Verdict> {
  const { signed = DATA, ...rest } = opts;
  return verifyDetached(
    { location: 'sig', packet: sig[name]!, signed, range: 'blob' },
    await ctx(keyrings, rest),
  );
}

const rsaWho = () => `PGP RSA Signer <pgp-rsa@sigscan.test> (${fx.fingerprint['rsa']})`;

describe('verifyDetached', () => {
  it('an RSA SHA-256 signature by a key in the keyring verifies, naming range, version, algorithm and key', async () => {
    expect(await check('rsa-sha256', [fx.keyring['rsa']!])).toMatchObject({
      status: 'verified',
      code: 'SIGNATURE_VERIFIED',
      message: `sig (blob, V4 RSA/SHA256) verifies with trusted key ${rsaWho()}`,
    });
    // Among other keys, the one the signature names is found.
    expect((await check('rsa-sha256', [fx.keyring['other']!, fx.keyring['rsa']!])).code).toBe(
      'SIGNATURE_VERIFIED',
    );
    expect(await check('eddsa-sha256', [fx.keyring['eddsa']!])).toMatchObject({
      status: 'verified',
      message: `sig (blob, V4 EdDSA/SHA256) verifies with trusted key PGP EdDSA Signer <pgp-eddsa@sigscan.test> (${fx.fingerprint['eddsa']})`,
    });
  });

  it('no keyring: unverified NO_TRUST_ROOT naming the key id; another key only: untrusted UNKNOWN_SIGNER', async () => {
    const keyId = fx.fingerprint['rsa']!.slice(-16);
    expect(await check('rsa-sha256', [])).toMatchObject({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
      message: `sig by OpenPGP key ${keyId} found; no --gpg-keyring given to verify it`,
    });
    expect(await check('rsa-sha256', [fx.keyring['other']!])).toMatchObject({
      status: 'untrusted',
      code: 'UNKNOWN_SIGNER',
      message: `sig is by OpenPGP key ${keyId}, which is not in the given keyrings`,
    });
  });

  it('other bytes: invalid BAD_SIGNATURE naming the key', async () => {
    const other = Buffer.from(DATA);
    other[7]! ^= 1;
    const v = await check('rsa-sha256', [fx.keyring['rsa']!], { signed: other });
    expect(v).toMatchObject({ status: 'invalid', code: 'BAD_SIGNATURE' });
    // openpgp.js's own words, not String(err)'s "Error: …".
    expect(v.message).toBe(
      `sig does not verify with key ${fx.fingerprint['rsa']} (Error verifying signed message: Signed digest did not match)`,
    );
  });

  it('an MD5 signature is BAD_SIGNATURE: openpgp.js is told to refuse MD5 (and RIPEMD) outright', async () => {
    const v = await check('rsa-md5', [fx.keyring['rsa']!], { allowWeakAlgorithms: true });
    expect(v).toMatchObject({ status: 'invalid', code: 'BAD_SIGNATURE' });
    expect(v.message).toMatch(/md5/i);
  });

  it('SHA-1 is checked, then refused as WEAK_ALGORITHM unless --allow-weak-algorithms', async () => {
    expect(await check('rsa-sha1', [fx.keyring['rsa']!])).toMatchObject({
      status: 'untrusted',
      code: 'WEAK_ALGORITHM',
      message: `sig (blob, V4 RSA/SHA1) verifies with trusted key ${rsaWho()}, but over a SHA-1 digest, which collisions make forgeable (gpgv still accepts it; --allow-weak-algorithms does too)`,
    });
    expect(await check('rsa-sha1', [fx.keyring['rsa']!], { allowWeakAlgorithms: true })).toMatchObject({
      status: 'verified',
      code: 'SIGNATURE_VERIFIED',
      message: `sig (blob, V4 RSA/SHA1) verifies with trusted key ${rsaWho()}; SHA-1 accepted because of --allow-weak-algorithms`,
    });
    // A SHA-1 signature over other bytes is still BAD_SIGNATURE, not a weak but good one.
    expect(
      (await check('rsa-sha1', [fx.keyring['rsa']!], { allowWeakAlgorithms: true, signed: DATA.subarray(1) }))
        .code,
    ).toBe('BAD_SIGNATURE');
  });

  it('checked before the signature was made: invalid SIGNATURE_TIME_INVALID', async () => {
    const v = await check('rsa-sha256', [fx.keyring['rsa']!], { at: '2001-01-01T00:00:00Z' });
    expect(v).toMatchObject({ status: 'invalid', code: 'SIGNATURE_TIME_INVALID' });
    expect(v.message).toMatch(/^sig was made after the time of the check 2001-01-01T00:00:00\.000Z \(/);
  });

  it('a key valid 2 days: verified now, untrusted KEY_NOT_VALID when checked 30 days on', async () => {
    expect((await check('expiring-sha256', [fx.keyring['expiring']!])).code).toBe('SIGNATURE_VERIFIED');
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const v = await check('expiring-sha256', [fx.keyring['expiring']!], { at: later });
    expect(v).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_VALID' });
    expect(v.message).toContain(`sig: the key ${fx.fingerprint['expiring']} is not valid at ${later}`);
  });

  it('unreadable bytes: invalid NOT_A_SIGNATURE; a V3 packet: error UNSUPPORTED_SIGNATURE_VERSION', async () => {
    const c = await ctx([fx.keyring['rsa']!]);
    const bad = await verifyDetached(
      { location: 'sig', packet: new Uint8Array([0x89, 0x01, 0x00]), signed: DATA, range: 'blob' },
      c,
    );
    expect(bad).toMatchObject({ status: 'invalid', code: 'NOT_A_SIGNATURE' });
    expect(bad.message).toMatch(/^sig is not an OpenPGP signature openpgp\.js reads: /);
    // RFC 4880 §5.2.2 V3 layout: version 3, hashed length 5, type, time, key id, RSA, SHA-256, left16, MPI.
    const body = Buffer.concat([
      Buffer.from([3, 5, 0, 0x5f, 0, 0, 0]),
      Buffer.from(fx.fingerprint['rsa']!.slice(-16), 'hex'),
      Buffer.from([1, 8, 0xaa, 0xbb, 0x00, 0x10, 0x12, 0x34]),
    ]);
    const v3 = Buffer.concat([Buffer.from([0x88, body.length]), body]);
    expect(
      await verifyDetached({ location: 'sig', packet: v3, signed: DATA, range: 'blob' }, c),
    ).toMatchObject({
      status: 'error',
      code: 'UNSUPPORTED_SIGNATURE_VERSION',
      message: 'sig is a V3 OpenPGP signature, which sigscan cannot check',
    });
  });
});

const target: FileTarget = { kind: 'file', path: 'x', size: 0, digest: 'sha256:x', format: 'rpm' };
const evidence = (family: 'rpm' | 'debsig', material: unknown): Evidence =>
  ({ family, location: 'signature header RSAHEADER', signer: {}, material }) as unknown as Evidence;

describe('rpmVerifier and debsigVerifier around verifyDetached', () => {
  it('rpm: a header-only signature counts only with a checked payload digest; header+payload needs none', async () => {
    const c = await ctx([fx.keyring['rsa']!]);
    const m = { packet: sig['rsa-sha256']!, signed: DATA, range: 'header', payloadDigestChecked: false };
    expect(await rpmVerifier(evidence('rpm', m), target, c)).toMatchObject({
      status: 'invalid',
      code: 'RPM_PAYLOAD_NOT_COVERED',
      message:
        'signature header RSAHEADER signs the header only, and the header carries no payload digest: the payload is not signed',
    });
    expect(await rpmVerifier(evidence('rpm', { ...m, payloadDigestChecked: true }), target, c)).toMatchObject(
      {
        code: 'SIGNATURE_VERIFIED',
        message: `signature header RSAHEADER (header, V4 RSA/SHA256) verifies with trusted key ${rsaWho()}`,
      },
    );
    expect(await rpmVerifier(evidence('rpm', { ...m, range: 'header+payload' }), target, c)).toMatchObject({
      code: 'SIGNATURE_VERIFIED',
      message: `signature header RSAHEADER (header+payload, V4 RSA/SHA256) verifies with trusted key ${rsaWho()}`,
    });
    expect(await rpmVerifier(evidence('rpm', undefined), target, c)).toMatchObject({
      status: 'error',
      code: 'INTERNAL',
      message: 'the RPM detector supplied no signature packet',
    });
    expect(await rpmVerifier(evidence('rpm', { ...m, packet: undefined }), target, c)).toMatchObject({
      code: 'INTERNAL',
    });
  });

  it('debsig: the range is debsigs; no packet is INTERNAL', async () => {
    const c = await ctx([fx.keyring['rsa']!]);
    expect(
      await debsigVerifier(evidence('debsig', { packet: sig['rsa-sha256']!, signed: DATA }), target, c),
    ).toMatchObject({
      code: 'SIGNATURE_VERIFIED',
      message: `signature header RSAHEADER (debsigs, V4 RSA/SHA256) verifies with trusted key ${rsaWho()}`,
    });
    expect(
      (
        await debsigVerifier(
          evidence('debsig', { packet: sig['rsa-sha256']!, signed: DATA.subarray(2) }),
          target,
          c,
        )
      ).code,
    ).toBe('BAD_SIGNATURE');
    for (const material of [undefined, { signed: DATA }]) {
      expect(await debsigVerifier(evidence('debsig', material), target, c)).toMatchObject({
        status: 'error',
        code: 'INTERNAL',
        message: 'the debsig detector supplied no signature',
      });
    }
  });
});
