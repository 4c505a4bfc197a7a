import { stat } from 'node:fs/promises';

import type { DetectServices } from '../detectors/detector.js';
import { detectorsFor } from '../detectors/index.js';
import { describeError, SigscanError } from '../errors.js';
import type { ErrorEntry, TargetResult, Workload } from '../model/index.js';
import { parseScope } from '../oci/reference.js';
import type { ListingPlan } from '../oci/listing/index.js';
import { StoreDiscovery } from '../oci/discovery.js';
import { OciLayoutStore } from '../oci/layout/store.js';
import { SkopeoDirStore } from '../oci/layout/skopeo-dir.js';
import { dockerArchiveTargets, isDockerArchive } from '../oci/layout/docker-archive.js';
import { DirectoryFiles, TarFiles } from '../oci/layout/files.js';
import { fsJobs, newFsCounters } from '../sources/fs.js';
import { checkScopeNames, imageScopes, normalizeImageRef, scopeKey } from '../sources/image-list.js';
import { registryJobs, storeTagJobs, tagJob } from '../sources/registry.js';
import type { HttpTransport } from '../oci/registry/transport.js';
import { TagMovedCheck } from '../sources/tag-moved.js';
// Not the trust barrel: it loads the chain code (pkijs), which only a file with a signature needs.
import { emptyTrustConfig, type TrustConfig } from '../trust/config.js';
import { chainCacheStats } from '../trust/chain-caches.js';
import { TrustEvaluator } from '../trust/evaluator.js';
import type { OnlineRevocation } from '../trust/revocation/check.js';
import { DEFAULT_LIMITS, type Limits } from '../util/limits.js';
import { inShard, type Shard } from '../util/shard.js';
import type { Logger } from '../util/logger.js';
import { TOOL_VERSION } from '../version.js';
import { CoverageTracker } from './coverage.js';
import { runScan, type EngineOptions, type ScanJob } from './engine.js';
import { loadPlugins, pluginDetectors, pluginVerifiers, type LoadedPlugin } from '../plugin/index.js';
import { FAMILY_VERIFIERS } from '../trust/families/index.js';
import { usePluginSidecars } from '../sources/sidecars.js';
import { stopOnAbort } from './interrupt.js';
import type { ScanReport } from './report-model.js';
import { onlineRevocationFor } from './revocation-fetch.js';
import { describeTrustInputs } from './trust-inputs.js';

export interface CommonPlan {
  concurrency: number;
  limits?: Limits;
  log: Logger;
  /** The user's trust roots and policies; without them every signature is at most `unverified`. */
  trust?: TrustConfig;
  /** Called with each result as it finishes (progress, streaming output). */
  onResult?: (result: TargetResult) => void;
  /** Called when a source knows how many top-level targets it will scan (progress: done/total, ETA). */
  onTotal?: (total: number) => void;
  /**
   * Keep every result in `ScanReport.results` (default). Streaming output (`-o ndjson`) turns this off so that
   * memory stays constant: results then only reach `onResult`.
   */
  retainResults?: boolean;
  /** This job's share when a fleet splits the scan (`--shard i/n`). */
  shard?: Shard;
  /** Plugin families (built-in ones and `--plugin` modules); the built-in ones when absent. */
  plugins?: LoadedPlugin[];
  /**
   * Aborted on SIGINT/SIGTERM: no new target starts, in-flight ones get a grace period, and the report
   * covers what finished, marked `interrupted`.
   */
  signal?: AbortSignal;
  /** Grace for in-flight targets after `signal` aborts (default 1500 ms; the CLI promises 2 s in all). */
  graceMs?: number;
  /** Names this run in every output line; made by the caller so that streaming output can carry it. */
  scanId?: string;
}

/** How to reach registries: credentials, TLS, pacing. */
export interface RegistryAccess {
  username?: string;
  password?: string;
  dockerConfig?: string;
  caFile?: string;
  insecure?: boolean;
  plainHttp?: boolean;
  rps?: number;
  /** `--timeout`: headers, body silence and connection (at most 10 s); a whole response may take 4 times it. */
  timeoutMs?: number;
  /** `--auth-realm-host`: token realm hosts trusted with credentials besides the registry's host and domain. */
  authRealmHosts?: string[];
  stats?: boolean;
  /** Tests shorten the backoff; users never need to. */
  retryBaseMs?: number;
  /** Notary v1 server holding Docker Content Trust data for these images. */
  notaryServer?: string;
  /** Read signatures in manifest annotations (ir-sign): one manifest GET per image. */
  annotationSignatures?: boolean;
}

