import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Instrumenter } from '@stryker-mutator/instrumenter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  MODULE_LEVEL_REASON,
  REPORT_TEXT_REASON,
  moduleLevelIgnorer,
  reportTextIgnorerFor,
  reportTextRanges,
} from '../../scripts/stryker-ignorers.mjs';

// One source file with each case the ignorers must tell apart: codes next to their messages, a function that
// branches on its "message", a module-level table beside a module-level arrow function.
const SOURCE = `
class CodedError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
export function invalid(code: string, message: string) {
  return { ok: false, code, message };
}
function classify(message: string): number {
  return message.startsWith('y') ? 1 : 2;
}
function label(what: string): string {
  return \`the \${what}\`;
}
const TABLE: Record<string, string> = { '1.2.3': 'sha256' };
export const pick = (oid: string) => TABLE[oid] ?? (oid === 'a' ? 'b' : 'c');
export function check(n: number) {
  if (n > 3) throw new CodedError('TOO_BIG', \`value \${n} is too big\`);
  if (n < 0) return invalid('NEGATIVE', 'below ' + 'zero');
  if (classify('x' + n) === 2) return label('input');
  const words = 'held in a variable';
  if (n === 2) return { code: 'TWO', message: words };
  return { code: 'OK', message: n > 1 ? \`fine \${n}\` : 'fine' };
}
`;

const silent = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  trace() {},
  fatal() {},
  isDebugEnabled: () => false,
  isTraceEnabled: () => false,
  isInfoEnabled: () => false,
  isWarnEnabled: () => false,
  isErrorEnabled: () => false,
  isFatalEnabled: () => false,
};

interface Found {
  original: string;
  mutator: string;
  replacement: string;
  reason: string | undefined;
}

describe('stryker ignorers', () => {
  let dir: string;
  let mutants: Found[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-ignorers-'));
    const file = join(dir, 'sample.ts');
    writeFileSync(file, SOURCE);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext' },
        files: ['sample.ts'],
      }),
    );
    const ranges = reportTextRanges([file], join(dir, 'tsconfig.json'));
    const instrumenter = new Instrumenter(silent);
    const result = await instrumenter.instrument([{ name: file, mutate: true, content: SOURCE }], {
      plugins: null,
      excludedMutations: [],
      ignorers: [moduleLevelIgnorer, reportTextIgnorerFor((f) => ranges.get(f))],
    });
    const lines = SOURCE.split('\n');
    mutants = result.mutants.map((m) => {
      const { start, end } = m.location;
      const original =
        start.line === end.line
          ? lines[start.line]!.slice(start.column, end.column)
          : `${lines[start.line]!.slice(start.column)}…`;
      return { original, mutator: m.mutatorName, replacement: m.replacement, reason: m.statusReason };
    });
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The one reason shared by every mutant of this kind on this code (`true` and `false` come in pairs). */
  const reasonOf = (original: string, mutator = 'StringLiteral') => {
    const found = mutants.filter((m) => m.original === original && m.mutator === mutator);
    expect(found.length, `${mutator} on ${original}`).toBeGreaterThan(0);
    const reasons = new Set(found.map((m) => m.reason));
    expect(reasons.size, `${mutator} on ${original}`).toBe(1);
    return found[0]!.reason;
  };

  it('ignores the words of messages, and only those', () => {
    expect(reasonOf('`value ${n} is too big`')).toBe(REPORT_TEXT_REASON);
    // Text built with `+` is text; so is each piece of it (ignored with the whole argument).
    expect(reasonOf("'below '")).toBe(REPORT_TEXT_REASON);
    expect(reasonOf("'zero'")).toBe(REPORT_TEXT_REASON);
    // A `message:` property whose value picks between two texts: the condition only picks words.
    expect(reasonOf('`fine ${n}`')).toBe(REPORT_TEXT_REASON);
    expect(reasonOf("'fine'")).toBe(REPORT_TEXT_REASON);
    expect(reasonOf('n > 1', 'ConditionalExpression')).toBe(REPORT_TEXT_REASON);
    expect(reasonOf("'input'")).toBe(REPORT_TEXT_REASON);
  });

  it('keeps the codes beside the messages, and text that is not a message', () => {
    expect(reasonOf("'TOO_BIG'")).toBeUndefined();
    expect(reasonOf("'NEGATIVE'")).toBeUndefined();
    expect(reasonOf("'OK'")).toBeUndefined();
    // A variable later used as a message: its value is computed elsewhere, so it is not ruled text here.
    expect(reasonOf("'held in a variable'")).toBeUndefined();
    // The body of a text helper still runs and is kept.
    expect(reasonOf('`the ${what}`')).toBeUndefined();
  });

  it('keeps an argument whose parameter the function branches on', () => {
    // classify(message) reads message.startsWith: the argument steers a condition, so it is not text.
    expect(reasonOf("'x'")).toBeUndefined();
    expect(reasonOf('n > 3', 'ConditionalExpression')).toBeUndefined();
  });

  it('ignores module-level tables, but not the functions defined at module level', () => {
    expect(reasonOf("'sha256'")).toBe(MODULE_LEVEL_REASON);
    expect(reasonOf("{ '1.2.3': 'sha256' }", 'ObjectLiteral')).toBe(MODULE_LEVEL_REASON);
    expect(reasonOf("oid === 'a'", 'ConditionalExpression')).toBeUndefined();
    expect(reasonOf("'b'")).toBeUndefined();
  });

  it('ignores nothing else', () => {
    const ignored = mutants.filter((m) => m.reason !== undefined).map((m) => `${m.mutator} ${m.original}`);
    expect(ignored.sort()).toEqual(
      [
        'ConditionalExpression n > 1',
        'ConditionalExpression n > 1',
        'EqualityOperator n > 1',
        'EqualityOperator n > 1',
        "ObjectLiteral { '1.2.3': 'sha256' }",
        "StringLiteral 'below '",
        "StringLiteral 'fine'",
        "StringLiteral 'input'",
        "StringLiteral 'sha256'",
        "StringLiteral 'zero'",
        'StringLiteral `fine ${n}`',
        'StringLiteral `value ${n} is too big`',
      ].sort(),
    );
  });
});
