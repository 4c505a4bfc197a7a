import type { ErrorEntry, TargetResult } from '../model/index.js';
import type { FileJobSpec } from '../sources/job.js';
import type { TrustInput } from '../trust/config.js';
import type { CacheCount } from '../trust/chain-caches.js';
import type { Limits } from '../util/limits.js';

/**
 * What a worker thread is started with (workerData): everything it needs to build the same detectors and
 * trust evaluator as the main thread, as plain data. Trust inputs travel as the flags they were loaded
 * from, never as parsed certificates or keys: each worker loads them once.
 */
export interface WorkerInit {
  trust?: TrustInput;
  /** The scan's verification instant (epoch ms) when --at is absent: every thread checks as of the same one. */
  now: number;
  limits: Limits;
  streamThreshold?: number;
  peStreamThreshold?: number;
  /** Tests only: make the worker fail on one file, the one fault a real input cannot cause. */
  fault?: WorkerFault;
}

export interface WorkerFault {
  /** Files whose display path ends with this. */
  pathSuffix: string;
  /** `exit`: process.exit in the worker; `throw`: an exception nothing catches. */
  kind: 'exit' | 'throw';
}

export type ToWorker = { type: 'job'; id: number; spec: FileJobSpec } | { type: 'stats'; id: number };

export interface JobDone {
  type: 'done';
  id: number;
  results: TargetResult[];
  /** What the file job added to the walk's counters and scan errors (sources/fs.ts FsCounters). */
  skipped: number;
  bytesRead: number;
  scanErrors: ErrorEntry[];
}

export interface WorkerStats {
  jobs: number;
  pathSearches: CacheCount;
  signatureChecks: CacheCount;
}

export type FromWorker =
  | { type: 'ready' }
  | JobDone
  | { type: 'log'; level: 'debug' | 'info' | 'warn'; message: string }
  | { type: 'stats'; id: number; stats: WorkerStats };

/**
 * A result as it crosses threads. `material` is the parsed signature (pkijs objects, keys) the trust layer
 * has already used; nothing after trust reads it, and it is neither small nor always cloneable, so it stays
 * in the worker. Everything else in the model is plain data.
 */
export function portableResult(result: TargetResult): TargetResult {
  return {
    ...result,
    signatures: result.signatures.map(({ evidence, verdict }) => {
      const { material: _material, ...rest } = evidence;
      return { evidence: rest, verdict };
    }),
  };
}
