import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
  IncrementalTypeCheck,
  IncrementalTypeCheckError,
  type TextMutant,
} from '../../scripts/incremental-type-check.mjs';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A small strict NodeNext project, the shape of sigscan's tsconfig. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sigscan-tscheck-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        strict: true,
        declaration: true,
        noUnusedLocals: true,
        rootDir: 'src',
        outDir: 'dist',
      },
      include: ['src/**/*.ts'],
    }),
  );
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'src', name), text);
  return dir;
}

/** A mutant replacing the first occurrence of `find` in the file, located as Stryker locates it. */
function mutant(dir: string, file: string, find: string, replacement: string): TextMutant {
  const fileName = join(dir, 'src', file);
  const text = readFileSync(fileName, 'utf8');
  const at = text.indexOf(find);
  if (at < 0) throw new Error(`${find} not in ${file}`);
  const position = (offset: number) => {
    const lines = text.slice(0, offset).split('\n');
    return { line: lines.length - 1, column: lines[lines.length - 1]!.length };
  };
  return { fileName, location: { start: position(at), end: position(at + find.length) }, replacement };
}

const summary = (d: { file?: { fileName: string }; code: number }) =>
  `${d.file?.fileName.replace(/.*\/src\//, '') ?? '-'} TS${d.code}`;

describe('IncrementalTypeCheck', () => {
  const A = [
    'export function size(s: string) {',
    '  return s.length;',
    '}',
    'export const unit: number = 1;',
    '',
  ].join('\n');
  const B = "import { size } from './a.js';\nexport const n: number = size('x');\n";

  it('a mutant that breaks a type is an error, in the file or in an importer; one that does not is none', () => {
    const dir = project({ 'a.ts': A, 'b.ts': B });
    const check = new IncrementalTypeCheck(join(dir, 'tsconfig.json'));
    expect(check.init()).toEqual([]);

    // The mutated file's own types.
    expect(check.check([mutant(dir, 'a.ts', 'unit: number = 1', "unit: number = '1'")]).map(summary)).toEqual(
      ['a.ts TS2322'],
    );
    // Still valid TypeScript: no error, and the previous mutant is gone.
    expect(check.check([mutant(dir, 'a.ts', 's.length', 's.length + 1')])).toEqual([]);
    // size() now returns a string: a.ts compiles, its importer does not.
    const importer = check.check([mutant(dir, 'a.ts', 's.length', 's')]);
    expect(importer.map(summary)).toEqual(['b.ts TS2322']);
    expect(String(importer[0]!.messageText)).toBe("Type 'string' is not assignable to type 'number'.");
    // The stock checker's overrides: an unused local is not an error, though the tsconfig asks for it.
    expect(check.check([mutant(dir, 'a.ts', 'return s.length;', 'const t = 1; return s.length;')])).toEqual(
      [],
    );
    expect(check.check([mutant(dir, 'b.ts', "size('x')", 'size(1)')]).map(summary)).toEqual(['b.ts TS2345']);
  });

  it('an error the unmutated program already has is not blamed on a mutant', () => {
    const dir = project({ 'a.ts': A, 'c.ts': "export const bad: number = 'x';\nexport const ok = 2;\n" });
    const check = new IncrementalTypeCheck(join(dir, 'tsconfig.json'));
    expect(check.init().map(summary)).toEqual(['c.ts TS2322']);
    // The mutant moves the existing error (one line more above it) and adds none.
    expect(check.check([mutant(dir, 'c.ts', 'export const bad', 'const x = 0;\nexport const bad')])).toEqual(
      [],
    );
    expect(check.check([mutant(dir, 'c.ts', 'ok = 2', 'ok = 2')])).toEqual([]);
    // A second, identical error is new: errors are counted, not just named.
    const again = check.check([mutant(dir, 'c.ts', 'ok = 2', "ok: number = 'x'")]);
    expect(again.map(summary)).toEqual(['c.ts TS2322']);
    expect(again[0]!.start).toBe("export const bad: number = 'x';\nexport const ".length);
  });

  it('refuses a mutant outside the program and two mutants of one file, with typed errors', () => {
    const dir = project({ 'a.ts': A });
    const check = new IncrementalTypeCheck(join(dir, 'tsconfig.json'));
    check.init();
    expect(check.hasFile(join(dir, 'src', 'a.ts'))).toBe(true);
    expect(check.hasFile(join(dir, 'elsewhere.ts'))).toBe(false);
    const outside = { ...mutant(dir, 'a.ts', 'unit', 'unit'), fileName: join(dir, 'elsewhere.ts') };
    expect(() => check.check([outside])).toThrow(
      expect.objectContaining({ code: 'NOT_IN_PROGRAM' }) as IncrementalTypeCheckError,
    );
    const twice = [mutant(dir, 'a.ts', 'unit', 'u'), mutant(dir, 'a.ts', 's.length', 's')];
    expect(() => check.check(twice)).toThrow(expect.objectContaining({ code: 'SAME_FILE' }) as Error);
  });
});
