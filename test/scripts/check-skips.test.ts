import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { unexpectedSkips } from '../../scripts/check-skips.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const ROOT = '/repo';
const results = (...tests: Array<[string, string, string]>) => ({
  testResults: [...new Set(tests.map(([f]) => f))].map((f) => ({
    name: `${ROOT}/${f}`,
    assertionResults: tests.filter(([x]) => x === f).map(([, fullName, status]) => ({ fullName, status })),
  })),
});

describe('check-skips', () => {
  const run = results(
    ['test/a.test.ts', 'a > runs', 'passed'],
    ['test/a.test.ts', 'a > needs in-toto-verify', 'skipped'],
    ['test/b.test.ts', 'b > later', 'todo'],
  );

  it('reports every skipped or todo test that the allow-list does not name', () => {
    expect(unexpectedSkips(run, [], ROOT)).toEqual({
      skipped: ['test/a.test.ts > a > needs in-toto-verify', 'test/b.test.ts > b > later'],
      unexpected: ['test/a.test.ts > a > needs in-toto-verify', 'test/b.test.ts > b > later'],
      stale: [],
    });
  });

  it('accepts listed skips (by name or "*" for a file) and reports entries that matched nothing', () => {
    const allowed = [
      { file: 'test/a.test.ts', test: 'a > needs in-toto-verify', reason: 'tool' },
      { file: 'test/b.test.ts', test: '*', reason: 'whole file' },
      { file: 'test/c.test.ts', test: '*', reason: 'gone' },
    ];
    const r = unexpectedSkips(run, allowed, ROOT);
    expect(r.unexpected).toEqual([]);
    expect(r.stale).toEqual([allowed[2]]);
  });

  it('refuses an entry without a reason', () => {
    expect(() => unexpectedSkips(run, [{ file: 'test/a.test.ts', test: '*', reason: ' ' }], ROOT)).toThrow(
      /without file, test or reason/,
    );
  });

  const dir = mkdtempSync(join(tmpdir(), 'sigscan-skips-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 1 from the command line on an unlisted skip, 0 when it is listed', () => {
    const cli = (allowed: object[]) => {
      const name = join(PROJECT_ROOT, 'test/a.test.ts');
      writeFileSync(
        join(dir, 'results.json'),
        JSON.stringify({
          testResults: [{ name, assertionResults: [{ fullName: 'a > x', status: 'skipped' }] }],
        }),
      );
      writeFileSync(join(dir, 'allow.json'), JSON.stringify(allowed));
      return spawnSync(
        process.execPath,
        ['--import', 'tsx', 'scripts/check-skips.ts', join(dir, 'results.json'), join(dir, 'allow.json')],
        { cwd: PROJECT_ROOT, encoding: 'utf8' },
      );
    };
    const bad = cli([]);
    expect([bad.status, bad.stderr]).toEqual([1, expect.stringContaining('test/a.test.ts > a > x')]);
    const ok = cli([{ file: 'test/a.test.ts', test: 'a > x', reason: 'tool missing here' }]);
    expect([ok.status, ok.stdout.trim()]).toEqual([0, '1 skipped test(s), all allow-listed']);
  });
});
