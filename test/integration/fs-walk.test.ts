/**
 * The fs walk at scale: memory stays flat in the number of files (nothing holds per-file state for the
 * whole tree), every file is counted exactly, and an unreadable directory is an error while the rest of
 * the tree is still scanned.
 */
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLI, type JsonReport } from '../helpers/cli.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');
const MIB = 1024 * 1024;

let base: string;
let preload: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'sigscan-fs-walk-'));
  await chmod(base, 0o755);
  // Loaded into the CLI process: each time the walk opens a directory (every 1,000 files here, at the same
  // points of both scans) a full GC, then the live heap is sampled; once more at exit. A timer would be a
  // race: a scan that ends before its first tick would be measured only after the work is done. At exit
  // it prints the largest live heap, the number of samples and the peak resident set (stderr; stdout holds
  // the report). The live heap is the precise measure: RSS also holds garbage V8 has not collected yet.
  preload = join(base, 'memory.mjs');
  await writeFile(
    preload,
    [
      "import fs, { writeSync } from 'node:fs';",
      "import { syncBuiltinESMExports } from 'node:module';",
      'let live = 0;',
      'let samples = 0;',
      'const sample = () => { globalThis.gc(); samples++; live = Math.max(live, process.memoryUsage().heapUsed); };',
      'const opendir = fs.promises.opendir;',
      'fs.promises.opendir = function (...args) { sample(); return opendir.apply(this, args); };',
      // The walk imports opendir from node:fs/promises; this makes that binding the wrapper too.
      'syncBuiltinESMExports();',
      "process.on('exit', () => {",
      '  sample();',
      '  writeSync(2, `\\nSIGSCAN_MEMORY ${live} ${process.resourceUsage().maxRSS * 1024} ${samples}\\n`);',
      '});',
    ].join('\n'),
  );
});
afterAll(async () => {
  if (base) await rm(base, { recursive: true, force: true });
});

/**
 * `dirs` directories of 1,000 empty files, plus one signed JAR and one unsigned PE. The empty files are
 * hard links (1,000 to an inode): each is a name the walk lists, opens and reads like any file, but making
 * them costs no inode each, which keeps 100k files to a few seconds on a busy machine.
 */
async function makeTree(name: string, dirs: number): Promise<string> {
  const root = join(base, name);
  await mkdir(root);
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${String(d).padStart(3, '0')}`);
    mkdirSync(dir);
    // One inode per directory: file systems cap the links to one inode (ext4: 65,000).
    const seed = join(base, `${name}.${d}.seed`);
    writeFileSync(seed, '');
    for (let f = 0; f < 1000; f++) linkSync(seed, join(dir, `f${String(f).padStart(3, '0')}`));
  }
  await copyFile(join(FIXTURES, 'jar', 'hello-signed.jar'), join(root, 'app.jar'));
  await copyFile(join(FIXTURES, 'pe', 'hello-unsigned.exe'), join(root, 'tool.exe'));
  return root;
}

interface Scanned {
  report: JsonReport;
  /** Largest heap still in use after a full GC, in bytes. */
  liveHeap: number;
  /** Peak resident set, in bytes. */
  maxRss: number;
  /** How many times the live heap was sampled. */
  samples: number;
}

async function scan(root: string): Promise<Scanned> {
  const res = await run(
    process.execPath,
    ['--expose-gc', '--import', preload, CLI, 'fs', root, '-o', 'json'],
    { check: false, env: { NO_COLOR: '1' } },
  );
  expect(res.code, res.stderr).toBe(0);
  const memory = /SIGSCAN_MEMORY (\d+) (\d+) (\d+)/.exec(res.stderr);
  expect(memory, res.stderr).not.toBeNull();
  return {
    report: JSON.parse(res.stdout) as JsonReport,
    liveHeap: Number(memory![1]),
    maxRss: Number(memory![2]),
    samples: Number(memory![3]),
  };
}

describe('sigscan fs on 10k and 100k files', () => {
  it('counts every file and peaks at about the same memory for ten times the files', async () => {
    const small = await scan(await makeTree('t10k', 10));
    const large = await scan(await makeTree('t100k', 100));
    for (const [r, files] of [
      [small.report, 10_000],
      [large.report, 100_000],
    ] as const) {
      expect(r.summary).toMatchObject({
        targets: 2,
        signed: 1,
        unsigned: 1,
        unknown: 0,
        filesSkipped: files,
      });
      expect(r.errors).toEqual([]);
    }
    // Sampled in every directory the walk opened (the root and 10 or 100 more), not only at exit.
    expect(small.samples).toBeGreaterThanOrEqual(12);
    expect(large.samples).toBeGreaterThanOrEqual(102);
    const mib = (n: number) => `${(n / MIB).toFixed(1)} MiB`;
    process.stderr.write(
      `fs walk, 10k vs 100k files: peak RSS ${mib(small.maxRss)} vs ${mib(large.maxRss)}, ` +
        `largest live heap ${mib(small.liveHeap)} vs ${mib(large.liveHeap)}\n`,
    );
    expect(large.maxRss).toBeLessThan(1.5 * small.maxRss + 16 * MIB);
    // 90,000 more files may not keep even 50 bytes each alive.
    expect(large.liveHeap).toBeLessThan(small.liveHeap + 4 * MIB);
  }, 180_000);
});

describe('sigscan fs on a tree with an unreadable directory', () => {
  it('reports the directory as a scan error (exit 3) and scans everything else', async () => {
    const root = join(base, 'locked-tree');
    await mkdir(join(root, 'open'), { recursive: true });
    await mkdir(join(root, 'locked'));
    await chmod(root, 0o755);
    await chmod(join(root, 'open'), 0o755);
    await copyFile(join(FIXTURES, 'jar', 'hello-signed.jar'), join(root, 'open', 'app.jar'));
    await copyFile(join(FIXTURES, 'jar', 'hello-signed.jar'), join(root, 'locked', 'hidden.jar'));
    await chmod(join(root, 'locked'), 0o000);
    const args = [CLI, 'fs', root, '-o', 'json'];
    // root reads everything; drop to nobody so that the directory really is unreadable.
    const res =
      process.getuid?.() === 0
        ? await run(
            'setpriv',
            ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args],
            {
              check: false,
              env: { HOME: base, NO_COLOR: '1' },
            },
          )
        : await run(process.execPath, args, { check: false });
    expect(res.code).toBe(3);
    const report = JSON.parse(res.stdout) as JsonReport;
    expect(report.targets.map((t) => [t.path, t.status])).toEqual([
      [join(root, 'open', 'app.jar'), 'signed'],
    ]);
    expect(report.errors).toEqual([
      expect.objectContaining({ code: 'FILE_UNREADABLE', source: join(root, 'locked') }),
    ]);
    await chmod(join(root, 'locked'), 0o755);
  });
});
