import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { SigscanError } from '../../errors.js';
import {
  describeSignedData,
  findSignerCertificate,
  OID,
  signedAttributeValues,
  signerTimestamps,
  unsignedAttributeValues,
  type SignedDataInfo,
  type SignerInfoView,
  type TimestampInfo,
} from '../cms.js';
import { oidName, parseAsn1 } from '../der.js';
import { parseCertificate, type ParsedCertificate } from '../x509.js';
import { parsePeLayout, type PeLayout } from './pe-file.js';

/**
 * Authenticode signatures inside a PE certificate table (formats.md §7.1, §7.3-§7.5): WIN_CERTIFICATE
 * records, the PKCS #7 SignedData each holds, its SpcIndirectDataContent (the signed image hash), the
 * SpcSpOpusInfo attribute, page-hash presence, nested signatures and countersignatures. Nothing here
 * verifies a signature; the trust layer does that from the raw bytes kept alongside.
 */

export const AUTHENTICODE_OID = {
  spcPeImageData: '1.3.6.1.4.1.311.2.1.15',
  spcSpOpusInfo: '1.3.6.1.4.1.311.2.1.12',
  pageHashesV1: '1.3.6.1.4.1.311.2.3.1',
  pageHashesV2: '1.3.6.1.4.1.311.2.3.2',
} as const;

/** Class id of the SpcSerializedObject that carries page hashes. */
const PAGE_HASH_CLASS_ID = 'a6b586d5b4a12466ae05a217da8e60d6';

export const WIN_CERT_REVISION_2_0 = 0x0200;
export const WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002;

export interface AuthenticodeBounds {
  /** Largest certificate table accepted. */
  maxTableBytes: number;
  /** WIN_CERTIFICATE records read from one table. */
  maxRecords: number;
  /** Nested-signature recursion depth; the primary signature is depth 0. */
  maxNestingDepth: number;
  /** Nested signatures accepted under one signer. */
  maxNestedPerSignature: number;
  /** Certificates accepted in one SignedData. */
  maxCertificates: number;
}

export const DEFAULT_AUTHENTICODE_BOUNDS: AuthenticodeBounds = {
  maxTableBytes: 8 * 1024 * 1024,
  maxRecords: 16,
  maxNestingDepth: 4,
  maxNestedPerSignature: 16,
  maxCertificates: 64,
};

export interface WinCertificateRecord {
  index: number;
  /** File offset of the record header. */
  offset: number;
  /** dwLength: header plus content, before 8-byte alignment. */
  length: number;
  revision: number;
  certificateType: number;
  content: Uint8Array;
}

export interface CertificateTable {
  records: WinCertificateRecord[];
  /** Size is not a multiple of 8, which the format requires. */
  misaligned: boolean;
  /** Bytes of the file after the end of the table (the table is normally the last thing in the file). */
  bytesAfterTable: number;
}

export interface SpcIndirectData {
  /** SpcAttributeTypeAndOptionalValue.type; SPC_PE_IMAGE_DATA for PE files. */
  dataType: string;
  digestAlgorithm: string;
  /** The image hash the signer committed to. */
  digest: Uint8Array;
  pageHashes?: 'v1' | 'v2';
  /** The full DER of SpcIndirectDataContent as stored (the messageDigest attribute covers its contents octets). */
  der: Uint8Array;
}

export interface AuthenticodeSignature {
  /** `certificate-table[i]` or `certificate-table[i]/nested[j]/...` (indices from 0). */
  location: string;
  depth: number;
  signedDataDer: Uint8Array;
  signedData: SignedDataInfo;
  /** The SignerInfo (Authenticode allows exactly one; `signerInfoCount` says how many there were). */
  signer: SignerInfoView;
  signerInfoCount: number;
  /** SignedData certificates with the exact DER bytes the file holds. */
  certificates: ParsedCertificate[];
  signerCertificate?: ParsedCertificate;
  indirectData: SpcIndirectData;
  programName?: string;
  moreInfoUrl?: string;
  /** digestAlgorithms of SignedData, SignerInfo and SpcIndirectDataContent, which must agree (§7.3). */
  digestAlgorithms: { signedData: string[]; signerInfo: string; indirectData: string };
  timestamps: TimestampInfo[];
  /** Raw RFC 3161 tokens from the unsigned attributes, in the order found. */
  timestampTokensDer: Uint8Array[];
  /** Problems found while parsing optional parts (a broken timestamp, a broken nested signature). */
  problems: string[];
  nested: AuthenticodeSignature[];
}

