import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

import { defineConfig } from 'vitest/config';

// Stryker runs this from a sandbox at <project>/.stryker-tmp/sandbox-*/. The shared corpus sits beside the
// project, not beside the sandbox; and the sandbox has no .cache (Stryker cannot copy the symlinked cosign
// directory), so the project's cosign is linked in and the cosign tests run it instead of fetching it.
const here = process.cwd();
const sandboxed = basename(dirname(here)).startsWith('.stryker-tmp');
const project = sandboxed ? resolve(here, '..', '..') : here;
// The project's fixture cache (test/helpers/fixture-cache.ts) is linked in as well: without it every Stryker
// run rebuilt each day's tool-made fixtures in its initial run (minutes of keytool, jarsigner and openssl).
// Sharing it is safe: an entry is keyed by recipe and day, built aside and renamed into place, and built by
// test code, which Stryker never mutates.
if (sandboxed) {
  // vendor: the real signed EFI and PE files of scripts/fetch-vendor-files.sh; without them
  // test/trust/authenticode-vendor.test.ts skips, and it is the test that holds Authenticode to the
  // critical netscape-cert-type of Debian's Secure Boot CA.
  for (const name of ['cosign', 'test-fixtures', 'vendor']) {
    const outer = join(project, '.cache', name);
    const inner = join(here, '.cache', name);
    if (name === 'test-fixtures') mkdirSync(outer, { recursive: true });
    if (existsSync(outer) && !existsSync(inner)) {
      mkdirSync(dirname(inner), { recursive: true });
      symlinkSync(outer, inner);
    }
  }
}

/**
 * The tests Stryker runs against each mutant: the unit and corpus tests of the verification code. The
 * CLI, registry and scale tests run the built dist/ (never the mutated sources), and the fuzz tests draw
 * random inputs (a mutant they kill once might survive the next run), so they are left out here.
 *
 * SLOW files are left out too: their beforeAll drives jarsigner/keytool, in-toto-run or a JVM for tens
 * of seconds, and Stryker reruns a file's hooks for every mutant its tests cover (a minute a mutant on
 * 2 cores). The same checks are reached by the corpus and byte-surgery tests that stay in. STRYKER_SLOW=1
 * puts them back for a thorough (hours-long) run. Not the ZIP differential test: it is the one test that
 * holds the in-place ZIP header reader to yauzl field by field (without it that reader scored 33.73%, with
 * it 91.12%: reports/mutation-log.md), and it costs about 5 CPU-s a mutant, not a minute.
 * A file leaves this list once its tool runs are cached with their outputs (test/helpers/fixture-cache.ts),
 * the reference tool's verdict included: test/trust/families/jar.test.ts (80 s of hooks and jarsigner runs
 * per run before, 0.2 s after), test/detectors/jar.test.ts (57 s before, 0.13 s after),
 * test/trust/jar-weak-algorithms.test.ts (100 s before, 0.6 s after), test/trust/jar-timestamps.test.ts (38 s
 * before, 0.2 s after; the first full-scope run spent its last half hour on it: "The warm test runner").
 * test/trust/notation/truststore.test.ts needed nothing: its PKIs are cached by their helpers now (0.14 s).
 * test/trust/in-toto/in-toto-cli.test.ts (44 s of in-toto-keygen/-run/-sign/-verify before, 0.2 s after) and
 * test/trust/in-toto/in-toto-inspections.test.ts (69 s before, 0.4 s after): chains and in-toto-verify's
 * answers cached.
 */
const SLOW = [
  // Not cacheable as it stands: the signer certificates name the CRL URL of a server this file starts, on a
  // port chosen at run time, and the online case fetches from it.
  'test/trust/revocation/jar-revocation.test.ts',
];

/**
 * Test files that scan through the worker pool: the files are checked in worker threads that load src
 * through tsx, where Stryker's active mutant is never set (it is a global of the test's own thread), so
 * they cannot kill a mutant there; yet every mutant their main thread touches reruns them, seconds each and
 * a new thread per worker (seen in the slow tail of the full-scope run of 2026-12-05, 22:00: tsx workers in
 * the test runners; reports/mutation-log.md).
 * What they check is the pool (src/scan/pool.ts, outside the mutated scope); the checks their scans reach
 * are covered by the unit and corpus tests that stay.
 */
const WORKER_POOL = ['test/scan/pool.test.ts', 'test/scan/pool-estimate.test.ts'];
export default defineConfig({
  test: {
    include: [
      'test/trust/**/*.test.ts',
      'test/formats/**/*.test.ts',
      'test/detectors/**/*.test.ts',
      'test/report/model.test.ts',
      'test/model/**/*.test.ts',
      'test/scan/**/*.test.ts',
    ],
    // SIGSCAN_CONTAINERS_POLICY: hermetic, no test reads this machine's /etc/containers/policy.json.
    env: {
      SIGSCAN_CORPUS: process.env['SIGSCAN_CORPUS'] ?? join(project, '..', 'shared', 'corpus'),
      SIGSCAN_CONTAINERS_POLICY: '',
    },
    // STRYKER_EXCLUDE=test/a.test.ts,… leaves out test files that are red for reasons outside the code
    // being mutated: Stryker refuses to start on a failing initial run.
    exclude: [
      ...WORKER_POOL,
      ...(process.env['STRYKER_SLOW'] === '1' ? [] : SLOW),
      ...(process.env['STRYKER_EXCLUDE'] ?? '').split(',').filter(Boolean),
    ],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // STRYKER_VITEST_ISOLATE=0: the covering test files of one mutant share a worker and its module graph
    // (the runner starts a new worker for every mutant either way, so nothing carries to the next mutant).
    isolate: process.env['STRYKER_VITEST_ISOLATE'] !== '0',
  },
});
