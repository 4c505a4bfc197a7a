/**
 * Every format on the same live scan (`sigscan fs fixtures`, run from the project root so that paths are
 * relative): schema-validated where a schema exists, compared with the golden input after normalising
 * times and verdict wording (verification lands independently of the reporters).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { CLI } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';
import {
  dumpDom,
  GOLDEN,
  normaliseJson,
  parseCsv,
  reportSchemaErrors,
  sarifSchemaErrors,
  sarifValidate,
  summarySchemaErrors,
  targetSchemaErrors,
} from './helpers.js';

const scan = (args: string[], env: Record<string, string | undefined> = {}) =>
  run(process.execPath, [CLI, 'fs', 'fixtures', ...args], {
    cwd: PROJECT_ROOT,
    check: false,
    env: { NO_COLOR: '1', ...env },
  });

/** Verdict wording and codes depend on the trust layer, not on the reporters. */
function normaliseVerdicts<T>(doc: T): T {
  return JSON.parse(
    JSON.stringify(doc, (key, value: unknown) =>
      key === 'verdict' && value && typeof value === 'object'
        ? { ...value, code: '<code>', message: '<message>' }
        : value,
    ),
  ) as T;
}

describe('every format on sigscan fs fixtures', () => {
  let json: { targets: Array<{ path: string; digest: string; status: string }>; summary: unknown };

  beforeAll(async () => {
    const res = await scan(['-o', 'json']);
    expect(res.code).toBe(0);
    json = JSON.parse(res.stdout) as typeof json;
  });

  it('json: valid against the schema and equal to the golden input (normalised)', async () => {
    expect(reportSchemaErrors(json)).toEqual([]);
    const goldenDoc = JSON.parse(await readFile(join(GOLDEN, 'fs-fixtures.json'), 'utf8')) as unknown;
    expect(normaliseVerdicts(normaliseJson(json))).toEqual(normaliseVerdicts(normaliseJson(goldenDoc)));
    for (const t of json.targets) {
      const sha = execFileSync('sha256sum', [join(PROJECT_ROOT, t.path)])
        .toString()
        .split(' ')[0];
      expect(t.digest).toBe(`sha256:${sha}`);
    }
  });

  it('sigscan schema prints the schema file', async () => {
    const res = await run(process.execPath, [CLI, 'schema'], { check: false });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      await readFile(join(PROJECT_ROOT, 'schema', 'sigscan-report.schema.json'), 'utf8'),
    );
  });

  it('ndjson: one valid target per line, then the summary line', async () => {
    const res = await scan(['-o', 'ndjson']);
    expect(res.code).toBe(0);
    const lines = res.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(json.targets.length + 1);
    const scanIds = new Set(lines.map((l) => (l as { scanId?: string }).scanId));
    expect(scanIds.size).toBe(1);
    expect([...scanIds][0]).toMatch(/^[0-9a-f-]{36}$/);
    const targets = lines.slice(0, -1).map(({ type, scanId: _id, sigscanVersion, ...t }) => {
      expect(type).toBe('target');
      expect(sigscanVersion).toBeTruthy();
      expect(targetSchemaErrors(t)).toEqual([]);
      return t;
    });
    const byPath = (a: { path?: unknown }, b: { path?: unknown }) =>
      String(a.path).localeCompare(String(b.path));
    expect(normaliseVerdicts(targets.sort(byPath))).toEqual(
      normaliseVerdicts([...json.targets].sort(byPath)),
    );
    const last = lines.at(-1)!;
    expect(last.type).toBe('summary');
    expect(summarySchemaErrors(last.summary)).toEqual([]);
    expect(last.summary).toEqual(json.summary);
  });

  it('sarif: valid against the official 2.1.0 schema and sarif-multitool (Ghas;Sarif rules)', async () => {
    const res = await scan(['-o', 'sarif']);
    expect(res.code).toBe(0);
    const log = JSON.parse(res.stdout) as {
      runs: Array<{
        automationDetails: { id: string };
        results: Array<{ ruleId: string; locations: unknown[] }>;
      }>;
    };
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.runs[0]!.automationDetails.id).toMatch(/^sigscan\/fs\/\d{4}-/);
    expect(log.runs[0]!.results.map((r) => r.ruleId)).toEqual(['SIG001', 'SIG001']);
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-sarif-'));
    await writeFile(join(dir, 'scan.sarif'), res.stdout);
    const validation = await sarifValidate(dir, 'scan.sarif');
    expect(validation.errors, validation.output).toEqual([]);
  }, 240_000);

  it('sigscan-json: the legacy shape with real digests', async () => {
    const res = await scan(['-o', 'sigscan-json']);
    const doc = JSON.parse(res.stdout) as {
      filesystem: {
        signatures: Array<{ path: string; digest: string; subjectname: string; countersigner: string }>;
      };
      directories: string[];
    };
    expect(doc.directories).toEqual(['fixtures']);
    expect(Object.keys(doc.filesystem.signatures[0]!)).toEqual([
      'path',
      'digest',
      'subjectname',
      'countersigner',
    ]);
    for (const s of doc.filesystem.signatures) {
      const sha = execFileSync('sha256sum', [join(PROJECT_ROOT, s.path)])
        .toString()
        .split(' ')[0];
      expect(s.digest).toBe(`sha256:${sha}`);
    }
    const exe = doc.filesystem.signatures.find((s) => s.path.endsWith('hello-signed.exe'))!;
    expect(exe.countersigner).toContain('CN=Sigscan Fixture TSA');
  });

  it('csv: RFC 4180, one row per signature or unsigned target', async () => {
    const res = await scan(['-o', 'csv']);
    expect(res.stdout).toContain('\r\n');
    const rows = parseCsv(res.stdout);
    const head = rows[0]!;
    expect(head.slice(0, 3)).toEqual(['kind', 'ref', 'registry']);
    const col = (name: string) => head.indexOf(name);
    expect(rows.slice(1).map((r) => [r[col('path')], r[col('status')]])).toEqual(
      json.targets.map((t) => [t.path, t.status]),
    );
    // The DN holds commas, so it must have been quoted and still parse as one field.
    expect(rows[1]![col('signer')]).toMatch(/^CN=Sigscan Fixture Code Signing,OU=/);
  });

  it('pretty: fits 80 columns, wide at 200, grouped by directory, no colour with NO_COLOR', async () => {
    const narrow = await scan([], { COLUMNS: '80' });
    for (const line of narrow.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(narrow.stdout).not.toContain('DIGEST');
    expect(narrow.stdout).toMatch(/^fixtures\/jar {2}\(2 targets: 1 signed, 1 unsigned\)$/m);
    expect(narrow.stdout).toMatch(/^fixtures\/pe {2}\(2 targets/m);
    expect(narrow.stdout).toMatch(/targets +4: 2 signed, 2 unsigned, 0 unknown/);
    expect(narrow.stdout).toMatch(/^ +2 {2}CN=Sigscan Fixture Code Signing/m);
    const wide = await scan([], { COLUMNS: '200' });
    for (const line of wide.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(200);
    expect(wide.stdout).toContain('COUNTERSIGNER / TIME');
    expect(wide.stdout).not.toContain('\u001b[');
  });

  it('pretty: colour on a TTY, none on a TTY with NO_COLOR', async () => {
    const tty = (env: Record<string, string | undefined>) =>
      run('script', ['-qec', `${process.execPath} ${CLI} fs fixtures`, '/dev/null'], {
        cwd: PROJECT_ROOT,
        check: false,
        env: { COLUMNS: '100', ...env },
      });
    expect((await tty({ NO_COLOR: undefined })).stdout).toContain('\u001b[');
    expect((await tty({ NO_COLOR: '1' })).stdout).not.toContain('\u001b[');
  });

  it('html: self-contained; Chromium renders the counts, charts and filter', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-html-'));
    const file = join(dir, 'report.html');
    const res = await scan(['-o', 'html', '--output-file', file]);
    expect(res.code).toBe(0);
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    const dom = await dumpDom(`file://${file}`);
    const count = (key: string) =>
      new RegExp(`data-summary="${key}"><span class="n">(\\d+)</span>`).exec(dom)?.[1];
    expect([
      count('targets'),
      count('signed'),
      count('unsigned'),
      count('unknown'),
      count('signers'),
    ]).toEqual(['4', '2', '2', '0', '1']);
    expect(dom).toContain('4 of 4 rows');
    expect(dom).toMatch(
      /<g data-group="fixtures\/jar" [^>]*data-unsigned="1" data-unverified="1" data-verified="0"/,
    );
    expect(dom).toMatch(/data-targets="2"/);
    // The inline script applies a filter from the address: only the two unsigned rows stay visible.
    const filtered = await dumpDom(`file://${file}#status=unsigned`);
    expect(filtered).toContain('2 of 4 rows');
    expect(filtered.match(/<tr [^>]*hidden/g)).toHaveLength(2);
  }, 120_000);
});
