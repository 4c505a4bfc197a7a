import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Hermetic: no test reads this machine's /etc/containers/policy.json unless it says so.
    env: { SIGSCAN_CONTAINERS_POLICY: '' },
    // The JSON copy lets .ci/run print a plain 'N passed, N failed' line.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-results.json' }]],
  },
});
