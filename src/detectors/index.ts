import type { FileFormat, Target } from '../model/index.js';
import type { Detector } from './detector.js';

export type { Detector, DetectContext, FileInput, RepositoryDiscovery, Sidecar } from './detector.js';

/**
 * One signature family's detector module and the kinds of target it can apply to. The kinds are only a
 * loading hint: a file scan never pays for openpgp, TUF or the registry detectors unless it meets an
 * image (an OCI layout in the tree). Whether a detector runs is still decided by its own `applies`.
 */
interface DetectorModule {
  kinds: ReadonlyArray<Target['kind']>;
  /**
   * The file formats it may apply to, when it applies to few: also a loading hint, so that a tree of PE
   * images (and each worker thread scanning it) never loads the JAR, APK, RPM or MSI code. Absent: any.
   */
  formats?: readonly FileFormat[];
  load: () => Promise<Detector>;
}

/**
 * Every core signature family. Order does not matter: detectors run side by side. Families written
 * against the plugin contract (ir-sign, and the user's --plugin modules) come from src/plugin.
 */
const DETECTOR_MODULES: readonly DetectorModule[] = [
  { kinds: ['image'], load: async () => (await import('./cosign.js')).cosignDetector },
  {
    kinds: ['image'],
    load: async () => (await import('./cosign-attestation.js')).cosignAttestationDetector,
  },
  { kinds: ['image'], load: async () => (await import('./notation.js')).notationDetector },
  {
    kinds: ['file'],
    formats: ['jar', 'apk'],
    load: async () => (await import('./jar.js')).jarDetector,
  },
  {
    kinds: ['file'],
    formats: ['pe'],
    load: async () => (await import('./authenticode.js')).authenticodeDetector,
  },
  {
    kinds: ['file'],
    formats: ['script'],
    load: async () => (await import('./authenticode-script.js')).authenticodeScriptDetector,
  },
  {
    kinds: ['file'],
    formats: ['msi'],
    load: async () => (await import('./authenticode-msi.js')).authenticodeMsiDetector,
  },
  {
    kinds: ['file'],
    formats: ['cab'],
    load: async () => (await import('./authenticode-cab.js')).authenticodeCabDetector,
  },
  {
    kinds: ['file'],
    formats: ['cat'],
    load: async () => (await import('./authenticode-catalog.js')).authenticodeCatalogDetector,
  },
  {
    kinds: ['file'],
    formats: ['appx'],
    load: async () => (await import('./authenticode-appx.js')).authenticodeAppxDetector,
  },
  {
    kinds: ['file'],
    load: async () => (await import('./authenticode-catalog-member.js')).authenticodeCatalogMemberDetector,
  },
  { kinds: ['file'], formats: ['apk'], load: async () => (await import('./apk.js')).apkDetector },
  { kinds: ['file'], formats: ['rpm'], load: async () => (await import('./rpm.js')).rpmDetector },
  { kinds: ['file'], formats: ['deb'], load: async () => (await import('./debsig.js')).debsigDetector },
  { kinds: ['image'], load: async () => (await import('./simple-signing.js')).simpleSigningDetector },
  {
    kinds: ['image', 'file'],
    load: async () => (await import('./sigstore-bundle.js')).sigstoreBundleDetector,
  },
  { kinds: ['file'], load: async () => (await import('./cosign-blob.js')).cosignBlobDetector },
  { kinds: ['file'], formats: ['in-toto'], load: async () => (await import('./in-toto.js')).inTotoDetector },
  { kinds: ['image'], load: async () => (await import('./tuf.js')).tufDetector },
  { kinds: ['image'], load: async () => (await import('./nv2.js')).nv2Detector },
];

const loaded = new Map<string, Promise<readonly Detector[]>>();

/**
 * The detectors that may apply to targets of this kind (and, for a file, this format), imported on first
 * use and then shared; in the registry's order whatever the format, so the run order is the same.
 */
export function detectorsFor(kind: Target['kind'], format?: FileFormat): Promise<readonly Detector[]> {
  const key = `${kind}\0${format ?? ''}`;
  let detectors = loaded.get(key);
  if (!detectors) {
    const modules = DETECTOR_MODULES.filter(
      (m) => m.kinds.includes(kind) && (!format || !m.formats || m.formats.includes(format)),
    );
    detectors = Promise.all(modules.map((m) => m.load()));
    loaded.set(key, detectors);
  }
  return detectors;
}

/** Every detector, for callers that want the whole set up front (tests, tools). */
export async function allDetectors(): Promise<readonly Detector[]> {
  return Promise.all(DETECTOR_MODULES.map((m) => m.load()));
}
