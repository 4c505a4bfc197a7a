import { stat } from 'node:fs/promises';

import type { DetectServices } from '../detectors/detector.js';
import { detectorsFor } from '../detectors/index.js';
import { describeError, SigscanError } from '../errors.js';
import type { ErrorEntry, TargetResult } from '../model/index.js';
import { parseScope } from '../oci/reference.js';
import type { ListingPlan } from '../oci/listing/index.js';
import { StoreDiscovery } from '../oci/discovery.js';
import { OciLayoutStore } from '../oci/layout/store.js';
import { fsJobs, newFsCounters } from '../sources/fs.js';
import { imageScopes } from '../sources/image-list.js';
import { registryJobs, storeTagJobs, tagJob } from '../sources/registry.js';
import { emptyTrustConfig, TrustEvaluator, type TrustConfig } from '../trust/index.js';
import { DEFAULT_LIMITS, type Limits } from '../util/limits.js';
import { inShard, type Shard } from '../util/shard.js';
import type { Logger } from '../util/logger.js';
import { runScan, type ScanJob } from './engine.js';
import { loadPlugins, pluginDetectors, pluginVerifiers, type LoadedPlugin } from '../plugin/index.js';
import { FAMILY_VERIFIERS } from '../trust/families/index.js';
import { usePluginSidecars } from '../sources/sidecars.js';
import type { ScanReport } from './report-model.js';

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
}

export interface ImagesScanPlan extends CommonPlan, RegistryAccess {
  /** Image references as people and `kubectl` write them (`nginx:1.25`, `ghcr.io/o/a@sha256:...`). */
  images: string[];
}

export interface FsScanPlan extends CommonPlan {
  roots: string[];
  /** Scan archives inside JAR-family files as targets of their own (default true). */
  nested?: boolean;
  followSymlinks?: boolean;
  include?: string[];
  exclude?: string[];
}

export async function runRepoScan(plan: RepoScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scope = parseScope(plan.target);
  const scanErrors: ErrorEntry[] = [];
  const { openRegistryAccess } = await import('./registry-access.js');
  const { openRepositoryListing } = await import('../oci/listing/index.js');
  const access = await openRegistryAccess(plan, limits);
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
    });
    const results = await collect(jobs, plan, limits, access.services);
    return {
      command: 'repo',
      inputs: [plan.target],
      startedAt,
      finishedAt: new Date(),
      results,
      scanErrors,
      stats: plan.stats ? access.stats.snapshot() : undefined,
    };
  } finally {
    await access.close();
  }
}

/** An image list (or a cluster's pods): each image in its own registry, every registry shared by its images. */
export async function runImagesScan(plan: ImagesScanPlan): Promise<ScanReport> {
  const startedAt = new Date();
  const limits = plan.limits ?? DEFAULT_LIMITS;
  const scopes = imageScopes(plan.images).filter((s) => inShard(`${s.registry}/${s.repository}`, plan.shard));
  plan.onTotal?.(scopes.length);
  const { openRegistryAccess } = await import('./registry-access.js');
  const access = await openRegistryAccess(plan, limits);
  try {
    const discoveries = new Map<string, StoreDiscovery>();
    async function* jobs(): AsyncIterable<ScanJob> {
      for (const scope of scopes) {
        const client = await access.client(scope.registry);
        const key = `${scope.registry}/${scope.repository}`;
        let discovery = discoveries.get(key);
        if (!discovery) {
          discovery = new StoreDiscovery(client, scope.repository!);
          discoveries.set(key, discovery);
        }
        yield tagJob(
          client,
          discovery,
          scope.repository!,
          scope.digest ?? scope.tag!,
          scope.digest ? scope.tag : undefined,
        );
      }
    }
    const results = await collect(jobs(), plan, limits, access.services);
    return {
      command: 'images',
      inputs: plan.images,
      startedAt,
      finishedAt: new Date(),
      results,
      scanErrors: [],
      stats: plan.stats ? access.stats.snapshot() : undefined,
    };
  } finally {
    await access.close();
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
  const stores: OciLayoutStore[] = [];
  async function* jobs(): AsyncIterable<ScanJob> {
    for (const path of plan.paths) {
      let store: OciLayoutStore;
      try {
        const info = await stat(path);
        if (info.isDirectory()) {
          if (!(await OciLayoutStore.isLayout(path))) {
            throw new SigscanError(
              'FORMAT_MISMATCH',
              `${path} is not an OCI image layout (no oci-layout file)`,
            );
          }
          store = new OciLayoutStore(path, limits.maxManifestBytes);
        } else {
          store = await OciLayoutStore.fromTar(path, limits.maxManifestBytes);
        }
        stores.push(store);
        yield* await storeTagJobs(store);
      } catch (err) {
        scanErrors.push({ ...describeError(err), source: path });
      }
    }
  }
  try {
    const results = await collect(jobs(), plan, limits);
    return { command: 'layout', inputs: plan.paths, startedAt, finishedAt: new Date(), results, scanErrors };
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
  const results = await collect(jobs, { ...plan, plugins }, limits).finally(restoreSidecars);
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
  services?: DetectServices,
): Promise<TargetResult[]> {
  const results: TargetResult[] = [];
  const plugins = plan.plugins ?? (await loadPlugins());
  const fromPlugins = pluginDetectors(plugins);
  const trust = plan.trust ?? emptyTrustConfig();
  for await (const result of runScan(jobs, {
    detectors: async (kind) => [...(await detectorsFor(kind)), ...fromPlugins],
    trust: new TrustEvaluator(trust, { ...FAMILY_VERIFIERS, ...pluginVerifiers(plugins, trust) }),
    concurrency: plan.concurrency,
    limits,
    log: plan.log,
    services,
  })) {
    if (plan.retainResults !== false) results.push(result);
    plan.onResult?.(result);
  }
  return results;
}
