import { SigscanError } from '../errors.js';
import { LruCache } from '../util/lru.js';
import { oidName, sha256Hex } from './der.js';
import {
  childrenOf,
  contentBytes,
  elementBytes,
  equalBytes,
  integerBytes,
  isContext,
  isUniversal,
  joinedContents,
  octetStringValue,
  readElement,
  readOid,
  readTime,
  sequenceOf,
  smallInteger,
  TAG,
  type DerElement,
  type DerReadOptions,
} from './der-reader.js';
import { namesEqual, parseCertificate, type ParsedCertificate } from './x509.js';

/**
 * CMS SignedData as JAR blocks, Authenticode and RFC 3161 tokens use it: the structure read with the
 * hand-written DER reader (der-reader.ts says why), certificates kept as the exact bytes the file holds,
 * the signer certificate found by `sid` (never "the first one"), and timestamps and countersignatures
 * read out of unsigned attributes. pkijs parses only what is cached per certificate (x509.ts) and the
 * rare shapes noted where they occur.
 */

export const OID = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  counterSignature: '1.2.840.113549.1.9.6',
  timeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  msRfc3161Timestamp: '1.3.6.1.4.1.311.3.3.1',
  msNestedSignature: '1.3.6.1.4.1.311.2.4.1',
  spcIndirectData: '1.3.6.1.4.1.311.2.1.4',
} as const;

/** CMS is BER: indefinite lengths are legal in the structure (never in certificates or signed attributes). */
export const CMS_READ: DerReadOptions = { code: 'MALFORMED_CMS', ber: true };

export interface AlgorithmIdentifier {
  oid: string;
  /** The parameters element as stored, when present. */
  parameters?: DerElement;
}

export interface CmsAttribute {
  type: string;
  /** The elements of the attribute's value SET, as stored. */
  values: DerElement[];
}

export interface CmsAttributes {
  /** The whole `[0]`/`[1]` element as stored, tag included: re-tagged 0x31 it is what a signer signs. */
  der: Uint8Array;
  attributes: CmsAttribute[];
}

export type SignerIdentifier =
  | { kind: 'issuerAndSerialNumber'; issuer: Uint8Array; serialNumber: Uint8Array }
  | { kind: 'subjectKeyIdentifier'; keyIdentifier: Uint8Array };

/** One SignerInfo as stored. */
export interface CmsSignerInfo {
  version: number;
  sid: SignerIdentifier;
  digestAlgorithm: AlgorithmIdentifier;
  signedAttrs?: CmsAttributes;
  signatureAlgorithm: AlgorithmIdentifier;
  /** The signature OCTET STRING value (empty for a constructed encoding, which nothing accepts). */
  signature: Uint8Array;
  unsignedAttrs?: CmsAttributes;
}

export interface SignedDataInfo {
  /** digestAlgorithms of SignedData, as OIDs in stored order. */
  digestAlgorithms: string[];
  /** eContentType of the encapsulated content. */
  contentType: string;
  /** The element inside eContent `[0]` as stored: an OCTET STRING in CMS, SpcIndirectDataContent in Authenticode. */
  eContent?: DerElement;
  /** Encapsulated content octets when attached (Authenticode, RFC 3161); undefined when detached (JAR). */
  content?: Uint8Array;
  /** The plain X.509 certificates of the certificate set that parse, in stored order and stored bytes. */
  certificates: ParsedCertificate[];
  /** Every choice in the certificate set, parsed or not (what bounds are checked against). */
  certificateSetSize: number;
  signers: SignerInfoView[];
}

export interface SignerInfoView {
  signerInfo: CmsSignerInfo;
  /** The certificate `sid` names, if the SignedData carries it. */
  certificate?: ParsedCertificate;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** The SignerInfo.signature OCTET STRING contents: what timestamps and countersignatures hash. */
  signatureValue: Uint8Array;
  signingTime?: Date;
  hasSignedAttributes: boolean;
  /**
   * eContentType of the SignedData this SignerInfo signs, which its content-type signed attribute must
   * name (RFC 5652 §11.1). Undefined for a PKCS #9 countersignature: it signs another signature, and
   * §11.4 forbids the attribute there.
   */
  contentType?: string;
}

