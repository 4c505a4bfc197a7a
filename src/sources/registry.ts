import { describeError } from '../errors.js';
import type { ErrorEntry, ImageTarget } from '../model/index.js';
import { StoreDiscovery } from '../oci/discovery.js';
import type { ScanScope } from '../oci/reference.js';
import type { RegistryClient } from '../oci/registry/client.js';
import { isIndexMediaType, type Descriptor, type OciStore } from '../oci/types.js';
import type { PreparedTarget, ScanJob } from './job.js';
import { mapConcurrent } from '../util/concurrency.js';
import { GlobSet } from '../util/glob.js';
import { inShard, type Shard } from '../util/shard.js';

export interface RegistrySourceOptions {
  scope: ScanScope;
  repos?: string[];
  tags?: string[];
  /** Scan-level problems (the catalog is denied, the registry is unreachable) land here. */
  scanErrors: ErrorEntry[];
  /** Only the repositories this job owns when a fleet splits the registry. */
  shard?: Shard;
  /** Repositories whose tag lists are fetched ahead of the detection work. */
  listConcurrency?: number;
  /**
   * Where repositories come from instead of `GET /v2/_catalog` (`--repos-from-file`, `--org`); the
   * namespace, `--repos` and shard filters still apply.
   */
  repositories?: AsyncIterable<string>;
}

/** Tags that name digests (`sha256-<hex>`, `.sig`, `.att`, `.sbom`) are signatures and indexes, not images. */
const DIGEST_TAG = /^sha256-[0-9a-f]{64}(?:\..*)?$/;

/**
 * One job per image tag of a store that holds a single repository (an OCI layout or archive); digest tags
 * are signatures and referrer indexes, found again by the detectors, not images. Throws when the store
 * cannot list its tags.
 */
export async function storeTagJobs(store: OciStore): Promise<ScanJob[]> {
  const discovery = new StoreDiscovery(store, '');
  const tags = (await store.listTags('')).filter((t) => !DIGEST_TAG.test(t));
  return tags.map((tag) => tagJob(store, discovery, '', tag));
}

/** Docker buildx stores provenance as index children; they are attachments, not platforms to report. */
const ATTESTATION_CHILD = 'attestation-manifest';

export async function* registryJobs(
  client: RegistryClient,
  opts: RegistrySourceOptions,
): AsyncIterable<ScanJob> {
  const { scope } = opts;
  try {
    await client.checkReachable();
  } catch (err) {
    opts.scanErrors.push({ ...describeError(err), source: client.name });
    return;
  }

  if (scope.repository && (scope.tag || scope.digest)) {
    const discovery = new StoreDiscovery(client, scope.repository);
    yield tagJob(
      client,
      discovery,
      scope.repository,
      scope.digest ?? scope.tag!,
      scope.digest ? scope.tag : undefined,
    );
    return;
  }

  const repoFilter = new GlobSet(opts.repos);
  const tagFilter = new GlobSet(opts.tags);
  const repositories = selectRepositories(
    client,
    opts.repositories ?? client.listRepositories(),
    scope,
    repoFilter,
    opts.scanErrors,
    opts.shard,
  );
  const listed = mapConcurrent(repositories, opts.listConcurrency ?? 4, async (repository) => {
    try {
      return { repository, tags: await client.listTags(repository) };
    } catch (err) {
      return { repository, error: describeError(err) };
    }
  });
  for await (const entry of listed) {
    if ('error' in entry) {
      yield failedJob(client, entry.repository, undefined, entry.error!);
      continue;
    }
    const discovery = new StoreDiscovery(client, entry.repository);
    const tags = entry.tags
      .filter((t) => !DIGEST_TAG.test(t) && (tagFilter.empty || tagFilter.matches(t)))
      .sort();
    for (const tag of tags) yield tagJob(client, discovery, entry.repository, tag);
  }
}

async function* selectRepositories(
  client: RegistryClient,
  source: AsyncIterable<string>,
  scope: ScanScope,
  filter: GlobSet,
  scanErrors: ErrorEntry[],
  shard: Shard | undefined,
): AsyncIterable<string> {
  const prefix = scope.namespace ? `${scope.namespace}/` : undefined;
  try {
    for await (const repository of source) {
      if (prefix && repository !== scope.namespace && !repository.startsWith(prefix)) continue;
      if (!filter.empty && !filter.matches(repository)) continue;
      if (!inShard(repository, shard)) continue;
      yield repository;
    }
  } catch (err) {
    const e = describeError(err);
    scanErrors.push({
      code: e.code,
      message: `cannot list repositories of ${client.name} (${e.message}); name a repository as host/name:tag instead`,
      source: client.name,
    });
  }
}

function failedJob(
  client: OciStore,
  repository: string,
  tag: string | undefined,
  error: ErrorEntry,
): ScanJob {
  return {
    run: async () => [{ target: unresolved(client, repository, tag), errors: [error], skipDetection: true }],
  };
}

function unresolved(client: OciStore, repository: string, tag: string | undefined): ImageTarget {
  return { kind: 'image', registry: client.name, repository, tag, digest: '', mediaType: '' };
}

/** Resolves one tag (HEAD); an index becomes itself plus one target per platform manifest. */
export function tagJob(
  client: OciStore,
  discovery: StoreDiscovery,
  repository: string,
  reference: string,
  tag?: string,
): ScanJob {
  const isDigestRef = reference.includes(':');
  const label = isDigestRef ? tag : reference;
  return {
    run: async (): Promise<PreparedTarget[]> => {
      let descriptor: Descriptor;
      try {
        descriptor = await client.resolve(repository, reference);
      } catch (err) {
        return [
          {
            target: unresolved(client, repository, label),
            errors: [describeError(err)],
            skipDetection: true,
          },
        ];
      }
      const context = { oci: client, discovery };
      const base: ImageTarget = {
        kind: 'image',
        registry: client.name,
        repository,
        tag: label,
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        size: descriptor.size,
      };
      if (!isIndexMediaType(descriptor.mediaType)) return [{ target: base, context }];

      let children: Descriptor[];
      try {
        const index = await client.getManifest(repository, descriptor.digest);
        children = (index.manifest.manifests ?? []).filter(
          (m) => m.annotations?.['vnd.docker.reference.type'] !== ATTESTATION_CHILD,
        );
      } catch (err) {
        return [{ target: base, context, errors: [describeError(err)] }];
      }
      return [
        { target: base, context },
        ...children.map((child) => ({
          target: {
            ...base,
            digest: child.digest,
            mediaType: child.mediaType,
            size: child.size,
            platform: platformString(child),
            parent: descriptor.digest,
          } satisfies ImageTarget,
          context,
        })),
      ];
    },
  };
}

function platformString(d: Descriptor): string {
  const p = d.platform;
  if (!p?.os && !p?.architecture) return 'unknown';
  return [p.os ?? 'unknown', p.architecture ?? 'unknown', p.variant].filter(Boolean).join('/');
}
