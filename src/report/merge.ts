import type { ErrorEntry, TargetResult } from '../model/index.js';
import { targetRef } from '../model/index.js';
import type { ScanReport } from '../scan/report-model.js';

/** The identity of a target across reports: kind, reference and platform. */
export function targetKey(r: TargetResult): string {
  const t = r.target;
  return `${t.kind}\0${targetRef(t)}\0${t.kind === 'image' ? (t.platform ?? '') : ''}`;
}

/**
 * Merges reports into what one scan of all their inputs would have produced: targets deduplicated by
 * kind+ref(+platform), the newest report winning (by finishedAt, then argument order); scan errors
 * deduplicated; inputs united; files skipped added up over reports with new inputs; the summary is
 * recomputed by the renderers from the merged targets.
 */
export function mergeReports(reports: readonly ScanReport[]): ScanReport {
  if (reports.length === 0) throw new Error('mergeReports needs at least one report');
  const ordered = reports
    .map((report, i) => ({ report, i }))
    .sort((a, b) => a.report.finishedAt.getTime() - b.report.finishedAt.getTime() || a.i - b.i)
    .map((x) => x.report);
  const commands = new Set(reports.map((r) => r.command));
  const inputs: string[] = [];
  const seenInputs = new Set<string>();
  const results = new Map<string, TargetResult>();
  const scanErrors = new Map<string, ErrorEntry>();
  let filesSkipped: number | undefined;
  for (const report of reports) {
    const fresh = report.inputs.filter((i) => !seenInputs.has(i));
    for (const i of fresh) {
      seenInputs.add(i);
      inputs.push(i);
    }
    if (report.filesSkipped !== undefined && (fresh.length > 0 || report.inputs.length === 0))
      filesSkipped = (filesSkipped ?? 0) + report.filesSkipped;
    else if (report.filesSkipped !== undefined) filesSkipped ??= 0;
  }
  for (const report of ordered) {
    for (const r of report.results) results.set(targetKey(r), r);
    for (const e of report.scanErrors) scanErrors.set(JSON.stringify([e.code, e.message, e.source ?? '']), e);
  }
  const merged: ScanReport = {
    command: commands.size === 1 ? reports[0]!.command : 'merge',
    inputs,
    startedAt: new Date(Math.min(...reports.map((r) => r.startedAt.getTime()))),
    finishedAt: new Date(Math.max(...reports.map((r) => r.finishedAt.getTime()))),
    results: [...results.values()],
    scanErrors: [...scanErrors.values()],
  };
  if (filesSkipped !== undefined) merged.filesSkipped = filesSkipped;
  return merged;
}
