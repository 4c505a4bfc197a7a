import { SigscanError } from '../errors.js';
import {
  targetRef,
  type CertificateSummary,
  type Countersigner,
  type Evidence,
  type Finding,
  type Target,
} from '../model/index.js';
import { hex } from '../formats/der.js';
import {
  DEFAULT_AUTHENTICODE_BOUNDS,
  WIN_CERT_REVISION_2_0,
  certificateTablePlacement,
  computeImageHash,
  flattenSignatures,
  isPeImageDataType,
  isSupportedImageHashAlgorithm,
  parseAuthenticodeSignature,
  readPeAuthenticode,
  signerAlgorithmName,
  type AuthenticodeBounds,
  type AuthenticodeSignature,
  type PeAuthenticode,
  type SpcIndirectData,
} from '../formats/pe/index.js';
import type { CatalogMember } from '../formats/catalog.js';
import type { Limits } from '../util/limits.js';
import type { DetectContext, Detector } from './detector.js';

/**
 * Authenticode signatures in PE images (formats.md §7). One Evidence per signature: the primary of
 * each WIN_CERTIFICATE record and every nested signature, each checked against the image hash computed
 * with its own digest algorithm. Nothing is marked verified here: the CMS signature, the chain and the
 * timestamps are the trust layer's job, from the bytes in `material`.
 */

/** What the trust layer needs to verify one Authenticode signature. */
export interface AuthenticodeMaterial {
  /** The PKCS #7 ContentInfo exactly as the file holds it. */
  signedDataDer: Uint8Array;
  signerCertificateDer?: Uint8Array;
  /** Every certificate of the SignedData, signer included, in stored order and stored bytes. */
  certificatesDer: Uint8Array[];
  /** The first RFC 3161 token countersigning this signature, if any. */
  timestampTokenDer?: Uint8Array;
  /** SpcIndirectDataContent DER; the messageDigest attribute covers its contents octets only (§7.3). */
  spcIndirectDataDer: Uint8Array;
  /** A catalog's member hashes, for matching scanned files against it (formats/catalog-match.ts). */
  catalogMembers?: CatalogMember[];
}

const WEAK_DIGESTS = new Set(['MD5', 'SHA-1']);

export const authenticodeDetector: Detector = {
  name: 'authenticode',
  family: 'authenticode',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'pe';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const streamed = ctx.file?.authenticode;
    if (streamed) {
      if (!streamed.pe) throw streamed.error;
      // Read by ranges while it was hashed (fs scans), with the image hashes of that pass.
      const pe = streamed.pe;
      yield* authenticodeEvidenceOf(pe, (algorithm) => {
        const value = streamed.imageHashes.get(algorithm);
        if (!value) throw new SigscanError('INTERNAL', `no ${algorithm} image hash was computed`);
        return value;
      });
      return;
    }
    const bytes = ctx.file?.bytes;
    if (!bytes)
      throw new SigscanError(
        'INTERNAL',
        `authenticode detector was not given the bytes of ${targetRef(target)}`,
      );
    if (bytes.length > ctx.limits.maxFileBytes) {
      throw new SigscanError(
        'FILE_TOO_LARGE',
        `${bytes.length} bytes exceeds the ${ctx.limits.maxFileBytes}-byte limit`,
      );
    }
    yield* authenticodeEvidence(bytes, authenticodeBounds(ctx.limits));
  },
};

export function authenticodeBounds(limits: Limits): AuthenticodeBounds {
  return {
    ...DEFAULT_AUTHENTICODE_BOUNDS,
    maxTableBytes: Math.min(DEFAULT_AUTHENTICODE_BOUNDS.maxTableBytes, limits.maxSignatureBlobBytes),
    maxCertificates: limits.maxCertificates,
  };
}

/** Evidence for every Authenticode signature in a PE image; none for an unsigned image. */
export function authenticodeEvidence(
  bytes: Uint8Array,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
): Evidence[] {
  const pe = readPeAuthenticode(bytes, bounds);
  return authenticodeEvidenceOf(pe, (algorithm) => computeImageHash(bytes, pe.layout, algorithm));
}

