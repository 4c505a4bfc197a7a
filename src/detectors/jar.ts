import { SigscanError } from '../errors.js';
import type { Evidence, SignerIdentity, Target } from '../model/index.js';
import { analyzeJar, ENTRY_LIST_CAP, type JarAnalysis, type JarSignature } from '../formats/jar/index.js';
import { ArchiveFile } from '../formats/zip/index.js';
import type { DetectContext, Detector } from './detector.js';

/** Raw bytes the trust layer needs to check a JAR signature; never serialised. */
export interface JarEvidenceMaterial {
  blockDer: Uint8Array;
  /** The detached content the CMS signature covers; undefined when the .SF is missing. */
  signatureFileBytes?: Uint8Array;
  signerCertificateDer?: Uint8Array;
  /** Every certificate the block carries, signer included, in block order. */
  certificatesDer: Uint8Array[];
  /** JarSignature.requiredDigestAlgorithms: what the JDK's disabled-algorithm check looks at. */
  requiredDigestAlgorithms?: string[];
}

/** Signed JAR / WAR / EAR / APK v1 (formats.md §6): one evidence per signature block file. */
export const jarDetector: Detector = {
  name: 'jar',
  family: 'jar',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'jar';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    if (target.kind !== 'file') return;
    if (!ctx.file) throw new SigscanError('INTERNAL', `jar detector needs the contents of ${target.path}`);
    const analysis = ctx.file.large
      ? await analyzeInPlace(ctx.file.absolutePath, ctx.file.large, ctx)
      : await analyzeJar(ctx.file.bytes, ctx.limits);
    for (const sig of analysis.signatures) yield toEvidence(analysis, sig);
  },
};

/**
 * A JAR too large to hold, read by position. It must still be the file that was hashed for the report
 * (same size and modification time), before and after the analysis.
 */
async function analyzeInPlace(
  path: string,
  hashed: { size: number; mtimeNs: bigint },
  ctx: DetectContext,
): Promise<JarAnalysis> {
  const archive = ArchiveFile.open(path);
  try {
    const same = () =>
      archive.size === hashed.size && archive.mtimeNs === hashed.mtimeNs && archive.unchanged();
    if (!same()) throw new SigscanError('FILE_CHANGED', `${path} changed after it was hashed: not scanned`);
    const analysis = await analyzeJar(archive, ctx.limits);
    if (!same()) throw new SigscanError('FILE_CHANGED', `${path} changed while it was read: not scanned`);
    return analysis;
  } finally {
    archive.close();
  }
}

export function toEvidence(analysis: JarAnalysis, sig: JarSignature): Evidence {
  const cert = sig.signerCertificate;
  const signer: SignerIdentity = {};
  if (cert) {
    signer.subject = cert.summary.subject;
    signer.issuer = cert.summary.issuer;
    signer.sha256Fingerprint = cert.summary.sha256Fingerprint;
    signer.publicKeyAlgorithm = cert.summary.publicKeyAlgorithm;
    if (cert.summary.subjectAlternativeNames)
      signer.subjectAlternativeNames = cert.summary.subjectAlternativeNames;
    signer.certificate = cert.summary;
  }
  if (sig.chain.length > 0) signer.chain = sig.chain.map((c) => c.summary);

  const evidence: Evidence = {
    family: 'jar',
    location: sig.blockName,
    signer,
    details: details(analysis, sig),
    findings: [...analysis.findings, ...sig.findings],
    material: material(sig),
  };
  if (sig.algorithm) evidence.algorithm = sig.algorithm;
  if (sig.digestAlgorithm ?? sig.cmsDigestAlgorithm)
    evidence.digestAlgorithm = sig.digestAlgorithm ?? sig.cmsDigestAlgorithm;
  if (sig.signer?.signingTime) evidence.signingTime = sig.signer.signingTime.toISOString();
  const ts = sig.timestamp;
  if (ts) {
    const tsa = ts.signer?.certificate?.summary;
    evidence.countersigner = {
      kind: 'rfc3161',
      ...(tsa ? { subject: tsa.subject, issuer: tsa.issuer, sha256Fingerprint: tsa.sha256Fingerprint } : {}),
      time: ts.time.toISOString(),
    };
  }
  return evidence;
}

function details(analysis: JarAnalysis, sig: JarSignature): Record<string, unknown> {
  const out: Record<string, unknown> = {
    signatureFile: sig.signatureFileName ?? null,
    manifestDigestMatches: sig.manifestDigestMatches,
    entriesSigned: sig.signedEntries.length,
    entriesTotal: analysis.entriesTotal,
    unsignedEntries: sig.unsignedEntries.slice(0, ENTRY_LIST_CAP),
    unsignedEntryCount: sig.unsignedEntries.length,
    mismatchedEntries: analysis.mismatchedEntries.slice(0, ENTRY_LIST_CAP),
    digestAlgorithms: sig.digestAlgorithms,
    timestamped: Boolean(sig.timestamp),
  };
  if (sig.createdBy !== undefined) out.createdBy = sig.createdBy;
  if (sig.androidApkSigned !== undefined) out.androidApkSigned = sig.androidApkSigned;
  if (sig.cmsDigestAlgorithm) out.cmsDigestAlgorithm = sig.cmsDigestAlgorithm;
  if (sig.signerInfoCount > 1) out.signerInfoCount = sig.signerInfoCount;
  if (sig.signer) out.signedAttributes = sig.signer.hasSignedAttributes;
  if (analysis.missingEntries.length > 0)
    out.missingEntries = analysis.missingEntries.slice(0, ENTRY_LIST_CAP);
  if (analysis.duplicateEntries.length > 0)
    out.duplicateEntries = analysis.duplicateEntries.slice(0, ENTRY_LIST_CAP);
  return out;
}

function material(sig: JarSignature): JarEvidenceMaterial {
  const m: JarEvidenceMaterial = {
    blockDer: sig.blockDer,
    certificatesDer: (sig.signedData?.certificates ?? []).map((c) => c.der),
    requiredDigestAlgorithms: sig.requiredDigestAlgorithms,
  };
  if (sig.signatureFileBytes) m.signatureFileBytes = sig.signatureFileBytes;
  if (sig.signerCertificate) m.signerCertificateDer = sig.signerCertificate.der;
  return m;
}
