/**
 * The .SF against the manifest, the signature block and the per-entry digests (src/formats/jar/jar.ts,
 * analyzeBlock / checkSignatureFile), judged against the JDK's SignatureFileVerifier (JDK 17). Each case
 * starts from a jarsigner-signed JAR; a case that edits the .SF writes it with our own digests and signs
 * it again with `openssl cms` under the same key, so jarsigner -verify -strict answers on the .SF rules
 * alone. The JARs and jarsigner's answers are cached per day (cachedFixtureDir): Stryker reruns
 * beforeAll for every mutant.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import { analyzeJar, type JarAnalysis } from '../../../src/formats/jar/index.js';
import { digestAttributes } from '../../../src/formats/jar/digest.js';
import { signatureAlgorithmName } from '../../../src/formats/jar/jar.js';
import type { SignerInfoView } from '../../../src/formats/cms.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  STOREPASS,
  genKey,
  jarsignerVerify,
  makeJar,
  makeZipWithDuplicate,
  putEntries,
  signJar,
} from '../../helpers/jar/index.js';

const A = 'com/example/a.txt';
const B = 'com/example/b.txt';
const GHOST = 'com/example/ghost.txt';
const SF = 'META-INF/SIGNER.SF';
const BLOCK = 'META-INF/SIGNER.RSA';

const b64 = (alg: string, data: string | Buffer) => createHash(alg).update(data).digest('base64');
const WRONG = b64('sha256', 'not what was signed');
const WRONG512 = b64('sha512', 'not what was signed');

/** A manifest header line folded at 72 bytes, as the JDK writes and reads them. */
function header(name: string, value: string): string {
  const line = `${name}: ${value}`;
  let out = line.slice(0, 72);
  for (let i = 72; i < line.length; i += 71) out += `\r\n ${line.slice(i, i + 71)}`;
  return `${out}\r\n`;
}

interface Parts {
  manifest: string;
  main: string;
  /** Entry name → its manifest section bytes (with the blank line). */
  sections: Record<string, string>;
}

function split(manifest: string): Parts {
  const chunks = manifest.split('\r\n\r\n').filter((c) => c.length > 0);
  const sections: Record<string, string> = {};
  for (const c of chunks.slice(1)) sections[/^Name: (.*)$/m.exec(c)![1]!] = `${c}\r\n\r\n`;
  return { manifest, main: `${chunks[0]!}\r\n\r\n`, sections };
}

interface SfSpec {
  /** Main-section header lines after Signature-Version (already formatted). */
  main: string;
  /** .SF sections: [name, header lines]. */
  sections: Array<[string, string]>;
}

function sfText(spec: SfSpec): string {
  let out = 'Signature-Version: 1.0\r\nCreated-By: sigscan-test\r\n' + spec.main + '\r\n';
  for (const [name, lines] of spec.sections) out += header('Name', name) + lines + '\r\n';
  return out;
}

/** The .SF a signer writes for `p`, with every digest right, as a starting point for one fault. */
function goodSpec(p: Parts): SfSpec {
  return {
    main:
      header('SHA-256-Digest-Manifest', b64('sha256', p.manifest)) +
      header('SHA-256-Digest-Manifest-Main-Attributes', b64('sha256', p.main)),
    sections: Object.entries(p.sections).map(([n, s]) => [n, header('SHA-256-Digest', b64('sha256', s))]),
  };
}