export interface RepoScanPlan extends CommonPlan, RegistryAccess, ListingPlan {
  target: string;
  repos?: string[];
  tags?: string[];
  /** Report signed digests no tag points at, and orphan signatures (default true; --no-untagged). */
  untagged?: boolean;
}

export interface ImagesScanPlan extends CommonPlan, RegistryAccess {
  /** Image references as people and `kubectl` write them (`nginx:1.25`, `ghcr.io/o/a@sha256:...`). */
  images: string[];
  /** From kubectl JSON: the workload containers that run each reference (keyed by the reference). */
  workloads?: ReadonlyArray<{ ref: string; workload: Workload }>;
}

export interface FsScanPlan extends CommonPlan {
  roots: string[];
  /** Scan archives inside JAR-family files as targets of their own (default true). */
  nested?: boolean;
  followSymlinks?: boolean;
  include?: string[];
  exclude?: string[];
  /** PE images over this many bytes are read by ranges (default sources/fs STREAM_THRESHOLD; tests lower it). */
  streamThreshold?: number;
  /** PE images within the file-size limit over this many bytes are read by ranges (default 0: all; tests raise it). */
  peStreamThreshold?: number;
  /**
   * `--jobs`: threads checking files (default 1: in-process). Above 1, the main thread and jobs-1 worker
   * threads (scan/pool.ts) share the file jobs, unless the scan needs the main thread (see fsPoolFor).
   */
  jobs?: number;
}

export async function runRepoScan(plan: RepoScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scope = parseScope(plan.target);
  checkScopeNames(scope, plan.target);
  const scanErrors: ErrorEntry[] = [];
  const orphans: NonNullable<ScanReport['orphans']> = [];
  const { openRegistryAccess } = await import('./registry-access.js');
  const { openRepositoryListing } = await import('../oci/listing/index.js');
  const access = await openRegistryAccess(plan, limits, [scope.registry]);
  try {
    const client = await access.client(scope.registry);
    const repositories = await openRepositoryListing(scope.registry, plan, {
      transport: access.transport,
      credential: () => access.credential(scope.registry),
      maxPages: limits.maxPages,
    });
    const jobs = registryJobs(client, {
      scope,
      repositories,
      repos: plan.repos,
      tags: plan.tags,
      scanErrors,
      shard: plan.shard,
      untagged: plan.untagged !== false,
      orphans,
    });
    const run = await collect(jobs, plan, limits, access.coverage, access.services, access.transport);
    return {
      command: 'repo',
      inputs: [plan.target],
      startedAt,
      finishedAt: new Date(),
      results: run.results,
      scanErrors,
      stats: plan.stats ? access.stats.snapshot() : undefined,
      ...(await describeScan(plan, run, access.trustDefaults)),
      ...(plan.untagged !== false ? { orphans } : {}),
    };
  } finally {
    await closeAccess(access, plan.signal);
  }
}

