/**
 * Debian packages made by dpkg-deb and signed by debsigs with gpg keys; the oracle is gpgv over
 * debian-binary + control + data, which is what debsig-verify runs (its policy directories want root-owned
 * paths on this machine, so it is not driven here).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildDirOnceSync } from '../fixture-cache.js';

const FIXTURE_VERSION = 'deb-1';

export interface DebFixtures {
  dir: string;
  /** unsigned, sha1 (debsigs default digest), sha256 (gpg digest-algo SHA256), twice (two _gpgorigin members). */
  deb: Record<string, string>;
  /** Armored public keys: signer, other. Binary keyring for gpgv: signer.gpg. */
  keyring: Record<string, string>;
  fingerprint: string;
}

function gpg(home: string, args: string[]): string {
  return execFileSync('gpg', ['--batch', '--homedir', home, ...args], { encoding: 'utf8', stdio: 'pipe' });
}

export function debFixtures(): DebFixtures {
  const root = join(tmpdir(), 'sigscan-fixture-cache', FIXTURE_VERSION);
  const out: DebFixtures = {
    dir: root,
    deb: Object.fromEntries(['unsigned', 'sha1', 'sha256', 'twice'].map((n) => [n, join(root, `${n}.deb`)])),
    keyring: {
      signer: join(root, 'signer.asc'),
      other: join(root, 'other.asc'),
      gpgv: join(root, 'signer.gpg'),
    },
    fingerprint: '',
  };
  buildDirOnceSync(root, build);
  out.fingerprint = readFileSync(join(root, 'fingerprint'), 'utf8');
  return out;
}

function build(work: string): void {
  const pkg = join(work, 'pkg');
  mkdirSync(join(pkg, 'DEBIAN'), { recursive: true });
  mkdirSync(join(pkg, 'usr', 'share', 'sigscan-test'), { recursive: true });
  writeFileSync(
    join(pkg, 'DEBIAN', 'control'),
    'Package: sigscan-test\nVersion: 1.0\nArchitecture: all\nMaintainer: Sigscan <t@sigscan.test>\nDescription: sigscan test package\n',
  );
  writeFileSync(join(pkg, 'usr', 'share', 'sigscan-test', 'hello.txt'), 'hello\n'.repeat(100));
  const at = (n: string) => join(work, `${n}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', pkg, at('unsigned')], { stdio: 'pipe' });
  const home = join(work, 'gnupg');
  mkdirSync(home);
  chmodSync(home, 0o700);
  const key = (uid: string) => {
    gpg(home, [
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--quick-gen-key',
      uid,
      'rsa2048',
      'sign',
      'never',
    ]);
    return /^fpr:+([0-9A-F]+):/m.exec(gpg(home, ['--list-keys', '--with-colons', uid]))![1]!;
  };
  const signer = key('Deb Signer <deb@sigscan.test>');
  const other = key('Someone Else <other@sigscan.test>');
  writeFileSync(join(work, 'signer.asc'), gpg(home, ['--armor', '--export', signer]));
  writeFileSync(join(work, 'other.asc'), gpg(home, ['--armor', '--export', other]));
  execFileSync('gpg', [
    '--batch',
    '--homedir',
    home,
    '--output',
    join(work, 'signer.gpg'),
    '--export',
    signer,
  ]);
  const env = { ...process.env, GNUPGHOME: home };
  const sign = (name: string) => {
    execFileSync('cp', [at('unsigned'), at(name)]);
    execFileSync('debsigs', ['--sign=origin', '-k', signer, at(name)], { stdio: 'pipe', env });
  };
  sign('sha1');
  writeFileSync(join(home, 'gpg.conf'), 'digest-algo SHA256\npersonal-digest-preferences SHA256\n');
  sign('sha256');
  // A second _gpgorigin member, appended by ar (debsigs itself replaces rather than adds).
  execFileSync('cp', [at('sha256'), at('twice')]);
  const sig = join(work, '_gpgorigin');
  writeFileSync(sig, execFileSync('ar', ['p', at('sha1'), '_gpgorigin']));
  execFileSync('ar', ['q', at('twice'), '_gpgorigin'], { cwd: work, stdio: 'pipe' });
  rmSync(sig);
  rmSync(pkg, { recursive: true, force: true });
  writeFileSync(join(work, 'fingerprint'), signer);
}

/** gpgv over debian-binary + control.tar.* + data.tar.* with the `_gpgorigin` of `deb` (debsig-verify's check). */
export function gpgvCheck(deb: string, keyring: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sigscan-gpgv-'));
  try {
    const names = execFileSync('ar', ['t', deb], { encoding: 'utf8' }).split('\n').filter(Boolean);
    const data = Buffer.concat(
      names
        .filter((n) => /^(debian-binary|control\.tar.*|data\.tar.*)$/.test(n))
        .map((n) => execFileSync('ar', ['p', deb, n])),
    );
    writeFileSync(join(dir, 'sig'), execFileSync('ar', ['p', deb, '_gpgorigin']));
    const r = spawnSync('gpgv', ['--keyring', keyring, join(dir, 'sig'), '-'], {
      input: data,
      encoding: 'utf8',
    });
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
