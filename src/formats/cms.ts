import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { SigscanError } from '../errors.js';
import { oidName, sha256Hex, toArrayBuffer } from './der.js';
import { certificateFromPkijs, type ParsedCertificate } from './x509.js';

/**
 * CMS SignedData as JAR blocks, Authenticode and RFC 3161 tokens use it. pkijs does the ASN.1; this
 * file adds what those formats share: finding the signer certificate by `sid` (never "the first one"),
 * and reading timestamps and countersignatures out of unsigned attributes.
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

export interface SignedDataInfo {
  signedData: pkijs.SignedData;
  /** eContentType of the encapsulated content. */
  contentType: string;
  /** Encapsulated content octets when attached (Authenticode, RFC 3161); undefined when detached (JAR). */
  content?: Uint8Array;
  certificates: ParsedCertificate[];
  signers: SignerInfoView[];
}

export interface SignerInfoView {
  signerInfo: pkijs.SignerInfo;
  /** The certificate `sid` names, if the SignedData carries it. */
  certificate?: ParsedCertificate;
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** The SignerInfo.signature OCTET STRING contents: what timestamps and countersignatures hash. */
  signatureValue: Uint8Array;
  signingTime?: Date;
  hasSignedAttributes: boolean;
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
 * pkijs' schema matching makes a SignedData parse cost milliseconds; the detector and the verifier
 * parse the same block, so recent parses are kept by the DER's SHA-256 (bounded, never mutated).
 */
const PARSE_CACHE_LIMIT = 256;
const parsedSignedData = new Map<string, SignedDataInfo>();

export function parseSignedData(der: Uint8Array): SignedDataInfo {
  const key = sha256Hex(der);
  const hit = parsedSignedData.get(key);
  if (hit) return hit;
  const info = parseSignedDataUncached(der);
  if (parsedSignedData.size >= PARSE_CACHE_LIMIT)
    parsedSignedData.delete(parsedSignedData.keys().next().value!);
  parsedSignedData.set(key, info);
  return info;
}

function parseSignedDataUncached(der: Uint8Array): SignedDataInfo {
  let contentInfo: pkijs.ContentInfo;
  try {
    contentInfo = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
  } catch (cause) {
    throw new SigscanError('MALFORMED_CMS', `not a CMS ContentInfo: ${(cause as Error).message}`, { cause });
  }
  if (contentInfo.contentType !== OID.signedData) {
    throw new SigscanError('MALFORMED_CMS', `CMS content type is ${contentInfo.contentType}, not signedData`);
  }
  let signedData: pkijs.SignedData;
  try {
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch (cause) {
    throw new SigscanError('MALFORMED_CMS', `malformed CMS SignedData: ${(cause as Error).message}`, {
      cause,
    });
  }
  return describeSignedData(signedData);
}

export function describeSignedData(
  signedData: pkijs.SignedData,
  extraCertificates: ParsedCertificate[] = [],
): SignedDataInfo {
  const certificates: ParsedCertificate[] = [];
  for (const c of signedData.certificates ?? []) {
    if (c instanceof pkijs.Certificate) {
      try {
        certificates.push(certificateFromPkijs(c));
      } catch {
        // A broken certificate in the bag is not fatal; the signer lookup reports if it was needed.
      }
    }
  }
  const pool = [...certificates, ...extraCertificates];
  const encap = signedData.encapContentInfo;
  return {
    signedData,
    contentType: encap.eContentType,
    content: encap.eContent ? octetStringContents(encap.eContent) : undefined,
    certificates,
    signers: signedData.signerInfos.map((si) => describeSignerInfo(si, pool)),
  };
}

export function describeSignerInfo(signerInfo: pkijs.SignerInfo, pool: ParsedCertificate[]): SignerInfoView {
  const signingTimeAttr = signerInfo.signedAttrs?.attributes.find((a) => a.type === OID.signingTime);
  const timeValue = signingTimeAttr?.values[0] as asn1js.UTCTime | asn1js.GeneralizedTime | undefined;
  return {
    signerInfo,
    certificate: findSignerCertificate(signerInfo.sid, pool),
    digestAlgorithm: oidName(signerInfo.digestAlgorithm.algorithmId),
    signatureAlgorithm: oidName(signerInfo.signatureAlgorithm.algorithmId),
    signatureValue: new Uint8Array(signerInfo.signature.valueBlock.valueHexView),
    signingTime: timeValue && 'toDate' in timeValue ? timeValue.toDate() : undefined,
    hasSignedAttributes: Boolean(signerInfo.signedAttrs?.attributes.length),
  };
}

/** Locates the certificate by issuerAndSerialNumber or subjectKeyIdentifier, as CMS requires. */
export function findSignerCertificate(
  sid: unknown,
  pool: ParsedCertificate[],
): ParsedCertificate | undefined {
  if (sid instanceof pkijs.IssuerAndSerialNumber) {
    return pool.find(
      (p) => p.cert.issuer.isEqual(sid.issuer) && p.cert.serialNumber.isEqual(sid.serialNumber),
    );
  }
  // subjectKeyIdentifier [0]: compare with the certificate's SKI extension.
  const ski = sid instanceof asn1js.Constructed || sid instanceof asn1js.Primitive ? bytesOf(sid) : undefined;
  if (!ski) return undefined;
  return pool.find((p) => {
    const ext = p.cert.extensions?.find((e) => e.extnID === '2.5.29.14');
    const value = ext?.parsedValue as asn1js.OctetString | undefined;
    return value ? Buffer.from(value.valueBlock.valueHexView).equals(Buffer.from(ski)) : false;
  });
}

function bytesOf(block: asn1js.Constructed | asn1js.Primitive): Uint8Array | undefined {
  if (block instanceof asn1js.Primitive) return new Uint8Array(block.valueBlock.valueHexView);
  const inner = block.valueBlock.value[0];
  if (inner instanceof asn1js.OctetString || inner instanceof asn1js.Primitive) {
    return new Uint8Array(inner.valueBlock.valueHexView);
  }
  return undefined;
}

/** Contents octets of an OCTET STRING, joining the pieces of a constructed (BER) one. */
export function octetStringContents(os: asn1js.OctetString): Uint8Array {
  if (!os.idBlock.isConstructed) return new Uint8Array(os.valueBlock.valueHexView);
  const pieces: unknown = os.valueBlock.value;
  if (!Array.isArray(pieces))
    throw new SigscanError('MALFORMED_CMS', 'constructed OCTET STRING has no pieces');
  const parts = pieces.map((piece: unknown) => {
    // A fuzzed BER piece can carry the OCTET STRING tag without a parsed value block.
    if (!(piece instanceof asn1js.BaseBlock) || !piece.valueBlock || !piece.idBlock) {
      throw new SigscanError('MALFORMED_CMS', 'constructed OCTET STRING holds a malformed piece');
    }
    return octetStringContents(piece as asn1js.OctetString);
  });
  return new Uint8Array(Buffer.concat(parts));
}

export function unsignedAttributeValues(signerInfo: pkijs.SignerInfo, oid: string): unknown[] {
  return (signerInfo.unsignedAttrs?.attributes ?? []).filter((a) => a.type === oid).flatMap((a) => a.values);
}

export function signedAttributeValues(signerInfo: pkijs.SignerInfo, oid: string): unknown[] {
  return (signerInfo.signedAttrs?.attributes ?? []).filter((a) => a.type === oid).flatMap((a) => a.values);
}

/** Parses an RFC 3161 TimeStampToken (a ContentInfo whose SignedData encapsulates TSTInfo). */
export function parseTimeStampToken(der: Uint8Array): TimestampInfo {
  const info = parseSignedData(der);
  if (info.contentType !== OID.tstInfo || !info.content) {
    throw new SigscanError('MALFORMED_CMS', 'timestamp token does not encapsulate a TSTInfo');
  }
  let tst: pkijs.TSTInfo;
  try {
    tst = pkijs.TSTInfo.fromBER(toArrayBuffer(info.content));
  } catch (cause) {
    throw new SigscanError('MALFORMED_CMS', `malformed TSTInfo: ${(cause as Error).message}`, { cause });
  }
  return {
    kind: 'rfc3161',
    time: tst.genTime,
    imprintAlgorithm: oidName(tst.messageImprint.hashAlgorithm.algorithmId),
    imprint: new Uint8Array(tst.messageImprint.hashedMessage.valueBlock.valueHexView),
    signer: info.signers[0],
    certificates: info.certificates,
    content: info.content,
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
      out.push(parseTimeStampToken(new Uint8Array((value as asn1js.BaseBlock).toBER())));
    }
  }
  for (const value of unsignedAttributeValues(signer.signerInfo, OID.counterSignature)) {
    let counter: pkijs.SignerInfo;
    try {
      counter = new pkijs.SignerInfo({ schema: value as asn1js.Sequence });
    } catch (cause) {
      throw new SigscanError(
        'MALFORMED_CMS',
        `malformed PKCS #9 countersignature: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const view = describeSignerInfo(counter, parentCertificates);
    const digest = signedAttributeValues(counter, OID.messageDigest)[0] as asn1js.OctetString | undefined;
    out.push({
      kind: 'pkcs9',
      time: view.signingTime ?? new Date(NaN),
      imprintAlgorithm: view.digestAlgorithm,
      imprint: digest ? new Uint8Array(digest.valueBlock.valueHexView) : undefined,
      signer: view,
      certificates: parentCertificates,
    });
  }
  return out;
}
