import { readFile } from 'node:fs/promises';

import { DETECTORS } from '../detectors/index.js';
import { SigscanError } from '../errors.js';
import type { ErrorEntry, TargetResult } from '../model/index.js';
import { apiHost, parseScope } from '../oci/reference.js';
import { RegistryClient } from '../oci/registry/client.js';
import { resolveCredential } from '../oci/registry/credentials.js';
import { RequestStats } from '../oci/registry/stats.js';
import { HttpTransport } from '../oci/registry/transport.js';
import { fsJobs, newFsCounters } from '../sources/fs.js';
import { registryJobs } from '../sources/registry.js';
import { emptyTrustConfig, TrustEvaluator, type TrustConfig } from '../trust/index.js';
import { DEFAULT_LIMITS, type Limits } from '../util/limits.js';
import type { Shard } from '../util/shard.js';
import type { Logger } from '../util/logger.js';
import { runScan, type ScanJob } from './engine.js';
import type { ScanReport } from './report-model.js';

export interface CommonPlan {
  concurrency: number;
  limits?: Limits;
  log: Logger;
  /** The user's trust roots and policies; without them every signature is at most `unverified`. */
  trust?: TrustConfig;
  /** Called with each result as it finishes (progress, streaming output). */
  onResult?: (result: TargetResult) => void;
  /**
   * Keep every result in `ScanReport.results` (default). Streaming output (`-o ndjson`) turns this off so that
   * memory stays constant: results then only reach `onResult`.
   */
  retainResults?: boolean;
  /** This job's share when a fleet splits the scan (`--shard i/n`). */
  shard?: Shard;
}

export interface RepoScanPlan extends CommonPlan {
  target: string;
  repos?: string[];
  tags?: string[];
  username?: string;
  password?: string;
  dockerConfig?: string;
  caFile?: string;
  insecure?: boolean;
  plainHttp?: boolean;
  rps?: number;
  stats?: boolean;
  /** Tests shorten the backoff; users never need to. */
  retryBaseMs?: number;
}

export interface FsScanPlan extends CommonPlan {
  roots: string[];
  followSymlinks?: boolean;
  include?: string[];
  exclude?: string[];
}

export async function runRepoScan(plan: RepoScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scope = parseScope(plan.target);
  const scanErrors: ErrorEntry[] = [];
  if (plan.insecure) plan.log.warn('TLS certificate verification is OFF for this scan (--insecure)');
  const ca = plan.caFile ? await readCaFile(plan.caFile) : undefined;
  const credential = await resolveCredential(scope.registry, {
    username: plan.username,
    password: plan.password,
    dockerConfig: plan.dockerConfig,
  });
  const stats = new RequestStats();
  const transport = new HttpTransport({
    ca,
    insecure: plan.insecure,
    concurrency: plan.concurrency,
    rps: plan.rps,
    stats,
    retryBaseMs: plan.retryBaseMs,
  });
  const client = new RegistryClient({
    registry: scope.registry,
    apiHost: apiHost(scope.registry),
    plainHttp: plan.plainHttp,
    credential,
    transport,
    maxManifestBytes: limits.maxManifestBytes,
    maxPages: limits.maxPages,
  });
  try {
    const jobs = registryJobs(client, {
      scope,
      repos: plan.repos,
      tags: plan.tags,
      scanErrors,
      shard: plan.shard,
    });
    const results = await collect(jobs, plan, limits);
    return {
      command: 'repo',
      inputs: [plan.target],
      startedAt,
      finishedAt: new Date(),
      results,
      scanErrors,
      stats: plan.stats ? stats.snapshot() : undefined,
    };
  } finally {
    await transport.close();
  }
}

export async function runFsScan(plan: FsScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scanErrors: ErrorEntry[] = [];
  const counters = newFsCounters();
  const jobs = fsJobs({
    roots: plan.roots,
    followSymlinks: plan.followSymlinks,
    include: plan.include,
    exclude: plan.exclude,
    limits,
    scanErrors,
    counters,
    shard: plan.shard,
  });
  const results = await collect(jobs, plan, limits);
  return {
    command: 'fs',
    inputs: plan.roots,
    startedAt,
    finishedAt: new Date(),
    results,
    scanErrors,
    filesSkipped: counters.skipped,
  };
}

async function collect(
  jobs: AsyncIterable<ScanJob>,
  plan: CommonPlan,
  limits: Limits,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  for await (const result of runScan(jobs, {
    detectors: DETECTORS,
    trust: new TrustEvaluator(plan.trust ?? emptyTrustConfig()),
    concurrency: plan.concurrency,
    limits,
    log: plan.log,
  })) {
    if (plan.retainResults !== false) results.push(result);
    plan.onResult?.(result);
  }
  return results;
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new SigscanError('USAGE', `cannot read --ca-file ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