/** The image hash algorithms the signatures of `pe` name, nested ones included. */
export function imageHashAlgorithms(pe: PeAuthenticode): Set<string> {
  const out = new Set<string>();
  for (const { signature } of pe.signatures) {
    for (const s of flattenSignatures(signature)) out.add(s.indirectData.digestAlgorithm);
  }
  return out;
}

/** Evidence from a parsed image; `computeHash` gives its image hash for an algorithm (called once each). */
export function authenticodeEvidenceOf(
  pe: PeAuthenticode,
  computeHash: (algorithm: string) => Uint8Array,
): Evidence[] {
  if (pe.table.records.length > 0 && pe.signatures.length === 0) {
    const types = pe.skippedRecords
      .map((r) => `0x${r.certificateType.toString(16).padStart(4, '0')}`)
      .join(', ');
    throw new SigscanError(
      'UNSUPPORTED',
      `certificate table holds no PKCS #7 signature (record types ${types})`,
    );
  }
  const tableFindings = certificateTableFindings(pe);
  const imageHashes = new Map<string, Uint8Array>();
  const imageHash = (algorithm: string): Uint8Array => {
    let value = imageHashes.get(algorithm);
    if (!value) {
      value = computeHash(algorithm);
      imageHashes.set(algorithm, value);
    }
    return value;
  };

  const peSubject: SignedSubject = {
    what: 'a PE image',
    describes: (data) => isPeImageDataType(data.dataType),
    mismatchCode: 'NOT_PE_IMAGE_DATA',
    hash: imageHash,
  };

  const out: Evidence[] = [];
  for (const { record, signature: primary } of pe.signatures) {
    const recordFindings: Finding[] = [];
    if (record.revision !== WIN_CERT_REVISION_2_0) {
      recordFindings.push({
        code: 'UNEXPECTED_CERTIFICATE_REVISION',
        severity: 'warning',
        message: `WIN_CERTIFICATE revision is 0x${record.revision.toString(16).padStart(4, '0')}, not 0x0200`,
      });
    }
    for (const signature of flattenSignatures(primary)) {
      out.push(
        signatureEvidence(signature, peSubject, [...tableFindings, ...recordFindings], {
          certificateTableRecords: pe.table.records.length,
          overlayAfterTable: pe.table.bytesAfterTable > 0,
        }),
      );
    }
  }
  return out;
}

/**
 * What an Authenticode signature is bound to in one container format: the hash its SIP (Subject Interface
 * Package) computes over the file, and the SpcIndirectDataContent type that names that SIP. PE images,
 * MSI packages, cabinets and scripts differ only here; the CMS, chain and timestamp checks are shared.
 */
export interface SignedSubject {
  /** `a PE image`, `an MSI package`, ...: for messages. */
  what: string;
  /** Whether the signed SpcIndirectDataContent names this format's SIP. */
  describes(data: SpcIndirectData): boolean;
  /** The integrity finding when it does not (a signature made for another format). */
  mismatchCode: 'NOT_PE_IMAGE_DATA' | 'SIGNED_SUBJECT_TYPE_MISMATCH';
  /**
   * The SIP hash of this file with the given digest algorithm (formats.md §7.2 for PE); absent when the
   * signed content is the SignedData's own (a catalog's trust list), which the evidence marks `embedded`.
   */
  hash?(algorithm: string): Uint8Array;
}

/**
 * Evidence for one PKCS #7 signature stored in a non-PE container (MSI stream, cabinet header, script
 * block) and every signature nested in it, each checked against `subject`'s hash with its own algorithm.
 */
export function containerEvidence(
  signatureDer: Uint8Array,
  location: string,
  subject: SignedSubject,
  sharedFindings: Finding[],
  containerDetails: Record<string, unknown>,
  bounds: AuthenticodeBounds = DEFAULT_AUTHENTICODE_BOUNDS,
): Evidence[] {
  const primary = parseAuthenticodeSignature(signatureDer, location, bounds);
  return flattenSignatures(primary).map((s) =>
    signatureEvidence(s, subject, sharedFindings, containerDetails),
  );
}

