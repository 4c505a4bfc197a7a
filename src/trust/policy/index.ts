export {
  evaluatePolicy,
  defaultLoadKeys,
  describeRequirement,
  type PolicyEvaluationOptions,
} from './evaluate.js';
export { identityMatches } from './identity.js';
export { parsePolicy, readPolicyFile } from './parse.js';
export { dockerScopes, requirementsFor, type ImageName } from './scope.js';
export { checkSimpleSignature, describeKey, type BlobCheck } from './signature.js';
export type { ContainersPolicy, PolicyDecision, PolicyRequirement, SignedIdentity } from './types.js';
export { CONTAINERS_POLICY_ENV, defaultContainersPolicy, SYSTEM_CONTAINERS_POLICY } from './default-path.js';
