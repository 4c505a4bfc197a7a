/**
 * Prints the markdown for reports/mutation.md from a Stryker JSON report: the score table per file, the
 * scores of the groups issue #18 sets its 90% goal on, and every surviving or uncovered mutant (file:line,
 * mutator, replacement), so each can be killed by a test or explained as equivalent.
 *
 *   tsx scripts/mutation-summary.ts [reports/mutation/mutation.json ...]   (several reports: tabulated together)
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

/**
 * The group a file's score counts toward: `src/trust/` as a whole, each named format check (a directory
 * of src/formats, or a single file there), and the verdict and target-status logic.
 */
export function groupOf(file: string): string {
  if (file.startsWith('src/trust/')) return 'src/trust/';
  const format = /^src\/formats\/([^/]+)\//.exec(file);
  if (format) return `src/formats/${format[1]}/`;
  if (file.startsWith('src/formats/')) return file;
  if (file === 'src/model/result.ts' || file === 'src/scan/report-model.ts') return 'verdict and target status';
  return file;
}

function row(name: string, mutants: Mutant[]): string {
  const { score, counts } = fileScore(mutants);
  const n = (s: string) => counts[s] ?? 0;
  return `| ${name} | ${n('Killed')} | ${n('Timeout')} | ${n('Survived')} | ${n('NoCoverage')} | ${n('Ignored')} | ${n('CompileError')} | ${score === undefined ? '–' : `${score.toFixed(2)}%`} |`;
}

export function summary(report: Report): string {
  const rows: string[] = [
    '| file | killed | timeout | survived | no coverage | ignored | compile error | score |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const open: string[] = [];
  const total: Mutant[] = [];
  const groups = new Map<string, Mutant[]>();
  for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) =>
    a.localeCompare(b),
  )) {
    total.push(...mutants);
    const group = groups.get(groupOf(file)) ?? [];
    group.push(...mutants);
    groups.set(groupOf(file), group);
    rows.push(row(file, mutants));
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
  const groupRows = [
    '| group | killed | timeout | survived | no coverage | ignored | compile error | score |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...[...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, mutants]) => row(name, mutants)),
  ];
  return `${rows.join('\n')}\n\n${groupRows.join('\n')}\n\n${open.length ? open.join('\n') : 'No surviving mutant.'}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const paths = process.argv.length > 2 ? process.argv.slice(2) : ['reports/mutation/mutation.json'];
  const files: Report['files'] = {};
  for (const path of paths) Object.assign(files, (JSON.parse(readFileSync(resolve(path), 'utf8')) as Report).files);
  process.stdout.write(summary({ files }));
}
