import type { ScanReport } from '../scan/report-model.js';
import { renderJson } from './json.js';
import { renderPretty, type PrettyOptions } from './pretty.js';

export const OUTPUT_FORMATS = ['pretty', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function render(report: ScanReport, format: OutputFormat, pretty: PrettyOptions = {}): string {
  return format === 'json' ? renderJson(report) : renderPretty(report, pretty);
}

export { renderJson, toJsonDocument, JSON_SCHEMA_VERSION } from './json.js';
export { renderPretty, type PrettyOptions } from './pretty.js';
