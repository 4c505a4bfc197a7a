import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { byGroup, census, scopeFiles, table } from '../../scripts/mutation-census.js';

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

  // The report-text ignorer type-checks the whole project once (15 s on a quiet 2-core machine; over 60 s was
  // seen with the full suite and three mutation runs beside it).
  it(
    'counts each mutant once, under the ignorer stryker.config.mjs names',
    { timeout: 300_000 },
    async () => {
      const rows = await census(
        ['src/trust/cert-signature.ts', 'src/trust/x509-chain.ts', 'src/model/result.ts'],
        config.ignorers,
      );
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
