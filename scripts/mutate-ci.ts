/**
 * The CI part of mutation testing (issue #18): mutates only the lines of in-scope files that changed since
 * the commit reports/mutation.md was measured at (or a fixed sample when none changed), and fails when
 * their mutation score is below the score recorded for their file there.
 *
 *   npm run mutate:ci                 # changed lines, at most MUTATE_CI_MAX_LINES (default 150)
 *   npm run mutate:ci -- src/x.ts     # these files (or file:start-end ranges)
 *
 * The baseline is the fenced `json mutation-baseline` block of reports/mutation.md:
 *   { "commit": "<sha>", "floor": 80, "sample": ["src/…"], "files": { "src/…": 93.1 } }
 * A file without a recorded score must reach `floor`. Scores are Stryker's: (killed + timeout) /
 * (killed + timeout + survived + no coverage); compile errors and ignored (static) mutants are left out.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Baseline {
  commit: string;
  floor: number;
  sample: string[];
  files: Record<string, number>;
}

interface MutantResult {
  status: string;
}
interface JsonReport {
  files: Record<string, { mutants: MutantResult[] }>;
}

const ROOT = resolve(import.meta.dirname, '..');
const REPORT_MD = join(ROOT, 'reports', 'mutation.md');
const OUT = join(ROOT, '.cache', 'mutation-ci');

export function readBaseline(markdown: string): Baseline {
  const m = /```json mutation-baseline\n([\s\S]*?)\n```/.exec(markdown);
  if (!m) throw new Error('reports/mutation.md has no ```json mutation-baseline block');
  return JSON.parse(m[1]!) as Baseline;
}

/** `src/a/**\/*.ts`-style globs (the only kinds stryker.config.mjs uses) as a predicate. */
export function inScope(globs: readonly string[]): (path: string) => boolean {
  const toRegex = (g: string) =>
    new RegExp(
      `^${g
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .split('**/')
        .map((part) => part.replace(/\*/g, '[^/]*'))
        .join('(?:.*/)?')}$`,
    );
  const include = globs.filter((g) => !g.startsWith('!')).map(toRegex);
  const exclude = globs.filter((g) => g.startsWith('!')).map((g) => toRegex(g.slice(1)));
  return (p) => include.some((r) => r.test(p)) && !exclude.some((r) => r.test(p));
}

/** Stryker's mutation score of one file, or undefined when it has no valid mutant. */
export function fileScore(mutants: MutantResult[]): {
  score: number | undefined;
  counts: Record<string, number>;
} {
  const counts: Record<string, number> = {};
  for (const m of mutants) counts[m.status] = (counts[m.status] ?? 0) + 1;
  const detected = (counts['Killed'] ?? 0) + (counts['Timeout'] ?? 0);
  const valid = detected + (counts['Survived'] ?? 0) + (counts['NoCoverage'] ?? 0);
  return { score: valid === 0 ? undefined : (100 * detected) / valid, counts };
}

/** Files whose score fell below their recorded one (or below the floor when none is recorded). */
export function regressions(report: JsonReport, baseline: Baseline): string[] {
  const failures: string[] = [];
  for (const [file, { mutants }] of Object.entries(report.files)) {
    const { score, counts } = fileScore(mutants);
    const recorded = baseline.files[file];
    const bar = recorded ?? baseline.floor;
    const line = `${file}: ${score === undefined ? 'no valid mutants' : `${score.toFixed(2)}%`} (recorded ${recorded === undefined ? `none, floor ${baseline.floor}` : `${recorded}%`}) ${JSON.stringify(counts)}`;
    console.log(line);
    // Recorded scores are rounded to 2 decimals in the report.
    if (score !== undefined && score + 0.005 < bar) failures.push(line);
  }
  return failures;
}

/** Changed line ranges (new side) in a `git diff -U0` of one file. */
export function changedRanges(diff: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const m of diff.matchAll(/^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@/gm)) {
    const start = Number(m[1]);
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count > 0) out.push([start, start + count - 1]); // count 0: lines only removed
  }
  return out;
}

