/**
 * The DER-reader reading of certificates (x509-fields.ts) against pkijs, which it replaced on the hot path
 * and which stays the reference: on every certificate of the fixtures and the corpus the summary (DN
 * strings included) and every field must be what pkijs gives, and on byte-surgery variants of
 * openssl-made certificates every input pkijs refuses must be refused, with pkijs' own message.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { OID, parseSignedData, unsignedAttributeValues } from '../../src/formats/cms.js';
import { elementBytes } from '../../src/formats/der-reader.js';
import { hex, sha1Hex, sha256Hex, toArrayBuffer } from '../../src/formats/der.js';
import { analyzeJar } from '../../src/formats/jar/index.js';
import { parsePeLayout, readCertificateTable } from '../../src/formats/pe/index.js';
import {
  extendedKeyUsages,
  formatName,
  parseCertificate,
  pemCertificates,
  publicKeyAlgorithm,
  subjectAlternativeNames,
  type ParsedCertificate,
} from '../../src/formats/x509.js';
import { readCertificateFields } from '../../src/formats/x509-fields.js';
import { CORPUS_DIR, filesUnder as files } from '../helpers/corpus.js';
import { EC_P256_KEY, selfSignedDer } from '../helpers/openssl-cert.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

/** Every certificate the scanner meets in the fixtures and the corpus: CMS certificate sets and PEM/DER files. */
async function realCertificates(): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const add = (der: Uint8Array): void => void out.set(sha256Hex(der), der);
  const fromCms = (der: Uint8Array): void => {
    const asn1 = asn1js.fromBER(der.slice());
    const sd = new pkijs.SignedData({ schema: new pkijs.ContentInfo({ schema: asn1.result }).content });
    for (const c of sd.certificates ?? []) {
      if (c instanceof pkijs.Certificate) add(new Uint8Array(c.toSchema().toBER()));
    }
    for (const s of parseSignedData(der).signers) {
      for (const oid of [OID.timeStampToken, OID.msRfc3161Timestamp, OID.msNestedSignature]) {
        for (const v of unsignedAttributeValues(s.signerInfo, oid)) fromCms(elementBytes(v));
      }
    }
  };
  for (const path of [
    ...files(join(PROJECT_ROOT, 'fixtures'), /\.(exe|dll|sys)$/),
    ...files(join(CORPUS_DIR, 'authenticode'), /\.(exe|dll|sys)$/),
  ]) {
    const bytes = new Uint8Array(readFileSync(path));
    let records: Array<{ certificateType: number; content: Uint8Array }> = [];
    try {
      records = readCertificateTable(bytes, parsePeLayout(bytes)).records;
    } catch {
      // not a signed PE
    }
    for (const r of records) if (r.certificateType === 2) fromCms(r.content);
  }
  for (const path of [
    ...files(join(PROJECT_ROOT, 'fixtures'), /\.jar$/),
    ...files(join(CORPUS_DIR, 'jar'), /\.jar$/),
  ]) {
    for (const sig of (await analyzeJar(new Uint8Array(readFileSync(path)))).signatures)
      fromCms(sig.blockDer);
  }
  for (const path of files(join(CORPUS_DIR, 'authenticode'), /\.cat$/))
    fromCms(new Uint8Array(readFileSync(path)));
  for (const path of files(CORPUS_DIR, /\.(pem|crt|cer)$/)) {
    const text = readFileSync(path);
    const pems = pemCertificates(text.toString('latin1'));
    for (const der of pems.length ? pems : [new Uint8Array(text)]) add(der);
  }
  return out;
}

