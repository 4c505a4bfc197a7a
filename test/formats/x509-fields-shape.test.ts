/**
 * readCertificateFields' shape rules (x509-fields.ts `certificateShape`, `children`, `algorithm`, `name`,
 * `time`, `bitString`, `pkijsSmallInteger`, `canonicalTime`), one rule at a time, each answer asserted
 * exactly: the fields read, the refusal message, or the reason an encoding is left to pkijs. A refusal
 * here is the verdict's message (x509.ts prefixes it), and "left to pkijs" is what keeps an encoding asn1js
 * reads differently off the fast path. Inputs: openssl certificates, rebuilt with one element changed
 * (mutation survivors of src/formats/x509-fields.ts:263-417, reports/mutation-log.md, h8/mut8).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import { hex, toArrayBuffer } from '../../src/formats/der.js';
import { readCertificateFields, type CertificateReading } from '../../src/formats/x509-fields.js';
import { derRebuilt, latin1, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { selfSignedDer } from '../helpers/openssl-cert.js';

const certs: Record<string, Uint8Array> = {};

beforeAll(async () => {
  const dir = await cachedFixtureDir('x509-fields-shape-2', async (out) => {
    // P-256 with a critical basicConstraints (a BOOLEAN in the extension) and a non-critical keyUsage.
    await selfSignedDer(out, 'ec', '/O=Shape/CN=ec', {
      extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=digitalSignature'],
    });
    // RSA: NULL key parameters. -days 20000 puts notAfter after 2049, written as a GeneralizedTime.
    await selfSignedDer(out, 'rsa', '/CN=rsa', { keyArgs: ['-newkey', 'rsa:1024'], days: 20000 });
    // RSA-PSS restricted to SHA-256: the key algorithm carries RSASSA-PSS-params (a SEQUENCE).
    await selfSignedDer(out, 'pss', '/CN=pss', {
      keyArgs: [
        '-newkey',
        'rsa-pss',
        '-pkeyopt',
        'rsa_keygen_bits:1024',
        '-pkeyopt',
        'rsa_pss_keygen_md:sha256',
      ],
    });
    // RSA-PSS without restrictions: no key parameters at all.
    await selfSignedDer(out, 'pss-bare', '/CN=pss-bare', {
      keyArgs: ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:1024'],
    });
  });
  for (const name of ['ec', 'rsa', 'pss', 'pss-bare']) {
    certs[name] = new Uint8Array(readFileSync(join(dir, `${name}.der`)));
  }
});

const reading = (der: Uint8Array): CertificateReading => readCertificateFields(der);
const refused = (message: string) => ({ kind: 'refused', message });
const unmodelled = (reason: string) => ({ kind: 'unmodelled', reason });
const TIME_FORM = unmodelled('time not in its DER form');

/** The fields, failing the test when the certificate is not read here. */
function fields(der: Uint8Array) {
  const r = reading(der);
  if (r.kind !== 'fields') throw new Error(`expected fields, got ${JSON.stringify(r)}`);
  return r.fields;
}

const tbs = (root: DerNode): DerNode[] => root.children![0]!.children!;
/** v3 tbsCertificate: [0] version, serial, signature, issuer, validity, subject, spki, [3] extensions. */
const VERSION = 0;
const SIGNATURE = 2;
const ISSUER = 3;
const VALIDITY = 4;
const SUBJECT = 5;
const SPKI = 6;
const EXTENSIONS = 7;
const prim = (id: number | number[], ...content: number[]): DerNode => ({
  id,
  content: new Uint8Array(content),
});
const cons = (id: number, ...children: DerNode[]): DerNode => ({ id, children });
/** The ec certificate with `change` applied. */
const ec = (change: (root: DerNode) => void) => derRebuilt(certs['ec']!, change);
/** The subject's last attribute value (CN). */
const cnValue = (root: DerNode): DerNode => tbs(root)[SUBJECT]!.children!.at(-1)!.children![0]!.children![1]!;
/** The ec certificate with notBefore's tag and text replaced. */
const notBefore = (id: number, text: string) =>
  ec((root) => Object.assign(tbs(root)[VALIDITY]!.children![0]!, { id, content: latin1(text) }));

