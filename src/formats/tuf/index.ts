export { canonicalJson, canonicalJsonString, compareUtf8 } from './canonical.js';
export {
  computeKeyId,
  parseTufKey,
  resolveKey,
  spkiSha256,
  type ResolvedKey,
  type TufFlavour,
  type TufKey,
} from './keys.js';
export {
  checkFileInfo,
  parseRfc3339,
  parseTufMetadata,
  type DelegatedRole,
  type MetaFileInfo,
  type RoleKeys,
  type TufMetadata,
  type TufRoleType,
  type TufSignature,
  type TufTargetInfo,
} from './metadata.js';
export { parseCustom, type CustomSummary } from './custom.js';
export {
  delegationCovers,
  delegationPath,
  findTarget,
  findTargetsByDigest,
  MAX_DELEGATED_ROLES,
  MAX_DELEGATION_DEPTH,
  parseTufRepository,
  type DelegationNode,
  type TargetListing,
  type TufRepository,
  type TufRepositoryFiles,
} from './repository.js';
