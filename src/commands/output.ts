import type { OutputFormat } from '../report/index.js';
import type { ScanReport } from '../scan/report-model.js';

/** Renders the report to stdout: the report alone goes there, everything else to stderr. */
export async function writeReport(report: ScanReport, format: OutputFormat): Promise<void> {
  const { render } = await import('../report/index.js');
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const text = render(report, format, { width: process.stdout.columns, color });
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
  );
}
