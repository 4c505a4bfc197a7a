import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';

import type { ErrorEntry, TargetResult } from '../model/index.js';
import type { FileJobSpec, ScanJob, WalkWatch } from '../sources/job.js';
import type { Logger } from '../util/logger.js';
import { COST_MODEL, WorkEstimate, type CostModel, type EstimateSnapshot } from './work-estimate.js';
import type { FromWorker, JobDone, WorkerFault, WorkerInit, WorkerStats } from './worker-protocol.js';

/** More threads than this buy nothing on a tree walk: the disk and the main thread's reporting cap it. */
export const MAX_DEFAULT_JOBS = 8;

/** `--jobs` when not given: one thread per core, at most MAX_DEFAULT_JOBS. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_JOBS));
}

/**
 * Test seam: a fault injected into every worker the next pool starts (see WorkerFault). Never set
 * outside tests.
 */
export const poolTestHooks: {
  fault?: WorkerFault;
  /** Send every file job to a worker, none to the main thread while workers start (see offload). */
  workersOnly?: boolean;
  /** Figures that replace COST_MODEL's in the estimate that decides when workers start. */
  costModel?: Partial<CostModel>;
  /** Called as each worker thread is started. */
  onSpawn?: () => void;
  /** Called once the estimate has decided (not with workersOnly), with what it held then. */
  onDecision?: (decision: 'start' | 'never', estimate: EstimateSnapshot) => void;
} = {};

/** Where the walk's counters go when a worker ran the file job. */
export interface PoolSink {
  skipped(n: number): void;
  bytesRead(n: number): void;
  scanErrors(entries: ErrorEntry[]): void;
}

interface Task {
  id: number;
  spec: FileJobSpec;
  /** Was in flight on a worker that died: run again alone, so that only the file that kills one fails. */
  suspect: boolean;
  resolve(results: TargetResult[] | 'here'): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  inFlight: Map<number, Task>;
  /** Running a suspect task: takes no other until it ends. */
  exclusive: boolean;
  stats?: (stats: WorkerStats) => void;
}

/**
 * Worker threads for fs scans (`--jobs N`: the main thread and N-1 workers): the main thread walks,
 * schedules and reports, and checks a share of the files; each other file job (read, hash, parse, CMS,
 * Authenticode, JAR checks, trust verdicts) runs in a worker, which gets a path and sends back plain
 * results. Workers start as soon as the work the walk has queued is estimated to outweigh their start-up
 * (see WorkEstimate), never on a clock. A worker that crashes turns the file it was checking into a
 * WORKER_FAILED error entry and the scan goes on with a new worker.
 */
