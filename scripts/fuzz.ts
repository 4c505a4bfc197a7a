/**
 * Fuzz campaign: runs the properties of test/fuzz with a large budget and prints per-parser figures.
 *
 *   npm run fuzz -- [--runs N] [--seed S] [--item-ms MS] [--only PATTERN]
 *
 * --runs     inputs per parser (default 100000)
 * --seed     fast-check seed (default: a fresh one, printed so a run can be replayed)
 * --item-ms  time bound for one input before it counts as a hang (default 2000)
 * --only     restrict to test files whose name contains PATTERN (e.g. pe, jar, notation)
 *
 * Crashes do not stop a parser's run (SIGSCAN_FUZZ_COLLECT=1): they are counted and the first few
 * are printed with their input. Exit code 1 when any crash or hang was found.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Stat {
  parser: string;
  file: string;
  inputs: number;
  crashes: number;
  hangs: number;
  maxItemMs: number;
  peakRssMb: number;
  samples: string[];
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return undefined;
  const v = process.argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
  return v;
}

const runs = Number(arg('runs') ?? 100_000);
const seed = Number(arg('seed') ?? Math.floor(Math.random() * 2 ** 31));
const itemMs = Number(arg('item-ms') ?? 2000);
const only = arg('only');
for (const [name, v] of [
  ['runs', runs],
  ['seed', seed],
  ['item-ms', itemMs],
] as const) {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
}

const statsDir = mkdtempSync(join(tmpdir(), 'sigscan-fuzz-'));
const started = Date.now();
console.log(`fuzz: ${runs} inputs per parser, seed ${seed}, ${itemMs} ms per input`);

const vitest = join('node_modules', '.bin', 'vitest');
const args = [
  'run',
  only ? `test/fuzz/${only}` : 'test/fuzz',
  '--reporter=dot',
  '--outputFile.json=/dev/null',
];
const result = spawnSync(vitest, args, {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    SIGSCAN_FUZZ_RUNS: String(runs),
    SIGSCAN_FUZZ_SEED: String(seed),
    SIGSCAN_FUZZ_ITEM_MS: String(itemMs),
    SIGSCAN_FUZZ_COLLECT: '1',
    SIGSCAN_FUZZ_STATS: statsDir,
  },
});

const statsFile = join(statsDir, 'stats.ndjson');
const stats: Stat[] = existsSync(statsFile)
  ? readFileSync(statsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Stat)
      .filter((s) => s.parser !== 'self')
  : [];
rmSync(statsDir, { recursive: true, force: true });

const pad = (s: string | number, n: number, right = false): string =>
  right ? String(s).padStart(n) : String(s).padEnd(n);
console.log('');
console.log(
  `${pad('parser', 28)}${pad('file', 16)}${pad('inputs', 9, true)}${pad('crashes', 9, true)}` +
    `${pad('hangs', 7, true)}${pad('max ms', 9, true)}${pad('peak RSS MB', 13, true)}`,
);
let crashes = 0;
let hangs = 0;
for (const s of stats.sort((a, b) => a.file.localeCompare(b.file) || a.parser.localeCompare(b.parser))) {
  crashes += s.crashes;
  hangs += s.hangs;
  console.log(
    `${pad(s.parser, 28)}${pad(s.file, 16)}${pad(s.inputs, 9, true)}${pad(s.crashes, 9, true)}` +
      `${pad(s.hangs, 7, true)}${pad(s.maxItemMs.toFixed(0), 9, true)}${pad(s.peakRssMb.toFixed(0), 13, true)}`,
  );
}
const total = stats.reduce((n, s) => n + s.inputs, 0);
console.log(
  `\n${stats.length} parsers, ${total} inputs, ${crashes} crashes, ${hangs} hangs in ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s (seed ${seed}; peak RSS is per test-file process)`,
);
for (const s of stats) for (const sample of s.samples) console.log(`\n--- ${sample}`);

if (result.status !== 0) console.error(`\nvitest exited with ${result.status ?? result.signal}`);
process.exit(crashes + hangs > 0 || result.status !== 0 ? 1 : 0);
