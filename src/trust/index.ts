export { TrustEvaluator } from './evaluator.js';
export {
  loadTrustConfig,
  emptyTrustConfig,
  readCertificates,
  readPublicKey,
  type TrustConfig,
  type TrustInput,
  type TrustedKey,
} from './config.js';
export { validateChain, hasKeyUsage, type ChainOptions, type ChainResult } from './x509-chain.js';
export type { FamilyVerifier, FamilyVerifiers, TrustContext } from './verifier.js';
export { verified, invalid, untrusted, unverified, verificationError } from './verdicts.js';
