import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as pkijs from 'pkijs';

import { describeError } from '../../src/errors.js';
import { parsePeLayout } from '../../src/formats/pe/pe-file.js';
import { combineTimestamps, issueTsaCertificate, restamp } from '../helpers/pe/countersign.js';
import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import {
  appendAfterTable,
  dirtyAfterContentInfo,
  firstRecordContent,
  growLastRecord,
  replaceFirstRecordContent,
  shrinkToContentInfo,
  signWithTableInside,
  unpadCertificateTable,
} from '../helpers/pe/surgery.js';
import { config, evaluateFile } from '../trust/helpers.js';
import { caseList, outcomeOf, type AdversarialCase, type FamilyCorpus, type Outcome } from './corpus.js';

/**
 * Authenticode PE cases: mingw-w64 compiles a tiny PE, openssl makes the PKI, osslsigncode 2.9 signs
 * (and timestamps with its built-in TSA), then byte surgery edits headers, the certificate table or the
 * PKCS #7 blob. osslsigncode verify runs beside ours on the cases marked with `oracle`.
 */

const run = promisify(execFile);
const DAY = 86_400;

interface PeCase {
  id: string;
  attack: string;
  status: AdversarialCase['status'];
  code: string | readonly string[];
  control?: boolean;
  oracle?: boolean;
  /** Verify as of this UNIX time (`--at`, osslsigncode -time). */
  at?: number;
  roots?: 'other';
  /** The signature the case is about, by location (default: the primary). */
  nested?: boolean;
  make: (out: string) => Promise<string> | string;
}

function edit(src: string, out: string, change: (bytes: Buffer, view: DataView) => Buffer | void): string {
  const bytes = Buffer.from(readFileSync(src));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  writeFileSync(out, change(bytes, view) ?? bytes);
  return out;
}

function layoutOf(bytes: Uint8Array) {
  return parsePeLayout(bytes);
}

/** The primary signature re-encoded by pkijs after `change` (certificates, signer infos). */
function reencode(src: string, out: string, change: (sd: pkijs.SignedData) => void): string {
  const content = firstRecordContent(src);
  const ci = pkijs.ContentInfo.fromBER(new Uint8Array(content));
  const sd = new pkijs.SignedData({ schema: ci.content });
  change(sd);
  const blob = new Uint8Array(
    new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) }).toSchema().toBER(),
  );
  return replaceFirstRecordContent(src, out, blob);
}

/** Flips one byte of the record at a position found in its ContentInfo. */
function flipInRecord(src: string, out: string, find: (content: Buffer) => number): string {
  return edit(src, out, (bytes) => {
    const { offset } = layoutOf(bytes).certificateTable;
    const content = Buffer.from(firstRecordContent(src));
    const at = find(content);
    if (at < 0) throw new Error('nothing to flip');
    bytes[offset + 8 + at]! ^= 0x01;
  });
}

async function issueServerAuthCertificate(pki: TestPki): Promise<{ chain: string; key: string }> {
  const p = (f: string) => join(pki.dir, f);
  writeFileSync(
    p('server.cnf'),
    '[req]\ndistinguished_name = dn\n[dn]\n[ext]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\n',
  );
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
    '-subj',
    '/CN=Sigscan Server Auth',
    '-config',
    p('server.cnf'),
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.pem'),
    '-days',
    '365',
    '-extfile',
    p('server.cnf'),
    '-extensions',
    'ext',
  ]);
  writeFileSync(
    p('server-chain.pem'),
    readFileSync(p('server.pem'), 'utf8') + readFileSync(p('ca.pem'), 'utf8'),
  );
  return { chain: p('server-chain.pem'), key: p('server.key') };
}

