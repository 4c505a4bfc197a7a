import type { Evidence, Finding, Target } from '../model/index.js';
import { readCabSignature } from '../formats/cab.js';
import { AUTHENTICODE_OID } from '../formats/pe/index.js';
import { authenticodeBounds, containerEvidence, fileBytes, type SignedSubject } from './authenticode.js';
import type { DetectContext, Detector } from './detector.js';

/**
 * Authenticode in cabinets (family `authenticode`, format `cab`): the PKCS #7 the CFHEADER reserve area
 * points at, checked against the cabinet SIP hash. Data after the signature, or inside its area beyond
 * zero padding, is refused: nothing covers it.
 */
export const authenticodeCabDetector: Detector = {
  name: 'authenticode-cab',
  family: 'authenticode',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'cab';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const cab = readCabSignature(fileBytes(target, ctx, 'authenticode-cab'));
    if (!cab.signatureDer) return;
    const findings: Finding[] = cab.problems.map((p) => ({
      code: p.code,
      severity: 'integrity',
      message: p.message,
    }));
    const subject: SignedSubject = {
      what: 'a cabinet',
      describes: (data) => data.dataType === AUTHENTICODE_OID.spcCabData,
      mismatchCode: 'SIGNED_SUBJECT_TYPE_MISMATCH',
      hash: cab.hash,
    };
    yield* containerEvidence(
      cab.signatureDer,
      'cfheader-reserve',
      subject,
      findings,
      { signatureOffset: cab.signatureOffset },
      authenticodeBounds(ctx.limits),
    );
  },
};
