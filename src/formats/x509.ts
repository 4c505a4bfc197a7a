import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { SigscanError } from '../errors.js';
import type { CertificateSummary } from '../model/index.js';
import { LruCache } from '../util/lru.js';
import { hex, oidName, sha1Hex, sha256Hex, toArrayBuffer } from './der.js';
import { equalBytes } from './der-reader.js';

/** A parsed certificate together with the exact DER bytes it came from. */
export interface ParsedCertificate {
  der: Uint8Array;
  cert: pkijs.Certificate;
  summary: CertificateSummary;
  /** The issuer and subject Name DER as stored, for byte comparisons before pkijs' slower name match. */
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  /** serialNumber INTEGER contents as stored: what a CMS issuerAndSerialNumber names. */
  serialNumber: Uint8Array;
  /** subjectKeyIdentifier extension value, what a CMS subjectKeyIdentifier sid names. */
  subjectKeyIdentifier?: Uint8Array;
}

/**
 * The same signer and CA certificates recur across thousands of files and images; parsing them with
 * pkijs dominates a scan's CPU, so parsed certificates are kept by their DER's SHA-256. Bounded (LRU):
 * a parsed certificate holds a pkijs object tree many times its DER, and a tree or a fuzz campaign feeds
 * distinct certificates without end, while the ones worth keeping are a few per vendor.
 */
const CACHE_LIMIT = 1000;
const parsedByDigest = new LruCache<string, ParsedCertificate>(CACHE_LIMIT);

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const key = sha256Hex(der);
  const cached = parsedByDigest.get(key);
  if (cached) return cached;
  let cert: pkijs.Certificate;
  try {
    cert = pkijs.Certificate.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new SigscanError(
      'MALFORMED_CERTIFICATE',
      `not a valid X.509 certificate: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  // A cached entry must not alias a buffer the caller may reuse (a zip read buffer, a fuzz input).
  return parsedByDigest.set(key, describe(der.slice(), cert));
}

function describe(der: Uint8Array, cert: pkijs.Certificate): ParsedCertificate {
  let subjectKeyIdentifier: Uint8Array | undefined;
  const ski = cert.extensions?.find((e) => e.extnID === '2.5.29.14')?.parsedValue as
    asn1js.OctetString | undefined;
  if (ski instanceof asn1js.OctetString) subjectKeyIdentifier = new Uint8Array(ski.valueBlock.valueHexView);
  return {
    der,
    cert,
    summary: summarize(cert, der),
    issuerDer: new Uint8Array(cert.issuer.valueBeforeDecode),
    subjectDer: new Uint8Array(cert.subject.valueBeforeDecode),
    serialNumber: new Uint8Array(cert.serialNumber.valueBlock.valueHexView),
    subjectKeyIdentifier,
  };
}

/**
 * pkijs' Name equality (type by type, strings compared case- and space-insensitively), with the common
 * case first: byte-identical Names are equal under it too, and cost a memcmp instead of string folding.
 */
export function namesEqual(
  aDer: Uint8Array,
  a: () => pkijs.RelativeDistinguishedNames,
  bDer: Uint8Array,
  b: () => pkijs.RelativeDistinguishedNames,
): boolean {
  if (aDer.length > 0 && equalBytes(aDer, bDer)) return true;
  return a().isEqual(b());
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
  const extra: string[] = [];
  const byType = new Map<string, string[]>();
  for (const atv of name.typesAndValues) {
    if (GO_KNOWN.has(atv.type)) {
      const list = byType.get(atv.type) ?? [];
      list.push(attributeString(atv.value));
      byType.set(atv.type, list);
    } else {
      extra.push(`${atv.type}=#${hex((atv.value as asn1js.BaseBlock).toBER())}`);
    }
  }
  // Go builds [extra..., C..., ST..., ..., SERIALNUMBER...] and prints it reversed.
  const sequence: string[] = [...extra];
  for (const [oid, label] of GO_ORDER) {
    for (const v of byType.get(oid) ?? []) sequence.push(`${label}=${escapeValue(v)}`);
  }
  return sequence.reverse().join(',');
}

function attributeString(value: unknown): string {
  const block = (value as { valueBlock?: { value?: unknown } }).valueBlock;
  if (block && typeof block.value === 'string') return block.value;
  return String(value);
}

function escapeValue(value: string): string {
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
  const alg = spki.algorithm.algorithmId;
  if (alg === '1.2.840.113549.1.1.1' || alg === '1.2.840.113549.1.1.10') {
    try {
      const rsa = pkijs.RSAPublicKey.fromBER(spki.subjectPublicKey.valueBlock.valueHexView.slice().buffer);
      const modulus = rsa.modulus.valueBlock.valueHexView;
      const leadingZero = modulus[0] === 0 ? 1 : 0;
      return `RSA-${(modulus.length - leadingZero) * 8}`;
    } catch {
      return 'RSA';
    }
  }
  if (alg === '1.2.840.10045.2.1') {
    const params = spki.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined;
    const curve =
      params instanceof asn1js.ObjectIdentifier ? oidName(params.valueBlock.toString()) : 'unknown';
    return `ECDSA-${curve}`;
  }
  return oidName(alg);
}

export function subjectAlternativeNames(cert: pkijs.Certificate): string[] {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.17');
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
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.37');
  const purposes = (ext?.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  return purposes.map(oidName);
}

/** Raw value of a certificate extension, for the Fulcio OIDs pkijs does not know. */
export function extensionValue(cert: pkijs.Certificate, oid: string): Uint8Array | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === oid);
  return ext ? new Uint8Array(ext.extnValue.valueBlock.valueHexView) : undefined;
}