export interface PeAuthenticode {
  layout: PeLayout;
  table: CertificateTable;
  /** One primary signature per PKCS #7 SignedData record, each with its nested signatures. */
  signatures: Array<{ record: WinCertificateRecord; signature: AuthenticodeSignature }>;
  /** Records this parser does not read (X.509 or TS-stack types), reported but never verified. */
  skippedRecords: WinCertificateRecord[];
}

/**
 * Locates and parses every Authenticode signature of a PE image. An unsigned image gives no signatures;
 * a file that is not a PE, or whose headers or certificate table are out of bounds, throws MALFORMED_PE.
 */
export function readPeAuthenticode(
  bytes: Uint8Array,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
): PeAuthenticode {
  const layout = parsePeLayout(bytes);
  const table = readCertificateTable(bytes, layout, bounds);
  const signatures: PeAuthenticode['signatures'] = [];
  const skippedRecords: WinCertificateRecord[] = [];
  for (const record of table.records) {
    if (record.certificateType !== WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
      skippedRecords.push(record);
      continue;
    }
    signatures.push({
      record,
      signature: parseAuthenticodeSignature(record.content, `certificate-table[${record.index}]`, bounds),
    });
  }
  return { layout, table, signatures, skippedRecords };
}

/** Reads the WIN_CERTIFICATE records of a signed image. Returns no records for an unsigned one. */
export function readCertificateTable(
  bytes: Uint8Array,
  layout: PeLayout,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
): CertificateTable {
  const { offset, size } = layout.certificateTable;
  if (size === 0) return { records: [], misaligned: false, bytesAfterTable: 0 };
  if (size > bounds.maxTableBytes) {
    throw new SigscanError(
      'MALFORMED_PE',
      `certificate table is ${size} bytes (limit ${bounds.maxTableBytes})`,
    );
  }
  const end = offset + size;
  if (end > bytes.length)
    throw new SigscanError('MALFORMED_PE', 'certificate table runs past the end of the file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: WinCertificateRecord[] = [];
  let pos = offset;
  while (pos + 8 <= end) {
    const length = view.getUint32(pos, true);
    // Zero padding after the last record is not a record.
    if (length === 0 && bytes.subarray(pos, end).every((b) => b === 0)) break;
    if (length < 8 || length > end - pos) {
      throw new SigscanError(
        'MALFORMED_PE',
        `WIN_CERTIFICATE[${records.length}] at 0x${pos.toString(16)} has dwLength ${length}, ` +
          `outside [8, ${end - pos}]`,
      );
    }
    if (records.length >= bounds.maxRecords) {
      throw new SigscanError('MALFORMED_PE', `more than ${bounds.maxRecords} WIN_CERTIFICATE records`);
    }
    records.push({
      index: records.length,
      offset: pos,
      length,
      revision: view.getUint16(pos + 4, true),
      certificateType: view.getUint16(pos + 6, true),
      content: bytes.subarray(pos + 8, pos + length),
    });
    pos += Math.ceil(length / 8) * 8;
  }
  return { records, misaligned: size % 8 !== 0, bytesAfterTable: bytes.length - end };
}

/**
 * Parses one PKCS #7 Authenticode signature and, recursively up to `bounds.maxNestingDepth`, the
 * signatures nested in its unsigned attributes.
 */
export function parseAuthenticodeSignature(
  der: Uint8Array,
  location: string,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
  depth = 0,
): AuthenticodeSignature {
  let contentInfoAsn: asn1js.AsnType;
  let signedData: pkijs.SignedData;
  try {
    contentInfoAsn = parseAsn1(der, 'MALFORMED_CMS', `${location}: PKCS #7 ContentInfo`);
    const contentInfo = new pkijs.ContentInfo({ schema: contentInfoAsn });
    if (contentInfo.contentType !== OID.signedData) {
      throw new SigscanError(
        'MALFORMED_CMS',
        `${location}: content type ${contentInfo.contentType} is not signedData`,
      );
    }
    signedData = new pkijs.SignedData({ schema: contentInfo.content });
  } catch (cause) {
    if (cause instanceof SigscanError) throw cause;
    // Includes RangeError from hostile nesting depth: asn1js parses recursively.
    throw new SigscanError(
      'MALFORMED_CMS',
      `${location}: malformed SignedData: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }

  const certificates = originalCertificates(contentInfoAsn, location, bounds);
  const info = describeSignedData(signedData);
  if (info.contentType !== OID.spcIndirectData) {
    throw new SigscanError(
      'MALFORMED_CMS',
      `${location}: encapsulated content is ${info.contentType}, not SpcIndirectDataContent`,
    );
  }
  const firstSigner = info.signers[0];
  if (!firstSigner) throw new SigscanError('MALFORMED_CMS', `${location}: SignedData has no SignerInfo`);
  // describeSignedData looks the signer up among re-encoded certificates; use the original bytes instead.
  const signerCertificate = findSignerCertificate(firstSigner.signerInfo.sid, certificates);
  const signer: SignerInfoView = { ...firstSigner, certificate: signerCertificate };

  const indirectData = parseIndirectData(signedData, location);
  const opus = parseOpusInfo(signer.signerInfo);
  const problems: string[] = [];

  const timestampTokensDer = [OID.timeStampToken, OID.msRfc3161Timestamp].flatMap((oid) =>
    unsignedAttributeValues(signer.signerInfo, oid).map((v) => originalBytes(v as asn1js.BaseBlock)),
  );
  let timestamps: TimestampInfo[] = [];
  try {
    // signerTimestamps lists RFC 3161 tokens first, in the same attribute order as timestampTokensDer.
    timestamps = signerTimestamps(signer, certificates).map((ts, i) => {
      const tokenDer = timestampTokensDer[i];
      if (ts.kind !== 'rfc3161' || !tokenDer || !ts.signer) return ts;
      const tokenCertificates = originalCertificates(
        parseAsn1(tokenDer, 'MALFORMED_CMS', `${location}: timestamp token`),
        `${location}: timestamp token`,
        bounds,
      );
      const certificate = findSignerCertificate(ts.signer.signerInfo.sid, tokenCertificates);
      return { ...ts, signer: { ...ts.signer, certificate }, certificates: tokenCertificates };
    });
  } catch (cause) {
    problems.push(`timestamp: ${(cause as Error).message}`);
  }

  const nested: AuthenticodeSignature[] = [];
  const nestedValues = unsignedAttributeValues(signer.signerInfo, OID.msNestedSignature);
  if (nestedValues.length > 0 && depth >= bounds.maxNestingDepth) {
    problems.push(`nested signatures deeper than ${bounds.maxNestingDepth} levels were not read`);
  } else {
    if (nestedValues.length > bounds.maxNestedPerSignature) {
      problems.push(
        `${nestedValues.length} nested signatures; only the first ${bounds.maxNestedPerSignature} read`,
      );
    }
    nestedValues.slice(0, bounds.maxNestedPerSignature).forEach((value, i) => {
      const nestedLocation = `${location}/nested[${i}]`;
      try {
        nested.push(
          parseAuthenticodeSignature(
            originalBytes(value as asn1js.BaseBlock),
            nestedLocation,
            bounds,
            depth + 1,
          ),
        );
      } catch (cause) {
        problems.push(`${nestedLocation}: ${(cause as Error).message}`);
      }
    });
  }

  return {
    location,
    depth,
    signedDataDer: der,
    signedData: info,
    signer,
    signerInfoCount: info.signers.length,
    certificates,
    signerCertificate,
    indirectData,
    ...opus,
    digestAlgorithms: {
      signedData: signedData.digestAlgorithms.map((a) => oidName(a.algorithmId)),
      signerInfo: signer.digestAlgorithm,
      indirectData: indirectData.digestAlgorithm,
    },
    timestamps,
    timestampTokensDer,
    problems,
    nested,
  };
}

/** The signature and every nested one below it, depth first, primary first. */
export function flattenSignatures(signature: AuthenticodeSignature): AuthenticodeSignature[] {
  return [signature, ...signature.nested.flatMap(flattenSignatures)];
}

/** `SHA256withRSA`-style name; CMS often names only the key algorithm (rsaEncryption) in SignerInfo. */
export function signerAlgorithmName(signer: SignerInfoView): string {
  const digest = signer.digestAlgorithm.replace('-', '');
  switch (signer.signatureAlgorithm) {
    case 'RSA':
      return `${digest}withRSA`;
    case 'EC':
      return `${digest}withECDSA`;
    case 'DSA':
      return `${digest}withDSA`;
    default:
      return signer.signatureAlgorithm;
  }
}

/**
 * Certificates with the bytes the file holds: pkijs re-encodes parsed certificates, which changes the
 * fingerprint of any certificate that was not strictly DER to begin with.
 */
function originalCertificates(
  contentInfo: asn1js.AsnType,
  location: string,
  bounds: AuthenticodeBounds,
): ParsedCertificate[] {
  const signedDataSeq = childrenOf(childrenOf(contentInfo)[1])[0];
  const certificateSet = childrenOf(signedDataSeq).find(
    (b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0 && b.idBlock.isConstructed,
  );
  const blocks = childrenOf(certificateSet);
  if (blocks.length > bounds.maxCertificates) {
    throw new SigscanError(
      'MALFORMED_CMS',
      `${location}: ${blocks.length} certificates (limit ${bounds.maxCertificates})`,
    );
  }
  const out: ParsedCertificate[] = [];
  for (const block of blocks) {
    // Only plain certificates (SEQUENCE); attribute and other certificate choices are tagged [1]..[3].
    if (block.idBlock.tagClass !== 1 || block.idBlock.tagNumber !== 16) continue;
    try {
      out.push(parseCertificate(originalBytes(block)));
    } catch {
      // A broken certificate in the bag is not fatal; a missing signer certificate is reported later.
    }
  }
  return out;
}

function parseIndirectData(signedData: pkijs.SignedData, location: string): SpcIndirectData {
  const eContent = signedData.encapContentInfo.eContent as unknown as asn1js.BaseBlock | undefined;
  const fail = (why: string): never => {
    throw new SigscanError('MALFORMED_CMS', `${location}: SpcIndirectDataContent ${why}`);
  };
  if (!eContent) return fail('is missing');
  const [attribute, digestInfo] = childrenOf(eContent);
  const [typeOid, value] = childrenOf(attribute);
  const [algorithmId, digest] = childrenOf(digestInfo);
  const [algorithmOid] = childrenOf(algorithmId);
  if (!(typeOid instanceof asn1js.ObjectIdentifier)) return fail('has no data type');
  if (!(algorithmOid instanceof asn1js.ObjectIdentifier)) return fail('has no digest algorithm');
  if (!(digest instanceof asn1js.OctetString)) return fail('has no digest');
  const dataType = typeOid.valueBlock.toString();
  return {
    dataType,
    digestAlgorithm: oidName(algorithmOid.valueBlock.toString()),
    digest: new Uint8Array(digest.valueBlock.valueHexView),
    pageHashes: dataType === AUTHENTICODE_OID.spcPeImageData ? pageHashVersion(value) : undefined,
    der: originalBytes(eContent),
  };
}

/**
 * SpcPeImageData ::= SEQUENCE { flags BIT STRING, file [0] EXPLICIT SpcLink }; page hashes live in an
 * SpcLink moniker ([1] SpcSerializedObject { classId, serializedData }) with the page-hash class id.
 */
function pageHashVersion(peImageData: asn1js.BaseBlock | undefined): 'v1' | 'v2' | undefined {
  const file = childrenOf(peImageData).find((b) => b.idBlock.tagClass === 3 && b.idBlock.tagNumber === 0);
  const link = childrenOf(file)[0];
  if (!link || link.idBlock.tagClass !== 3 || link.idBlock.tagNumber !== 1) return undefined;
  const [classId, serialized] = childrenOf(link).map(primitiveBytes);
  if (!classId || !serialized || Buffer.from(classId).toString('hex') !== PAGE_HASH_CLASS_ID)
    return undefined;
  let oids: Set<string>;
  try {
    const parsed = asn1js.fromBER(Buffer.from(serialized));
    if (parsed.offset === -1) return undefined;
    oids = new Set(collectOids(parsed.result, 0));
  } catch {
    return undefined;
  }
  if (oids.has(AUTHENTICODE_OID.pageHashesV2)) return 'v2';
  if (oids.has(AUTHENTICODE_OID.pageHashesV1)) return 'v1';
  return undefined;
}

/** SpcSpOpusInfo ::= SEQUENCE { programName [0] EXPLICIT SpcString OPTIONAL, moreInfo [1] EXPLICIT SpcLink OPTIONAL } */
function parseOpusInfo(signerInfo: pkijs.SignerInfo): { programName?: string; moreInfoUrl?: string } {
  const opus = signedAttributeValues(signerInfo, AUTHENTICODE_OID.spcSpOpusInfo)[0] as
    asn1js.BaseBlock | undefined;
  const out: { programName?: string; moreInfoUrl?: string } = {};
  for (const field of childrenOf(opus)) {
    if (field.idBlock.tagClass !== 3) continue;
    const inner = childrenOf(field)[0];
    if (!inner || inner.idBlock.tagClass !== 3) continue;
    if (field.idBlock.tagNumber === 0) {
      const name = spcString(inner);
      if (name !== undefined) out.programName = name;
    } else if (field.idBlock.tagNumber === 1 && inner.idBlock.tagNumber === 0) {
      // SpcLink url [0] IMPLICIT IA5String; monikers and files are not URLs.
      const bytes = primitiveBytes(inner);
      if (bytes) out.moreInfoUrl = Buffer.from(bytes).toString('latin1');
    } else if (field.idBlock.tagNumber === 1 && inner.idBlock.tagNumber === 2) {
      const text = spcString(childrenOf(inner)[0]);
      if (text !== undefined) out.moreInfoUrl = text;
    }
  }
  return out;
}

/** SpcString ::= CHOICE { unicode [0] IMPLICIT BMPString, ascii [1] IMPLICIT IA5String } */
function spcString(block: asn1js.BaseBlock | undefined): string | undefined {
  const bytes = block ? primitiveBytes(block) : undefined;
  if (!block || !bytes) return undefined;
  if (block.idBlock.tagNumber === 0) {
    const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
    return swapped.swap16().toString('utf16le');
  }
  return Buffer.from(bytes).toString('latin1');
}

function collectOids(block: asn1js.BaseBlock, depth: number): string[] {
  if (depth > 8) return [];
  if (block instanceof asn1js.ObjectIdentifier) return [block.valueBlock.toString()];
  return childrenOf(block).flatMap((c) => collectOids(c, depth + 1));
}

function childrenOf(block: asn1js.BaseBlock | undefined): asn1js.BaseBlock[] {
  const value = (block?.valueBlock as { value?: unknown } | undefined)?.value;
  return Array.isArray(value) ? (value as asn1js.BaseBlock[]) : [];
}

/** Contents of a primitive element, whatever its tag (implicitly tagged strings parse as bare primitives). */
function primitiveBytes(block: asn1js.BaseBlock): Uint8Array | undefined {
  if (block.idBlock.isConstructed) {
    // BER constructed strings: join the pieces.
    const parts = childrenOf(block).map(primitiveBytes);
    return parts.every(Boolean) ? new Uint8Array(Buffer.concat(parts as Uint8Array[])) : undefined;
  }
  const hexView = (block.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
  return hexView ? new Uint8Array(hexView) : undefined;
}

/** The bytes an element was decoded from, so hashes and fingerprints cover what the file holds. */
function originalBytes(block: asn1js.BaseBlock): Uint8Array {
  const view = block.valueBeforeDecodeView;
  return view && view.byteLength > 0 ? new Uint8Array(view) : new Uint8Array(block.toBER());
}
