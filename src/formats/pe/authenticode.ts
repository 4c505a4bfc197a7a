import { SigscanError } from '../../errors.js';
import {
  CMS_READ,
  OID,
  parseSignedData,
  signedAttributeValues,
  signerTimestamps,
  unsignedAttributeValues,
  type CmsSignerInfo,
  type SignedDataInfo,
  type SignerInfoView,
  type TimestampInfo,
} from '../cms.js';
import { oidName } from '../der.js';
import {
  childrenOf,
  CONTEXT,
  contentBytes,
  elementBytes,
  isContext,
  isUniversal,
  octetStringValue,
  readElement,
  readOid,
  TAG,
  type DerElement,
  type DerReadOptions,
} from '../der-reader.js';
import type { ParsedCertificate } from '../x509.js';
import { parsePeLayout, type PeLayout } from './pe-file.js';

/**
 * Authenticode signatures inside a PE certificate table (formats.md §7.1, §7.3-§7.5): WIN_CERTIFICATE
 * records, the PKCS #7 SignedData each holds, its SpcIndirectDataContent (the signed image hash), the
 * SpcSpOpusInfo attribute, page-hash presence, nested signatures and countersignatures. Nothing here
 * verifies a signature; the trust layer does that from the raw bytes kept alongside.
 */

export const AUTHENTICODE_OID = {
  spcPeImageData: '1.3.6.1.4.1.311.2.1.15',
  /**
   * SPC_INDIVIDUAL_SP_KEY_PURPOSE_OBJID, which pesign wrote as the data type by mistake; Debian's signed
   * fwupdx64.efi carries it. The Linux kernel accepts both (crypto/asymmetric_keys/mscode_parser.c,
   * mscode_note_content_type), osslsigncode and sbverify do not look at the type. No other SIP uses this
   * OID for content, so reading it as PE image data cannot confuse one format's hash with another's.
   */
  spcPeImageDataPesign: '1.3.6.1.4.1.311.2.1.21',
  spcSpOpusInfo: '1.3.6.1.4.1.311.2.1.12',
  /** SPC_CAB_DATA_OBJID: the data type of a cabinet's SpcIndirectDataContent (value: an obsolete SpcLink). */
  spcCabData: '1.3.6.1.4.1.311.2.1.25',
  /** SPC_SIPINFO_OBJID: MSI and script signatures; the value (SpcSipInfo) names the SIP by a GUID. */
  spcSipInfo: '1.3.6.1.4.1.311.2.1.30',
  /** szOID_CTL: the content of a security catalog's SignedData (a certificate trust list of member hashes). */
  ctl: '1.3.6.1.4.1.311.10.1',
  pageHashesV1: '1.3.6.1.4.1.311.2.3.1',
  pageHashesV2: '1.3.6.1.4.1.311.2.3.2',
} as const;

/** The SpcIndirectDataContent data types that mean "this is a PE image hash". */
export function isPeImageDataType(oid: string): boolean {
  return oid === AUTHENTICODE_OID.spcPeImageData || oid === AUTHENTICODE_OID.spcPeImageDataPesign;
}

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
  /**
   * Bytes of `content` after the first complete BER element (the PKCS #7 ContentInfo); undefined when no
   * element could be delimited. signtool pads inside dwLength with up to 7 zeros; anything else is data
   * no signature covers (CVE-2013-3900).
   */
  afterContentInfo?: Uint8Array;
  /** The alignment bytes between dwLength and the next 8-byte boundary (within the table). */
  alignment: Uint8Array;
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
  /**
   * For SPC_SIPINFO: the SIP GUID of SpcSipInfo ::= SEQUENCE { a INTEGER, string OCTET STRING, b..f INTEGER },
   * as 32 hex digits in stored byte order (osslsigncode's SpcUUIDSipInfo* arrays).
   */
  sipGuid?: string;
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
  return readSignatures(layout, readCertificateTable(bytes, layout, bounds), bounds);
}

/**
 * The same reading for a file held as its headers and certificate table only (files too large to hold):
 * `layout` parsed from the file's first bytes (`headerBytesNeeded`) and the file size, `tableBytes`
 * exactly the certificate table `layout` names (empty when it names none).
 */
export function readPeAuthenticodeParts(
  layout: PeLayout,
  tableBytes: Uint8Array,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
): PeAuthenticode {
  return readSignatures(layout, readCertificateRecords(tableBytes, layout, bounds), bounds);
}

