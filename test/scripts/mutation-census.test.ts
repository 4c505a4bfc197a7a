import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { byGroup, census, scopeFiles, table, type CensusRow } from '../../scripts/mutation-census.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

// The Stryker config is plain JavaScript without a declaration file: read as what the census needs.
const CONFIG_FILE = join(import.meta.dirname, '..', '..', 'stryker.config.mjs');
const config = (
  (await import(pathToFileURL(CONFIG_FILE).href)) as { default: { mutate: string[]; ignorers: string[] } }
).default;

describe('mutation census', () => {
  it('selects the scope as Stryker does: globs in, barrels out', () => {
    const files = scopeFiles(config.mutate);
    expect(files).toContain('src/trust/x509-chain.ts');
    expect(files).toContain('src/formats/zip/reader.ts');
    expect(files).toContain('src/model/result.ts');
    expect(files.filter((f) => f.endsWith('/index.ts'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/report/'))).toEqual([]);
  });

  // The report-text ignorer type-checks the whole project, which blocks its process for 15 s on a quiet machine
  // and over a minute on a busy one: long enough for Vitest's worker RPC to time out. So the census runs in a
  // child process here.
  it(
    'counts each mutant once, under the ignorer stryker.config.mjs names',
    { timeout: 300_000 },
    async () => {
      const files = ['src/trust/cert-signature.ts', 'src/trust/x509-chain.ts', 'src/model/result.ts'];
      const { stdout } = await run(
        join(PROJECT_ROOT, 'node_modules', '.bin', 'tsx'),
        ['scripts/mutation-census.ts', '--json', ...files],
        { cwd: PROJECT_ROOT },
      );
      const rows = JSON.parse(stdout) as CensusRow[];
      const [cert, chain, result] = rows;
      // cert-signature.ts opens with its hash-by-signature-OID and curve-size tables: module-level; it words no
      // message. x509-chain.ts words the failure of each chain rule.
      expect(cert!.moduleLevel).toBeGreaterThanOrEqual(10);
      expect(cert!.reportText).toBe(0);
      expect(chain!.reportText).toBeGreaterThanOrEqual(7);
      expect(result).toEqual({
        name: 'src/model/result.ts',
        mutants: 12,
        moduleLevel: 0,
        reportText: 0,
        toTest: 12,
      });
      for (const r of rows) expect(r.moduleLevel + r.reportText + r.toTest).toBe(r.mutants);
      const groups = byGroup(rows);
      expect(groups.map((g) => g.name)).toEqual(['src/trust/', 'verdict and target status', 'all']);
      expect(groups.at(-1)!.mutants).toBe(cert!.mutants + chain!.mutants + 12);
      expect(table(groups).split('\n')).toHaveLength(5);
    },
  );

  it('refuses an ignorer it does not know', async () => {
    await expect(census(['src/model/result.ts'], ['no-such-ignorer'])).rejects.toThrow(/unknown ignorer/);
  });
});
