import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { SigscanError } from '../errors.js';
import type { CertificateSummary } from '../model/index.js';
import { LruCache } from '../util/lru.js';
import { hex, oidName, sha1Hex, sha256Hex, toArrayBuffer } from './der.js';
import {
  childrenOf,
  contentBytes,
  elementBytes,
  equalBytes,
  isUniversal,
  readElement,
  readOid,
  type DerElement,
} from './der-reader.js';
import {
  CERT_READ,
  isMinimalOid,
  isPkijsName,
  readCertificateFields,
  type CertificateFields,
} from './x509-fields.js';

/**
 * A parsed certificate together with the exact DER bytes it came from. The fields a scan needs are read
 * with the DER reader (x509-fields.ts); the pkijs objects are built only when a caller asks for them
 * (`cert`, `issuerName`, `subjectName`, `extension`): most certificates of a Microsoft signature are
 * never on the signer's path and never need them.
 */
export interface ParsedCertificate {
  der: Uint8Array;
  /** The full pkijs Certificate, built on first use. */
  readonly cert: pkijs.Certificate;
  summary: CertificateSummary;
  /** The issuer and subject Name DER as stored, for byte comparisons before pkijs' slower name match. */
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  /** serialNumber INTEGER contents as stored: what a CMS issuerAndSerialNumber names. */
  serialNumber: Uint8Array;
  /** subjectKeyIdentifier extension value, what a CMS subjectKeyIdentifier sid names. */
  subjectKeyIdentifier?: Uint8Array;
  /** tbsCertificate as stored (what the issuer's signature covers). */
  tbs: Uint8Array;
  /** pkijs' `version` (2 for v3). */
  version: number;
  notBefore: Date;
  notAfter: Date;
  /** SubjectPublicKeyInfo DER, as pkijs re-encodes it (equal to the stored bytes on the DER-reader path). */
  spkiDer: Uint8Array;
  spkiAlgorithm: string;
  /** The key algorithm's parameter when it is an OID (the named curve of an EC key). */
  spkiParameterOid?: string;
  /** subjectPublicKey BIT STRING value (after the unused-bits octet). */
  subjectPublicKey: Uint8Array;
  /** signatureAlgorithm OID of the certificate. */
  signatureAlgorithm: string;
  /** signatureValue BIT STRING value (after the unused-bits octet). */
  signatureValue: Uint8Array;
  /** Every extension's OID and criticality, in stored order (the chain refuses ones it cannot act on). */
  extensionIds: ReadonlyArray<{ oid: string; critical: boolean }>;
  /** The pkijs Name objects, built on first use (pkijs' case- and space-insensitive equality needs them). */
  readonly issuerName: pkijs.RelativeDistinguishedNames;
  readonly subjectName: pkijs.RelativeDistinguishedNames;
  /** The first extension with this OID as pkijs reads it (parsedValue included), or undefined. */
  extension(oid: string): pkijs.Extension | undefined;
}

/**
 * The same signer and CA certificates recur across thousands of files and images, so parsed
 * certificates are kept by their DER's SHA-256. Bounded (LRU): a tree or a fuzz campaign feeds distinct
 * certificates without end, while the ones worth keeping are a few per vendor.
 */
const CACHE_LIMIT = 1000;
const parsedByDigest = new LruCache<string, ParsedCertificate>(CACHE_LIMIT);

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const key = sha256Hex(der);
  const cached = parsedByDigest.get(key);
  if (cached) return cached;
  // A cached entry must not alias a buffer the caller may reuse (a zip read buffer, a fuzz input).
  const own = der.slice();
  const reading = readCertificateFields(own);
  if (reading.kind === 'fields') return parsedByDigest.set(key, fromFields(own, reading.fields, key));
  const cert = pkijsCertificate(own);
  if (reading.kind === 'refused') {
    // pkijs accepted what the DER reader refuses (trailing fields, BER lengths...): the refusal wins,
    // so no input is a certificate to one reader and garbage to the other.
    throw new SigscanError('MALFORMED_CERTIFICATE', `not a valid X.509 certificate: ${reading.message}`);
  }
  // The rule x509-fields applies to the certificates it reads (RFC 5280 4.1.1.2), by value here.
  if (!cert.signature.isEqual(cert.signatureAlgorithm)) {
    throw new SigscanError(
      'MALFORMED_CERTIFICATE',
      'not a valid X.509 certificate: signatureAlgorithm differs from the signature field of tbsCertificate',
    );
  }
  // And the one-instance rule of RFC 5280 4.2 (x509-fields refuses the same).
  const oids = (cert.extensions ?? []).map((e) => e.extnID);
  const repeated = oids.find((oid, i) => oids.indexOf(oid) !== i);
  if (repeated !== undefined) {
    throw new SigscanError(
      'MALFORMED_CERTIFICATE',
      `not a valid X.509 certificate: extension ${repeated} appears more than once`,
    );
  }
  return parsedByDigest.set(key, fromPkijs(own, cert));
}

