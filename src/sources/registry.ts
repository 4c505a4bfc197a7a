import { describeError, isNotFound } from '../errors.js';
import type { ErrorEntry, ImageTarget } from '../model/index.js';
import type { OrphanSignature } from '../scan/report-model.js';
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
  /**
   * Report signed digests that no scanned tag points at (found through their `sha256-<hex>.sig`, `.att`
   * or referrer tags) as targets of their own, and signature tags whose subject is gone in `orphans`.
   * Only without a --tags filter: with one, every digest of an unselected tag would look untagged.
   */
  untagged?: boolean;
  orphans?: OrphanSignature[];
}

/** Tags that name digests (`sha256-<hex>`, `.sig`, `.att`, `.sbom`) are signatures and indexes, not images. */
const DIGEST_TAG = /^sha256-([0-9a-f]{64})(?:\..*)?$/;

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

  let tagsSelected = 0;
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
  const counted = countRepositories(repositories);
  const listed = mapConcurrent(counted.source, opts.listConcurrency ?? 4, async (repository) => {
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
    tagsSelected += tags.length;
    const resolved: Array<Promise<PreparedTarget[]>> = [];
    for (const tag of tags) {
      const job = tagJob(client, discovery, entry.repository, tag);
      yield {
        run: () => {
          const pending = job.run();
          resolved.push(pending);
          return pending;
        },
      };
    }
    if (opts.untagged && tagFilter.empty) {
      // Pulled after every tag job of the repository has started, so `resolved` is complete when it runs.
      yield untaggedJob(client, discovery, entry.repository, entry.tags, resolved, opts.orphans);
    }
  }
  if (!counted.failed) {
    const noMatch = (message: string) =>
      opts.scanErrors.push({ code: 'NO_MATCH', message, source: client.name });
    const where = scope.namespace ? `${client.name}/${scope.namespace}` : client.name;
    if (counted.count === 0 && (scope.namespace || !repoFilter.empty)) {
      const what = [
        scope.namespace ? `under ${where}` : `in ${where}`,
        repoFilter.empty ? '' : `matching --repos ${opts.repos!.join(',')}`,
      ]
        .filter(Boolean)
        .join(' ');
      noMatch(`no repository ${what}: check the name (a typo scans nothing)`);
    } else if (counted.count > 0 && tagsSelected === 0 && !tagFilter.empty) {
      noMatch(`no tag matching --tags ${opts.tags!.join(',')} in ${counted.count} repositories of ${where}`);
    }
  }
}

/** Counts what a repository source yields, and whether listing failed (then "no match" is not known). */
function countRepositories(source: AsyncIterable<string> & { failed?: () => boolean }) {
  const state = { count: 0, failed: false };
  async function* counting(): AsyncIterable<string> {
    for await (const repository of source) {
      state.count++;
      yield repository;
    }
    state.failed = source.failed?.() ?? false;
  }
  return {
    source: counting(),
    get count() {
      return state.count;
    },
    get failed() {
      return state.failed;
    },
  };
}

/**
 * Digests that only a signature or referrer tag names: after a tag moves, the old image and its
 * signature stay in the repository. Each that still exists is a target (`untagged`); a signature tag
 * whose subject manifest is gone is an orphan.
 */
function untaggedJob(
  client: RegistryClient,
  discovery: StoreDiscovery,
  repository: string,
  allTags: readonly string[],
  resolved: ReadonlyArray<Promise<PreparedTarget[]>>,
  orphans: OrphanSignature[] | undefined,
): ScanJob {
  return {
    run: async (): Promise<PreparedTarget[]> => {
      const subjects = new Map<string, string>();
      for (const tag of [...allTags].sort()) {
        const hex = DIGEST_TAG.exec(tag)?.[1];
        if (hex && !subjects.has(`sha256:${hex}`)) subjects.set(`sha256:${hex}`, tag);
      }
      if (subjects.size === 0) return [];
      const covered = new Set<string>();
      for (const outcome of await Promise.allSettled(resolved)) {
        if (outcome.status !== 'fulfilled') continue;
        for (const p of outcome.value) {
          if (p.target.kind !== 'image') continue;
          covered.add(p.target.digest);
          if (p.target.parent) covered.add(p.target.parent);
        }
      }
      const out: PreparedTarget[] = [];
      for (const [digest, tag] of subjects) {
        if (covered.has(digest)) continue;
        try {
          const { manifest } = await client.getManifest(repository, digest);
          // A signature on an attachment (an SBOM, an attestation, another signature) signs an artifact,
          // not an image: it is found again as a referrer of referrers, never reported as an image.
          const image = Array.isArray(manifest.manifests) || isImageConfig(manifest.config?.mediaType);
          if (manifest.subject || manifest.artifactType || !image) continue;
        } catch (err) {
          if (isNotFound(err)) {
            orphans?.push({ registry: client.name, repository, tag, subject: digest });
            continue;
          }
          // Could not tell whether it exists: an unknown target, never silently dropped.
        }
        const prepared = await tagJob(client, discovery, repository, digest).run();
        for (const p of prepared) {
          if (p.target.kind !== 'image' || covered.has(p.target.digest)) continue;
          covered.add(p.target.digest);
          out.push({ ...p, target: { ...p.target, untagged: true } });
        }
      }
      return out;
    },
  };
}

function selectRepositories(
  client: RegistryClient,
  source: AsyncIterable<string>,
  scope: ScanScope,
  filter: GlobSet,
  scanErrors: ErrorEntry[],
  shard: Shard | undefined,
): AsyncIterable<string> & { failed: () => boolean } {
  const prefix = scope.namespace ? `${scope.namespace}/` : undefined;
  let failed = false;
  const gen = (async function* () {
    try {
      for await (const repository of source) {
        if (prefix && repository !== scope.namespace && !repository.startsWith(prefix)) continue;
        if (!filter.empty && !filter.matches(repository)) continue;
        if (!inShard(repository, shard)) continue;
        yield repository;
      }
    } catch (err) {
      failed = true;
      const e = describeError(err);
      scanErrors.push({
        code: e.code,
        message: `cannot list repositories of ${client.name} (${e.message}); name a repository as host/name:tag instead`,
        source: client.name,
      });
    }
  })();
  return Object.assign(gen, { failed: () => failed });
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

const IMAGE_CONFIGS = new Set([
  'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.container.image.v1+json',
]);

function isImageConfig(mediaType: string | undefined): boolean {
  return mediaType !== undefined && IMAGE_CONFIGS.has(mediaType);
}
