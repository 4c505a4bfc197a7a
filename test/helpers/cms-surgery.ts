/**
 * Byte surgery on a real CMS ContentInfo (openssl cms -sign, osslsigncode, a corpus PE): one element of
 * the SignedData changed, every length re-encoded (der-tree.ts), so only the change differs from the
 * tool's bytes. test/formats/cms-structure.test.ts asserts what our reader does with each; the same bytes
 * can be handed to `openssl cms -verify -inform DER` or `openssl asn1parse -inform DER`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parsePeLayout, readCertificateTable } from '../../src/formats/pe/index.js';
import { CORPUS_DIR } from './corpus.js';
import { derRebuilt, type DerNode } from './der-tree.js';
import { PROJECT_ROOT } from './tools.js';

/** The first certificate-table record of a PE: osslsigncode's or a vendor's PKCS #7 SignedData. */
export function peSignedData(path: string): Uint8Array {
  const pe = new Uint8Array(readFileSync(path));
  return readCertificateTable(pe, parsePeLayout(pe)).records[0]!.content;
}

/** osslsigncode, SHA-256, one signer, a Microsoft RFC 3161 timestamp (1.3.6.1.4.1.311.3.3.1). */
export const helloSigned = (): Uint8Array =>
  peSignedData(join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe'));
/** A vendor PE with a PKCS #9 countersignature (1.2.840.113549.1.9.6) in its signer's unsigned attributes. */
export const countersigned = (): Uint8Array =>
  peSignedData(join(CORPUS_DIR, 'authenticode', 'signify', 'SoftwareUpdate.exe'));

export const kids = (n: DerNode): DerNode[] => n.children!;
/** ContentInfo -> [0] -> SignedData. */
export const signedData = (root: DerNode): DerNode => kids(kids(root)[1]!)[0]!;
export const encapContentInfo = (root: DerNode): DerNode => kids(signedData(root))[2]!;
/** The SignerInfos SET: the last field of SignedData. */
export const signerInfos = (root: DerNode): DerNode => kids(signedData(root)).at(-1)!;
export const firstSignerInfo = (root: DerNode): DerNode => kids(signerInfos(root))[0]!;
/** A SignerInfo's fields by kind: the `[0]` signed and `[1]` unsigned attributes, the sid. */
export const fieldWithId = (si: DerNode, id: number): DerNode | undefined =>
  kids(si).find((f) => f.id === id);

export const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const OID_SIGNED_DATA = bytes(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02);
export const OID_DATA = bytes(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01);

/** Each change applied to a SignedData, by name. */
export const SURGERY: Record<string, (root: DerNode) => void> = {
  /** ContentInfo.contentType id-data instead of id-signedData; the [0] content left as it is. */
  contentTypeData: (root) => {
    const oid = kids(root)[0]!;
    if (Buffer.compare(oid.content!, OID_SIGNED_DATA) !== 0) throw new Error('not signedData');
    oid.content = OID_DATA;
  },
  /** ContentInfo content tagged [1] instead of [0]. */
  contentTaggedOne: (root) => {
    kids(root)[1]!.id = 0xa1;
  },
  /** encapContentInfo eContent tagged [1] instead of [0]. */
  eContentTaggedOne: (root) => {
    kids(encapContentInfo(root))[1]!.id = 0xa1;
  },
  /** An empty `crls [1]` put before signerInfos: legal, and unsigned (no signature covers it). */
  emptyCrls: (root) => {
    const fields = kids(signedData(root));
    fields.splice(fields.length - 1, 0, { id: 0xa1, children: [] });
  },
  /** A NULL after the last field of the first SignerInfo. */
  signerInfoTrailingNull: (root) => {
    kids(firstSignerInfo(root)).push({ id: 0x05, content: bytes() });
  },
  /** The last AttributeTypeAndValue of the sid issuer Name without its value. */
  sidIssuerAtvWithoutValue: (root) => {
    const issuer = kids(kids(firstSignerInfo(root))[1]!)[0]!;
    const atv = kids(kids(issuer).at(-1)!)[0]!;
    kids(atv).splice(1);
  },
  /** A third field (NULL) in the last AttributeTypeAndValue of the sid issuer Name. */
  sidIssuerAtvExtraField: (root) => {
    kids(sidIssuerLastValue(root).parent).push({ id: 0x05, content: bytes() });
  },
  /** The sid issuer's last value upper-cased: other bytes, the same name under RFC 5280 comparison. */
  sidIssuerUpperCase: (root) => {
    const { value } = sidIssuerLastValue(root);
    value.content = new Uint8Array(
      Buffer.from(Buffer.from(value.content!).toString('latin1').toUpperCase(), 'latin1'),
    );
  },
  /** The sid issuer's last value (a UTF8String from openssl) as a PrintableString of the same text. */
  sidIssuerPrintableString: (root) => {
    const { value } = sidIssuerLastValue(root);
    if (value.id !== 0x0c) throw new Error('not a UTF8String');
    value.id = 0x13;
  },
  /** The sid serial number's last octet changed: names a certificate the SignedData does not carry. */
  sidSerialChanged: (root) => {
    const serial = kids(kids(firstSignerInfo(root))[1]!)[1]!;
    const c = serial.content!.slice();
    c[c.length - 1]! ^= 0x01;
    serial.content = c;
  },
  /** The sid issuer's last RDN value with its last character changed: same serial, another issuer. */
  sidIssuerChanged: (root) => {
    const issuer = kids(kids(firstSignerInfo(root))[1]!)[0]!;
    const value = kids(kids(kids(issuer).at(-1)!)[0]!)[1]!;
    const c = value.content!.slice();
    c[c.length - 1]! ^= 0x01;
    value.content = c;
  },
  /** The signingTime signed attribute's UTCTime as the GeneralizedTime of the same instant. */
  signingTimeGeneralized: (root) => {
    const time = signingTimeValue(root);
    if (time.id !== 0x17) throw new Error('signingTime is not a UTCTime');
    const text = Buffer.from(time.content!).toString('latin1');
    time.id = 0x18;
    time.content = new Uint8Array(
      Buffer.from(`${Number(text.slice(0, 2)) >= 50 ? '19' : '20'}${text}`, 'latin1'),
    );
  },
  /** The signingTime signed attribute's value an OCTET STRING (a type no reader takes as a time). */
  signingTimeOctetString: (root) => {
    signingTimeValue(root).id = 0x04;
  },
};

function sidIssuerLastValue(root: DerNode): { parent: DerNode; value: DerNode } {
  const issuer = kids(kids(firstSignerInfo(root))[1]!)[0]!;
  const atv = kids(kids(issuer).at(-1)!)[0]!;
  return { parent: atv, value: kids(atv)[1]! };
}

const OID_SIGNING_TIME = '2a864886f70d010905';

export function signingTimeValue(root: DerNode): DerNode {
  const signed = fieldWithId(firstSignerInfo(root), 0xa0)!;
  const attr = kids(signed).find(
    (a) => Buffer.from(kids(a)[0]!.content!).toString('hex') === OID_SIGNING_TIME,
  );
  if (!attr) throw new Error('no signingTime attribute');
  return kids(kids(attr)[1]!)[0]!;
}

/** `der` with one named change. */
export function cmsWith(
  der: Uint8Array,
  change: keyof typeof SURGERY | ((root: DerNode) => void),
): Uint8Array {
  return derRebuilt(der, typeof change === 'string' ? SURGERY[change]! : change);
}
