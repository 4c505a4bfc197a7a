/**
 * `--jobs N`: file jobs in worker threads give the same report as the main thread alone, a worker that
 * dies costs only the file it was checking, and scans that need the main thread stay there.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { TargetResult } from '../../src/model/index.js';
import { renderJson } from '../../src/report/json.js';
import { poolTestHooks } from '../../src/scan/pool.js';
import { runFsScan, type FsScanPlan } from '../../src/scan/run.js';
import { COST_MODEL, type CostModel, type EstimateSnapshot } from '../../src/scan/work-estimate.js';
import { fsTestHooks } from '../../src/sources/fs.js';
import { portableResult } from '../../src/scan/worker-protocol.js';
import { loadTrustConfig, type TrustInput } from '../../src/trust/index.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { normaliseJson } from '../report/helpers.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { PROJECT_ROOT, sleep } from '../helpers/tools.js';

const FIXTURES = join(PROJECT_ROOT, 'fixtures');
const pathOf = (r: TargetResult) => (r.target.kind === 'file' ? r.target.path : '');

const CORPUS_TRUST: TrustInput = {
  trustRoot: [
    join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem'),
    join(CORPUS_DIR, 'jar/equinox/ca1_root.pem'),
    join(CORPUS_DIR, 'jar/equinox/ca2_root.pem'),
  ],
  tsaRoot: [join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem')],
  trustedRoot: [join(CORPUS_DIR, 'sigstore-bundle/trust/production.trusted_root.json')],
};

async function scanJson(roots: string[], jobs: number, trust?: TrustInput, extra: Partial<FsScanPlan> = {}) {
  const report = await runFsScan({
    roots,
    jobs,
    concurrency: 8,
    log: silentLogger,
    ...(trust ? { trust: await loadTrustConfig(trust) } : {}),
    ...extra,
  });
  // Besides the report's own times, verdict messages name the scan's "now" (checked at ..., weak after a
  // cut-off at ...): instants inside the run's window are timing, as startedAt is.
  const from = report.startedAt.getTime() - 1000;
  const to = report.finishedAt.getTime();
  const instants = new Set<string>();
  const text = JSON.stringify(normaliseJson(JSON.parse(renderJson(report))), null, 1).replace(ISO, (t) => {
    const ms = Date.parse(t);
    if (ms < from || ms > to) return t;
    instants.add(t);
    return '<now>';
  });
  return { report, text, instants };
}

const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g;

/** A tree with a malformed file beside good ones: an empty .exe and a JAR cut short (made by jar, cut by us). */
let broken: string;
beforeAll(() => {
  broken = mkdtempSync(join(tmpdir(), 'sigscan-pool-'));
  copyFileSync(join(FIXTURES, 'jar/hello-signed.jar'), join(broken, 'good.jar'));
  copyFileSync(join(FIXTURES, 'pe/hello-signed.exe'), join(broken, 'good.exe'));
  copyFileSync(join(FIXTURES, 'pe/hello-unsigned.exe'), join(broken, 'victim.exe'));
  writeFileSync(join(broken, 'empty.exe'), '');
  const jar = readFileSync(join(FIXTURES, 'jar/hello-signed.jar'));
  writeFileSync(join(broken, 'cut.jar'), jar.subarray(0, Math.floor(jar.length / 2)));
});
afterAll(() => rmSync(broken, { recursive: true, force: true }));

beforeAll(() => {
  // Workers only: otherwise the main thread takes the first files while workers start, and a small
  // tree may never reach one.
  poolTestHooks.workersOnly = true;
});
afterEach(() => {
  delete poolTestHooks.fault;
});
afterAll(() => {
  delete poolTestHooks.workersOnly;
});

