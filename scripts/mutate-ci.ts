/**
 * The CI part of mutation testing (issue #18): mutates only the files in scope that changed since the
 * commit reports/mutation.md was measured at (or a fixed sample when none changed), and fails when a
 * file's mutation score drops below the score recorded for it there.
 *
 *   npm run mutate:ci                 # changed files, at most MUTATE_CI_MAX_FILES (default 3)
 *   npm run mutate:ci -- src/x.ts     # these files
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

function changedFiles(baseline: Baseline, scope: (p: string) => boolean): string[] | undefined {
  try {
    execFileSync('git', ['cat-file', '-e', `${baseline.commit}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
  } catch {
    return undefined; // the recorded commit is not in this clone's history
  }
  const out = execFileSync('git', ['diff', '--numstat', baseline.commit, '--', 'src'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split('\t'))
    .map(([add, del, path]) => ({ path: path!, lines: Number(add) + Number(del) }))
    .filter((f) => scope(f.path))
    .sort((a, b) => b.lines - a.lines)
    .map((f) => f.path);
}

async function main(): Promise<void> {
  const baseline = readBaseline(readFileSync(REPORT_MD, 'utf8'));
  const config0 = (await import(pathToFileURL(join(ROOT, 'stryker.config.mjs')).href)) as {
    default: { mutate: string[] };
  };
  const scope = inScope(config0.default.mutate);
  const max = Number(process.env['MUTATE_CI_MAX_FILES'] ?? 3);
  let files = process.argv.slice(2);
  if (files.length === 0) {
    const changed = changedFiles(baseline, scope);
    if (changed === undefined)
      console.log(`recorded commit ${baseline.commit} not found: using the fixed sample`);
    // Most-changed first; the cap keeps the CI run within minutes on 2 cores.
    files = changed && changed.length > 0 ? changed.slice(0, max) : baseline.sample;
    if (changed && changed.length > max) {
      console.log(`${changed.length} changed files in scope; mutating the ${max} most changed`);
    }
  }
  const outOfScope = files.filter((f) => !scope(f));
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
