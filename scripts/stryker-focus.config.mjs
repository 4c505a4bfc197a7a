// @ts-check
// A focused mutation run: some files (or line ranges) against only the test files that cover them, so the
// initial run and each mutant rerun a handful of files instead of the whole Stryker test set. For
// measuring per-file scores on a busy machine (reports/mutation-log.md, "Per-file runs"):
//   STRYKER_FOCUS_MUTATE=src/trust/sigstore/run.ts STRYKER_FOCUS_TESTS=test/trust/sigstore/run.test.ts \
//     npx stryker run scripts/stryker-focus.config.mjs
// A focused score is a lower bound: tests outside the list may kill more.
import process from 'node:process';

import base from '../stryker.config.mjs';

const list = (name) =>
  (process.env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const mutate = list('STRYKER_FOCUS_MUTATE');
const testFiles = list('STRYKER_FOCUS_TESTS');
if (!mutate.length || !testFiles.length) {
  throw new Error('set STRYKER_FOCUS_MUTATE and STRYKER_FOCUS_TESTS (comma-separated)');
}
const tag = process.env.STRYKER_FOCUS_NAME ?? 'focus';

export default {
  ...base,
  mutate,
  testFiles,
  incrementalFile: `reports/mutation/${tag}.incremental.json`,
  jsonReporter: { fileName: `reports/mutation/${tag}.json` },
  htmlReporter: { fileName: `reports/mutation/${tag}.html` },
  reporters: ['json', 'clear-text', 'progress'],
};
