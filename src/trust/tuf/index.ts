export {
  problemsFor,
  verifyTufChain,
  type ChainOptions,
  type ChainProblem,
  type ChainReport,
  type ProblemSeverity,
  type RoleStatus,
  type TufPin,
} from './chain.js';
export { checkThreshold, verifySignature, type SignatureCheck, type ThresholdResult } from './signatures.js';
