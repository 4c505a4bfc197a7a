import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { readElement, childrenOf, contentBytes } from '../../../src/formats/der-reader.js';
import {
  AUTHENTICODE_OID,
  DEFAULT_AUTHENTICODE_BOUNDS,
  flattenSignatures,
  parseAuthenticodeSignature,
  readCertificateTable,
  readPeAuthenticode,
  signerAlgorithmName,
  type AuthenticodeBounds,
} from '../../../src/formats/pe/authenticode.js';
import { parsePeLayout } from '../../../src/formats/pe/pe-file.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  cachedProcess,
  compileTinyPe,
  fixtureNow,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../../helpers/pe/signed-pe.js';
import { firstRecordContent, firstRecordLength } from '../../helpers/pe/surgery.js';

/**
 * readPeAuthenticode on signatures made by osslsigncode (RSA, P-256 and DSA signers, page hashes v1/v2,
 * program name and URL, nested and timestamped signatures) and on byte surgery of them: the
 * WIN_CERTIFICATE walk, the bounds, SpcIndirectDataContent and SpcSpOpusInfo read field by field.
 * The surgery re-encodes the PKCS #7 blob through a small DER tree (definite lengths; osslsigncode writes
 * DER, so an unedited tree gives back the stored bytes), which leaves the signatures unverifiable: these
 * tests are about what the parser reads, the trust layer's tests about what verifies.
 */

const run = promisify(execFile);

// --- A DER tree for surgery ---------------------------------------------------------------------------

interface Tlv {
  /** The identifier octet (low tag numbers only: all that Authenticode uses). */
  tag: number;
  children?: Tlv[];
  content?: Uint8Array;
}

const READ = { code: 'MALFORMED_CMS' as const, ber: true };

function parseTlv(bytes: Uint8Array): Tlv {
  const walk = (el: ReturnType<typeof readElement>): Tlv => {
    const tag = el.bytes[el.start]!;
    if ((tag & 0x1f) === 0x1f) throw new Error('high tag numbers are not expected here');
    return el.constructed
      ? { tag, children: childrenOf(el, READ).map(walk) }
      : { tag, content: contentBytes(el).slice() };
  };
  return walk(readElement(bytes, READ));
}

function lengthOctets(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return [0x80 | out.length, ...out];
}

function encode(t: Tlv): Uint8Array {
  const body = t.children ? Buffer.concat(t.children.map(encode)) : Buffer.from(t.content ?? []);
  return new Uint8Array(Buffer.concat([Buffer.from([t.tag, ...lengthOctets(body.length)]), body]));
}

const tlv = (tag: number, ...children: Tlv[]): Tlv => ({ tag, children });
const prim = (tag: number, content: Uint8Array | string | number[]): Tlv => ({
  tag,
  content:
    typeof content === 'string' ? new Uint8Array(Buffer.from(content, 'latin1')) : new Uint8Array(content),
});
const bmp = (s: string) => new Uint8Array(Buffer.from(s, 'utf16le').swap16());

function oidContent(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const septets: number[] = [];
    let v = arc;
    do {
      septets.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    out.push(...septets.map((s, i) => (i < septets.length - 1 ? s | 0x80 : s)));
  }
  return new Uint8Array(out);
}
const oid = (dotted: string) => prim(0x06, oidContent(dotted));
const isOid = (t: Tlv | undefined, dotted: string) =>
  t?.tag === 0x06 && Buffer.from(t.content!).equals(Buffer.from(oidContent(dotted)));

const SHA256 = '2.16.840.1.101.3.4.2.1';
const NESTED_SIGNATURE = '1.3.6.1.4.1.311.2.4.1';

/** ContentInfo → SignedData → its parts, by position (RFC 5652 order; certificates [0] present). */
const signedData = (ci: Tlv) => ci.children![1]!.children![0]!;
const encapContentInfo = (ci: Tlv) => signedData(ci).children![2]!;
const signerInfo = (ci: Tlv) => signedData(ci).children!.at(-1)!.children![0]!;
const attributesOf = (si: Tlv, tag: 0xa0 | 0xa1) => si.children!.find((c) => c.tag === tag)?.children ?? [];
const attributeValues = (si: Tlv, tag: 0xa0 | 0xa1, type: string) =>
  attributesOf(si, tag).find((a) => isOid(a.children![0], type))!.children![1]!;
