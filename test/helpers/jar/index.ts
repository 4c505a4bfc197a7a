/**
 * Signed-JAR fixtures made with the JDK's own tools (keytool, jar, jarsigner) in a temp directory, so
 * tests compare our parser with what the reference implementation writes and reports.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const STOREPASS = 'changeit';

export interface KeyOptions {
  alias: string;
  keyalg: 'RSA' | 'EC' | 'DSA';
  dname: string;
  keysize?: number;
  /** Alias of a key in the same keystore that issues this key's certificate (keytool -gencert). */
  issuerAlias?: string;
  /** keytool -gencert -startdate for the issued certificate, e.g. `-3y` or `2020/01/01 00:00:00`. */
  startdate?: string;
  /** Days the issued certificate is valid (default 1825). */
  validity?: number;
  /** The issued certificate is a CA (basicConstraints CA:true), to issue others in turn. */
  ca?: boolean;
  /** keytool's EKU list for the issued certificate (default codeSigning). */
  eku?: string;
}

export interface SignOptions {
  keystore: string;
  alias: string;
  sigalg?: string;
  digestalg?: string;
}

export function tempDir(prefix = 'sigscan-jar-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string } = {}): string {
  return execFileSync(cmd, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', stdio: 'pipe' });
}

/** Adds a key pair to a PKCS#12 keystore; CA-issued when `issuerAlias` is given. */
export function genKey(keystore: string, opts: KeyOptions): void {
  const base = [
    '-keystore',
    keystore,
    '-storepass',
    STOREPASS,
    '-keypass',
    STOREPASS,
    '-storetype',
    'PKCS12',
  ];
  const size = opts.keysize ?? (opts.keyalg === 'EC' ? 256 : 2048);
  run('keytool', [
    '-genkeypair',
    ...base,
    '-alias',
    opts.alias,
    '-keyalg',
    opts.keyalg,
    '-keysize',
    String(size),
    '-dname',
    opts.dname,
    '-validity',
    '3650',
    ...(opts.issuerAlias ? [] : ['-ext', 'bc:c']),
  ]);
  if (!opts.issuerAlias) return;
  const csr = run('keytool', ['-certreq', ...base, '-alias', opts.alias]);
  const issued = run(
    'keytool',
    [
      '-gencert',
      ...base,
      '-alias',
      opts.issuerAlias,
      '-rfc',
      '-validity',
      String(opts.validity ?? 1825),
      ...(opts.startdate ? ['-startdate', opts.startdate] : []),
      '-ext',
      `eku=${opts.eku ?? 'codeSigning'}`,
      ...(opts.ca ? ['-ext', 'bc:c'] : []),
    ],
    { input: csr },
  );
  const issuerCert = run('keytool', ['-exportcert', ...base, '-alias', opts.issuerAlias, '-rfc']);
  const chainFile = `${keystore}.${opts.alias}.chain.pem`;
  writeFileSync(chainFile, issued + issuerCert);
  run('keytool', ['-importcert', ...base, '-alias', opts.alias, '-file', chainFile, '-noprompt']);
}

/** Builds a JAR with `jar cf` from name → content (the tool writes META-INF/MANIFEST.MF). */
export function makeJar(jarPath: string, files: Record<string, string | Uint8Array>): string {
  const src = mkdtempSync(join(dirname(jarPath), 'src-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), content);
  }
  run('jar', ['cf', jarPath, '-C', src, '.']);
  removeDir(src);
  return jarPath;
}

export function signJar(jarPath: string, opts: SignOptions): void {
  const args = ['-keystore', opts.keystore, '-storepass', STOREPASS, '-storetype', 'PKCS12'];
  if (opts.sigalg) args.push('-sigalg', opts.sigalg);
  if (opts.digestalg) args.push('-digestalg', opts.digestalg);
  run('jarsigner', [...args, jarPath, opts.alias]);
}

export interface SignedJarOptions extends KeyOptions {
  /** File name inside `dir`. */
  name: string;
  files?: Record<string, string | Uint8Array>;
  /** Reuse a keystore (and skip key generation when the alias exists there already). */
  keystore?: string;
  skipKeygen?: boolean;
  sigalg?: string;
  digestalg?: string;
}

export interface SignedJar {
  path: string;
  keystore: string;
  alias: string;
}

export const DEFAULT_FILES: Record<string, string> = {
  'hello/Hello.txt': 'hello, world\n',
  'hello/data/numbers.txt': Array.from({ length: 200 }, (_, i) => `${i}`).join('\n'),
  'META-INF/services/example.Service': 'example.Impl\n',
};

/** keytool → jar → jarsigner, all in `dir`. */
export function makeSignedJar(dir: string, opts: SignedJarOptions): SignedJar {
  const keystore = opts.keystore ?? join(dir, 'keystore.p12');
  if (!opts.skipKeygen) genKey(keystore, opts);
  const path = makeJar(join(dir, opts.name), opts.files ?? DEFAULT_FILES);
  signJar(path, { keystore, alias: opts.alias, sigalg: opts.sigalg, digestalg: opts.digestalg });
  return { path, keystore, alias: opts.alias };
}

/** Adds or replaces entries with Info-ZIP `zip`, leaving everything else (signature included) as is. */
export function putEntries(jarPath: string, files: Record<string, string | Uint8Array>): void {
  const src = mkdtempSync(join(dirname(jarPath), 'put-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), content);
  }
  run('zip', ['-q', jarPath, ...Object.keys(files)], { cwd: src });
  removeDir(src);
}

/** A ZIP with two entries of the same name (Python's zipfile allows it, with a warning). */
export function makeZipWithDuplicate(zipPath: string, from: string, name: string, content: string): void {
  const script = [
    'import shutil, sys, warnings, zipfile',
    'warnings.simplefilter("ignore")',
    'shutil.copy(sys.argv[1], sys.argv[2])',
    'with zipfile.ZipFile(sys.argv[2], "a") as z: z.writestr(sys.argv[3], sys.argv[4])',
  ].join('\n');
  run('python3', ['-c', script, from, zipPath, name, content]);
}

export interface JarsignerReport {
  exitCode: number;
  output: string;
  verified: boolean;
  /** DNs printed as `X.509, CN=...` under `>>> Signer` (first certificate = the signer). */
  signerSubjects: string[];
  /** From the `- Signed by` summary: `Signature algorithm: SHA256withRSA, 2048-bit key`. */
  signatureAlgorithms: string[];
  digestAlgorithms: string[];
  unsignedEntries: boolean;
}

export function jarsignerVerify(jarPath: string): JarsignerReport {
  const res = spawnSync('jarsigner', ['-verify', '-verbose', '-certs', '-strict', jarPath], {
    encoding: 'utf8',
  });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  const lines = output.split(/\r?\n/);
  const subjects = new Set<string>();
  for (let i = 0; i < lines.length - 1; i++) {
    if (lines[i]!.trim() === '>>> Signer') {
      const m = /^\s*X\.509, (.*)$/.exec(lines[i + 1]!);
      if (m) subjects.add(m[1]!);
    }
  }
  const signatureAlgorithms: string[] = [];
  const digestAlgorithms: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^- Signed by "/.test(lines[i]!)) continue;
    for (let j = i + 1; j < Math.min(i + 4, lines.length); j++) {
      const sig = /^\s+Signature algorithm: ([^,\s]+)/.exec(lines[j]!);
      if (sig) signatureAlgorithms.push(sig[1]!);
      const dig = /^\s+Digest algorithm: (\S+)/.exec(lines[j]!);
      if (dig) digestAlgorithms.push(dig[1]!);
    }
  }
  return {
    exitCode: res.status ?? -1,
    output,
    verified: /^jar verified/m.test(output),
    signerSubjects: [...subjects],
    signatureAlgorithms,
    digestAlgorithms,
    unsignedEntries: /unsigned entries which have not been integrity-checked/.test(output),
  };
}

/** Writes the certificate of `alias` as PEM (for --trust-root) and returns the path. */
export function exportCertPem(keystore: string, alias: string, pemPath: string): string {
  const pem = run('keytool', [
    '-exportcert',
    '-keystore',
    keystore,
    '-storepass',
    STOREPASS,
    '-storetype',
    'PKCS12',
    '-alias',
    alias,
    '-rfc',
  ]);
  writeFileSync(pemPath, pem);
  return pemPath;
}

/** A PKCS#12 truststore holding only these certificates as trusted entries (alias → PEM path). */
export function makeTruststore(path: string, certs: Record<string, string>): string {
  for (const [alias, pem] of Object.entries(certs)) {
    run('keytool', [
      '-importcert',
      '-noprompt',
      '-keystore',
      path,
      '-storepass',
      STOREPASS,
      '-storetype',
      'PKCS12',
      '-alias',
      alias,
      '-file',
      pem,
    ]);
  }
  return path;
}

export interface StrictVerifyResult {
  exitCode: number;
  output: string;
  /** `jarsigner -verify -strict` exited 0: signature, entries, chain and validity all accepted. */
  passed: boolean;
}

/** `jarsigner -verify -strict` against a truststore of our choosing (not the JDK's cacerts). */
export function jarsignerVerifyStrict(jarPath: string, truststore: string): StrictVerifyResult {
  const res = spawnSync(
    'jarsigner',
    ['-verify', '-strict', '-keystore', truststore, '-storepass', STOREPASS, '-storetype', 'PKCS12', jarPath],
    { encoding: 'utf8' },
  );
  const exitCode = res.status ?? -1;
  return { exitCode, output: `${res.stdout ?? ''}${res.stderr ?? ''}`, passed: exitCode === 0 };
}

export function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/**
 * The start the tests that judge one signed JAR after byte surgery share: in `dir`, a CA and a signer it
 * issued (keytool, `keys.p12`), `ca.pem`, a truststore holding the CA (`trust.p12`) and `good.jar` signed by
 * the signer with jarsigner. `label` names both (`CN=<label> CA`, `CN=<label> Signer`, O=Sigscan Tests).
 */
export function caSignedGoodJar(dir: string, label: string): { keystore: string; trust: string } {
  const keystore = join(dir, 'keys.p12');
  genKey(keystore, { alias: 'ca', keyalg: 'RSA', dname: `CN=${label} CA, O=Sigscan Tests` });
  genKey(keystore, {
    alias: 'signer',
    keyalg: 'RSA',
    dname: `CN=${label} Signer, O=Sigscan Tests`,
    issuerAlias: 'ca',
  });
  const ca = exportCertPem(keystore, 'ca', join(dir, 'ca.pem'));
  const trust = makeTruststore(join(dir, 'trust.p12'), { ca });
  makeSignedJar(dir, {
    name: 'good.jar',
    alias: 'signer',
    keyalg: 'RSA',
    dname: '',
    keystore,
    skipKeygen: true,
  });
  return { keystore, trust };
}
