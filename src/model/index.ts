export type { FileFormat, FileTarget, ImageTarget, Target, TargetFinding, Workload } from './target.js';
export { NESTED_SEPARATOR, targetRef } from './target.js';
export type { Verdict, VerdictStatus } from './verdict.js';
export type {
  CertificateSummary,
  Countersigner,
  Evidence,
  Finding,
  SignatureFamily,
  SignerIdentity,
} from './evidence.js';
export type { ErrorEntry, SignatureResult, TargetResult, TargetStatus } from './result.js';
export { targetStatus } from './result.js';
