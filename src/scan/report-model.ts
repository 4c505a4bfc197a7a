import type { ErrorEntry, SignatureFamily, TargetResult, VerdictStatus } from '../model/index.js';

/** A finished scan: everything a reporter may read. */
export interface ScanReport {
  command: string;
  inputs: string[];
  startedAt: Date;
  finishedAt: Date;
  results: TargetResult[];
  /** Problems not tied to one target: an unreachable registry, a denied catalog, an unreadable directory. */
  scanErrors: ErrorEntry[];
  /** Files seen but not reported (not a signable format), for fs scans. */
  filesSkipped?: number;
  stats?: unknown;
}

export interface ScanSummary {
  targets: number;
  signed: number;
  unsigned: number;
  unknown: number;
  signatures: number;
  verdicts: Record<VerdictStatus, number>;
  families: Partial<Record<SignatureFamily, number>>;
  /** Target-level error entries plus scan-level ones. */
  errors: number;
  filesSkipped?: number;
}

export function summarize(report: ScanReport): ScanSummary {
  const summary: ScanSummary = {
    targets: report.results.length,
    signed: 0,
    unsigned: 0,
    unknown: 0,
    signatures: 0,
    verdicts: { verified: 0, invalid: 0, untrusted: 0, unverified: 0, error: 0 },
    families: {},
    errors: report.scanErrors.length,
  };
  for (const r of report.results) {
    summary[r.status]++;
    summary.errors += r.errors.length;
    for (const s of r.signatures) {
      summary.signatures++;
      summary.verdicts[s.verdict.status]++;
      summary.families[s.evidence.family] = (summary.families[s.evidence.family] ?? 0) + 1;
    }
  }
  if (report.filesSkipped !== undefined) summary.filesSkipped = report.filesSkipped;
  return summary;
}

/** Stable order for every format: by reference, then platform. */
export function sortResults(results: TargetResult[]): TargetResult[] {
  const key = (r: TargetResult) =>
    r.target.kind === 'file'
      ? r.target.path
      : `${r.target.registry}/${r.target.repository}:${r.target.tag ?? ''}@${r.target.platform ? `~${r.target.platform}` : ''}${r.target.digest}`;
  return [...results].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
