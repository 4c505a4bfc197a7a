import type { Finding } from '../../model/index.js';
import { equalBytes } from '../der-reader.js';
import { apkSignatureAlgorithm, isCheckable } from './algorithms.js';
import { contentDigest, type ContentDigestAlgorithm } from './content-digest.js';
import {
  parseLineage,
  parseSchemeBlock,
  PROOF_OF_ROTATION_ATTR_ID,
  ROTATION_MIN_SDK_VERSION_ATTR_ID,
  STRIPPING_PROTECTION_ATTR_ID,
  type ApkScheme,
  type ApkSignerRecord,
  type LineageNode,
} from './scheme.js';
import {
  APK_SIGNATURE_SCHEME_V2_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V31_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V3_BLOCK_ID,
  findZipSections,
  readSigningBlock,
  type SigningBlock,
  type ZipSections,
} from './signing-block.js';

const SCHEME_IDS: ReadonlyArray<[ApkScheme, number, number]> = [
  // scheme, block id, the scheme id stripping protection names
  ['v2', APK_SIGNATURE_SCHEME_V2_BLOCK_ID, 2],
  ['v3', APK_SIGNATURE_SCHEME_V3_BLOCK_ID, 3],
  ['v3.1', APK_SIGNATURE_SCHEME_V31_BLOCK_ID, 31],
];

export interface ApkSignerAnalysis {
  record: ApkSignerRecord;
  /** Digest records checked against the file, by algorithm name. */
  checkedDigests: string[];
  lineage?: LineageNode[];
  findings: Finding[];
}

export interface ApkAnalysis {
  sections: ZipSections;
  block?: SigningBlock;
  /** Schemes whose block is present. */
  schemes: ApkScheme[];
  signers: ApkSignerAnalysis[];
  /** Problems of the whole file, shared by every signer's evidence. */
  findings: Finding[];
}

/**
 * Reads the signing block and every v2/v3/v3.1 signer, and checks what needs the file: each signer's
 * content digests, the v3 SDK range inside and outside its signed data, and the stripping protections
 * (a v2 signer naming v3, a v3 signer naming v3.1, when that block is gone). Signatures and keys are
 * checked by the trust layer (trust/families/apk.ts).
 */
export function analyzeApk(bytes: Uint8Array): ApkAnalysis {
  const sections = findZipSections(bytes);
  const block = readSigningBlock(bytes, sections);
  const analysis: ApkAnalysis = { sections, schemes: [], signers: [], findings: [] };
  if (!block) return analysis;
  analysis.block = block;

  const seen = new Set<number>();
  for (const pair of block.pairs) {
    if (seen.has(pair.id)) {
      analysis.findings.push({
        code: 'APK_DUPLICATE_BLOCK',
        severity: 'integrity',
        message: `the APK Signing Block holds id 0x${pair.id.toString(16)} twice: verifiers that take the first and the last copy see different signatures`,
      });
    }
    seen.add(pair.id);
  }
  const digests = new Map<ContentDigestAlgorithm, Uint8Array>();
  const digestOf = (algorithm: ContentDigestAlgorithm): Uint8Array => {
    let d = digests.get(algorithm);
    if (!d) digests.set(algorithm, (d = contentDigest(bytes, sections, block.offset, algorithm)));
    return d;
  };

  for (const [scheme, id] of SCHEME_IDS) {
    const pair = block.pairs.find((p) => p.id === id);
    if (!pair) continue;
    analysis.schemes.push(scheme);
    for (const record of parseSchemeBlock(pair.value, scheme)) {
      analysis.signers.push(analyzeSigner(record, digestOf));
    }
  }
  for (const signer of analysis.signers) signer.findings.push(...stripped(signer.record, seen));
  return analysis;
}

function analyzeSigner(
  record: ApkSignerRecord,
  digestOf: (algorithm: ContentDigestAlgorithm) => Uint8Array,
): ApkSignerAnalysis {
  const findings: Finding[] = [];
  const what = `${record.scheme} signer #${record.index}`;
  const out: ApkSignerAnalysis = { record, checkedDigests: [], findings };

  const signed = record.signatures.map((s) => s.algorithmId).join(',');
  const digested = record.digests.map((d) => d.algorithmId).join(',');
  if (signed !== digested) {
    // apksig: "Signature algorithms don't match between digests and signatures records".
    findings.push({
      code: 'APK_ALGORITHMS_MISMATCH',
      severity: 'integrity',
      message: `${what}: its digest records and its signatures name different algorithms`,
    });
  }
  for (const d of record.digests) {
    const alg = apkSignatureAlgorithm(d.algorithmId);
    if (!alg || !isCheckable(alg)) continue;
    const algorithm = alg.contentDigest as ContentDigestAlgorithm;
    if (!equalBytes(digestOf(algorithm), d.digest)) {
      findings.push({
        code: 'APK_DIGEST_MISMATCH',
        severity: 'integrity',
        message: `${what}: the ${alg.contentDigest} content digest of the file does not match the signed one (the entries, central directory or end record changed)`,
      });
    }
    out.checkedDigests.push(algorithm);
  }
  if (
    record.scheme !== 'v2' &&
    (record.minSdk !== record.signedMinSdk || record.maxSdk !== record.signedMaxSdk)
  ) {
    findings.push({
      code: 'APK_SDK_MISMATCH',
      severity: 'integrity',
      message: `${what}: SDK range ${record.minSdk}-${record.maxSdk} outside the signed data differs from the signed ${record.signedMinSdk}-${record.signedMaxSdk}`,
    });
  }
  const lineage = record.attributes.find((a) => a.id === PROOF_OF_ROTATION_ATTR_ID);
  if (lineage && record.scheme !== 'v2') out.lineage = parseLineage(lineage.value);
  return out;
}

/** Stripping protection: a signer that names a scheme whose block is gone was downgraded by someone. */
function stripped(record: ApkSignerRecord, blockIds: Set<number>): Finding[] {
  const out: Finding[] = [];
  for (const attr of record.attributes) {
    let missing: string | undefined;
    if (record.scheme === 'v2' && attr.id === STRIPPING_PROTECTION_ATTR_ID && attr.value.byteLength >= 4) {
      const named = Buffer.from(attr.value).readUInt32LE(0);
      const entry = SCHEME_IDS.find(([, , schemeId]) => schemeId === named);
      if (entry && !blockIds.has(entry[1])) missing = entry[0];
    }
    if (
      record.scheme === 'v3' &&
      attr.id === ROTATION_MIN_SDK_VERSION_ATTR_ID &&
      !blockIds.has(APK_SIGNATURE_SCHEME_V31_BLOCK_ID)
    ) {
      missing = 'v3.1';
    }
    if (missing) {
      out.push({
        code: 'APK_SCHEME_STRIPPED',
        severity: 'integrity',
        message: `${record.scheme} signer #${record.index} says the APK is also signed with scheme ${missing}, whose block is missing (stripped)`,
      });
    }
  }
  return out;
}

export { hasApkSigningBlock } from './signing-block.js';
