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
import { portableResult } from '../../src/scan/worker-protocol.js';
import { loadTrustConfig, type TrustInput } from '../../src/trust/index.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { normaliseJson } from '../report/helpers.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

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
    try {
      const two = await scanJson([FIXTURES, broken], 2, trust);
      expect(two.text).toBe(one.text);
    } finally {
      poolTestHooks.workersOnly = true;
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

describe('workers start only for a backlog the main thread cannot take', () => {
  // --jobs 2 at concurrency 8: the main thread's share is 4 files in flight.
  const spawnsDuring = async (roots: string[], delayMs: number) => {
    let spawned = 0;
    poolTestHooks.workersOnly = false;
    poolTestHooks.delayMs = delayMs;
    poolTestHooks.onSpawn = () => spawned++;
    try {
      const { report, text } = await scanJson(roots, 2);
      return { spawned, report, text };
    } finally {
      poolTestHooks.workersOnly = true;
      delete poolTestHooks.delayMs;
      delete poolTestHooks.onSpawn;
    }
  };

  it('a tree within the share of the main thread starts none, even with no delay', async () => {
    const { spawned, report } = await spawnsDuring([join(FIXTURES, 'pe')], 0);
    expect(spawned).toBe(0);
    // In the order they finish: the unsigned image, with nothing to verify, may come first.
    const byPath = [...report.results].sort((a, b) => (pathOf(a) < pathOf(b) ? -1 : 1));
    expect(byPath.map((r) => [pathOf(r), r.status])).toEqual([
      [join(FIXTURES, 'pe/hello-signed.exe'), 'signed'],
      [join(FIXTURES, 'pe/hello-unsigned.exe'), 'unsigned'],
    ]);
  });

  it('a backlog that lasts the delay starts them, and the report is the one --jobs 1 gives', async () => {
    const one = await scanJson([FIXTURES, broken], 1);
    const two = await spawnsDuring([FIXTURES, broken], 0);
    expect(two.spawned).toBe(1);
    expect(two.text).toBe(one.text);
  });

  it('a backlog that ends within the delay starts none', async () => {
    const one = await scanJson([FIXTURES, broken], 1);
    const two = await spawnsDuring([FIXTURES, broken], 60_000);
    expect(two.spawned).toBe(0);
    expect(two.text).toBe(one.text);
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
