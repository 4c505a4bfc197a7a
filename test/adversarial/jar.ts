import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { join } from 'node:path';

import { describeError } from '../../src/errors.js';
import { buildDirOnceSync } from '../helpers/fixture-cache.js';
import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeSignedJar,
  makeTruststore,
} from '../helpers/jar/index.js';
import { PROJECT_ROOT } from '../helpers/tools.js';
import { config, evaluateFile } from '../trust/helpers.js';
import { caseList, outcomeOf, type AdversarialCase, type FamilyCorpus, type Outcome } from './corpus.js';

/**
 * JAR cases: keytool makes a CA and signers, `jar` and jarsigner make the signed JARs, then Python's
 * zipfile (which writes any entry name it is given) rewrites entries, or byte surgery edits headers.
 * Verdicts come from the JAR detector and the trust evaluator, as a scan runs them; jarsigner -verify
 * -strict against a truststore of the test CA runs beside on the cases marked with `oracle`.
 */

const FILES: Record<string, string> = {
  'app/Main.class': 'not really a class, but signed\n',
  'app/config.properties': 'mode=safe\nurl=https://example.invalid/\n',
  'app/data/table.txt': Array.from({ length: 300 }, (_, i) => `row ${i}`).join('\n'),
  'META-INF/services/app.Plugin': 'app.SafePlugin\n',
};

interface Keys {
  dir: string;
  keystore: string;
  otherKeystore: string;
  caPem: string;
  otherCaPem: string;
  truststore: string;
}