export interface TimestampInfo {
  kind: 'rfc3161' | 'pkcs9';
  time: Date;
  /** Hash algorithm and value the stamp covers; for RFC 3161 the message imprint. */
  imprintAlgorithm?: string;
  imprint?: Uint8Array;
  signer?: SignerInfoView;
  certificates: ParsedCertificate[];
  /** RFC 3161: the encapsulated TSTInfo DER, which the token's signer signed (its messageDigest covers it). */
  content?: Uint8Array;
}

/**
 * The detector and the verifier read the same block; recent parses are kept by the DER's SHA-256
 * (bounded LRU, entries never mutated). Entries hold a private copy of the signature bytes, never a view
 * into the scanned file, so a cached entry does not pin a large PE in memory.
 */
const PARSE_CACHE_LIMIT = 128;
const parsedSignedData = new LruCache<string, SignedDataInfo>(PARSE_CACHE_LIMIT);

/** Empties the SignedData parse cache (benchmarks time uncached parses with it). */
export function clearSignedDataCache(): void {
  parsedSignedData.clear();
}

export function parseSignedData(der: Uint8Array): SignedDataInfo {
  const key = sha256Hex(der);
  const hit = parsedSignedData.get(key);
  if (hit) return hit;
  return parsedSignedData.set(key, parseSignedDataUncached(der.slice()));
}

function fail(message: string): never {
  throw new SigscanError('MALFORMED_CMS', message);
}

function parseSignedDataUncached(der: Uint8Array): SignedDataInfo {
  // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY }. Bytes after it are ignored
  // (PE certificate records are padded).
  const contentInfo = sequenceOf(readElement(der, CMS_READ), TAG.SEQUENCE, CMS_READ, 'CMS ContentInfo');
  const contentType = readOid(contentInfo[0], CMS_READ, 'CMS ContentInfo contentType');
  if (contentType !== OID.signedData) fail(`CMS content type is ${contentType}, not signedData`);
  const explicit = contentInfo[1];
  if (!explicit || !isContext(explicit, 0) || !explicit.constructed)
    fail('CMS ContentInfo has no [0] content');
  const [signedDataElement] = childrenOf(explicit, CMS_READ);
  const fields = sequenceOf(signedDataElement, TAG.SEQUENCE, CMS_READ, 'CMS SignedData');

  // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo, [0] certificates OPTIONAL,
  //   [1] crls OPTIONAL, signerInfos SET }
  let i = 0;
  integerBytes(fields[i++], CMS_READ, 'SignedData version');
  const digestAlgorithms = sequenceOf(fields[i++], TAG.SET, CMS_READ, 'SignedData digestAlgorithms').map(
    (a) => algorithmIdentifier(a, 'SignedData digestAlgorithm').oid,
  );
  const encap = sequenceOf(fields[i++], TAG.SEQUENCE, CMS_READ, 'SignedData encapContentInfo');
  const eContentType = readOid(encap[0], CMS_READ, 'encapContentInfo eContentType');
  let eContent: DerElement | undefined;
  if (encap[1] !== undefined) {
    if (!isContext(encap[1], 0) || !encap[1].constructed) fail('encapContentInfo eContent is not [0]');
    eContent = childrenOf(encap[1], CMS_READ)[0];
  }
  let certificateSet: DerElement[] = [];
  if (isContext(fields[i], 0)) {
    if (!fields[i]!.constructed) fail('SignedData certificates [0] is not constructed');
    certificateSet = childrenOf(fields[i++]!, CMS_READ);
  }
  if (isContext(fields[i], 1)) i++;
  const signerInfos = sequenceOf(fields[i++], TAG.SET, CMS_READ, 'SignedData signerInfos');

  const certificates: ParsedCertificate[] = [];
  for (const [index, element] of certificateSet.entries()) {
    // Only plain certificates (SEQUENCE); attribute and other certificate choices are tagged [1]..[3].
    if (!isUniversal(element, TAG.SEQUENCE)) continue;
    try {
      certificates.push(parseCertificate(elementBytes(element)));
    } catch (cause) {
      // A certificate that does not parse makes the SignedData malformed, as a full parse always did:
      // skipping it could turn "cannot be read" into "signer certificate missing" (invalid).
      fail(`SignedData certificate [${index}] cannot be parsed: ${(cause as Error).message}`);
    }
  }
  return {
    digestAlgorithms,
    contentType: eContentType,
    eContent,
    content: eContent ? joinedContents(eContent, CMS_READ, 'encapsulated content') : undefined,
    certificates,
    certificateSetSize: certificateSet.length,
    signers: signerInfos.map((si) => describeSignerInfo(parseSignerInfo(si), certificates, eContentType)),
  };
}

