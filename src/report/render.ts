import type { ScanReport } from '../scan/report-model.js';
import type { OutputFormat } from './formats.js';
import type { RenderOptions } from './index.js';

/**
 * render() (report/index.ts) loading only the renderer asked for: a JSON run then compiles no pretty
 * tables (cli-table3), HTML or SARIF code at start-up. The same functions, so the same text.
 */
export async function renderLazily(
  report: ScanReport,
  format: OutputFormat,
  opts: RenderOptions = {},
): Promise<string> {
  switch (format) {
    case 'json':
      return (await import('./json.js')).renderJson(report);
    case 'ndjson':
      return (await import('./ndjson.js')).renderNdjson(report);
    case 'sarif':
      return (await import('./sarif.js')).renderSarif(report, { cwd: opts.cwd });
    case 'sigscan-json':
      return (await import('./legacy.js')).renderLegacy(report);
    case 'csv':
      return (await import('./csv.js')).renderCsv(report);
    case 'html':
      return (await import('./html.js')).renderHtml(report);
    case 'pretty':
      return (await import('./pretty.js')).renderPretty(report, opts);
  }
}