describe('--jobs 2 reports exactly what --jobs 1 reports', () => {
  it('on the shared corpus with trust inputs', async () => {
    const one = await scanJson([CORPUS_DIR], 1, CORPUS_TRUST);
    const two = await scanJson([CORPUS_DIR], 2, CORPUS_TRUST);
    expect(two.text).toBe(one.text);
    // Not a vacuous match: chain, CMS and bundle verdicts of every kind are in it.
    const verdicts = new Set(
      one.report.results.flatMap((r) => r.signatures.map((s) => `${s.evidence.family}:${s.verdict.status}`)),
    );
    expect([...verdicts]).toEqual(
      expect.arrayContaining([
        'authenticode:verified',
        'authenticode:untrusted',
        'jar:untrusted',
        'jar:invalid',
        'sigstore-bundle:untrusted',
        'sigstore-bundle:invalid',
      ]),
    );
    expect(two.report.filesSkipped).toBe(one.report.filesSkipped);
    expect(one.report.results.length).toBeGreaterThan(50);
  });

  it('on the shared corpus when the estimate starts a worker while the main thread checks files', async () => {
    const one = await scanJson([CORPUS_DIR], 1, CORPUS_TRUST);
    poolTestHooks.workersOnly = false;
    // Worth a worker from the first priced file on: the main thread and the worker share the corpus.
    poolTestHooks.costModel = { startMs: 0 };
    let spawned = 0;
    poolTestHooks.onSpawn = () => spawned++;
    try {
      const two = await scanJson([CORPUS_DIR], 2, CORPUS_TRUST);
      expect(spawned).toBe(1);
      expect(two.text).toBe(one.text);
    } finally {
      poolTestHooks.workersOnly = true;
      delete poolTestHooks.costModel;
      delete poolTestHooks.onSpawn;
    }
  });

  it('on fixtures/ with the fixture root', async () => {
    const trust = { trustRoot: [join(FIXTURES, 'fixture-root-ca.pem')] };
    const one = await scanJson([FIXTURES], 1, trust);
    const two = await scanJson([FIXTURES], 2, trust);
    expect(two.text).toBe(one.text);
    const statuses = Object.fromEntries(
      one.report.results.map((r) => [pathOf(r), r.signatures.map((s) => s.verdict.code)]),
    );
    expect(statuses[join(FIXTURES, 'pe/hello-signed.exe')]).toEqual(['CHAIN_VALID']);
    expect(statuses[join(FIXTURES, 'jar/hello-signed.jar')]).toEqual(['CHAIN_VALID']);
    // Workers and the main thread check as of one instant, as one evaluator does.
    expect(two.instants.size).toBe(1);
  });

  it('when the main thread checks files while workers start (the CLI default)', async () => {
    const trust = { trustRoot: [join(FIXTURES, 'fixture-root-ca.pem')] };
    const one = await scanJson([FIXTURES, broken], 1, trust);
    poolTestHooks.workersOnly = false;
    // Priced as worth a worker from the first file's size on, so that one starts on this small tree.
    poolTestHooks.costModel = { startMs: 0 };
    let spawned = 0;
    poolTestHooks.onSpawn = () => spawned++;
    try {
      const two = await scanJson([FIXTURES, broken], 2, trust);
      expect(two.text).toBe(one.text);
      expect(spawned).toBe(1);
    } finally {
      poolTestHooks.workersOnly = true;
      delete poolTestHooks.costModel;
      delete poolTestHooks.onSpawn;
    }
  });

  it('on a tree with malformed files', async () => {
    const one = await scanJson([broken], 1);
    const two = await scanJson([broken], 2);
    expect(two.text).toBe(one.text);
    const errors = Object.fromEntries(
      two.report.results.map((r) => [pathOf(r).slice(broken.length + 1), r.errors.map((e) => e.code)]),
    );
    expect(errors['empty.exe']).toEqual(['FORMAT_MISMATCH']);
    expect(errors['cut.jar']).toEqual(['MALFORMED_ZIP']);
    expect(errors['good.jar']).toEqual([]);
  });
});

describe('a worker that dies', () => {
  for (const kind of ['exit', 'throw'] as const) {
    it(`(${kind}) makes its file WORKER_FAILED and unknown; every other file is as --jobs 1 has it`, async () => {
      const one = await scanJson([broken], 1);
      poolTestHooks.fault = { pathSuffix: 'victim.exe', kind };
      const two = await scanJson([broken], 2);
      const victim = join(broken, 'victim.exe');
      const failed = two.report.results.find((r) => pathOf(r) === victim)!;
      expect(failed.status).toBe('unknown');
      expect(failed.errors.map((e) => e.code)).toEqual(['WORKER_FAILED']);
      expect(failed.errors[0]!.message).toContain(kind === 'exit' ? 'exit code 70' : 'injected fault');
      const others = (results: TargetResult[]) =>
        results.filter((r) => pathOf(r) !== victim).sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : 1));
      expect(others(two.report.results)).toEqual(others(one.report.results).map(portableResult));
      expect(others(two.report.results)).toHaveLength(4);
    });
  }
});