/** An image list (or a cluster's pods): each image in its own registry, every registry shared by its images. */
export async function runImagesScan(plan: ImagesScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scopes = imageScopes(plan.images).filter((s) => inShard(`${s.registry}/${s.repository}`, plan.shard));
  plan.onTotal?.(scopes.length);
  const { openRegistryAccess } = await import('./registry-access.js');
  const workloads = new Map<string, Workload[]>();
  for (const { ref, workload } of plan.workloads ?? []) {
    const key = scopeKey(normalizeImageRef(ref));
    workloads.set(key, [...(workloads.get(key) ?? []), workload]);
  }
  const access = await openRegistryAccess(
    plan,
    limits,
    scopes.map((s) => s.registry),
  );
  try {
    const discoveries = new Map<string, StoreDiscovery>();
    const tagMoved = new TagMovedCheck();
    async function* jobs(): AsyncIterable<ScanJob> {
      for (const scope of scopes) {
        const client = await access.client(scope.registry);
        const key = `${scope.registry}/${scope.repository}`;
        let discovery = discoveries.get(key);
        if (!discovery) {
          discovery = new StoreDiscovery(client, scope.repository!);
          discoveries.set(key, discovery);
        }
        const job = tagJob(
          client,
          discovery,
          scope.repository!,
          scope.digest ?? scope.tag!,
          scope.digest ? scope.tag : undefined,
        );
        const runs = workloads.get(scopeKey(scope));
        if (!runs) {
          yield job;
          continue;
        }
        const { digest: running, tag } = scope;
        yield {
          run: async () => {
            const [prepared, moved] = await Promise.all([
              job.run(),
              running && tag ? tagMoved.check(client, scope.repository!, tag, running) : undefined,
            ]);
            return prepared.map((p) =>
              p.target.kind === 'image'
                ? {
                    ...p,
                    target: {
                      ...p.target,
                      workloads: runs,
                      // The running digest gets it, not the platform manifests under it.
                      ...(moved && p.target.digest === running && !p.target.platform
                        ? { findings: [moved] }
                        : {}),
                    },
                  }
                : p,
            );
          },
        };
      }
    }
    const run = await collect(jobs(), plan, limits, access.coverage, access.services, access.transport);
    return {
      command: 'images',
      inputs: plan.images,
      startedAt,
      finishedAt: new Date(),
      results: run.results,
      scanErrors: [],
      stats: plan.stats ? access.stats.snapshot() : undefined,
      ...(await describeScan(plan, run, access.trustDefaults)),
    };
  } finally {
    await closeAccess(access, plan.signal);
  }
}

export interface LayoutScanPlan extends CommonPlan {
  /** OCI layout directories, OCI archive tarballs, or `docker save` tarballs. */
  paths: string[];
}

