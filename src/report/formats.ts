/** The report formats, without importing any renderer (the command flags need this list at startup). */
export const OUTPUT_FORMATS = ['pretty', 'json', 'ndjson', 'sarif', 'sigscan-json', 'csv', 'html'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** File name endings used by --report-dir. */
export const FORMAT_EXTENSIONS: Record<OutputFormat, string> = {
  pretty: 'txt',
  json: 'json',
  ndjson: 'ndjson',
  sarif: 'sarif',
  'sigscan-json': 'sigscan.json',
  csv: 'csv',
  html: 'html',
};
