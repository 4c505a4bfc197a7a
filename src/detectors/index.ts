import { authenticodeDetector } from './authenticode.js';
import { cosignDetector } from './cosign.js';
import { cosignAttestationDetector } from './cosign-attestation.js';
import { cosignBlobDetector } from './cosign-blob.js';
import { inTotoDetector } from './in-toto.js';
import { irSignDetector } from './ir-sign.js';
import { jarDetector } from './jar.js';
import { notationDetector } from './notation.js';
import { nv2Detector } from './nv2.js';
import { sigstoreBundleDetector } from './sigstore-bundle.js';
import { simpleSigningDetector } from './simple-signing.js';
import { tufDetector } from './tuf.js';
import type { Detector } from './detector.js';

export type { Detector, DetectContext, FileInput, RepositoryDiscovery, Sidecar } from './detector.js';

/** Every signature family sigscan knows. Order does not matter: detectors run side by side. */
export const DETECTORS: readonly Detector[] = [
  cosignDetector,
  cosignAttestationDetector,
  notationDetector,
  jarDetector,
  authenticodeDetector,
  simpleSigningDetector,
  sigstoreBundleDetector,
  cosignBlobDetector,
  inTotoDetector,
  tufDetector,
  irSignDetector,
  nv2Detector,
];
