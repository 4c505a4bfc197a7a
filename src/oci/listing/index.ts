import { SigscanError } from '../../errors.js';
import type { Credential } from '../registry/credentials.js';
import type { HttpTransport } from '../registry/transport.js';
import { DEFAULT_DOCKERHUB_API, listDockerHubRepositories } from './dockerhub.js';
import { readRepositoryFile } from './file.js';
import { DEFAULT_GITHUB_API, listGhcrRepositories } from './github.js';
import { apiBase } from './http.js';

export { listDockerHubRepositories, DEFAULT_DOCKERHUB_API } from './dockerhub.js';
export { listGhcrRepositories, DEFAULT_GITHUB_API } from './github.js';
export { parseRepositoryList, readRepositoryFile } from './file.js';
export { linkHeaderNext } from './http.js';

/** How `sigscan repo` finds repositories when `_catalog` is not the way (ECR, GAR, Docker Hub, GHCR). */
export interface ListingPlan {
  /** One repository per line (`--repos-from-file`). */
  reposFromFile?: string;
  /** A Docker Hub namespace or a GitHub organisation/user (`--org`). */
  org?: string;
  /** Hub API base; `SIGSCAN_DOCKERHUB_API`, then `https://hub.docker.com`. */
  dockerHubApi?: string;
  /** GitHub API base; `SIGSCAN_GITHUB_API`, then `https://api.github.com`. */
  githubApi?: string;
}

export interface ListingDeps {
  transport: HttpTransport;
  credential: () => Promise<Credential | undefined>;
  maxPages: number;
  env?: NodeJS.ProcessEnv;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
const GHCR = 'ghcr.io';

/**
 * The repository lister for this plan, or undefined for the registry's own `_catalog`. Usage problems (an
 * unreadable file, `--org` on a registry without a known API) are thrown here, before the scan starts;
 * listing failures surface while iterating.
 */
export async function openRepositoryListing(
  registry: string,
  plan: ListingPlan,
  deps: ListingDeps,
): Promise<AsyncIterable<string> | undefined> {
  if (plan.reposFromFile !== undefined && plan.org !== undefined) {
    throw new SigscanError('USAGE', '--repos-from-file and --org cannot be used together');
  }
  if (plan.reposFromFile !== undefined) {
    const names = await readRepositoryFile(plan.reposFromFile);
    return fromArray(names);
  }
  if (plan.org === undefined) return undefined;
  const env = deps.env ?? process.env;
  const org = plan.org.trim();
  if (!org) throw new SigscanError('USAGE', '--org is empty');
  const host = registry.toLowerCase();
  if (DOCKER_HUB.has(host)) {
    const base = plan.dockerHubApi ?? env.SIGSCAN_DOCKERHUB_API ?? DEFAULT_DOCKERHUB_API;
    const url = apiBase(base, 'the Docker Hub API URL');
    return lazy(async () =>
      listDockerHubRepositories({
        transport: deps.transport,
        base: url,
        namespace: org,
        credential: await deps.credential(),
        maxPages: deps.maxPages,
      }),
    );
  }
  if (host === GHCR) {
    const base = plan.githubApi ?? env.SIGSCAN_GITHUB_API ?? DEFAULT_GITHUB_API;
    const url = apiBase(base, 'the GitHub API URL');
    return lazy(async () =>
      listGhcrRepositories({
        transport: deps.transport,
        base: url,
        owner: org,
        credential: await deps.credential(),
        maxPages: deps.maxPages,
      }),
    );
  }
  throw new SigscanError(
    'USAGE',
    `--org lists repositories on docker.io and ghcr.io only, not ${registry}; use --repos-from-file there`,
  );
}

async function* fromArray(names: string[]): AsyncIterable<string> {
  yield* names;
}

async function* lazy(open: () => Promise<AsyncIterable<string>>): AsyncIterable<string> {
  yield* await open();
}