/** The header of the DER element at `off`: header length and end offset (single-byte tags). */
function tlv(buf: Buffer, off: number): { hdr: number; end: number } {
  let p = off + 1;
  let len = buf[p++]!;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  return { hdr: p - off, end: p + len };
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** `extra` appended inside the element `depth` last-children down from `el`, every length rewritten. */
function appendInLast(el: Buffer, extra: Buffer, depth: number): Buffer {
  const t = tlv(el, 0);
  let content = el.subarray(t.hdr, t.end);
  if (depth > 0) {
    let off = 0;
    let last = 0;
    while (off < content.length) {
      last = off;
      off = tlv(content, off).end;
    }
    content = Buffer.concat([
      content.subarray(0, last),
      appendInLast(content.subarray(last), extra, depth - 1),
    ]);
  } else {
    content = Buffer.concat([content, extra]);
  }
  return Buffer.concat([el.subarray(0, 1), derLength(content.length), content]);
}

/** The element `depth` last-children down from `el` (ContentInfo, 4 → its SignedData's last SignerInfo). */
function lastDown(el: Buffer, depth: number): Buffer {
  const t = tlv(el, 0);
  if (depth === 0) return el.subarray(0, t.end);
  let off = t.hdr;
  let last = off;
  while (off < t.end) {
    last = off;
    off = tlv(el, off).end;
  }
  return lastDown(el.subarray(last, t.end), depth - 1);
}

const TIMESTAMP_TOKEN_OID = Buffer.from('060b2a864886f70d010910020e', 'hex');
const COUNTERSIGNATURE_OID = Buffer.from('06092a864886f70d010906', 'hex');

/** The block with `value` as its SignerInfo's id-aa-timeStampToken (ContentInfo → [0] → SignedData → SET → SignerInfo). */
function withTimestampAttribute(block: Buffer, value: Buffer, oid = TIMESTAMP_TOKEN_OID): Buffer {
  const set = Buffer.concat([Buffer.from([0x31]), derLength(value.length), value]);
  const attr = Buffer.concat([oid, set]);
  const seq = Buffer.concat([Buffer.from([0x30]), derLength(attr.length), attr]);
  return appendInLast(block, Buffer.concat([Buffer.from([0xa1]), derLength(seq.length), seq]), 4);
}

/** The signature value of the block's first SignerInfo (pkijs, reading only). */
function signatureValue(block: Buffer): Buffer {
  const ci = pkijs.ContentInfo.fromBER(new Uint8Array(block));
  const sd = new pkijs.SignedData({ schema: ci.content });
  return Buffer.from(sd.signerInfos[0]!.signature.valueBlock.valueHexView);
}

/** Replaces the last occurrence of `from` by `to` (same length): an algorithm OID in the SignerInfo. */
function replaceLast(buf: Buffer, from: string, to: string): Buffer {
  const f = Buffer.from(from, 'hex');
  const at = buf.lastIndexOf(f);
  if (at < 0 || to.length !== from.length) throw new Error(`${from} not found`);
  const out = Buffer.from(buf);
  Buffer.from(to, 'hex').copy(out, at);
  return out;
}

const RSA_ENCRYPTION = '06092a864886f70d010101';
const SHA1_WITH_RSA = '06092a864886f70d010105';
const MD5_WITH_RSA = '06092a864886f70d010104';
const RSASSA_PSS = '06092a864886f70d01010a';

type Case = (ctx: {
  dir: string;
  parts: Parts;
  sign: (sf: string, extra?: string[]) => Buffer;
  /** An RFC 3161 token from `openssl ts -reply` over `data` (SHA-256 imprint). */
  stamp: (data: Buffer) => Buffer;
}) => { files?: Record<string, string | Uint8Array>; post?: (jar: string) => void };

const onSf =
  (edit: (p: Parts, spec: SfSpec) => SfSpec, extra?: string[]): Case =>
  ({ parts, sign }) => {
    const sf = sfText(edit(parts, goodSpec(parts)));
    return { files: { [SF]: sf, [BLOCK]: sign(sf, extra) } };
  };

const CASES: Record<string, Case> = {
  // Our .SF writer and openssl's block, every digest right: the baseline for the cases below.
  resigned: onSf((_p, s) => s),
  // Whole-manifest digest wrong, main attributes and every section right: the JDK checks section by section.
  'whole-wrong': onSf((p, s) => ({ ...s, main: s.main.replace(b64('sha256', p.manifest), WRONG) })),
  // Whole-manifest digest right, main-attributes digest wrong: the JDK never looks at the latter.
  'main-wrong': onSf((p, s) => ({
    ...s,
    main:
      header('SHA-256-Digest-Manifest', b64('sha256', p.manifest)) +
      header('SHA-256-Digest-Manifest-Main-Attributes', WRONG),
  })),
  // Whole-manifest digest SHA-512 only (right), main attributes and sections SHA-256.
  'whole-sha512': onSf((p, s) => ({
    ...s,
    main:
      header('SHA-512-Digest-Manifest', b64('sha512', p.manifest)) +
      header('SHA-256-Digest-Manifest-Main-Attributes', b64('sha256', p.main)),
  })),
  // Whole wrong, main attributes right in SHA-512, sections SHA-256.
  'main-sha512-whole-wrong': onSf((p, s) => ({
    ...s,
    main:
      header('SHA-256-Digest-Manifest', WRONG) +
      header('SHA-512-Digest-Manifest-Main-Attributes', b64('sha512', p.main)),
  })),
  // Whole wrong, no main-attributes digest (older signers), sections right.
  'no-main-whole-wrong': onSf((_p, s) => ({ ...s, main: header('SHA-256-Digest-Manifest', WRONG) })),
  // Whole wrong, A's section wrong and a .SF section for a name the manifest lacks: one of each.
  'section-wrong-and-extra': onSf((p, s) => ({
    main: s.main.replace(b64('sha256', p.manifest), WRONG),
    sections: [
      ...s.sections.map(([n, l]): [string, string] => [n, n === A ? header('SHA-256-Digest', WRONG) : l]),
      [GHOST, header('SHA-256-Digest', b64('sha256', 'ghost'))],
    ],
  })),
  // Both wrong.
  'main-wrong-whole-wrong': onSf((p, s) => ({
    ...s,
    main: header('SHA-256-Digest-Manifest', WRONG) + header('SHA-256-Digest-Manifest-Main-Attributes', WRONG),
  })),
  // No whole-manifest digest at all; main attributes and sections right.
  'no-whole': onSf((p, s) => ({
    ...s,
    main: header('SHA-256-Digest-Manifest-Main-Attributes', b64('sha256', p.main)),
  })),
  // Whole right, the section for A wrong: the whole digest covers every listed section.
  'section-wrong-whole-right': onSf((_p, s) => ({
    ...s,
    sections: s.sections.map(([n, l]) => [n, n === A ? header('SHA-256-Digest', WRONG) : l]),
  })),
  // Whole wrong and the section for A wrong.
  'section-wrong-whole-wrong': onSf((p, s) => ({
    main: s.main.replace(b64('sha256', p.manifest), WRONG),
    sections: s.sections.map(([n, l]) => [n, n === A ? header('SHA-256-Digest', WRONG) : l]),
  })),
  // Whole wrong, and a .SF section for a name the manifest has no section for.
  'sf-extra-section': onSf((p, s) => ({
    main: s.main.replace(b64('sha256', p.manifest), WRONG),
    sections: [...s.sections, [GHOST, header('SHA-256-Digest', b64('sha256', 'ghost'))]],
  })),
  // Whole wrong; A's .SF section carries a right SHA-256 and a wrong SHA-512: every digest must match.
  'section-two-digests-one-wrong': onSf((p, s) => ({
    main: s.main.replace(b64('sha256', p.manifest), WRONG),
    sections: s.sections.map(([n, l]) => [n, n === A ? l + header('SHA-512-Digest', WRONG512) : l]),
  })),
  // Whole-manifest: SHA-256 right and SHA-512 wrong (the JDK takes any match, sigscan every); sections right.
  'whole-two-digests-one-wrong': onSf((_p, s) => ({
    ...s,
    main: s.main + header('SHA-512-Digest-Manifest', WRONG512),
  })),
  // Digest headers in lower case (java.util.jar.Attributes names are case-insensitive), whole wrong.
  'lower-case-headers': onSf((p, s) => ({
    main:
      header('sha-256-digest-manifest', WRONG) +
      header('sha-256-digest-manifest-main-attributes', b64('sha256', p.main)),
    sections: s.sections.map(([n]) => [n, header('sha-256-digest', b64('sha256', p.sections[n]!))]),
  })),
  // Whole right, plus digests of an algorithm nobody knows; B's .SF section has only such a digest.
  'unknown-alg-whole-right': onSf((_p, s) => ({
    main: s.main + header('FOO-Digest-Manifest', 'AAAA'),
    sections: s.sections.map(([n, l]) => [
      n,
      n === B ? header('FOO-Digest', 'AAAA') : l + header('FOO-Digest', 'AAAA'),
    ]),
  })),
  // Whole wrong, main and A right plus unknown-algorithm digests; B's .SF section has only an unknown one.
  'unknown-alg-whole-wrong': onSf((p, s) => ({
    main:
      s.main.replace(b64('sha256', p.manifest), WRONG) +
      header('FOO-Digest-Manifest-Main-Attributes', 'AAAA'),
    sections: s.sections.map(([n, l]) => [
      n,
      n === B ? header('FOO-Digest', 'AAAA') : l + header('FOO-Digest', 'AAAA'),
    ]),
  })),
  // Whole right; the .SF names its sections `./A` and `/B` (the JDK strips both prefixes).
  'dot-slash-names': onSf((_p, s) => ({
    ...s,
    sections: s.sections.map(([n, l]) => [n === A ? `./${n}` : `/${n}`, l]),
  })),
  // 25 lines that are not headers at the end of the .SF.
  'sf-garbage-lines': onSf((_p, s) => ({ ...s, main: s.main + 'garbage line\r\n'.repeat(25) })),
  // The block signed with SHA-384: the CMS digest differs from the .SF's.
  'cms-sha384': onSf(
    (_p, s) => ({ ...s, main: s.main + 'X-Android-APK-Signed: 2, 3\r\n' }),
    ['-md', 'sha384'],
  ),
  // The block without the signer's certificate.
  'no-certs': onSf((_p, s) => s, ['-nocerts']),
  // openssl's block with its SignerInfo algorithm rsaEncryption rewritten to sha1WithRSAEncryption (the
  // CMS digest stays SHA-256): the JDK builds the algorithm from the digest and the key (SHA256withRSA).
  'sigalg-oid-sha1': ({ parts, sign }) => {
    const sf = sfText(goodSpec(parts));
    return { files: { [SF]: sf, [BLOCK]: replaceLast(sign(sf), RSA_ENCRYPTION, SHA1_WITH_RSA) } };
  },
  // The same with md5WithRSAEncryption.
  'sigalg-oid-md5': ({ parts, sign }) => {
    const sf = sfText(goodSpec(parts));
    return { files: { [SF]: sf, [BLOCK]: replaceLast(sign(sf), RSA_ENCRYPTION, MD5_WITH_RSA) } };
  },
  // An MD5 CMS digest under an RSASSA-PSS algorithm identifier: disabled by the digest alone.
  'md5-pss-oid': ({ parts, sign }) => {
    const sf = sfText(goodSpec(parts));
    return {
      files: { [SF]: sf, [BLOCK]: replaceLast(sign(sf, ['-md', 'md5']), RSA_ENCRYPTION, RSASSA_PSS) },
    };
  },
  // An RFC 3161 token over this block's signature value.
  'ts-good': ({ parts, sign, stamp }) => {
    const sf = sfText(goodSpec(parts));
    const block = sign(sf);
    return { files: { [SF]: sf, [BLOCK]: withTimestampAttribute(block, stamp(signatureValue(block))) } };
  },
  // A token over other bytes: it does not cover this signature.
  'ts-wrong-imprint': ({ parts, sign, stamp }) => {
    const sf = sfText(goodSpec(parts));
    return {
      files: { [SF]: sf, [BLOCK]: withTimestampAttribute(sign(sf), stamp(Buffer.from('another signature'))) },
    };
  },
  // A PKCS #9 countersignature (a SignerInfo over the signature value, from openssl cms): not a JAR timestamp.
  countersignature: ({ dir, parts, sign }) => {
    const sf = sfText(goodSpec(parts));
    const block = sign(sf);
    writeFileSync(join(dir, 'sigvalue.bin'), signatureValue(block));
    const counter = lastDown(
      execFileSync('openssl', [
        'cms',
        '-sign',
        '-binary',
        '-nosmimecap',
        '-in',
        join(dir, 'sigvalue.bin'),
        '-signer',
        join(dir, 'tsa.pem'),
        '-inkey',
        join(dir, 'tsa.key'),
        '-outform',
        'DER',
      ]),
      4,
    );
    return { files: { [SF]: sf, [BLOCK]: withTimestampAttribute(block, counter, COUNTERSIGNATURE_OID) } };
  },
  // A timestamp attribute whose value is not a token.
  'ts-garbage': ({ parts, sign }) => {
    const sf = sfText(goodSpec(parts));
    return {
      files: { [SF]: sf, [BLOCK]: withTimestampAttribute(sign(sf), Buffer.from('0403010203', 'hex')) },
    };
  },
  // A SignedData with the certificate and no SignerInfo (openssl crl2pkcs7).
  'no-signer': ({ dir }) => ({
    files: {
      [BLOCK]: execFileSync('openssl', [
        'crl2pkcs7',
        '-nocrl',
        '-certfile',
        join(dir, 'cert.pem'),
        '-outform',
        'DER',
      ]),
    },
  }),
  // A SIG-* block that is not CMS, with its .SF: an unsupported block type, not a broken one.
  'sig-block': () => ({
    files: { 'META-INF/SIG-FOO': 'not CMS\n', 'META-INF/SIG-FOO.SF': 'Signature-Version: 1.0\r\n\r\n' },
  }),
  // No MANIFEST.MF at all.
  'no-manifest': () => ({ post: (jar) => execFileSync('zip', ['-q', '-d', jar, 'META-INF/MANIFEST.MF']) }),
  // A changed, then the original A appended under the same name: the first copy's mismatch must stay.
  'duplicate-first-tampered': ({ dir }) => ({
    files: { [A]: 'changed after signing\n' },
    post: (jar) => {
      const tmp = join(dir, 'dup-tmp.jar');
      makeZipWithDuplicate(tmp, jar, A, 'a\n');
      copyFileSync(tmp, jar);
    },
  }),
};

type Oracle = Record<string, { verified: boolean; exitCode: number }>;

async function build(): Promise<string> {
  return cachedFixtureDir('jar-signature-file-v6', async (dir) => {
    const keystore = join(dir, 'keystore.p12');
    genKey(keystore, { alias: 'signer', keyalg: 'RSA', dname: 'CN=SF Test Signer,O=sigscan' });
    const signed = join(dir, 'signed.jar');
    makeJar(signed, { [A]: 'a\n', [B]: 'b\n' });
    signJar(signed, { keystore, alias: 'signer' });
    const pass = `pass:${STOREPASS}`;
    execFileSync('openssl', [
      'pkcs12',
      '-in',
      keystore,
      '-passin',
      pass,
      '-nodes',
      '-nocerts',
      '-out',
      join(dir, 'key.pem'),
    ]);
    execFileSync('openssl', [
      'pkcs12',
      '-in',
      keystore,
      '-passin',
      pass,
      '-nokeys',
      '-clcerts',
      '-out',
      join(dir, 'cert.pem'),
    ]);
    const parts = split(execFileSync('unzip', ['-p', signed, 'META-INF/MANIFEST.MF'], { encoding: 'utf8' }));
    const sign = (sf: string, extra: string[] = []) => {
      writeFileSync(join(dir, 'sf.tmp'), sf);
      return execFileSync('openssl', [
        'cms',
        '-sign',
        '-binary',
        '-nosmimecap',
        '-in',
        join(dir, 'sf.tmp'),
        '-signer',
        join(dir, 'cert.pem'),
        '-inkey',
        join(dir, 'key.pem'),
        '-outform',
        'DER',
        ...extra,
      ]);
    };
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'tsa.key'),
        '-out',
        join(dir, 'tsa.pem'),
        '-subj',
        '/CN=SF Test TSA',
        '-days',
        '30',
        '-addext',
        'extendedKeyUsage=critical,timeStamping',
      ],
      { stdio: 'pipe' },
    );
    writeFileSync(
      join(dir, 'ts.cnf'),
      [
        '[ tsa ]',
        'default_tsa = t',
        '[ t ]',
        `serial = ${join(dir, 'serial')}`,
        'signer_digest = sha256',
        'default_policy = 1.2.3.4.1',
        'digests = sha256',
        'ess_cert_id_alg = sha256',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'serial'), '01\n');
    const stamp = (data: Buffer) => {
      const digest = createHash('sha256').update(data).digest('hex');
      const query = execFileSync('openssl', ['ts', '-query', '-digest', digest, '-sha256', '-cert']);
      writeFileSync(join(dir, 'q.tsq'), query);
      execFileSync(
        'openssl',
        [
          'ts',
          '-reply',
          '-config',
          join(dir, 'ts.cnf'),
          '-queryfile',
          join(dir, 'q.tsq'),
          '-signer',
          join(dir, 'tsa.pem'),
          '-inkey',
          join(dir, 'tsa.key'),
          '-token_out',
          '-out',
          join(dir, 'tok.der'),
        ],
        { stdio: 'pipe' },
      );
      return readFileSync(join(dir, 'tok.der'));
    };
    const oracle: Oracle = {};
    const control = jarsignerVerify(signed);
    oracle['control'] = { verified: control.verified, exitCode: control.exitCode };
    for (const [name, make] of Object.entries(CASES)) {
      // Let the worker answer vitest's RPC between the synchronous tool runs (it times out after 60 s).
      await new Promise((resolve) => setImmediate(resolve));
      const jar = join(dir, `${name}.jar`);
      copyFileSync(signed, jar);
      const { files, post } = make({ dir, parts, sign, stamp });
      if (files) putEntries(jar, files);
      post?.(jar);
      const r = jarsignerVerify(jar);
      oracle[name] = { verified: r.verified, exitCode: r.exitCode };
    }
    writeFileSync(join(dir, 'jarsigner.json'), JSON.stringify(oracle, null, 1));
  });
}

