/**
 * Golden files: every format rendered from two saved reports (a captured `fs fixtures` scan and a hand-made
 * registry scan covering every verdict). UPDATE_GOLDEN=1 rewrites them; review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { render } from '../../src/report/index.js';
import { OUTPUT_FORMATS, FORMAT_EXTENSIONS } from '../../src/report/formats.js';
import { parseReport } from '../../src/report/load.js';
import { renderDiff, diffReports } from '../../src/report/diff.js';
import { GOLDEN } from './helpers.js';

const INPUTS = ['fs-fixtures', 'registry-sample'];
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (update || !existsSync(path)) writeFileSync(path, actual);
  expect(actual, `golden ${name} (UPDATE_GOLDEN=1 to accept)`).toBe(readFileSync(path, 'utf8'));
}

describe.each(INPUTS)('golden outputs of %s', (input) => {
  const load = async () => parseReport(readFileSync(join(GOLDEN, `${input}.json`), 'utf8'), input);

  it.each(OUTPUT_FORMATS.filter((f) => f !== 'pretty'))('%s', async (format) => {
    const report = await load();
    golden(`${input}.out.${FORMAT_EXTENSIONS[format]}`, render(report, format, { cwd: '/nonexistent' }));
  });

  it.each([80, 160])('pretty at %i columns', async (width) => {
    const report = await load();
    golden(`${input}.out.${width}.txt`, render(report, 'pretty', { width, color: false }));
  });
});

describe('golden diff', () => {
  it.each(['pretty', 'json', 'sarif'] as const)('%s', async (format) => {
    const before = await parseReport(readFileSync(join(GOLDEN, 'registry-sample.json'), 'utf8'));
    const after = await parseReport(readFileSync(join(GOLDEN, 'registry-sample-later.json'), 'utf8'));
    golden(
      `registry-diff.out.${format === 'pretty' ? 'txt' : format}`,
      renderDiff(diffReports(before, after), format),
    );
  });
});
