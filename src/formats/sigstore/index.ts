export {
  isContainersSigstoreSignature,
  parseContainersSigstoreSignature,
  type ContainersSigstoreSignature,
} from './containers-image.js';
export {
  certificateFileDers,
  certificatePemText,
  envelopeAsBundles,
  isLegacyCosignBundle,
  isSigstoreBundleJson,
  isSigstoreBundleMediaType,
  looksLikeBase64Signature,
  parseLegacyCosignBundle,
  summarizeBundle,
  SIGSTORE_BUNDLE_PREFIX,
  SIGSTORE_BUNDLE_V03,
  type BundleSummary,
  type LegacyCosignBundle,
} from './bundle-json.js';