/** The ec certificate with the subject CN's value replaced by a time (a Name value may be any type). */
const cnTime = (id: number, text: string) =>
  ec((root) => Object.assign(cnValue(root), { id, content: latin1(text) }));
/** A validity time refused for its form (openssl verify: "format error in certificate's notBefore field"). */
const notRfc5280 = (text: string) =>
  refused(`notBefore: not in the form RFC 5280 requires: ${JSON.stringify(text)}`);

describe('canonicalTime: the two DER time forms are read here, every other spelling is left to pkijs', () => {
  it('UTCTime: YYMMDDHHMMSSZ and nothing else', () => {
    expect(fields(notBefore(0x17, '261205101112Z')).notBefore.toISOString()).toBe('2026-12-05T10:11:12.000Z');
    expect(fields(notBefore(0x17, '500101000000Z')).notBefore.toISOString()).toBe('1950-01-01T00:00:00.000Z');
    // Without seconds (BER), with a fraction, with an offset, a letter among the digits, one digit short;
    // Z in its place with a character after it; thirteen characters, the last not Z; fourteen ending in Z.
    // Outside the validity (here a CN value) such a time is left to pkijs; as notBefore it is refused.
    for (const text of [
      '2612051011Z',
      '261205101112.5Z',
      '261205101112+0100',
      '2612051011a2Z',
      '26120510111Z',
      '261205101112Z0',
      '2612051011120',
      '2612051011120Z',
    ]) {
      expect(reading(cnTime(0x17, text)), text).toEqual(TIME_FORM);
      expect(reading(notBefore(0x17, text)), text).toEqual(notRfc5280(text));
    }
  });

  it('GeneralizedTime: YYYYMMDDHHMMSSZ, with or without a fraction of digits (a fraction only outside the validity)', () => {
    const at = (text: string) => fields(notBefore(0x18, text)).notBefore.toISOString();
    expect(at('20261205101112Z')).toBe('2026-12-05T10:11:12.000Z');
    // A fraction is DER, and read outside the validity; RFC 5280 and openssl refuse it in a validity.
    expect(reading(cnTime(0x18, '20261205101112.5Z')).kind).toBe('fields');
    expect(reading(cnTime(0x18, '20261205101112.123Z')).kind).toBe('fields');
    expect(reading(notBefore(0x18, '20261205101112.5Z'))).toEqual(notRfc5280('20261205101112.5Z'));
    for (const text of [
      '20261205101112', // no Z
      '2026120510111Z', // a digit short
      '202612051011Z', // without seconds
      '2026120510111aZ', // a letter in the seconds
      '20261205101112.Z', // a point without digits
      '20261205101112,5Z', // a comma
      '20261205101112.5aZ', // a letter in the fraction
      '20261205101112+0100', // an offset
      '20261205101112.5', // a fraction without Z
      '202612051011125', // fifteen digits, no Z
      '20261205101112x.5Z', // something before the point
    ]) {
      expect(reading(cnTime(0x18, text)), text).toEqual(TIME_FORM);
      expect(reading(notBefore(0x18, text)), text).toEqual(notRfc5280(text));
    }
  });

  it('a validity time in its form but out of range is refused (openssl: format error), notAfter as notBefore', () => {
    expect(reading(notBefore(0x17, '261305101112Z'))).toEqual(
      refused('notBefore: time out of range "261305101112Z"'),
    );
    const notAfter = ec((root) =>
      Object.assign(tbs(root)[VALIDITY]!.children![1]!, { id: 0x18, content: latin1('20500229000000Z') }),
    );
    expect(reading(notAfter)).toEqual(refused('notAfter: time out of range "20500229000000Z"'));
    const textAfter = ec((root) =>
      Object.assign(tbs(root)[VALIDITY]!.children![1]!, { id: 0x17, content: latin1('491231235959X') }),
    );
    expect(reading(textAfter)).toEqual(
      refused('notAfter: not in the form RFC 5280 requires: "491231235959X"'),
    );
  });

  it('a malformed validity is refused even where the rest of the certificate is left to pkijs', () => {
    // An extension value asn1js reads its own way (an indefinite-length SEQUENCE) sends the certificate to
    // pkijs, which read the malformed notBefore as 1899-11-30.
    const indefiniteExtension = (root: DerNode) =>
      tbs(root)[EXTENSIONS]!.children![0]!.children!.push(
        cons(
          0x30,
          prim(0x06, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xb2, 0x03, 0x09),
          prim(0x04, 0x30, 0x80, 0, 0),
        ),
      );
    expect(reading(ec(indefiniteExtension))).toEqual(unmodelled('indefinite length in embedded contents'));
    const der = ec((root) => {
      Object.assign(tbs(root)[VALIDITY]!.children![0]!, { id: 0x17, content: latin1('261205101112X') });
      indefiniteExtension(root);
    });
    const pkijsTime = pkijs.Certificate.fromBER(toArrayBuffer(der)).notBefore.value.toISOString();
    expect(pkijsTime).toBe('1899-11-30T00:00:00.000Z');
    expect(reading(der)).toEqual(notRfc5280('261205101112X'));
    // Over 1 MiB (left to pkijs whole): the validity is checked all the same.
    const big = new Uint8Array((1 << 20) + 1);
    big.set(notBefore(0x17, '261305101112Z'));
    expect(reading(big)).toEqual(refused('notBefore: time out of range "261305101112Z"'));
  });

  it("openssl's GeneralizedTime after 2049 is read here, and agrees with pkijs", () => {
    const der = certs['rsa']!;
    const f = fields(der);
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
    expect(f.notAfter.getUTCFullYear()).toBeGreaterThan(2049);
    expect(f.notAfter.getTime()).toBe(cert.notAfter.value.getTime());
    expect(f.notBefore.getTime()).toBe(cert.notBefore.value.getTime());
  });

  it('a validity time of another type is refused by name', () => {
    expect(reading(ec((root) => void (tbs(root)[VALIDITY]!.children![0] = prim(0x02, 1))))).toEqual(
      refused('notBefore: expected a time'),
    );
    expect(reading(ec((root) => void (tbs(root)[VALIDITY]!.children![1] = prim(0x04, 1))))).toEqual(
      refused('notAfter: expected a time'),
    );
  });
});

