// Types of incremental-type-check.mjs for the TypeScript tests that import it.
import type ts from 'typescript';

export interface Position {
  /** zero-based, as Stryker's mutant locations */
  line: number;
  column: number;
}
export interface TextMutant {
  fileName: string;
  location: { start: Position; end: Position };
  replacement: string;
}
export declare class IncrementalTypeCheckError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown });
}
export declare function format(diagnostics: readonly ts.Diagnostic[]): string;
export declare class IncrementalTypeCheck {
  constructor(tsconfigFile: string);
  init(): readonly ts.Diagnostic[];
  hasFile(fileName: string): boolean;
  check(mutants: readonly TextMutant[]): ts.Diagnostic[];
}
