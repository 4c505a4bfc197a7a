// Run A of reports/mutation-log.md: the checks issue #18 names, against the fast test files only.
import base from '../stryker.config.mjs';
export default {
  ...base,
  mutate: ['src/trust/x509-chain.ts:147-205', 'src/model/result.ts', 'src/scan/report-model.ts:51-60'],
  testFiles: [
    'test/trust/timestamp-chain.test.ts',
    'test/trust/notation/corpus.test.ts',
    'test/trust/evaluator.test.ts',
    'test/report/model.test.ts',
    'test/model/result.test.ts',
  ],
  incrementalFile: 'reports/mutation/run-a.incremental.json',
  jsonReporter: { fileName: 'reports/mutation/run-a.json' },
  htmlReporter: { fileName: 'reports/mutation/run-a.html' },
  concurrency: 2,
};
