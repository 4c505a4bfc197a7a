import { describe, expect, it } from 'vitest';

import {
  budgeted,
  changedRanges,
  fileScore,
  inScope,
  readBaseline,
  regressions,
  type Baseline,
} from '../../scripts/mutate-ci.js';

const mutants = (spec: Record<string, number>) =>
  Object.entries(spec).flatMap(([status, n]) => Array.from({ length: n }, () => ({ status })));

describe('mutate-ci', () => {
  it('scores as Stryker does: detected over detected + undetected; compile errors and ignored left out', () => {
    const { score, counts } = fileScore(
      mutants({ Killed: 8, Timeout: 1, Survived: 2, NoCoverage: 1, CompileError: 5, Ignored: 3 }),
    );
    expect(score).toBe(75);
    expect(counts).toEqual({
      Killed: 8,
      Timeout: 1,
      Survived: 2,
      NoCoverage: 1,
      CompileError: 5,
      Ignored: 3,
    });
    expect(fileScore(mutants({ CompileError: 2 })).score).toBeUndefined();
  });

  it('matches the mutate globs of stryker.config.mjs, negations included', () => {
    const scope = inScope(['src/trust/**/*.ts', 'src/formats/cms.ts', '!src/**/index.ts']);
    expect(
      [
        'src/trust/x509-chain.ts',
        'src/trust/tuf/chain.ts',
        'src/formats/cms.ts',
        'src/trust/index.ts',
        'src/formats/x509.ts',
        'src/trust/a.tsx',
      ].map(scope),
    ).toEqual([true, true, true, false, false, false]);
  });

  const baseline: Baseline = { commit: 'abc', floor: 80, sample: [], files: { 'src/a.ts': 90.5 } };

  it('fails a file below its recorded score, and an unrecorded file below the floor', () => {
    const report = {
      files: {
        'src/a.ts': { mutants: mutants({ Killed: 9, Survived: 1 }) }, // 90 < 90.5
        'src/b.ts': { mutants: mutants({ Killed: 4, Survived: 1 }) }, // 80 = floor
        'src/c.ts': { mutants: mutants({ Killed: 3, Survived: 1 }) }, // 75 < 80
      },
    };
    expect(regressions(report, baseline).map((l) => l.split(':')[0])).toEqual(['src/a.ts', 'src/c.ts']);
    expect(
      regressions({ files: { 'src/a.ts': { mutants: mutants({ Killed: 19, Survived: 1 }) } } }, baseline),
    ).toEqual([]);
  });

  it('reads the baseline block of reports/mutation.md', () => {
    const md =
      'text\n```json mutation-baseline\n{"commit":"c0","floor":85,"sample":["src/x.ts"],"files":{}}\n```\n';
    expect(readBaseline(md)).toEqual({ commit: 'c0', floor: 85, sample: ['src/x.ts'], files: {} });
    expect(() => readBaseline('no block')).toThrow(/mutation-baseline/);
  });

  it('reads changed line ranges from git diff -U0 (added and changed lines; removals alone have none)', () => {
    const diff = [
      'diff --git a/src/a.ts b/src/a.ts',
      '@@ -10,2 +10,3 @@ function f() {',
      '@@ -40 +41 @@',
      '@@ -50,4 +51,0 @@',
      '@@ -0,0 +60,2 @@',
    ].join('\n');
    expect(changedRanges(diff)).toEqual([
      [10, 12],
      [41, 41],
      [60, 61],
    ]);
  });

  it('takes whole hunks, most-changed file first, until the line budget is spent', () => {
    const files = [
      { path: 'src/small.ts', ranges: [[5, 6]] as Array<[number, number]> },
      {
        path: 'src/big.ts',
        ranges: [
          [1, 10],
          [20, 29],
          [40, 49],
        ] as Array<[number, number]>,
      },
    ];
    expect(budgeted(files, 22)).toEqual({
      specs: ['src/big.ts:1-10', 'src/big.ts:20-29', 'src/small.ts:5-6'],
      taken: 22,
      left: 10,
    });
    // A first hunk larger than the budget is still taken: CI never mutates nothing.
    expect(budgeted(files, 3).specs).toEqual(['src/big.ts:1-10']);
  });
});

describe('mutation-summary', () => {
  it('groups files as the #18 goal names them', async () => {
    const { groupOf } = await import('../../scripts/mutation-summary.js');
    expect(
      [
        'src/trust/x509-chain.ts',
        'src/trust/notation/verify.ts',
        'src/formats/zip/reader.ts',
        'src/formats/x509-fields.ts',
        'src/model/result.ts',
        'src/scan/report-model.ts',
      ].map(groupOf),
    ).toEqual([
      'src/trust/',
      'src/trust/',
      'src/formats/zip/',
      'src/formats/x509-fields.ts',
      'verdict and target status',
      'verdict and target status',
    ]);
  });

  it('tabulates per file and lists every survivor and uncovered mutant with its line', async () => {
    const { summary } = await import('../../scripts/mutation-summary.js');
    const m = (status: string, line: number, replacement = 'false') => ({
      id: String(line),
      mutatorName: 'ConditionalExpression',
      replacement,
      status,
      location: { start: { line, column: 1 } },
    });
    const text = summary({
      files: {
        'src/b.ts': { source: 'a\nif (x) y();\n', mutants: [m('Killed', 1), m('Survived', 2)] },
        'src/a.ts': { source: 'z', mutants: [m('Killed', 1), m('NoCoverage', 1, 'true')] },
      },
    });
    expect(text.split('\n').slice(2, 5)).toEqual([
      '| src/a.ts | 1 | 0 | 0 | 1 | 0 | 0 | 50.00% |',
      '| src/b.ts | 1 | 0 | 1 | 0 | 0 | 0 | 50.00% |',
      '| **all** | | | | | | | **50.00%** |',
    ]);
    // Files outside the named groups are their own group: each row appears in both tables.
    expect(text.split('| src/a.ts | 1 | 0 | 0 | 1 | 0 | 0 | 50.00% |').length).toBe(3);
    expect(text).toContain('- src/a.ts:1 ConditionalExpression (NoCoverage) `z` → `true`');
    expect(text).toContain('- src/b.ts:2 ConditionalExpression (Survived) `if (x) y();` → `false`');
  });
});

describe('mutation-runlog', () => {
  it('sums wall time and statuses per mutated file, largest first, with a total', async () => {
    const { summarizeRunLog } = await import('../../scripts/mutation-runlog.js');
    const line = (file: string, status: string, ms: number, tests: number) => ({
      file: `/work/x/.stryker-tmp/sandbox-1/src/${file}`,
      status,
      ms,
      tests,
      ran: 1,
    });
    const rows = summarizeRunLog([
      line('a.ts', 'killed', 100, 2),
      line('b.ts', 'survived', 900, 10),
      line('a.ts', 'survived', 300, 4),
    ]);
    expect(rows.map((r) => [r.file, r.runs, r.ms, r.covering])).toEqual([
      ['src/b.ts', 1, 900, 10],
      ['src/a.ts', 2, 400, 3],
      ['all', 3, 1300, 16 / 3],
    ]);
    expect(rows[1]!.statuses).toEqual({ killed: 1, survived: 1 });
    expect(rows[1]!.msByStatus).toEqual({ killed: 100, survived: 300 });
  });
});
