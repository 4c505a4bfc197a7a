export { canonicalJson } from './canonical.js';
export {
  inTotoKeyId,
  linkFileName,
  looksLikeInToto,
  parseInTotoMetadata,
  IN_TOTO_DSSE_PAYLOAD_TYPE,
  type ArtifactMap,
  type ArtifactRule,
  type InTotoInspection,
  type InTotoKey,
  type InTotoLayout,
  type InTotoLink,
  type InTotoMetadata,
  type InTotoSignature,
  type InTotoStep,
} from './metadata.js';