/** The detector's file bytes, within the size limit. */
export function fileBytes(target: Target, ctx: DetectContext, detector: string): Uint8Array {
  const bytes = ctx.file?.bytes;
  if (!bytes) {
    throw new SigscanError(
      'INTERNAL',
      `${detector} detector was not given the bytes of ${targetRef(target)}`,
    );
  }
  if (bytes.length > ctx.limits.maxFileBytes) {
    throw new SigscanError(
      'FILE_TOO_LARGE',
      `${bytes.length} bytes exceeds the ${ctx.limits.maxFileBytes}-byte limit`,
    );
  }
  return bytes;
}

/**
 * Evidence for one Authenticode signature of any container: its hash compared with the one the signer
 * committed to, the digest-algorithm agreement, the signer and countersigner. `details` adds what the
 * container knows (certificate-table records, streams hashed, ...).
 */
export function signatureEvidence(
  signature: AuthenticodeSignature,
  subject: SignedSubject,
  sharedFindings: Finding[],
  containerDetails: Record<string, unknown> = {},
): Evidence {
  const findings: Finding[] = [...sharedFindings];
  const { indirectData, signerCertificate, signer } = signature;
  const algorithm = indirectData.digestAlgorithm;

  let ours: string | undefined;
  if (!subject.hash) {
    // A catalog: the signed content is inside the SignedData, so the CMS check alone binds it.
  } else if (isSupportedImageHashAlgorithm(algorithm)) {
    ours = hex(subject.hash(algorithm));
  } else {
    findings.push({
      code: 'UNSUPPORTED_DIGEST',
      severity: 'warning',
      message: `image hash algorithm ${algorithm} is not supported; the image hash was not checked`,
    });
  }
  const signedImageHash = subject.hash ? hex(indirectData.digest) : undefined;
  const imageHashMatches = ours !== undefined && ours === signedImageHash;
  if (ours !== undefined && !imageHashMatches) {
    findings.push({
      code: 'IMAGE_HASH_MISMATCH',
      severity: 'integrity',
      message: `the ${algorithm} image hash is ${ours} but the signature covers ${signedImageHash}: the file was modified after signing`,
    });
  }

  if (!subject.describes(indirectData)) {
    const message =
      `the signed content describes ${indirectData.dataType}` +
      `${indirectData.sipGuid ? ` (SIP ${indirectData.sipGuid})` : ''}, not ${subject.what}`;
    if (subject.mismatchCode === 'NOT_PE_IMAGE_DATA') {
      findings.push({ code: 'NOT_PE_IMAGE_DATA', severity: 'integrity', message });
    } else {
      findings.push({ code: 'SIGNED_SUBJECT_TYPE_MISMATCH', severity: 'integrity', message });
    }
  }

  const weak = [algorithm, signer.digestAlgorithm].find((d) => WEAK_DIGESTS.has(d));
  if (weak) {
    findings.push({
      code: 'WEAK_DIGEST',
      severity: 'warning',
      message: `the signature uses the weak digest ${weak}`,
    });
  }

  const { signedData: declared, signerInfo, indirectData: indirect } = signature.digestAlgorithms;
  if (signerInfo !== indirect || !declared.includes(signerInfo) || declared.some((d) => d !== signerInfo)) {
    findings.push({
      code: 'DIGEST_ALGORITHM_DISAGREEMENT',
      severity: 'integrity',
      message:
        `digest algorithms disagree: SignedData [${declared.join(', ')}], SignerInfo ${signerInfo}, ` +
        `SpcIndirectDataContent ${indirect}`,
    });
  }

  if (signature.signerInfoCount !== 1) {
    findings.push({
      code: 'MULTIPLE_SIGNER_INFOS',
      severity: 'integrity',
      message: `Authenticode allows exactly one SignerInfo; this signature has ${signature.signerInfoCount}`,
    });
  }
  if (!signerCertificate) {
    findings.push({
      code: 'SIGNER_CERTIFICATE_MISSING',
      severity: 'integrity',
      message: 'the certificate the SignerInfo names is not in the SignedData',
    });
  }
  for (const problem of signature.problems) {
    findings.push({ code: 'PARTIALLY_PARSED', severity: 'warning', message: problem });
  }

  const timestamp = signature.timestamps[0];
  const timestampCertificate = timestamp?.signer?.certificate;
  let countersigner: Countersigner | undefined;
  if (timestamp) {
    countersigner = { kind: timestamp.kind };
    if (timestampCertificate) {
      countersigner.subject = timestampCertificate.summary.subject;
      countersigner.issuer = timestampCertificate.summary.issuer;
      countersigner.sha256Fingerprint = timestampCertificate.summary.sha256Fingerprint;
    }
    if (!Number.isNaN(timestamp.time.getTime())) countersigner.time = timestamp.time.toISOString();
  }

  const chain: CertificateSummary[] = signature.certificates
    .filter((c) => c !== signerCertificate)
    .map((c) => c.summary);
  const material: AuthenticodeMaterial = {
    signedDataDer: signature.signedDataDer,
    signerCertificateDer: signerCertificate?.der,
    certificatesDer: signature.certificates.map((c) => c.der),
    timestampTokenDer: signature.timestampTokensDer[0],
    spcIndirectDataDer: indirectData.der,
  };

  const evidence: Evidence = {
    family: 'authenticode',
    location: signature.location,
    signer: {
      subject: signerCertificate?.summary.subject,
      issuer: signerCertificate?.summary.issuer,
      sha256Fingerprint: signerCertificate?.summary.sha256Fingerprint,
      publicKeyAlgorithm: signerCertificate?.summary.publicKeyAlgorithm,
      certificate: signerCertificate?.summary,
      chain,
    },
    algorithm: signerAlgorithmName(signer),
    digestAlgorithm: signer.digestAlgorithm,
    details: {
      ...(subject.hash
        ? { imageHashAlgorithm: algorithm, imageHash: ours, signedImageHash, imageHashMatches }
        : { signedContent: 'embedded' }),
      programName: signature.programName,
      moreInfoUrl: signature.moreInfoUrl,
      pageHashes: indirectData.pageHashes,
      ...(indirectData.sipGuid ? { sipGuid: indirectData.sipGuid } : {}),
      ...containerDetails,
      nestingDepth: signature.depth,
      nestedSignatures: signature.nested.length,
      countersignatures: signature.timestamps.length,
    },
    findings,
    material,
  };
  if (countersigner) evidence.countersigner = countersigner;
  if (signer.signingTime) evidence.signingTime = signer.signingTime.toISOString();
  return evidence;
}

