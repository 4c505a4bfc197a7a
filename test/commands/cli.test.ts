/**
 * The commands end to end: --fail-on exit codes for every condition, output files, and report
 * convert/diff/merge round trips.
 */
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { sigscan } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/tools.js';
import { GOLDEN, normaliseJson, reportSchemaErrors, sarifSchemaErrors } from '../report/helpers.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');
let work: string;
let tampered: string;
let broken: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sigscan-cli-'));
  tampered = join(work, 'tampered');
  broken = join(work, 'broken');
  await mkdir(tampered);
  await mkdir(broken);
  const pe = await readFile(join(FIXTURES, 'pe', 'hello-signed.exe'));
  pe[0x500] = pe[0x500]! ^ 0xff; // inside the hashed image: Authenticode image hash mismatch
  await writeFile(join(tampered, 'app.exe'), pe);
  await writeFile(join(broken, 'random.exe'), Buffer.alloc(100, 7));
  await copyFile(join(FIXTURES, 'jar', 'hello-signed.jar'), join(broken, 'ok.jar'));
});

describe('--fail-on exit codes', () => {
  it.each([
    ['fixtures, no --fail-on', () => [FIXTURES], [], 0],
    ['unsigned', () => [FIXTURES], ['unsigned'], 1],
    ['unverified (no trust roots given)', () => [FIXTURES], ['unverified'], 1],
    ['invalid on clean fixtures', () => [FIXTURES], ['invalid'], 0],
    ['invalid on a tampered PE', () => [tampered], ['invalid'], 1],
    ['unknown', () => [broken], ['unknown'], 1],
    ['error', () => [broken], ['error'], 1],
    ['scan errors without --fail-on', () => [broken], [], 3],
    ['policy outranks errors', () => [broken], ['unverified'], 1],
    ['untrusted on fixtures', () => [FIXTURES], ['untrusted'], 0],
  ] as const)('%s', async (_name, dirs, failOn, expected) => {
    const args = ['fs', ...dirs(), '-o', 'json', ...(failOn.length ? ['--fail-on', failOn.join(',')] : [])];
    const res = await sigscan(args);
    expect(res.code, res.stderr).toBe(expected);
    expect(reportSchemaErrors(JSON.parse(res.stdout))).toEqual([]);
  });

  it('the same with streaming ndjson', async () => {
    expect((await sigscan(['fs', FIXTURES, '-o', 'ndjson', '--fail-on', 'unsigned'])).code).toBe(1);
    expect((await sigscan(['fs', broken, '-o', 'ndjson'])).code).toBe(3);
  });

  it.each([
    ['untrusted', 1],
    ['invalid', 1],
    ['unsigned', 1],
    ['unknown', 1],
    ['error', 1],
  ])('report convert --fail-on %s on the registry sample exits %i', async (cond, code) => {
    const res = await sigscan([
      'report',
      'convert',
      join(GOLDEN, 'registry-sample.json'),
      '-o',
      'json',
      '--fail-on',
      cond,
    ]);
    expect(res.code).toBe(code);
  });

  it('a bad --fail-on value is a usage error (2)', async () => {
    expect((await sigscan(['fs', FIXTURES, '--fail-on', 'nonsense'])).code).toBe(2);
  });

  it('--help documents the exit codes', async () => {
    const res = await sigscan(['fs', '--help']);
    expect(res.stdout).toContain('EXIT CODES');
    expect(res.stdout).toMatch(/1 +a --fail-on condition matched/);
  });
});