function algorithmIdentifier(el: DerElement | undefined, what: string): AlgorithmIdentifier {
  const [oid, parameters] = sequenceOf(el, TAG.SEQUENCE, CMS_READ, what);
  return { oid: readOid(oid, CMS_READ, what), parameters };
}

/** SignerInfo ::= SEQUENCE { version, sid, digestAlgorithm, [0] signedAttrs OPTIONAL, signatureAlgorithm, signature, [1] unsignedAttrs OPTIONAL } */
export function parseSignerInfo(el: DerElement): CmsSignerInfo {
  const fields = sequenceOf(el, TAG.SEQUENCE, CMS_READ, 'SignerInfo');
  let i = 0;
  const version = smallInteger(fields[i++], CMS_READ, 'SignerInfo version');
  const sid = signerIdentifier(fields[i++]);
  const digestAlgorithm = algorithmIdentifier(fields[i++], 'SignerInfo digestAlgorithm');
  let signedAttrs: CmsAttributes | undefined;
  if (isContext(fields[i], 0)) {
    signedAttrs = attributes(fields[i++]!, 'signed attributes');
    // SignedAttributes ::= SET SIZE (1..MAX): an empty set read as "none" would have the signature checked
    // over the content, where OpenSSL hashes the empty set and fails it.
    if (signedAttrs.attributes.length === 0) fail('SignerInfo signed attributes are an empty set');
  }
  const signatureAlgorithm = algorithmIdentifier(fields[i++], 'SignerInfo signatureAlgorithm');
  const signature = octetStringValue(fields[i++], CMS_READ, 'SignerInfo signature');
  let unsignedAttrs: CmsAttributes | undefined;
  if (isContext(fields[i], 1)) unsignedAttrs = attributes(fields[i++]!, 'unsigned attributes');
  if (i < fields.length) fail('SignerInfo has unexpected trailing fields');
  return { version, sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature, unsignedAttrs };
}

function signerIdentifier(el: DerElement | undefined): SignerIdentifier {
  if (isUniversal(el, TAG.SEQUENCE)) {
    // IssuerAndSerialNumber ::= SEQUENCE { issuer Name, serialNumber INTEGER }
    const [issuer, serial] = sequenceOf(el, TAG.SEQUENCE, CMS_READ, 'SignerInfo issuerAndSerialNumber');
    checkName(issuer, 'SignerInfo sid issuer');
    return {
      kind: 'issuerAndSerialNumber',
      issuer: elementBytes(issuer!),
      serialNumber: integerBytes(serial, CMS_READ, 'SignerInfo sid serialNumber'),
    };
  }
  if (el && isContext(el, 0)) {
    // subjectKeyIdentifier [0] IMPLICIT OCTET STRING (or, from some encoders, EXPLICIT).
    if (!el.constructed) return { kind: 'subjectKeyIdentifier', keyIdentifier: contentBytes(el) };
    const inner = childrenOf(el, CMS_READ)[0];
    if (isUniversal(inner, TAG.OCTET_STRING)) {
      return { kind: 'subjectKeyIdentifier', keyIdentifier: octetStringValue(inner, CMS_READ, 'sid') };
    }
  }
  return fail('SignerInfo sid is neither issuerAndSerialNumber nor subjectKeyIdentifier');
}

/** Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value ANY } (shape only; values are compared as bytes). */
function checkName(el: DerElement | undefined, what: string): void {
  for (const rdn of sequenceOf(el, TAG.SEQUENCE, CMS_READ, what)) {
    for (const atv of sequenceOf(rdn, TAG.SET, CMS_READ, what)) {
      const [type, value, ...extra] = sequenceOf(atv, TAG.SEQUENCE, CMS_READ, what);
      readOid(type, CMS_READ, what);
      if (!value) fail(`${what}: attribute without a value`);
      // AttributeTypeAndValue is exactly two fields; OpenSSL refuses a third ("sequence length mismatch").
      if (extra.length > 0) fail(`${what}: attribute with more than one value`);
    }
  }
}

/** `[n] IMPLICIT SET OF Attribute`, Attribute ::= SEQUENCE { attrType OID, attrValues SET OF ANY } */
function attributes(el: DerElement, what: string): CmsAttributes {
  if (!el.constructed) fail(`${what} are not constructed`);
  return {
    der: elementBytes(el),
    attributes: childrenOf(el, CMS_READ).map((a) => {
      const [type, values] = sequenceOf(a, TAG.SEQUENCE, CMS_READ, `${what}: attribute`);
      return {
        type: readOid(type, CMS_READ, `${what}: attribute type`),
        values: sequenceOf(values, TAG.SET, CMS_READ, `${what}: attribute values`),
      };
    }),
  };
}

export function describeSignerInfo(
  signerInfo: CmsSignerInfo,
  pool: ParsedCertificate[],
  contentType?: string,
): SignerInfoView {
  const signingTimeValue = signerInfo.signedAttrs?.attributes.find((a) => a.type === OID.signingTime)
    ?.values[0];
  let signingTime: Date | undefined;
  if (
    signingTimeValue &&
    (isUniversal(signingTimeValue, TAG.UTC_TIME) || isUniversal(signingTimeValue, TAG.GENERALIZED_TIME))
  ) {
    signingTime = readTime(signingTimeValue, CMS_READ, 'signingTime attribute');
  }
  return {
    signerInfo,
    certificate: findSignerCertificate(signerInfo.sid, pool),
    digestAlgorithm: oidName(signerInfo.digestAlgorithm.oid),
    signatureAlgorithm: oidName(signerInfo.signatureAlgorithm.oid),
    signatureValue: signerInfo.signature,
    signingTime,
    hasSignedAttributes: Boolean(signerInfo.signedAttrs?.attributes.length),
    contentType,
  };
}

/** Locates the certificate by issuerAndSerialNumber or subjectKeyIdentifier, as CMS requires. */
export function findSignerCertificate(
  sid: SignerIdentifier | undefined,
  pool: ParsedCertificate[],
): ParsedCertificate | undefined {
  if (!sid) return undefined;
  if (sid.kind === 'subjectKeyIdentifier') {
    return pool.find((p) => p.subjectKeyIdentifier && equalBytes(p.subjectKeyIdentifier, sid.keyIdentifier));
  }
  return pool.find(
    (p) => equalBytes(p.serialNumber, sid.serialNumber) && namesEqual(p.issuerDer, sid.issuer),
  );
}

function attributeValues(attrs: CmsAttributes | undefined, oid: string): DerElement[] {
  return (attrs?.attributes ?? []).filter((a) => a.type === oid).flatMap((a) => a.values);
}

export function unsignedAttributeValues(signerInfo: CmsSignerInfo, oid: string): DerElement[] {
  return attributeValues(signerInfo.unsignedAttrs, oid);
}