/** OCI layouts and archives on disk, through the same OCI interface and detectors as a registry. */
export async function runLayoutScan(plan: LayoutScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scanErrors: ErrorEntry[] = [];
  const stores: Array<OciLayoutStore | SkopeoDirStore> = [];
  async function* jobs(): AsyncIterable<ScanJob> {
    for (const path of plan.paths) {
      let store: OciLayoutStore;
      try {
        const info = await stat(path);
        const archive = info.isDirectory() ? new DirectoryFiles(path) : await TarFiles.open(path);
        if (await isDockerArchive(archive, limits.maxManifestBytes)) {
          const targets = await dockerArchiveTargets(path, archive, limits.maxManifestBytes);
          yield { run: async () => targets };
          continue;
        }
        if (info.isDirectory() && (await SkopeoDirStore.isDirLayout(path))) {
          const dir = new SkopeoDirStore(path, limits.maxManifestBytes);
          stores.push(dir);
          yield tagJob(dir, new StoreDiscovery(dir, ''), '', await dir.manifestDigest());
          continue;
        }
        if (info.isDirectory()) {
          if (!(await OciLayoutStore.isLayout(path))) {
            throw new SigscanError(
              'FORMAT_MISMATCH',
              `${path} is not an OCI image layout (no oci-layout file)`,
            );
          }
          store = new OciLayoutStore(path, limits.maxManifestBytes);
        } else {
          store = new OciLayoutStore(path, limits.maxManifestBytes, archive);
        }
        stores.push(store);
        yield* await storeTagJobs(store);
      } catch (err) {
        scanErrors.push({ ...describeError(err), source: path });
      }
    }
  }
  try {
    const run = await collect(jobs(), plan, limits, new CoverageTracker({ source: 'layout' }));
    return {
      command: 'layout',
      inputs: plan.paths,
      startedAt,
      finishedAt: new Date(),
      results: run.results,
      scanErrors,
      ...(await describeScan(plan, run)),
    };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}

export async function runFsScan(plan: FsScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const base = plan.limits ?? DEFAULT_LIMITS;
  const limits = plan.nested === false ? { ...base, maxNestingDepth: 0 } : base;
  const scanErrors: ErrorEntry[] = [];
  const counters = newFsCounters();
  const plugins = plan.plugins ?? (await loadPlugins());
  const restoreSidecars = usePluginSidecars(
    plugins.flatMap((p) =>
      p.families.flatMap((f) => (f.spec.sidecarSuffixes ?? []).map((s) => [s, f.spec.family] as const)),
    ),
  );
  // One verification instant for the main thread and every worker, as one evaluator would have.
  const now = new Date();
  const pool = await fsPoolFor(plan, plugins, limits, now, {
    skipped: (n) => (counters.skipped += n),
    bytesRead: (n) => (counters.bytesRead += n),
    scanErrors: (entries) => scanErrors.push(...entries),
  });
  const jobs = fsJobs({
    roots: plan.roots,
    followSymlinks: plan.followSymlinks,
    include: plan.include,
    exclude: plan.exclude,
    limits,
    scanErrors,
    counters,
    shard: plan.shard,
    streamThreshold: plan.streamThreshold,
    peStreamThreshold: plan.peStreamThreshold,
    // The pool decides from what the walk queues whether its workers are worth starting.
    ...(pool ? { watch: pool.watch } : {}),
  });
  const run = await collect(
    jobs,
    {
      ...plan,
      plugins,
      ...(pool ? { trust: { ...(plan.trust ?? emptyTrustConfig()), at: plan.trust?.at ?? now } } : {}),
    },
    limits,
    new CoverageTracker({ source: 'fs' }),
    undefined,
    undefined,
    pool?.offload,
  ).finally(async () => {
    restoreSidecars();
    if (pool) {
      logPoolStats(plan.log, [{ jobs: pool.mainJobs, ...chainCacheStats() }, ...(await pool.close())]);
    }
  });
  return {
    command: 'fs',
    inputs: plan.roots,
    startedAt,
    finishedAt: new Date(),
    results: run.results,
    scanErrors,
    filesSkipped: counters.skipped,
    ...(await describeScan(plan, run)),
  };
}

/**
 * The worker pool for an fs scan, or undefined to scan in-process. In-process when: --jobs 1; online
 * revocation (its fetches, cache and --rps pacing live on the main thread); --plugin modules or
 * --plugin-opt (a worker loads the built-in plugins only); trust given as a config without the flags it
 * came from (library callers); only files named as roots (a worker's start-up costs more than it saves).
 */
async function fsPoolFor(
  plan: FsScanPlan,
  plugins: LoadedPlugin[],
  limits: Limits,
  now: Date,
  sink: import('./pool.js').PoolSink,
): Promise<import('./pool.js').FilePool | undefined> {
  const size = plan.jobs ?? 1;
  if (size <= 1) return undefined;
  const trust = plan.trust;
  if (trust && (trust.revocation === 'online' || trust.revocation === 'online-strict' || !trust.input))
    return undefined;
  if (plugins.some((p) => !p.builtin || p.families.some((f) => Object.keys(f.options).length > 0)))
    return undefined;
  const dirs = await Promise.all(
    plan.roots.map((r) =>
      stat(r).then(
        (i) => i.isDirectory(),
        () => false,
      ),
    ),
  );
  if (!dirs.some(Boolean)) return undefined;
  const { FilePool } = await import('./pool.js');
  // The main thread is one of the `size` threads: it keeps its share of the jobs in flight.
  return FilePool.open(
    size - 1,
    Math.max(1, Math.floor(plan.concurrency / size)),
    {
      trust: trust?.input,
      now: now.getTime(),
      limits,
      streamThreshold: plan.streamThreshold,
      peStreamThreshold: plan.peStreamThreshold,
    },
    sink,
    plan.log,
  );
}

/** Per thread (the main thread first): files checked and chain cache hits, for `-v` and the bench. */
function logPoolStats(log: Logger, stats: import('./worker-protocol.js').WorkerStats[]): void {
  const rate = (c: { hits: number; misses: number }) =>
    `${c.hits}/${c.hits + c.misses}${c.hits + c.misses ? ` (${Math.round((100 * c.hits) / (c.hits + c.misses))}%)` : ''}`;
  stats.forEach((s, i) =>
    log.info(
      `--jobs ${i ? `worker ${i}` : 'main thread'}: ${s.jobs} files; chain path cache hits ${rate(s.pathSearches)}, signature check cache hits ${rate(s.signatureChecks)}`,
    ),
  );
}

interface CollectedRun {
  results: TargetResult[];
  interrupted: boolean;
  coverage: CoverageTracker;
}

async function collect(
  jobs: AsyncIterable<ScanJob>,
  plan: CommonPlan,
  limits: Limits,
  coverage: CoverageTracker,
  services?: DetectServices,
  transport?: HttpTransport,
  offload?: EngineOptions['offload'],
): Promise<CollectedRun> {
  const trust = plan.trust ?? emptyTrustConfig();
  const revocation = await onlineRevocationFor(trust, transport);
  try {
    return await collectWith(jobs, plan, limits, coverage, services, revocation.client, offload);
  } finally {
    await revocation.close();
  }
}

async function collectWith(
  jobs: AsyncIterable<ScanJob>,
  plan: CommonPlan,
  limits: Limits,
  coverage: CoverageTracker,
  services: DetectServices | undefined,
  onlineRevocation: OnlineRevocation | undefined,
  offload?: EngineOptions['offload'],
): Promise<CollectedRun> {
  const results: TargetResult[] = [];
  const plugins = plan.plugins ?? (await loadPlugins());
  const fromPlugins = pluginDetectors(plugins);
  const trust = plan.trust ?? emptyTrustConfig();
  const signal = plan.signal;
  const iterator = runScan(signal ? stopOnAbort(jobs, signal) : jobs, {
    detectors: async (kind, format) => [...(await detectorsFor(kind, format)), ...fromPlugins],
    trust: new TrustEvaluator(
      trust,
      { ...FAMILY_VERIFIERS, ...pluginVerifiers(plugins, trust) },
      onlineRevocation,
    ),
    concurrency: plan.concurrency,
    limits,
    log: plan.log,
    services,
    offload,
  })[Symbol.asyncIterator]();
  // After an interrupt, in-flight targets get a grace period; then the scan ends without them.
  let cutoff: Promise<'cutoff'> | undefined;
  const graceEnded = (): Promise<'cutoff'> =>
    (cutoff ??= new Promise((resolve) => setTimeout(() => resolve('cutoff'), plan.graceMs ?? 1500).unref()));
  const aborted = signal
    ? new Promise<'aborted'>((resolve) =>
        signal.aborted ? resolve('aborted') : signal.addEventListener('abort', () => resolve('aborted')),
      )
    : undefined;
  for (;;) {
    const next = iterator.next();
    let step: IteratorResult<TargetResult> | 'cutoff' | 'aborted' = await (aborted
      ? Promise.race([next, aborted])
      : next);
    if (step === 'aborted') step = await Promise.race([next, graceEnded()]);
    if (step === 'cutoff' || step.done) break;
    const result = step.value;
    coverage.add(result.target);
    if (plan.retainResults !== false) results.push(result);
    plan.onResult?.(result);
  }
  return { results, interrupted: signal?.aborted ?? false, coverage };
}

/** What the report says about itself: id, version, verification time, trust inputs, coverage. */
async function describeScan(
  plan: CommonPlan,
  run: CollectedRun,
  trustDefaults: ReadonlyArray<{ kind: string; path: string; default?: boolean }> = [],
): Promise<Partial<ScanReport>> {
  const coverage = await run.coverage.finish();
  return {
    scanId: plan.scanId,
    toolVersion: TOOL_VERSION,
    ...(plan.trust?.at ? { at: plan.trust.at } : {}),
    trust: await describeTrustInputs([...(plan.trust?.sources ?? []), ...trustDefaults]),
    ...(plan.trust
      ? { revocation: { mode: plan.trust.revocation ?? 'offline', crls: plan.trust.crls?.length ?? 0 } }
      : {}),
    ...(plan.trust?.insecureIgnoreTlog ? { insecureIgnoreTlog: true as const } : {}),
    checked: coverage.checked,
    notChecked: coverage.notChecked,
    interrupted: run.interrupted,
  };
}

/** After an interrupt, requests still in flight must not hold the report back. */
async function closeAccess(access: { close(): Promise<void> }, signal: AbortSignal | undefined) {
  if (!signal?.aborted) return access.close();
  await Promise.race([
    access.close().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, 500).unref()),
  ]);
}
