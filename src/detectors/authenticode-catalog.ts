import type { Evidence, Finding, Target } from '../model/index.js';
import { catalogMemberList, catalogMembers, readCatalogFile } from '../formats/catalog.js';
import { parseSignedData } from '../formats/cms.js';
import { AUTHENTICODE_OID, flattenSignatures, parseAuthenticodeSignature } from '../formats/pe/index.js';
import {
  authenticodeBounds,
  fileBytes,
  signatureEvidence,
  type AuthenticodeMaterial,
  type SignedSubject,
} from './authenticode.js';
import type { DetectContext, Detector } from './detector.js';

/**
 * Windows security catalogs (family `authenticode`, format `cat`): the PKCS #7 signer of the trust list,
 * with the member count and member hash algorithms as details. The files a catalog lists are not matched
 * against it (that needs the system catalog database); the evidence says so.
 */
export const authenticodeCatalogDetector: Detector = {
  name: 'authenticode-catalog',
  family: 'authenticode',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'cat';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const file = readCatalogFile(fileBytes(target, ctx, 'authenticode-catalog'));
    const findings: Finding[] = [];
    if (file.trailingBytes > 0) {
      findings.push({
        code: 'CATALOG_DATA_AFTER_SIGNATURE',
        severity: 'integrity',
        message: `${file.trailingBytes} bytes follow the catalog's PKCS #7: no signature covers them`,
      });
    }
    // An unsigned catalog is a SignedData with no SignerInfo (what makecat writes before signing).
    if (parseSignedData(file.signatureDer).signers.length === 0) return;
    const primary = parseAuthenticodeSignature(
      file.signatureDer,
      'catalog',
      authenticodeBounds(ctx.limits),
      0,
      'catalog',
    );
    const members = catalogMembers(primary.indirectData.der);
    findings.push({
      code: 'CATALOG_MEMBERS_NOT_CHECKED',
      severity: 'warning',
      message: `the catalog lists ${members.count} member hashes; only files in its own directory were matched against them`,
    });
    const subject: SignedSubject = {
      what: 'a certificate trust list',
      describes: (data) => data.dataType === AUTHENTICODE_OID.ctl,
      mismatchCode: 'SIGNED_SUBJECT_TYPE_MISMATCH',
    };
    const details = {
      catalogMembers: members.count,
      catalogMemberHashAlgorithms: members.hashAlgorithms,
      catalogSubjectAlgorithm: members.subjectAlgorithm,
    };
    const memberList = catalogMemberList(primary.indirectData.der);
    for (const signature of flattenSignatures(primary)) {
      const evidence = signatureEvidence(signature, subject, findings, details);
      // Not in the report (material never is): what a lookup of scanned files against this catalog needs.
      (evidence.material as AuthenticodeMaterial).catalogMembers = memberList;
      yield evidence;
    }
  },
};
