/**
 * Text layout for the pretty report: column widths sized to content, and line wrapping that keeps names,
 * codes and DN components whole. Pure functions over strings, so the width logic is testable without a
 * terminal.
 */

/** A table column as the layout sees it. Widths count cli-table3's padding (one space each side). */
export interface ColumnSpec {
  /** The width at which every cell fits on one line. */
  natural: number;
  /** The narrowest useful width; a fixed column always gets its natural width. */
  min: number;
  fixed?: boolean;
  /** Share of the spare space relative to the other flexible columns. */
  weight?: number;
  /** Columns of a later tier grow only once every column of the earlier tiers has its natural width. */
  tier?: number;
}

/** cli-table3 pads each cell with one space on either side. */
export const PADDING = 2;

/**
 * Widths that fit `width` columns including the borders: fixed columns get their natural width, flexible
 * ones their minimum, then the spare space is shared out tier by tier, by weight within a tier (never past
 * a column's natural width, so a table with short content is narrower than the terminal rather than padded).
 */
export function sizeColumns(columns: readonly ColumnSpec[], width: number): number[] {
  const widths = columns.map((c) => (c.fixed ? c.natural : Math.min(c.min, c.natural)));
  let spare = width - (columns.length + 1) - widths.reduce((a, b) => a + b, 0);
  const growing = (i: number) => !columns[i]!.fixed && widths[i]! < columns[i]!.natural;
  while (spare > 0) {
    const tier = Math.min(...columns.map((c, i) => (growing(i) ? (c.tier ?? 0) : Infinity)));
    if (tier === Infinity) break;
    const open = columns.map((_, i) => i).filter((i) => growing(i) && (columns[i]!.tier ?? 0) === tier);
    const total = open.reduce((a, i) => a + (columns[i]!.weight ?? 1), 0);
    let given = 0;
    for (const i of open) {
      const share = Math.max(1, Math.floor((spare * (columns[i]!.weight ?? 1)) / total));
      const add = Math.min(share, columns[i]!.natural - widths[i]!, spare - given);
      widths[i]! += add;
      given += add;
    }
    spare -= given;
  }
  return widths;
}

/** Greedy word wrap to `width` characters; words longer than a line are cut. */
export function wrap(text: string, width: number): string[] {
  return packUnits(text.split(/ +/), width, ' ', 'cut');
}

/**
 * Packs units (each a word, an RDN with its comma, a list entry with its separator) into lines of at most
 * `width` characters, joining units on a line with `glue`. A unit wider than a line is broken: word-wrapped
 * (`words`) or cut at the width (`cut`).
 */
export function packUnits(
  units: readonly string[],
  width: number,
  glue: string,
  long: 'words' | 'cut',
): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  let current = '';
  for (const unit of units) {
    if (current && current.length + glue.length + unit.length <= w) {
      current += glue + unit;
      continue;
    }
    if (current) lines.push(current);
    const pieces =
      unit.length <= w ? [unit] : long === 'cut' ? cut(unit, w) : packUnits(unit.split(/ +/), w, ' ', 'cut');
    lines.push(...pieces.slice(0, -1));
    current = pieces[pieces.length - 1]!;
  }
  lines.push(current);
  return lines;
}

function cut(text: string, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += width) out.push(text.slice(i, i + width));
  return out;
}

/**
 * The RDNs of an RFC 4514 DN string, each but the last keeping its comma: `CN=A,O=B\, Inc.` gives
 * `CN=A,` and `O=B\, Inc.`. Escaped commas stay inside their RDN.
 */
export function dnUnits(dn: string): string[] {
  const rdns = dn.match(/(?:\\.|[^,\\])+/g) ?? [dn];
  return rdns.map((r, i) => (i < rdns.length - 1 ? `${r},` : r));
}

/** A DN wrapped between RDNs; an RDN wider than the column is cut. */
export function wrapDn(dn: string, width: number): string[] {
  return packUnits(dnUnits(dn), width, '', 'cut');
}

/** A `, `-separated list wrapped between entries; an entry wider than a line is word-wrapped. */
export function wrapList(entries: readonly string[], width: number, separator = ','): string[] {
  return packUnits(
    entries.map((e, i) => (i < entries.length - 1 ? `${e}${separator}` : e)),
    width,
    ' ',
    'words',
  );
}