export function signedAttributeValues(signerInfo: CmsSignerInfo, oid: string): DerElement[] {
  return attributeValues(signerInfo.signedAttrs, oid);
}

/** Parses an RFC 3161 TimeStampToken (a ContentInfo whose SignedData encapsulates TSTInfo). */
export function parseTimeStampToken(der: Uint8Array): TimestampInfo {
  const info = parseSignedData(der);
  if (info.contentType !== OID.tstInfo || !info.content) {
    throw new SigscanError('MALFORMED_CMS', 'timestamp token does not encapsulate a TSTInfo');
  }
  const tst = parseTstInfo(info.content);
  return {
    kind: 'rfc3161',
    time: tst.genTime,
    imprintAlgorithm: oidName(tst.imprintAlgorithm),
    imprint: tst.imprint,
    signer: info.signers[0],
    certificates: info.certificates,
    content: info.content,
  };
}

const TST_READ: DerReadOptions = { code: 'MALFORMED_CMS', ber: true };

/**
 * TSTInfo ::= SEQUENCE { version, policy OID, messageImprint SEQUENCE { AlgorithmIdentifier, OCTET STRING },
 *   serialNumber INTEGER, genTime GeneralizedTime, accuracy, ordering, nonce, tsa [0], extensions [1] }
 */
export function parseTstInfo(der: Uint8Array): {
  genTime: Date;
  imprintAlgorithm: string;
  imprint: Uint8Array;
} {
  const fields = sequenceOf(readElement(der, TST_READ), TAG.SEQUENCE, TST_READ, 'TSTInfo');
  integerBytes(fields[0], TST_READ, 'TSTInfo version');
  readOid(fields[1], TST_READ, 'TSTInfo policy');
  const [algorithm, hashed] = sequenceOf(fields[2], TAG.SEQUENCE, TST_READ, 'TSTInfo messageImprint');
  integerBytes(fields[3], TST_READ, 'TSTInfo serialNumber');
  const genTime = fields[4];
  if (!genTime || !isUniversal(genTime, TAG.GENERALIZED_TIME))
    fail('malformed TSTInfo: genTime is not a GeneralizedTime');
  return {
    genTime: readTime(genTime, TST_READ, 'TSTInfo genTime'),
    imprintAlgorithm: algorithmIdentifier(algorithm, 'TSTInfo hashAlgorithm').oid,
    imprint: octetStringValue(hashed, TST_READ, 'TSTInfo hashedMessage'),
  };
}

/**
 * Timestamps and countersignatures attached to a signer: RFC 3161 tokens (standard and Microsoft OIDs)
 * and PKCS #9 countersignatures, whose certificate sits in the parent's certificate set.
 */
export function signerTimestamps(
  signer: SignerInfoView,
  parentCertificates: ParsedCertificate[],
): TimestampInfo[] {
  const out: TimestampInfo[] = [];
  for (const oid of [OID.timeStampToken, OID.msRfc3161Timestamp]) {
    for (const value of unsignedAttributeValues(signer.signerInfo, oid)) {
      out.push(parseTimeStampToken(elementBytes(value)));
    }
  }
  for (const value of unsignedAttributeValues(signer.signerInfo, OID.counterSignature)) {
    let counter: CmsSignerInfo;
    try {
      counter = parseSignerInfo(value);
    } catch (cause) {
      throw new SigscanError(
        'MALFORMED_CMS',
        `malformed PKCS #9 countersignature: ${(cause as Error).message}`,
        { cause },
      );
    }
    const view = describeSignerInfo(counter, parentCertificates);
    const digest = signedAttributeValues(counter, OID.messageDigest)[0];
    out.push({
      kind: 'pkcs9',
      time: view.signingTime ?? new Date(NaN),
      imprintAlgorithm: view.digestAlgorithm,
      imprint: digest ? (digest.constructed ? new Uint8Array(0) : contentBytes(digest)) : undefined,
      signer: view,
      certificates: parentCertificates,
    });
  }
  return out;
}