describe('certificateShape: the fields an openssl certificate gives, exactly', () => {
  it('EC: version, serial, names, key, curve, signature, extensions in order', () => {
    const der = certs['ec']!;
    const f = fields(der);
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
    expect(f.version).toBe(2);
    expect(hex(f.serialNumber)).toBe(hex(cert.serialNumber.valueBlock.valueHexView));
    expect(hex(f.tbs)).toBe(hex(cert.tbsView));
    expect(hex(f.spki)).toBe(hex(new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER())));
    expect(f.spkiAlgorithm).toBe('1.2.840.10045.2.1');
    expect(f.spkiParameterOid).toBe('1.2.840.10045.3.1.7');
    expect(hex(f.subjectPublicKey)).toBe(
      hex(cert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView),
    );
    expect(f.subjectPublicKey.length).toBe(65);
    expect(f.signatureAlgorithm).toBe('1.2.840.10045.4.3.2');
    expect(hex(f.signatureValue)).toBe(hex(cert.signatureValue.valueBlock.valueHexView));
    expect(f.extensions.map((e) => e.oid)).toEqual(cert.extensions!.map((e) => e.extnID));
    expect(f.extensions.map((e) => e.oid)).toContain('2.5.29.19');
    expect(f.extensions.map((e) => e.oid)).toContain('2.5.29.15');
    expect(hex(f.issuer.bytes.subarray(f.issuer.start, f.issuer.end))).toBe(
      hex(cert.issuer.valueBeforeDecode),
    );
    expect(hex(f.subject.bytes.subarray(f.subject.start, f.subject.end))).toBe(
      hex(cert.subject.valueBeforeDecode),
    );
  });

  it('RSA: NULL key parameters give no parameter OID', () => {
    const f = fields(certs['rsa']!);
    expect(f.spkiAlgorithm).toBe('1.2.840.113549.1.1.1');
    expect(f.spkiParameterOid).toBeUndefined();
    expect(f.signatureAlgorithm).toBe('1.2.840.113549.1.1.11');
  });

  it('RSA-PSS: parameters (a SEQUENCE) are left to pkijs; none at all is read here', () => {
    expect(reading(certs['pss']!)).toEqual(unmodelled('key algorithm parameters other than NULL or an OID'));
    const bare = fields(certs['pss-bare']!);
    expect(bare.spkiAlgorithm).toBe('1.2.840.113549.1.1.10');
    expect(bare.spkiParameterOid).toBeUndefined();
  });

  it('the version is what asn1js makes of the INTEGER: signed, 0 from four octets on', () => {
    const withVersion = (...content: number[]) =>
      ec((root) => void (tbs(root)[VERSION]!.children = [prim(0x02, ...content)]));
    const version = (...content: number[]) => {
      const der = withVersion(...content);
      const ours = fields(der).version;
      // pkijs is the reference for the number.
      expect(ours, content.join(' ')).toBe(pkijs.Certificate.fromBER(toArrayBuffer(der)).version);
      return ours;
    };
    expect(version(2)).toBe(2);
    expect(version(0)).toBe(0);
    expect(version(0x01, 0x02)).toBe(258);
    expect(version(0x01, 0x00, 0x02)).toBe(65538);
    expect(version(0xff)).toBe(-1);
    expect(version(0x80)).toBe(-128);
    expect(version(0xff, 0x00)).toBe(-256);
    expect(version(0x00, 0x00, 0x00, 0x02)).toBe(0);
    expect(version(0x01, 0x00, 0x00, 0x00, 0x02)).toBe(0);
    // No [0]: version 0 (v1), and the remaining fields still line up.
    const v1 = fields(ec((root) => void tbs(root).splice(VERSION, 1)));
    expect(v1.version).toBe(0);
    expect(v1.spkiParameterOid).toBe('1.2.840.10045.3.1.7');
  });

  it('version [0] must hold exactly one INTEGER', () => {
    expect(
      reading(ec((root) => void (tbs(root)[VERSION]!.children = [prim(0x02, 2), prim(0x02, 2)]))),
    ).toEqual(refused('version [0] must hold one INTEGER'));
    expect(reading(ec((root) => void (tbs(root)[VERSION]!.children = [])))).toEqual(
      refused('version [0] must hold one INTEGER'),
    );
    expect(reading(ec((root) => void (tbs(root)[VERSION]!.children = [prim(0x04, 2)])))).toEqual(
      refused('version: expected an INTEGER'),
    );
    // A primitive [0] is no version wrapper.
    expect(reading(ec((root) => void (tbs(root)[VERSION] = prim(0x80, 2))))).toEqual(
      refused('version: expected a constructed element'),
    );
  });

  it('Certificate: three fields, the outer ones of the right type', () => {
    expect(reading(ec((root) => void root.children!.pop()))).toEqual(
      refused('Certificate has 2 fields, expected 3'),
    );
    expect(reading(ec((root) => void (root.children![0] = prim(0x04, 1))))).toEqual(
      refused('tbsCertificate: expected a constructed element'),
    );
    // A SET where the SEQUENCE belongs (constructed, wrong tag).
    expect(reading(ec((root) => void (root.children![0]!.id = 0x31)))).toEqual(
      refused('tbsCertificate: expected a SEQUENCE'),
    );
    expect(reading(ec((root) => void (root.id = 0x31)))).toEqual(refused('Certificate: expected a SEQUENCE'));
    expect(reading(ec((root) => void (root.children![2] = prim(0x04, 0, 1))))).toEqual(
      refused('signatureValue: expected a BIT STRING'),
    );
  });

  it('tbsCertificate: a missing field is refused by the name of the one that is not there', () => {
    // Cut after subject: no subjectPublicKeyInfo.
    expect(reading(ec((root) => void tbs(root).splice(SPKI)))).toEqual(
      refused('subjectPublicKeyInfo: expected a constructed element'),
    );
    // Cut after validity: no subject.
    expect(reading(ec((root) => void tbs(root).splice(SUBJECT)))).toEqual(
      refused('subject: expected a constructed element'),
    );
    expect(reading(ec((root) => void tbs(root).splice(VALIDITY)))).toEqual(
      refused('validity: expected a constructed element'),
    );
    expect(reading(ec((root) => void tbs(root).splice(ISSUER)))).toEqual(
      refused('issuer: expected a constructed element'),
    );
    expect(reading(ec((root) => void (tbs(root)[1] = prim(0x04, 1))))).toEqual(
      refused('serialNumber: expected an INTEGER'),
    );
    // A primitive [3] is no extensions wrapper.
    expect(reading(ec((root) => void (tbs(root)[EXTENSIONS] = prim(0x83, 0))))).toEqual(
      refused('extensions: expected a constructed element'),
    );
    // A field after the extensions.
    expect(reading(ec((root) => void tbs(root).push(prim(0x05))))).toEqual(
      refused('tbsCertificate has unexpected fields'),
    );
    // Without extensions the certificate is still read (v3 without [3] is allowed by the schema).
    expect(fields(ec((root) => void tbs(root).splice(EXTENSIONS))).extensions).toEqual([]);
  });

  it('validity holds two times, the key info an algorithm and a key', () => {
    expect(reading(ec((root) => void tbs(root)[VALIDITY]!.children!.pop()))).toEqual(
      refused('validity must hold notBefore and notAfter'),
    );
    expect(reading(ec((root) => void tbs(root)[VALIDITY]!.children!.push(prim(0x05))))).toEqual(
      refused('validity must hold notBefore and notAfter'),
    );
    expect(reading(ec((root) => void tbs(root)[SPKI]!.children!.pop()))).toEqual(
      refused('subjectPublicKeyInfo must hold an algorithm and a key'),
    );
    expect(reading(ec((root) => void tbs(root)[SPKI]!.children!.push(prim(0x05))))).toEqual(
      refused('subjectPublicKeyInfo must hold an algorithm and a key'),
    );
    expect(reading(ec((root) => void (tbs(root)[SPKI]!.children![1] = prim(0x04, 0, 1))))).toEqual(
      refused('subjectPublicKey: expected a BIT STRING'),
    );
  });

  it('an AlgorithmIdentifier holds an OID and at most one parameter', () => {
    expect(reading(ec((root) => void (tbs(root)[SIGNATURE]!.children = [])))).toEqual(
      refused('signature: expected an OID and optional parameters'),
    );
    expect(reading(ec((root) => void tbs(root)[SIGNATURE]!.children!.push(prim(0x05), prim(0x05))))).toEqual(
      refused('signature: expected an OID and optional parameters'),
    );
    // One parameter of any type is the schema's; the signature algorithm's NULL is read (given in both
    // places: signatureAlgorithm must repeat the signature field, x509-encoding.test.ts).
    expect(
      fields(
        ec((root) => {
          tbs(root)[SIGNATURE]!.children!.push(prim(0x05));
          root.children![1]!.children!.push(prim(0x05));
        }),
      ).signatureAlgorithm,
    ).toBe('1.2.840.10045.4.3.2');
    expect(reading(ec((root) => void (root.children![1]!.children = [prim(0x05)])))).toEqual(
      refused('signatureAlgorithm: expected an OBJECT IDENTIFIER'),
    );
    expect(
      reading(ec((root) => void tbs(root)[SPKI]!.children![0]!.children!.push(prim(0x05), prim(0x05)))),
    ).toEqual(refused('subjectPublicKeyInfo algorithm: expected an OID and optional parameters'));
  });

  it('key parameters: NULL and an OID are read here, anything else is left to pkijs', () => {
    const withParameter = (p: DerNode) =>
      ec((root) => void (tbs(root)[SPKI]!.children![0]!.children![1] = p));
    expect(fields(withParameter(prim(0x05))).spkiParameterOid).toBeUndefined();
    expect(fields(withParameter(prim(0x06, 0x2b, 0x81, 0x04, 0x00, 0x22))).spkiParameterOid).toBe(
      '1.3.132.0.34',
    );
    expect(reading(withParameter(prim(0x04, 1)))).toEqual(
      unmodelled('key algorithm parameters other than NULL or an OID'),
    );
    expect(reading(withParameter(cons(0x30)))).toEqual(
      unmodelled('key algorithm parameters other than NULL or an OID'),
    );
  });

  it('issuerUniqueID and subjectUniqueID are primitive; each is read in its place', () => {
    const uid = (at: number, ...ids: DerNode[]) => ec((root) => void tbs(root).splice(at, 0, ...ids));
    const both = fields(uid(SPKI + 1, prim(0x81, 0, 0xab), prim(0x82, 0, 0xcd)));
    expect(both.extensions.map((e) => e.oid)).toContain('2.5.29.19');
    expect(fields(uid(SPKI + 1, prim(0x82, 0, 0xcd))).extensions.length).toBe(4);
    expect(reading(uid(SPKI + 1, cons(0xa1, prim(0x03, 0))))).toEqual(
      refused('issuerUniqueID: expected a primitive element'),
    );
    expect(reading(uid(SPKI + 1, cons(0xa2, prim(0x03, 0))))).toEqual(
      refused('subjectUniqueID: expected a primitive element'),
    );
    // subjectUniqueID before issuerUniqueID: the [1] is then a field out of place.
    expect(reading(uid(SPKI + 1, prim(0x82, 0, 0xcd), prim(0x81, 0, 0xab)))).toEqual(
      refused('tbsCertificate has unexpected fields'),
    );
  });
});