/** What parseCertificate gave before it read fields itself: everything from pkijs' objects. */
function expectPkijsAgreement(ours: ParsedCertificate, cert: pkijs.Certificate, der: Uint8Array): void {
  const spkiDer = new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
  const summary: Record<string, unknown> = {
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    serialNumber: hex(cert.serialNumber.valueBlock.valueHexView),
    sha256Fingerprint: sha256Hex(der),
    sha1Fingerprint: sha1Hex(der),
    spkiSha256: sha256Hex(spkiDer),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
    publicKeyAlgorithm: publicKeyAlgorithm(cert.subjectPublicKeyInfo),
  };
  const sans = subjectAlternativeNames(cert);
  if (sans.length) summary['subjectAlternativeNames'] = sans;
  const ekus = extendedKeyUsages(cert);
  if (ekus.length) summary['extendedKeyUsages'] = ekus;
  expect(ours.summary).toStrictEqual(summary);
  expect(hex(ours.issuerDer)).toBe(hex(cert.issuer.valueBeforeDecode));
  expect(hex(ours.subjectDer)).toBe(hex(cert.subject.valueBeforeDecode));
  expect(hex(ours.serialNumber)).toBe(hex(cert.serialNumber.valueBlock.valueHexView));
  expect(hex(ours.tbs)).toBe(hex(cert.tbsView));
  expect(hex(ours.spkiDer)).toBe(hex(spkiDer));
  expect(hex(ours.signatureValue)).toBe(hex(cert.signatureValue.valueBlock.valueHexView));
  expect(ours.signatureAlgorithm).toBe(cert.signatureAlgorithm.algorithmId);
  expect(ours.spkiAlgorithm).toBe(cert.subjectPublicKeyInfo.algorithm.algorithmId);
  expect(ours.version).toBe(cert.version);
  expect(ours.notBefore.getTime()).toBe(cert.notBefore.value.getTime());
  expect(ours.notAfter.getTime()).toBe(cert.notAfter.value.getTime());
  const ski = cert.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as
    asn1js.OctetString | undefined;
  expect(ours.subjectKeyIdentifier ? hex(ours.subjectKeyIdentifier) : undefined).toBe(
    ski instanceof asn1js.OctetString ? hex(ski.valueBlock.valueHexView) : undefined,
  );
  expect(ours.subjectName.isEqual(cert.subject)).toBe(true);
  expect(ours.issuerName.isEqual(cert.issuer)).toBe(true);
  expect(formatName(ours.subjectName)).toBe(summary['subject']);
}

describe('certificate fields read without pkijs agree with pkijs', () => {
  it('on every certificate of the fixtures and the corpus (DN strings byte-identical)', async () => {
    const certs = await realCertificates();
    // Authenticode (Microsoft, VeriSign, DigiCert...), JAR, notation, cosign: 73 on 2026-12-05.
    expect(certs.size).toBeGreaterThan(60);
    let fast = 0;
    const subjects = new Set<string>();
    for (const [digest, der] of certs) {
      const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
      if (readCertificateFields(der).kind === 'fields') fast++;
      const ours = parseCertificate(der);
      expect(ours.summary.sha256Fingerprint, digest).toBe(digest);
      expectPkijsAgreement(ours, cert, der);
      subjects.add(ours.summary.subject);
    }
    // The fast path is the rule, pkijs the exception (non-Go attributes, BMPString names...).
    expect(fast / certs.size).toBeGreaterThan(0.9);
    expect(subjects).toContain(
      'CN=Microsoft Root Certificate Authority 2010,O=Microsoft Corporation,L=Redmond,ST=Washington,C=US',
    );
  });
});

let dir: string;
const made: Record<string, Uint8Array> = {};

