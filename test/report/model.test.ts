import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { csvField, renderCsv } from '../../src/report/csv.js';
import { ReportWriter, stamp } from '../../src/report/emit.js';
import { toJsonDocument } from '../../src/report/json.js';
import { fromJsonDocument, parseReport, type JsonReportDocument } from '../../src/report/load.js';
import { mergeReports } from '../../src/report/merge.js';
import { renderPretty } from '../../src/report/pretty.js';
import { runFsScan } from '../../src/scan/run.js';
import { PROJECT_ROOT } from '../helpers/tools.js';
import { GOLDEN, parseCsv, reportSchemaErrors } from './helpers.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
const goldenDoc = async (name: string) =>
  JSON.parse(await readFile(join(GOLDEN, `${name}.json`), 'utf8')) as JsonReportDocument;

describe('loading saved reports', () => {
  it.each(['fs-fixtures', 'registry-sample', 'registry-sample-later'])(
    'round-trips %s exactly',
    async (name) => {
      const doc = await goldenDoc(name);
      expect(reportSchemaErrors(doc)).toEqual([]);
      expect(toJsonDocument(fromJsonDocument(doc))).toEqual(doc);
    },
  );

  it('rejects a bad file with a clear message', async () => {
    await expect(parseReport('{', 'x.json')).rejects.toThrow(/x\.json is not JSON/);
    await expect(parseReport('{"targets": 1}', 'y.json')).rejects.toThrow(
      /y\.json is not a sigscan JSON report[\s\S]*must have required property 'schemaVersion'/,
    );
    await expect(parseReport('{"registry":{"signatures":[]},"name":"r"}', 'z.json')).rejects.toThrow(
      /legacy/,
    );
  });
});

describe('merge', () => {
  it('equals one scan of all inputs', async () => {
    const scan = (roots: string[]) =>
      runFsScan({ roots: roots.map((r) => join(PROJECT_ROOT, r)), concurrency: 4, log: silent });
    const parts = await Promise.all(
      [['fixtures/jar'], ['fixtures/pe', 'fixtures/other'], ['fixtures/jar']].map(scan),
    );
    const whole = await scan(['fixtures/jar', 'fixtures/pe', 'fixtures/other']);
    const merged = mergeReports(parts);
    const norm = (d: Record<string, unknown>) => ({
      ...d,
      scan: { ...(d.scan as object), startedAt: 0, finishedAt: 0, durationMs: 0 },
    });
    expect(norm(toJsonDocument(merged))).toEqual(norm(toJsonDocument(whole)));
    expect(reportSchemaErrors(toJsonDocument(merged))).toEqual([]);
  });

  it('keeps the newest result for a target seen twice and recomputes the summary', async () => {
    const old = fromJsonDocument(await goldenDoc('registry-sample'));
    const later = fromJsonDocument(await goldenDoc('registry-sample-later'));
    const merged = toJsonDocument(mergeReports([later, old])) as {
      targets: Array<{ ref: string; status: string; platform: string | null }>;
      summary: { targets: number };
    };
    // 7 targets before, the later scan drops one and adds one: 8 distinct.
    expect(merged.summary.targets).toBe(8);
    const amd = merged.targets.find((t) => t.platform === 'linux/amd64')!;
    expect(amd.status).toBe('unsigned');
  });
});

describe('scan.insecureIgnoreTlog', () => {
  it('round-trips through a saved report, and a merge keeps it when any part waived the log', async () => {
    const doc = await goldenDoc('registry-sample');
    const waived = { ...doc, scan: { ...doc.scan, insecureIgnoreTlog: true } } as JsonReportDocument;
    expect(reportSchemaErrors(waived)).toEqual([]);
    expect(reportSchemaErrors({ ...doc, scan: { ...doc.scan, insecureIgnoreTlog: false } })).not.toEqual([]);
    expect(toJsonDocument(fromJsonDocument(waived))).toEqual(waived);
    const scanOf = (d: Record<string, unknown>) => d['scan'] as { insecureIgnoreTlog?: boolean };
    const strict = fromJsonDocument(doc);
    expect(scanOf(toJsonDocument(mergeReports([strict, fromJsonDocument(waived)]))).insecureIgnoreTlog).toBe(
      true,
    );
    expect(scanOf(toJsonDocument(mergeReports([strict, strict]))).insecureIgnoreTlog).toBeUndefined();
  });
});

describe('csv', () => {
  it('quotes per RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('parses back to the same fields, including quotes and escaped commas in DNs', async () => {
    const report = fromJsonDocument(await goldenDoc('registry-sample'));
    const rows = parseCsv(renderCsv(report));
    const signer = rows[0]!.indexOf('signer');
    expect(rows.map((r) => r[signer])).toContain('CN=Old Builder "legacy",O=Acme\\, Inc.');
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
  });
});

describe('pretty', () => {
  it('colours only when asked, and fits the width', async () => {
    const report = fromJsonDocument(await goldenDoc('registry-sample'));
    expect(renderPretty(report, { color: true, width: 80 })).toContain('\u001b[31m');
    for (const width of [60, 80, 100, 119, 120, 200]) {
      const text = renderPretty(report, { width });
      expect(text).not.toContain('\u001b[');
      for (const line of text.split('\n'))
        expect(line.length, `${width}: ${line}`).toBeLessThanOrEqual(width);
    }
  });
});

describe('ReportWriter', () => {
  it('streams ndjson without keeping results, and gets the exit code right', async () => {
    const lines: string[] = [];
    const writer = new ReportWriter(
      { format: 'ndjson', failOn: ['unsigned'] },
      { write: (t) => lines.push(t) },
    );
    expect(writer.retainResults).toBe(false);
    const report = await runFsScan({
      roots: [join(PROJECT_ROOT, 'fixtures')],
      concurrency: 2,
      log: silent,
      onResult: (r) => {
        writer.onResult(r);
        // Each line is out before the scan finishes.
        expect(lines.length).toBeGreaterThan(0);
      },
      retainResults: writer.retainResults,
    });
    expect(report.results).toEqual([]);
    await writer.finish(report);
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[4]!)).toMatchObject({
      type: 'summary',
      summary: { targets: 4, unsigned: 2, filesSkipped: 4 },
    });
    expect(writer.exitCode(report)).toBe(1);
  });

  it('names report-dir files by time and never overwrites (suffix -2)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-reports-'));
    const report = fromJsonDocument(await goldenDoc('fs-fixtures'));
    const write = () =>
      new ReportWriter(
        { format: 'json', reportDir: dir, reportFormats: ['json', 'sarif', 'html'] },
        { write() {} },
      ).finish(report);
    await write();
    await write();
    const s = stamp(report.startedAt);
    expect(s).toBe('20260110T120000Z');
    expect((await readdir(dir)).sort()).toEqual(
      [
        `sigscan-fs-${s}.json`,
        `sigscan-fs-${s}.sarif`,
        `sigscan-fs-${s}.html`,
        `sigscan-fs-${s}-2.json`,
        `sigscan-fs-${s}-2.sarif`,
        `sigscan-fs-${s}-2.html`,
      ].sort(),
    );
  });
});