function readSignatures(
  layout: PeLayout,
  table: CertificateTable,
  bounds: AuthenticodeBounds,
): PeAuthenticode {
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
  checkTableSize(size, bounds);
  if (offset + size > bytes.length)
    throw new SigscanError('MALFORMED_PE', 'certificate table runs past the end of the file');
  return readCertificateRecords(bytes.subarray(offset, offset + size), layout, bounds);
}

/** Refused before the table is read, so that a huge (or lying) size costs nothing. */
export function checkTableSize(size: number, bounds: AuthenticodeBounds): void {
  if (size > bounds.maxTableBytes) {
    throw new SigscanError(
      'MALFORMED_PE',
      `certificate table is ${size} bytes (limit ${bounds.maxTableBytes})`,
    );
  }
}

/**
 * The records of a certificate table given as exactly its bytes (`layout.certificateTable`), for files
 * read by ranges; offsets in the records are file offsets.
 */
export function readCertificateRecords(
  fileTableBytes: Uint8Array,
  layout: PeLayout,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
): CertificateTable {
  const { offset, size } = layout.certificateTable;
  if (size === 0) return { records: [], misaligned: false, bytesAfterTable: 0 };
  checkTableSize(size, bounds);
  if (fileTableBytes.length !== size) {
    throw new SigscanError(
      'INTERNAL',
      `certificate table given as ${fileTableBytes.length} bytes, not ${size}`,
    );
  }
  // A copy (bounded by checkTableSize): records and the signatures parsed from them are kept with the
  // report until the scan ends, and a view into the file would keep the whole image alive with them.
  const tableBytes = fileTableBytes.slice();
  const end = offset + size;
  const view = new DataView(tableBytes.buffer, tableBytes.byteOffset, tableBytes.byteLength);
  const at = (filePosition: number): number => filePosition - offset;
  const records: WinCertificateRecord[] = [];
  let pos = offset;
  while (pos + 8 <= end) {
    const length = view.getUint32(at(pos), true);
    // Zero padding after the last record is not a record.
    if (length === 0 && tableBytes.subarray(at(pos)).every((b) => b === 0)) break;
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
    const content = tableBytes.subarray(at(pos + 8), at(pos + length));
    const aligned = Math.min(pos + Math.ceil(length / 8) * 8, end);
    records.push({
      index: records.length,
      offset: pos,
      length,
      revision: view.getUint16(at(pos + 4), true),
      certificateType: view.getUint16(at(pos + 6), true),
      content,
      afterContentInfo: afterFirstElement(content),
      alignment: tableBytes.subarray(at(pos + length), at(aligned)),
    });
    pos += Math.ceil(length / 8) * 8;
  }
  return { records, misaligned: size % 8 !== 0, bytesAfterTable: layout.fileSize - end };
}

/** What follows the first BER element of a record's content; undefined when none can be delimited. */
function afterFirstElement(content: Uint8Array): Uint8Array | undefined {
  try {
    return content.subarray(readElement(content, READ).end);
  } catch {
    return undefined;
  }
}

/**
 * Parses one PKCS #7 Authenticode signature and, recursively up to `bounds.maxNestingDepth`, the
 * signatures nested in its unsigned attributes. One pass of the DER reader (cms.ts) over the stored bytes:
 * certificates, the signed attributes and timestamp tokens are the exact bytes the file holds.
 */
