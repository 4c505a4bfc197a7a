import { describe, expect, it } from 'vitest';

import { renderStatsTable } from '../../src/report/stats.js';

describe('renderStatsTable', () => {
  it('lists requests per kind with their statuses, then totals', () => {
    const text = renderStatsTable({
      requests: 7,
      byKind: { catalog: { '200': 1 }, manifest: { '200': 4, '404': 1 }, token: { '200': 1 } },
      retries: 2,
      bytes: 3 * 1024 * 1024,
      elapsedMs: 1234,
    });
    expect(text).toBe(
      [
        'Requests',
        '  catalog        1  (200 1)',
        '  manifest       5  (200 4, 404 1)',
        '  token          1  (200 1)',
        '  total          7',
        '  retries 2, 3.0 MiB received, 1.2 s',
        '',
      ].join('\n'),
    );
  });
});
