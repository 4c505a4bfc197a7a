/**
 * Golden files: every format rendered from two saved reports (a captured `fs fixtures` scan and a hand-made
 * registry scan covering every verdict). UPDATE_GOLDEN=1 rewrites them; review the diff. Without it a
 * missing golden file fails: a test that writes its own expectation cannot fail. CI never sets it.
 *
 * `fs-fixtures.json` is sigscan's own output (a captured scan), so these tests only pin its rendering.
 * Its values are checked independently elsewhere: the four targets, their SHA-256 (against `sha256sum`) and
 * the signer and TSA DNs (against `jarsigner -verify` and `osslsigncode verify`) by
 * test/integration/fs-scan.test.ts "sigscan fs on the bundled fixtures", and a live scan equal to this file
 * (normalised, schema-valid) by test/report/live-formats.test.ts. `registry-sample*.json` are written by
 * hand, so their values are the independent expectation.
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
  if (update) writeFileSync(path, actual);
  else if (!existsSync(path))
    throw new Error(`golden file ${name} is missing (UPDATE_GOLDEN=1 writes it; review it)`);
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

describe('golden helper', () => {
  it.skipIf(update)('fails on a missing golden file instead of writing it', () => {
    const name = 'no-such-golden.out.txt';
    expect(() => golden(name, 'anything')).toThrow(/golden file no-such-golden\.out\.txt is missing/);
    expect(existsSync(join(GOLDEN, name))).toBe(false);
  });
});
