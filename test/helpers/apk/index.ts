/**
 * APK fixtures made with AOSP's apksigner (Debian package `apksigner`) and keytool in a temp directory,
 * plus byte surgery on the signing block for the attacker cases. apksigner's own verdict is the oracle.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildDirOnceSync } from '../fixture-cache.js';
import { exportCertPem, genKey, makeJar, STOREPASS, type KeyOptions } from '../jar/index.js';

export { exportCertPem, readBytes, removeDir, tempDir } from '../jar/index.js';

/** minSdk given explicitly: the fixtures' AndroidManifest.xml is not binary XML, so apksigner cannot read it. */
export const MIN_SDK = '24';

export interface ApkKey {
  keystore: string;
  alias: string;
}

export function apkKey(dir: string, opts: KeyOptions & { keystore?: string }): ApkKey {
  const keystore = opts.keystore ?? join(dir, `${opts.alias}.p12`);
  genKey(keystore, opts);
  return { keystore, alias: opts.alias };
}

/** An unsigned APK-shaped ZIP (made by the JDK's `jar`). */
export function makeUnsignedApk(path: string, files: Record<string, string | Uint8Array> = {}): string {
  return makeJar(path, {
    'AndroidManifest.xml': '<manifest package="org.sigscan.test"/>',
    'classes.dex': 'dex\n035\0not really dex',
    'res/raw/data.txt': 'some resource text\n'.repeat(50),
    ...files,
  });
}

function keyArgs(key: ApkKey): string[] {
  return ['--ks', key.keystore, '--ks-pass', `pass:${STOREPASS}`, '--ks-key-alias', key.alias];
}

export interface ApkSignOptions {
  v1?: boolean;
  v2?: boolean;
  v3?: boolean;
  /** Rotation: the new key, with a lineage file made by `apksigner rotate`. */
  next?: { key: ApkKey; lineage: string };
  rotationMinSdk?: string;
}

export function signApk(input: string, output: string, key: ApkKey, opts: ApkSignOptions = {}): string {
  const args = [
    'sign',
    ...keyArgs(key),
    '--min-sdk-version',
    MIN_SDK,
    '--v1-signing-enabled',
    String(opts.v1 ?? false),
    '--v2-signing-enabled',
    String(opts.v2 ?? false),
    '--v3-signing-enabled',
    String(opts.v3 ?? false),
  ];
  if (opts.next) args.push('--next-signer', ...keyArgs(opts.next.key), '--lineage', opts.next.lineage);
  if (opts.rotationMinSdk) args.push('--rotation-min-sdk-version', opts.rotationMinSdk);
  execFileSync('apksigner', [...args, '--out', output, input], { stdio: 'pipe' });
  return output;
}

/** `apksigner rotate`: a lineage in which `oldKey` vouches for `newKey`. */
export function rotate(lineage: string, oldKey: ApkKey, newKey: ApkKey): string {
  execFileSync(
    'apksigner',
    ['rotate', '--out', lineage, '--old-signer', ...keyArgs(oldKey), '--new-signer', ...keyArgs(newKey)],
    { stdio: 'pipe' },
  );
  return lineage;
}

export interface ApksignerVerdict {
  verifies: boolean;
  schemes: Record<string, boolean>;
  signerDns: string[];
  output: string;
}

