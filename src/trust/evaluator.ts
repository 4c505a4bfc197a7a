import { describeError } from '../errors.js';
import type { Evidence, Finding, Target, Verdict } from '../model/index.js';
import { emptyTrustConfig, type TrustConfig } from './config.js';
import { FAMILY_VERIFIERS } from './families/index.js';
import { invalid, unverified, verificationError } from './verdicts.js';
import type { OnlineRevocation } from './revocation/check.js';
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
    onlineRevocation?: OnlineRevocation,
  ) {
    this.ctx = { config, now: config.at ?? new Date(), ...(onlineRevocation ? { onlineRevocation } : {}) };
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
    // Findings of this evaluation only (evaluations run concurrently on one context).
    const findings: Finding[] = [];
    try {
      return await verifier(evidence, target, { ...this.ctx, findings });
    } catch (err) {
      const e = describeError(err);
      return verificationError(e.code, `could not verify the ${evidence.family} signature: ${e.message}`);
    } finally {
      if (findings.length) evidence.findings = [...(evidence.findings ?? []), ...dedupe(findings)];
    }
  }
}

/** The same CRL problem is met once per certificate it could cover: say it once. */
function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => !seen.has(`${f.code}\n${f.message}`) && seen.add(`${f.code}\n${f.message}`));
}
