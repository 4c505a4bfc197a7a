/**
 * A worker thread of the fs scan pool (`--jobs`, scan/pool.ts): runs file jobs (read, hash, parse, CMS,
 * Authenticode, JAR checks) and their trust verdicts, and posts the results back. Detectors and the trust
 * evaluator are built once per worker from the same inputs as the main thread's.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { detectorsFor } from '../detectors/index.js';
import { describeError } from '../errors.js';
import { loadPlugins, pluginDetectors, pluginVerifiers } from '../plugin/index.js';
import { fileJob, newFsCounters } from '../sources/fs.js';
import { usePluginSidecars } from '../sources/sidecars.js';
import { FAMILY_VERIFIERS } from '../trust/families/index.js';
import { emptyTrustConfig, loadTrustConfig, TrustEvaluator } from '../trust/index.js';
import { chainCacheStats } from '../trust/chain-caches.js';
import type { Logger } from '../util/logger.js';
import { detectTarget, type EngineOptions } from './engine.js';
import { portableResult, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (message: FromWorker) => port.postMessage(message);

const log: Logger = {
  debug: (message) => post({ type: 'log', level: 'debug', message }),
  info: (message) => post({ type: 'log', level: 'info', message }),
  warn: (message) => post({ type: 'log', level: 'warn', message }),
};

// Only built-in plugins reach a worker: a scan with --plugin modules runs in-process (scan/pool.ts).
const plugins = await loadPlugins();
usePluginSidecars(
  plugins.flatMap((p) =>
    p.families.flatMap((f) => (f.spec.sidecarSuffixes ?? []).map((s) => [s, f.spec.family] as const)),
  ),
);
const loaded = init.trust ? await loadTrustConfig(init.trust) : emptyTrustConfig();
const trust = { ...loaded, at: loaded.at ?? new Date(init.now) };
const fromPlugins = pluginDetectors(plugins);
const engine: EngineOptions = {
  detectors: async (kind, format) => [...(await detectorsFor(kind, format)), ...fromPlugins],
  // No online revocation here: scans that need it stay in-process (its transport lives on the main thread).
  trust: new TrustEvaluator(trust, { ...FAMILY_VERIFIERS, ...pluginVerifiers(plugins, trust) }),
  concurrency: 1,
  limits: init.limits,
  log,
};
let jobs = 0;

async function runFile(message: Extract<ToWorker, { type: 'job' }>): Promise<void> {
  const { id, spec } = message;
  if (init.fault && spec.displayPath.endsWith(init.fault.pathSuffix)) {
    if (init.fault.kind === 'exit') process.exit(70);
    setImmediate(() => {
      throw new Error(`injected fault on ${spec.displayPath}`);
    });
    return;
  }
  const counters = newFsCounters();
  const scanErrors: Parameters<typeof fileJob>[2]['scanErrors'] = [];
  const job = fileJob(
    spec.displayPath,
    spec.absolutePath,
    {
      roots: [],
      limits: init.limits,
      scanErrors,
      counters,
      streamThreshold: init.streamThreshold,
      peStreamThreshold: init.peStreamThreshold,
    },
    spec.sidecars,
  );
  jobs++;
  const prepared = await job.run();
  const results = await Promise.all(prepared.map((p) => detectTarget(p, engine)));
  const done: FromWorker = {
    type: 'done',
    id,
    results: results.map(portableResult),
    skipped: counters.skipped,
    bytesRead: counters.bytesRead,
    scanErrors,
  };
  try {
    post(done);
  } catch (err) {
    // A detector left something in the model that cannot be cloned: the file's result is lost, not the scan.
    post({
      ...done,
      results: results.map((r) => ({
        target: r.target,
        status: 'unknown' as const,
        signatures: [],
        errors: [{ ...describeError(err), code: 'WORKER_FAILED', source: 'worker' }],
      })),
    });
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'stats') {
    post({ type: 'stats', id: message.id, stats: { jobs, ...chainCacheStats() } });
    return;
  }
  // fileJob and detectTarget turn every failure into an error entry; a rejection here is a bug, and
  // crashing the worker makes the pool report it on this file.
  void runFile(message).catch((err: unknown) =>
    setImmediate(() => {
      throw err;
    }),
  );
});
post({ type: 'ready' });
