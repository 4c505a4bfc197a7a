export {
  checkPathRevocation,
  REVOCATION_MODES,
  type OnlineRevocation,
  type RevocationCode,
  type RevocationMode,
  type RevocationOptions,
  type RevocationResult,
  type SourceAnswer,
} from './check.js';
export {
  parseCrl,
  readCrls,
  crlProblem,
  crlCovers,
  CRL_REASONS,
  type CrlEntry,
  type LoadedCrl,
} from './crl.js';
export { decideRevocation, type RevocationDecision } from './decide.js';
export { revocationOptions } from './options.js';
