import type { FamilyVerifier, FamilyVerifiers } from '../verifier.js';

/**
 * Imports a family's verifier the first time a signature of that family is decided, so a JAR-only tree
 * never loads openpgp, sigstore-js or the TUF code (start-up is most of a small scan's time).
 */
function lazy(load: () => Promise<FamilyVerifier>): FamilyVerifier {
  let verifier: Promise<FamilyVerifier> | undefined;
  return async (evidence, target, ctx) => {
    verifier ??= load();
    return (await verifier)(evidence, target, ctx);
  };
}

export const FAMILY_VERIFIERS: FamilyVerifiers = {
  jar: lazy(async () => (await import('./jar.js')).jarVerifier),
  authenticode: lazy(async () => (await import('./authenticode.js')).authenticodeVerifier),
  notation: lazy(async () => (await import('./notation-legacy.js')).notationFamilyVerifier),
  cosign: lazy(async () => (await import('./cosign-blob.js')).cosignFamilyVerifier),
  'sigstore-bundle': lazy(async () => (await import('./sigstore-bundle.js')).sigstoreBundleVerifier),
  'in-toto': lazy(async () => (await import('./in-toto.js')).inTotoVerifier),
  'cosign-attestation': lazy(async () => (await import('./cosign-attestation.js')).cosignAttestationVerifier),
  'simple-signing': lazy(async () => (await import('./simple-signing.js')).simpleSigningVerifier),
  tuf: lazy(async () => (await import('./tuf.js')).tufVerifier),
  apk: lazy(async () => (await import('./apk.js')).apkVerifier),
  rpm: lazy(async () => (await import('./rpm.js')).rpmVerifier),
  debsig: lazy(async () => (await import('./debsig.js')).debsigVerifier),
};
