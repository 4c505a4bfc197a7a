// @ts-check
/**
 * Stryker test runner `vitest-warm`: the stock `vitest` runner (@stryker-mutator/vitest-runner), except that
 * mutant runs reuse one warm Vitest worker instead of starting a new one for every mutant.
 *
 * Why: the stock runner calls Vitest once per mutant, and Vitest's threads pool starts a fresh worker thread
 * for every run (with `isolate: true` one per test file; with `isolate: false` it recycles the worker after the
 * run). A fresh thread is a fresh V8 isolate: it compiles and evaluates pkijs, asn1js, the instrumented src and
 * the test files again, 0.5-1.4 CPU-s per mutant against a few milliseconds of tests (reports/mutation-log.md,
 * "Where a tested mutant's CPU goes"). That restart, times ~10,000 tested mutants, is what kept the full scope
 * from running in 30 minutes on 2 cores.
 *
 * What stays the same as the stock runner, and why the results are the same:
 * - The initial (dry) run is the stock one, isolated: a new worker per test file, so per-test coverage is
 *   what the stock runner measures.
 * - In mutant runs, a setup file of ours (scripts/stryker-warm-setup.mjs) runs before each test file and
 *   invalidates the worker's whole module cache, by the rule Vitest applies per file when `isolate` is on
 *   (all but Vitest's own modules). So
 *   the instrumented src, its module-level caches (x509 and chain LRUs, parsed SignedData, trusted roots), the
 *   test helpers and the test file are evaluated again from scratch for every test file, as in a new worker.
 *   What stays warm is what a new worker would load identically: packages loaded through Node's own loader
 *   (pkijs, asn1js, sigstore, vitest; their instance is reused, as Node caches ES modules per thread),
 *   V8's compiled code, and Vite's transform results, which are the same bytes for every mutant (mutant
 *   schemata: the mutant is chosen at run time through `globalThis.__stryker__.activeMutant`, set by the
 *   stock runner's setup file before each test file).
 * - Process-wide state that a test changes and does not restore (environment variables, listeners, state
 *   inside a package) could leak into the next run in the same worker. The worker is therefore recycled every
 *   STRYKER_WARM_RUNS mutant runs (default 40), after a run that failed outside a test, and whenever Stryker
 *   restarts the runner (timeouts). Equality with the stock runner's results is measured, not assumed:
 *   reports/mutation-log.md, "The warm test runner".
 *
 * Selected by `testRunner: 'vitest-warm'` (stryker.config.mjs; STRYKER_RUNNER=stock selects `vitest`). The
 * stock runner's class is not exported from its package entry, so it is loaded from its file; the version is
 * pinned in package.json, and a mismatch fails at start-up rather than changing results silently.
 */
