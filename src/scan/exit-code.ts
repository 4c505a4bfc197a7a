import type { TargetResult } from '../model/index.js';
import { targetVerdict, type ScanReport } from './report-model.js';

/** Documented in the README and in --help. */
export const ExitCode = {
  ok: 0,
  /** A --fail-on condition matched. */
  policy: 1,
  usage: 2,
  /** The scan finished, but some targets or sources could not be checked. */
  errors: 3,
  /** 128 + the signal number, as shells report a process a signal stopped. */
  sigint: 130,
  sigterm: 143,
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

/**
 * unsigned/unknown: the target status. invalid/untrusted/unverified/error: the target's verdict under the
 * multi-signature rule (targetVerdict), so a verified target with an untrusted co-signature passes
 * `--fail-on untrusted` exactly as the summary counts it. error also matches any error entry on the target.
 */
export function matchesFailOn(r: TargetResult, conditions: ReadonlySet<FailOnCondition>): boolean {
  if (conditions.has('unsigned') && r.status === 'unsigned') return true;
  if (conditions.has('unknown') && r.status === 'unknown') return true;
  if (conditions.has('error') && r.errors.length > 0) return true;
  const verdict = targetVerdict(r.signatures);
  return verdict !== null && conditions.has(verdict as FailOnCondition);
}

/**
 * Scan-level errors (a filter that matched nothing, an unreachable registry, a denied catalog) mean targets
 * that should have been checked were not: they match both `unknown` and `error`.
 */
export function scanErrorsMatch(
  report: Pick<ScanReport, 'scanErrors'>,
  conditions: ReadonlySet<FailOnCondition>,
) {
  return report.scanErrors.length > 0 && (conditions.has('error') || conditions.has('unknown'));
}

/** A policy failure outranks scan errors: it is the answer the CI job asked for. */
export function exitCodeFor(report: ScanReport, failOn: readonly FailOnCondition[]): number {
  const conditions = new Set(failOn);
  if (conditions.size && report.results.some((r) => matchesFailOn(r, conditions))) return ExitCode.policy;
  if (scanErrorsMatch(report, conditions)) return ExitCode.policy;
  const hasErrors = report.scanErrors.length > 0 || report.results.some((r) => r.errors.length > 0);
  return hasErrors ? ExitCode.errors : ExitCode.ok;
}
