/**
 * Prints the markdown for reports/mutation.md from a Stryker JSON report: the score table per file and
 * every surviving or uncovered mutant (file:line, mutator, replacement), so each can be killed by a test
 * or explained as equivalent.
 *
 *   tsx scripts/mutation-summary.ts [reports/mutation/mutation.json]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { fileScore } from './mutate-ci.js';

interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

export function summary(report: Report): string {
  const rows: string[] = [
    '| file | killed | timeout | survived | no coverage | ignored | compile error | score |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const open: string[] = [];
  const total: Mutant[] = [];
  for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    const { score, counts } = fileScore(mutants);
    total.push(...mutants);
    const n = (s: string) => counts[s] ?? 0;
    rows.push(
      `| ${file} | ${n('Killed')} | ${n('Timeout')} | ${n('Survived')} | ${n('NoCoverage')} | ${n('Ignored')} | ${n('CompileError')} | ${score === undefined ? '–' : `${score.toFixed(2)}%`} |`,
    );
    const lines = source.split('\n');
    for (const m of mutants.filter((x) => x.status === 'Survived' || x.status === 'NoCoverage')) {
      const line = m.location.start.line;
      const code = (lines[line - 1] ?? '').trim().slice(0, 90);
      const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 60);
      open.push(`- ${file}:${line} ${m.mutatorName} (${m.status}) \`${code}\` → \`${replacement}\``);
    }
  }
  const all = fileScore(total);
  rows.push(`| **all** | | | | | | | **${all.score === undefined ? '–' : `${all.score.toFixed(2)}%`}** |`);
  return `${rows.join('\n')}\n\n${open.length ? open.join('\n') : 'No surviving mutant.'}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const path = resolve(process.argv[2] ?? 'reports/mutation/mutation.json');
  process.stdout.write(summary(JSON.parse(readFileSync(path, 'utf8')) as Report));
}
