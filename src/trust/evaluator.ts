import { describeError } from '../errors.js';
import type { Evidence, Target, Verdict } from '../model/index.js';
import { emptyTrustConfig, type TrustConfig } from './config.js';
import { FAMILY_VERIFIERS } from './families/index.js';
import { invalid, unverified, verificationError } from './verdicts.js';
import type { FamilyVerifiers, TrustContext } from './verifier.js';

/**
 * Turns evidence into a verdict. It never fetches: detectors hand it everything. Integrity facts the
 * detector established (digest mismatches) make a signature invalid whatever the trust roots say.
 */
export class TrustEvaluator {
  private readonly ctx: TrustContext;

  constructor(
    config: TrustConfig = emptyTrustConfig(),
    private readonly verifiers: FamilyVerifiers = FAMILY_VERIFIERS,
  ) {
    this.ctx = { config, now: config.at ?? new Date() };
  }

  async evaluate(evidence: Evidence, target: Target): Promise<Verdict> {
    const broken = evidence.findings?.find((f) => f.severity === 'integrity');
    if (broken) return invalid(broken.code, broken.message);
    const verifier = this.verifiers[evidence.family];
    if (!verifier) {
      return unverified(
        'NOT_SUPPORTED',
        `verification of ${evidence.family} signatures is not supported yet`,
      );
    }
    try {
      return await verifier(evidence, target, this.ctx);
    } catch (err) {
      const e = describeError(err);
      return verificationError(e.code, `could not verify the ${evidence.family} signature: ${e.message}`);
    }
  }
}
