export { analyzeRpm, openPgpAlgorithmName, openPgpSignatureVersion, signedBytes } from './rpm.js';
export type { RpmAnalysis, RpmSignature, RpmSignedRange } from './rpm.js';
export { looksLikeRpm, readHeader } from './header.js';
export type { HeaderEntry, RpmHeader } from './header.js';
