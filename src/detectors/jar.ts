import { SigscanError } from '../errors.js';
import type { Evidence, Finding, SignerIdentity, Target } from '../model/index.js';
import {
  APK_SIGNATURE_SCHEME_V2_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V3_BLOCK_ID,
  findZipSections,
  readSigningBlock,
} from '../formats/apk/signing-block.js';
import { analyzeJar, ENTRY_LIST_CAP, type JarAnalysis, type JarSignature } from '../formats/jar/index.js';
import { ArchiveFile } from '../formats/zip/index.js';
import type { DetectContext, Detector } from './detector.js';

/** Raw bytes the trust layer needs to check a JAR signature; never serialised. */
export interface JarEvidenceMaterial {
  blockDer: Uint8Array;
  /** The detached content the CMS signature covers; undefined when the .SF is missing. */
  signatureFileBytes?: Uint8Array;
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
    // An APK's v1 scheme is JAR signing; its v2/v3 blocks are the apk detector's.
    return target.kind === 'file' && (target.format === 'jar' || target.format === 'apk');
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    if (target.kind !== 'file') return;
    if (!ctx.file) throw new SigscanError('INTERNAL', `jar detector needs the contents of ${target.path}`);
    const analysis = ctx.file.jar
      ? analyzedBySource(ctx.file.jar)
      : ctx.file.large
        ? await analyzeInPlace(ctx.file.absolutePath, ctx.file.large, ctx)
        : await analyzeJar(ctx.file.bytes, ctx.limits);
    // Large files are never APKs here (fs keeps APKs on the whole-file path).
    const schemes =
      target.format === 'apk' && !ctx.file.large ? apkSchemesPresent(ctx.file.bytes) : undefined;
    for (const sig of analysis.signatures) {
      const evidence = toEvidence(analysis, sig);
      if (schemes) evidence.findings!.push(...strippedSchemes(sig, schemes));
      yield evidence;
    }
  },
};

/** The v2/v3 schemes whose blocks an APK holds (none when it has no readable signing block). */
function apkSchemesPresent(bytes: Uint8Array): Set<number> {
  const ids = new Set<number>();
  try {
    const block = readSigningBlock(bytes, findZipSections(bytes));
    for (const pair of block?.pairs ?? []) ids.add(pair.id);
  } catch {
    // A malformed block is the apk detector's to report; for stripping protection it is no block.
  }
  const schemes = new Set<number>();
  if (ids.has(APK_SIGNATURE_SCHEME_V2_BLOCK_ID)) schemes.add(2);
  if (ids.has(APK_SIGNATURE_SCHEME_V3_BLOCK_ID)) schemes.add(3);
  return schemes;
}

/**
 * APK v2 stripping protection: a v1 .SF whose `X-Android-APK-Signed` names scheme 2 or 3 tells Android
 * that those signatures were made too; without their blocks someone removed them (to downgrade to v1).
 */
function strippedSchemes(sig: JarSignature, present: Set<number>): Finding[] {
  if (sig.androidApkSigned === undefined) return [];
  const named = sig.androidApkSigned
    .split(',')
    .map((s) => Number.parseInt(s.trim(), 10))
    .filter((n) => n === 2 || n === 3);
  return named
    .filter((n) => !present.has(n))
    .map((n) => ({
      code: 'APK_SCHEME_STRIPPED',
      severity: 'integrity' as const,
      message: `${sig.signatureFileName ?? sig.blockName} says X-Android-APK-Signed: ${sig.androidApkSigned}, but the APK Signature Scheme v${n} block is missing (stripped)`,
    }));
}

/** The analysis the fs source made while it held the file's bytes (FileInput.jar), or what it threw. */
function analyzedBySource(jar: NonNullable<DetectContext['file']>['jar'] & object): JarAnalysis {
  if (jar.analysis) return jar.analysis;
  throw jar.error;
}

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
  return m;
}
