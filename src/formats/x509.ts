import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { SigscanError } from '../errors.js';
import type { CertificateSummary } from '../model/index.js';
import { hex, oidName, sha1Hex, sha256Hex, toArrayBuffer } from './der.js';

/** A parsed certificate together with the exact DER bytes it came from. */
export interface ParsedCertificate {
  der: Uint8Array;
  cert: pkijs.Certificate;
  summary: CertificateSummary;
}

/**
 * The same signer and CA certificates recur across thousands of files and images; parsing them with
 * pkijs dominates a scan's CPU, so parsed certificates are kept by their DER's SHA-256 (bounded).
 */
const CACHE_LIMIT = 2048;
const parsedByDigest = new Map<string, ParsedCertificate>();

function remember(key: string, parsed: ParsedCertificate): ParsedCertificate {
  if (parsedByDigest.size >= CACHE_LIMIT) parsedByDigest.delete(parsedByDigest.keys().next().value!);
  parsedByDigest.set(key, parsed);
  return parsed;
}

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
  return remember(key, { der, cert, summary: summarize(cert, der) });
}

export function certificateFromPkijs(cert: pkijs.Certificate): ParsedCertificate {
  const der = new Uint8Array(cert.toSchema(true).toBER());
  const key = sha256Hex(der);
  return parsedByDigest.get(key) ?? remember(key, { der, cert, summary: summarize(cert, der) });
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
