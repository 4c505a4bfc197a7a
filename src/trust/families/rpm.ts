import type { RpmEvidenceMaterial } from '../../detectors/rpm.js';
import { verifyDetached } from '../openpgp-detached.js';
import { invalid, verificationError } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';

/**
 * One OpenPGP signature of an RPM package, as `rpmkeys --checksig` decides it, against `--gpg-keyring`:
 * 1. a header-only signature vouches for the payload only through the payload digest in the header:
 *    without one that matched, the payload is not covered => `invalid` (the detector's digest findings
 *    already made tampered headers and payloads `invalid`);
 * 2. then as any detached OpenPGP signature (openpgp-detached.ts) against `--gpg-keyring`.
 */
export const rpmVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as RpmEvidenceMaterial | undefined;
  if (!m?.packet) return verificationError('INTERNAL', 'the RPM detector supplied no signature packet');
  if (m.range === 'header' && !m.payloadDigestChecked) {
    return invalid(
      'RPM_PAYLOAD_NOT_COVERED',
      `${evidence.location} signs the header only, and the header carries no payload digest: the payload is not signed`,
    );
  }
  return verifyDetached(
    { location: evidence.location, packet: m.packet, signed: m.signed, range: m.range },
    ctx,
  );
};
