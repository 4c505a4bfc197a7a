import {
  childrenOf,
  contentBytes,
  elementBytes,
  equalBytes,
  integerBytes,
  isContext,
  isUniversal,
  readElement,
  readOid,
  readTime,
  TAG,
  type DerElement,
  type DerReadOptions,
} from './der-reader.js';
import { SigscanError } from '../errors.js';

/**
 * The fields of an X.509 certificate that every scan needs (names, serial, validity, key, signature),
 * read with the DER reader instead of a full pkijs `Certificate` (asn1js builds an object per element
 * and matches the whole schema generically: most of the CPU of an Authenticode scan, spent mainly on
 * certificates that are never on the signer's path).
 *
 * One reading: the pkijs parse stays the reference for what a certificate is. This reader answers
 * `fields` only for inputs pkijs is known to accept; `refused` when the structure is not an X.509
 * certificate as RFC 5280 lays it out (the caller refuses it, whatever pkijs would say); `unmodelled`
 * for encodings pkijs may read differently from us (BER-only forms, string and time types whose asn1js
 * decoding is not mirrored here, unusual algorithm parameters): the caller then parses with pkijs as
 * before, so those keep pkijs' exact answer.
 */

export interface CertificateFields {
  /** tbsCertificate as stored: what the issuer signed. */
  tbs: Uint8Array;
  /** pkijs' `version` (0 for v1, 2 for v3). */
  version: number;
  /** serialNumber INTEGER contents as stored. */
  serialNumber: Uint8Array;
  issuer: DerElement;
  subject: DerElement;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo as stored (equal to pkijs' re-encoding on this path: lengths and OIDs are minimal). */
  spki: Uint8Array;
  spkiAlgorithm: string;
  /** The named curve or other OID parameter of the key algorithm, when the parameter is an OID. */
  spkiParameterOid?: string;
  /** subjectPublicKey BIT STRING contents after the unused-bits octet. */
  subjectPublicKey: Uint8Array;
  signatureAlgorithm: string;
  /** signatureValue BIT STRING contents after the unused-bits octet. */
  signatureValue: Uint8Array;
  /** Extensions in stored order: OID, whether marked critical, and the whole Extension element. */
  extensions: Array<{ oid: string; critical: boolean; element: DerElement }>;
}

export type CertificateReading =
  | { kind: 'fields'; fields: CertificateFields }
  | { kind: 'refused'; message: string }
  | { kind: 'unmodelled'; reason: string };

/** How certificate structure is read: a fault is MALFORMED_CERTIFICATE (x509.ts reads extensions and names the same way). */
export const CERT_READ: DerReadOptions = { code: 'MALFORMED_CERTIFICATE' };

/** Below asn1js' 10,000-node limit (which makes pkijs refuse), with room for our over-count. */
const NODE_LIMIT = 9000;
/** Certificates this large are left to pkijs (asn1js has a content length limit; no real one comes close). */
const SIZE_LIMIT = 1 << 20;

class Unmodelled extends Error {}

function refuse(message: string): never {
  throw new SigscanError('MALFORMED_CERTIFICATE', message);
}

/**
 * True when asn1js reads `el` (a whole tree) without error and it is a Name as pkijs' schema wants one:
 * what a subjectAltName directoryName must be for pkijs to read the extension at all.
 */
export function isPkijsName(el: DerElement): boolean {
  try {
    mirrorAsn1js(el, { nodes: 0 }, 0);
    name(el, 'directoryName');
    return true;
  } catch (err) {
    if (err instanceof Unmodelled || err instanceof SigscanError) return false;
    throw err;
  }
}

export function readCertificateFields(der: Uint8Array): CertificateReading {
  try {
    refuseMalformedValidity(der);
    if (der.length > SIZE_LIMIT) return { kind: 'unmodelled', reason: 'certificate larger than 1 MiB' };
    const root = readElement(der, CERT_READ);
    // pkijs and OpenSSL's d2i ignore bytes after the certificate, Go's x509.ParseCertificate refuses
    // them ("trailing data"): a certificate whose bytes readers count differently is no certificate here.
    if (root.end !== der.length) refuse(`bytes after the certificate (${der.length - root.end})`);
    const budget = { nodes: 0 };
    mirrorAsn1js(root, budget, 0);
    return { kind: 'fields', fields: certificateShape(root) };
  } catch (err) {
    if (err instanceof Unmodelled) return { kind: 'unmodelled', reason: err.message };
    if (err instanceof SigscanError) return { kind: 'refused', message: err.message };
    throw err;
  }
}

/**
 * Checks every element as asn1js' BER parser would (the first step of pkijs' `fromBER`), accepting
 * only the forms whose asn1js rules are mirrored here; the rest is Unmodelled. The DER reader already
 * refused what breaks the TLV structure (lengths past their parent, indefinite lengths, depth).
 */
function mirrorAsn1js(el: DerElement, budget: { nodes: number }, depth: number): void {
  countNode(budget);
  // DER has one length encoding. Go's crypto/x509 (cryptobyte) refuses any other, where OpenSSL, the JDK
  // and asn1js read it; anyone holding a certificate can re-encode a length outside the signed
  // tbsCertificate (the signature BIT STRING's), so a certificate Go refuses would verify here.
  if (!minimalLength(el)) refuse(`the length at offset ${el.start} is not in the shortest form DER requires`);
  if (el.tagNumber >= 0x1f) throw new Unmodelled('a tag number of 31 or more');
  if (el.tagClass !== 0) {
    if (el.constructed) for (const c of childrenOf(el, CERT_READ, depth)) mirrorAsn1js(c, budget, depth + 1);
    return;
  }
  const length = el.contentEnd - el.contentStart;
  const tag = el.tagNumber;
  if (tag === TAG.SEQUENCE || tag === TAG.SET) {
    if (!el.constructed) throw new Unmodelled('primitive SEQUENCE/SET');
    for (const c of childrenOf(el, CERT_READ, depth)) mirrorAsn1js(c, budget, depth + 1);
    return;
  }
  if (el.constructed) throw new Unmodelled(`constructed universal ${tag}`);
  switch (tag) {
    case TAG.BOOLEAN:
      if (length !== 1) throw new Unmodelled('BOOLEAN not one octet');
      return;
    case TAG.INTEGER:
      if (length === 0) throw new Unmodelled('empty INTEGER');
      return;
    case TAG.NULL:
      if (length !== 0) throw new Unmodelled('NULL with contents');
      return;
    case TAG.OID:
      if (!isMinimalOid(el)) throw new Unmodelled('OBJECT IDENTIFIER not in its minimal form');
      return;
    case TAG.BIT_STRING: {
      const unused = el.bytes[el.contentStart];
      if (length === 0 || unused === undefined || unused > 7) throw new Unmodelled('BIT STRING unused bits');
      // asn1js tries to read the contents as ASN.1 (errors swallowed); its nodes count to the limit.
      if (unused === 0 && length > 1)
        countEmbedded(el.bytes, el.contentStart + 1, el.contentEnd, budget, depth + 1);
      return;
    }
    case TAG.OCTET_STRING:
      if (length > 0) countEmbedded(el.bytes, el.contentStart, el.contentEnd, budget, depth + 1);
      return;
    // asn1js decodes these with no check that can fail (LocalSimpleStringBlock, strict UTF-8 with a raw
    // fallback); BMPString and UniversalString fail on a length that is not a multiple of 2 or 4.
    case TAG.UTF8_STRING:
    case 18:
    case PRINTABLE_STRING:
    case 20:
    case 21:
    case IA5_STRING:
    case 25:
    case 26:
    case 27:
      return;
    case 28:
      if (length % 4 !== 0) throw new Unmodelled('UniversalString length');
      return;
    case 30:
      if (length % 2 !== 0) throw new Unmodelled('BMPString length');
      return;
    case TAG.UTC_TIME:
    case TAG.GENERALIZED_TIME:
      if (!canonicalTime(el)) throw new Unmodelled('time not in its DER form');
      return;
    default:
      throw new Unmodelled(`universal type ${tag}`);
  }
}

const PRINTABLE_STRING = 19;
const IA5_STRING = 22;

function countNode(budget: { nodes: number }): void {
  if (++budget.nodes > NODE_LIMIT) throw new Unmodelled('too many ASN.1 nodes');
}

/**
 * Counts, never fewer than asn1js would, the nodes asn1js creates when it tries to read the contents of
 * an OCTET STRING or BIT STRING as ASN.1: it goes on wherever asn1js could, stops only where asn1js
 * must (truncated tag or length, contents past the end), and gives up (Unmodelled) on forms it does
 * not follow. Returns the end of the element read, or -1.
 */
function countEmbedded(
  bytes: Uint8Array,
  offset: number,
  limit: number,
  budget: { nodes: number },
  depth: number,
): number {
  countNode(budget);
  if (depth > 100 || offset >= limit) return -1;
  let pos = offset;
  const first = bytes[pos++]!;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    // asn1js reads tag octets of any count (beyond nine it keeps them as hex); only OCTET STRING and BIT
    // STRING matter below, and no long-form tag is either.
    let b: number;
    tagNumber = 0x1f;
    do {
      if (pos >= limit) return -1;
      b = bytes[pos++]!;
    } while (b & 0x80);
  }
  if (pos >= limit) return -1;
  const lengthByte = bytes[pos++]!;
  if (lengthByte === 0x80) {
    if (!constructed) return -1;
    throw new Unmodelled('indefinite length in embedded contents');
  }
  if (lengthByte === 0xff) return -1;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const n = lengthByte & 0x7f;
    if (n > 8 || pos + n > limit) return -1;
    // Up to eight octets, leading zeros allowed: a value too large for a double is past any limit anyway.
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[pos++]!;
  }
  if (length > limit - pos) return -1;
  const end = pos + length;
  if (constructed) {
    let child = pos;
    while (child < end) {
      child = countEmbedded(bytes, child, end, budget, depth + 1);
      if (child === -1) return -1;
    }
    return end;
  }
  const universal = first >> 6 === 0;
  if (universal && tagNumber === TAG.OCTET_STRING && length > 0)
    countEmbedded(bytes, pos, end, budget, depth + 1);
  if (universal && tagNumber === TAG.BIT_STRING && length > 0) {
    if (bytes[pos]! > 7) return -1;
    if (bytes[pos] === 0 && length > 1) countEmbedded(bytes, pos + 1, end, budget, depth + 1);
  }
  return end;
}

