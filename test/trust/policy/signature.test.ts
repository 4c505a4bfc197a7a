/**
 * checkSimpleSignature: the OpenPGP refusals of simple signing that gpg-validity.test.ts does not reach
 * (issue #18), each made by gpg with --faked-system-time and checked at a fixed time of check.
 *
 * The gpg outputs are cached on disk (.cache/test-fixtures/, keyed by FIXTURE_VERSION) so that Stryker,
 * which reruns this file's beforeAll for every mutant, does not make keys each time.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PacketList, readKey, readKeys } from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkSimpleSignature, describeKey } from '../../../src/trust/policy/signature.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { onPath, PROJECT_ROOT, run } from '../../helpers/tools.js';

const FIXTURE_VERSION = 'policy-signature-v4';
const CACHE = join(PROJECT_ROOT, '.cache', 'test-fixtures', FIXTURE_VERSION);
const NOW = new Date('2026-01-01T00:00:00Z');
const CLAIM = JSON.stringify({
  critical: {
    identity: { 'docker-reference': 'registry.example/app:v1' },
    image: { 'docker-manifest-digest': `sha256:${'ab'.repeat(32)}` },
    type: 'atomic container signature',
  },
  optional: {},
});

const FILES = [
  'a.pub',
  'b.pub',
  'rsa.pub',
  'narrowed.pub',
  'narrowed-before.pub',
  'good.sig',
  'two.sig',
  'sha1.sig',
  'future.sig',
  'narrowed.sig',
] as const;
type File = (typeof FILES)[number];

const tools = await onPath('gpg');

async function gpg(home: string, args: string[], input?: string): Promise<void> {
  await run(
    'gpg',
    ['--homedir', home, '--batch', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', ...args],
    { timeoutMs: 120_000, input },
  );
}

async function newKey(home: string, name: string, algo: string): Promise<string> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  await gpg(home, [
    '--faked-system-time',
    '20240101T000000!',
    '--quick-gen-key',
    `${name} <${name}@sigscan.test>`,
    algo,
    'sign',
    '0',
  ]);
  const r = await run('gpg', ['--homedir', home, '--with-colons', '--list-keys']);
  return /^fpr:+([0-9A-F]{40}):/m.exec(r.stdout)![1]!;
}

/** Makes every fixture with gpg into CACHE (once per FIXTURE_VERSION). */
async function make(): Promise<void> {
  if (FILES.every((f) => existsSync(join(CACHE, f)))) return;
  // GnuPG homes in a short temp path: gpg-agent's socket path must fit a Unix socket address, which a
  // Stryker sandbox path does not.
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'sg-'));
  const claim = join(work, 'claim.json');
  writeFileSync(claim, CLAIM);
  const homes = { a: join(work, 'a'), b: join(work, 'b'), rsa: join(work, 'rsa'), narrowed: join(work, 'n') };
  const a = await newKey(homes.a, 'a', 'ed25519');
  const b = await newKey(homes.b, 'b', 'ed25519');
  const rsa = await newKey(homes.rsa, 'rsa', 'rsa2048');
  // A certify-only primary key with one signing subkey.
  mkdirSync(homes.narrowed, { recursive: true, mode: 0o700 });
  await gpg(homes.narrowed, [
    '--faked-system-time',
    '20240101T000000!',
    '--quick-gen-key',
    'narrowed <n@sigscan.test>',
    'ed25519',
    'cert',
    '0',
  ]);
  const narrowed = /^fpr:+([0-9A-F]{40}):/m.exec(
    (await run('gpg', ['--homedir', homes.narrowed, '--with-colons', '--list-keys'])).stdout,
  )![1]!;
  await gpg(homes.narrowed, [
    '--faked-system-time',
    '20240101T000000!',
    '--quick-add-key',
    narrowed,
    'ed25519',
    'sign',
    '0',
  ]);
  const out = (f: File) => join(CACHE, f);
  const at = (t: string) => ['--faked-system-time', `${t}!`];
  await gpg(homes.a, ['--output', out('a.pub'), '--export', a]);
  await gpg(homes.b, ['--output', out('b.pub'), '--export', b]);
  await gpg(homes.rsa, ['--output', out('rsa.pub'), '--export', rsa]);
  await gpg(homes.a, [...at('20240301T000000'), '-u', a, '--output', out('good.sig'), '--sign', claim]);
  // One message, two one-pass signatures: b's key imported into a's home so gpg signs with both.
  await gpg(homes.a, ['--import', out('b.pub')]);
  await run('cp', ['-r', join(homes.b, 'private-keys-v1.d'), homes.a]).catch(() => undefined);
  await gpg(homes.a, [
    ...at('20240301T000000'),
    '-u',
    a,
    '-u',
    b,
    '--output',
    out('two.sig'),
    '--sign',
    claim,
  ]);
  await gpg(homes.rsa, [
    ...at('20240301T000000'),
    '--digest-algo',
    'SHA1',
    '-u',
    rsa,
    '--output',
    out('sha1.sig'),
    '--sign',
    claim,
  ]);
  // Signed "in 2030", checked in 2026.
  await gpg(homes.a, [...at('20300101T000000'), '-u', a, '--output', out('future.sig'), '--sign', claim]);
  // Signed 2024-03-01 by the subkey; on 2024-06-01 its holder rebound the subkey for authentication only.
  await gpg(homes.narrowed, [
    ...at('20240301T000000'),
    '-u',
    narrowed,
    '--output',
    out('narrowed.sig'),
    '--sign',
    claim,
  ]);
  await gpg(homes.narrowed, ['--output', out('narrowed-before.pub'), '--export', narrowed]);
  await gpg(
    homes.narrowed,
    [...at('20240601T000000'), '--command-fd', '0', '--edit-key', narrowed],
    'key 1\nchange-usage\nS\nA\nQ\nsave\n',
  );
  await gpg(homes.narrowed, ['--output', out('narrowed.pub'), '--export', narrowed]);
  for (const name of Object.values(homes)) {
    await run('gpgconf', ['--homedir', name, '--kill', 'gpg-agent'], { check: false }).catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
}