export async function peCorpus(work: string): Promise<FamilyCorpus> {
  const dir = join(work, 'pe');
  mkdirSync(dir, { recursive: true });
  const pki = await makeTestPki(join(dir, 'pki'));
  const foreign = await makeTestPki(join(dir, 'foreign'));
  const exe = await compileTinyPe(dir);
  const now = Math.floor(Date.now() / 1000);
  const later = now + 400 * DAY;
  const signed = await makeSignedPe(pki, exe, join(dir, 'signed.exe'));
  const stamped = await makeSignedPe(pki, exe, join(dir, 'stamped.exe'), { timestampUnixTime: now + 3600 });
  const p = (name: string) => join(dir, name);

  // A signature whose ContentInfo does not end on an 8-byte boundary, for the padding cases.
  let unaligned = signed;
  for (let n = 1; n <= 8 && shrinkToContentInfo(unaligned, p('probe.exe')) === 0; n++) {
    unaligned = await makeSignedPe(pki, exe, p(`unaligned-${n}.exe`), { programName: 'x'.repeat(n) });
  }

  const pc: PeCase[] = [
    {
      id: 'pe-control',
      attack: 'untouched osslsigncode-signed PE (RSA, SHA-256)',
      status: 'verified',
      code: 'CHAIN_VALID',
      control: true,
      oracle: true,
      make: () => signed,
    },
    {
      id: 'pe-control-ec',
      attack: 'untouched osslsigncode-signed PE (P-256)',
      status: 'verified',
      code: 'CHAIN_VALID',
      control: true,
      make: (o) => makeSignedPe(pki, exe, o, { signer: 'ec' }),
    },
    {
      id: 'pe-control-stamped',
      attack: 'untouched timestamped PE judged after the signer expired',
      status: 'verified',
      code: 'CHAIN_VALID',
      control: true,
      oracle: true,
      at: later,
      make: () => stamped,
    },
    {
      id: 'pe-benign-checksum',
      attack:
        'benign: the CheckSum field changed (outside the image hash, as Windows ignores it for user-mode files)',
      status: 'verified',
      code: 'CHAIN_VALID',
      control: true,
      oracle: true,
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).checksumOffset;
          b.writeUInt32LE(b.readUInt32LE(at) ^ 0xffff, at);
        }),
    },
    {
      id: 'pe-text-byte',
      attack: 'one byte of the first section changed',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      oracle: false,
      make: (o) =>
        edit(signed, o, (b) => {
          const s = layoutOf(b).sections[0]!;
          b[s.pointerToRawData + 16]! ^= 0x90;
        }),
    },
    {
      id: 'pe-dos-stub',
      attack: 'one byte of the DOS stub changed',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      make: (o) =>
        edit(signed, o, (b) => {
          b[0x4e]! ^= 0x20;
        }),
    },
    {
      id: 'pe-entry-point',
      attack: 'AddressOfEntryPoint moved',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      oracle: false,
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).optionalHeaderOffset + 16;
          b.writeUInt32LE(b.readUInt32LE(at) + 0x10, at);
        }),
    },
    {
      id: 'pe-size-of-image',
      attack: 'SizeOfImage changed',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).optionalHeaderOffset + 56;
          b.writeUInt32LE(b.readUInt32LE(at) + 0x1000, at);
        }),
    },
    {
      id: 'pe-section-raw-size',
      attack: "the last section's SizeOfRawData shrunk (its tail becomes unhashed overlay)",
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      make: (o) =>
        edit(signed, o, (b) => {
          const l = layoutOf(b);
          const optSize = b.readUInt16LE(l.peHeaderOffset + 4 + 16);
          const at = l.optionalHeaderOffset + optSize + (l.sections.length - 1) * 40 + 16;
          b.writeUInt32LE(b.readUInt32LE(at) - 0x200, at);
        }),
    },
    {
      id: 'pe-section-name',
      attack: 'a section renamed in the section table',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      make: (o) =>
        edit(signed, o, (b) => {
          const l = layoutOf(b);
          const optSize = b.readUInt16LE(l.peHeaderOffset + 20);
          b[l.optionalHeaderOffset + optSize + 1]! ^= 0x20;
        }),
    },
    {
      id: 'pe-section-count',
      attack: 'NumberOfSections lowered by one (a section hidden from the hash order)',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).peHeaderOffset + 6;
          b.writeUInt16LE(b.readUInt16LE(at) - 1, at);
        }),
    },
    {
      id: 'pe-overlay-inserted',
      attack: 'bytes inserted before the certificate table (overlay), the directory moved to match',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      oracle: false,
      make: (o) =>
        edit(signed, o, (b) => {
          const l = layoutOf(b);
          const at = l.certificateTable.offset;
          const out = Buffer.concat([b.subarray(0, at), Buffer.from('OVERLAY!'), b.subarray(at)]);
          out.writeUInt32LE(at + 8, l.certificateDirectoryOffset);
          return out;
        }),
    },
    {
      id: 'pe-record-swapped',
      attack: "another program's signature record put on this file",
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      oracle: false,
      make: async (o) => {
        const other = edit(exe, p('other-unsigned.exe'), (b) => {
          const s = layoutOf(b).sections[0]!;
          b[s.pointerToRawData + 32]! ^= 0x01;
        });
        const otherSigned = await makeSignedPe(pki, other, p('other-signed.exe'));
        return replaceFirstRecordContent(signed, o, firstRecordContent(otherSigned));
      },
    },
    {
      id: 'pe-digest-flipped',
      attack: 'the image digest inside SpcIndirectDataContent changed',
      status: 'invalid',
      code: 'IMAGE_HASH_MISMATCH',
      oracle: false,
      make: async (o) => {
        const v = await osslsigncodeVerifyWith(signed, { caFile: pki.caPem });
        const digest = Buffer.from(/Current message digest\s*: (\S+)/.exec(v.output)![1]!, 'hex');
        return flipInRecord(signed, o, (c) => c.indexOf(digest) + 5);
      },
    },
    {
      id: 'pe-signature-flipped',
      attack: 'one byte of the RSA signature value changed',
      status: 'invalid',
      code: ['SIGNATURE_INVALID', 'CMS_SIGNATURE_INVALID'],
      oracle: false,
      make: (o) => flipInRecord(signed, o, (c) => c.length - 20),
    },
    {
      id: 'pe-signer-cert-removed',
      attack: "the signer's certificate removed from the SignedData",
      status: 'invalid',
      code: 'SIGNER_CERTIFICATE_MISSING',
      oracle: false,
      make: (o) =>
        reencode(signed, o, (sd) => {
          const isLeaf = (c: unknown) =>
            c instanceof pkijs.Certificate &&
            c.subject.typesAndValues.some((tv) => String(tv.value.valueBlock.value).includes('Code Signer'));
          const before = sd.certificates?.length ?? 0;
          sd.certificates = (sd.certificates ?? []).filter((c) => !isLeaf(c));
          if (sd.certificates.length !== before - 1) throw new Error('the signer certificate was not found');
        }),
    },
    {
      id: 'pe-second-record',
      attack: 'a second WIN_CERTIFICATE record (a copy of the first) appended',
      status: 'invalid',
      code: 'MULTIPLE_CERTIFICATE_RECORDS',
      oracle: false,
      make: (o) =>
        edit(signed, o, (b) => {
          const l = layoutOf(b);
          const { offset, size } = l.certificateTable;
          const out = Buffer.concat([b, b.subarray(offset, offset + size)]);
          out.writeUInt32LE(size * 2, l.certificateDirectoryOffset + 4);
          return out;
        }),
    },
    {
      id: 'pe-trailing-bytes',
      attack: 'bytes appended after the certificate table',
      status: 'invalid',
      code: 'DATA_AFTER_CERTIFICATE_TABLE',
      oracle: false,
      make: (o) => appendAfterTable(signed, o, Buffer.from('PAYLOAD!PAYLOAD!')),
    },
    {
      id: 'pe-data-in-record',
      attack: 'data inside the record after the ContentInfo (CVE-2013-3900)',
      status: 'invalid',
      code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE',
      oracle: true,
      make: (o) => growLastRecord(signed, o, Buffer.from('MALICIOUS-CONFIG')),
    },
    {
      id: 'pe-nonzero-padding',
      attack: 'non-zero alignment padding after dwLength',
      status: 'invalid',
      code: 'NONZERO_CERTIFICATE_PADDING',
      make: (o) => {
        shrinkToContentInfo(unaligned, p('shrunk.exe'));
        dirtyAfterContentInfo(p('shrunk.exe'), o);
        return o;
      },
    },
    {
      id: 'pe-nonzero-padding-inside',
      attack: 'non-zero bytes in the padding inside dwLength',
      status: 'invalid',
      code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE',
      make: (o) => {
        dirtyAfterContentInfo(unaligned, o);
        return o;
      },
    },
    {
      id: 'pe-table-misaligned',
      attack: 'the alignment padding cut off the table (size not a multiple of 8)',
      status: 'invalid',
      code: 'CERTIFICATE_TABLE_MISALIGNED',
      oracle: false,
      make: (o) => {
        unpadCertificateTable(unaligned, o);
        return o;
      },
    },
    {
      id: 'pe-table-in-section',
      attack: 'certificate table inside the last section (loaded, unhashed)',
      status: 'invalid',
      code: 'CERTIFICATE_TABLE_OVERLAPS_SECTION',
      oracle: true,
      make: (o) => signWithTableInside('section', exe, o, (i, out) => makeSignedPe(pki, i, out)),
    },
    {
      id: 'pe-table-in-headers',
      attack: 'certificate table inside SizeOfHeaders',
      status: 'invalid',
      code: 'CERTIFICATE_TABLE_OVERLAPS_HEADERS',
      make: (o) => signWithTableInside('headers', exe, o, (i, out) => makeSignedPe(pki, i, out)),
    },
    {
      id: 'pe-dir-size-past-eof',
      attack: 'certificate directory Size grown past the end of the file',
      status: 'error',
      code: ['MALFORMED_PE', 'MALFORMED_AUTHENTICODE'],
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).certificateDirectoryOffset + 4;
          b.writeUInt32LE(b.readUInt32LE(at) + 64, at);
        }),
    },
    {
      id: 'pe-dir-offset-shifted',
      attack: 'certificate directory offset moved 8 bytes into the record',
      status: 'error',
      code: 'MALFORMED_PE',
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).certificateDirectoryOffset;
          b.writeUInt32LE(b.readUInt32LE(at) + 8, at);
          b.writeUInt32LE(b.readUInt32LE(at + 4) - 8, at + 4);
        }),
    },
    {
      id: 'pe-dwlength-short',
      attack: "the record's dwLength cut below its ContentInfo",
      status: 'error',
      code: ['MALFORMED_AUTHENTICODE', 'MALFORMED_CMS', 'MALFORMED_PE'],
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).certificateTable.offset;
          b.writeUInt32LE(b.readUInt32LE(at) - 64, at);
        }),
    },
    {
      id: 'pe-cert-type',
      attack: 'wCertificateType changed from PKCS_SIGNED_DATA to X509 (no signature is read)',
      status: 'error',
      code: 'UNSUPPORTED',
      make: (o) =>
        edit(signed, o, (b) => {
          const at = layoutOf(b).certificateTable.offset + 6;
          b.writeUInt16LE(0x0001, at);
        }),
    },
    {
      id: 'pe-other-ca',
      attack: 'signed by a signer of another CA with the same name',
      status: 'untrusted',
      code: 'CERT_BAD_SIGNATURE',
      oracle: false,
      make: (o) => makeSignedPe(foreign, exe, o),
    },
    {
      id: 'pe-wrong-root',
      attack: 'the right file judged against another CA of the same name',
      status: 'untrusted',
      code: 'CERT_BAD_SIGNATURE',
      roots: 'other',
      make: () => signed,
    },
    {
      id: 'pe-expired',
      attack: 'no timestamp, judged after the signer certificate expired',
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      oracle: false,
      at: later,
      make: () => signed,
    },
    {
      id: 'pe-not-yet-valid',
      attack: '--at before the signer certificate existed',
      status: 'untrusted',
      code: 'CERT_NOT_YET_VALID',
      at: Date.UTC(2001, 0, 1) / 1000,
      make: () => signed,
    },
    {
      id: 'pe-untrusted-tsa',
      attack: "timestamp by another CA's TSA, judged after the signer expired",
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      oracle: false,
      at: later,
      make: (o) =>
        restamp({
          input: signed,
          output: o,
          tsaChainPem: foreign.tsaChainPem,
          tsaKey: foreign.tsaKey,
          unixTime: now + 3600,
        }),
    },
    {
      id: 'pe-stamp-time-edited',
      attack: "one digit of the timestamp's genTime changed",
      status: 'invalid',
      code: 'TIMESTAMP_INVALID',
      at: later,
      make: (o) =>
        flipInRecord(stamped, o, (c) => {
          const t = c.indexOf(Buffer.from(new Date((now + 3600) * 1000).toISOString().slice(0, 4)));
          return t + 3;
        }),
    },
    {
      id: 'pe-stamp-foreign',
      attack: "a timestamp over another signature's value",
      status: 'invalid',
      code: 'TIMESTAMP_INVALID',
      make: async (o) => {
        const other = await makeSignedPe(pki, exe, p('other-stamped.exe'), {
          programName: 'other',
          timestampUnixTime: now + 1800,
        });
        return combineTimestamps([other, signed], o, { base: 1, allowForeign: true });
      },
    },
    {
      id: 'pe-stamp-late-forged-early',
      attack: 'a trusted stamp after expiry plus a forged earlier stamp (another CA)',
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      oracle: false,
      at: later,
      make: async (o) => {
        const longTsa = await issueTsaCertificate(pki.dir, 'long-tsa', 3650);
        const late = await restamp({
          input: signed,
          output: p('late.exe'),
          tsaChainPem: longTsa.chain,
          tsaKey: longTsa.key,
          unixTime: now + 370 * DAY,
        });
        const forged = await restamp({
          input: signed,
          output: p('forged.exe'),
          tsaChainPem: foreign.tsaChainPem,
          tsaKey: foreign.tsaKey,
          unixTime: now + 3600,
        });
        return combineTimestamps([late, forged], o);
      },
    },
    {
      id: 'pe-md5',
      attack: 'signed with MD5 digests',
      status: 'untrusted',
      code: 'WEAK_ALGORITHM',
      oracle: true,
      make: (o) => makeSignedPe(pki, exe, o, { hash: 'md5' }),
    },
    {
      id: 'pe-wrong-eku',
      attack: 'signer certificate with the serverAuth EKU only',
      status: 'untrusted',
      code: 'EKU_NOT_ALLOWED',
      oracle: false,
      make: async (o) => {
        const server = await issueServerAuthCertificate(pki);
        await run('osslsigncode', [
          'sign',
          '-certs',
          server.chain,
          '-key',
          server.key,
          '-h',
          'sha256',
          '-in',
          exe,
          '-out',
          o,
        ]);
        return o;
      },
    },
    {
      id: 'pe-nested-flipped',
      attack: "nested signature's signature value changed (primary intact)",
      status: 'invalid',
      code: ['SIGNATURE_INVALID', 'CMS_SIGNATURE_INVALID'],
      nested: true,
      make: async (o) => {
        const nested = await makeSignedPe(pki, signed, p('nested.exe'), { nest: true, signer: 'ec' });
        // The nested SignedData sits at the end of the primary's unsigned attributes: its signature
        // value is among the last bytes of the ContentInfo (the EC signature's DER integers).
        return flipInRecord(nested, o, (c) => c.length - 12);
      },
    },
    {
      id: 'pe-nested-other-ca',
      attack: "nested signature by another CA's signer",
      status: 'untrusted',
      code: 'CERT_BAD_SIGNATURE',
      nested: true,
      make: async (o) => {
        await makeSignedPe(foreign, signed, o, { nest: true });
        return o;
      },
    },
  ];

  const { cases, add } = caseList('pe');
  const outcomes = new Map<string, Outcome>();
  const paths = new Map<string, string>();
  for (const c of pc) paths.set(c.id, await c.make(p(`${c.id}.exe`)));
  for (const c of pc) {
    add({ id: c.id, attack: c.attack, status: c.status, code: c.code, control: c.control, oracle: c.oracle });
    const path = paths.get(c.id)!;
    const roots = c.roots === 'other' ? [foreign.caPem] : [pki.caPem];
    const at = c.at === undefined ? undefined : new Date(c.at * 1000).toISOString();
    const trust = await config({ roots, tsaRoots: [pki.caPem], at });
    let outcome: Outcome;
    try {
      const results = await evaluateFile(path, 'pe', trust);
      outcome = outcomeOf(
        results.map((r) => ({ location: r.evidence.location, ...r.verdict })),
        c.nested ? (l) => l.includes('nested') : (l) => !l.includes('nested'),
      );
    } catch (err) {
      const e = describeError(err);
      outcome = { status: 'error', code: e.code, message: e.message, all: [] };
    }
    if (c.oracle !== undefined) {
      outcome.oracle = (
        await osslsigncodeVerifyWith(path, { caFile: roots[0]!, tsaCaFile: pki.caPem, time: c.at })
      ).passed;
    }
    outcomes.set(c.id, outcome);
  }
  return { family: 'pe', cases, outcomes };
}
