// @ts-check
import { join } from 'node:path';
import process from 'node:process';

/**
 * Mutation testing of the checks a verdict rests on (issue #18): `npm run mutate` for the full set,
 * `npm run mutate -- --mutate src/trust/x509-chain.ts` for one file. Incremental: a rerun only tests
 * mutants whose code or covering tests changed (state in reports/mutation/incremental.json).
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  // vitest-warm (scripts/stryker-warm-runner.mjs): the stock vitest runner with one warm worker for the mutant
  // runs instead of a new one per mutant (reports/mutation-log.md, "The warm test runner"). STRYKER_RUNNER=stock
  // selects the stock `vitest` runner.
  testRunner: process.env.STRYKER_RUNNER === 'stock' ? 'vitest' : 'vitest-warm',
  vitest: { configFile: 'vitest.stryker.config.ts' },
  // typescript-incremental (scripts/stryker-checker.mjs) gives the stock checker's verdicts but keeps the
  // parsed program between checks (about 0.1 CPU-s a mutant instead of 2.5; reports/mutation-log.md, branch
  // h6/mutchk). STRYKER_CHECKER=stock selects @stryker-mutator/typescript-checker.
  plugins: [
    '@stryker-mutator/*',
    join(import.meta.dirname, 'scripts/stryker-checker.mjs'),
    join(import.meta.dirname, 'scripts/stryker-warm-runner.mjs'),
    join(import.meta.dirname, 'scripts/stryker-ignorers.mjs'),
  ],
  // Mutants the run cannot judge (module-level code, whose coverage Stryker records at import) or that decide
  // nothing (the words of a message): reported as ignored, with the reason, not tested (scripts/stryker-ignorers.mjs).
  ignorers: ['module-level', 'report-text'],
  checkers: [process.env.STRYKER_CHECKER === 'stock' ? 'typescript' : 'typescript-incremental'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  mutate: [
    'src/trust/**/*.ts',
    'src/formats/cms.ts',
    'src/formats/der-reader.ts',
    'src/formats/x509.ts',
    // The certificate field reader x509.ts trusts before (or instead of) pkijs.
    'src/formats/x509-fields.ts',
    'src/formats/pe/**/*.ts',
    'src/formats/jar/**/*.ts',
    'src/formats/zip/**/*.ts',
    'src/formats/notation/**/*.ts',
    'src/formats/tuf/**/*.ts',
    'src/formats/dsse/**/*.ts',
    'src/formats/simple-signing/**/*.ts',
    // Verdict and target-status logic.
    'src/model/result.ts',
    'src/scan/report-model.ts',
    // Re-export barrels hold no logic.
    '!src/**/index.ts',
  ],
  // A static mutant (a module-level constant) needs every test rerun in a fresh process; they are counted
  // as ignored, and the tables they feed are checked through the functions that read them.
  ignoreStatic: true,
  // 2 cores shared with other work: one mutant at a time by default (STRYKER_CONCURRENCY overrides).
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 1),
  // Stryker's default. A mutant's time limit is twice its tests' time, plus this, plus the initial run's
  // overhead (1-2 minutes here: Stryker adds the whole initial run's import and collection time), so a
  // mutant that loops costs minutes either way; 30 s added half a minute more to each.
  timeoutMS: 5_000,
  // The initial run executes every related test once with coverage, single-threaded; on a busy 2-core
  // machine that can take longer than Stryker's 5-minute default.
  dryRunTimeoutMinutes: 30,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['html', 'json', 'clear-text', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  // .cache holds a symlink to a directory (cosign), which the sandbox copy cannot take; the vitest config
  // links it back into the sandbox. The rest are outputs, not inputs.
  ignorePatterns: ['/.cache', '/dist', '/coverage', '/reports/mutation', '/.stryker-tmp*'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
