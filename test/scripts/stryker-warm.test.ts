import { describe, expect, it } from 'vitest';

import { compareReports } from '../../scripts/mutation-compare.js';
// @ts-expect-error plain ES module without declarations (a Vitest setup file)
import { resetModuleGraph } from '../../scripts/stryker-warm-setup.mjs';

const WORKER_STATE = '__vitest_worker__';

/** Runs resetModuleGraph against a stand-in worker state, then puts Vitest's own back. */
function resetWith(
  isolate: boolean | undefined,
  ids: string[],
  providedContext: Record<string, unknown> = {},
): { count: number; invalidated: string[] } {
  const invalidated: string[] = [];
  const entries = new Map(ids.map((id) => [id, { id }]));
  const fake = {
    providedContext,
    config: { poolOptions: { threads: isolate === undefined ? {} : { isolate } } },
    moduleCache: {
      entries: () => entries.entries(),
      invalidateModule: (mod: { id: string }) => invalidated.push(mod.id),
    },
  };
  const real = Object.getOwnPropertyDescriptor(globalThis, WORKER_STATE)!;
  Object.defineProperty(globalThis, WORKER_STATE, { value: fake, configurable: true, writable: true });
  try {
    return { count: resetModuleGraph() as number, invalidated };
  } finally {
    Object.defineProperty(globalThis, WORKER_STATE, real);
  }
}

describe('vitest-warm setup file', () => {
  const self = new URL('../../scripts/stryker-warm-setup.mjs', import.meta.url).pathname;
  const ids = [
    '/sandbox/src/trust/x509-chain.ts',
    '/sandbox/test/helpers/openssl-cert.ts',
    '/sandbox/node_modules/pkijs/build/index.es.js',
    '/sandbox/node_modules/vitest/dist/index.js',
    '/sandbox/node_modules/vite-node/dist/client.mjs',
    'mock:/sandbox/src/a.ts',
    self,
  ];

  it('in a shared worker, invalidates every module but Vitest’s own and itself', () => {
    const { count, invalidated } = resetWith(false, ids);
    expect(invalidated).toEqual([
      '/sandbox/src/trust/x509-chain.ts',
      '/sandbox/test/helpers/openssl-cert.ts',
      '/sandbox/node_modules/pkijs/build/index.es.js',
      'mock:/sandbox/src/a.ts',
    ]);
    expect(count).toBe(4);
  });

  it('clears the previous mutant before the imports under runtime activation, as a new worker has none', () => {
    const ns = '__stryker_warm_test__';
    const activeAfter = (isolate: boolean, context: Record<string, unknown>) => {
      Reflect.set(globalThis, ns, { activeMutant: '7' });
      try {
        resetWith(isolate, ids, { globalNamespace: ns, ...context });
        return (Reflect.get(globalThis, ns) as { activeMutant?: string }).activeMutant;
      } finally {
        Reflect.deleteProperty(globalThis, ns);
      }
    };
    expect(activeAfter(false, { mode: 'mutant', mutantActivation: 'runtime' })).toBeUndefined();
    // Static activation: the stock setup file has just set this run's mutant; it must stay.
    expect(activeAfter(false, { mode: 'mutant', mutantActivation: 'static' })).toBe('7');
    expect(activeAfter(false, { mode: 'dry-run' })).toBe('7');
    // An isolated worker is new for every file: nothing to clear.
    expect(activeAfter(true, { mode: 'mutant', mutantActivation: 'runtime' })).toBe('7');
  });

  it('in an isolated worker (the initial run, or isolate unset) leaves the cache alone', () => {
    expect(resetWith(true, ids).invalidated).toEqual([]);
    expect(resetWith(undefined, ids).invalidated).toEqual([]);
  });
});

describe('mutation-compare', () => {
  const mutant = (line: number, status: string, replacement = 'false') => ({
    mutatorName: 'ConditionalExpression',
    replacement,
    status,
    location: { start: { line, column: 5 }, end: { line, column: 20 } },
  });
  const report = (mutants: ReturnType<typeof mutant>[]) => ({ files: { 'src/a.ts': { mutants } } });

  it('counts equal mutants and lists each status that differs, by location, mutator and replacement', () => {
    const a = report([mutant(1, 'Killed'), mutant(2, 'Survived'), mutant(2, 'Killed', 'true')]);
    const b = report([mutant(1, 'Killed'), mutant(2, 'Killed'), mutant(2, 'Killed', 'true')]);
    expect(compareReports(a, a)).toEqual({ same: 3, differences: [] });
    expect(compareReports(a, b)).toEqual({
      same: 2,
      differences: ['src/a.ts:2:5-2:20 ConditionalExpression "false": Survived vs Killed'],
    });
  });

  it('a mutant or a file in one report only is a difference', () => {
    const a = report([mutant(1, 'Killed'), mutant(3, 'NoCoverage')]);
    const b = {
      files: { ...report([mutant(1, 'Killed')]).files, 'src/b.ts': { mutants: [mutant(9, 'Killed')] } },
    };
    expect(compareReports(a, b).differences).toEqual([
      'src/a.ts:3:5-3:20 ConditionalExpression "false": NoCoverage vs (absent)',
      'src/b.ts:9:5-9:20 ConditionalExpression "false": (absent) vs Killed',
    ]);
  });
});