describe('analyzeJar: the .SF against the manifest (oracle: jarsigner -verify -strict, same bytes)', () => {
  let dir: string;
  let oracle: Oracle;
  beforeAll(async () => {
    dir = await build();
    oracle = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as Oracle;
  }, 300_000);

  const analyze = async (name: string): Promise<JarAnalysis> =>
    analyzeJar(new Uint8Array(readFileSync(join(dir, `${name}.jar`))));
  const codes = (a: JarAnalysis, severity: string) =>
    [...a.findings, ...a.signatures.flatMap((s) => s.findings)]
      .filter((f) => f.severity === severity)
      .map((f) => f.code)
      .sort();
  const signer = (a: JarAnalysis) => a.signatures.find((s) => s.blockName === BLOCK)!;

  it('our re-signed .SF with every digest right: both verify, both entries signed', async () => {
    expect(oracle['control']!.verified).toBe(true);
    // exit code 4: the self-signed certificate is not in jarsigner's cacerts (chain not validated).
    expect(oracle['control']!.exitCode).toBe(4);
    expect(oracle['resigned']).toEqual(oracle['control']);
    const a = await analyze('resigned');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(codes(a, 'info')).toEqual([]);
    const s = signer(a);
    expect(s.manifestDigestMatches).toBe(true);
    expect(s.signedEntries).toEqual([A, B]);
    expect(s.unsignedEntries).toEqual([]);
    expect(s.algorithm).toBe('SHA256withRSA');
    expect(s.signerCertificate!.summary.subject).toBe('CN=SF Test Signer,O=sigscan');
  });

  it('whole-manifest digest wrong, main and sections right: verified section by section (info only)', async () => {
    expect(oracle['whole-wrong']!.verified).toBe(true);
    const a = await analyze('whole-wrong');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(codes(a, 'info')).toEqual(['MANIFEST_DIGEST_MISMATCH']);
    const s = signer(a);
    expect(s.manifestDigestMatches).toBe(false);
    expect(s.signedEntries).toEqual([A, B]);
    expect(s.digestAlgorithms).toEqual(['SHA-256']);
    expect(s.requiredDigestAlgorithms).toEqual(['SHA-256']);
  });

  it('main-attributes digest wrong under a right whole-manifest digest: not looked at (JDK rule)', async () => {
    expect(oracle['main-wrong']!.verified).toBe(true);
    const a = await analyze('main-wrong');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(codes(a, 'info')).toEqual([]);
    expect(signer(a).manifestDigestMatches).toBe(true);
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('whole-manifest digest in SHA-512 only: matched, and SHA-512 is among the algorithms relied on', async () => {
    expect(oracle['whole-sha512']).toEqual(oracle['control']);
    const a = await analyze('whole-sha512');
    expect(codes(a, 'integrity')).toEqual([]);
    const s = signer(a);
    expect(s.manifestDigestMatches).toBe(true);
    expect(s.digestAlgorithm).toBe('SHA-512');
    expect(s.digestAlgorithms).toEqual(['SHA-256', 'SHA-512']);
    expect(s.requiredDigestAlgorithms).toEqual(['SHA-256', 'SHA-512']);
  });

  it('main attributes matched in SHA-512 under a wrong whole digest: SHA-512 relied on', async () => {
    expect(oracle['main-sha512-whole-wrong']).toEqual(oracle['control']);
    const a = await analyze('main-sha512-whole-wrong');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(codes(a, 'info')).toEqual(['MANIFEST_DIGEST_MISMATCH']);
    expect(signer(a).digestAlgorithms).toEqual(['SHA-256', 'SHA-512']);
    expect(signer(a).requiredDigestAlgorithms).toEqual(['SHA-256', 'SHA-512']);
  });

  it('no main-attributes digest under a wrong whole digest: sections decide, nothing extra required', async () => {
    const a = await analyze('no-main-whole-wrong');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).signedEntries).toEqual([A, B]);
    expect(signer(a).digestAlgorithms).toEqual(['SHA-256']);
    expect(signer(a).requiredDigestAlgorithms).toEqual(['SHA-256']);
    expect(oracle['no-main-whole-wrong']).toEqual(oracle['control']);
  });

  it('one wrong section and one section the manifest lacks: two SF_DIGEST_MISMATCH, no info note', async () => {
    expect(oracle['section-wrong-and-extra']!.verified).toBe(false);
    const a = await analyze('section-wrong-and-extra');
    expect(codes(a, 'integrity')).toEqual(['SF_DIGEST_MISMATCH', 'SF_DIGEST_MISMATCH']);
    expect(codes(a, 'info')).toEqual([]);
  });

  it('main-attributes and whole-manifest digests both wrong: SF_DIGEST_MISMATCH', async () => {
    expect(oracle['main-wrong-whole-wrong']!.verified).toBe(false);
    const a = await analyze('main-wrong-whole-wrong');
    expect(codes(a, 'integrity')).toEqual(['SF_DIGEST_MISMATCH']);
    expect(codes(a, 'info')).toEqual(['MANIFEST_DIGEST_MISMATCH']);
    // The sections themselves still match, so the entries count as signed by this .SF.
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('no whole-manifest digest: sections checked, no MANIFEST_DIGEST_MISMATCH note', async () => {
    expect(oracle['no-whole']!.verified).toBe(true);
    const a = await analyze('no-whole');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(codes(a, 'info')).toEqual([]);
    expect(signer(a).manifestDigestMatches).toBe(false);
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('a wrong section digest under a right whole-manifest digest: covered by the whole digest', async () => {
    expect(oracle['section-wrong-whole-right']!.verified).toBe(true);
    const a = await analyze('section-wrong-whole-right');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('a wrong section digest and a wrong whole-manifest digest: SF_DIGEST_MISMATCH, A not signed', async () => {
    expect(oracle['section-wrong-whole-wrong']!.verified).toBe(false);
    const a = await analyze('section-wrong-whole-wrong');
    expect(codes(a, 'integrity')).toEqual(['SF_DIGEST_MISMATCH']);
    expect(codes(a, 'info')).toEqual([]);
    expect(signer(a).signedEntries).toEqual([B]);
    expect(signer(a).unsignedEntries).toEqual([A]);
  });

  it('a .SF section for a name the manifest lacks (whole digest wrong): SF_DIGEST_MISMATCH', async () => {
    expect(oracle['sf-extra-section']!.verified).toBe(false);
    const a = await analyze('sf-extra-section');
    expect(codes(a, 'integrity')).toEqual(['SF_DIGEST_MISMATCH']);
    expect(codes(a, 'info')).toEqual([]);
    expect(signer(a).findings.find((f) => f.code === 'SF_DIGEST_MISMATCH')!.message).toContain(GHOST);
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('two digests in a .SF section, SHA-512 wrong: every one must match (SF_DIGEST_MISMATCH)', async () => {
    expect(oracle['section-two-digests-one-wrong']!.verified).toBe(false);
    const a = await analyze('section-two-digests-one-wrong');
    expect(codes(a, 'integrity')).toEqual(['SF_DIGEST_MISMATCH']);
    expect(signer(a).signedEntries).toEqual([B]);
  });

  it('two whole-manifest digests, SHA-512 wrong: sigscan needs every one and falls back to sections', async () => {
    // The JDK takes any matching whole-manifest digest; both end verified, sigscan by the sections.
    expect(oracle['whole-two-digests-one-wrong']!.verified).toBe(true);
    const a = await analyze('whole-two-digests-one-wrong');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(codes(a, 'info')).toEqual(['MANIFEST_DIGEST_MISMATCH']);
    expect(signer(a).manifestDigestMatches).toBe(false);
    expect(signer(a).digestAlgorithm).toBe('SHA-512');
    expect(signer(a).signedEntries).toEqual([A, B]);
    // The wrong SHA-512 is relied on for nothing.
    expect(signer(a).digestAlgorithms).toEqual(['SHA-256']);
    expect(signer(a).requiredDigestAlgorithms).toEqual(['SHA-256']);
  });

  it('digest headers in lower case are read (whole wrong, main and sections right)', async () => {
    expect(oracle['lower-case-headers']!.verified).toBe(true);
    const a = await analyze('lower-case-headers');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('unknown digest algorithms are ignored; a section with only one signs nothing (whole right)', async () => {
    const a = await analyze('unknown-alg-whole-right');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).manifestDigestMatches).toBe(true);
    expect(signer(a).signedEntries).toEqual([A]);
    expect(signer(a).unsignedEntries).toEqual([B]);
    expect(codes(a, 'warning')).toEqual(['UNSIGNED_ENTRIES']);
    // The JDK counts B as signed here (a listed section under a matching whole digest needs no digest of
    // its own); sigscan is stricter and leaves it unsigned.
    expect(oracle['unknown-alg-whole-right']).toEqual(oracle['control']);
  });

  it('unknown digest algorithms are ignored; a section with only one signs nothing (whole wrong)', async () => {
    // jarsigner agrees here: B unsigned (exit 16 for -strict's unsigned entries, plus 4 for the chain).
    expect(oracle['unknown-alg-whole-wrong']).toEqual({ verified: true, exitCode: 20 });
    const a = await analyze('unknown-alg-whole-wrong');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).signedEntries).toEqual([A]);
    expect(signer(a).unsignedEntries).toEqual([B]);
  });

  it('.SF section names with ./ and / prefixes name the entries without them', async () => {
    expect(oracle['dot-slash-names']!.verified).toBe(true);
    const a = await analyze('dot-slash-names');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).signedEntries).toEqual([A, B]);
  });

  it('a .SF with 25 non-header lines: SIGNATURE_FILE_MALFORMED, capped at 20 findings', async () => {
    // jarsigner cannot parse the .SF and treats the JAR as having unsigned entries (exit 16).
    expect(oracle['sf-garbage-lines']).toEqual({ verified: false, exitCode: 16 });
    const a = await analyze('sf-garbage-lines');
    const malformed = signer(a).findings.filter((f) => f.code === 'SIGNATURE_FILE_MALFORMED');
    expect(malformed).toHaveLength(20);
    expect(malformed[0]!.severity).toBe('integrity');
  });

  it('a block digested with SHA-384: the algorithm lists are sorted, the CMS digest is required', async () => {
    expect(oracle['cms-sha384']!.verified).toBe(true);
    const a = await analyze('cms-sha384');
    expect(codes(a, 'integrity')).toEqual([]);
    const s = signer(a);
    expect(s.cmsDigestAlgorithm).toBe('SHA-384');
    expect(s.algorithm).toBe('SHA384withRSA');
    expect(s.digestAlgorithms).toEqual(['SHA-256', 'SHA-384']);
    expect(s.requiredDigestAlgorithms).toEqual(['SHA-256', 'SHA-384']);
    expect(s.createdBy).toBe('sigscan-test');
    expect(s.androidApkSigned).toBe('2, 3');
  });

  it('a block without the signer certificate: SIGNER_CERTIFICATE_MISSING', async () => {
    expect(oracle['no-certs']!.verified).toBe(false);
    const a = await analyze('no-certs');
    expect(codes(a, 'integrity')).toEqual(['SIGNER_CERTIFICATE_MISSING']);
  });

  it('a SignedData with no SignerInfo: SIGNATURE_BLOCK_MALFORMED', async () => {
    expect(oracle['no-signer']!.verified).toBe(false);
    const a = await analyze('no-signer');
    expect(codes(a, 'integrity')).toEqual(['SIGNATURE_BLOCK_MALFORMED']);
    expect(signer(a).signerInfoCount).toBe(0);
  });

  it('a SIG-* block that is not CMS: SIGNATURE_BLOCK_UNSUPPORTED, a warning', async () => {
    expect(oracle['sig-block']!.verified).toBe(true);
    const a = await analyze('sig-block');
    const s = a.signatures.find((x) => x.blockName === 'META-INF/SIG-FOO')!;
    expect(s.findings.map((f) => [f.code, f.severity])).toContainEqual([
      'SIGNATURE_BLOCK_UNSUPPORTED',
      'warning',
    ]);
    expect(s.findings.filter((f) => f.severity === 'integrity')).toEqual([]);
  });

  it('no manifest: the signature covers nothing and no manifest digest matches', async () => {
    // jarsigner: "jar is unsigned", exit 0.
    expect(oracle['no-manifest']).toEqual({ verified: false, exitCode: 0 });
    const a = await analyze('no-manifest');
    const s = signer(a);
    expect(s.manifestDigestMatches).toBe(false);
    expect(s.signedEntries).toEqual([]);
    expect(s.unsignedEntries).toEqual([A, B]);
  });

  it('a SHA1withRSA algorithm identifier over a SHA-256 digest: SHA-1 is required as well', async () => {
    const a = await analyze('sigalg-oid-sha1');
    const s = signer(a);
    expect(s.signer!.signatureAlgorithm).toBe('SHA1withRSA');
    expect(s.algorithm).toBe('SHA256withRSA');
    expect(s.requiredDigestAlgorithms).toEqual(['SHA-1', 'SHA-256']);
    expect(codes(a, 'integrity')).toEqual([]);
    // jarsigner verifies (exit 4: chain only): the JDK names the algorithm from the digest and the key
    // (SHA256withRSA) and never checks the SHA1 in the identifier. sigscan also requires SHA-1, so its
    // weak-algorithm rule refuses what the JDK accepts (conservative).
    expect(oracle['sigalg-oid-sha1']).toEqual({ verified: true, exitCode: 4 });
  });

  it('an MD5withRSA algorithm identifier over a SHA-256 digest: MD5 is required as well', async () => {
    const a = await analyze('sigalg-oid-md5');
    expect(signer(a).signer!.signatureAlgorithm).toBe('MD5withRSA');
    expect(signer(a).requiredDigestAlgorithms).toEqual(['MD5', 'SHA-256']);
    // As above, the JDK verifies SHA256withRSA and never looks at the MD5.
    expect(oracle['sigalg-oid-md5']).toEqual(oracle['control']);
  });

  it('an MD5 digest under RSASSA-PSS: DISABLED_ALGORITHM from the digest alone', async () => {
    const a = await analyze('md5-pss-oid');
    const s = signer(a);
    expect(s.algorithm).toBe('RSASSA-PSS');
    expect(s.cmsDigestAlgorithm).toBe('MD5');
    expect(s.findings.filter((f) => f.code === 'DISABLED_ALGORITHM').map((f) => f.severity)).toEqual([
      'warning',
    ]);
    // jarsigner: MD5 is in jdk.jar.disabledAlgorithms, the JAR counts as unsigned (exit 16).
    expect(oracle['md5-pss-oid']).toEqual({ verified: false, exitCode: 16 });
  });

  it('an RFC 3161 token over the signature value: read, no imprint finding', async () => {
    const a = await analyze('ts-good');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).timestamp!.kind).toBe('rfc3161');
    expect(signer(a).timestamp!.imprintAlgorithm).toBe('SHA-256');
    // jarsigner verifies; exit 68 = 64 (the TSA certificate is not in its cacerts) + 4 (nor the signer's).
    expect(oracle['ts-good']).toEqual({ verified: true, exitCode: 68 });
  });

  it('a token over other bytes: TIMESTAMP_IMPRINT_MISMATCH', async () => {
    const a = await analyze('ts-wrong-imprint');
    expect(codes(a, 'integrity')).toEqual(['TIMESTAMP_IMPRINT_MISMATCH']);
    // jarsigner: the signature does not verify, the JAR counts as unsigned (exit 16).
    expect(oracle['ts-wrong-imprint']).toEqual({ verified: false, exitCode: 16 });
  });

  it('a PKCS #9 countersignature is not a JAR timestamp', async () => {
    const a = await analyze('countersignature');
    expect(codes(a, 'integrity')).toEqual([]);
    expect(signer(a).timestamp).toBeUndefined();
    expect(oracle['countersignature']).toEqual(oracle['control']);
  });

  it('a timestamp attribute that is not a token: TIMESTAMP_MALFORMED, an integrity failure, as jarsigner refuses the block', async () => {
    const a = await analyze('ts-garbage');
    expect(codes(a, 'integrity')).toEqual(['TIMESTAMP_MALFORMED']);
    expect(codes(a, 'warning')).toEqual([]);
    expect(signer(a).timestamp).toBeUndefined();
    // jarsigner refuses the whole block (unsigned, exit 16). Reading the signature as untimestamped instead could
    // say `verified` for a jar the JDK does not accept.
    expect(oracle['ts-garbage']).toEqual({ verified: false, exitCode: 16 });
  });

  it('an entry twice, the first copy tampered: the mismatch stays (ENTRY_DIGEST_MISMATCH)', async () => {
    expect(oracle['duplicate-first-tampered']!.verified).toBe(false);
    const a = await analyze('duplicate-first-tampered');
    expect(codes(a, 'integrity')).toEqual(['DUPLICATE_ENTRY', 'ENTRY_DIGEST_MISMATCH']);
    expect(a.mismatchedEntries).toEqual([A]);
    expect(signer(a).signedEntries).toEqual([B]);
  });
});

describe('signatureAlgorithmName (jarsigner spelling from the SignerInfo)', () => {
  const view = (digestAlgorithm: string, signatureAlgorithm: string, publicKeyAlgorithm?: string) =>
    ({
      digestAlgorithm,
      signatureAlgorithm,
      certificate: publicKeyAlgorithm ? { summary: { publicKeyAlgorithm } } : undefined,
    }) as unknown as SignerInfoView;

  it.each([
    ['SHA-256', 'SHA256withRSA', undefined, 'SHA256withRSA'],
    ['SHA-384', 'SHA256withECDSA', undefined, 'SHA384withECDSA'],
    ['SHA-256', 'RSA', undefined, 'SHA256withRSA'],
    ['SHA-1', 'EC', undefined, 'SHA1withECDSA'],
    ['SHA-256', 'DSA', undefined, 'SHA256withDSA'],
    ['SHA-256', 'RSASSA-PSS', 'RSA-2048', 'RSASSA-PSS'],
    ['SHA-512', 'Ed25519', 'RSA-2048', 'Ed25519'],
    ['SHA-256', '1.2.3.4', 'ECDSA-P256', 'SHA256withECDSA'],
    ['SHA-256', '1.2.3.4', 'RSA-2048', 'SHA256withRSA'],
    ['SHA-256', '1.2.3.4', 'DSA-2048', 'SHA256withDSA'],
    ['SHA-256', '1.2.3.4', 'Ed448', '1.2.3.4'],
    ['SHA-256', '1.2.3.4', undefined, '1.2.3.4'],
  ])('%s + %s (key %s) → %s', (digest, sigAlg, keyAlg, want) => {
    expect(signatureAlgorithmName(view(digest, sigAlg, keyAlg))).toBe(want);
  });
});

describe('digestAttributes', () => {
  it('an attribute named only by the suffix carries no algorithm and is skipped', () => {
    expect(digestAttributes([{ name: '-Digest', value: 'AAAA' }], '-Digest')).toEqual([]);
    expect(digestAttributes([{ name: 'sha-256-DIGEST', value: 'AA AA' }], '-Digest')).toEqual([
      { algorithm: 'SHA-256', supported: true, expected: Buffer.from('AAAA', 'base64') },
    ]);
  });
});
