import type { Evidence } from './evidence.js';
import type { Target } from './target.js';
import type { Verdict } from './verdict.js';

export interface SignatureResult {
  evidence: Evidence;
  verdict: Verdict;
}

export interface ErrorEntry {
  code: string;
  message: string;
  /** The detector or stage that hit the error. */
  source?: string;
}

/** signed: at least one signature; unsigned: fully checked, none found; unknown: a lookup failed. */
export type TargetStatus = 'signed' | 'unsigned' | 'unknown';

export interface TargetResult {
  target: Target;
  status: TargetStatus;
  signatures: SignatureResult[];
  errors: ErrorEntry[];
}

export function targetStatus(signatures: SignatureResult[], errors: ErrorEntry[]): TargetStatus {
  if (signatures.length > 0) return 'signed';
  return errors.length > 0 ? 'unknown' : 'unsigned';
}