describe('extensions: [3] holds one SEQUENCE of (OID, optional BOOLEAN, OCTET STRING)', () => {
  const extensionList = (root: DerNode): DerNode[] => tbs(root)[EXTENSIONS]!.children![0]!.children!;
  /** basicConstraints, the critical one: OID, BOOLEAN, OCTET STRING. */
  const critical = (root: DerNode): DerNode => extensionList(root).find((e) => e.children!.length === 3)!;
  const plain = (root: DerNode): DerNode => extensionList(root).find((e) => e.children!.length === 2)!;

  it('the four extensions openssl wrote, one critical, are all read in order', () => {
    const list = fields(certs['ec']!).extensions;
    // subjectKeyIdentifier, authorityKeyIdentifier, basicConstraints (critical), keyUsage.
    expect(list.map((e) => e.oid)).toEqual(['2.5.29.14', '2.5.29.35', '2.5.29.19', '2.5.29.15']);
    const bc = list[2]!.element;
    expect(hex(bc.bytes.subarray(bc.start, bc.end))).toBe('300f0603551d130101ff040530030101ff');
  });

  it('[3] with two SEQUENCEs, or none', () => {
    expect(reading(ec((root) => void tbs(root)[EXTENSIONS]!.children!.push(cons(0x30))))).toEqual(
      refused('extensions [3] must hold one SEQUENCE'),
    );
    expect(reading(ec((root) => void (tbs(root)[EXTENSIONS]!.children = [])))).toEqual(
      refused('extensions [3] must hold one SEQUENCE'),
    );
    expect(reading(ec((root) => void (tbs(root)[EXTENSIONS]!.children![0]!.id = 0x31)))).toEqual(
      refused('extensions: expected a SEQUENCE'),
    );
    expect(reading(ec((root) => void (extensionList(root)[0] = prim(0x04, 1))))).toEqual(
      refused('extension: expected a constructed element'),
    );
  });

  it('a BOOLEAN, then the value; no third field without it, no fourth with it', () => {
    // critical without its BOOLEAN: (OID, OCTET STRING) is read.
    expect(fields(ec((root) => void critical(root).children!.splice(1, 1))).extensions.length).toBe(4);
    // A field after the value.
    expect(reading(ec((root) => void critical(root).children!.push(prim(0x05))))).toEqual(
      refused('extension has unexpected fields'),
    );
    expect(reading(ec((root) => void plain(root).children!.push(prim(0x04, 1))))).toEqual(
      refused('extension has unexpected fields'),
    );
    // The BOOLEAN and no value: a third field was due.
    expect(reading(ec((root) => void critical(root).children!.pop()))).toEqual(
      refused('extension has unexpected fields'),
    );
    // The value is not an OCTET STRING (with and without the BOOLEAN).
    expect(reading(ec((root) => void (critical(root).children![2] = prim(0x05))))).toEqual(
      refused('extnValue: expected an OCTET STRING'),
    );
    expect(reading(ec((root) => void (plain(root).children![1] = prim(0x05))))).toEqual(
      refused('extnValue: expected an OCTET STRING'),
    );
    // Only an OID.
    expect(reading(ec((root) => void plain(root).children!.pop()))).toEqual(
      refused('extension has unexpected fields'),
    );
    expect(reading(ec((root) => void (plain(root).children![0] = prim(0x05))))).toEqual(
      refused('extnID: expected an OBJECT IDENTIFIER'),
    );
  });
});