/** The SpcIndirectDataContent SEQUENCE, held directly in eContent [0] (Authenticode does not wrap it). */
const indirectData = (ci: Tlv) => encapContentInfo(ci).children![1]!.children![0]!;
/** SpcPeImageData.file [0] → SpcLink (the page-hash moniker [1] when osslsigncode was given -ph). */
const peImageLink = (ci: Tlv) => indirectData(ci).children![0]!.children![1]!.children![1]!.children![0]!;

function tree(path: string): { tree: Tlv; der: Uint8Array } {
  const der = firstRecordContent(path);
  const t = parseTlv(der);
  // The re-encoding must be exact for the untouched blob, or an edit would test the encoder instead.
  expect(Buffer.from(encode(t)).equals(Buffer.from(der))).toBe(true);
  return { tree: t, der };
}

function parse(t: Tlv, bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS) {
  return parseAuthenticodeSignature(encode(t), 'certificate-table[0]', bounds);
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SigscanError ? err.code : `not a SigscanError: ${String(err)}`;
  }
  return undefined;
}

// --- Certificate-table surgery -------------------------------------------------------------------------

interface PeBytes {
  bytes: Uint8Array;
  view: DataView;
  offset: number;
  size: number;
  directory: number;
}

function peBytes(path: string): PeBytes {
  const bytes = new Uint8Array(readFileSync(path));
  const layout = parsePeLayout(bytes);
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: layout.certificateTable.offset,
    size: layout.certificateTable.size,
    directory: layout.certificateDirectoryOffset,
  };
}

/** Appends `extra` to the certificate table (the last thing in the file), growing the directory Size. */
function extendTable(path: string, extra: number[]): Uint8Array {
  const pe = peBytes(path);
  if (pe.offset + pe.size !== pe.bytes.length) throw new Error('the table must end the file');
  const out = new Uint8Array(Buffer.concat([pe.bytes, Buffer.from(extra)]));
  new DataView(out.buffer).setUint32(pe.directory + 4, pe.size + extra.length, true);
  return out;
}

/** A WIN_CERTIFICATE header for an empty WIN_CERT_TYPE_X509 record (dwLength 8: a header and nothing else). */
const EMPTY_X509_RECORD = [8, 0, 0, 0, 0x00, 0x02, 0x01, 0x00];

// --- Fixtures ------------------------------------------------------------------------------------------

/** osslsigncode sign with explicit arguments, once a day per input (cachedProcess). */
async function ossl(
  recipe: string,
  files: string[],
  args: string[],
  input: string,
  output: string,
): Promise<string> {
  const { dir, answer } = await cachedProcess(
    `pea-${recipe}-v1`,
    [JSON.stringify(args), { file: input }, ...files.map((file) => ({ file }))],
    'osslsigncode',
    (out) => ['sign', ...args, '-in', input, '-out', out('signed.exe')],
  );
  if (answer.exitCode !== 0) throw new Error(`osslsigncode: ${answer.stderr}`);
  copyFileSync(join(dir, 'signed.exe'), output);
  return output;
}

/** A self-signed DSA code-signing certificate (the CA does not matter to the parser). */
async function dsaSigner(): Promise<{ cert: string; key: string }> {
  const d = await cachedFixtureDir('pea-dsa-signer-v1', async (dir) => {
    const p = (f: string) => join(dir, f);
    await run('openssl', ['dsaparam', '-out', p('params.pem'), '2048']);
    await run('openssl', ['gendsa', '-out', p('dsa.key'), p('params.pem')]);
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      p('dsa.key'),
      '-out',
      p('dsa.pem'),
      '-days',
      '30',
      '-subj',
      '/CN=Sigscan DSA Code Signer',
      '-addext',
      'extendedKeyUsage=codeSigning',
    ]);
  });
  return { cert: join(d, 'dsa.pem'), key: join(d, 'dsa.key') };
}

