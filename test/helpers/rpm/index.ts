/**
 * RPM fixtures made by the real tools: rpmbuild (a one-file noarch package), gpg keys and rpmsign, with
 * `rpmkeys --checksig` against a private rpm database as the oracle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildDirOnceSync } from '../fixture-cache.js';

const FIXTURE_VERSION = 'rpm-2';

export interface RpmFixtures {
  dir: string;
  /** unsigned, rsa (header-only RSA), rsav3 (RSA header + header+payload), eddsa (EdDSA header-only), expiring (key valid 2 days). */
  rpm: Record<string, string>;
  /** Armored public keyrings: rsa, eddsa, other. */
  keyring: Record<string, string>;
  /** GNUPGHOME holding the secret keys. */
  gnupg: string;
  fingerprint: Record<string, string>;
}

const SPEC = `Name: sigscan-test
Version: 1.0
Release: 1
Summary: sigscan test package
License: MIT
BuildArch: noarch
%description
A package for sigscan's tests.
%install
mkdir -p %{buildroot}/usr/share/sigscan-test
echo hello > %{buildroot}/usr/share/sigscan-test/hello.txt
%files
/usr/share/sigscan-test/hello.txt
`;

function gpg(home: string, args: string[], input?: string): string {
  return execFileSync('gpg', ['--batch', '--homedir', home, ...args], {
    encoding: 'utf8',
    stdio: 'pipe',
    input,
  });
}

function newKey(home: string, uid: string, algo: string, expire = 'never'): string {
  gpg(home, [
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    '',
    '--quick-gen-key',
    uid,
    algo,
    'sign',
    expire,
  ]);
  const out = gpg(home, ['--list-keys', '--with-colons', uid]);
  return /^fpr:+([0-9A-F]+):/m.exec(out)![1]!;
}

export function rpmsign(home: string, fingerprint: string, path: string, extra: string[] = []): void {
  execFileSync(
    'rpmsign',
    [
      '--define',
      '__gpg /usr/bin/gpg',
      '--define',
      `_gpg_path ${home}`,
      '--define',
      `_gpg_name ${fingerprint}`,
      '--addsign',
      ...extra,
      path,
    ],
    { stdio: 'pipe' },
  );
}

/** Made once per machine (rpmbuild and key generation take seconds), renamed into place when complete. */
export function rpmFixtures(): RpmFixtures {
  const root = join(tmpdir(), 'sigscan-fixture-cache', FIXTURE_VERSION);
  const out: RpmFixtures = {
    dir: root,
    rpm: Object.fromEntries(
      ['unsigned', 'rsa', 'rsav3', 'eddsa', 'expiring'].map((n) => [n, join(root, `${n}.rpm`)]),
    ),
    keyring: Object.fromEntries(
      ['rsa', 'eddsa', 'other', 'expiring'].map((n) => [n, join(root, `${n}.asc`)]),
    ),
    gnupg: join(root, 'gnupg'),
    fingerprint: {},
  };
  const fprFile = join(root, 'fingerprints.json');
  buildDirOnceSync(root, build);
  out.fingerprint = JSON.parse(execFileSync('cat', [fprFile], { encoding: 'utf8' })) as Record<
    string,
    string
  >;
  return out;
}

function build(work: string): void {
  const top = join(work, 'rpmbuild');
  for (const d of ['SPECS', 'SOURCES', 'BUILD', 'RPMS', 'SRPMS'])
    mkdirSync(join(top, d), { recursive: true });
  writeFileSync(join(top, 'SPECS', 't.spec'), SPEC);
  execFileSync(
    'rpmbuild',
    ['--define', `_topdir ${top}`, '--define', '_build_id_links none', '-bb', join(top, 'SPECS', 't.spec')],
    {
      stdio: 'pipe',
    },
  );
  const built = join(top, 'RPMS', 'noarch', readdirSync(join(top, 'RPMS', 'noarch'))[0]!);
  const home = join(work, 'gnupg');
  mkdirSync(home);
  chmodSync(home, 0o700);
  const fpr = {
    rsa: newKey(home, 'RPM RSA Signer <rpm-rsa@sigscan.test>', 'rsa2048'),
    eddsa: newKey(home, 'RPM EdDSA Signer <rpm-eddsa@sigscan.test>', 'ed25519'),
    other: newKey(home, 'Someone Else <other@sigscan.test>', 'rsa2048'),
    expiring: newKey(home, 'RPM Short-lived Signer <rpm-short@sigscan.test>', 'rsa2048', '2d'),
  };
  for (const [name, f] of Object.entries(fpr))
    writeFileSync(join(work, `${name}.asc`), gpg(home, ['--armor', '--export', f]));
  const at = (n: string) => join(work, `${n}.rpm`);
  execFileSync('cp', [built, at('unsigned')]);
  for (const n of ['rsa', 'rsav3', 'eddsa', 'expiring']) execFileSync('cp', [built, at(n)]);
  rpmsign(home, fpr.rsa, at('rsa'));
  rpmsign(home, fpr.rsa, at('rsav3'), ['--rpmv3']);
  rpmsign(home, fpr.eddsa, at('eddsa'));
  rpmsign(home, fpr.expiring, at('expiring'));
  rmSync(top, { recursive: true, force: true });
  writeFileSync(join(work, 'fingerprints.json'), JSON.stringify(fpr));
}

export interface RpmkeysVerdict {
  ok: boolean;
  output: string;
}

/** `rpmkeys --checksig -v` with only `keyring` imported into a private database. */
export function rpmkeysCheck(path: string, keyring: string): RpmkeysVerdict {
  const db = mkdtempSync(join(tmpdir(), 'sigscan-rpmdb-'));
  try {
    execFileSync('rpmkeys', ['--dbpath', db, '--import', keyring], { stdio: 'pipe' });
    const r = spawnSync('rpmkeys', ['--dbpath', db, '--checksig', '-v', path], { encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    return { ok: r.status === 0 && !/NOKEY|BAD|NOTTRUSTED/.test(output), output };
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
}
