// @ts-check
/**
 * Type checks a TypeScript project with some mutants applied, keeping every unchanged source file parsed
 * and bound between checks: the core of `scripts/stryker-checker.mjs` (issue #18).
 *
 * Why not `@stryker-mutator/typescript-checker`: its solution-builder host releases each program after the
 * build and has no source-file cache, so every check parses and binds the whole program again (731 files,
 * 7.3 MB with lib.dom.d.ts: about 2.5 CPU-s a mutant here, three quarters of a tested mutant's CPU; see
 * reports/mutation-log.md). No published checker keeps the parsed files. This one builds each program from the
 * previous one with a host that hands back the same SourceFile objects, and asks the same TypeScript
 * builder (`createEmitAndSemanticDiagnosticsBuilderProgram`) for the same diagnostics in the same order as
 * the stock checker's `emitFilesAndReportErrors`, so the builder decides which files a change can affect
 * (the changed file; its importers only while their declaration shape changes) exactly as it does there.
 */
import { resolve } from 'node:path';

import ts from 'typescript';

/**
 * The stock checker's tsconfig overrides (typescript-checker `tsconfig-helpers.js`, single-project mode):
 * code-quality options off, no emit. A mutant must be judged under the same options or the two disagree.
 */
const OVERRIDES = Object.freeze({
  allowUnreachableCode: true,
  noUnusedLocals: false,
  noUnusedParameters: false,
  noEmit: true,
  incremental: false,
  composite: false,
});

/** A version string for files as read from disk; each mutated text gets its own. */
const ORIGINAL = 'original';

/**
 * @typedef {{ line: number, column: number }} Position  zero-based, as Stryker's mutant locations
 * @typedef {{ fileName: string, location: { start: Position, end: Position }, replacement: string }} TextMutant
 */

export class IncrementalTypeCheckError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{ cause?: unknown }} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = 'IncrementalTypeCheckError';
    this.code = code;
  }
}

/** The tsconfig as the stock checker reads it, or a typed error. */
function readConfig(tsconfigFile) {
  /** @type {ts.Diagnostic[]} */
  const fatal = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfigFile,
    { ...OVERRIDES },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => fatal.push(d),
    },
  );
  if (!parsed || fatal.length) {
    throw new IncrementalTypeCheckError(
      'TSCONFIG_UNREADABLE',
      `cannot read ${tsconfigFile}: ${format(fatal)}`,
    );
  }
  if (parsed.projectReferences?.length) {
    // The stock checker switches to build mode (declaration emit per referenced project); not done here.
    throw new IncrementalTypeCheckError(
      'PROJECT_REFERENCES',
      `${tsconfigFile} uses project references, which this checker does not handle (STRYKER_CHECKER=stock)`,
    );
  }
  delete parsed.options.tsBuildInfoFile;
  delete parsed.options.declarationDir;
  return parsed;
}

/** Formats diagnostics the way the stock checker words a compile error's reason. */
export function format(diagnostics) {
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => '\n',
  });
}

