// @ts-check
/**
 * Stryker checker `typescript-incremental`: the stock `typescript` checker's verdicts (a mutant is a
 * compile error when the program with it applied has errors the unmutated program lacks) at a fraction of
 * its CPU, because unchanged source files stay parsed and bound between checks. Why a hand-written checker
 * and how it keeps the stock rule: `scripts/incremental-type-check.mjs`. Selected in stryker.config.mjs
 * (`STRYKER_CHECKER=stock` selects the stock one); reads the same `tsconfigFile` option.
 *
 * No `group()`: every mutant is checked alone (the stock checker's accurate mode). A check costs about
 * 0.05-0.2 CPU-s once a file's importers have their declaration shapes, so grouping would save little
 * and would need the stock checker's re-check-one-by-one rule for groups with errors.
 */
import { CheckStatus } from '@stryker-mutator/api/check';
import { PluginKind, commonTokens, declareClassPlugin, tokens } from '@stryker-mutator/api/plugin';

import { IncrementalTypeCheck, format } from './incremental-type-check.mjs';

export class IncrementalTypescriptChecker {
  static inject = tokens(commonTokens.logger, commonTokens.options);

  /**
   * @param {import('@stryker-mutator/api/logging').Logger} logger
   * @param {import('@stryker-mutator/api/core').StrykerOptions} options
   */
  constructor(logger, options) {
    this.logger = logger;
    this.tsconfigFile = String(options['tsconfigFile'] ?? 'tsconfig.json');
    /** @type {IncrementalTypeCheck | undefined} */
    this.typeCheck = undefined;
    this.checks = 0;
  }

  async init() {
    this.typeCheck = new IncrementalTypeCheck(this.tsconfigFile);
    const errors = this.typeCheck.init();
    if (errors.length) {
      // As the stock checker: a project that does not compile unmutated cannot tell a mutant's errors.
      throw new Error(`Typescript error(s) found in dry run compilation: ${format(errors)}`);
    }
  }

  /**
   * @param {import('@stryker-mutator/api/core').Mutant[]} mutants
   * @returns {Promise<Record<string, import('@stryker-mutator/api/check').CheckResult>>}
   */
  async check(mutants) {
    if (!this.typeCheck) throw new Error('typescript-incremental: check() before init()');
    /** @type {Record<string, import('@stryker-mutator/api/check').CheckResult>} */
    const result = {};
    for (const mutant of mutants) {
      result[mutant.id] = { status: CheckStatus.Passed };
      // A file outside the program (the stock checker's "unrelated files" group) passes unchecked.
      if (!this.typeCheck.hasFile(mutant.fileName)) continue;
      const errors = this.typeCheck.check([mutant]);
      this.checks++;
      if (errors.length) result[mutant.id] = { status: CheckStatus.CompileError, reason: format(errors) };
    }
    return result;
  }

  dispose() {
    const { user, system } = process.cpuUsage();
    this.logger.debug(`typescript-incremental: ${this.checks} checks, ${(user + system) / 1e6} CPU-s`);
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.Checker, 'typescript-incremental', IncrementalTypescriptChecker),
];
