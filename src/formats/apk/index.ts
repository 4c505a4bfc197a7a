export { analyzeApk, hasApkSigningBlock } from './apk.js';
export type { ApkAnalysis, ApkSignerAnalysis } from './apk.js';
export { algorithmLabel, apkSignatureAlgorithm, isCheckable } from './algorithms.js';
export type { ApkSignatureAlgorithm } from './algorithms.js';
export { contentDigest, CHUNK_SIZE } from './content-digest.js';
export { parseLineage, parseSchemeBlock } from './scheme.js';
export type { ApkScheme, ApkSignerRecord, LineageNode } from './scheme.js';
export {
  APK_SIGNATURE_SCHEME_V2_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V3_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V31_BLOCK_ID,
  findZipSections,
  readSigningBlock,
  signingBlockStart,
} from './signing-block.js';
