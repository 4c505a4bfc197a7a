export {
  checkSignatures,
  layoutKeyObject,
  layoutKeyVerifier,
  trustedKeyVerifiers,
  verifyScheme,
  type InTotoVerifier,
  type SignatureCheck,
} from './keys.js';
export { fnmatchRegExp, unpackRule, verifyItemRules, type ParsedRule, type RuleViolation } from './rules.js';
export {
  verifyLayout,
  type LayoutCode,
  type LayoutVerification,
  type LinkStore,
  type StepOutcome,
  type VerifyLayoutOptions,
} from './verify.js';
