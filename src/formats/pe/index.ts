export { headerBytesNeeded, looksLikePe, parsePeLayout, type PeLayout, type PeSection } from './pe-file.js';
export {
  computeImageHash,
  imageHashRanges,
  ImageHasher,
  isSupportedImageHashAlgorithm,
  sipHash,
} from './image-hash.js';
export {
  AUTHENTICODE_OID,
  DEFAULT_AUTHENTICODE_BOUNDS,
  WIN_CERT_REVISION_2_0,
  WIN_CERT_TYPE_PKCS_SIGNED_DATA,
  flattenSignatures,
  isPeImageDataType,
  parseAuthenticodeSignature,
  checkTableSize,
  readCertificateTable,
  readPeAuthenticode,
  readPeAuthenticodeParts,
  signerAlgorithmName,
  type AuthenticodeBounds,
  type AuthenticodeSignature,
  type CertificateTable,
  type PeAuthenticode,
  type SignedContentKind,
  type SpcIndirectData,
  type WinCertificateRecord,
} from './authenticode.js';
export {
  certificateTablePlacement,
  isEfiImage,
  type PlacementCode,
  type PlacementProblem,
} from './placement.js';