let dir: string;
let pki: TestPki;
let exe: string;
let named: string;
let ec: string;
let dsa: string;
let dsaCert: string;
let ph1: string;
let ph2: string;
let nested1: string;
let nested2: string;
let leafStamped: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-pea-'));
  pki = await makeTestPki(join(dir, 'pki'));
  exe = await compileTinyPe(dir);
  named = await makeSignedPe(pki, exe, join(dir, 'named.exe'), {
    programName: 'Sigscan Tiny',
    url: 'https://sigscan.test/tiny',
  });
  ec = await makeSignedPe(pki, exe, join(dir, 'ec.exe'), { signer: 'ec' });
  ph1 = await makeSignedPe(pki, exe, join(dir, 'ph1.exe'), { hash: 'sha1', pageHashes: true });
  ph2 = await makeSignedPe(pki, exe, join(dir, 'ph2.exe'), { pageHashes: true });
  nested1 = await makeSignedPe(pki, named, join(dir, 'nested1.exe'), { nest: true, hash: 'sha384' });
  nested2 = await makeSignedPe(pki, nested1, join(dir, 'nested2.exe'), { nest: true, hash: 'sha512' });
  const signer = await dsaSigner();
  dsaCert = signer.cert;
  dsa = await ossl(
    'dsa',
    [signer.cert, signer.key],
    ['-certs', signer.cert, '-key', signer.key, '-h', 'sha256'],
    exe,
    join(dir, 'dsa.exe'),
  );
  // The leaf alone in the signer's SignedData, three certificates in osslsigncode's timestamp token: the
  // two certificate sets differ in size, so the bound can pass one and stop the other.
  const leaf = join(pki.dir, 'rsa.pem');
  leafStamped = await ossl(
    'leaf-stamped',
    [leaf, pki.rsaKey, pki.tsaChainPem, pki.tsaKey],
    [
      '-certs',
      leaf,
      '-key',
      pki.rsaKey,
      '-h',
      'sha256',
      '-TSA-certs',
      pki.tsaChainPem,
      '-TSA-key',
      pki.tsaKey,
      '-TSA-time',
      String((await fixtureNow()) + 3600),
    ],
    exe,
    join(dir, 'leaf-stamped.exe'),
  );
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (path: string, bounds?: AuthenticodeBounds) =>
  readPeAuthenticode(new Uint8Array(readFileSync(path)), bounds);
const primary = (path: string, bounds?: AuthenticodeBounds) => read(path, bounds).signatures[0]!.signature;
const bounded = (b: Partial<AuthenticodeBounds>): AuthenticodeBounds => ({
  ...DEFAULT_AUTHENTICODE_BOUNDS,
  ...b,
});

describe('the WIN_CERTIFICATE walk', () => {
  const table = (bytes: Uint8Array, bounds?: AuthenticodeBounds) =>
    readCertificateTable(bytes, parsePeLayout(bytes), bounds);

  it('reads a record of exactly 8 bytes (a header and no content) that ends the table', () => {
    const bytes = extendTable(named, EMPTY_X509_RECORD);
    const t = table(bytes);
    expect(t.records.map((r) => [r.length, r.certificateType, r.content.length])).toEqual([
      [firstRecordLength(named), 0x0002, firstRecordLength(named) - 8],
      [8, 0x0001, 0],
    ]);
    const pe = readPeAuthenticode(bytes);
    expect(pe.signatures).toHaveLength(1);
    expect(pe.skippedRecords.map((r) => r.index)).toEqual([1]);
  });

  it('stops at maxRecords records, and takes exactly that many', () => {
    const bytes = extendTable(named, EMPTY_X509_RECORD);
    expect(codeOf(() => table(bytes, bounded({ maxRecords: 1 })))).toBe('MALFORMED_PE');
    expect(table(bytes, bounded({ maxRecords: 2 })).records).toHaveLength(2);
  });

  it('takes zero padding after the last record as padding, and a zero dwLength before data as malformed', () => {
    // The walk only: osslsigncode 2.9 fails this table ("Corrupted attribute certificate table": the
    // record's rounded dwLength is not the table size); whether sigscan should is placement.ts's rule.
    const padded = extendTable(named, new Array<number>(16).fill(0));
    expect(table(padded).records).toHaveLength(1);
    expect(readPeAuthenticode(padded).signatures).toHaveLength(1);
    const hidden = extendTable(named, [...new Array<number>(8).fill(0), 0x41, 0, 0, 0, 0, 0, 0, 0]);
    expect(codeOf(() => table(hidden))).toBe('MALFORMED_PE');
  });

  it('refuses a record whose dwLength is shorter than its own header, even when the rest of the table is empty', () => {
    // Read as a record, the 8-byte header would step to the end of the table and the walk would finish.
    expect(codeOf(() => table(extendTable(named, [4, 0, 0, 0, 0x00, 0x02, 0x01, 0x00])))).toBe(
      'MALFORMED_PE',
    );
  });

  it('refuses a dwLength one record-alignment past the end of the table', () => {
    const pe = peBytes(named);
    pe.view.setUint32(pe.offset, pe.size + 8, true);
    expect(codeOf(() => table(pe.bytes))).toBe('MALFORMED_PE');
  });

  it('reads no records from a zero-size directory whatever its offset says', () => {
    const pe = peBytes(exe);
    pe.view.setUint32(pe.directory, 0xfffff000, true);
    pe.view.setUint32(pe.directory + 4, 0, true);
    expect(table(pe.bytes)).toEqual({ records: [], misaligned: false, bytesAfterTable: 0 });
  });

  it('refuses, as MALFORMED_PE, a table that runs past the end of the bytes given', () => {
    const bytes = new Uint8Array(readFileSync(named));
    const layout = parsePeLayout(bytes);
    expect(codeOf(() => readCertificateTable(bytes.subarray(0, bytes.length - 8), layout))).toBe(
      'MALFORMED_PE',
    );
  });

  it('accepts a table of exactly maxTableBytes', () => {
    const bytes = new Uint8Array(readFileSync(named));
    const { size } = parsePeLayout(bytes).certificateTable;
    expect(table(bytes, bounded({ maxTableBytes: size })).records).toHaveLength(1);
    expect(codeOf(() => table(bytes, bounded({ maxTableBytes: size - 1 })))).toBe('MALFORMED_PE');
  });
});

