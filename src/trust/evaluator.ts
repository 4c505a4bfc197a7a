import type { Evidence, Target, Verdict } from '../model/index.js';

/**
 * Turns evidence into a verdict. It never fetches: detectors hand it everything. Until trust roots are
 * wired in, a signature whose integrity facts hold is `unverified`, never `verified`.
 */
export class TrustEvaluator {
  evaluate(evidence: Evidence, _target: Target): Verdict {
    const broken = evidence.findings?.find((f) => f.severity === 'integrity');
    if (broken) return { status: 'invalid', code: broken.code, message: broken.message };
    return {
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
      message: `${evidence.family} signature found; no trust root was supplied for it, so it was not verified`,
    };
  }
}