/** Short form below 128, else the fewest length octets (X.690 10.1): what pkijs re-encodes too. */
function minimalLength(el: DerElement): boolean {
  return el.contentStart - el.start === identifierOctets(el) + lengthOctets(el.contentEnd - el.contentStart);
}

/** One octet, or for a tag number of 31 and above the first and each octet up to one without bit 8. */
function identifierOctets(el: DerElement): number {
  if ((el.bytes[el.start]! & 0x1f) !== 0x1f) return 1;
  let at = el.start + 1;
  while (el.bytes[at]! & 0x80) at++;
  return at + 1 - el.start;
}

function lengthOctets(length: number): number {
  if (length < 128) return 1;
  let n = 0;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return 1 + n;
}

/**
 * An OBJECT IDENTIFIER asn1js reads and re-encodes to the same bytes: primitive, not empty, every
 * sub-identifier minimal (no leading 0x80) and at most 7 octets (asn1js decodes up to 8 as numbers).
 */
export function isMinimalOid(el: DerElement): boolean {
  const { bytes, contentStart, contentEnd } = el;
  if (!isUniversal(el, TAG.OID) || el.constructed || contentEnd === contentStart) return false;
  let sidLength = 0;
  for (let i = contentStart; i < contentEnd; i++) {
    if (sidLength === 0 && bytes[i] === 0x80) return false;
    if (++sidLength > 7) return false;
    if (!(bytes[i]! & 0x80)) sidLength = 0;
  }
  return sidLength === 0;
}

