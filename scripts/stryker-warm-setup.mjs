// @ts-check
// Vitest setup file of the `vitest-warm` Stryker runner (scripts/stryker-warm-runner.mjs), which copies it into
// the sandbox when it starts, as the stock runner does with its own. It imports only Node's own modules: a
// package imported here could resolve to another copy than the sandbox's.
//
// In a warm worker (pool `isolate: false`), the module graph of the previous test file (and of the previous
// mutant's run) is still evaluated. This drops it before the test file is imported, by the rule Vitest applies
// per file when `isolate` is on: every module but Vitest's own is invalidated, which keeps the transformed code
// and discards the evaluated module, so src, its module-level caches and the test helpers start from scratch.
// In an isolated worker (the initial run) it does nothing: the worker is new for every file.
//
// It also clears the active mutant before the test file's imports. Under runtime activation the stock setup
// file sets it in a beforeAll, after the imports, so in a new worker module-level code always evaluates with no
// mutant active. A warm worker still holds the id set by the previous file's beforeAll: for the first file of a
// mutant run that is the previous mutant's. Without the reset, a table built at import would be built with the
// previous mutant applied, and could fail (kill) the current one.

import { URL } from 'node:url';

/** Vitest's own modules, as Vitest's per-file reset leaves them (vitest 3.2, `resetModules`). */
const VITEST_OWN = [/\/vitest\/dist\//, /\/vite-node\/dist\//, /vitest-virtual-\w+\/dist/, /@vitest\/dist/];

/** @returns {number} the count of modules invalidated */
export function resetModuleGraph() {
  /** @type {any} */
  const state = Reflect.get(globalThis, '__vitest_worker__');
  if (!state || state.config?.poolOptions?.threads?.isolate !== false) return 0;
  clearStaleMutant(state);
  const self = decodeURIComponent(new URL(import.meta.url).pathname);
  let count = 0;
  for (const [id, mod] of state.moduleCache.entries()) {
    if (id === self || VITEST_OWN.some((re) => re.test(id))) continue;
    state.moduleCache.invalidateModule(mod);
    count++;
  }
  return count;
}

/**
 * Under runtime activation, no mutant is active until the stock setup file's beforeAll, as in a new worker.
 * Under static activation the stock setup file has just set the mutant, at its top level, and it stays.
 * @param {any} state the worker state (Vitest's `inject` reads `providedContext` from it)
 */
function clearStaleMutant(state) {
  const context = state.providedContext ?? {};
  if (context.mode !== 'mutant' || context.mutantActivation === 'static') return;
  const ns = Reflect.get(globalThis, String(context.globalNamespace ?? '__stryker__'));
  if (ns) ns.activeMutant = undefined;
}

resetModuleGraph();
