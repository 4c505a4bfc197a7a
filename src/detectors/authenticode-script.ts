import type { Evidence, Finding, Target } from '../model/index.js';
import { AUTHENTICODE_OID } from '../formats/pe/index.js';
import { readScriptSignature, SCRIPT_SIP_GUID, scriptStyle } from '../formats/script.js';
import { authenticodeBounds, containerEvidence, fileBytes, type SignedSubject } from './authenticode.js';
import type { DetectContext, Detector } from './detector.js';

/**
 * Authenticode signature blocks of scripts (PowerShell, its XML files, MOF, JScript): family
 * `authenticode`, format `script`. The comment style comes from the file name, as for osslsigncode and
 * Windows' script SIPs. Where our reading of the block could differ from another reader's (text after
 * the block, a second block, a malformed block line, text that is not UTF-8), the finding is an integrity
 * one and the verdict `invalid`.
 */
export const authenticodeScriptDetector: Detector = {
  name: 'authenticode-script',
  family: 'authenticode',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'script';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const bytes = fileBytes(target, ctx, 'authenticode-script');
    const style = scriptStyle(target.kind === 'file' ? target.path : '');
    if (!style) return;
    const block = readScriptSignature(bytes, style);
    if (!block.signatureDer) return;
    const findings: Finding[] = block.problems.map((p) => ({
      code: p.code,
      severity: 'integrity',
      message: p.message,
    }));
    const subject: SignedSubject = {
      what: 'a script',
      describes: (data) => data.dataType === AUTHENTICODE_OID.spcSipInfo && data.sipGuid === SCRIPT_SIP_GUID,
      mismatchCode: 'SIGNED_SUBJECT_TYPE_MISMATCH',
      hash: block.hash,
    };
    yield* containerEvidence(
      block.signatureDer,
      'signature-block',
      subject,
      findings,
      { scriptEncoding: block.encoding, signatureBlockLine: block.blockLine },
      authenticodeBounds(ctx.limits),
    );
  },
};
