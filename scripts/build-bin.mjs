#!/usr/bin/env node
// Builds the single-file CLI: `dist/bin/sigscan.cjs` (one esbuild bundle of dist/, package.json and the
// report schema inside) and, from it, `dist/bin/sigscan`, a Node single executable application (the
// running node binary with the bundle injected by postject), for audit hosts without Node or npm.
// Run after `npm run build` (tsc); `npm run build:bin` does both.
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bin');
const bundle = join(out, 'sigscan.cjs');
const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const schema = readFileSync(join(root, 'schema', 'sigscan-report.schema.json'), 'utf8');

/** The two modules that read files next to the code: given their content instead. */
const embedded = {
  name: 'sigscan-embedded',
  setup(b) {
    const ours = (...parts) => join(root, 'dist', ...parts);
    b.onLoad({ filter: /[\\/]version\.js$/ }, (args) =>
      args.path !== ours('version.js')
        ? undefined
        : {
            contents: `export const TOOL_NAME = ${JSON.stringify(pjson.name)};\nexport const TOOL_VERSION = ${JSON.stringify(pjson.version)};\n`,
            loader: 'js',
          },
    );
    b.onLoad({ filter: /[\\/]schema\.js$/ }, (args) => {
      if (args.path !== ours('report', 'schema.js')) return undefined;
      const text = readFileSync(args.path, 'utf8')
        .replace(/export const REPORT_SCHEMA_URL = [^;]+;/, 'export const REPORT_SCHEMA_URL = undefined;')
        .replace(/readFileSync\(REPORT_SCHEMA_URL, 'utf8'\)/, JSON.stringify(schema));
      if (!text.includes(JSON.stringify(schema)))
        throw new Error('build-bin: schema.js changed; update the embedding');
      return { contents: text, loader: 'js' };
    });
  },
};

mkdirSync(out, { recursive: true });
await build({
  stdin: {
    contents: `import { main } from './dist/cli/main.js';
main(process.argv.slice(2), process.execPath, { pjson: ${JSON.stringify(pjson)} });`,
    resolveDir: root,
    sourcefile: 'sigscan-entry.js',
  },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: bundle,
  plugins: [embedded],
  legalComments: 'none',
  logLevel: 'warning',
  // In a single executable the module wrapper's require() loads built-ins only and warns on anything
  // else (an optional dependency probed in a try block); a disk-backed require keeps both quiet.
  banner: {
    js: "#!/usr/bin/env node\nvar require = require('node:module').createRequire(__filename);",
  },
  // oclif's module loader keeps a dynamic import() for plugins we never load.
  logOverride: { 'unsupported-dynamic-import': 'silent', 'empty-import-meta': 'silent' },
});
chmodSync(bundle, 0o755);
// A single executable cannot import() at run time (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING): a built-in
// imported dynamically in src/ must be a static import instead.
const dynamicBuiltins = readFileSync(bundle, 'utf8').match(/\bimport\("node:[^"]+"\)/g);
if (dynamicBuiltins)
  throw new Error(`build-bin: dynamic import of built-ins in the bundle: ${dynamicBuiltins.join(', ')}`);

if (process.argv.includes('--no-sea')) process.exit(0);
// Node's single executable application: a blob of the bundle injected into a copy of this node.
const seaConfig = join(out, 'sea-config.json');
const blob = join(out, 'sigscan.blob');
writeFileSync(
  seaConfig,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });
const exe = join(out, 'sigscan');
rmSync(exe, { force: true });
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules', 'postject', 'dist', 'cli.js'),
    exe,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'inherit' },
);
rmSync(blob);
rmSync(seaConfig);
console.log(`built ${bundle} and ${exe}`);
