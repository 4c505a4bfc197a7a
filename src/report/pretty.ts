import Table from 'cli-table3';

import type { SignatureResult, TargetResult, VerdictStatus } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { signerLabel, sortResults, summarize, type ScanReport } from '../scan/report-model.js';
import { PADDING, packUnits, sizeColumns, wrap, wrapDn, wrapList, type ColumnSpec } from './pretty-layout.js';

export { wrap } from './pretty-layout.js';

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

  const out: string[] = [];
  const sorted = sortResults(report.results);
  const layout = layoutTables(sorted, width);
  for (const [group, results] of groupResults(sorted)) {
    const signed = results.filter((r) => r.status === 'signed').length;
    const unsigned = results.filter((r) => r.status === 'unsigned').length;
    const unknown = results.length - signed - unsigned;
    const counts =
      `(${plural(results.length, 'target')}: ${signed} signed, ${unsigned} unsigned` +
      `${unknown ? `, ${unknown} unknown` : ''})`;
    if (group.length + 2 + counts.length <= width) out.push(`${bold(group)}  ${counts}`);
    else out.push(...wrap(group, width).map(bold), ...wrap(counts, width));
    out.push(renderTable(results, layout, color, paint), '');
  }

  // Every summary line wraps (at entries, then words) instead of being cut: nothing here may be lost.
  const summary = summarize(report);
  const n = (value: number, code: number) => (value > 0 ? paint(code, String(value)) : String(value));
  const indent = (label: string, lines: string[]) =>
    lines.map((l, i) => `  ${(i ? '' : label).padEnd(12)}${l}`);
  const textWidth = width - 14;
  // Colour goes on after wrapping, so that escape codes never count towards a line's width.
  const block = (label: string, text: string) =>
    out.push(...indent(label, wrap(text, textWidth)).map((l) => colourCounts(l, paint)));
  const list = (label: string, entries: string[], separator = ',') =>
    out.push(...indent(label, entries.length ? wrapList(entries, textWidth, separator) : ['-']));
  const line = (label: string, text: string) => out.push(`  ${label.padEnd(12)}${text}`);
  out.push(bold('Summary'));
  block(
    'targets',
    `${summary.targets}: ${summary.signed} signed, ${summary.unsigned} unsigned, ${summary.unknown} unknown`,
  );
  const tv = summary.targetVerdicts;
  block(
    'signed',
    `${tv.verified} verified, ${tv.invalid} invalid, ${tv.untrusted} untrusted, ` +
      `${tv.unverified} unverified, ${tv.error} error`,
  );
  const v = summary.verdicts;
  out.push(
    ...indent(
      'signatures',
      wrap(
        `${summary.signatures}: ${v.verified} verified, ${v.invalid} invalid, ${v.untrusted} untrusted, ` +
          `${v.unverified} unverified, ${v.error} error`,
        textWidth,
      ),
    ),
  );
  line('errors', n(summary.errors, 33));
  list(
    'families',
    Object.entries(summary.families).map(([k, c]) => `${k} ${c}`),
  );
  if (summary.filesSkipped !== undefined)
    block('skipped', `${plural(summary.filesSkipped, 'file')} (not a signable format)`);
  line('signers', String(summary.signers.length));
  for (const s of summary.signers) {
    const lines = /^[A-Za-z][\w.]*=/.test(s.signer)
      ? wrapDn(s.signer, width - 11)
      : wrap(s.signer, width - 11);
    out.push(...lines.map((l, i) => `    ${i ? '     ' : String(s.targets).padStart(5)}  ${l}`));
  }
  if (summary.untagged !== undefined)
    block(
      'untagged',
      `${summary.untagged} signed digests no tag points at; ${summary.orphans ?? 0} orphan signatures`,
    );
  if (summary.namespaces?.length) {
    out.push('  namespaces  verified / targets run there');
    const pad = Math.max(...summary.namespaces.map((ns) => String(ns.targets).length));
    for (const ns of summary.namespaces)
      out.push(
        ...wrap(ns.namespace, width - 2 * pad - 10).map(
          (l, i) =>
            `    ${i ? ' '.repeat(2 * pad + 3) : `${String(ns.verified).padStart(pad)} / ${String(ns.targets).padStart(pad)}`}  ${l}`,
        ),
      );
  }
  // What was and was not looked at, in full at any width: "unsigned" means nothing without it.
  if (report.checked) list('checked', report.checked);
  if (report.notChecked?.length)
    list(
      'not checked',
      report.notChecked.map((n) => `${n.family} (${n.reason})`),
      ';',
    );
  if (report.trust)
    if (report.trust.length)
      list(
        'trust',
        report.trust.map((t) => `${t.kind} ${t.path}${t.default ? ' (default)' : ''}`),
      );
    else block('trust', 'none given: signatures are at most unverified');
  if (report.at) block('at', report.at.toISOString());
  if (report.interrupted)
    out.push(
      ...wrap('interrupted: the scan was stopped; only finished targets are reported', width - 2).map((l) =>
        paint(33, `  ${l}`),
      ),
    );
  for (const o of report.orphans ?? [])
    block('orphan', `${o.registry}/${o.repository}:${o.tag} signs ${o.subject}, which does not exist`);

  const errorLines = [
    ...report.scanErrors.map((e) => `  ${e.source ?? 'scan'}: ${e.code}: ${e.message}`),
    ...sorted.flatMap((r) => r.errors.map((e) => `  ${targetRef(r.target)}: ${e.code}: ${e.message}`)),
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

interface Layout {
  wide: boolean;
  colWidths: number[];
}

/**
 * Verdict codes up to this long (with their parentheses) keep the verdict column when the longest codes
 * cannot: `(IDENTITY_MISMATCH)`, `(REKOR_UNREACHABLE)`. Longer ones go under the row, whole.
 */
const SHORT_CODE = 19;

/**
 * One layout for every table of the report (so columns line up between groups), sized to content: family
 * names, digests and verdicts never wrap (a verdict may put its code on a second line), targets and signers
 * share what is left, signers getting the most. Where a verdict code has no room in its column, it is
 * printed whole in the reason under the row.
 */
function layoutTables(results: readonly TargetResult[], width: number): Layout {
  const attempts: Array<[wide: boolean, codeLimit: number]> = [
    ...(width >= WIDE ? [[true, Infinity] as [boolean, number]] : []),
    [false, Infinity],
    [false, SHORT_CODE],
    [false, 0],
  ];
  for (const [wide, codeLimit] of attempts) {
    const columns = columnSpecs(results, wide, codeLimit);
    const colWidths = sizeColumns(columns, width);
    if (colWidths.reduce((a, b) => a + b, columns.length + 1) <= width) return { wide, colWidths };
  }
  // Below the minimum width: the narrowest layout, wider than asked.
  return { wide: false, colWidths: sizeColumns(columnSpecs(results, false, 0), width) };
}

/** The table's columns, measured on every result of the report; codes longer than `codeLimit` left out. */
function columnSpecs(results: readonly TargetResult[], wide: boolean, codeLimit: number): ColumnSpec[] {
  const longest = (texts: Iterable<string>, floor: number) => {
    let n = floor;
    for (const t of texts) n = Math.max(n, t.length);
    return n + PADDING;
  };
  const sigs = results.flatMap((r) => r.signatures);
  const verdicts = results
    .flatMap(verdictWords)
    .map((w) => w.filter((word, i) => i === 0 || word.length <= codeLimit));
  const verdict: ColumnSpec =
    codeLimit === Infinity
      ? {
          natural: longest(
            verdicts.map((w) => w.join(' ')),
            'VERDICT'.length,
          ),
          min: longest(verdicts.flat(), 'VERDICT'.length),
          tier: 1,
        }
      : { natural: longest(verdicts.flat(), 'VERDICT'.length), min: 0, fixed: true };
  const family = longest(
    sigs.map((s) => s.evidence.family),
    'FAMILY'.length,
  );
  const target = longest(
    results.map((r) => shortName(r, wide)),
    'TARGET'.length,
  );
  const signer = longest(
    sigs.map((s) => (wide ? signerLabel(s.evidence.signer) : shortSigner(s))),
    'SIGNER'.length,
  );
  const flexMin = (natural: number) => Math.min(natural, 10);
  return wide
    ? [
        { natural: target, min: flexMin(target), weight: 2 },
        {
          natural: longest(
            results.map((r) => shortDigest(r.target.digest, wide)),
            'DIGEST'.length,
          ),
          min: 0,
          fixed: true,
        },
        { natural: family, min: family, fixed: true },
        { natural: signer, min: flexMin(signer), weight: 3 },
        {
          natural: longest(sigs.map(counterText), 'COUNTERSIGNER / TIME'.length),
          min: flexMin(24),
          weight: 2,
        },
        verdict,
      ]
    : [
        { natural: target, min: flexMin(target), weight: 2 },
        { natural: family, min: family, fixed: true },
        { natural: signer, min: flexMin(signer), weight: 3 },
        verdict,
      ];
}

/** The verdict cell's words: status first, then the code (or the error codes of an unknown target). */
function verdictWords(r: TargetResult): string[][] {
  if (r.signatures.length === 0)
    return [r.status === 'unknown' ? ['unknown', ...codeWords(r.errors.map((e) => e.code))] : ['unsigned']];
  return r.signatures.map((s) => [s.verdict.status, `(${s.verdict.code})`]);
}

function codeWords(codes: readonly string[]): string[] {
  if (codes.length === 0) return [];
  return codes.map((c, i) => `${i === 0 ? '(' : ''}${c}${i === codes.length - 1 ? ')' : ','}`);
}

function renderTable(
  results: TargetResult[],
  layout: Layout,
  color: boolean,
  paint: (code: number, s: string) => string,
): string {
  const { wide, colWidths } = layout;
  const head = wide
    ? ['TARGET', 'DIGEST', 'FAMILY', 'SIGNER', 'COUNTERSIGNER / TIME', 'VERDICT']
    : ['TARGET', 'FAMILY', 'SIGNER', 'VERDICT'];
  const table = new Table({
    head,
    colWidths,
    style: { head: color ? ['bold'] : [], border: color ? ['grey'] : [] },
  });
  const span = colWidths.reduce((a, b) => a + b, colWidths.length - 1) - PADDING;

  // Cells are wrapped here (cli-table3 would truncate): words kept whole, DNs broken between RDNs.
  type Cell = [lines: string[], colour?: number];
  const row = (cells: Cell[]) =>
    table.push(
      cells.map(([lines, code]) =>
        (code === undefined ? lines : lines.map((l) => paint(code, l))).join('\n'),
      ),
    );
  const text = (t: string, i: number): string[] => wrap(t, colWidths[i]! - PADDING);
  const signerCol = wide ? 3 : 2;
  const verdictCol = head.length - 1;
  const verdictWidth = colWidths[verdictCol]! - PADDING;
  // A code stays in the verdict column only whole; else it leads the reason under the row.
  const inColumn = (word: string) => word.length <= verdictWidth;
  const verdictCell = (words: string[], colour: number): Cell => [
    packUnits(
      words.filter((w, i) => i === 0 || inColumn(w)),
      verdictWidth,
      ' ',
      'cut',
    ),
    colour,
  ];
  // The reason under the row, across the whole table, for everything that is not verified.
  const reason = (code: string, message: string, codeShown: boolean) =>
    table.push([
      {
        colSpan: head.length,
        content: wrap(`\u21b3 ${codeShown ? '' : `${code}: `}${message}`, span).join('\n'),
      },
    ]);
  // TAG_MOVED and the like: about the image, whatever its signatures say.
  const targetFindings = (r: TargetResult) => {
    if (r.target.kind === 'image') for (const f of r.target.findings ?? []) reason(f.code, f.message, false);
  };
  for (const r of results) {
    const name = shortName(r, wide);
    const digest = shortDigest(r.target.digest, wide);
    if (r.signatures.length === 0) {
      const status = verdictCell(verdictWords(r)[0]!, r.status === 'unknown' ? 33 : 31);
      const dash: Cell = [['-']];
      row(
        wide
          ? [[text(name, 0)], [[digest]], dash, dash, dash, status]
          : [[text(name, 0)], dash, dash, status],
      );
      // Several errors may share the column: each reason names its own code.
      for (const e of r.errors) reason(e.code, e.message, false);
      targetFindings(r);
      continue;
    }
    for (const s of r.signatures) {
      const v = s.verdict.status;
      const code = `(${s.verdict.code})`;
      const verdict = verdictCell([v, code], VERDICT_COLOR[v]);
      const family: Cell = [[s.evidence.family]];
      const signer: Cell = [signerLines(s, wide, colWidths[signerCol]! - PADDING)];
      row(
        wide
          ? [[text(name, 0)], [[digest]], family, signer, [counterLines(s, colWidths[4]! - PADDING)], verdict]
          : [[text(name, 0)], family, signer, verdict],
      );
      if (v !== 'verified') reason(s.verdict.code, s.verdict.message, inColumn(code));
    }
    targetFindings(r);
  }
  return table.toString();
}

/** A DN breaks between RDNs; other identities (URIs, SAN lists, key ids) between entries or where cut. */
function signerLines(s: SignatureResult, wide: boolean, width: number): string[] {
  if (!wide && s.evidence.signer.subject) {
    const parts = shortSignerParts(s);
    // Attribute values for people: broken between them, then between words.
    if (parts) return wrapList(parts, width);
  }
  const label = signerLabel(s.evidence.signer);
  if (s.evidence.signer.subject) return wrapDn(label, width);
  return wrapList(label.split(', '), width);
}

function counterText(s: SignatureResult): string {
  const e = s.evidence;
  return e.countersigner
    ? [e.countersigner.subject, shortTime(e.countersigner.time)].filter(Boolean).join(' @ ')
    : (shortTime(e.signingTime) ?? '-');
}

/** The countersigner's DN broken between RDNs, then `@ time`. */
function counterLines(s: SignatureResult, width: number): string[] {
  const c = s.evidence.countersigner;
  if (!c?.subject) return wrap(counterText(s), width);
  const lines = wrapDn(c.subject, width);
  const time = shortTime(c.time);
  if (!time) return lines;
  const last = lines[lines.length - 1]!;
  if (last.length + 3 + time.length <= width) lines[lines.length - 1] = `${last} @ ${time}`;
  else lines.push(...wrap(`@ ${time}`, width));
  return lines;
}

/** CN and O of a DN (what fits at 80 columns); other identities unchanged. */
function shortSigner(s: SignatureResult): string {
  return shortSignerParts(s)?.join(', ') ?? signerLabel(s.evidence.signer);
}

function shortSignerParts(s: SignatureResult): string[] | undefined {
  const label = signerLabel(s.evidence.signer);
  if (!s.evidence.signer.subject) return undefined;
  const rdn = (attr: string) => new RegExp(`(?:^|,)${attr}=((?:\\\\.|[^,])*)`).exec(label)?.[1];
  const parts = [rdn('CN'), rdn('O')].filter((p): p is string => Boolean(p));
  return parts.length ? parts : undefined;
}

/** Whole seconds are enough in a table; the JSON keeps the full value. */
function shortTime(iso: string | undefined): string | undefined {
  return iso?.replace(/\.000Z$/, 'Z');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const COUNT_COLOUR: Record<string, number> = {
  signed: 32,
  verified: 32,
  unsigned: 31,
  invalid: 31,
  unknown: 33,
  untrusted: 33,
  error: 33,
};

/** Paints non-zero counts (`3 invalid`) in their verdict's colour. */
function colourCounts(line: string, paint: (code: number, s: string) => string): string {
  return line.replace(
    /\b([1-9]\d*) (signed|verified|unsigned|invalid|unknown|untrusted|error)\b/g,
    (all, count: string, word: string) => `${paint(COUNT_COLOUR[word]!, count)} ${word}`,
  );
}
