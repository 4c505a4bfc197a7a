import type { TargetResult } from '../model/index.js';
import { sortResults, summarize, type ScanReport, type ScanSummary } from '../scan/report-model.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { JSON_SCHEMA_VERSION, scanJson, targetJson, errorJson } from './json.js';

/** What ties a line to its scan when lines of several scans end up in one log. */
export interface LineScan {
  scanId?: string;
}

/**
 * NDJSON: one `{"type":"target", ...}` line per target (the JSON report's target object plus `type`,
 * `scanId` and `sigscanVersion`), then one `{"type":"summary", ...}` line with the scan, scan-level errors
 * and the summary (`interrupted: true` when a signal cut the scan short). A streaming scan writes target
 * lines in the order targets finish; a converted report writes them sorted.
 */
export function targetLine(r: TargetResult, scan: LineScan = {}): string {
  return `${JSON.stringify({
    type: 'target',
    ...(scan.scanId ? { scanId: scan.scanId } : {}),
    sigscanVersion: TOOL_VERSION,
    ...targetJson(r),
  })}\n`;
}

export function summaryLine(report: ScanReport, summary: ScanSummary = summarize(report)): string {
  return `${JSON.stringify({
    type: 'summary',
    ...(report.scanId ? { scanId: report.scanId } : {}),
    ...(report.interrupted ? { interrupted: true } : {}),
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scan: scanJson(report),
    errors: report.scanErrors.map(errorJson),
    summary,
  })}\n`;
}

export function renderNdjson(report: ScanReport): string {
  const scan = { scanId: report.scanId };
  return (
    sortResults(report.results)
      .map((r) => targetLine(r, scan))
      .join('') + summaryLine(report)
  );
}