describe('signature bounds', () => {
  it('takes a SignedData of exactly maxCertificates certificates and refuses one more', () => {
    expect(primary(named, bounded({ maxCertificates: 2 })).certificates).toHaveLength(2);
    expect(codeOf(() => primary(named, bounded({ maxCertificates: 1 })))).toBe('MALFORMED_CMS');
  });

  it('bounds the timestamp token certificates too, dropping the timestamp with a problem', () => {
    const ok = primary(leafStamped, bounded({ maxCertificates: 3 }));
    expect(ok.certificates).toHaveLength(1);
    expect(ok.timestamps.map((t) => t.kind)).toEqual(['rfc3161']);
    expect(ok.problems).toEqual([]);
    const over = primary(leafStamped, bounded({ maxCertificates: 2 }));
    expect(over.certificates).toHaveLength(1);
    expect(over.timestampTokensDer).toHaveLength(1);
    expect(over.timestamps).toEqual([]);
    expect(over.problems).toEqual([expect.stringMatching(/^timestamp: /)]);
  });

  it('reads two nested signatures, or the first maxNestedPerSignature of them with a problem', () => {
    const all = primary(nested2);
    expect(flattenSignatures(all).map((s) => [s.location, s.depth, s.indirectData.digestAlgorithm])).toEqual([
      ['certificate-table[0]', 0, 'SHA-256'],
      ['certificate-table[0]/nested[0]', 1, 'SHA-384'],
      ['certificate-table[0]/nested[1]', 1, 'SHA-512'],
    ]);
    expect(primary(nested2, bounded({ maxNestedPerSignature: 2 })).problems).toEqual([]);
    const cut = primary(nested2, bounded({ maxNestedPerSignature: 1 }));
    expect(cut.nested.map((s) => s.indirectData.digestAlgorithm)).toEqual(['SHA-384']);
    // The counts: 2 found, 1 read.
    expect(cut.problems).toEqual([expect.stringMatching(/^2 \D+1\D/)]);
  });

  it('says nothing about the nesting bound on a signature with nothing nested', () => {
    const sig = primary(named, bounded({ maxNestingDepth: 0 }));
    expect(sig.nested).toEqual([]);
    expect(sig.problems).toEqual([]);
  });

  it('keeps the primary signature when a nested one is malformed, naming it in the problems', () => {
    const { tree: t } = tree(nested1);
    const nestedCi = attributeValues(signerInfo(t), 0xa1, NESTED_SIGNATURE).children![0]!;
    encapContentInfo(nestedCi).children![0] = oid('1.2.840.113549.1.7.1');
    const sig = parse(t);
    expect(sig.nested).toEqual([]);
    expect(sig.problems).toEqual([expect.stringMatching(/^certificate-table\[0\]\/nested\[0\]: \S/)]);
  });

  it('refuses encapsulated content other than SpcIndirectDataContent, and a PE signature read as a catalog', () => {
    const { tree: t, der } = tree(named);
    encapContentInfo(t).children![0] = oid('1.2.840.113549.1.7.1');
    expect(codeOf(() => parse(t))).toBe('MALFORMED_CMS');
    expect(
      codeOf(() => parseAuthenticodeSignature(der, 'x', DEFAULT_AUTHENTICODE_BOUNDS, 0, 'catalog')),
    ).toBe('MALFORMED_CMS');
  });

  it('keeps the parse error as the cause of MALFORMED_CMS', () => {
    const der = firstRecordContent(named).slice();
    der.fill(0xff, 4, 40);
    let caught: unknown;
    try {
      parseAuthenticodeSignature(der, 'certificate-table[0]');
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({ code: 'MALFORMED_CMS', cause: expect.any(Error) });
  });
});

describe('signer algorithm names', () => {
  it('names RSA, ECDSA and DSA signers with their digest', () => {
    expect(signerAlgorithmName(primary(named).signer)).toBe('SHA256withRSA');
    expect(signerAlgorithmName(primary(ec).signer)).toBe('SHA256withECDSA');
    expect(signerAlgorithmName(primary(dsa).signer)).toBe('SHA256withDSA');
  });

  it('names them too when SignerInfo gives only the key algorithm (id-ecPublicKey, id-dsa)', () => {
    for (const [path, keyOid, key, name] of [
      [ec, '1.2.840.10045.2.1', 'EC', 'SHA256withECDSA'],
      [dsa, '1.2.840.10040.4.1', 'DSA', 'SHA256withDSA'],
    ] as const) {
      const { tree: t } = tree(path);
      const si = signerInfo(t);
      // version, sid, digestAlgorithm, [0] signedAttrs, signatureAlgorithm, signature, ...
      const algorithm = si.children![si.children!.findIndex((c) => c.tag === 0xa0) + 1]!;
      expect(algorithm.children![0]!.tag).toBe(0x06);
      algorithm.children = [oid(keyOid)];
      const sig = parse(t);
      expect(sig.signer.signatureAlgorithm).toBe(key);
      expect(signerAlgorithmName(sig.signer)).toBe(name);
    }
  });
});

describe('SpcIndirectDataContent', () => {
  const digestInfo = () =>
    tlv(0x30, tlv(0x30, oid(SHA256), prim(0x05, [])), prim(0x04, new Array<number>(32).fill(7)));
  const peImageData = (...extra: Tlv[]) => tlv(0x30, prim(0x03, [0]), ...extra);
  const withIndirect = (content: Tlv) => {
    const { tree: t } = tree(named);
    encapContentInfo(t).children![1]!.children![0] = content;
    return t;
  };

  it('reads the data type, algorithm and digest of a well-formed one', () => {
    const sig = parse(
      withIndirect(tlv(0x30, tlv(0x30, oid(AUTHENTICODE_OID.spcPeImageData), peImageData()), digestInfo())),
    );
    expect(sig.indirectData).toMatchObject({
      dataType: AUTHENTICODE_OID.spcPeImageData,
      digestAlgorithm: 'SHA-256',
      digest: new Uint8Array(32).fill(7),
    });
  });

  it('refuses one without a data type, digest algorithm or digest as MALFORMED_CMS', () => {
    const cases = [
      tlv(0x30, tlv(0x30), digestInfo()),
      tlv(0x30, tlv(0x30, prim(0x04, [1, 2])), digestInfo()),
      tlv(0x30, tlv(0x30, oid(AUTHENTICODE_OID.spcPeImageData)), tlv(0x30, tlv(0x30), prim(0x04, [1]))),
      tlv(
        0x30,
        tlv(0x30, oid(AUTHENTICODE_OID.spcPeImageData)),
        tlv(0x30, tlv(0x30, prim(0x05, [])), prim(0x04, [1])),
      ),
      tlv(0x30, tlv(0x30, oid(AUTHENTICODE_OID.spcPeImageData)), tlv(0x30, tlv(0x30, oid(SHA256)))),
      tlv(
        0x30,
        tlv(0x30, oid(AUTHENTICODE_OID.spcPeImageData)),
        tlv(0x30, tlv(0x30, oid(SHA256)), prim(0x02, [1])),
      ),
    ];
    expect(cases.map((c) => codeOf(() => parse(withIndirect(c))))).toEqual(cases.map(() => 'MALFORMED_CMS'));
  });

  it('reads a SIP GUID only for SpcSipInfo', () => {
    const guid = [...new Array<number>(16).keys()];
    const sipValue = tlv(0x30, prim(0x02, [1]), prim(0x04, guid));
    const sip = parse(
      withIndirect(tlv(0x30, tlv(0x30, oid(AUTHENTICODE_OID.spcSipInfo), sipValue), digestInfo())),
    );
    expect(sip.indirectData.sipGuid).toBe('000102030405060708090a0b0c0d0e0f');
    const pe = parse(
      withIndirect(tlv(0x30, tlv(0x30, oid(AUTHENTICODE_OID.spcPeImageData), sipValue), digestInfo())),
    );
    expect(pe.indirectData.sipGuid).toBeUndefined();
  });
});

describe('page hashes', () => {
  it('finds v1 page hashes in a SHA-1 signature and v2 in a SHA-256 one', () => {
    expect(primary(ph1).indirectData.pageHashes).toBe('v1');
    expect(primary(ph2).indirectData.pageHashes).toBe('v2');
    expect(primary(named).indirectData.pageHashes).toBeUndefined();
  });

  it("reads page hashes under pesign's data type as well", () => {
    const { tree: t } = tree(ph2);
    indirectData(t).children![0]!.children![0] = oid(AUTHENTICODE_OID.spcPeImageDataPesign);
    const sig = parse(t);
    expect(sig.indirectData.dataType).toBe(AUTHENTICODE_OID.spcPeImageDataPesign);
    expect(sig.indirectData.pageHashes).toBe('v2');
  });

  it('finds none behind a link that is not a moniker, or a moniker of another class', () => {
    const relinked = tree(ph2).tree;
    expect(peImageLink(relinked).tag).toBe(0xa1);
    peImageLink(relinked).tag = 0xa2;
    expect(parse(relinked).indirectData.pageHashes).toBeUndefined();

    const reclassed = tree(ph2).tree;
    const classId = peImageLink(reclassed).children![0]!;
    expect(Buffer.from(classId.content!).toString('hex')).toBe('a6b586d5b4a12466ae05a217da8e60d6');
    classId.content![15]! ^= 0x01;
    expect(parse(reclassed).indirectData.pageHashes).toBeUndefined();
  });

  it('finds none when the serialized object names neither page-hash OID', () => {
    for (const [path, version] of [
      [ph1, '1'],
      [ph2, '2'],
    ] as const) {
      const { tree: t } = tree(path);
      const serialized = peImageLink(t).children![1]!.content!;
      const at = Buffer.from(serialized).indexOf(Buffer.from(oidContent(`1.3.6.1.4.1.311.2.3.${version}`)));
      expect(at).toBeGreaterThan(0);
      serialized[at + 9] = 0x09;
      expect(parse(t).indirectData.pageHashes).toBeUndefined();
    }
  });

  it('looks for the page-hash OID down to depth 8 of the serialized object, not below', () => {
    const wrapped = (levels: number) => {
      const { tree: t } = tree(ph2);
      const serialized = peImageLink(t).children![1]!;
      // osslsigncode: SET { SEQUENCE { OID, SET { OCTET STRING } } }, the OID at depth 2.
      let inner = parseTlv(serialized.content!);
      for (let i = 0; i < levels; i++) inner = tlv(0x31, inner);
      serialized.content = encode(inner);
      return parse(t).indirectData.pageHashes;
    };
    expect(wrapped(0)).toBe('v2');
    expect(wrapped(6)).toBe('v2');
    expect(wrapped(7)).toBeUndefined();
  });
});

describe('SpcSpOpusInfo', () => {
  const withOpus = (opus: Tlv) => {
    const { tree: t } = tree(named);
    attributeValues(signerInfo(t), 0xa0, AUTHENTICODE_OID.spcSpOpusInfo).children![0] = opus;
    return parse(t);
  };

  it('reads the program name (BMPString) and URL osslsigncode writes', () => {
    const sig = primary(named);
    expect([sig.programName, sig.moreInfoUrl]).toEqual(['Sigscan Tiny', 'https://sigscan.test/tiny']);
    expect(primary(ec)).not.toHaveProperty('programName');
  });

  it('joins a constructed (BER) program name and reads a URL link', () => {
    const sig = withOpus(
      tlv(
        0x30,
        tlv(0xa0, tlv(0xa0, prim(0x1e, bmp('Sig')), prim(0x1e, bmp('scan')))),
        tlv(0xa1, prim(0x80, 'https://a.test/')),
        // An unknown field and a field of another class: not a URL.
        tlv(0xa3, prim(0x80, 'https://unknown-field.test/')),
        tlv(0x61, prim(0x80, 'https://application-class.test/')),
      ),
    );
    expect([sig.programName, sig.moreInfoUrl]).toEqual(['Sigscan', 'https://a.test/']);
  });

  it('drops the odd last byte of a BMPString and reads a file link as the URL', () => {
    const odd = [...bmp('AB'), 0x43];
    const sig = withOpus(
      tlv(0x30, tlv(0xa0, prim(0x80, odd)), tlv(0xa1, tlv(0xa2, prim(0x80, bmp('file-url'))))),
    );
    expect([sig.programName, sig.moreInfoUrl]).toEqual(['AB', 'file-url']);
  });

  it('reads an empty constructed (BER) string as empty, the same as an empty primitive one', () => {
    const sig = withOpus(tlv(0x30, tlv(0xa0, tlv(0xa0)), tlv(0xa1, tlv(0xa0))));
    expect([sig.programName, sig.moreInfoUrl]).toEqual(['', '']);
  });

  it('reads an ASCII file link', () => {
    const sig = withOpus(tlv(0x30, tlv(0xa1, tlv(0xa2, prim(0x81, 'ascii-file')))));
    expect(sig.moreInfoUrl).toBe('ascii-file');
    expect(sig.programName).toBeUndefined();
  });

  it('ignores monikers, empty links and fields whose content is not context-tagged', () => {
    const sig = withOpus(
      tlv(
        0x30,
        tlv(0xa1, prim(0x80, 'https://c.test/')),
        tlv(0xa1, tlv(0xa2)),
        tlv(0xa1, tlv(0xa1, prim(0x04, 'class-id'), prim(0x04, 'data'))),
        tlv(0xa3, tlv(0xa2, prim(0x80, bmp('unknown-field')))),
        tlv(0xa0, prim(0x1e, bmp('universal'))),
        tlv(0xa1),
      ),
    );
    expect([sig.programName, sig.moreInfoUrl]).toEqual([undefined, 'https://c.test/']);
  });
});

describe('the same reading as osslsigncode verify', () => {
  it('program name, URL, page-hash algorithm, signature count and digests agree', async () => {
    const line = (output: string, label: string) =>
      new RegExp(`^\\s*${label}\\s*: (.+)$`, 'm').exec(output)?.[1]?.trim();
    const named_ = await osslsigncodeVerifyWith(named, { caFile: pki.caPem });
    expect(named_.passed).toBe(true);
    const sig = primary(named);
    expect([sig.programName, sig.moreInfoUrl]).toEqual([
      line(named_.output, 'Text description'),
      line(named_.output, 'URL description'),
    ]);
    // osslsigncode names the page-hash digest: SHA1 for v1 (SPC_PE_IMAGE_PAGE_HASHES_V1), SHA256 for v2.
    for (const [path, version, algorithm] of [
      [ph1, 'v1', 'SHA1'],
      [ph2, 'v2', 'SHA256'],
    ] as const) {
      const verified = await osslsigncodeVerifyWith(path, { caFile: pki.caPem });
      expect(verified.passed).toBe(true);
      expect(line(verified.output, 'Page hash algorithm')).toBe(algorithm);
      expect(primary(path).indirectData.pageHashes).toBe(version);
    }
    const all = await osslsigncodeVerifyWith(nested2, { caFile: pki.caPem });
    expect(all.passed).toBe(true);
    const digests = [...all.output.matchAll(/^Message digest algorithm {2}: (\S+)/gm)].map((m) => m[1]);
    expect(
      flattenSignatures(primary(nested2))
        .map((s) => s.indirectData.digestAlgorithm.replace('-', ''))
        .sort(),
    ).toEqual(digests.sort());
    expect((await osslsigncodeVerifyWith(dsa, { caFile: dsaCert })).output).toMatch(
      /Number of verified signatures: 1/,
    );
  });
});