describe.skipIf(!tools)('checkSimpleSignature (gpg-made signatures)', () => {
  beforeAll(make, 180_000);
  afterAll(() => undefined);

  const keys = async (...f: File[]) =>
    (
      await Promise.all(f.map((x) => readKeys({ binaryKeys: new Uint8Array(readFileSync(join(CACHE, x))) })))
    ).flat();
  const sig = (f: File) => new Uint8Array(readFileSync(join(CACHE, f)));
  const check = async (s: File, ...k: File[]) => {
    const r = await checkSimpleSignature(sig(s), await keys(...k), NOW);
    return r.ok ? { ok: true, code: 'OK' } : { ok: false, status: r.status, code: r.code };
  };

  it('a good signature by a trusted key verifies (the control)', async () => {
    const r = await checkSimpleSignature(sig('good.sig'), await keys('a.pub'), NOW);
    expect(r.ok).toBe(true);
    expect(r.ok && r.created?.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(r.ok && r.claim.dockerReference).toBe('registry.example/app:v1');
  });

  it('one message signed by two keys: invalid MULTIPLE_SIGNATURES, even when both are trusted', async () => {
    expect(await check('two.sig', 'a.pub', 'b.pub')).toEqual({
      ok: false,
      status: 'invalid',
      code: 'MULTIPLE_SIGNATURES',
    });
    const r = await checkSimpleSignature(sig('two.sig'), await keys('a.pub', 'b.pub'), NOW);
    expect(!r.ok && r.message).toBe('the message carries 2 signatures; simple signing expects one');
  });

  it('a SHA-1 signature (gpg makes it on request): invalid SIGNATURE_REJECTED, openpgp.js refuses the hash', async () => {
    const r = await checkSimpleSignature(sig('sha1.sig'), await keys('rsa.pub'), NOW);
    expect(r.ok ? 'OK' : [r.status, r.code, r.message]).toEqual([
      'invalid',
      'SIGNATURE_REJECTED',
      'the signature was rejected: Insecure message hash algorithm: SHA1',
    ]);
  });

  it('a signature claiming a creation time after the time of check: invalid SIGNATURE_TIME_INVALID', async () => {
    expect(await check('future.sig', 'a.pub')).toEqual({
      ok: false,
      status: 'invalid',
      code: 'SIGNATURE_TIME_INVALID',
    });
    // Checked after the claimed time, it verifies: the refusal is the time, not the bytes.
    const later = await checkSimpleSignature(
      sig('future.sig'),
      await keys('a.pub'),
      new Date('2030-06-01T00:00:00Z'),
    );
    expect(later.ok).toBe(true);
  });

  it('a signing subkey rebound for authentication only after signing: untrusted KEY_NOT_VALID at the time of check', async () => {
    // gpg replaces the old binding signature on export, and openpgp.js' update() keeps only the newest;
    // a keyring that saw the key before and after holds both. Made by appending the old binding packet
    // to the new certificate: OpenPGP reads every binding signature that follows a subkey packet.
    const [before] = await keys('narrowed-before.pub');
    const oldBinding = new PacketList();
    oldBinding.push(before!.getSubkeys()[0]!.bindingSignatures[0]!);
    const key = await readKey({
      binaryKey: new Uint8Array(
        Buffer.concat([readFileSync(join(CACHE, 'narrowed.pub')), oldBinding.write()]),
      ),
    });
    expect(key.getSubkeys()[0]!.bindingSignatures.map((b) => b.created?.toISOString())).toEqual([
      '2024-06-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
    ]);
    const r = await checkSimpleSignature(sig('narrowed.sig'), [key], NOW);
    expect(r.ok ? 'OK' : [r.status, r.code]).toEqual(['untrusted', 'KEY_NOT_VALID']);
    expect(!r.ok && r.message).toMatch(
      /^the signing key is not a valid signing key at 2026-01-01T00:00:00.000Z \(/,
    );
    // Before the narrowing (--at), it could sign: verified.
    const then = await checkSimpleSignature(sig('narrowed.sig'), [key], new Date('2024-05-01T00:00:00Z'));
    expect(then.ok).toBe(true);
  });
});

/**
 * A signing subkey that expired after it signed, under a primary key that can sign and is still valid:
 * the subkey named by the signature is the one judged at the time of check (keyValidAt), never "some
 * valid signing key of the certificate". gpg --verify at that time is the reference: EXPKEYSIG.
 */
describe.skipIf(!tools)('a signature by a subkey expired at the time of check', () => {
  const AT = new Date('2026-01-01T00:00:00Z');
  let dir: string;
  beforeAll(async () => {
    dir = await cachedFixtureDir('policy-signature-expired-subkey-v1', async (out) => {
      const home = mkdtempSync(join(tmpdir(), 'sx-'));
      const fpr = await newKey(home, 'expiring', 'ed25519');
      await gpg(home, [
        '--faked-system-time',
        '20240101T000000!',
        '--quick-add-key',
        fpr,
        'ed25519',
        'sign',
        '2025-01-01',
      ]);
      const sub = [
        ...(await run('gpg', ['--homedir', home, '--with-colons', '--list-keys'])).stdout.matchAll(
          /^fpr:+([0-9A-F]{40}):/gm,
        ),
      ][1]![1]!;
      writeFileSync(join(out, 'claim.json'), CLAIM);
      await gpg(home, [
        '--faked-system-time',
        '20240301T000000!',
        '-u',
        `${sub}!`,
        '--output',
        join(out, 'sub.sig'),
        '--sign',
        join(out, 'claim.json'),
      ]);
      await gpg(home, ['--output', join(out, 'key.pub'), '--export', fpr]);
      const status = await run(
        'gpg',
        [
          '--homedir',
          home,
          '--batch',
          '--faked-system-time',
          '20260101T000000!',
          '--status-fd',
          '1',
          '--decrypt',
          join(out, 'sub.sig'),
        ],
        { check: false },
      );
      writeFileSync(join(out, 'gpg-status.txt'), status.stdout);
      writeFileSync(join(out, 'fingerprints.json'), JSON.stringify({ fpr, sub }));
      await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { check: false }).catch(
        () => undefined,
      );
      rmSync(home, { recursive: true, force: true });
    });
  }, 180_000);

  it('gpg says EXPKEYSIG; sigscan: untrusted KEY_EXPIRED, though the primary key could sign', async () => {
    const { sub } = JSON.parse(readFileSync(join(dir, 'fingerprints.json'), 'utf8')) as { sub: string };
    expect(readFileSync(join(dir, 'gpg-status.txt'), 'utf8')).toMatch(
      new RegExp(`^\\[GNUPG:\\] EXPKEYSIG ${sub.slice(24)} `, 'm'),
    );
    const keys = await readKeys({ binaryKeys: new Uint8Array(readFileSync(join(dir, 'key.pub'))) });
    const r = await checkSimpleSignature(new Uint8Array(readFileSync(join(dir, 'sub.sig'))), keys, AT);
    expect(r.ok ? 'OK' : [r.status, r.code, r.keyId]).toEqual(['untrusted', 'KEY_EXPIRED', sub.slice(24)]);
    expect(!r.ok && r.message).toMatch(
      /^the signing key is expired at 2026-01-01T00:00:00\.000Z, the time of the check \((?!Error: )[^)]*expired[^)]*\); its signatures are refused whatever creation time they claim$/i,
    );
    // Before the subkey expired it verifies, and names the subkey under its primary key.
    const then = await checkSimpleSignature(
      new Uint8Array(readFileSync(join(dir, 'sub.sig'))),
      keys,
      new Date('2024-06-01T00:00:00Z'),
    );
    expect(then.ok && describeKey(then.key)).toMatch(
      new RegExp(`^"expiring <expiring@sigscan.test>" \\([0-9A-F]{40}, subkey ${sub}\\)$`),
    );
  });
});

