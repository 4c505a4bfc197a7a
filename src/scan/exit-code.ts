import type { TargetResult } from '../model/index.js';
import type { ScanReport } from './report-model.js';

/** Documented in the README and in --help. */
export const ExitCode = {
  ok: 0,
  /** A --fail-on condition matched. */
  policy: 1,
  usage: 2,
  /** The scan finished, but some targets or sources could not be checked. */
  errors: 3,
} as const;

export const FAIL_ON_CONDITIONS = [
  'unsigned',
  'invalid',
  'untrusted',
  'unverified',
  'unknown',
  'error',
] as const;
export type FailOnCondition = (typeof FAIL_ON_CONDITIONS)[number];

export function matchesFailOn(r: TargetResult, conditions: ReadonlySet<FailOnCondition>): boolean {
  if (conditions.has('unsigned') && r.status === 'unsigned') return true;
  if (conditions.has('unknown') && r.status === 'unknown') return true;
  if (conditions.has('error') && r.errors.length > 0) return true;
  return r.signatures.some((s) => conditions.has(s.verdict.status as FailOnCondition));
}

/** A policy failure outranks scan errors: it is the answer the CI job asked for. */
export function exitCodeFor(report: ScanReport, failOn: readonly FailOnCondition[]): number {
  const conditions = new Set(failOn);
  if (conditions.size && report.results.some((r) => matchesFailOn(r, conditions))) return ExitCode.policy;
  if (conditions.has('error') && report.scanErrors.length) return ExitCode.policy;
  const hasErrors = report.scanErrors.length > 0 || report.results.some((r) => r.errors.length > 0);
  return hasErrors ? ExitCode.errors : ExitCode.ok;
}
