import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

import { defineConfig } from 'vitest/config';

// Stryker runs this from a sandbox at <project>/.stryker-tmp/sandbox-*/. The shared corpus sits beside the
// project, not beside the sandbox; and the sandbox has no .cache (Stryker cannot copy the symlinked cosign
// directory), so the project's cosign is linked in and the cosign tests run it instead of fetching it.
const here = process.cwd();
const sandboxed = basename(dirname(here)) === '.stryker-tmp';
const project = sandboxed ? resolve(here, '..', '..') : here;
if (sandboxed) {
  const outer = join(project, '.cache', 'cosign');
  const inner = join(here, '.cache', 'cosign');
  if (existsSync(outer) && !existsSync(inner)) {
    mkdirSync(dirname(inner), { recursive: true });
    symlinkSync(outer, inner);
  }
}

/**
 * The tests Stryker runs against each mutant: the unit and corpus tests of the verification code. The
 * CLI, registry and scale tests run the built dist/ (never the mutated sources), and the fuzz tests draw
 * random inputs (a mutant they kill once might survive the next run), so they are left out here.
 */
export default defineConfig({
  test: {
    include: [
      'test/trust/**/*.test.ts',
      'test/formats/**/*.test.ts',
      'test/detectors/**/*.test.ts',
      'test/report/model.test.ts',
      'test/scan/**/*.test.ts',
    ],
    env: { SIGSCAN_CORPUS: process.env['SIGSCAN_CORPUS'] ?? join(project, '..', 'shared', 'corpus') },
    // STRYKER_EXCLUDE=test/a.test.ts,… leaves out test files that are red for reasons outside the code
    // being mutated: Stryker refuses to start on a failing initial run.
    exclude: (process.env['STRYKER_EXCLUDE'] ?? '').split(',').filter(Boolean),
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