/** Keys and the signed JARs, made once a day (keytool and jarsigner start a JVM each: seconds). */
function buildKeys(): Keys {
  const dir = buildDirOnceSync(
    join(
      PROJECT_ROOT,
      '.cache',
      'test-fixtures',
      `adversarial-jar-v1-${new Date().toISOString().slice(0, 10)}`,
    ),
    (d) => {
      const ks = join(d, 'keys.p12');
      genKey(ks, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Adversarial JAR CA, O=Sigscan Tests' });
      genKey(ks, {
        alias: 'signer',
        keyalg: 'RSA',
        dname: 'CN=Adversarial JAR Signer, O=Sigscan Tests',
        issuerAlias: 'ca',
      });
      genKey(ks, {
        alias: 'expired',
        keyalg: 'RSA',
        dname: 'CN=Adversarial Expired Signer, O=Sigscan Tests',
        issuerAlias: 'ca',
        startdate: '-3y',
        validity: 365,
      });
      // Another CA with a signer under the same alias, so its signature files have the same names.
      const other = join(d, 'other.p12');
      genKey(other, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Adversarial JAR CA, O=Sigscan Tests' });
      genKey(other, {
        alias: 'signer',
        keyalg: 'RSA',
        dname: 'CN=Adversarial JAR Signer, O=Sigscan Tests',
        issuerAlias: 'ca',
      });
      exportCertPem(ks, 'ca', join(d, 'ca.pem'));
      exportCertPem(other, 'ca', join(d, 'other-ca.pem'));
      makeTruststore(join(d, 'trust.p12'), { ca: join(d, 'ca.pem') });
      const sign = (
        name: string,
        keystore: string,
        alias: string,
        extra: { sigalg?: string; digestalg?: string } = {},
      ) =>
        makeSignedJar(d, {
          name,
          alias,
          keyalg: 'RSA',
          dname: '',
          keystore,
          skipKeygen: true,
          files: FILES,
          ...extra,
        });
      sign('signed.jar', ks, 'signer');
      sign('other-signer.jar', other, 'signer');
      sign('expired.jar', ks, 'expired');
      sign('sha1-digest.jar', ks, 'signer', { digestalg: 'SHA-1', sigalg: 'SHA1withRSA' });
    },
  );
  return {
    dir,
    keystore: join(dir, 'keys.p12'),
    otherKeystore: join(dir, 'other.p12'),
    caPem: join(dir, 'ca.pem'),
    otherCaPem: join(dir, 'other-ca.pem'),
    truststore: join(dir, 'trust.p12'),
  };
}

type RewriteOps = {
  drop?: string[];
  /** name → new bytes (a string is taken byte for byte, latin1). */
  replace?: Record<string, string | Buffer>;
  add?: Array<[string, string | Buffer]>;
  rename?: Record<string, string>;
};

/**
 * ZIP rewrites are queued and made by one Python process (zipfile writes any entry name it is given);
 * byte patches run after it, in order, so a patch may edit a rewritten file. One interpreter start
 * instead of thirty matters on a loaded machine.
 */
class Surgery {
  private rewrites: Array<{ src: string; out: string; ops: RewriteOps }> = [];
  private patches: Array<() => void> = [];

  rewrite(src: string, out: string, ops: RewriteOps): string {
    this.rewrites.push({ src, out, ops });
    return out;
  }

  patch(src: string, out: string, edit: (bytes: Buffer) => Buffer | void): string {
    this.patches.push(() => {
      const bytes = Buffer.from(readFileSync(src));
      writeFileSync(out, edit(bytes) ?? bytes);
    });
    return out;
  }

  run(): void {
    const hex = (v: string | Buffer) =>
      (typeof v === 'string' ? Buffer.from(v, 'latin1') : v).toString('hex');
    const jobs = this.rewrites.map(({ src, out, ops }) => ({
      src,
      out,
      drop: ops.drop ?? [],
      rename: ops.rename ?? {},
      replace: Object.fromEntries(Object.entries(ops.replace ?? {}).map(([k, v]) => [k, hex(v)])),
      add: (ops.add ?? []).map(([k, v]) => [k, hex(v)]),
    }));
    const script = [
      'import json, sys, warnings, zipfile',
      'warnings.simplefilter("ignore")',
      'for job in json.load(sys.stdin):',
      '    with zipfile.ZipFile(job["src"]) as zin, zipfile.ZipFile(job["out"], "w") as zout:',
      '        for info in zin.infolist():',
      '            if info.filename in job["drop"]: continue',
      '            data = zin.read(info.filename)',
      '            if info.filename in job["replace"]: data = bytes.fromhex(job["replace"][info.filename])',
      '            if info.filename in job["rename"]: info.filename = job["rename"][info.filename]',
      '            zout.writestr(info, data)',
      '        for name, data in job["add"]:',
      '            zout.writestr(zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0)), bytes.fromhex(data))',
    ].join('\n');
    if (jobs.length) execFileSync('python3', ['-c', script], { input: JSON.stringify(jobs) });
    for (const p of this.patches) p();
  }
}

/** An entry's bytes, read by hand from the central directory (stored or deflated). */
function entryBytes(jar: string, name: string): Buffer {
  const bytes = Buffer.from(readFileSync(jar));
  const e = entry(bytes, name);
  const method = bytes.readUInt16LE(e.at + 10);
  const size = bytes.readUInt32LE(e.at + 20);
  const start = e.local + 30 + bytes.readUInt16LE(e.local + 26) + bytes.readUInt16LE(e.local + 28);
  const data = bytes.subarray(start, start + size);
  return method === 8 ? inflateRawSync(data) : Buffer.from(data);
}

interface Cen {
  at: number;
  name: string;
  local: number;
}

function endOf(bytes: Buffer): { at: number; count: number; cenOffset: number } {
  const at = bytes.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  return { at, count: bytes.readUInt16LE(at + 10), cenOffset: bytes.readUInt32LE(at + 16) };
}

function centralEntries(bytes: Buffer): Cen[] {
  const end = endOf(bytes);
  const out: Cen[] = [];
  for (let p = end.cenOffset, i = 0; i < end.count; i++) {
    const n = bytes.readUInt16LE(p + 28);
    out.push({
      at: p,
      name: bytes.subarray(p + 46, p + 46 + n).toString('latin1'),
      local: bytes.readUInt32LE(p + 42),
    });
    p += 46 + n + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
  }
  return out;
}

function entry(bytes: Buffer, name: string): Cen {
  const e = centralEntries(bytes).find((c) => c.name === name);
  if (!e) throw new Error(`no entry ${name}`);
  return e;
}

/** Replaces every occurrence of `from` (the same length as `to`) in local and central headers. */
function renameBytes(bytes: Buffer, from: string, to: string, onlyFirst = false): void {
  const a = Buffer.from(from, 'latin1');
  const b = Buffer.from(to, 'latin1');
  if (a.length !== b.length) throw new Error('renameBytes keeps lengths');
  for (let i = bytes.indexOf(a); i >= 0; i = bytes.indexOf(a, i + 1)) {
    b.copy(bytes, i);
    if (onlyFirst) return;
  }
}

interface JarCase {
  id: string;
  attack: string;
  status: AdversarialCase['status'];
  code: string | readonly string[];
  control?: boolean;
  oracle?: boolean;
  /** Trust roots other than the test CA. */
  roots?: 'other' | 'none';
  at?: string;
  make: (out: string) => string;
}

export async function jarCorpus(work: string): Promise<FamilyCorpus> {
  const k = buildKeys();
  const signed = join(k.dir, 'signed.jar');
  const dir = join(work, 'jar');
  mkdirSync(dir, { recursive: true });
  const blockOf = entryBytes;
  const surgery = new Surgery();
  const rewrite = surgery.rewrite.bind(surgery);
  const patch = surgery.patch.bind(surgery);

  const jc: JarCase[] = [
    {
      id: 'jar-control',
      attack: 'untouched jarsigner-signed JAR',
      status: 'verified',
      code: 'CHAIN_VALID',
      control: true,
      oracle: true,
      make: () => signed,
    },
    {
      id: 'jar-control-sha1',
      attack: 'untouched JAR signed with SHA-1 digests (accepted, reported)',
      status: 'untrusted',
      code: 'WEAK_ALGORITHM',
      make: () => join(k.dir, 'sha1-digest.jar'),
    },
    {
      id: 'jar-entry-modified',
      attack: 'a signed entry rewritten after signing',
      status: 'invalid',
      code: 'ENTRY_DIGEST_MISMATCH',
      oracle: false,
      make: (o) =>
        rewrite(signed, o, {
          replace: { 'app/config.properties': 'mode=evil\nurl=https://attacker.invalid/\n' },
        }),
    },
    {
      id: 'jar-entry-extra',
      attack: 'an unsigned entry added',
      status: 'invalid',
      code: 'UNSIGNED_ENTRIES',
      make: (o) => rewrite(signed, o, { add: [['app/Evil.class', 'evil']] }),
    },
    {
      id: 'jar-entry-removed',
      attack: 'a signed entry removed',
      status: 'invalid',
      code: 'ENTRY_MISSING',
      make: (o) => rewrite(signed, o, { drop: ['app/data/table.txt'] }),
    },
    {
      id: 'jar-entry-renamed',
      attack: 'a signed entry renamed (its bytes kept)',
      status: 'invalid',
      code: ['UNSIGNED_ENTRIES', 'ENTRY_MISSING'],
      make: (o) => rewrite(signed, o, { rename: { 'app/Main.class': 'app/Mainx.class' } }),
    },
    {
      id: 'jar-entry-dotdot',
      attack: 'an unsigned entry named ../app/Main.class',
      status: 'invalid',
      code: 'UNSIGNED_ENTRIES',
      make: (o) => rewrite(signed, o, { add: [['../app/Main.class', 'evil']] }),
    },
    {
      id: 'jar-entry-backslash',
      attack: 'an unsigned entry app\\Main.class (a Windows path of a signed name)',
      status: 'invalid',
      code: ['UNSIGNED_ENTRIES', 'DUPLICATE_ENTRY'],
      make: (o) => rewrite(signed, o, { add: [['app\\Main.class', 'evil']] }),
    },
    {
      id: 'jar-entry-nul',
      attack: 'an entry named app/Main.class<NUL>x (C readers stop at NUL)',
      status: 'invalid',
      code: ['UNSIGNED_ENTRIES', 'DUPLICATE_ENTRY', 'MALFORMED_ZIP'],
      make: (o) =>
        patch(rewrite(signed, `${o}.tmp`, { add: [['app/Main.classQx', 'evil']] }), o, (b) =>
          renameBytes(b, 'app/Main.classQx', 'app/Main.class\0x'),
        ),
    },
    {
      id: 'jar-entry-dot-slash',
      attack: './app/Main.class beside app/Main.class',
      status: 'invalid',
      code: 'DUPLICATE_ENTRY',
      make: (o) => rewrite(signed, o, { add: [['./app/Main.class', 'evil']] }),
    },
    {
      id: 'jar-entry-leading-slash',
      attack: '/app/Main.class beside app/Main.class',
      status: 'invalid',
      code: ['DUPLICATE_ENTRY', 'UNSIGNED_ENTRIES'],
      make: (o) => rewrite(signed, o, { add: [['/app/Main.class', 'evil']] }),
    },
    {
      id: 'jar-entry-duplicate',
      attack: 'a second app/Main.class with other bytes after the signed one',
      status: 'invalid',
      code: 'DUPLICATE_ENTRY',
      oracle: false,
      make: (o) => rewrite(signed, o, { add: [['app/Main.class', 'evil']] }),
    },
    {
      id: 'jar-entry-case-variant',
      attack: 'APP/MAIN.CLASS beside app/Main.class (case-insensitive file systems)',
      status: 'invalid',
      code: ['UNSIGNED_ENTRIES', 'DUPLICATE_ENTRY'],
      make: (o) => rewrite(signed, o, { add: [['APP/MAIN.CLASS', 'evil']] }),
    },
    {
      id: 'jar-dir-with-data',
      attack: 'app/Main.class/ (a directory name) carrying data',
      status: 'invalid',
      code: 'DIRECTORY_ENTRY_WITH_DATA',
      make: (o) => rewrite(signed, o, { add: [['app/Main.class/', 'evil']] }),
    },
    {
      id: 'jar-manifest-case',
      attack: 'a second manifest meta-inf/manifest.mf',
      status: 'invalid',
      code: 'MULTIPLE_MANIFESTS',
      make: (o) => rewrite(signed, o, { add: [['meta-inf/manifest.mf', 'Manifest-Version: 1.0\r\n\r\n']] }),
    },
    {
      id: 'jar-sf-case',
      attack: 'a second signature file META-INF/signer.sf',
      status: 'invalid',
      code: 'DUPLICATE_ENTRY',
      make: (o) => rewrite(signed, o, { add: [['META-INF/signer.sf', 'Signature-Version: 1.0\r\n\r\n']] }),
    },
    {
      id: 'jar-sig-subdir',
      attack: 'signature files in META-INF/sub/ (ordinary entries)',
      status: 'invalid',
      code: 'UNSIGNED_ENTRIES',
      make: (o) => rewrite(signed, o, { add: [['META-INF/sub/EVIL.SF', 'Signature-Version: 1.0\r\n\r\n']] }),
    },
    {
      id: 'jar-manifest-main-attr',
      attack: 'Main-Class added to the manifest main section',
      status: 'invalid',
      code: ['MANIFEST_DIGEST_MISMATCH', 'ENTRY_DIGEST_MISMATCH', 'SIGNATURE_INVALID', 'SF_DIGEST_MISMATCH'],
      oracle: false,
      make: (o) =>
        rewrite(signed, o, {
          replace: {
            'META-INF/MANIFEST.MF': blockOf(signed, 'META-INF/MANIFEST.MF')
              .toString('latin1')
              .replace('Manifest-Version: 1.0\r\n', 'Manifest-Version: 1.0\r\nMain-Class: app.Evil\r\n'),
          },
        }),
    },
    {
      id: 'jar-manifest-entry-digest',
      attack: 'the manifest digest of an entry replaced by the digest of evil bytes',
      status: 'invalid',
      code: ['MANIFEST_DIGEST_MISMATCH', 'ENTRY_DIGEST_MISMATCH', 'SF_DIGEST_MISMATCH'],
      make: (o) => {
        const evil = 'mode=evil\n';
        const mf = blockOf(signed, 'META-INF/MANIFEST.MF').toString('latin1');
        const digest = sha256b64(evil);
        const edited = mf.replace(/(Name: app\/config.properties\r\nSHA-256-Digest: )[^\r]+/, `$1${digest}`);
        return rewrite(signed, o, {
          replace: { 'META-INF/MANIFEST.MF': edited, 'app/config.properties': evil },
        });
      },
    },
    {
      id: 'jar-manifest-unsigned-section',
      attack: 'a manifest section added for an added entry (the .SF does not list it)',
      status: 'invalid',
      code: ['UNSIGNED_ENTRIES', 'MANIFEST_DIGEST_MISMATCH', 'SF_DIGEST_MISMATCH'],
      make: (o) => {
        const evil = 'evil';
        const mf = blockOf(signed, 'META-INF/MANIFEST.MF').toString('latin1');
        return rewrite(signed, o, {
          replace: {
            'META-INF/MANIFEST.MF': `${mf}Name: app/Evil.class\r\nSHA-256-Digest: ${sha256b64(evil)}\r\n\r\n`,
          },
          add: [['app/Evil.class', evil]],
        });
      },
    },
    {
      id: 'jar-sf-edited',
      attack: 'one digest in the .SF changed',
      status: 'invalid',
      code: ['SIGNATURE_INVALID', 'CMS_DIGEST_MISMATCH'],
      make: (o) =>
        rewrite(signed, o, {
          replace: {
            'META-INF/SIGNER.SF': blockOf(signed, 'META-INF/SIGNER.SF')
              .toString('latin1')
              .replace(/SHA-256-Digest: ./, 'SHA-256-Digest: A'),
          },
        }),
    },
    {
      id: 'jar-block-swapped',
      attack: "the signature block replaced by another CA's signer's block over the same .SF",
      status: 'untrusted',
      code: 'CERT_BAD_SIGNATURE',
      oracle: false,
      make: (o) => {
        const other = join(k.dir, 'other-signer.jar');
        if (!blockOf(other, 'META-INF/SIGNER.SF').equals(blockOf(signed, 'META-INF/SIGNER.SF')))
          throw new Error('.SF files differ');
        return rewrite(signed, o, {
          replace: { 'META-INF/SIGNER.RSA': blockOf(other, 'META-INF/SIGNER.RSA') },
        });
      },
    },
    {
      id: 'jar-block-dropped',
      attack: 'the signature block removed, the .SF kept (the JDK treats the JAR as unsigned)',
      status: 'unsigned',
      code: 'NO_SIGNATURE',
      make: (o) => rewrite(signed, o, { drop: ['META-INF/SIGNER.RSA'] }),
    },
    {
      id: 'jar-other-ca',
      attack: 'signed by a signer of another CA with the same name',
      status: 'untrusted',
      code: ['CHAIN_UNTRUSTED', 'CERT_BAD_SIGNATURE'],
      make: () => join(k.dir, 'other-signer.jar'),
    },
    {
      id: 'jar-wrong-root',
      attack: 'the right JAR judged against the wrong trust root',
      status: 'untrusted',
      code: ['CHAIN_UNTRUSTED', 'CERT_BAD_SIGNATURE'],
      roots: 'other',
      make: () => signed,
    },
    {
      id: 'jar-expired',
      attack: 'signer certificate expired two years ago, no timestamp',
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      make: () => join(k.dir, 'expired.jar'),
    },
    {
      id: 'jar-not-yet-valid',
      attack: '--at before the signer certificate existed',
      status: 'untrusted',
      code: ['CERT_NOT_YET_VALID'],
      at: '2001-01-01T00:00:00Z',
      make: () => signed,
    },
    {
      id: 'jar-local-name',
      attack: 'a local header naming another file than the central directory',
      status: 'invalid',
      code: 'LOCAL_HEADER_MISMATCH',
      make: (o) =>
        patch(signed, o, (b) => renameBytes(b, 'app/config.properties', 'app/config.propertiez', true)),
    },
    {
      id: 'jar-central-crc',
      attack:
        'the central CRC of a signed entry changed, disagreeing with its data descriptor (unzip refuses, ZipFile ignores)',
      status: 'invalid',
      code: 'ZIP_AMBIGUOUS',
      oracle: true,
      make: (o) =>
        patch(signed, o, (b) => {
          const e = entry(b, 'app/Main.class');
          b.writeUInt32LE(b.readUInt32LE(e.at + 16) ^ 1, e.at + 16);
        }),
    },
    {
      id: 'jar-benign-local-size',
      attack: 'benign: the size in a local header with a data descriptor changed (every reader ignores it)',
      status: 'verified',
      code: 'CHAIN_VALID',
      control: true,
      make: (o) =>
        patch(signed, o, (b) => {
          const e = entry(b, 'app/data/table.txt');
          const sizeAt = e.local + 18;
          b.writeUInt32LE(b.readUInt32LE(sizeAt) + 7, sizeAt);
        }),
    },
    {
      id: 'jar-trailing-bytes',
      attack: 'bytes appended after the end record (yauzl refuses; the JDK reads past them)',
      status: 'error',
      code: 'MALFORMED_ZIP',
      oracle: true,
      make: (o) => patch(signed, o, (b) => Buffer.concat([b, Buffer.from('PK\x01\x02 appended junk')])),
    },
    {
      id: 'jar-second-end-record',
      attack: 'a second end record appended naming an empty directory',
      status: 'invalid',
      code: ['ZIP_AMBIGUOUS', 'MALFORMED_ZIP'],
      make: (o) =>
        patch(signed, o, (b) => {
          const end = endOf(b);
          return Buffer.concat([b, b.subarray(end.at, end.at + 22)]);
        }),
    },
    {
      id: 'jar-entry-count',
      attack: 'the end record declares one entry fewer than the directory holds',
      status: 'invalid',
      code: ['ZIP_AMBIGUOUS', 'MALFORMED_ZIP'],
      make: (o) =>
        patch(signed, o, (b) => {
          const end = endOf(b);
          b.writeUInt16LE(end.count - 1, end.at + 8);
          b.writeUInt16LE(end.count - 1, end.at + 10);
        }),
    },
    {
      id: 'jar-hidden-local',
      attack: 'a local entry hidden between two entries (only streaming readers see it)',
      status: 'invalid',
      code: 'ZIP_AMBIGUOUS',
      make: (o) =>
        patch(signed, o, (b) => {
          const e = entry(b, 'app/data/table.txt');
          const junk = Buffer.concat([
            Buffer.from('PK\x03\x04', 'latin1'),
            Buffer.alloc(26),
            Buffer.from('hidden'),
          ]);
          const out = Buffer.concat([b.subarray(0, e.local), junk, b.subarray(e.local)]);
          const end = endOf(out);
          out.writeUInt32LE(end.cenOffset + junk.length, end.at + 16);
          for (const c of centralEntries(out))
            if (c.local >= e.local) out.writeUInt32LE(c.local + junk.length, c.at + 42);
          return out;
        }),
    },
    {
      id: 'jar-zip64-disagree',
      attack: 'a ZIP64 end record declaring an empty directory beside the plain one (no signature is read)',
      status: 'unsigned',
      code: 'NO_SIGNATURE',
      oracle: false,
      make: (o) =>
        patch(signed, o, (b) => {
          const end = endOf(b);
          const z64 = Buffer.alloc(56 + 20);
          z64.writeUInt32LE(0x06064b50, 0);
          z64.writeBigUInt64LE(44n, 4);
          z64.writeUInt16LE(45, 12);
          z64.writeUInt16LE(45, 14);
          z64.writeBigUInt64LE(0n, 24);
          z64.writeBigUInt64LE(0n, 32);
          z64.writeBigUInt64LE(0n, 40);
          z64.writeBigUInt64LE(BigInt(end.cenOffset), 48);
          z64.writeUInt32LE(0x07064b50, 56);
          z64.writeBigUInt64LE(BigInt(end.at), 64);
          z64.writeUInt32LE(1, 72);
          return Buffer.concat([b.subarray(0, end.at), z64, b.subarray(end.at)]);
        }),
    },
    {
      id: 'jar-data-descriptor',
      attack: 'the data descriptor of a signed entry states another CRC (JarInputStream refuses it)',
      status: 'invalid',
      code: 'ZIP_AMBIGUOUS',
      oracle: false,
      make: (o) =>
        patch(signed, o, (b) => {
          const e = entry(b, 'app/data/table.txt');
          const dd = b.indexOf(Buffer.from('PK\x07\x08', 'latin1'), e.local);
          if (dd < 0) throw new Error('jarsigner wrote no data descriptor');
          b.writeUInt32LE(b.readUInt32LE(dd + 4) ^ 0xff, dd + 4);
        }),
    },
  ];

  const { cases, add } = caseList('jar');
  const outcomes = new Map<string, Outcome>();
  const cfg = {
    test: await config({ roots: [k.caPem] }),
    other: await config({ roots: [k.otherCaPem] }),
  };
  const paths = new Map(jc.map((c) => [c.id, c.make(join(dir, `${c.id}.jar`))]));
  surgery.run();
  for (const c of jc) {
    add({ id: c.id, attack: c.attack, status: c.status, code: c.code, control: c.control, oracle: c.oracle });
    const path = paths.get(c.id)!;
    const trust = c.at
      ? await config({ roots: [k.caPem], at: c.at })
      : c.roots === 'other'
        ? cfg.other
        : cfg.test;
    let outcome: Outcome;
    try {
      const results = await evaluateFile(path, 'jar', trust);
      outcome = outcomeOf(results.map((r) => ({ location: r.evidence.location, ...r.verdict })));
    } catch (err) {
      const e = describeError(err);
      outcome = { status: 'error', code: e.code, message: e.message, all: [] };
    }
    if (c.oracle !== undefined) outcome.oracle = jarsignerVerifyStrict(path, k.truststore).passed;
    outcomes.set(c.id, outcome);
  }
  return { family: 'jar', cases, outcomes };
}

/** Base64 SHA-256, as a manifest writes it. */
function sha256b64(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}
