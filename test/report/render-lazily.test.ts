import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { render } from '../../src/report/index.js';
import { OUTPUT_FORMATS, FORMAT_EXTENSIONS } from '../../src/report/formats.js';
import { parseReport } from '../../src/report/load.js';
import { renderLazily } from '../../src/report/render.js';
import { GOLDEN } from './helpers.js';

// The CLI writes reports through renderLazily (one renderer loaded); the golden files check render().
describe.each(['fs-fixtures', 'registry-sample'])('renderLazily on %s', (input) => {
  it.each(OUTPUT_FORMATS)('%s: the text render() gives, which is the golden file', async (format) => {
    const report = await parseReport(readFileSync(join(GOLDEN, `${input}.json`), 'utf8'), input);
    const opts = { cwd: '/nonexistent', width: 80, color: false };
    const text = await renderLazily(report, format, opts);
    expect(text).toBe(render(report, format, opts));
    const golden = format === 'pretty' ? `${input}.out.80.txt` : `${input}.out.${FORMAT_EXTENSIONS[format]}`;
    expect(text).toBe(readFileSync(join(GOLDEN, golden), 'utf8'));
  });
});