const DIGITS = /^[0-9]+$/;

/** The two forms DER allows, which readTime decodes itself exactly as asn1js does. */
function canonicalTime(el: DerElement): boolean {
  const text = Buffer.from(contentBytes(el)).toString('latin1');
  if (el.tagNumber === TAG.UTC_TIME)
    return text.length === 13 && text[12] === 'Z' && DIGITS.test(text.slice(0, 12));
  return (
    text.length >= 15 &&
    text.endsWith('Z') &&
    DIGITS.test(text.slice(0, 14)) &&
    (text.length === 15 || /^[.][0-9]+$/.test(text.slice(14, -1)))
  );
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm AlgorithmIdentifier, signatureValue BIT STRING }
 * laid out as pkijs' schema asks; anything else (a missing or misplaced field, trailing fields) is refused.
 */
function certificateShape(root: DerElement): CertificateFields {
  const top = children(root, TAG.SEQUENCE, 'Certificate');
  if (top.length !== 3) refuse(`Certificate has ${top.length} fields, expected 3`);
  const [tbsElement, sigAlg, sigValue] = top as [DerElement, DerElement, DerElement];
  const tbs = children(tbsElement, TAG.SEQUENCE, 'tbsCertificate');
  let i = 0;
  let version = 0;
  if (isContext(tbs[i], 0)) {
    const inner = children(tbs[i++]!, undefined, 'version');
    if (inner.length !== 1) refuse('version [0] must hold one INTEGER');
    version = pkijsSmallInteger(integerBytes(inner[0], CERT_READ, 'version'));
  }
  const serialNumber = integerBytes(tbs[i++], CERT_READ, 'serialNumber');
  const innerAlgorithm = tbs[i++];
  algorithm(innerAlgorithm, 'signature');
  const signatureAlgorithm = algorithm(sigAlg, 'signatureAlgorithm').oid;
  // RFC 5280 4.1.1.2: signatureAlgorithm MUST be the tbsCertificate's signature field. The outer one is
  // not signed, so anyone can change it (NULL parameters dropped, say) and the signature still verifies.
  // Go compares the two byte for byte, OpenSSL's X509_verify by value (absent and NULL differ).
  if (!equalBytes(elementBytes(innerAlgorithm!), elementBytes(sigAlg))) {
    refuse('signatureAlgorithm differs from the signature field of tbsCertificate');
  }
  const issuer = name(tbs[i++], 'issuer');
  const validity = children(tbs[i++], TAG.SEQUENCE, 'validity');
  if (validity.length !== 2) refuse('validity must hold notBefore and notAfter');
  const notBefore = time(validity[0]!, 'notBefore');
  const notAfter = time(validity[1]!, 'notAfter');
  const subject = name(tbs[i++], 'subject');
  const spkiElement = tbs[i++];
  const spki = children(spkiElement, TAG.SEQUENCE, 'subjectPublicKeyInfo');
  if (spki.length !== 2) refuse('subjectPublicKeyInfo must hold an algorithm and a key');
  const keyAlgorithm = algorithm(spki[0], 'subjectPublicKeyInfo algorithm');
  if (
    keyAlgorithm.parameters &&
    !isUniversal(keyAlgorithm.parameters, TAG.NULL) &&
    !isUniversal(keyAlgorithm.parameters, TAG.OID)
  ) {
    // Explicit curve parameters and PSS parameters: pkijs' re-encoding is the SPKI the callers used.
    throw new Unmodelled('key algorithm parameters other than NULL or an OID');
  }
  const subjectPublicKey = bitString(spki[1], 'subjectPublicKey');
  if (isContext(tbs[i], 1)) primitive(tbs[i++]!, 'issuerUniqueID');
  if (isContext(tbs[i], 2)) primitive(tbs[i++]!, 'subjectUniqueID');
  const extensions: CertificateFields['extensions'] = [];
  if (isContext(tbs[i], 3)) {
    const wrapper = children(tbs[i++]!, undefined, 'extensions');
    if (wrapper.length !== 1) refuse('extensions [3] must hold one SEQUENCE');
    for (const ext of children(wrapper[0], TAG.SEQUENCE, 'extensions')) {
      const parts = children(ext, TAG.SEQUENCE, 'extension');
      const [id, second, third] = parts;
      const oid = readOid(id, CERT_READ, 'extnID');
      const value = isUniversal(second, TAG.BOOLEAN) ? third : second;
      if (parts.length !== (value === third ? 3 : 2)) refuse('extension has unexpected fields');
      if (!isUniversal(value, TAG.OCTET_STRING)) refuse('extnValue: expected an OCTET STRING');
      // RFC 5280 4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      // sigscan reads the first; Go, OpenSSL and the JDK refuse the certificate, so two basicConstraints
      // or two EKUs would be one answer here and a rejection everywhere else.
      if (extensions.some((e) => e.oid === oid)) refuse(`extension ${oid} appears more than once`);
      // asn1js reads any non-zero octet as TRUE (mirrorAsn1js admits one-octet BOOLEANs only).
      const critical = value === third && contentBytes(second!)[0] !== 0;
      extensions.push({ oid, critical, element: ext });
    }
  }
  if (i !== tbs.length) refuse('tbsCertificate has unexpected fields');
  return {
    tbs: elementBytes(tbsElement),
    version,
    serialNumber,
    issuer,
    subject,
    notBefore,
    notAfter,
    spki: elementBytes(spkiElement!),
    spkiAlgorithm: keyAlgorithm.oid,
    spkiParameterOid:
      keyAlgorithm.parameters && isUniversal(keyAlgorithm.parameters, TAG.OID)
        ? readOid(keyAlgorithm.parameters, CERT_READ, 'key parameters')
        : undefined,
    subjectPublicKey,
    signatureAlgorithm,
    signatureValue: bitString(sigValue, 'signatureValue'),
    extensions,
  };
}

