import type { FamilyVerifiers } from '../verifier.js';
import { authenticodeVerifier } from './authenticode.js';
import { cosignFamilyVerifier } from './cosign-blob.js';
import { inTotoVerifier } from './in-toto.js';
import { sigstoreBundleVerifier } from './sigstore-bundle.js';
import { cosignAttestationVerifier } from './cosign-attestation.js';
import { jarVerifier } from './jar.js';
import { notationFamilyVerifier } from './notation-legacy.js';
import { ociAnnotationVerifier } from './oci-annotation.js';
import { simpleSigningVerifier } from './simple-signing.js';
import { tufVerifier } from './tuf.js';

export const FAMILY_VERIFIERS: FamilyVerifiers = {
  jar: jarVerifier,
  authenticode: authenticodeVerifier,
  notation: notationFamilyVerifier,
  'oci-annotation': ociAnnotationVerifier,
  cosign: cosignFamilyVerifier,
  'sigstore-bundle': sigstoreBundleVerifier,
  'in-toto': inTotoVerifier,
  'cosign-attestation': cosignAttestationVerifier,
  'simple-signing': simpleSigningVerifier,
  tuf: tufVerifier,
};