export function parseAuthenticodeSignature(
  der: Uint8Array,
  location: string,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
  depth = 0,
  content: SignedContentKind = 'indirect-data',
): AuthenticodeSignature {
  let info: SignedDataInfo;
  try {
    info = parseSignedData(der);
  } catch (cause) {
    throw new SigscanError('MALFORMED_CMS', `${location}: ${(cause as Error).message}`, { cause });
  }
  if (info.certificateSetSize > bounds.maxCertificates) {
    throw new SigscanError(
      'MALFORMED_CMS',
      `${location}: ${info.certificateSetSize} certificates (limit ${bounds.maxCertificates})`,
    );
  }
  const certificates = info.certificates;
  const expectedType = content === 'catalog' ? AUTHENTICODE_OID.ctl : OID.spcIndirectData;
  if (info.contentType !== expectedType) {
    throw new SigscanError(
      'MALFORMED_CMS',
      `${location}: encapsulated content is ${info.contentType}, not ${content === 'catalog' ? 'a certificate trust list' : 'SpcIndirectDataContent'}`,
    );
  }
  const signer = info.signers[0];
  if (!signer) throw new SigscanError('MALFORMED_CMS', `${location}: SignedData has no SignerInfo`);
  const signerCertificate = signer.certificate;

  const indirectData =
    content === 'catalog'
      ? catalogContent(info.eContent, signer.digestAlgorithm, location)
      : parseIndirectData(info.eContent, location);
  const opus = parseOpusInfo(signer.signerInfo);
  const problems: string[] = [];

  const timestampTokensDer = [OID.timeStampToken, OID.msRfc3161Timestamp].flatMap((oid) =>
    unsignedAttributeValues(signer.signerInfo, oid).map(elementBytes),
  );
  let timestamps: TimestampInfo[] = [];
  try {
    timestamps = signerTimestamps(signer, certificates);
    for (const tokenDer of timestampTokensDer) {
      // Parsed a moment ago by signerTimestamps: a cache hit.
      const size = parseSignedData(tokenDer).certificateSetSize;
      if (size > bounds.maxCertificates) {
        throw new SigscanError(
          'MALFORMED_CMS',
          `${location}: timestamp token: ${size} certificates (limit ${bounds.maxCertificates})`,
        );
      }
    }
  } catch (cause) {
    timestamps = [];
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
          parseAuthenticodeSignature(elementBytes(value), nestedLocation, bounds, depth + 1, content),
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
      signedData: info.digestAlgorithms.map(oidName),
      signerInfo: signer.digestAlgorithm,
      indirectData: indirectData.digestAlgorithm,
    },
    timestamps,
    timestampTokensDer,
    problems,
    nested,
  };
}

/**
 * What a signature's SignedData encapsulates: SpcIndirectDataContent (the hash of a file outside it) for
 * PE, MSI, CAB and scripts; a certificate trust list (the member hashes themselves) for a catalog.
 */
export type SignedContentKind = 'indirect-data' | 'catalog';

/**
 * A catalog's CTL in the shape of SpcIndirectData: no external digest (the CTL is the signed content),
 * the signer's digest algorithm, and the CTL DER whose contents octets the messageDigest covers.
 */
