export {
  analyzeJar,
  ENTRY_LIST_CAP,
  isSignatureRelated,
  looksLikeJar,
  MANIFEST_NAME,
  signatureAlgorithmName,
} from './jar.js';
export type { JarAnalysis, JarLimits, JarSignature } from './jar.js';
export {
  attribute,
  mainSectionBytes,
  parseManifest,
  sectionBytes,
  sectionBytesWithoutBlankLine,
  sectionsByName,
} from './manifest.js';
export type { ManifestAttribute, ManifestSection, ManifestSyntaxError, ParsedManifest } from './manifest.js';
