#!/usr/bin/env node
// Builds `dist/bundle/`: the CLI as a few ESM chunks (esbuild, code splitting) instead of ~400 files of
// dist/ and node_modules. Start-up is mostly module loading (resolving, reading and compiling each file,
// oclif's CommonJS tree most of all); a bundle pays it for a handful of files, and the splitting keeps
// every dynamic import() lazy, so a file scan still loads no registry, openpgp or sigstore code.
// bin/run.js uses the bundle only when it is newer than dist/cli/main.js (a bare `tsc` leaves it stale).
// Run after `npm run build`'s tsc step; `npm run build` does both.
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bundle');
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/** version.js finds package.json beside dist/; from dist/bundle/ that path is wrong, so it is inlined. */
const inlineVersion = {
  name: 'sigscan-version',
  setup(b) {
    b.onLoad({ filter: /[\\/]version\.js$/ }, (args) =>
      args.path !== join(root, 'dist', 'version.js')
        ? undefined
        : {
            contents: `export const TOOL_NAME = ${JSON.stringify(pjson.name)};\nexport const TOOL_VERSION = ${JSON.stringify(pjson.version)};\n`,
            loader: 'js',
          },
    );
  },
};

rmSync(out, { recursive: true, force: true });
await build({
  // The fs worker pool (src/scan/pool.ts) starts `./worker.js` beside its own chunk: all chunks sit in
  // dist/bundle/, so the worker is a second entry point there, sharing the chunks with main.
  entryPoints: {
    main: join(root, 'dist', 'cli', 'main.js'),
    worker: join(root, 'dist', 'scan', 'worker.js'),
  },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outdir: out,
  // The bundled CommonJS (oclif) calls require() for built-ins; ESM output has none of its own.
  banner: {
    js: "import { createRequire as __sigscanRequire } from 'node:module';\nconst require = __sigscanRequire(import.meta.url);",
  },
  // Left to node_modules: typescript (10 MB), which oclif requires only to run .ts plugins, never here;
  // and the CommonJS packages src/ import() on demand, because esbuild gives a dynamically imported
  // CommonJS chunk only a default export where Node gives named ones too (`const { parse } = ...`).
  external: ['typescript', 'yaml', 'ajv', 'ajv/*'],
  plugins: [inlineVersion],
  legalComments: 'none',
  logLevel: 'warning',
  // oclif's plugin loader and ours keep a dynamic import() of a path known only at run time.
  logOverride: { 'unsupported-dynamic-import': 'silent' },
});
// report/schema.js reads ../../schema/ from its own URL: dist/bundle/ is as deep as dist/report/.
