#!/usr/bin/env node
import { statSync } from 'node:fs';
import module from 'node:module';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

/**
 * V8's code cache for every module loaded after this (Node 22.8+, `module.enableCompileCache`; Node 20 has
 * no code cache for ES modules): compiling the bundle's chunks is the largest part of start-up. In
 * `$SIGSCAN_CACHE_DIR/compile`, else `$XDG_CACHE_HOME/sigscan/compile`, else `~/.cache/sigscan/compile`,
 * as the TUF cache; never beside the files scanned. Node reports a cache it cannot write in the returned
 * status, not by throwing, and NODE_DISABLE_COMPILE_CACHE=1 turns it off; a scan never depends on it.
 */
function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function') return;
  try {
    const env = process.env;
    const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : undefined;
    const dir = env.SIGSCAN_CACHE_DIR
      ? join(env.SIGSCAN_CACHE_DIR, 'compile')
      : join(xdg ?? join(homedir(), '.cache'), 'sigscan', 'compile');
    module.enableCompileCache(dir);
  } catch {
    // No cache: the run is as it would be on Node 20.
  }
}

/**
 * dist/bundle (scripts/bundle-cli.mjs, part of `npm run build`) starts in a third less time than the ~400
 * files of dist/ and node_modules it is built from; it is used only while newer than dist/cli/main.js,
 * so a bare `tsc` that rebuilt dist/ never runs stale code. SIGSCAN_NO_BUNDLE=1 runs dist/ directly.
 */
function bundled() {
  if (process.env.SIGSCAN_NO_BUNDLE === '1') return false;
  try {
    const bundle = statSync(new URL('../dist/bundle/main.js', import.meta.url)).mtimeMs;
    return bundle >= statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
}

enableCompileCache();
const { main } = bundled() ? await import('../dist/bundle/main.js') : await import('../dist/cli/main.js');

await main(process.argv.slice(2), fileURLToPath(import.meta.url));
