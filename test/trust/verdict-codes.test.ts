/**
 * Every code a verdict can carry has a test that makes an input yielding exactly that code (issue #18).
 *
 * The vocabulary is read from src/, so a new code cannot slip in untested: every UPPER_SNAKE string
 * literal in src/trust/ (verdict constructors, chain, timestamp, policy and TUF problem codes, which the
 * families pass on as verdict codes), plus the codes of `integrity` findings in src/detectors/ and
 * src/formats/ (the evaluator turns those into `invalid` verdicts with the same code).
 *
 * A code counts as produced when a test file (not this one, not a comment) names it as a string literal
 * and asserts with expect(): the tests here assert codes as `code: 'X'`, `toBe('X')` or in outcome tables.
 * This is a coarse gate, not a proof; the mutation report (reports/mutation.md) is the finer one, since
 * Stryker blanks each code literal and fails when no test notices.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../helpers/tools.js';

/** Literals in src/trust/ that look like codes but never reach a Verdict. */
const NOT_VERDICT_CODES: Record<string, string> = {
  SHA2_256: 'a protobuf HashAlgorithm name (sigstore bundles), not a code',
  SIGNING_TIME_VALID: 'a passed notation check: the verdict is SIGNATURE_VERIFIED / the failing check code',
  CERTS_VALID_NOW: 'a passed notation check: the verdict is SIGNATURE_VERIFIED / the failing check code',
  NOT_EXPIRED: 'a passed notation check: the verdict is SIGNATURE_VERIFIED / the failing check code',
  SIGSCAN_CACHE_DIR: 'an environment variable naming the TUF cache directory',
  XDG_CACHE_HOME: 'an environment variable naming the TUF cache directory',
};

/**
 * Codes with no producing test yet, each with what it takes. Empty since issue #18: a new code gets its
 * test with it. An entry whose code gains a test fails below, so this list can only shrink.
 */
const UNTESTED: Record<string, string> = {};

const CODE = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g;
const INTEGRITY_FINDING =
  /code:\s*'([A-Z][A-Z0-9_]+)'[^}]{0,200}?severity:\s*'integrity'|severity:\s*'integrity'[^}]{0,200}?code:\s*'([A-Z][A-Z0-9_]+)'/gs;
const THIS_FILE = relative(PROJECT_ROOT, import.meta.filename);

function files(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(PROJECT_ROOT, join(e.parentPath, e.name)))
    .sort();
}

/** Source text without comments, so a code named only in prose does not count. */
function code(path: string): string {
  return readFileSync(join(PROJECT_ROOT, path), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Code -> the src files it appears in. */
function verdictVocabulary(): Map<string, string[]> {
  const vocabulary = new Map<string, string[]>();
  const add = (c: string, f: string) => {
    if (NOT_VERDICT_CODES[c]) return;
    const at = vocabulary.get(c) ?? [];
    if (!at.includes(f)) at.push(f);
    vocabulary.set(c, at);
  };
  for (const f of files('src/trust')) for (const m of code(f).matchAll(CODE)) add(m[1]!, f);
  for (const f of [...files('src/detectors'), ...files('src/formats')]) {
    for (const m of code(f).matchAll(INTEGRITY_FINDING)) add((m[1] ?? m[2])!, f);
  }
  return vocabulary;
}

/** Code -> the test files that name it and assert. */
function producers(codes: Iterable<string>): Map<string, string[]> {
  const tests = files('test')
    .filter((f) => f !== THIS_FILE)
    .map((f) => ({ f, text: code(f) }))
    .filter(({ text }) => text.includes('expect('));
  const found = new Map<string, string[]>();
  for (const c of codes) {
    const literal = new RegExp(`['"\`]${c}['"\`]`);
    found.set(
      c,
      tests.filter(({ text }) => literal.test(text)).map(({ f }) => f),
    );
  }
  return found;
}

describe('verdict codes', () => {
  const vocabulary = verdictVocabulary();
  const tested = producers(vocabulary.keys());

  it('reads a vocabulary that holds the codes issue #18 names', () => {
    expect(vocabulary.size).toBeGreaterThanOrEqual(150);
    for (const c of ['CA_CONSTRAINT_VIOLATED', 'EKU_NOT_ALLOWED', 'CERT_NOT_YET_VALID', 'CHAIN_VALID']) {
      expect(vocabulary.get(c), c).toContain('src/trust/x509-chain.ts');
    }
    // An integrity finding from a detector: the evaluator makes it the verdict code.
    expect(vocabulary.get('NOT_PE_IMAGE_DATA')).toEqual(['src/detectors/authenticode.ts']);
  });

  it('every code has a test that produces it, or is listed as a known gap', () => {
    const missing = [...vocabulary.keys()].filter((c) => tested.get(c)!.length === 0 && !UNTESTED[c]).sort();
    expect(
      missing,
      'codes in src/ with no test (write one; listing it in UNTESTED is the last resort)',
    ).toEqual([]);
  });

  it('the gap list only shrinks: a listed code that gained a test, or left src/, is removed from it', () => {
    const stale = Object.keys(UNTESTED)
      .filter((c) => !vocabulary.has(c) || tested.get(c)!.length > 0)
      .sort();
    expect(stale).toEqual([]);
  });

  it('the exclusions are literals that exist in src/trust', () => {
    const all = files('src/trust').map(code).join('\n');
    for (const c of Object.keys(NOT_VERDICT_CODES)) expect(all, c).toContain(`'${c}'`);
  });
});