describe('scans that need the main thread stay on it', () => {
  // With a fault injected into every worker, a file that reached one would come back WORKER_FAILED.
  const victimStatus = async (extra: Partial<FsScanPlan>, trust?: TrustInput, root = broken) => {
    poolTestHooks.fault = { pathSuffix: 'victim.exe', kind: 'exit' };
    const { report } = await scanJson([root], 2, trust, extra);
    return report.results.find((r) => pathOf(r).endsWith('victim.exe'))!.errors.map((e) => e.code);
  };

  it('online revocation (its fetches and --rps pacing live on the main thread)', async () => {
    expect(await victimStatus({}, { revocation: 'online' })).toEqual([]);
    expect(await victimStatus({}, { revocation: 'offline' })).toEqual(['WORKER_FAILED']);
  });

  it('a trust config without the flags it was loaded from (a library caller)', async () => {
    const trust = await loadTrustConfig({});
    expect(await victimStatus({ trust: { ...trust, input: undefined } })).toEqual([]);
  });

  it('--plugin modules (a worker loads built-in plugins only)', async () => {
    const { loadPlugins } = await import('../../src/plugin/index.js');
    const plugins = await loadPlugins({ modules: [join(FIXTURES, 'plugins/ed25519.js')] });
    expect(await victimStatus({ plugins })).toEqual([]);
  });

  it('only files named as roots', async () => {
    expect(await victimStatus({}, undefined, join(broken, 'victim.exe'))).toEqual([]);
  });

  it('--jobs 1', async () => {
    poolTestHooks.fault = { pathSuffix: 'victim.exe', kind: 'exit' };
    const { report } = await scanJson([broken], 1);
    expect(report.results.find((r) => pathOf(r).endsWith('victim.exe'))!.status).toBe('unsigned');
  });
});

describe('workers start when the work left is estimated to outweigh their start-up', () => {
  /** A cost model that prices only what a test names: everything else costs nothing. */
  const only = (model: Partial<CostModel>): Partial<CostModel> => ({
    fileMs: 0,
    peFileMs: 0,
    peMsPerMiB: 0,
    zipFileMs: 0,
    zipMsPerMiB: 0,
    otherMsPerMiB: 0,
    ...model,
  });

  /**
   * --jobs 2 as the CLI runs it, workers left to the estimate. Every file the main thread checks waits,
   * once read, for the estimate's decision: a decision therefore comes from what the walk queued alone,
   * with no file finished and no clock. (The wait gives up after 20 s so that a missing decision fails
   * the assertions below rather than hanging.)
   */
  const decide = async (roots: string[], costModel?: Partial<CostModel>) => {
    let spawned = 0;
    let results = 0;
    let resultsAtSpawn: number | undefined;
    let decision: { advice: 'start' | 'never'; estimate: EstimateSnapshot } | undefined;
    let decided!: () => void;
    const made = new Promise<void>((resolve) => (decided = resolve));
    poolTestHooks.workersOnly = false;
    if (costModel) poolTestHooks.costModel = costModel;
    poolTestHooks.onSpawn = () => {
      spawned++;
      resultsAtSpawn ??= results;
    };
    poolTestHooks.onDecision = (advice, estimate) => {
      decision = { advice, estimate };
      decided();
    };
    fsTestHooks.afterRead = () => Promise.race([made, sleep(20_000)]);
    try {
      const { report, text } = await scanJson(roots, 2, undefined, { onResult: () => results++ });
      return { spawned, resultsAtSpawn, decision, report, text };
    } finally {
      poolTestHooks.workersOnly = true;
      delete poolTestHooks.costModel;
      delete poolTestHooks.onSpawn;
      delete poolTestHooks.onDecision;
      delete fsTestHooks.afterRead;
    }
  };

  /** A tree of copies of real-tool output, by name. */
  const tree = (files: Record<string, Buffer>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sigscan-pool-estimate-'));
    trees.push(dir);
    for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes);
    return dir;
  };
  const trees: string[] = [];
  afterAll(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));
  const signedJar = () => readFileSync(join(FIXTURES, 'jar/hello-signed.jar'));
  const unsignedJar = () => readFileSync(join(FIXTURES, 'jar/hello-unsigned.jar'));
  const signedExe = () => readFileSync(join(FIXTURES, 'pe/hello-signed.exe'));
  const unsignedExe = () => readFileSync(join(FIXTURES, 'pe/hello-unsigned.exe'));

  it('a small tree starts none with the shipped cost model, and reports what --jobs 1 reports', async () => {
    const one = await scanJson([FIXTURES, broken], 1);
    const two = await decide([FIXTURES, broken]);
    expect(two.spawned).toBe(0);
    expect(two.decision?.advice).toBe('never');
    expect(two.decision?.estimate.walkOver).toBe(true);
    expect(two.decision?.estimate.leftMs).toBeGreaterThan(0);
    expect(two.decision?.estimate.leftMs).toBeLessThan(COST_MODEL.startMs / 10);
    expect(two.text).toBe(one.text);
  });

  it('by JAR count: three JARs at 100 ms each start a worker at 250 ms, two do not', async () => {
    const model = only({ zipFileMs: 100, startMs: 250 });
    const two = tree({ 'a.jar': signedJar(), 'b.jar': unsignedJar(), 'c.exe': signedExe() });
    const small = await decide([two], model);
    expect(small.decision).toEqual({
      advice: 'never',
      estimate: { leftMs: 200, doneMs: 0, unpriced: 0, walkOver: true },
    });
    expect(small.spawned).toBe(0);

    const three = tree({ 'a.jar': signedJar(), 'b.jar': unsignedJar(), 'c.war': signedJar() });
    const one = await scanJson([three], 1);
    const large = await decide([three], model);
    expect(large.decision?.advice).toBe('start');
    expect(large.decision?.estimate.leftMs).toBe(300);
    expect(large.decision?.estimate.doneMs).toBe(0);
    expect(large.spawned).toBe(1);
    // Started before any file was done: the queue decided, not a file's end or a clock.
    expect(large.resultsAtSpawn).toBe(0);
    expect(large.text).toBe(one.text);
  });

  it('by bytes: a PE with 1 MiB of overlay starts a worker where the bare images do not', async () => {
    const model = only({ peMsPerMiB: 1000, startMs: 500 });
    const bare = { 'signed.exe': signedExe(), 'unsigned.exe': unsignedExe() };
    const small = await decide([tree(bare)], model);
    const bareBytes = signedExe().length + unsignedExe().length;
    expect(small.decision?.advice).toBe('never');
    expect(small.decision?.estimate.leftMs).toBeCloseTo((bareBytes / 2 ** 20) * 1000, 6);
    expect(small.spawned).toBe(0);

    // osslsigncode's unsigned image with bytes appended past its last section: still a PE, now 1 MiB longer.
    const padded = Buffer.concat([unsignedExe(), Buffer.alloc(2 ** 20, 0x5a)]);
    const dir = tree({ ...bare, 'padded.exe': padded });
    const one = await scanJson([dir], 1);
    const large = await decide([dir], model);
    expect(large.decision?.advice).toBe('start');
    expect(large.decision?.estimate.leftMs).toBeGreaterThan(500);
    expect(large.spawned).toBe(1);
    expect(large.resultsAtSpawn).toBe(0);
    expect(large.text).toBe(one.text);
    const padResult = large.report.results.find((r) => pathOf(r).endsWith('padded.exe'))!;
    expect(padResult.status).toBe('unsigned');
    expect(padResult.target.kind === 'file' && padResult.target.size).toBe(padded.length);
  });
});

