import { SigscanError } from '../errors.js';
import {
  algorithmLabel,
  analyzeApk,
  type ApkAnalysis,
  type ApkSignerAnalysis,
  type ApkSignerRecord,
  type LineageNode,
} from '../formats/apk/index.js';
import { parseCertificate, type ParsedCertificate } from '../formats/x509.js';
import { openZip } from '../formats/zip/index.js';
import type { CertificateSummary, Evidence, Finding, SignerIdentity, Target } from '../model/index.js';
import type { DetectContext, Detector } from './detector.js';

/** Raw bytes the trust layer needs to check one v2/v3/v3.1 signer; never serialised. */
export interface ApkEvidenceMaterial {
  record: ApkSignerRecord;
  lineage?: LineageNode[];
}

/**
 * Android APK Signature Schemes v2, v3 and v3.1: one evidence per signer of each scheme block. The v1
 * (JAR) signature of the same APK is reported by the jar detector.
 */
export const apkDetector: Detector = {
  name: 'apk',
  family: 'apk',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'apk';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    if (target.kind !== 'file') return;
    if (!ctx.file) throw new SigscanError('INTERNAL', `apk detector needs the contents of ${target.path}`);
    const analysis = analyzeApk(ctx.file.bytes);
    if (analysis.signers.length === 0) return;
    const shared = [...(await zipFindings(ctx)), ...analysis.findings];
    for (const signer of analysis.signers) yield toEvidence(analysis, signer, shared);
  },
};

/** The archive's ambiguities: the platform's ZIP reader and a class loader must see the signed entries. */
async function zipFindings(ctx: DetectContext): Promise<Finding[]> {
  const zip = await openZip(ctx.file!.bytes, ctx.limits);
  try {
    const out: Finding[] = [];
    for (const message of zip.ambiguities)
      out.push({ code: 'ZIP_AMBIGUOUS', severity: 'integrity', message });
    for (const name of zip.duplicateNames) {
      out.push({
        code: 'DUPLICATE_ENTRY',
        severity: 'integrity',
        message: `entry ${name} occurs more than once; the installer and the runtime may read different copies`,
      });
    }
    for (const name of zip.localHeaderMismatches) {
      out.push({
        code: 'LOCAL_HEADER_MISMATCH',
        severity: 'integrity',
        message: `local header of entry ${name} names a different file than the central directory`,
      });
    }
    return out;
  } finally {
    zip.close();
  }
}

function summary(der: Uint8Array): CertificateSummary | undefined {
  try {
    return parseCertificate(der).summary;
  } catch {
    return undefined;
  }
}

function toEvidence(analysis: ApkAnalysis, signer: ApkSignerAnalysis, shared: Finding[]): Evidence {
  const { record } = signer;
  const identity: SignerIdentity = {};
  let leaf: ParsedCertificate | undefined;
  try {
    if (record.certificates[0]) leaf = parseCertificate(record.certificates[0]);
  } catch {
    // The trust layer reports the unreadable certificate.
  }
  if (leaf) {
    identity.subject = leaf.summary.subject;
    identity.issuer = leaf.summary.issuer;
    identity.sha256Fingerprint = leaf.summary.sha256Fingerprint;
    identity.publicKeyAlgorithm = leaf.summary.publicKeyAlgorithm;
    identity.certificate = leaf.summary;
  }
  const rest = record.certificates
    .slice(1)
    .map(summary)
    .filter((s): s is CertificateSummary => !!s);
  if (rest.length) identity.chain = rest;

  const details: Record<string, unknown> = {
    scheme: record.scheme,
    signer: record.index,
    schemesPresent: analysis.schemes,
    signatureAlgorithms: record.signatures.map((s) => algorithmLabel(s.algorithmId)),
    contentDigestsChecked: signer.checkedDigests,
  };
  if (record.minSdk !== undefined) {
    details.minSdk = record.minSdk;
    details.maxSdk = record.maxSdk;
  }
  if (signer.lineage) {
    details.lineage = signer.lineage.map((n) => {
      const s = summary(n.certificate);
      return { subject: s?.subject ?? null, sha256Fingerprint: s?.sha256Fingerprint ?? null, flags: n.flags };
    });
  }
  const evidence: Evidence = {
    family: 'apk',
    location: `APK Signature Scheme ${record.scheme} signer #${record.index}`,
    signer: identity,
    details,
    findings: [...shared, ...signer.findings],
    material: {
      record,
      ...(signer.lineage ? { lineage: signer.lineage } : {}),
    } satisfies ApkEvidenceMaterial,
  };
  const first = record.signatures[0];
  if (first) evidence.algorithm = algorithmLabel(first.algorithmId);
  return evidence;
}