describe('checkSimpleSignature: blobs that are not simple signatures', () => {
  const at = new Date('2026-01-01T00:00:00Z');
  it('names why, before any key is looked at', async () => {
    expect(await checkSimpleSignature(new Uint8Array(0), [], at)).toEqual({
      ok: false,
      status: 'invalid',
      code: 'NOT_A_SIGNATURE',
      message: 'the signature blob is empty',
    });
    expect(await checkSimpleSignature(new TextEncoder().encode('\0sigstore-json\n{}'), [], at)).toEqual({
      ok: false,
      status: 'invalid',
      code: 'NOT_A_SIGNATURE',
      message: 'a sigstore-json blob',
    });
    // A compressed-data packet header with nothing OpenPGP can read behind it.
    const broken = await checkSimpleSignature(new Uint8Array([0xa3, 0x01, 0xff, 0xff, 0xff]), [], at);
    expect(broken).toMatchObject({ ok: false, status: 'invalid', code: 'NOT_A_SIGNATURE' });
    expect(!broken.ok && broken.message.length).toBeGreaterThan(0);
  });
});

describe('describeKey', () => {
  it('quotes the first user id, names a signing subkey only when it is not the primary key', () => {
    expect(
      describeKey({ userIds: ['a <a@x>', 'b'], primaryFingerprint: 'AA', signingKeyFingerprint: 'AA' }),
    ).toBe('"a <a@x>" (AA)');
    expect(describeKey({ userIds: [], primaryFingerprint: 'AA', signingKeyFingerprint: 'BB' })).toBe(
      '(AA, subkey BB)',
    );
  });
});