describe('name: a SEQUENCE of non-empty SETs of (OID, value)', () => {
  it('an empty RDN is left to pkijs; an attribute without its value or with a third part is refused', () => {
    expect(reading(ec((root) => void tbs(root)[SUBJECT]!.children!.push(cons(0x31))))).toEqual(
      unmodelled('empty relative distinguished name'),
    );
    const atv = (root: DerNode) => tbs(root)[ISSUER]!.children![0]!.children![0]!;
    expect(reading(ec((root) => void atv(root).children!.pop()))).toEqual(
      refused('issuer: attribute must hold a type and a value'),
    );
    expect(reading(ec((root) => void atv(root).children!.push(prim(0x05))))).toEqual(
      refused('issuer: attribute must hold a type and a value'),
    );
    expect(reading(ec((root) => void (atv(root).children![0] = prim(0x05))))).toEqual(
      refused('issuer: expected an OBJECT IDENTIFIER'),
    );
    expect(reading(ec((root) => void (tbs(root)[SUBJECT]!.children![0]!.id = 0x30)))).toEqual(
      refused('subject: expected a SET'),
    );
    expect(reading(ec((root) => void (tbs(root)[SUBJECT]!.id = 0x31)))).toEqual(
      refused('subject: expected a SEQUENCE'),
    );
    expect(reading(ec((root) => void (tbs(root)[SUBJECT]!.children![0] = prim(0x11))))).toEqual(
      unmodelled('primitive SEQUENCE/SET'),
    );
    // An empty Name (no RDN at all) is one.
    expect(fields(ec((root) => void (tbs(root)[SUBJECT]!.children = [])))).toBeDefined();
  });

  it('an attribute value with a tag number of 31 or more (long-form tag) is left to pkijs', () => {
    // Context-specific primitive [31] and [200]: 9f 1f, 9f 81 48. The DER reader takes them; only the
    // header-length rule keeps them from the fast path (asn1js may read the identifier its own way).
    for (const id of [
      [0x9f, 0x1f],
      [0x9f, 0x81, 0x48],
      [0x5f, 0x1f],
    ]) {
      const der = ec((root) => Object.assign(cnValue(root), { id, content: latin1('x') }));
      expect(reading(der), hex(new Uint8Array(id))).toEqual(unmodelled('a tag number of 31 or more'));
    }
    // The same value under a short-form tag ([30]) is read.
    expect(
      fields(ec((root) => Object.assign(cnValue(root), { id: 0x9e, content: latin1('x') }))).version,
    ).toBe(2);
  });
});