function catalogContent(
  eContent: DerElement | undefined,
  digestAlgorithm: string,
  location: string,
): SpcIndirectData {
  if (!eContent || !isUniversal(eContent, TAG.SEQUENCE)) {
    throw new SigscanError('MALFORMED_CMS', `${location}: the certificate trust list is missing`);
  }
  return {
    dataType: AUTHENTICODE_OID.ctl,
    digestAlgorithm,
    digest: new Uint8Array(0),
    der: elementBytes(eContent),
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

/** Authenticode blobs are BER like any CMS; a malformed piece is a MALFORMED_CMS. */
const READ: DerReadOptions = CMS_READ;

/**
 * SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue, messageDigest DigestInfo },
 * SpcAttributeTypeAndOptionalValue ::= SEQUENCE { type OID, value ANY OPTIONAL },
 * DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING }
 */
function parseIndirectData(eContent: DerElement | undefined, location: string): SpcIndirectData {
  const fail = (why: string): never => {
    throw new SigscanError('MALFORMED_CMS', `${location}: SpcIndirectDataContent ${why}`);
  };
  if (!eContent) return fail('is missing');
  const [attribute, digestInfo] = children(eContent);
  const [typeOid, value] = children(attribute);
  const [algorithmId, digest] = children(digestInfo);
  const [algorithmOid] = children(algorithmId);
  if (!typeOid || !isUniversal(typeOid, TAG.OID) || typeOid.constructed) return fail('has no data type');
  if (!algorithmOid || !isUniversal(algorithmOid, TAG.OID) || algorithmOid.constructed)
    return fail('has no digest algorithm');
  if (!isUniversal(digest, TAG.OCTET_STRING)) return fail('has no digest');
  const dataType = readOid(typeOid, READ, `${location}: SpcIndirectDataContent type`);
  return {
    dataType,
    digestAlgorithm: oidName(readOid(algorithmOid, READ, `${location}: SpcIndirectDataContent algorithm`)),
    digest: octetStringValue(digest, READ, `${location}: SpcIndirectDataContent digest`),
    pageHashes: isPeImageDataType(dataType) ? pageHashVersion(value) : undefined,
    sipGuid: dataType === AUTHENTICODE_OID.spcSipInfo ? sipGuid(value) : undefined,
    der: elementBytes(eContent),
  };
}

/**
 * SpcPeImageData ::= SEQUENCE { flags BIT STRING, file [0] EXPLICIT SpcLink }; page hashes live in an
 * SpcLink moniker ([1] SpcSerializedObject { classId, serializedData }) with the page-hash class id.
 */
function pageHashVersion(peImageData: DerElement | undefined): 'v1' | 'v2' | undefined {
  const file = children(peImageData).find((b) => isContext(b, 0));
  const link = children(file)[0];
  if (!isContext(link, 1)) return undefined;
  const [classId, serialized] = children(link).map(primitiveBytes);
  if (!classId || !serialized || Buffer.from(classId).toString('hex') !== PAGE_HASH_CLASS_ID)
    return undefined;
  let oids: Set<string>;
  try {
    oids = new Set(collectOids(readElement(serialized, READ), 0));
  } catch {
    return undefined;
  }
  if (oids.has(AUTHENTICODE_OID.pageHashesV2)) return 'v2';
  if (oids.has(AUTHENTICODE_OID.pageHashesV1)) return 'v1';
  return undefined;
}

function sipGuid(sipInfo: DerElement | undefined): string | undefined {
  const guid = children(sipInfo).find((c) => isUniversal(c, TAG.OCTET_STRING));
  const bytes = guid ? primitiveBytes(guid) : undefined;
  return bytes ? Buffer.from(bytes).toString('hex') : undefined;
}

/** SpcSpOpusInfo ::= SEQUENCE { programName [0] EXPLICIT SpcString OPTIONAL, moreInfo [1] EXPLICIT SpcLink OPTIONAL } */
function parseOpusInfo(signerInfo: CmsSignerInfo): { programName?: string; moreInfoUrl?: string } {
  const opus = signedAttributeValues(signerInfo, AUTHENTICODE_OID.spcSpOpusInfo)[0];
  const out: { programName?: string; moreInfoUrl?: string } = {};
  for (const field of children(opus)) {
    if (field.tagClass !== CONTEXT) continue;
    const inner = children(field)[0];
    if (!inner || inner.tagClass !== CONTEXT) continue;
    if (field.tagNumber === 0) {
      const name = spcString(inner);
      if (name !== undefined) out.programName = name;
    } else if (field.tagNumber === 1 && inner.tagNumber === 0) {
      // SpcLink url [0] IMPLICIT IA5String; monikers and files are not URLs.
      const bytes = primitiveBytes(inner);
      if (bytes) out.moreInfoUrl = Buffer.from(bytes).toString('latin1');
    } else if (field.tagNumber === 1 && inner.tagNumber === 2) {
      const text = spcString(children(inner)[0]);
      if (text !== undefined) out.moreInfoUrl = text;
    }
  }
  return out;
}

/** SpcString ::= CHOICE { unicode [0] IMPLICIT BMPString, ascii [1] IMPLICIT IA5String } */
function spcString(block: DerElement | undefined): string | undefined {
  const bytes = block ? primitiveBytes(block) : undefined;
  if (!block || !bytes) return undefined;
  if (block.tagNumber === 0) {
    const swapped = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
    return swapped.swap16().toString('utf16le');
  }
  return Buffer.from(bytes).toString('latin1');
}

function collectOids(block: DerElement, depth: number): string[] {
  if (depth > 8) return [];
  if (isUniversal(block, TAG.OID) && !block.constructed) return [readOid(block, READ, 'page hashes')];
  return children(block).flatMap((c) => collectOids(c, depth + 1));
}

/** Children of a constructed element; none for a primitive or absent one (optional parts are lenient). */
function children(block: DerElement | undefined): DerElement[] {
  return block?.constructed ? childrenOf(block, READ) : [];
}

/** Contents of a primitive element, whatever its tag; constructed (BER) strings have their pieces joined. */
function primitiveBytes(block: DerElement): Uint8Array | undefined {
  if (!block.constructed) return contentBytes(block);
  const parts = children(block).map(primitiveBytes);
  return parts.every(Boolean) ? new Uint8Array(Buffer.concat(parts as Uint8Array[])) : undefined;
}
