import type { ScanReport } from '../scan/report-model.js';
import { renderCsv } from './csv.js';
import type { OutputFormat } from './formats.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderLegacy } from './legacy.js';
import { renderNdjson } from './ndjson.js';
import { renderPretty, type PrettyOptions } from './pretty.js';
import { renderSarif } from './sarif.js';

export interface RenderOptions extends PrettyOptions {
  /** SARIF: absolute paths under this directory become relative URIs. */
  cwd?: string;
}

/** Renders a finished report in any format. (Streaming NDJSON during a scan goes through ReportWriter.) */
export function render(report: ScanReport, format: OutputFormat, opts: RenderOptions = {}): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'ndjson':
      return renderNdjson(report);
    case 'sarif':
      return renderSarif(report, { cwd: opts.cwd });
    case 'sigscan-json':
      return renderLegacy(report);
    case 'csv':
      return renderCsv(report);
    case 'html':
      return renderHtml(report);
    case 'pretty':
      return renderPretty(report, opts);
  }
}

export { OUTPUT_FORMATS, FORMAT_EXTENSIONS, type OutputFormat } from './formats.js';
export { renderJson, toJsonDocument, JSON_SCHEMA_VERSION } from './json.js';
export { renderPretty, type PrettyOptions } from './pretty.js';
