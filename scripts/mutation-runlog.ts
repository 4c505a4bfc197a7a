/**
 * Summarizes a STRYKER_WARM_LOG file (one JSON line per mutant run, written by scripts/stryker-warm-runner.mjs
 * as each run ends): per mutated file, how many runs, how they ended and the wall time they took. For a run
 * that is still going or was stopped, where Stryker has written no report yet.
 *
 *   tsx scripts/mutation-runlog.ts /tmp/warm.log
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface RunLogLine {
  file: string;
  status: string;
  ms: number;
  tests: number | null;
  ran: number | null;
}

export interface RunLogRow {
  file: string;
  runs: number;
  /** Runs by status (killed, survived, timeout, error). */
  statuses: Record<string, number>;
  /** Wall milliseconds, all runs and by status. */
  ms: number;
  msByStatus: Record<string, number>;
  /** Mean covering tests per run. */
  covering: number;
}

/** Rows per mutated file (path from `src/` on), largest total time first, and a total row named `all`. */
export function summarizeRunLog(lines: readonly RunLogLine[]): RunLogRow[] {
  const rows = new Map<string, RunLogRow & { coveringSum: number }>();
  const add = (key: string, line: RunLogLine) => {
    const row = rows.get(key) ?? {
      file: key,
      runs: 0,
      statuses: {},
      ms: 0,
      msByStatus: {},
      covering: 0,
      coveringSum: 0,
    };
    row.runs++;
    row.statuses[line.status] = (row.statuses[line.status] ?? 0) + 1;
    row.ms += line.ms;
    row.msByStatus[line.status] = (row.msByStatus[line.status] ?? 0) + line.ms;
    row.coveringSum += line.tests ?? 0;
    rows.set(key, row);
  };
  for (const line of lines) {
    const at = line.file.lastIndexOf('/src/');
    add(at >= 0 ? line.file.slice(at + 1) : line.file, line);
    add('all', line);
  }
  return [...rows.values()]
    .map(({ coveringSum, ...row }) => ({ ...row, covering: row.runs ? coveringSum / row.runs : 0 }))
    .sort((a, b) => (a.file === 'all' ? 1 : b.file === 'all' ? -1 : b.ms - a.ms));
}

function table(rows: RunLogRow[]): string {
  const mean = (row: RunLogRow, status: string) =>
    row.statuses[status]
      ? `${((row.msByStatus[status] ?? 0) / row.statuses[status]! / 1000).toFixed(2)} s`
      : '–';
  return [
    '| file | runs | killed | survived | timeout | wall s | mean killed | mean survived | covering tests |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.file} | ${r.runs} | ${r.statuses['killed'] ?? 0} | ${r.statuses['survived'] ?? 0} | ${r.statuses['timeout'] ?? 0} | ${(r.ms / 1000).toFixed(1)} | ${mean(r, 'killed')} | ${mean(r, 'survived')} | ${r.covering.toFixed(1)} |`,
    ),
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const text = readFileSync(resolve(process.argv[2] ?? '/dev/stdin'), 'utf8');
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunLogLine);
  process.stdout.write(`${table(summarizeRunLog(lines))}\n`);
}