/**
 * A key whose holder later set its expiry to a date before the signature (a self-signature dated
 * between the key's creation and the signature): openpgp.js judges the key at the signature's creation
 * time and finds it expired then. gpg --verify reports EXPKEYSIG.
 */
describe.skipIf(!tools)('a signature made after the expiry its key now declares', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await cachedFixtureDir('policy-signature-shortened-expiry-v1', async (out) => {
      const home = mkdtempSync(join(tmpdir(), 'sk-'));
      const fpr = await newKey(home, 'shortened', 'ed25519');
      writeFileSync(join(out, 'claim.json'), CLAIM);
      await gpg(home, [
        '--faked-system-time',
        '20240301T000000!',
        '-u',
        fpr,
        '--output',
        join(out, 's.sig'),
        '--sign',
        join(out, 'claim.json'),
      ]);
      // gpg refuses an expiry in the past, so the new self-signature is dated before the signature.
      await gpg(home, ['--faked-system-time', '20240115T000000!', '--quick-set-expire', fpr, '2024-02-01']);
      await gpg(home, ['--output', join(out, 'key.pub'), '--export', fpr]);
      const status = await run(
        'gpg',
        [
          '--homedir',
          home,
          '--batch',
          '--faked-system-time',
          '20260101T000000!',
          '--status-fd',
          '1',
          '--decrypt',
          join(out, 's.sig'),
        ],
        { check: false },
      );
      writeFileSync(join(out, 'gpg-status.txt'), status.stdout);
      await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { check: false }).catch(
        () => undefined,
      );
      rmSync(home, { recursive: true, force: true });
    });
  }, 180_000);

  it('gpg says EXPKEYSIG; sigscan: untrusted KEY_EXPIRED, judged at the signature time', async () => {
    expect(readFileSync(join(dir, 'gpg-status.txt'), 'utf8')).toMatch(
      /^\[GNUPG:\] EXPKEYSIG [0-9A-F]{16} shortened /m,
    );
    const keys = await readKeys({ binaryKeys: new Uint8Array(readFileSync(join(dir, 'key.pub'))) });
    const r = await checkSimpleSignature(new Uint8Array(readFileSync(join(dir, 's.sig'))), keys, NOW);
    expect(r.ok ? 'OK' : [r.status, r.code, r.message]).toEqual([
      'untrusted',
      'KEY_EXPIRED',
      'the signing key had expired or was not yet valid when it signed (Primary key is expired)',
    ]);
  });
});