export class FilePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 0;
  /** A worker died before it was ready (it cannot load): every job runs in-process from then on. */
  private broken = false;
  private started = false;
  /** close() ends the workers: their exits are not crashes. */
  private closing = false;
  private readonly fault = poolTestHooks.fault;
  private readonly workersOnly = poolTestHooks.workersOnly ?? false;
  private readonly estimate = new WorkEstimate({ ...COST_MODEL, ...poolTestHooks.costModel }, () =>
    this.consider(),
  );
  /** For the walk (fsJobs' watch): what it queues, before the engine takes it, feeds the estimate. */
  readonly watch: WalkWatch = this.estimate;

  /** File jobs the main thread is running itself (see offload), and has run in all. */
  private here = 0;
  mainJobs = 0;

  private constructor(
    private readonly script: { url: URL; eval?: string },
    private readonly size: number,
    private readonly mainSlots: number,
    private readonly init: WorkerInit,
    private readonly sink: PoolSink,
    private readonly log: Logger,
  ) {}

  /**
   * A pool, or undefined where workers cannot run: no worker script beside this module (the single-file
   * bundle and executable of scripts/build-bin.mjs, where this module has no file URL of its own).
   */
  static open(
    workers: number,
    mainSlots: number,
    init: WorkerInit,
    sink: PoolSink,
    log: Logger,
  ): FilePool | undefined {
    const script = workerScript();
    if (!script) return undefined;
    return new FilePool(script, workers, mainSlots, init, sink, log);
  }

  /**
   * The engine's offload hook: file jobs go to a worker; anything else (OCI layouts in a tree) stays here,
   * and so does every job once the pool is broken (`here` runs it in-process, as --jobs 1 would). The main
   * thread is one of the --jobs threads: it keeps up to `mainSlots` file jobs of its own (between walking
   * and reporting, which cost little), and takes all of them until the first worker is ready (a worker's
   * start-up, ~0.3 s of module loading, is most of a small scan). Same code either way, same results.
   */
  offload = (job: ScanJob, here: () => Promise<TargetResult[]>): Promise<TargetResult[]> | undefined => {
    if (!job.file || this.broken) return undefined;
    const spec = job.file;
    if (this.workersOnly) this.start();
    if (!this.workersOnly && (this.here < this.mainSlots || !this.slots.some((s) => s.ready))) {
      this.here++;
      this.mainJobs++;
      return here().finally(() => {
        this.here--;
        this.estimate.finished(spec);
      });
    }
    return new Promise<TargetResult[] | 'here'>((resolve) => {
      this.queue.push({ id: this.nextId++, spec, suspect: false, resolve });
      this.pump();
    }).then((results) => (results === 'here' ? here() : results));
  };

  /** All workers at once, loading their modules and trust inputs while the walk goes on. */
  private start(): void {
    if (this.started) return;
    this.started = true;
    this.estimate.settle();
    for (let i = 0; i < this.size; i++) this.spawn();
  }

  /** Asked by the estimate whenever it changes: start the workers, wait, or settle on none for this scan. */
  private consider(): void {
    if (this.started || this.closing || this.broken) return;
    const advice = this.estimate.advice();
    if (advice === 'wait') return;
    const estimate = this.estimate.snapshot();
    poolTestHooks.onDecision?.(advice, estimate);
    this.log.debug(
      `--jobs: ${advice === 'start' ? `starting ${this.size} worker(s)` : 'no worker for this scan'}: estimated ${Math.round(estimate.leftMs)} ms of work left, ${Math.round(estimate.doneMs)} ms done, walk ${estimate.walkOver ? 'over' : 'going on'}`,
    );
    if (advice === 'start') this.start();
    else this.estimate.settle();
  }

  /** Per-worker figures (jobs, chain cache hits), then the workers end. */
  async close(): Promise<WorkerStats[]> {
    this.closing = true;
    this.estimate.settle();
    const stats = await Promise.all(
      this.slots
        .filter((s) => s.ready)
        .map(
          (slot) =>
            new Promise<WorkerStats | undefined>((resolve) => {
              const timer = setTimeout(() => resolve(undefined), 2000);
              slot.stats = (s) => {
                clearTimeout(timer);
                resolve(s);
              };
              slot.worker.postMessage({ type: 'stats', id: 0 });
            }),
        ),
    );
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    this.slots.length = 0;
    return stats.filter((s): s is WorkerStats => s !== undefined);
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const task = this.queue[0]!;
      const slot = this.pick(task.suspect);
      if (!slot) return;
      this.queue.shift();
      slot.inFlight.set(task.id, task);
      if (task.suspect) slot.exclusive = true;
      slot.worker.postMessage({ type: 'job', id: task.id, spec: task.spec });
    }
  }

  /** An idle worker, else a new one while under size, else the least busy (suspect tasks only take idle ones). */
  private pick(exclusive: boolean): Slot | undefined {
    const open = this.slots.filter((s) => !s.exclusive);
    const idle = open.find((s) => s.inFlight.size === 0);
    if (idle) return idle;
    if (this.slots.length < this.size) return this.spawn();
    if (exclusive || open.length === 0) return undefined;
    return open.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
  }

  private spawn(): Slot {
    poolTestHooks.onSpawn?.();
    const init: WorkerInit = { ...this.init, ...(this.fault ? { fault: this.fault } : {}) };
    // node:worker_threads loads with the first worker, not with every pool (most trees never start one).
    const { Worker } = createRequire(import.meta.url)(
      'node:worker_threads',
    ) as typeof import('node:worker_threads');
    const worker = this.script.eval
      ? new Worker(this.script.eval, { eval: true, workerData: init })
      : new Worker(this.script.url, { workerData: init });
    const slot: Slot = { worker, ready: false, inFlight: new Map(), exclusive: false };
    this.slots.push(slot);
    worker.on('message', (message: FromWorker) => this.receive(slot, message));
    let failure: Error | undefined;
    worker.on('error', (err) => {
      failure = err;
    });
    worker.on('exit', (code) => this.died(slot, failure ? failure.message : `exit code ${code}`));
    return slot;
  }

  private receive(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        return;
      case 'log':
        this.log[message.level](message.message);
        return;
      case 'stats':
        slot.stats?.(message.stats);
        return;
      case 'done':
        this.finish(slot, message);
        return;
    }
  }

  private finish(slot: Slot, done: JobDone): void {
    const task = slot.inFlight.get(done.id);
    if (!task) return;
    slot.inFlight.delete(done.id);
    slot.exclusive = false;
    this.sink.skipped(done.skipped);
    this.sink.bytesRead(done.bytesRead);
    if (done.scanErrors.length) this.sink.scanErrors(done.scanErrors);
    task.resolve(done.results);
    this.pump();
  }

  private died(slot: Slot, why: string): void {
    const at = this.slots.indexOf(slot);
    if (at < 0 || this.closing) return;
    this.slots.splice(at, 1);
    const tasks = [...slot.inFlight.values()];
    if (!slot.ready) {
      // It never loaded: no worker will. The rest of the scan runs in-process, exactly as --jobs 1.
      if (!this.broken)
        this.log.warn(`--jobs: a worker thread could not start (${why}); scanning in-process`);
      this.broken = true;
      for (const task of [...tasks, ...this.queue.splice(0)]) task.resolve('here');
      return;
    }
    for (const task of tasks) {
      if (task.suspect || tasks.length === 1) task.resolve([workerFailed(task.spec, why)]);
      else this.queue.push({ ...task, suspect: true });
    }
    this.pump();
  }
}

function workerFailed(spec: FileJobSpec, why: string): TargetResult {
  return {
    target: { kind: 'file', path: spec.displayPath, size: 0, digest: '', format: 'unknown' },
    status: 'unknown',
    signatures: [],
    errors: [
      {
        code: 'WORKER_FAILED',
        message: `the worker thread checking ${spec.displayPath} stopped (${why}): not checked`,
        source: 'worker',
      },
    ],
  };
}

/**
 * The compiled worker beside this module (dist/scan/worker.js). Run from the TypeScript sources (tests,
 * tsx), the worker is worker.ts loaded through tsx's loader, so that tests check the code they see.
 */
function workerScript(): { url: URL; eval?: string } | undefined {
  let here: URL;
  try {
    here = new URL(import.meta.url);
  } catch {
    return undefined;
  }
  if (here.protocol !== 'file:') return undefined;
  const ts = here.pathname.endsWith('.ts');
  const url = new URL(ts ? './worker.ts' : './worker.js', here);
  if (!existsSync(fileURLToPath(url))) return undefined;
  if (!ts) return { url };
  // tsx's ESM register() (package export tsx/esm/api, import condition); require.resolve would give the CJS one.
  const tsxRoot = dirname(createRequire(here).resolve('tsx/package.json'));
  const tsx = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  return {
    url,
    eval: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`,
  };
}
