import { SigscanError } from '../errors.js';
import { CMS_READ } from './cms.js';
import { oidName } from './der.js';
import { childrenOf, isUniversal, readElement, readOid, TAG, type DerElement } from './der-reader.js';

/**
 * Windows security catalogs (`.cat`, formats.md §7.8): a PKCS #7 SignedData whose content is a certificate
 * trust list (CTL) of member hashes. The signature is checked like any Authenticode one; the members are
 * listed in the evidence (count, hash algorithms) but the files they name are not looked for: a file
 * "signed by catalog" carries no signature of its own, and Windows finds its catalog in the system
 * catalog database, which a file scan does not have.
 *
 * CertificateTrustList ::= SEQUENCE { subjectUsage SEQUENCE OF OID, listIdentifier OCTET STRING OPTIONAL,
 *   sequenceNumber INTEGER OPTIONAL, thisUpdate Time, nextUpdate Time OPTIONAL, subjectAlgorithm
 *   AlgorithmIdentifier, trustedSubjects SEQUENCE OF TrustedSubject OPTIONAL, extensions [0] OPTIONAL }
 * TrustedSubject ::= SEQUENCE { subjectIdentifier OCTET STRING, subjectAttributes SET OF Attribute OPTIONAL }
 * A member's hash is in its SPC_INDIRECT_DATA attribute (an SpcIndirectDataContent, as in a signature).
 */

export interface CatalogMembers {
  count: number;
  /** Digest algorithms of the members' SpcIndirectDataContent attributes, sorted, without repeats. */
  hashAlgorithms: string[];
  /** The CTL's subjectAlgorithm (e.g. 1.3.6.1.4.1.311.12.1.2, catalog member hash v1). */
  subjectAlgorithm?: string;
}

export interface CatalogFile {
  /** The PKCS #7 ContentInfo: the whole file up to the end of its first DER element. */
  signatureDer: Uint8Array;
  /** Bytes after the ContentInfo, which no signature covers. */
  trailingBytes: number;
}

/** Splits a catalog file into its ContentInfo and whatever follows it. Throws MALFORMED_CMS. */
export function readCatalogFile(bytes: Uint8Array): CatalogFile {
  const end = readElement(bytes, CMS_READ).end;
  return { signatureDer: bytes.subarray(0, end), trailingBytes: bytes.length - end };
}

/**
 * One hash a catalog vouches for: the SpcIndirectDataContent of a trusted subject. `kind` says what was
 * hashed: `pe-image` the Authenticode image hash of a PE file, `flat-file` the hash of the whole file
 * (SPC_CAB_DATA_OBJID, which makecat uses for every non-PE member), else the data type's OID.
 */
export interface CatalogMember {
  kind: string;
  /** Digest algorithm name (`SHA-256`, `SHA-1`). */
  algorithm: string;
  /** Lower-case hex. */
  hash: string;
  /** The member's `File` (else `Hint`) name/value attribute (CAT_NAMEVALUE_OBJID), when one was recorded. */
  file?: string;
}

/** The members of a catalog's CTL (the DER of the CertificateTrustList SEQUENCE). */
export function catalogMembers(ctlDer: Uint8Array): CatalogMembers {
  const { count, subjectAlgorithm, members } = readTrustList(ctlDer);
  const algorithms = [...new Set(members.map((m) => m.algorithm))].sort();
  return { count, hashAlgorithms: algorithms, subjectAlgorithm };
}

/** Every member hash the CTL lists, in its order (a subject with two hashes gives two). */
export function catalogMemberList(ctlDer: Uint8Array): CatalogMember[] {
  return readTrustList(ctlDer).members;
}