describe('isMinimalOid: an attribute type asn1js re-encodes to the same bytes is read here', () => {
  const OID_FORM = unmodelled('OBJECT IDENTIFIER not in its minimal form');
  /** The ec certificate with the subject's first attribute type (O, 2.5.4.10) given these contents. */
  const withType = (...content: number[]) =>
    ec(
      (root) =>
        void (tbs(root)[SUBJECT]!.children![0]!.children![0]!.children![0]!.content = new Uint8Array(
          content,
        )),
    );
  const subjectType = (der: Uint8Array): string => {
    const f = fields(der);
    // Name ::= SEQUENCE OF SET OF SEQUENCE { type, value }: the first type's contents.
    const cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
    expect(hex(f.subject.bytes.subarray(f.subject.start, f.subject.end))).toBe(
      hex(cert.subject.valueBeforeDecode),
    );
    return cert.subject.typesAndValues[0]!.type;
  };

  it('a 0x80 octet inside a sub-identifier is minimal; only a leading one is not', () => {
    // 1.3.6.1.4.1.16384: 16384 is 81 80 00.
    expect(subjectType(withType(0x2b, 0x06, 0x01, 0x04, 0x01, 0x81, 0x80, 0x00))).toBe('1.3.6.1.4.1.16384');
    expect(reading(withType(0x2b, 0x06, 0x01, 0x04, 0x01, 0x80, 0x81, 0x00))).toEqual(OID_FORM);
  });

  it('a sub-identifier of seven octets is read here, one of eight is left to pkijs', () => {
    // 2^42 + 1 in seven octets: 81 80 80 80 80 80 01.
    expect(subjectType(withType(0x2b, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01))).toBe('1.3.4398046511105');
    expect(reading(withType(0x2b, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01))).toEqual(OID_FORM);
    // Seven octets, then a second sub-identifier: the count starts again.
    expect(
      subjectType(
        withType(0x2b, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
      ),
    ).toBe('1.3.4398046511105.4398046511105');
  });

  it('an empty OID, and one whose last octet says more follows, are left to pkijs', () => {
    expect(reading(withType())).toEqual(OID_FORM);
    expect(reading(withType(0x55, 0x04, 0x8a))).toEqual(OID_FORM);
  });

  it('the octet after the OID is not part of it (a value whose tag has the high bit set)', () => {
    // The CN value as a context-specific [0]: its identifier 0x80 directly follows the type's contents.
    const der = ec((root) => Object.assign(cnValue(root), { id: 0x80, content: latin1('x') }));
    expect(fields(der).subject.end).toBeGreaterThan(0);
  });
});

describe('the fields read match their place in the bytes', () => {
  it('subjectPublicKey and signatureValue are the BIT STRING contents after the unused-bits octet', () => {
    const der = ec((root) => {
      tbs(root)[SPKI]!.children![1] = prim(0x03, 0, 0x11, 0x22, 0x33);
      root.children![2] = prim(0x03, 0, 0x44, 0x55);
    });
    const f = fields(der);
    expect(hex(f.subjectPublicKey)).toBe('112233');
    expect(hex(f.signatureValue)).toBe('4455');
  });

  it('the serial number is the INTEGER contents as stored, the tbs and spki the stored bytes', () => {
    const der = ec((root) => void (tbs(root)[1]!.content = new Uint8Array([0x00, 0x80, 0x01])));
    const f = fields(der);
    expect(hex(f.serialNumber)).toBe('008001');
    // Certificate header (30 81 LL or 30 82 LL LL), then tbsCertificate.
    const start = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2;
    expect(hex(f.tbs)).toBe(hex(der.subarray(start, start + f.tbs.length)));
    expect(hex(f.spki).endsWith(hex(f.subjectPublicKey))).toBe(true);
  });
});