/** A diagnostic's identity for comparing with the unmutated program: positions move with the mutant. */
function key(d) {
  return `${d.file?.fileName ?? ''}\0${d.code}\0${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
}

export class IncrementalTypeCheck {
  /** @param {string} tsconfigFile */
  constructor(tsconfigFile) {
    this.config = readConfig(tsconfigFile);
    /** @type {Map<string, ts.SourceFile | undefined>} the files as read from disk, parsed once */
    this.originals = new Map();
    /** @type {Map<string, string>} file name -> mutated text, for the program being built */
    this.mutatedText = new Map();
    /** @type {Map<string, number>} diagnostics of the unmutated program, counted by key */
    this.baseline = new Map();
    this.versions = 0;
    this.host = this.createHost();
    /** @type {ts.EmitAndSemanticDiagnosticsBuilderProgram | undefined} */
    this.builder = undefined;
    /** @type {ts.Program | undefined} kept apart: the builder drops its own to save memory */
    this.program = undefined;
  }

  createHost() {
    const host = ts.createCompilerHost(this.config.options);
    const readFile = host.readFile.bind(host);
    const getSourceFile = host.getSourceFile.bind(host);
    host.readFile = (fileName) => this.mutatedText.get(resolve(fileName)) ?? readFile(fileName);
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
      const name = resolve(fileName);
      if (this.mutatedText.has(name)) {
        const mutated = getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (mutated) mutated.version = `m${++this.versions}`;
        return mutated;
      }
      if (!this.originals.has(name)) {
        const original = getSourceFile(fileName, languageVersion, onError, shouldCreate);
        if (original) original.version = ORIGINAL;
        this.originals.set(name, original);
      }
      return this.originals.get(name);
    };
    // noEmit: nothing is written; declaration diagnostics need a writer all the same.
    host.writeFile = () => {};
    return host;
  }

  /**
   * Builds the unmutated program and returns its errors (the stock checker refuses to start on any).
   * @returns {readonly ts.Diagnostic[]}
   */
  init() {
    this.mutatedText.clear();
    const errors = this.build();
    this.baseline.clear();
    for (const d of errors) this.baseline.set(key(d), (this.baseline.get(key(d)) ?? 0) + 1);
    return errors;
  }

  /** Whether the file belongs to the program (a mutant elsewhere cannot break its types). */
  hasFile(fileName) {
    if (!this.program) throw new IncrementalTypeCheckError('NOT_INITIALIZED', 'init() first');
    return this.program.getSourceFile(resolve(fileName)) !== undefined;
  }

  /**
   * The errors of the program with these mutants applied that the unmutated program lacks (counted per
   * file, code and message: an error the original already has is not blamed on a mutant).
   * @param {readonly TextMutant[]} mutants
   * @returns {ts.Diagnostic[]}
   */
  check(mutants) {
    if (!this.program) throw new IncrementalTypeCheckError('NOT_INITIALIZED', 'init() first');
    this.mutatedText.clear();
    for (const m of mutants) {
      const name = resolve(m.fileName);
      const original = this.originals.get(name);
      if (!original)
        throw new IncrementalTypeCheckError('NOT_IN_PROGRAM', `${m.fileName} is not part of the program`);
      if (this.mutatedText.has(name)) {
        // The stock checker's ScriptFile applies a mutant to the original text, one per file and check.
        throw new IncrementalTypeCheckError('SAME_FILE', `two mutants of ${m.fileName} in one check`);
      }
      const text = original.text;
      const start = original.getPositionOfLineAndCharacter(m.location.start.line, m.location.start.column);
      const end = original.getPositionOfLineAndCharacter(m.location.end.line, m.location.end.column);
      this.mutatedText.set(name, `${text.slice(0, start)}${m.replacement}${text.slice(end)}`);
    }
    const errors = this.build();
    const left = new Map(this.baseline);
    return errors.filter((d) => {
      const n = left.get(key(d)) ?? 0;
      if (n > 0) left.set(key(d), n - 1);
      return n === 0;
    });
  }

  /**
   * One program from the previous one: unchanged files are the same objects, so only mutated (or
   * restored) files are parsed and bound again, and the builder re-checks only what they can affect.
   * The diagnostics and their order are those of TypeScript's `emitFilesAndReportErrors`, which the
   * solution builder under the stock checker runs.
   */
  build() {
    const { fileNames, options, projectReferences } = this.config;
    const configDiagnostics = ts.getConfigFileParsingDiagnostics(this.config);
    const program = ts.createProgram({
      rootNames: fileNames,
      options,
      host: this.host,
      oldProgram: this.program,
      configFileParsingDiagnostics: configDiagnostics,
      projectReferences,
    });
    const builder = ts.createEmitAndSemanticDiagnosticsBuilderProgram(
      program,
      this.host,
      this.builder,
      configDiagnostics,
    );
    /** @type {ts.Diagnostic[]} */
    const all = [...builder.getConfigFileParsingDiagnostics()];
    const configCount = all.length;
    all.push(...builder.getSyntacticDiagnostics());
    if (all.length === configCount) {
      all.push(...builder.getOptionsDiagnostics());
      all.push(...builder.getGlobalDiagnostics());
      if (all.length === configCount) all.push(...builder.getSemanticDiagnostics());
      if (options.noEmit && (options.declaration || options.composite) && all.length === configCount) {
        all.push(...builder.getDeclarationDiagnostics());
      }
    }
    all.push(...builder.emit(undefined, () => {}).diagnostics);
    this.program = program;
    this.builder = builder;
    return [...ts.sortAndDeduplicateDiagnostics(all)];
  }
}