/** openssl certificates with the DN shapes that matter: UTF-8, multi-valued RDNs, emailAddress, escapes. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-x509-fields-'));
  const make = async (name: string, keyArgs: string[], subj: string, extensions: string[]): Promise<void> => {
    made[name] = await selfSignedDer(dir, name, subj, { keyArgs, extensions });
  };
  await Promise.all([
    make(
      'rsa',
      ['-newkey', 'rsa:1024'],
      '/C=US/ST=Tëxas/O=Ä\\, Inc+OU=Dev/CN=#test <1>/emailAddress=a@example.com',
      [
        'extendedKeyUsage=codeSigning,timeStamping',
        'subjectAltName=DNS:a.example,email:x@example.com,IP:10.0.0.1',
      ],
    ),
    make('ec', EC_P256_KEY, '/CN= spaced /O=Acme', []),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Outcome {
  bothRefuse: number;
  onlyOursRefuses: number;
  bothAccept: number;
}

/** One input through both readers: a pkijs refusal must be ours too, with pkijs' message. */
function judge(der: Uint8Array, outcome: Outcome, what: string): void {
  let cert: pkijs.Certificate | undefined;
  let pkijsError: Error | undefined;
  try {
    cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (err) {
    pkijsError = err as Error;
  }
  let ours: ParsedCertificate | undefined;
  let ourError: (Error & { code?: string }) | undefined;
  try {
    ours = parseCertificate(der);
  } catch (err) {
    ourError = err as Error & { code?: string };
  }
  if (pkijsError) {
    expect(ourError?.code, what).toBe('MALFORMED_CERTIFICATE');
    expect(ourError?.message, what).toBe(`not a valid X.509 certificate: ${pkijsError.message}`);
    outcome.bothRefuse++;
    return;
  }
  if (ourError) {
    expect(ourError.code, what).toBe('MALFORMED_CERTIFICATE');
    outcome.onlyOursRefuses++;
    return;
  }
  expectPkijsAgreement(ours!, cert!, der);
  outcome.bothAccept++;
}

describe('byte surgery: where the readers could disagree, the refusal wins', () => {
  it('every single-byte change of an RSA and an EC certificate', () => {
    const outcome: Outcome = { bothRefuse: 0, onlyOursRefuses: 0, bothAccept: 0 };
    for (const [name, der] of Object.entries(made)) {
      judge(der, outcome, name);
      for (let i = 0; i < der.length; i++) {
        for (const change of name === 'ec' ? [0x01, 0x80, 0xff] : [0x80]) {
          const copy = der.slice();
          copy[i] = copy[i]! ^ change;
          judge(copy, outcome, `${name}[${i}]^${change.toString(16)}`);
        }
      }
    }
    // Each class must occur, or the comparison proves nothing.
    expect(outcome.bothRefuse).toBeGreaterThan(100);
    expect(outcome.bothAccept).toBeGreaterThan(100);
    expect(outcome.onlyOursRefuses).toBeGreaterThan(0);
  });

  it('an indefinite-length (BER) certificate, which pkijs reads, is refused', () => {
    const der = made['ec']!;
    // 30 82 LL LL ... -> 30 80 ... 00 00: the same contents, BER framing.
    const header = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
    const ber = new Uint8Array([0x30, 0x80, ...der.subarray(header), 0, 0]);
    expect(() => pkijs.Certificate.fromBER(toArrayBuffer(ber))).not.toThrow();
    expect(() => parseCertificate(ber)).toThrow(/not a valid X\.509 certificate: .*indefinite length/);
  });

  it('a certificate with a field after signatureValue, which pkijs ignores, is refused', () => {
    const der = made['ec']!;
    const header = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
    const body = new Uint8Array([...der.subarray(header), 0x05, 0x00]);
    const withExtra = new Uint8Array([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]);
    expect(pkijs.Certificate.fromBER(toArrayBuffer(withExtra)).subject.typesAndValues.length).toBe(2);
    expect(() => parseCertificate(withExtra)).toThrow(/Certificate has 4 fields, expected 3/);
  });

  it('a certificate pkijs refuses keeps pkijs message (a BIT STRING with 9 unused bits)', () => {
    const der = made['ec']!;
    const copy = der.slice();
    // The signatureValue is the last element: a BIT STRING whose short length runs to the end.
    const at = der.findLastIndex((b, i) => b === 0x03 && der[i + 1]! + i + 2 === der.length);
    expect(der[at + 2]).toBe(0);
    copy[at + 2] = 9;
    expect(() => pkijs.Certificate.fromBER(toArrayBuffer(copy))).toThrow();
    expect(() => parseCertificate(copy)).toThrow(/^not a valid X\.509 certificate: /);
  });
});
