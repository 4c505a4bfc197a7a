import type { TargetResult } from '../model/index.js';
import { sortResults, summarize, type ScanReport, type ScanSummary } from '../scan/report-model.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { JSON_SCHEMA_VERSION, scanJson, targetJson, errorJson } from './json.js';

/**
 * NDJSON: one `{"type":"target", ...}` line per target (the JSON report's target object plus `type`), then one
 * `{"type":"summary", ...}` line with the scan, scan-level errors and the summary. A streaming scan writes
 * target lines in the order targets finish; a converted report writes them sorted.
 */
export function targetLine(r: TargetResult): string {
  return `${JSON.stringify({ type: 'target', ...targetJson(r) })}\n`;
}

export function summaryLine(report: ScanReport, summary: ScanSummary = summarize(report)): string {
  return `${JSON.stringify({
    type: 'summary',
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scan: scanJson(report),
    errors: report.scanErrors.map(errorJson),
    summary,
  })}\n`;
}

export function renderNdjson(report: ScanReport): string {
  return sortResults(report.results).map(targetLine).join('') + summaryLine(report);
}
