import type { Evidence, SignatureFamily, Target, Verdict } from '../model/index.js';
import type { Finding } from '../model/index.js';
import type { TrustConfig } from './config.js';
import type { OnlineRevocation } from './revocation/check.js';

export interface TrustContext {
  config: TrustConfig;
  /** The instant "now" means for this scan: `--at`, or the scan's start. */
  now: Date;
  /** The online revocation client (`--revocation online*`), shared by the scan (one cache). */
  onlineRevocation?: OnlineRevocation;
  /** Per evaluation: findings the trust layer adds to the evidence (a CRL not used, a source down). */
  findings?: Finding[];
}

/**
 * Decides one family's signatures. Gets only what the detector extracted (evidence.material) and the
 * user's trust inputs; never fetches. Must not answer `verified` when any check was skipped.
 */
export type FamilyVerifier = (evidence: Evidence, target: Target, ctx: TrustContext) => Promise<Verdict>;

export type FamilyVerifiers = Partial<Record<SignatureFamily, FamilyVerifier>>;