/** `apksigner verify -v --print-certs`: the reference verifier's answer. */
export function apksignerVerify(path: string): ApksignerVerdict {
  const r = spawnSync('apksigner', ['verify', '-v', '--print-certs', '--min-sdk-version', MIN_SDK, path], {
    encoding: 'utf8',
  });
  const output = `${r.stdout}${r.stderr}`;
  const schemes: Record<string, boolean> = {};
  for (const m of output.matchAll(/Verified using (v[\d.]+) scheme[^:]*: (true|false)/g)) {
    schemes[m[1]!] = m[2] === 'true';
  }
  const signerDns = [...output.matchAll(/^Signer #\d+ certificate DN: (.*)$/gm)].map((m) => m[1]!);
  return { verifies: r.status === 0 && /^Verifies$/m.test(output), schemes, signerDns, output };
}

/** Little-endian ZIP/APK layout facts of a signed APK, for surgery. */
export interface ApkLayout {
  eocd: number;
  cdOffset: number;
  blockOffset: number;
  pairs: Array<{ id: number; start: number; valueStart: number; end: number }>;
}

export function apkLayout(bytes: Uint8Array): ApkLayout {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = b.lastIndexOf(Buffer.from([0x50, 0x4b, 5, 6]));
  const cdOffset = b.readUInt32LE(eocd + 16);
  const size = Number(b.readBigUInt64LE(cdOffset - 24));
  const blockOffset = cdOffset - size - 8;
  const pairs: ApkLayout['pairs'] = [];
  for (let p = blockOffset + 8; p < cdOffset - 24;) {
    const len = Number(b.readBigUInt64LE(p));
    pairs.push({ id: b.readUInt32LE(p + 8), start: p, valueStart: p + 12, end: p + 8 + len });
    p += 8 + len;
  }
  return { eocd, cdOffset, blockOffset, pairs };
}

/**
 * The same APK with its signing block rebuilt from `pairs` (raw pair bytes, length and id included):
 * sizes and the end record's central-directory offset are fixed up, entries and directory kept.
 */
export function withPairs(bytes: Uint8Array, pairs: Uint8Array[], padding = 0): Uint8Array {
  const layout = apkLayout(bytes);
  const entries = Buffer.from(bytes.subarray(0, layout.blockOffset));
  const body = Buffer.concat(pairs.map((p) => Buffer.from(p)));
  const size = BigInt(body.length + 24);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(size);
  const foot = Buffer.concat([Buffer.alloc(8), Buffer.from('APK Sig Block 42', 'latin1')]);
  foot.writeBigUInt64LE(size);
  const block = Buffer.concat([Buffer.alloc(padding), head, body, foot]);
  const rest = Buffer.from(bytes.subarray(layout.cdOffset));
  const out = Buffer.concat([entries, block, rest]);
  const eocd = entries.length + block.length + (layout.eocd - layout.cdOffset);
  out.writeUInt32LE(entries.length + block.length, eocd + 16);
  return new Uint8Array(out);
}

/** The raw bytes of each pair of the APK's signing block. */
export function rawPairs(bytes: Uint8Array): Array<{ id: number; raw: Uint8Array }> {
  return apkLayout(bytes).pairs.map((p) => ({ id: p.id, raw: bytes.slice(p.start, p.end) }));
}

/** The standard set of APKs the unit tests read, made once and kept (keyed by FIXTURE_VERSION). */
export interface ApkFixtures {
  dir: string;
  /** Signed APKs by name: unsigned, v1, v2, v3, v2v3, v1v2, rotated, issued, dsa, rsa4096, ec384. */
  apk: Record<string, string>;
  /** Certificates (PEM files): rsa, ec, ca, issued, other, dsa. */
  pem: Record<string, string>;
}

const FIXTURE_VERSION = 'apk-1';

/**
 * apksigner and keytool start a JVM per call (one to three seconds each); the mutation run re-executes a
 * test file's hooks per mutant. So the fixtures are made once per machine, in a directory renamed into
 * place only when complete, and reused after that.
 */
export function apkFixtures(): ApkFixtures {
  const root = join(tmpdir(), 'sigscan-fixture-cache', FIXTURE_VERSION);
  const names = [
    'unsigned',
    'v1',
    'v2',
    'v3',
    'v2v3',
    'v1v2',
    'rotated',
    'issued',
    'dsa',
    'rsa4096',
    'ec384',
  ];
  const pems = ['rsa', 'ec', 'ca', 'issued', 'other', 'dsa'];
  const out: ApkFixtures = {
    dir: root,
    apk: Object.fromEntries(names.map((n) => [n, join(root, `${n}.apk`)])),
    pem: Object.fromEntries(pems.map((n) => [n, join(root, `${n}.pem`)])),
  };
  buildDirOnceSync(root, (work) => {
    const ks = (name: string) => join(work, `${name}.p12`);
    const rsa = apkKey(work, { alias: 'rsa', keyalg: 'RSA', dname: 'CN=APK RSA Signer, O=Sigscan Tests' });
    const ec = apkKey(work, { alias: 'ec', keyalg: 'EC', dname: 'CN=APK EC Signer, O=Sigscan Tests' });
    const dsa = apkKey(work, { alias: 'dsa', keyalg: 'DSA', dname: 'CN=APK DSA Signer, O=Sigscan Tests' });
    const rsa4096 = apkKey(work, {
      alias: 'rsa4096',
      keyalg: 'RSA',
      keysize: 4096,
      dname: 'CN=APK RSA 4096',
    });
    const ec384 = apkKey(work, { alias: 'ec384', keyalg: 'EC', keysize: 384, dname: 'CN=APK EC P-384' });
    apkKey(work, { alias: 'other', keyalg: 'RSA', dname: 'CN=Someone Else, O=Sigscan Tests' });
    apkKey(work, {
      alias: 'ca',
      keyalg: 'RSA',
      dname: 'CN=APK Test CA, O=Sigscan Tests',
      keystore: ks('ca'),
    });
    const issued = apkKey(work, {
      alias: 'issued',
      keyalg: 'RSA',
      dname: 'CN=APK Issued Signer, O=Sigscan Tests',
      keystore: ks('ca'),
      issuerAlias: 'ca',
    });
    const unsigned = makeUnsignedApk(join(work, 'unsigned.apk'));
    const at = (n: string) => join(work, `${n}.apk`);
    signApk(unsigned, at('v1'), rsa, { v1: true });
    signApk(unsigned, at('v2'), rsa, { v2: true });
    signApk(unsigned, at('v3'), ec, { v3: true });
    signApk(unsigned, at('v2v3'), rsa, { v2: true, v3: true });
    signApk(unsigned, at('v1v2'), rsa, { v1: true, v2: true });
    signApk(unsigned, at('issued'), issued, { v2: true, v3: true });
    signApk(unsigned, at('dsa'), dsa, { v2: true });
    signApk(unsigned, at('rsa4096'), rsa4096, { v2: true });
    signApk(unsigned, at('ec384'), ec384, { v3: true });
    const lineage = rotate(join(work, 'lineage'), rsa, ec);
    signApk(unsigned, at('rotated'), rsa, { v2: true, v3: true, next: { key: ec, lineage } });
    for (const [name, alias] of [
      ['rsa', 'rsa'],
      ['ec', 'ec'],
      ['dsa', 'dsa'],
      ['other', 'other'],
    ] as const) {
      exportCertPem(ks(name), alias, join(work, `${name}.pem`));
    }
    exportCertPem(ks('ca'), 'ca', join(work, 'ca.pem'));
    exportCertPem(ks('ca'), 'issued', join(work, 'issued.pem'));
  });
  return out;
}
