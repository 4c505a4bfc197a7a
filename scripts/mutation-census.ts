/**
 * Counts the mutants of the mutation scope without running a test: Stryker's own instrumenter with the
 * configured ignorers (scripts/stryker-ignorers.mjs), per group of issue #18 and per file. What the cost model
 * of a full run starts from (reports/mutation-log.md, "Ignored on purpose"); about 15 s for the whole scope.
 *
 *   tsx scripts/mutation-census.ts [--files]      (--files: one row per file as well)
 *   tsx scripts/mutation-census.ts --json <file> ...   (those files' rows, as JSON)
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import { Instrumenter } from '@stryker-mutator/instrumenter';
import type { Ignorer } from '@stryker-mutator/api/ignore';
import { globSync } from 'tinyglobby';

import {
  MODULE_LEVEL_REASON,
  REPORT_TEXT_REASON,
  moduleLevelIgnorer,
  reportTextIgnorer,
} from './stryker-ignorers.mjs';
import { groupOf } from './mutation-summary.js';

export interface CensusRow {
  name: string;
  mutants: number;
  moduleLevel: number;
  reportText: number;
  /** Mutants left for the checker and the test runner. */
  toTest: number;
}

const IGNORERS: Record<string, Ignorer> = {
  'module-level': moduleLevelIgnorer,
  'report-text': reportTextIgnorer,
};

/** The files a Stryker `mutate` list (globs, `!` exclusions) selects, relative to the working directory. */
export function scopeFiles(mutate: readonly string[]): string[] {
  const include = mutate.filter((g) => !g.startsWith('!'));
  const exclude = mutate.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
  return globSync(include, { ignore: exclude }).sort();
}

const quiet = {
  debug() {},
  info() {},
  warn: console.warn,
  error: console.error,
  trace() {},
  fatal: console.error,
  isDebugEnabled: () => false,
  isTraceEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => true,
  isErrorEnabled: () => true,
  isFatalEnabled: () => true,
};

/** One row per file: its mutants, and how many each ignorer set aside. */
export async function census(files: readonly string[], ignorers: readonly string[]): Promise<CensusRow[]> {
  const plugins = ignorers.map((name) => {
    const plugin = IGNORERS[name];
    if (!plugin) throw new Error(`unknown ignorer ${name} (stryker.config.mjs and this script disagree)`);
    return plugin;
  });
  const instrumenter = new Instrumenter(quiet);
  const { mutants } = await instrumenter.instrument(
    files.map((name) => ({ name, mutate: true, content: readFileSync(name, 'utf8') })),
    { plugins: null, excludedMutations: [], ignorers: plugins },
  );
  const rows = new Map(
    files.map((name) => [name, { name, mutants: 0, moduleLevel: 0, reportText: 0, toTest: 0 }]),
  );
  for (const m of mutants) {
    const row = rows.get(m.fileName)!;
    row.mutants++;
    if (m.statusReason === MODULE_LEVEL_REASON) row.moduleLevel++;
    else if (m.statusReason === REPORT_TEXT_REASON) row.reportText++;
    else row.toTest++;
  }
  return [...rows.values()];
}

/** The rows summed per group of `groupOf`, then a total. */
export function byGroup(rows: readonly CensusRow[]): CensusRow[] {
  const groups = new Map<string, CensusRow>();
  const add = (name: string, r: CensusRow) => {
    const g = groups.get(name) ?? { name, mutants: 0, moduleLevel: 0, reportText: 0, toTest: 0 };
    g.mutants += r.mutants;
    g.moduleLevel += r.moduleLevel;
    g.reportText += r.reportText;
    g.toTest += r.toTest;
    groups.set(name, g);
  };
  for (const r of rows) add(groupOf(r.name), r);
  const out = [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
  const total = { name: 'all', mutants: 0, moduleLevel: 0, reportText: 0, toTest: 0 };
  for (const g of out) {
    total.mutants += g.mutants;
    total.moduleLevel += g.moduleLevel;
    total.reportText += g.reportText;
    total.toTest += g.toTest;
  }
  return [...out, total];
}

export function table(rows: readonly CensusRow[]): string {
  return [
    '| group / file | mutants | ignored: module-level | ignored: report text | left to check and test |',
    '|---|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.mutants} | ${r.moduleLevel} | ${r.reportText} | ${r.toTest} |`),
  ].join('\n');
}

async function main(): Promise<void> {
  const config = (await import(pathToFileURL('stryker.config.mjs').href)) as {
    default: { mutate: string[]; ignorers?: string[] };
  };
  // --json <file> ...: the rows of those files as JSON (the test runs it in a child process, since the
  // report-text ignorer's type check blocks its process for up to a minute on a busy machine).
  const json = process.argv.indexOf('--json');
  if (json >= 0) {
    const rows = await census(process.argv.slice(json + 1), config.default.ignorers ?? []);
    console.log(JSON.stringify(rows));
    return;
  }
  const rows = await census(scopeFiles(config.default.mutate), config.default.ignorers ?? []);
  console.log(table(byGroup(rows)));
  if (process.argv.includes('--files')) console.log(`\n${table(rows)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