/**
 * Findings about the certificate table that apply to every signature in it. Placement problems where two
 * readers of the file could disagree are integrity findings: the evaluator answers `invalid` (placement.ts).
 */
function certificateTableFindings(pe: PeAuthenticode): Finding[] {
  const findings: Finding[] = certificateTablePlacement(pe.layout, pe.table).map((p) => ({
    code: p.code,
    severity: p.refuse ? 'integrity' : 'warning',
    message: p.message,
  }));
  // The PE/COFF spec pads every attribute certificate to 8 bytes, and osslsigncode 2.9 fails such a file
  // ("Corrupted attribute certificate table"): the stricter of the reference readers wins.
  if (pe.table.misaligned) {
    findings.push({
      code: 'CERTIFICATE_TABLE_MISALIGNED',
      severity: 'integrity',
      message: `the certificate table size ${pe.layout.certificateTable.size} is not a multiple of 8`,
    });
  }
  for (const record of pe.skippedRecords) {
    findings.push({
      code: 'UNSUPPORTED_CERTIFICATE_RECORD',
      severity: 'warning',
      message: `WIN_CERTIFICATE[${record.index}] has type 0x${record.certificateType.toString(16).padStart(4, '0')}, which is not PKCS #7 and was not read`,
    });
  }
  return findings;
}
