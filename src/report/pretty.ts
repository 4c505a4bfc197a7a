import Table from 'cli-table3';

import { targetRef } from '../model/index.js';
import { sortResults, summarize, type ScanReport } from '../scan/report-model.js';

export interface PrettyOptions {
  /** Terminal width; tables wrap to fit. */
  width?: number;
  color?: boolean;
}

const COLUMNS = ['TARGET', 'DIGEST', 'FAMILY', 'SIGNER', 'COUNTERSIGNER / TIME', 'STATUS'];

/** The table for people: one row per signature (or per unsigned/unknown target), then a summary. */
export function renderPretty(report: ScanReport, opts: PrettyOptions = {}): string {
  // Piped output has no width; 160 keeps DNs readable in a file or a CI log.
  const width = Math.max(80, opts.width ?? 160);
  const color = opts.color ?? false;
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);

  // Digest, family and status have natural widths; the rest is shared out, DNs getting the most.
  const narrow = width < 110;
  const fixed = narrow ? [16, 14, 16] : [21, 14, 30];
  const flexible = width - fixed.reduce((a, b) => a + b, 0) - (COLUMNS.length + 1);
  const [target, signer, counter] = [0.34, 0.4, 0.26].map((share) =>
    Math.max(10, Math.floor(flexible * share)),
  );
  const table = new Table({
    head: COLUMNS,
    colWidths: [target!, fixed[0]!, fixed[1]!, signer!, counter!, fixed[2]!],
    wordWrap: true,
    wrapOnWordBoundary: false,
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [] },
  });
  const shortDigest = (digest: string) => {
    if (!digest) return '-';
    const [alg, hex] = digest.split(':');
    return `${alg}:${(hex ?? '').slice(0, narrow ? 7 : 12)}`;
  };

  const results = sortResults(report.results);
  for (const r of results) {
    const ref =
      targetRef(r.target) + (r.target.kind === 'image' && r.target.platform ? ` (${r.target.platform})` : '');
    const digest = shortDigest(r.target.digest);
    if (r.signatures.length === 0) {
      const status =
        r.status === 'unknown'
          ? paint(33, `unknown: ${r.errors.map((e) => e.code).join(', ')}`)
          : paint(31, 'unsigned');
      table.push([ref, digest, '-', '-', '-', status]);
      continue;
    }
    for (const s of r.signatures) {
      const e = s.evidence;
      const signer =
        e.signer.subject ||
        e.signer.subjectAlternativeNames?.join(', ') ||
        (e.signer.keyId ? `key ${e.signer.keyId.slice(0, 16)}` : 'public key (not in signature)');
      const counter = e.countersigner
        ? [e.countersigner.subject, shortTime(e.countersigner.time)].filter(Boolean).join(' @ ')
        : (shortTime(e.signingTime) ?? '-');
      const v = s.verdict.status;
      const code =
        v === 'verified' ? 32 : v === 'invalid' ? 31 : v === 'untrusted' || v === 'error' ? 33 : 36;
      table.push([ref, digest, e.family, signer, counter, paint(code, `${v} (${s.verdict.code})`)]);
    }
  }

  const summary = summarize(report);
  const lines = [table.toString(), ''];
  lines.push(
    `${summary.signatures} signature${summary.signatures === 1 ? '' : 's'} on ${summary.signed} of ${summary.targets} targets` +
      ` (${summary.unsigned} unsigned, ${summary.unknown} unknown)`,
  );
  lines.push(
    `verdicts: ${Object.entries(summary.verdicts)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
  );
  const families = Object.entries(summary.families);
  if (families.length) lines.push(`families: ${families.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (summary.filesSkipped !== undefined)
    lines.push(`files skipped (not a signable format): ${summary.filesSkipped}`);

  const errorLines = [
    ...report.scanErrors.map((e) => `  ${e.source ?? 'scan'}: ${e.code}: ${e.message}`),
    ...results.flatMap((r) => r.errors.map((e) => `  ${targetRef(r.target)}: ${e.code}: ${e.message}`)),
  ];
  if (errorLines.length) lines.push(`errors (${errorLines.length}):`, ...errorLines);
  return `${lines.join('\n')}\n`;
}

/** Whole seconds are enough in a table; the JSON keeps the full value. */
function shortTime(iso: string | undefined): string | undefined {
  return iso?.replace(/\.000Z$/, 'Z');
}
