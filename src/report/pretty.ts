import Table from 'cli-table3';

import type { SignatureResult, TargetResult, VerdictStatus } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { signerLabel, sortResults, summarize, type ScanReport } from '../scan/report-model.js';

export interface PrettyOptions {
  /** Terminal width (process.stdout.columns); tables fit inside it. Default 160 (a file or CI log). */
  width?: number;
  /** ANSI colour; the caller decides (TTY and no NO_COLOR). */
  color?: boolean;
}

/** Below this width the table drops the digest and countersigner columns and shortens signers to CN/O. */
const WIDE = 120;

const VERDICT_COLOR: Record<VerdictStatus, number> = {
  verified: 32,
  invalid: 31,
  untrusted: 33,
  error: 33,
  unverified: 36,
};

/**
 * The report for people: one table per repository (images) or directory (files), one row per signature
 * (or per unsigned/unknown target), then a summary block.
 */
export function renderPretty(report: ScanReport, opts: PrettyOptions = {}): string {
  const width = Math.max(60, opts.width ?? 160);
  const color = opts.color ?? false;
  const paint = (code: number, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[22m` : s);
  const wide = width >= WIDE;

  const out: string[] = [];
  for (const [group, results] of groupResults(sortResults(report.results))) {
    const signed = results.filter((r) => r.status === 'signed').length;
    const unsigned = results.filter((r) => r.status === 'unsigned').length;
    const unknown = results.length - signed - unsigned;
    out.push(
      fit(
        `${bold(group)}  (${plural(results.length, 'target')}: ${signed} signed, ${unsigned} unsigned` +
          `${unknown ? `, ${unknown} unknown` : ''})`,
        width,
      ),
    );
    out.push(renderTable(results, width, wide, color, paint), '');
  }

  const summary = summarize(report);
  const n = (value: number, code: number) => (value > 0 ? paint(code, String(value)) : String(value));
  const line = (label: string, text: string) => out.push(fit(`  ${label.padEnd(12)}${text}`, width));
  out.push(bold('Summary'));
  line(
    'targets',
    `${summary.targets}: ${n(summary.signed, 32)} signed, ${n(summary.unsigned, 31)} unsigned, ` +
      `${n(summary.unknown, 33)} unknown`,
  );
  const tv = summary.targetVerdicts;
  line(
    'signed',
    `${n(tv.verified, 32)} verified, ${n(tv.invalid, 31)} invalid, ${n(tv.untrusted, 33)} untrusted, ` +
      `${tv.unverified} unverified, ${n(tv.error, 33)} error`,
  );
  const v = summary.verdicts;
  line(
    'signatures',
    `${summary.signatures}: ${v.verified} verified, ${v.invalid} invalid, ${v.untrusted} untrusted, ` +
      `${v.unverified} unverified, ${v.error} error`,
  );
  line('errors', n(summary.errors, 33));
  const families = Object.entries(summary.families);
  line('families', families.length ? families.map(([k, c]) => `${k} ${c}`).join(', ') : '-');
  if (summary.filesSkipped !== undefined)
    line('skipped', `${plural(summary.filesSkipped, 'file')} (not a signable format)`);
  line('signers', String(summary.signers.length));
  for (const s of summary.signers) out.push(fit(`    ${String(s.targets).padStart(5)}  ${s.signer}`, width));
  if (summary.untagged !== undefined)
    line(
      'untagged',
      `${summary.untagged} signed digests no tag points at; ${summary.orphans ?? 0} orphan signatures`,
    );
  // What was and was not looked at, in full at any width: "unsigned" means nothing without it.
  const block = (label: string, text: string) =>
    out.push(...wrap(text, width - 14).map((l, i) => `  ${(i ? '' : label).padEnd(12)}${l}`));
  if (report.checked) block('checked', report.checked.length ? report.checked.join(', ') : '-');
  if (report.notChecked?.length)
    block('not checked', report.notChecked.map((n) => `${n.family} (${n.reason})`).join('; '));
  if (report.trust)
    block(
      'trust',
      report.trust.length
        ? report.trust.map((t) => `${t.kind} ${t.path}${t.default ? ' (default)' : ''}`).join(', ')
        : 'none given: signatures are at most unverified',
    );
  if (report.at) block('at', report.at.toISOString());
  if (report.interrupted)
    out.push(paint(33, '  interrupted: the scan was stopped; only finished targets are reported'));
  for (const o of report.orphans ?? [])
    block('orphan', `${o.registry}/${o.repository}:${o.tag} signs ${o.subject}, which does not exist`);

  // Why each signature that is not verified got its verdict, whatever the table had room for.
  const reasons = sortResults(report.results).flatMap((r) =>
    r.signatures
      .filter((s) => s.verdict.status !== 'verified')
      .map(
        (s) =>
          `${targetRef(r.target)}: ${s.evidence.family} ${s.verdict.status} (${s.verdict.code}): ${s.verdict.message}`,
      ),
  );
  if (reasons.length) {
    out.push('', bold(`Verdict reasons (${reasons.length})`));
    for (const e of reasons) out.push(...wrap(e, width - 4).map((l, i) => `${i ? '    ' : '  '}${l}`));
  }

  const errorLines = [
    ...report.scanErrors.map((e) => `  ${e.source ?? 'scan'}: ${e.code}: ${e.message}`),
    ...sortResults(report.results).flatMap((r) =>
      r.errors.map((e) => `  ${targetRef(r.target)}: ${e.code}: ${e.message}`),
    ),
  ];
  if (errorLines.length) {
    out.push('', bold(`Errors (${errorLines.length})`));
    for (const e of errorLines)
      out.push(...wrap(e.trim(), width - 4).map((l, i) => `${i ? '    ' : '  '}${l}`));
  }
  return `${out.join('\n')}\n`;
}

/** Repository (`host/repo`) for images, directory for files; groups in sorted order. */
export function groupKey(r: TargetResult): string {
  const t = r.target;
  if (t.kind === 'image') return `${t.registry}/${t.repository}`;
  const slash = t.path.lastIndexOf('/');
  return slash > 0 ? t.path.slice(0, slash) : slash === 0 ? '/' : '.';
}

export function groupResults(results: readonly TargetResult[]): Map<string, TargetResult[]> {
  const groups = new Map<string, TargetResult[]>();
  for (const r of results) {
    const key = groupKey(r);
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The target's name inside its group: file name, `:tag`, or `@sha256:abc… linux/amd64`. */
export function shortName(r: TargetResult, wide: boolean): string {
  const t = r.target;
  if (t.kind === 'file') return t.path.slice(t.path.lastIndexOf('/') + 1);
  if (t.platform) return `${t.platform}${t.tag ? ` (${t.tag})` : ''}`;
  if (t.tag) return `:${t.tag}`;
  return `@${shortDigest(t.digest, wide)}`;
}

function shortDigest(digest: string, wide: boolean): string {
  if (!digest) return '-';
  const [alg, hex] = digest.split(':');
  return `${alg}:${(hex ?? '').slice(0, wide ? 12 : 7)}`;
}

function renderTable(
  results: TargetResult[],
  width: number,
  wide: boolean,
  color: boolean,
  paint: (code: number, s: string) => string,
): string {
  const head = wide
    ? ['TARGET', 'DIGEST', 'FAMILY', 'SIGNER', 'COUNTERSIGNER / TIME', 'VERDICT']
    : ['TARGET', 'FAMILY', 'SIGNER', 'VERDICT'];
  // Digest, family and verdict have natural widths; the rest is shared out, signers getting the most.
  const fixed = wide ? { digest: 21, family: 14, verdict: 30 } : { digest: 0, family: 14, verdict: 13 };
  const borders = head.length + 1;
  const flexible = width - borders - fixed.digest - fixed.family - fixed.verdict;
  const shares = wide ? [0.3, 0.42, 0.28] : [0.42, 0.58, 0];
  const [target, signer, counter] = shares.map((s) => Math.max(10, Math.floor(flexible * s)));
  const colWidths = wide
    ? [target!, fixed.digest, fixed.family, signer!, counter!, fixed.verdict]
    : [target!, fixed.family, signer!, fixed.verdict];
  const table = new Table({
    head,
    colWidths,
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [] },
  });

  // Cells are wrapped here (words kept whole where they fit, long ones cut) so that nothing is truncated.
  const row = (cells: Array<[string, number?]>) =>
    table.push(
      cells.map(([text, code], i) => {
        const lines = wrap(text, colWidths[i]! - 2);
        return (code === undefined ? lines : lines.map((l) => paint(code, l))).join('\n');
      }),
    );
  for (const r of results) {
    const name = shortName(r, wide);
    const digest = shortDigest(r.target.digest, wide);
    if (r.signatures.length === 0) {
      const status: [string, number] =
        r.status === 'unknown'
          ? [`unknown: ${r.errors.map((e) => e.code).join(', ')}`, 33]
          : ['unsigned', 31];
      row(wide ? [[name], [digest], ['-'], ['-'], ['-'], status] : [[name], ['-'], ['-'], status]);
      continue;
    }
    for (const s of r.signatures) {
      const v = s.verdict.status;
      const verdict: [string, number] = [wide ? `${v} (${s.verdict.code})` : v, VERDICT_COLOR[v]];
      const family = s.evidence.family;
      row(
        wide
          ? [[name], [digest], [family], [signerLabel(s.evidence.signer)], [counterText(s)], verdict]
          : [[name], [family], [shortSigner(s)], verdict],
      );
    }
  }
  return table.toString();
}

/** Greedy word wrap to `width` characters; words longer than a line are cut. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/ +/)) {
    let rest = word;
    if (current && current.length + 1 + rest.length <= w) {
      current += ` ${rest}`;
      continue;
    }
    if (current) lines.push(current);
    while (rest.length > w) {
      lines.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    current = rest;
  }
  lines.push(current);
  return lines;
}

function counterText(s: SignatureResult): string {
  const e = s.evidence;
  return e.countersigner
    ? [e.countersigner.subject, shortTime(e.countersigner.time)].filter(Boolean).join(' @ ')
    : (shortTime(e.signingTime) ?? '-');
}

/** CN and O of a DN (what fits at 80 columns); other identities unchanged. */
function shortSigner(s: SignatureResult): string {
  const label = signerLabel(s.evidence.signer);
  if (!s.evidence.signer.subject) return label;
  const rdn = (attr: string) => new RegExp(`(?:^|,)${attr}=((?:\\\\.|[^,])*)`).exec(label)?.[1];
  const parts = [rdn('CN'), rdn('O')].filter(Boolean);
  return parts.length ? parts.join(', ') : label;
}

/** Whole seconds are enough in a table; the JSON keeps the full value. */
function shortTime(iso: string | undefined): string | undefined {
  return iso?.replace(/\.000Z$/, 'Z');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Cuts a line to the width (counting visible characters only), ending it with an ellipsis. */
function fit(line: string, width: number): string {
  const visible = line.replace(ANSI, '');
  if (visible.length <= width) return line;
  return `${visible.slice(0, width - 1)}…`;
}
