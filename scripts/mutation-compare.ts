/**
 * Compares two Stryker JSON reports mutant by mutant: the same mutant (file, location, mutator, replacement)
 * must have the same status in both. Used to show that a change to how mutants are run (a test runner, a
 * checker, an option) gives the stock results (reports/mutation-log.md, "The warm test runner"):
 *
 *   npx tsx scripts/mutation-compare.ts reports/mutation/a.json reports/mutation/b.json
 *
 * Prints the count of equal mutants and every difference; exits 1 when any differs or is in one report only.
 * Mutants of files present in only one report are compared too (a missing file is a difference).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface Position {
  line: number;
  column: number;
}
interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: Position; end: Position };
}
interface JsonReport {
  files: Record<string, { mutants: Mutant[] }>;
}

export function mutantKey(file: string, m: Mutant): string {
  const { start, end } = m.location;
  return `${file}:${start.line}:${start.column}-${end.line}:${end.column} ${m.mutatorName} ${JSON.stringify(m.replacement ?? '')}`;
}

function statuses(report: JsonReport): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, { mutants }] of Object.entries(report.files)) {
    for (const m of mutants) out.set(mutantKey(file, m), m.status);
  }
  return out;
}

export function compareReports(a: JsonReport, b: JsonReport): { same: number; differences: string[] } {
  const left = statuses(a);
  const right = statuses(b);
  const differences: string[] = [];
  let same = 0;
  for (const [key, status] of left) {
    const other = right.get(key);
    if (other === status) same++;
    else differences.push(`${key}: ${status} vs ${other ?? '(absent)'}`);
  }
  for (const [key, status] of right) if (!left.has(key)) differences.push(`${key}: (absent) vs ${status}`);
  return { same, differences };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) {
    console.error('usage: tsx scripts/mutation-compare.ts <a.json> <b.json>');
    process.exit(2);
  }
  const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as JsonReport;
  const { same, differences } = compareReports(read(a), read(b));
  console.log(`equal: ${same}, different: ${differences.length}`);
  for (const d of differences) console.log(d);
  process.exit(differences.length ? 1 : 0);
}
