import type { FamilyVerifiers } from '../verifier.js';
import { authenticodeVerifier } from './authenticode.js';
import { cosignVerifier } from './cosign.js';
import { cosignAttestationVerifier } from './cosign-attestation.js';
import { jarVerifier } from './jar.js';
import { notationVerifier } from './notation.js';
import { simpleSigningVerifier } from './simple-signing.js';

export const FAMILY_VERIFIERS: FamilyVerifiers = {
  jar: jarVerifier,
  authenticode: authenticodeVerifier,
  notation: notationVerifier,
  cosign: cosignVerifier,
  'cosign-attestation': cosignAttestationVerifier,
  'simple-signing': simpleSigningVerifier,
};