function readTrustList(ctlDer: Uint8Array): {
  count: number;
  subjectAlgorithm?: string;
  members: CatalogMember[];
} {
  const ctl = readElement(ctlDer, CMS_READ);
  const fields = childrenOf(ctl, CMS_READ);
  const seqs = fields.filter((f) => isUniversal(f, TAG.SEQUENCE));
  // subjectUsage, subjectAlgorithm and trustedSubjects are the SEQUENCEs, in that order.
  const subjectAlgorithm = seqs[1] ? firstOid(seqs[1]) : undefined;
  const subjects = seqs[2] ? childrenOf(seqs[2], CMS_READ) : [];
  if (!subjects.every((s) => isUniversal(s, TAG.SEQUENCE))) {
    throw new SigscanError('MALFORMED_CMS', 'catalog: a trusted subject is not a SEQUENCE');
  }
  const members: CatalogMember[] = [];
  for (const subject of subjects) {
    const [, attributes] = childrenOf(subject, CMS_READ);
    if (!attributes) continue;
    let file: string | undefined;
    let hint: string | undefined;
    const hashes: Array<Omit<CatalogMember, 'file'>> = [];
    for (const attribute of childrenOf(attributes, CMS_READ)) {
      const [type, values] = childrenOf(attribute, CMS_READ);
      const oid = type ? readOid(type, CMS_READ, 'catalog member attribute') : undefined;
      for (const value of values ? childrenOf(values, CMS_READ) : []) {
        if (oid === OID_SPC_INDIRECT_DATA) {
          const hash = indirectHash(value);
          if (hash) hashes.push(hash);
        } else if (oid === OID_CAT_NAMEVALUE) {
          file ??= nameValue(value, 'File');
          hint ??= nameValue(value, 'Hint');
        }
      }
    }
    // makecat records the `File` name; Windows component catalogs a `Hint` path instead.
    const name = file ?? hint;
    for (const h of hashes) members.push(name === undefined ? h : { ...h, file: name });
  }
  return { count: subjects.length, ...(subjectAlgorithm ? { subjectAlgorithm } : {}), members };
}

const OID_SPC_INDIRECT_DATA = '1.3.6.1.4.1.311.2.1.4';
const OID_CAT_NAMEVALUE = '1.3.6.1.4.1.311.12.2.1';
const OID_SPC_PE_IMAGE_DATA = '1.3.6.1.4.1.311.2.1.15';
const OID_SPC_CAB_DATA = '1.3.6.1.4.1.311.2.1.25';

/** SpcIndirectDataContent ::= SEQUENCE { data SEQUENCE { type OID, value ANY }, messageDigest DigestInfo } */
function indirectHash(value: DerElement): Omit<CatalogMember, 'file'> | undefined {
  const [data, digestInfo] = childrenOf(value, CMS_READ);
  const type = data ? firstOid(data) : undefined;
  const [algorithm, digest] = digestInfo ? childrenOf(digestInfo, CMS_READ) : [];
  const algorithmOid = firstOid(algorithm);
  if (!type || !algorithmOid || !digest || !isUniversal(digest, TAG.OCTET_STRING)) return undefined;
  const kind = type === OID_SPC_PE_IMAGE_DATA ? 'pe-image' : type === OID_SPC_CAB_DATA ? 'flat-file' : type;
  const hash = Buffer.from(digest.bytes.subarray(digest.contentStart, digest.contentEnd)).toString('hex');
  return { kind, algorithm: oidName(algorithmOid), hash };
}

/** CatNameValue ::= SEQUENCE { tag BMPString, flags INTEGER, value OCTET STRING (UTF-16LE, NUL-ended) } */
function nameValue(value: DerElement, wanted: string): string | undefined {
  const [tag, , content] = childrenOf(value, CMS_READ);
  if (!tag || !content || !isUniversal(content, TAG.OCTET_STRING)) return undefined;
  if ((tag.contentEnd - tag.contentStart) % 2 !== 0) return undefined;
  const name = Buffer.from(tag.bytes.subarray(tag.contentStart, tag.contentEnd)).swap16().toString('utf16le');
  if (name !== wanted) return undefined;
  const text = Buffer.from(content.bytes.subarray(content.contentStart, content.contentEnd)).toString(
    'utf16le',
  );
  return text.replace(/\0+$/, '');
}

function firstOid(el: DerElement | undefined): string | undefined {
  if (!el) return undefined;
  if (isUniversal(el, TAG.OID)) return readOid(el, CMS_READ, 'catalog');
  const first = el.constructed ? childrenOf(el, CMS_READ)[0] : undefined;
  return first && isUniversal(first, TAG.OID) ? readOid(first, CMS_READ, 'catalog') : undefined;
}