import { appendFile, copyFile, rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';

import { INSTRUMENTER_CONSTANTS } from '@stryker-mutator/api/core';
import { PluginKind, commonTokens, declareFactoryPlugin, tokens } from '@stryker-mutator/api/plugin';
import { MutantRunStatus } from '@stryker-mutator/api/test-runner';

const require = createRequire(import.meta.url);
const runnerPackage = dirname(require.resolve('@stryker-mutator/vitest-runner/package.json'));
const TESTED_RUNNER_VERSION = '9.6.1';
const runnerVersion = require('@stryker-mutator/vitest-runner/package.json').version;
if (runnerVersion !== TESTED_RUNNER_VERSION) {
  throw new Error(
    `vitest-warm was written against @stryker-mutator/vitest-runner ${TESTED_RUNNER_VERSION}, found ${runnerVersion}: ` +
      'check its VitestTestRunner (init, dryRun, mutantRun, run) and Vitest threads pool before changing the pin',
  );
}
// The Vitest internals this relies on (the threads pool recycling its worker after a non-isolated run, the
// worker's module cache in its worker state) are those of Vitest 3.2.
const vitestVersion = require('vitest/package.json').version;
if (!/^3\.2\./.test(vitestVersion)) {
  throw new Error(
    `vitest-warm was written against Vitest 3.2, found ${vitestVersion}: check the threads pool and worker state`,
  );
}
// The pool class Vitest itself imports (a dependency of vitest, not of this project).
const vitestRequire = createRequire(require.resolve('vitest/package.json'));
/** @type {{ Tinypool: any }} */
const { Tinypool } = await import(pathToFileURL(vitestRequire.resolve('tinypool')).href);
/** @type {{ VitestTestRunner: any }} */
const stock = await import(pathToFileURL(join(runnerPackage, 'dist/src/vitest-test-runner.js')).href);

const RUNS_PER_WORKER = Math.max(1, Number(process.env['STRYKER_WARM_RUNS'] ?? 40));

/**
 * Vitest's threads pool calls `recycleWorkers()` after every non-isolated run. While `keepWorker` is set the
 * call is skipped, so the next run finds the same thread. One runner per process (Stryker's child process),
 * so a module-level flag is enough.
 */
let keepWorker = false;
const recycleWorkers = Tinypool.prototype.recycleWorkers;
/** @param {unknown[]} args */
Tinypool.prototype.recycleWorkers = async function (...args) {
  if (keepWorker) return;
  return recycleWorkers.apply(this, args);
};

const SETUP = fileURLToPath(new URL('./stryker-warm-setup.mjs', import.meta.url));

/** @param {any} config */
function shareWorkers(config) {
  config.poolOptions ??= {};
  config.poolOptions.threads = { ...config.poolOptions.threads, isolate: false };
}

export class WarmVitestTestRunner extends stock.VitestTestRunner {
  runsInWorker = 0;
  setupFile = resolve(`./stryker-warm-setup-${process.env['STRYKER_MUTATOR_WORKER'] ?? 0}.mjs`);

  async init() {
    await super.init();
    await copyFile(SETUP, this.setupFile);
    // After the stock setup file, which sets the active mutant in a beforeAll of each test file.
    for (const project of this.ctx.projects) {
      const [strykerSetup, ...rest] = project.config.setupFiles;
      project.config.setupFiles = [strykerSetup, this.setupFile, ...rest];
    }
  }

  /** @param {any} options */
  async dryRun(options) {
    keepWorker = false;
    const result = await super.dryRun(options);
    // From here on: one worker for the mutant runs. The pool reads `isolate` when it is created, so the
    // dry run's isolated pool is closed and the next run creates a shared one.
    await this.ctx.pool?.close?.();
    this.ctx.pool = undefined;
    shareWorkers(this.ctx.config);
    for (const project of this.ctx.projects) shareWorkers(project.config);
    this.runsInWorker = 0;
    return result;
  }

  async dispose() {
    await super.dispose();
    await rm(this.setupFile, { force: true });
  }

  /** @param {any} options */
  async mutantRun(options) {
    this.runsInWorker++;
    keepWorker = this.runsInWorker < RUNS_PER_WORKER;
    const started = performance.now();
    const result = await super.mutantRun(options);
    if (process.env['STRYKER_WARM_LOG']) await logRun(process.env['STRYKER_WARM_LOG'], options, result, started);
    if (result.status !== MutantRunStatus.Error && !keepWorker) {
      this.runsInWorker = 0;
    } else if (result.status === MutantRunStatus.Error) {
      // Something failed outside a test: start the next mutant in a new worker.
      keepWorker = false;
      await this.ctx.pool?.close?.();
      this.ctx.pool = undefined;
      this.runsInWorker = 0;
    }
    return result;
  }
}

/**
 * STRYKER_WARM_LOG=<file>: one JSON line per mutant run (mutant, covering tests, status, wall time), written
 * as each run ends. Stryker writes its report only when the whole run ends; this shows where a long run's
 * time goes while it is still going (reports/mutation-log.md, "Where the full scope's time goes").
 * @param {string} file @param {any} options @param {any} result @param {number} started
 */
async function logRun(file, options, result, started) {
  const m = options.activeMutant;
  const line = {
    id: m.id,
    file: m.fileName,
    line: m.location.start.line + 1,
    mutator: m.mutatorName,
    tests: options.testFilter?.length ?? null,
    status: result.status,
    ms: Math.round(performance.now() - started),
    ran: result.nrOfTests ?? null,
    killedBy: result.killedBy ?? null,
  };
  await appendFile(file, `${JSON.stringify(line)}\n`);
}

/** @param {any} injector */
function createWarmRunner(injector) {
  return injector
    .provideValue('globalNamespace', INSTRUMENTER_CONSTANTS.NAMESPACE)
    .injectClass(WarmVitestTestRunner);
}
createWarmRunner.inject = tokens(commonTokens.injector);

export const strykerPlugins = [declareFactoryPlugin(PluginKind.TestRunner, 'vitest-warm', createWarmRunner)];
