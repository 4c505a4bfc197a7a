import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { Ajv2020 } from 'ajv/dist/2020.js';

import { PROJECT_ROOT, run } from '../helpers/tools.js';

export const GOLDEN = join(PROJECT_ROOT, 'test', 'golden');
export const REPORT_SCHEMA = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'schema', 'sigscan-report.schema.json'), 'utf8'),
) as { $id: string };

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addSchema(REPORT_SCHEMA);
const reportValidator = ajv.getSchema(REPORT_SCHEMA.$id)!;
const targetValidator = ajv.getSchema(`${REPORT_SCHEMA.$id}#/$defs/target`)!;
const summaryValidator = ajv.getSchema(`${REPORT_SCHEMA.$id}#/$defs/summary`)!;

function check(v: typeof reportValidator, doc: unknown): string[] {
  return v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath}: ${e.message}`);
}

/** Errors of a JSON report against schema/sigscan-report.schema.json ([] when valid). */
export const reportSchemaErrors = (doc: unknown) => check(reportValidator, doc);
export const targetSchemaErrors = (doc: unknown) => check(targetValidator, doc);
export const summarySchemaErrors = (doc: unknown) => check(summaryValidator, doc);

/** The official SARIF 2.1.0 schema that ships inside the sarif-multitool package (not vendored). */
const sarifSchemaPath = join(
  createRequire(import.meta.url).resolve('@microsoft/sarif-multitool-linux/package.json'),
  '..',
  'sarif-2.1.0.json',
);
const sarifAjv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, logger: false });
const sarifValidator = sarifAjv.compile(JSON.parse(readFileSync(sarifSchemaPath, 'utf8')) as object);
export const sarifSchemaErrors = (doc: unknown) => check(sarifValidator, doc);

/** Replaces what changes from run to run: times, durations, the tool version, verdict wording. */
export function normaliseJson<T>(doc: T): T {
  return JSON.parse(
    JSON.stringify(doc, (key, value: unknown) => {
      if (['startedAt', 'finishedAt', 'startTimeUtc', 'endTimeUtc'].includes(key)) return '<time>';
      if (key === 'durationMs') return 0;
      // Unique per run; the golden input holds a fixed one.
      if (key === 'scanId') return '<scanId>';
      return value;
    }),
  ) as T;
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') quoted = false;
      else field += c;
      i++;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
    i++;
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

export async function dumpDom(url: string): Promise<string> {
  const res = await run(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
      '--dump-dom',
      url,
    ],
    { check: false, timeoutMs: 90_000 },
  );
  if (!res.stdout.includes('</html>'))
    throw new Error(`chromium printed no DOM (exit ${res.code}): ${res.stderr}`);
  return res.stdout;
}

/** `npx sarif-multitool validate --rule-kind "Ghas;Sarif"`; returns error-level findings. */
export async function sarifValidate(
  dir: string,
  file: string,
): Promise<{ errors: string[]; output: string }> {
  // The npm wrapper runs the tool through a shell, so the ';' must arrive quoted.
  const out = join(dir, `${file}.validation.sarif`);
  const res = await run(
    'npx',
    [
      '--no-install',
      'sarif-multitool',
      'validate',
      '--rule-kind',
      '"Ghas;Sarif"',
      join(dir, file),
      '-o',
      out,
    ],
    { cwd: PROJECT_ROOT, check: false, timeoutMs: 200_000 },
  );
  const output = `${res.stdout}\n${res.stderr}`;
  const log = JSON.parse(await readFile(out, 'utf8').catch(() => '{"runs":[]}')) as {
    runs: Array<{
      results?: Array<{ level?: string; ruleId: string; message: { text?: string; id?: string } }>;
    }>;
  };
  const errors = (log.runs[0]?.results ?? [])
    .filter((r) => (r.level ?? 'warning') === 'error')
    .map((r) => `${r.ruleId}: ${r.message.text ?? r.message.id}`);
  if (res.code !== 0 || !/Analysis completed successfully/.test(res.stdout)) errors.push(`exit ${res.code}`);
  return { errors, output };
}
