/**
 * A parser for the plain `sigscan fs` command lines, for the fast path (fast-path.ts): it reads the
 * flags from plain data (commands/fs-manifest.ts) instead of oclif's flag objects, so that a scan loads
 * no oclif module at all. It gives what oclif's parser gives, or undefined for anything it is not sure
 * of (an error, a value to validate differently, a form it does not read), which oclif then parses and
 * reports itself. test/cli/fs-argv.test.ts compares the two on generated command lines.
 */

/** What the fast path needs to know of an fs flag (scripts/fs-manifest.ts writes them). */
export interface FlagSpec {
  type: 'boolean' | 'option';
  char?: string;
  multiple?: boolean;
  /** Multiple values in one occurrence, split on this (oclif's `delimiter`). */
  delimiter?: string;
  options?: readonly string[];
  default?: string | number | boolean | readonly string[];
  allowNo?: boolean;
  /** An oclif Flags.integer, with its bounds. */
  integer?: { min?: number; max?: number };
}

export interface FsArgv {
  argv: string[];
  flags: Record<string, unknown>;
}

export function parseFsArgv(
  args: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
): FsArgv | undefined {
  const byChar = new Map(Object.entries(specs).flatMap(([n, s]) => (s.char ? [[s.char, n] as const] : [])));
  const positional: string[] = [];
  const tokens = new Map<string, string[]>();
  const booleans = new Map<string, boolean>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-' || !a.startsWith('-')) {
      positional.push(a);
      continue;
    }
    let name: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) value = a.slice(eq + 1);
      if (!Object.hasOwn(specs, name)) {
        const negated = name.startsWith('no-') ? name.slice(3) : undefined;
        // `--no-x` for a boolean that allows it; anything else unknown is oclif's to report.
        if (negated === undefined || value !== undefined || !specs[negated]?.allowNo) return undefined;
        if (booleans.has(negated)) return undefined;
        booleans.set(negated, false);
        continue;
      }
    } else {
      // Only `-c` alone: oclif also reads `-cvalue`, `-c=value` and `-vc`, which are left to it.
      if (a.length !== 2) return undefined;
      name = byChar.get(a[1]!);
      if (name === undefined) return undefined;
    }
    const spec = specs[name]!;
    if (spec.type === 'boolean') {
      if (value !== undefined || booleans.has(name)) return undefined;
      booleans.set(name, true);
      continue;
    }
    if (value === undefined) value = args[++i];
    // A missing value, or one that looks like a flag, is oclif's to judge.
    if (value === undefined || value === '' || value.startsWith('-')) return undefined;
    const seen = tokens.get(name) ?? [];
    if (seen.length > 0 && !spec.multiple) return undefined;
    tokens.set(name, [...seen, value]);
  }
  if (positional.length === 0) return undefined;
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = tokens.get(name);
    if (spec.type === 'boolean') {
      const v = booleans.get(name) ?? spec.default;
      if (v !== undefined) flags[name] = v;
      continue;
    }
    if (!given) {
      if (spec.default !== undefined) flags[name] = spec.default;
      continue;
    }
    const values = spec.delimiter ? given.flatMap((g) => splitList(g, spec.delimiter!)) : given;
    if (values === undefined || values.some((v) => v === undefined)) return undefined;
    const parsed: Array<string | number> = [];
    for (const v of values as string[]) {
      if (spec.options && !spec.options.includes(v)) return undefined;
      const p = spec.integer ? integer(v, spec.integer) : v;
      if (p === undefined) return undefined;
      parsed.push(p);
    }
    flags[name] = spec.multiple ? parsed : parsed[0];
  }
  // oclif orders the directories by where each first appears on the command line (so `a b a` is `a a b`).
  const argv = positional.sort((x, y) => args.indexOf(x) - args.indexOf(y));
  return { argv, flags };
}

/**
 * oclif's split of `--x a,b`: on each delimiter, each piece trimmed. Quotes and backslashes (which oclif
 * strips and unescapes) give undefined: oclif's to read.
 */
function splitList(text: string, delimiter: string): Array<string | undefined> {
  if (/["'\\]/.test(text)) return [undefined];
  return text.split(delimiter).map((v) => v.trim());
}

/** oclif's Flags.integer, for values it accepts; undefined where it would fail. */
function integer(text: string, bounds: { min?: number; max?: number }): number | undefined {
  if (!/^\d{1,9}$/.test(text)) return undefined;
  const n = Number.parseInt(text, 10);
  if (bounds.min !== undefined && n < bounds.min) return undefined;
  if (bounds.max !== undefined && n > bounds.max) return undefined;
  return n;
}
