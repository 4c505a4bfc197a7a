#!/usr/bin/env node
import { statSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';

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

const { main } = bundled() ? await import('../dist/bundle/main.js') : await import('../dist/cli/main.js');

await main(process.argv.slice(2), fileURLToPath(import.meta.url));