function children(el: DerElement | undefined, universalTag: number | undefined, what: string): DerElement[] {
  if (!el || !el.constructed) refuse(`${what}: expected a constructed element`);
  if (universalTag !== undefined && !isUniversal(el, universalTag)) {
    refuse(`${what}: expected a ${universalTag === TAG.SET ? 'SET' : 'SEQUENCE'}`);
  }
  return childrenOf(el, CERT_READ);
}

function primitive(el: DerElement, what: string): void {
  if (el.constructed) refuse(`${what}: expected a primitive element`);
}

function algorithm(el: DerElement | undefined, what: string): { oid: string; parameters?: DerElement } {
  const parts = children(el, TAG.SEQUENCE, what);
  if (parts.length < 1 || parts.length > 2) refuse(`${what}: expected an OID and optional parameters`);
  return { oid: readOid(parts[0], CERT_READ, what), parameters: parts[1] };
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY } */
function name(el: DerElement | undefined, what: string): DerElement {
  for (const rdn of children(el, TAG.SEQUENCE, what)) {
    const atvs = children(rdn, TAG.SET, what);
    if (atvs.length === 0) throw new Unmodelled('empty relative distinguished name');
    for (const atv of atvs) {
      const parts = children(atv, TAG.SEQUENCE, what);
      if (parts.length !== 2) refuse(`${what}: attribute must hold a type and a value`);
      readOid(parts[0], CERT_READ, what);
    }
  }
  return el!;
}