describe('saving reports', () => {
  it('--output-file writes the file, refuses to overwrite (exit 2), --force overwrites', async () => {
    const file = join(work, 'out.json');
    const first = await sigscan(['fs', FIXTURES, '-o', 'json', '--output-file', file]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('');
    expect(reportSchemaErrors(JSON.parse(await readFile(file, 'utf8')))).toEqual([]);
    const again = await sigscan(['fs', FIXTURES, '-o', 'csv', '--output-file', file]);
    expect(again.code).toBe(2);
    expect(again.stderr.replace(/\s+/g, ' ')).toMatch(/exists; sigscan.*never overwrites.*--force/);
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveProperty('schemaVersion');
    const forced = await sigscan(['fs', FIXTURES, '-o', 'csv', '--output-file', file, '--force']);
    expect(forced.code).toBe(0);
    expect(await readFile(file, 'utf8')).toMatch(/^kind,ref,/);
  });

  it('--report-format writes several formats to --report-dir with timestamped names', async () => {
    const dir = join(work, 'reports');
    const res = await sigscan([
      'fs',
      FIXTURES,
      '-o',
      'json',
      '--report-dir',
      dir,
      '--report-format',
      'json,sarif,html,csv',
    ]);
    expect(res.code).toBe(0);
    const written = [...res.stderr.matchAll(/report written: (.+)/g)].map((m) => m[1]!);
    expect(written.map((w) => w.slice(dir.length + 1).replace(/\d{8}T\d{6}Z/, 'T'))).toEqual([
      'sigscan-fs-T.json',
      'sigscan-fs-T.sarif',
      'sigscan-fs-T.html',
      'sigscan-fs-T.csv',
    ]);
    const saved = JSON.parse(await readFile(written[0]!, 'utf8')) as unknown;
    expect(normaliseJson(saved)).toEqual(normaliseJson(JSON.parse(res.stdout)));
    expect(sarifSchemaErrors(JSON.parse(await readFile(written[1]!, 'utf8')))).toEqual([]);
  });
});

describe('report convert, diff, merge', () => {
  it('convert: every format from a saved report equals the golden file', async () => {
    const cases: Array<[string, string]> = [
      ['sarif', 'sarif'],
      ['csv', 'csv'],
      ['html', 'html'],
      ['ndjson', 'ndjson'],
      ['sigscan-json', 'sigscan.json'],
      ['json', 'json'],
    ];
    for (const [format, ext] of cases) {
      const res = await sigscan(['report', 'convert', join(GOLDEN, 'fs-fixtures.json'), '-o', format], {
        env: { COLUMNS: '80' },
      });
      expect(res.code).toBe(0);
      if (format === 'sarif') {
        // Paths are relative in the saved report, so the working directory does not matter.
        expect(res.stdout).toBe(await readFile(join(GOLDEN, `fs-fixtures.out.${ext}`), 'utf8'));
      } else expect(res.stdout).toBe(await readFile(join(GOLDEN, `fs-fixtures.out.${ext}`), 'utf8'));
    }
    const pretty = await sigscan(['report', 'convert', join(GOLDEN, 'fs-fixtures.json')], {
      env: { COLUMNS: '80' },
    });
    expect(pretty.stdout).toBe(await readFile(join(GOLDEN, 'fs-fixtures.out.80.txt'), 'utf8'));
  });

  it('convert: a bad file is a usage error with a clear message', async () => {
    const bad = join(work, 'bad.json');
    await writeFile(bad, JSON.stringify({ schemaVersion: '1.0', targets: [] }));
    const res = await sigscan(['report', 'convert', bad]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/not a sigscan JSON report/);
    expect(res.stderr).toMatch(/required property 'tool'/);
    const missing = await sigscan(['report', 'convert', join(work, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read report/);
  });

  it('diff: finds newly unsigned, removed signatures, new and changed signers, verdict changes', async () => {
    const res = await sigscan([
      'report',
      'diff',
      join(GOLDEN, 'registry-sample.json'),
      join(GOLDEN, 'registry-sample-later.json'),
      '-o',
      'json',
      '--fail-on-regression',
    ]);
    expect(res.code).toBe(1);
    const diff = JSON.parse(res.stdout) as {
      changes: Array<{ kind: string; ref: string }>;
      summary: { regressions: number };
    };
    expect(diff.changes.map((c) => c.kind).sort()).toEqual(
      [
        'newly-unsigned',
        'newly-unsigned',
        'new-signer',
        'signature-removed',
        'signer-changed',
        'target-removed',
        'verdict-changed',
      ].sort(),
    );
    expect(diff.summary.regressions).toBe(5);
    const same = await sigscan([
      'report',
      'diff',
      join(GOLDEN, 'fs-fixtures.json'),
      join(GOLDEN, 'fs-fixtures.json'),
    ]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/no changes/);
    const sarif = await sigscan([
      'report',
      'diff',
      join(GOLDEN, 'registry-sample.json'),
      join(GOLDEN, 'registry-sample-later.json'),
      '-o',
      'sarif',
    ]);
    expect(sarifSchemaErrors(JSON.parse(sarif.stdout))).toEqual([]);
  });

  it('merge: two saved halves merge into the whole scan, and convert reads the result', async () => {
    const jar = join(work, 'jar.json');
    const pe = join(work, 'pe.json');
    const whole = join(work, 'whole.json');
    const merged = join(work, 'merged.json');
    const cwd = { env: {} };
    await sigscan(['fs', join(FIXTURES, 'jar'), '-o', 'json', '--output-file', jar], cwd);
    await sigscan(['fs', join(FIXTURES, 'pe'), '-o', 'json', '--output-file', pe], cwd);
    await sigscan(
      ['fs', join(FIXTURES, 'jar'), join(FIXTURES, 'pe'), '-o', 'json', '--output-file', whole],
      cwd,
    );
    const res = await sigscan(['report', 'merge', jar, pe, jar, '--output-file', merged]);
    expect(res.code, res.stderr).toBe(0);
    const m = JSON.parse(await readFile(merged, 'utf8')) as unknown;
    expect(reportSchemaErrors(m)).toEqual([]);
    expect(normaliseJson(m)).toEqual(normaliseJson(JSON.parse(await readFile(whole, 'utf8'))));
    const back = await sigscan(['report', 'convert', merged, '-o', 'json']);
    expect(JSON.parse(back.stdout)).toEqual(m);
  });
});
