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
  Object.assign(merged, mergeDescriptions(reports));
  return merged;
}

/**
 * What the merged report may still claim about itself: a family counts as checked only when every part
 * checked it; every part's "not checked" and trust inputs are kept; interrupted if any part was. The parts'
 * scan ids are not the merge's; a version or `--at` is kept only when all parts agree.
 */
function mergeDescriptions(reports: readonly ScanReport[]): Partial<ScanReport> {
  const out: Partial<ScanReport> = {};
  const all = <K extends keyof ScanReport>(k: K) => reports.every((r) => r[k] !== undefined);
  if (all('checked')) {
    const [first, ...rest] = reports.map((r) => r.checked!);
    out.checked = first!.filter((f) => rest.every((c) => c.includes(f)));
  }
  const unite = <T>(lists: Array<T[] | undefined>): T[] | undefined => {
    if (lists.every((l) => l === undefined)) return undefined;
    const seen = new Map<string, T>();
    for (const item of lists.flatMap((l) => l ?? [])) seen.set(JSON.stringify(item), item);
    return [...seen.values()];
  };
  const notChecked = unite(reports.map((r) => r.notChecked));
  if (notChecked) out.notChecked = notChecked;
  const trust = unite(reports.map((r) => r.trust));
  if (trust) out.trust = trust;
  const orphans = unite(reports.map((r) => r.orphans));
  if (orphans) out.orphans = orphans;
  if (reports.some((r) => r.interrupted !== undefined))
    out.interrupted = reports.some((r) => r.interrupted === true);
  const versions = new Set(reports.map((r) => r.toolVersion));
  if (versions.size === 1 && reports[0]!.toolVersion) out.toolVersion = reports[0]!.toolVersion;
  const ats = new Set(reports.map((r) => r.at?.toISOString()));
  if (ats.size === 1 && reports[0]!.at) out.at = reports[0]!.at;
  // One revocation claim only when every part made the same one.
  const revocations = new Set(reports.map((r) => JSON.stringify(r.revocation ?? null)));
  if (revocations.size === 1 && reports[0]!.revocation) out.revocation = { ...reports[0]!.revocation };
  // A waived check in any part weakens the whole: the merged report keeps saying so.
  if (reports.some((r) => r.insecureIgnoreTlog)) out.insecureIgnoreTlog = true;
  return out;
}