/**
 * Stryker mutate specs (`file:start-end`) for the changed lines, most-changed file first, whole hunks
 * until `maxLines` changed lines are taken: the budget bounds the number of mutants, and so the time.
 */
export function budgeted(files: Array<{ path: string; ranges: Array<[number, number]> }>, maxLines: number) {
  const size = (r: Array<[number, number]>) => r.reduce((n, [a, b]) => n + b - a + 1, 0);
  const specs: string[] = [];
  let taken = 0;
  let left = 0;
  for (const f of [...files].sort((x, y) => size(y.ranges) - size(x.ranges))) {
    for (const [a, b] of f.ranges) {
      if (taken + (b - a + 1) > maxLines && specs.length > 0) {
        left += b - a + 1;
        continue;
      }
      specs.push(`${f.path}:${a}-${b}`);
      taken += b - a + 1;
    }
  }
  return { specs, taken, left };
}

function changedFiles(
  baseline: Baseline,
  scope: (p: string) => boolean,
): Array<{ path: string; ranges: Array<[number, number]> }> | undefined {
  try {
    execFileSync('git', ['cat-file', '-e', `${baseline.commit}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    return undefined; // the recorded commit is not in this clone's history
  }
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return git('diff', '--name-only', '--diff-filter=AM', baseline.commit, '--', 'src')
    .split('\n')
    .filter((path) => path && scope(path))
    .map((path) => ({ path, ranges: changedRanges(git('diff', '-U0', baseline.commit, '--', path)) }))
    .filter((f) => f.ranges.length > 0);
}

async function main(): Promise<void> {
  const baseline = readBaseline(readFileSync(REPORT_MD, 'utf8'));
  const config0 = (await import(pathToFileURL(join(ROOT, 'stryker.config.mjs')).href)) as {
    default: { mutate: string[] };
  };
  const scope = inScope(config0.default.mutate);
  const maxLines = Number(process.env['MUTATE_CI_MAX_LINES'] ?? 150);
  let files = process.argv.slice(2);
  if (files.length === 0) {
    const changed = changedFiles(baseline, scope);
    if (changed === undefined)
      console.log(`recorded commit ${baseline.commit} not found: using the fixed sample`);
    if (changed && changed.length > 0) {
      const { specs, taken, left } = budgeted(changed, maxLines);
      files = specs;
      console.log(
        `${changed.length} changed file(s) in scope: mutating ${taken} changed line(s)${left ? `, ${left} left for the next full run` : ''}`,
      );
    } else {
      files = baseline.sample;
    }
  }
  const outOfScope = files.filter((f) => !scope(f.replace(/:[\d:-]+$/, '')));
  if (outOfScope.length > 0) throw new Error(`not in the mutation scope: ${outOfScope.join(', ')}`);
  console.log(`mutating ${files.join(', ')}`);

  mkdirSync(OUT, { recursive: true });
  const jsonFile = join(OUT, 'mutation.json');
  const config = join(OUT, 'stryker.config.mjs');
  writeFileSync(
    config,
    [
      `import base from ${JSON.stringify(join(ROOT, 'stryker.config.mjs'))};`,
      'export default {',
      '  ...base,',
      `  mutate: ${JSON.stringify(files)},`,
      // A fresh measurement: CI has no incremental state, and a local one must not hide a regression.
      '  incremental: false,',
      "  reporters: ['json', 'clear-text', 'progress-append-only'],",
      `  jsonReporter: { fileName: ${JSON.stringify(jsonFile)} },`,
      '};',
    ].join('\n'),
  );
  const run = spawnSync('npx', ['stryker', 'run', config], { cwd: ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`stryker exited ${run.status}`);

  const failures = regressions(JSON.parse(readFileSync(jsonFile, 'utf8')) as JsonReport, baseline);
  if (failures.length > 0) {
    console.error(
      `mutation score below the recorded score (reports/mutation.md):\n  ${failures.join('\n  ')}`,
    );
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) await main();