describe('results cross threads intact', () => {
  it('every corpus result survives structured cloning unchanged (no class instances, functions or Errors)', async () => {
    const { report } = await scanJson([CORPUS_DIR, FIXTURES], 1, CORPUS_TRUST);
    for (const result of report.results) {
      const portable = portableResult(result);
      expect(structuredClone(portable)).toStrictEqual(portable);
      expect(JSON.parse(JSON.stringify(portable))).toBeTruthy();
    }
    // material (parsed signatures) is the one thing left behind, and only it.
    const withMaterial = report.results.flatMap((r) => r.signatures).filter((s) => s.evidence.material);
    expect(withMaterial.length).toBeGreaterThan(0);
  });

  it('per-worker file counts and chain cache hit rates reach the logger', async () => {
    const lines: string[] = [];
    const log: Logger = {
      debug: (m) => lines.push(m),
      info: (m) => lines.push(m),
      warn: (m) => lines.push(m),
    };
    // --jobs 3: the main thread and two workers.
    await scanJson([FIXTURES], 3, { trustRoot: [join(FIXTURES, 'fixture-root-ca.pem')] }, { log });
    const threads = lines.filter((l) =>
      /^--jobs (?:main thread|worker \d): \d+ files; chain path cache hits \d+\/\d+/.test(l),
    );
    expect(threads.map((l) => l.split(':')[0])).toEqual([
      '--jobs main thread',
      '--jobs worker 1',
      '--jobs worker 2',
    ]);
    // workersOnly: every file went to a worker, and each of the 8 files of fixtures/ is counted once.
    const files = threads.map((l) => Number(/: (\d+) files/.exec(l)![1]));
    expect(files[0]).toBe(0);
    expect(files.reduce((a, b) => a + b, 0)).toBe(8);
  });
});