/** pkijs' parse, refusing as parseCertificate always did (same code, same message). */
function pkijsCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new SigscanError(
      'MALFORMED_CERTIFICATE',
      `not a valid X.509 certificate: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
}

function fromFields(der: Uint8Array, f: CertificateFields, sha256: string): ParsedCertificate {
  let cert: pkijs.Certificate | undefined;
  let issuerName: pkijs.RelativeDistinguishedNames | undefined;
  let subjectName: pkijs.RelativeDistinguishedNames | undefined;
  const extensions = new Map<string, pkijs.Extension | undefined>();
  const extension = (oid: string): pkijs.Extension | undefined => {
    if (cert) return cert.extensions?.find((e) => e.extnID === oid);
    if (!extensions.has(oid)) {
      const el = f.extensions.find((e) => e.oid === oid)?.element;
      extensions.set(oid, el ? new pkijs.Extension({ schema: asn1Of(elementBytes(el)) }) : undefined);
    }
    return extensions.get(oid);
  };
  const issuerDer = elementBytes(f.issuer);
  const subjectDer = elementBytes(f.subject);
  const valueOf = (oid: string): Uint8Array | undefined => {
    const el = f.extensions.find((e) => e.oid === oid)?.element;
    return el ? extnValueOf(el) : undefined;
  };
  const skiBytes = valueOf('2.5.29.14');
  let subjectKeyIdentifier = skiBytes && fastKeyIdentifier(skiBytes);
  if (skiBytes && subjectKeyIdentifier === undefined) {
    const ski = extension('2.5.29.14')?.parsedValue as asn1js.OctetString | undefined;
    if (ski instanceof asn1js.OctetString) subjectKeyIdentifier = new Uint8Array(ski.valueBlock.valueHexView);
  }
  const summary: CertificateSummary = {
    subject: nameString(f.subject, subjectDer),
    issuer: nameString(f.issuer, issuerDer),
    serialNumber: hex(f.serialNumber),
    sha256Fingerprint: sha256,
    sha1Fingerprint: sha1Hex(der),
    spkiSha256: sha256Hex(f.spki),
    notBefore: f.notBefore.toISOString(),
    notAfter: f.notAfter.toISOString(),
    publicKeyAlgorithm: keyAlgorithmName(f.spkiAlgorithm, f.subjectPublicKey, f.spkiParameterOid),
  };
  const sanBytes = valueOf('2.5.29.17');
  const sans = (sanBytes && fastAltNames(sanBytes)) ?? altNames(extension('2.5.29.17'));
  if (sans.length) summary.subjectAlternativeNames = sans;
  const ekuBytes = valueOf('2.5.29.37');
  const ekus = (ekuBytes && fastKeyPurposes(ekuBytes)) ?? keyPurposes(extension('2.5.29.37'));
  if (ekus.length) summary.extendedKeyUsages = ekus;
  return {
    der,
    get cert() {
      // The DER reader accepted only what pkijs accepts (x509-fields.ts), so this does not throw in
      // practice; if it ever did, the certificate is refused as before.
      return (cert ??= pkijsCertificate(der));
    },
    summary,
    issuerDer,
    subjectDer,
    serialNumber: f.serialNumber,
    subjectKeyIdentifier: subjectKeyIdentifier || undefined,
    tbs: f.tbs,
    version: f.version,
    notBefore: f.notBefore,
    notAfter: f.notAfter,
    spkiDer: f.spki,
    spkiAlgorithm: f.spkiAlgorithm,
    spkiParameterOid: f.spkiParameterOid,
    subjectPublicKey: f.subjectPublicKey,
    signatureAlgorithm: f.signatureAlgorithm,
    signatureValue: f.signatureValue,
    extensionIds: f.extensions.map(({ oid, critical }) => ({ oid, critical })),
    get issuerName() {
      if (cert) return cert.issuer;
      return (issuerName ??= new pkijs.RelativeDistinguishedNames({ schema: asn1Of(issuerDer) }));
    },
    get subjectName() {
      if (cert) return cert.subject;
      return (subjectName ??= new pkijs.RelativeDistinguishedNames({ schema: asn1Of(subjectDer) }));
    },
    extension,
  };
}

/**
 * The three extensions every summary reads, without pkijs for their usual shapes; undefined sends the
 * extension through pkijs' Extension and its parsedValue, which stay the reference for every other shape.
 */
function extnValueOf(ext: DerElement): Uint8Array {
  const parts = childrenOf(ext, CERT_READ);
  return contentBytes(parts[parts.length - 1]!);
}

/** pkijs keeps an unregistered extension as asn1js' first element: a primitive OCTET STRING gives its contents. */
function fastKeyIdentifier(value: Uint8Array): Uint8Array | false | undefined {
  let el: DerElement;
  try {
    el = readElement(value, CERT_READ);
  } catch {
    return undefined;
  }
  if (el.tagClass !== 0 || el.tagNumber !== 4) return false;
  return el.constructed ? undefined : contentBytes(el);
}

/** ExtKeyUsage: a SEQUENCE of OIDs, each one minimal so asn1js prints it as readOid does. */
function fastKeyPurposes(value: Uint8Array): string[] | undefined {
  try {
    const el = readElement(value, CERT_READ);
    if (el.tagClass !== 0 || el.tagNumber !== 16 || !el.constructed) return undefined;
    const oids = childrenOf(el, CERT_READ);
    if (oids.length === 0 || !oids.every(isMinimalOid)) return undefined;
    return oids.map((o) => oidName(readOid(o, CERT_READ, 'key purpose')));
  } catch {
    return undefined;
  }
}

/** SubjectAltName of rfc822Name, dNSName, URI, iPAddress and directoryName entries only (what pkijs reads as shown here). */
function fastAltNames(value: Uint8Array): string[] | undefined {
  try {
    const el = readElement(value, CERT_READ);
    if (el.tagClass !== 0 || el.tagNumber !== 16 || !el.constructed) return undefined;
    const names = childrenOf(el, CERT_READ);
    if (names.length === 0) return undefined;
    const out: string[] = [];
    for (const n of names) {
      // directoryName [4] EXPLICIT Name is not shown, but pkijs must read it or it reads no name at all.
      if (n.tagClass === 2 && n.tagNumber === 4 && n.constructed) {
        const inner = childrenOf(n, CERT_READ);
        if (inner.length !== 1 || !isPkijsName(inner[0]!)) return undefined;
        continue;
      }
      if (n.tagClass !== 2 || n.constructed || n.contentEnd === n.contentStart) return undefined;
      const bytes = contentBytes(n);
      const text = Buffer.from(bytes).toString('latin1');
      if (n.tagNumber === 1) out.push(`email:${text}`);
      else if (n.tagNumber === 2) out.push(`dns:${text}`);
      else if (n.tagNumber === 6) out.push(`uri:${text}`);
      else if (n.tagNumber === 7)
        out.push(`ip:${bytes.length === 4 ? Array.from(bytes).join('.') : hex(bytes)}`);
      else return undefined;
    }
    return out;
  } catch {
    return undefined;
  }
}

function asn1Of(der: Uint8Array): asn1js.AsnType {
  return asn1js.fromBER(der.slice()).result;
}

/** The certificates the DER reader leaves to pkijs: everything read from pkijs' objects, as before. */
function fromPkijs(der: Uint8Array, cert: pkijs.Certificate): ParsedCertificate {
  let subjectKeyIdentifier: Uint8Array | undefined;
  const ski = cert.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as
    asn1js.OctetString | undefined;
  if (ski instanceof asn1js.OctetString) subjectKeyIdentifier = new Uint8Array(ski.valueBlock.valueHexView);
  const spki = cert.subjectPublicKeyInfo;
  const params = spki.algorithm.algorithmParams as asn1js.AsnType | undefined;
  return {
    der,
    cert,
    summary: summarize(cert, der),
    issuerDer: new Uint8Array(cert.issuer.valueBeforeDecode),
    subjectDer: new Uint8Array(cert.subject.valueBeforeDecode),
    serialNumber: new Uint8Array(cert.serialNumber.valueBlock.valueHexView),
    subjectKeyIdentifier,
    tbs: cert.tbsView,
    version: cert.version,
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    spkiDer: new Uint8Array(spki.toSchema().toBER()),
    spkiAlgorithm: spki.algorithm.algorithmId,
    spkiParameterOid: params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : undefined,
    subjectPublicKey: spki.subjectPublicKey.valueBlock.valueHexView,
    signatureAlgorithm: cert.signatureAlgorithm.algorithmId,
    signatureValue: cert.signatureValue.valueBlock.valueHexView,
    extensionIds: (cert.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical })),
    issuerName: cert.issuer,
    subjectName: cert.subject,
    extension: (oid) => cert.extensions?.find((e) => e.extnID === oid),
  };
}

/**
 * Name equality as OpenSSL decides it (X509_NAME_cmp over x509_name_canon): the same RDNs in the same
 * order, each RDN the same set of attributes, string values compared after converting to Unicode,
 * trimming and collapsing ASCII whitespace and folding ASCII case; any other value byte for byte.
 * Byte-identical Names are equal first, at the cost of a memcmp.
 *
 * Not pkijs' isEqual: it folds case with full Unicode toLowerCase and compares with localeCompare, so
 * ICU collation made `Evil\u200bCA` equal `EvilCA`, a decomposed accent equal the precomposed one, and
 * the Kelvin sign equal `k`. OpenSSL and Go (raw bytes) refuse those, so a chain sigscan built through
 * such a name was one the platform verifiers do not build. Unreadable Names are equal to nothing.
 */
export function namesEqual(aDer: Uint8Array, bDer: Uint8Array): boolean {
  if (aDer.length > 0 && equalBytes(aDer, bDer)) return true;
  const a = canonicalName(aDer);
  return a !== undefined && a === canonicalName(bDer);
}

/** The string types OpenSSL converts before comparing (ASN1_MASK_CANON), decoded; undefined for any other tag. */
function canonicalText(tagNumber: number, b: Uint8Array): string | undefined {
  switch (tagNumber) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: true }).decode(b);
    case 0x13: // PrintableString
    case 0x14: // T61String, read as Latin-1 like OpenSSL
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return Buffer.from(b).toString('latin1');
    case 0x1e: // BMPString
      return utf16be(b);
    case 0x1c: // UniversalString
      return utf32be(b);
    default:
      return undefined;
  }
}

/** One string per Name: RDNs in order, each RDN's attributes sorted (a SET), `undefined` if unreadable. */
function canonicalName(der: Uint8Array): string | undefined {
  try {
    const root = readElement(der, CERT_READ);
    if (!constructedUniversal(root, 0x10) || root.end !== der.length) return undefined;
    return JSON.stringify(
      childrenOf(root, CERT_READ).map((set) => {
        if (!constructedUniversal(set, 0x11)) throw new Error('not a SET');
        return childrenOf(set, CERT_READ)
          .map((ava) => {
            const [type, value, extra] = childrenOf(ava, CERT_READ);
            if (!constructedUniversal(ava, 0x10) || !value || extra) throw new Error('not an AVA');
            return JSON.stringify([readOid(type, CERT_READ, 'attribute type'), canonicalValue(value)]);
          })
          .sort();
      }),
    );
  } catch {
    return undefined;
  }
}

function constructedUniversal(el: DerElement, tagNumber: number): boolean {
  return el.constructed && isUniversal(el, tagNumber);
}

function canonicalValue(value: DerElement): string {
  const decoded =
    value.tagClass === 0 && !value.constructed
      ? canonicalText(value.tagNumber, contentBytes(value))
      : undefined;
  if (decoded === undefined) return `raw:${Buffer.from(elementBytes(value)).toString('hex')}`;
  // OpenSSL's asn1_string_canon: strip leading and trailing whitespace, collapse inner runs to one space,
  // lower-case ASCII only (ossl_isspace / ossl_tolower); every other code point stays as it is.
  const text = decoded
    .replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
    .replace(/[ \t\n\v\f\r]+/g, ' ')
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
  return `str:${text}`;
}

function utf16be(b: Uint8Array): string {
  // swap16 throws on an odd length, which canonicalName takes as unreadable.
  return Buffer.from(b).swap16().toString('utf16le');
}

function utf32be(b: Uint8Array): string {
  if (b.length % 4 !== 0) throw new Error('bad UniversalString');
  let out = '';
  for (let i = 0; i < b.length; i += 4) {
    const cp = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new Error('bad code point');
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** Splits PEM text into DER certificates; ignores anything outside CERTIFICATE blocks. */
export function pemCertificates(pem: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (const m of pem.matchAll(re))
    out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  return out;
}

function summarize(cert: pkijs.Certificate, der: Uint8Array): CertificateSummary {
  const spkiDer = new Uint8Array(cert.subjectPublicKeyInfo.toSchema().toBER());
  const summary: CertificateSummary = {
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
  if (sans.length) summary.subjectAlternativeNames = sans;
  const ekus = extendedKeyUsages(cert);
  if (ekus.length) summary.extendedKeyUsages = ekus;
  return summary;
}

/**
 * Go's pkix.Name.String(), which SigScan printed and which scripts compare against: attributes Go knows
 * are emitted in Go's fixed order (SERIALNUMBER, CN, OU, O, POSTALCODE, STREET, L, ST, C), unknown
 * attributes after them as `oid=#<hex DER>`, values escaped as RFC 4514 asks.
 */
const GO_ORDER: Array<[string, string]> = [
  ['2.5.4.6', 'C'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.7', 'L'],
  ['2.5.4.9', 'STREET'],
  ['2.5.4.17', 'POSTALCODE'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.3', 'CN'],
  ['2.5.4.5', 'SERIALNUMBER'],
];
const GO_KNOWN = new Map(GO_ORDER);

export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return goNameString(
    name.typesAndValues.map((atv) =>
      GO_KNOWN.has(atv.type)
        ? { type: atv.type, value: attributeString(atv.value) }
        : { type: atv.type, extraHex: hex((atv.value as asn1js.BaseBlock).toBER()) },
    ),
  );
}

type NameAttribute = { type: string; value: string } | { type: string; extraHex: string };

function goNameString(attributes: NameAttribute[]): string {
  const extra: string[] = [];
  const byType = new Map<string, string[]>();
  for (const atv of attributes) {
    if ('value' in atv) {
      const list = byType.get(atv.type) ?? [];
      list.push(atv.value);
      byType.set(atv.type, list);
    } else {
      extra.push(`${atv.type}=#${atv.extraHex}`);
    }
  }
  // Go builds [extra..., C..., ST..., ..., SERIALNUMBER...] and prints it reversed.
  const sequence: string[] = [...extra];
  for (const [oid, label] of GO_ORDER) {
    for (const v of byType.get(oid) ?? []) sequence.push(`${label}=${escapeValue(v)}`);
  }
  return sequence.reverse().join(',');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * formatName without pkijs for the attributes nearly every certificate uses (the types Go names, as
 * PrintableString, IA5String or valid UTF8String, which asn1js decodes as latin1, latin1 and strict
 * UTF-8); any other attribute sends the whole Name through pkijs and formatName, so both give one string.
 */
function nameString(el: DerElement, der: Uint8Array): string {
  const attributes: NameAttribute[] = [];
  for (const rdn of childrenOf(el, CERT_READ)) {
    for (const atv of childrenOf(rdn, CERT_READ)) {
      const [typeElement, value] = childrenOf(atv, CERT_READ);
      const type = readOid(typeElement, CERT_READ, 'attribute type');
      const text = GO_KNOWN.has(type) && value ? simpleString(value) : undefined;
      if (text === undefined) {
        return formatName(new pkijs.RelativeDistinguishedNames({ schema: asn1Of(der) }));
      }
      attributes.push({ type, value: text });
    }
  }
  return goNameString(attributes);
}

function simpleString(el: DerElement): string | undefined {
  if (el.tagClass !== 0 || el.constructed) return undefined;
  const bytes = contentBytes(el);
  if (el.tagNumber === 19 || el.tagNumber === 22) return Buffer.from(bytes).toString('latin1');
  if (el.tagNumber !== 12) return undefined;
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}

function attributeString(value: unknown): string {
  const block = (value as { valueBlock?: { value?: unknown } }).valueBlock;
  if (block && typeof block.value === 'string') return block.value;
  return String(value);
}

function escapeValue(value: string): string {
  // Most values need no escape: one test, not a pass per character (half of formatting a name, profiled).
  if (!/[,+"\\<>;]|^[ #]| $/.test(value)) return value;
  const chars = Array.from(value);
  return chars
    .map((c, i) => {
      if (',+"\\<>;'.includes(c)) return `\\${c}`;
      if (c === ' ' && (i === 0 || i === chars.length - 1)) return `\\${c}`;
      if (c === '#' && i === 0) return `\\${c}`;
      return c;
    })
    .join('');
}

export function publicKeyAlgorithm(spki: pkijs.PublicKeyInfo): string {
  const params = spki.algorithm.algorithmParams as asn1js.AsnType | undefined;
  return keyAlgorithmName(
    spki.algorithm.algorithmId,
    spki.subjectPublicKey.valueBlock.valueHexView,
    params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : undefined,
  );
}

function keyAlgorithmName(alg: string, key: Uint8Array, parameterOid: string | undefined): string {
  if (alg === '1.2.840.113549.1.1.1' || alg === '1.2.840.113549.1.1.10') {
    const fast = rsaModulusBytes(key);
    if (fast !== undefined) return `RSA-${fast * 8}`;
    try {
      const rsa = pkijs.RSAPublicKey.fromBER(key.slice().buffer);
      const modulus = rsa.modulus.valueBlock.valueHexView;
      const leadingZero = modulus[0] === 0 ? 1 : 0;
      return `RSA-${(modulus.length - leadingZero) * 8}`;
    } catch {
      return 'RSA';
    }
  }
  if (alg === '1.2.840.10045.2.1') return `ECDSA-${parameterOid ? oidName(parameterOid) : 'unknown'}`;
  return oidName(alg);
}

/**
 * The modulus size pkijs' RSAPublicKey reports, for the plain SEQUENCE { INTEGER, INTEGER } form: its
 * `convertFromDER()` drops one leading zero octet and keyAlgorithmName discounts one more. Undefined: ask pkijs.
 */
function rsaModulusBytes(key: Uint8Array): number | undefined {
  try {
    const seq = readElement(key, CERT_READ);
    if (seq.end !== key.length || seq.tagClass !== 0 || seq.tagNumber !== 16 || !seq.constructed)
      return undefined;
    const ints = childrenOf(seq, CERT_READ);
    if (ints.length !== 2) return undefined;
    for (const i of ints) {
      if (i.tagClass !== 0 || i.tagNumber !== 2 || i.constructed || i.contentEnd === i.contentStart)
        return undefined;
    }
    let modulus = contentBytes(ints[0]!);
    if (modulus[0] === 0) modulus = modulus.subarray(1);
    return modulus.length - (modulus[0] === 0 ? 1 : 0);
  } catch {
    return undefined;
  }
}

export function subjectAlternativeNames(cert: pkijs.Certificate): string[] {
  return altNames(cert.extensions?.find((e) => e.extnID === '2.5.29.17'));
}

function altNames(ext: pkijs.Extension | undefined): string[] {
  const names = (ext?.parsedValue as pkijs.AltName | undefined)?.altNames ?? [];
  const out: string[] = [];
  for (const n of names) {
    switch (n.type) {
      case 1:
        out.push(`email:${n.value as string}`);
        break;
      case 2:
        out.push(`dns:${n.value as string}`);
        break;
      case 6:
        out.push(`uri:${n.value as string}`);
        break;
      case 7: {
        const bytes = (n.value as asn1js.OctetString).valueBlock.valueHexView;
        out.push(`ip:${bytes.length === 4 ? Array.from(bytes).join('.') : hex(bytes)}`);
        break;
      }
      case 0: {
        out.push(`othername:${otherNameString(n.value)}`);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function otherNameString(value: unknown): string {
  // otherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY }; Fulcio puts a UTF8String there.
  try {
    const seq = value as asn1js.Sequence;
    const items = seq.valueBlock.value;
    const oid = (items[0] as asn1js.ObjectIdentifier).valueBlock.toString();
    const inner = (items[1] as asn1js.Constructed).valueBlock.value[0] as unknown as {
      valueBlock: { value: unknown };
    };
    return `${oid}:${String(inner.valueBlock.value)}`;
  } catch {
    return 'unparsed';
  }
}

export function extendedKeyUsages(cert: pkijs.Certificate): string[] {
  return keyPurposes(cert.extensions?.find((e) => e.extnID === '2.5.29.37'));
}

function keyPurposes(ext: pkijs.Extension | undefined): string[] {
  const purposes = (ext?.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  return purposes.map(oidName);
}

/** Raw value of a certificate extension, for the Fulcio OIDs pkijs does not know. */
export function extensionValue(cert: pkijs.Certificate, oid: string): Uint8Array | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === oid);
  return ext ? new Uint8Array(ext.extnValue.valueBlock.valueHexView) : undefined;
}
