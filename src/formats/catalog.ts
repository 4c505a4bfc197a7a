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

/** The members of a catalog's CTL (the DER of the CertificateTrustList SEQUENCE). */
export function catalogMembers(ctlDer: Uint8Array): CatalogMembers {
  const ctl = readElement(ctlDer, CMS_READ);
  const fields = childrenOf(ctl, CMS_READ);
  const seqs = fields.filter((f) => isUniversal(f, TAG.SEQUENCE));
  // subjectUsage, subjectAlgorithm and trustedSubjects are the SEQUENCEs, in that order.
  const subjectAlgorithm = seqs[1] ? firstOid(seqs[1]) : undefined;
  const subjects = seqs[2] ? childrenOf(seqs[2], CMS_READ) : [];
  const algorithms = new Set<string>();
  for (const subject of subjects) {
    const [, attributes] = childrenOf(subject, CMS_READ);
    if (!attributes) continue;
    for (const attribute of childrenOf(attributes, CMS_READ)) {
      const [type, values] = childrenOf(attribute, CMS_READ);
      if (!type || readOid(type, CMS_READ, 'catalog member attribute') !== OID_SPC_INDIRECT_DATA) continue;
      for (const value of values ? childrenOf(values, CMS_READ) : []) {
        const digestInfo = childrenOf(value, CMS_READ)[1];
        const algorithm = digestInfo ? firstOid(childrenOf(digestInfo, CMS_READ)[0]) : undefined;
        if (algorithm) algorithms.add(oidName(algorithm));
      }
    }
  }
  if (!subjects.every((s) => isUniversal(s, TAG.SEQUENCE))) {
    throw new SigscanError('MALFORMED_CMS', 'catalog: a trusted subject is not a SEQUENCE');
  }
  return { count: subjects.length, hashAlgorithms: [...algorithms].sort(), subjectAlgorithm };
}

const OID_SPC_INDIRECT_DATA = '1.3.6.1.4.1.311.2.1.4';

function firstOid(el: DerElement | undefined): string | undefined {
  if (!el) return undefined;
  if (isUniversal(el, TAG.OID)) return readOid(el, CMS_READ, 'catalog');
  const first = el.constructed ? childrenOf(el, CMS_READ)[0] : undefined;
  return first && isUniversal(first, TAG.OID) ? readOid(first, CMS_READ, 'catalog') : undefined;
}