/**
 * notBefore and notAfter as `openssl verify` reads them (X509_cmp_time): exactly YYMMDDHHMMSSZ or
 * YYYYMMDDHHMMSSZ (RFC 5280 4.1.2.5), every field in range (readTime), or MALFORMED_CERTIFICATE. Done
 * before either reader takes the certificate: on the pkijs path asn1js read text it cannot convert as
 * 1899-11-30, so a malformed notBefore made a not-yet-valid certificate valid. Go and the JDK accept a
 * UTCTime without seconds or with an offset and a GeneralizedTime fraction, OpenSSL refuses them and RFC
 * 5280 forbids them: readers disagree, so they are refused too. A validity this walk does not find (a
 * broken shape) is left to the shape rules below and to pkijs, which refuse it. Certificates over 1 MiB,
 * which only pkijs reads, are checked too.
 */
function refuseMalformedValidity(der: Uint8Array): void {
  for (const [i, el] of (validityTimes(der) ?? []).entries()) {
    const what = i === 0 ? 'notBefore' : 'notAfter';
    if (el.constructed || (!isUniversal(el, TAG.UTC_TIME) && !isUniversal(el, TAG.GENERALIZED_TIME)))
      continue;
    const text = Buffer.from(contentBytes(el)).toString('latin1');
    const form = el.tagNumber === TAG.UTC_TIME ? /^[0-9]{12}Z$/ : /^[0-9]{14}Z$/;
    if (!form.test(text)) refuse(`${what}: not in the form RFC 5280 requires: ${JSON.stringify(text)}`);
    readTime(el, CERT_READ, what);
  }
}

function validityTimes(der: Uint8Array): DerElement[] | undefined {
  try {
    const root = readElement(der, CERT_READ);
    if (!isUniversal(root, TAG.SEQUENCE) || !root.constructed) return undefined;
    const tbs = childrenOf(root, CERT_READ)[0];
    if (!isUniversal(tbs, TAG.SEQUENCE) || !tbs!.constructed) return undefined;
    const fields = childrenOf(tbs!, CERT_READ);
    const validity = fields[isContext(fields[0], 0) ? 4 : 3];
    if (!isUniversal(validity, TAG.SEQUENCE) || !validity!.constructed) return undefined;
    return childrenOf(validity!, CERT_READ);
  } catch (err) {
    if (err instanceof SigscanError) return undefined;
    throw err;
  }
}

function time(el: DerElement, what: string): Date {
  if (!isUniversal(el, TAG.UTC_TIME) && !isUniversal(el, TAG.GENERALIZED_TIME))
    refuse(`${what}: expected a time`);
  return readTime(el, CERT_READ, what);
}

function bitString(el: DerElement | undefined, what: string): Uint8Array {
  if (!isUniversal(el, TAG.BIT_STRING) || el!.constructed) refuse(`${what}: expected a BIT STRING`);
  return el!.bytes.subarray(el!.contentStart + 1, el!.contentEnd);
}

/** asn1js' Integer valueDec: signed, and 0 for four octets or more (it keeps those as hex only). */
function pkijsSmallInteger(bytes: Uint8Array): number {
  if (bytes.length >= 4) return 0;
  let n = bytes[0]! & 0x80 ? -1 : 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}
