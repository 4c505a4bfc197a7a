import type { DebsigEvidenceMaterial } from '../../detectors/debsig.js';
import { verifyDetached } from '../openpgp-detached.js';
import { verificationError } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';

/**
 * One debsigs signature, as `gpgv` checks it over debian-binary + control + data (debsig-verify's
 * policy files are not read: any key in `--gpg-keyring` is trusted for every role). Layout ambiguities
 * were turned into `invalid` by the evaluator from the detector's integrity findings.
 */
export const debsigVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as DebsigEvidenceMaterial | undefined;
  if (!m?.packet) return verificationError('INTERNAL', 'the debsig detector supplied no signature');
  return verifyDetached(
    { location: evidence.location, packet: m.packet, signed: m.signed, range: 'debsigs' },
    ctx,
  );
};
