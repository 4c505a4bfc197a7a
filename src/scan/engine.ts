import type { DetectContext, DetectServices, Detector } from '../detectors/detector.js';
import { describeError } from '../errors.js';
import {
  targetStatus,
  type ErrorEntry,
  type FileFormat,
  type SignatureResult,
  type Target,
  type TargetResult,
} from '../model/index.js';
import type { TrustEvaluator } from '../trust/index.js';
import type { PreparedTarget, ScanJob } from '../sources/job.js';
import { mapConcurrent } from '../util/concurrency.js';
import type { Limits } from '../util/limits.js';
import type { Logger } from '../util/logger.js';

export type { PreparedTarget, ScanJob } from '../sources/job.js';

export interface EngineOptions {
  /** A fixed set, or a loader that imports the detectors for a target's kind (and file format) on first use. */
  detectors:
    readonly Detector[] | ((kind: Target['kind'], format?: FileFormat) => Promise<readonly Detector[]>);
  trust: TrustEvaluator;
  concurrency: number;
  limits: Limits;
  log: Logger;
  /** Shared clients handed to every detector (see DetectServices). */
  services?: DetectServices;
  /** Runs a job elsewhere (a worker thread, scan/pool.ts), or returns undefined to run it here. */
  offload?: (job: ScanJob, here: () => Promise<TargetResult[]>) => Promise<TargetResult[]> | undefined;
}

/**
 * Pulls jobs from a source, runs every detector that applies to each target with bounded concurrency,
 * and streams results as they finish. One target's failure is an error entry on it, never the end of
 * the scan.
 */
export async function* runScan(
  jobs: AsyncIterable<ScanJob>,
  opts: EngineOptions,
): AsyncIterable<TargetResult> {
  for await (const batch of mapConcurrent(jobs, opts.concurrency, (job) => runJob(job, opts))) {
    yield* batch;
  }
}

async function runJob(job: ScanJob, opts: EngineOptions): Promise<TargetResult[]> {
  return opts.offload?.(job, () => runHere(job, opts)) ?? runHere(job, opts);
}

async function runHere(job: ScanJob, opts: EngineOptions): Promise<TargetResult[]> {
  const prepared = await job.run();
  return Promise.all(prepared.map((p) => detectTarget(p, opts)));
}

export async function detectTarget(prepared: PreparedTarget, opts: EngineOptions): Promise<TargetResult> {
  const { target } = prepared;
  const errors: ErrorEntry[] = [...(prepared.errors ?? [])];
  const signatures: SignatureResult[] = [];
  if (!prepared.skipDetection) {
    const ctx: DetectContext = {
      ...prepared.context,
      limits: opts.limits,
      log: opts.log,
      services: opts.services,
    };
    const candidates =
      typeof opts.detectors === 'function'
        ? await opts.detectors(target.kind, target.kind === 'file' ? target.format : undefined)
        : opts.detectors;
    const applicable = candidates.filter((d) => d.applies(target));
    await Promise.all(
      applicable.map(async (detector) => {
        try {
          for await (const evidence of detector.detect(target, ctx)) {
            signatures.push({ evidence, verdict: await opts.trust.evaluate(evidence, target) });
          }
        } catch (err) {
          errors.push({ ...describeError(err), source: detector.name });
        }
      }),
    );
  }
  signatures.sort((a, b) =>
    `${a.evidence.family}\0${a.evidence.location}`.localeCompare(
      `${b.evidence.family}\0${b.evidence.location}`,
    ),
  );
  return { target, status: targetStatus(signatures, errors), signatures, errors };
}
