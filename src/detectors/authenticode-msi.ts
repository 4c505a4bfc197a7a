import type { Evidence, Finding, Target } from '../model/index.js';
import { readMsiSignature, MSI_SIP_GUID } from '../formats/msi.js';
import { AUTHENTICODE_OID } from '../formats/pe/index.js';
import { authenticodeBounds, containerEvidence, fileBytes, type SignedSubject } from './authenticode.js';
import type { DetectContext, Detector } from './detector.js';

/**
 * Authenticode in MSI packages (family `authenticode`, format `msi`): the `\u0005DigitalSignature` stream,
 * checked against the MSI SIP hash of the package's streams (and metadata, when MsiDigitalSignatureEx is
 * present). Without MsiDigitalSignatureEx the names and sizes of streams are not signed, which the
 * evidence says.
 */
export const authenticodeMsiDetector: Detector = {
  name: 'authenticode-msi',
  family: 'authenticode',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'msi';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const msi = readMsiSignature(fileBytes(target, ctx, 'authenticode-msi'));
    if (!msi.signatureDer) return;
    const findings: Finding[] = msi.problems.map((p) => ({
      code: p.code,
      severity: 'integrity',
      message: p.message,
    }));
    if (!msi.digitalSignatureEx) {
      findings.push({
        code: 'MSI_METADATA_UNSIGNED',
        severity: 'warning',
        message:
          'no MsiDigitalSignatureEx: the signature covers stream contents only, not stream names, sizes or times',
      });
    }
    const subject: SignedSubject = {
      what: 'an MSI package',
      describes: (data) => data.dataType === AUTHENTICODE_OID.spcSipInfo && data.sipGuid === MSI_SIP_GUID,
      mismatchCode: 'SIGNED_SUBJECT_TYPE_MISMATCH',
      hash: msi.hash,
    };
    yield* containerEvidence(
      msi.signatureDer,
      'DigitalSignature',
      subject,
      findings,
      { streamsHashed: msi.streamsHashed, msiDigitalSignatureEx: Boolean(msi.digitalSignatureEx) },
      authenticodeBounds(ctx.limits),
    );
  },
};
