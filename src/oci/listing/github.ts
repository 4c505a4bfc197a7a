import { SigscanError } from '../../errors.js';
import type { Credential } from '../registry/credentials.js';
import type { HttpTransport } from '../registry/transport.js';
import { apiPages, linkHeaderNext } from './http.js';

export const DEFAULT_GITHUB_API = 'https://api.github.com';

export interface GhcrListingOptions {
  transport: HttpTransport;
  /** `https://api.github.com` unless a test or GitHub Enterprise says otherwise. */
  base: URL;
  /** Organisation, or user when the organisation endpoint answers 404. */
  owner: string;
  /** The registry password is the token (a PAT with `read:packages`). */
  credential?: Credential;
  maxPages: number;
}

const SERVICE = 'the GitHub API';

/**
 * The container packages of a GitHub organisation (or user) as GHCR repositories `<owner>/<package>`, through
 * `GET /orgs/<owner>/packages?package_type=container` (then `/users/<owner>/packages` on 404), paginated by
 * the `Link` header on the same host.
 */
export async function* listGhcrRepositories(opts: GhcrListingOptions): AsyncIterable<string> {
  const owner = opts.owner;
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(owner) || owner.length > 39) {
    throw new SigscanError('USAGE', `--org "${owner}" is not a GitHub organisation or user name`);
  }
  const token = opts.credential?.password ?? opts.credential?.registryToken;
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
  };
  if (token) headers.authorization = `Bearer ${token}`;
  const source = token ? opts.credential?.source : undefined;
  const what = `GitHub container packages of ${owner}`;
  const query = '/packages?package_type=container&per_page=100';
  const first = [`/orgs/${owner}${query}`, `/users/${owner}${query}`];

  const pages = apiPages({
    transport: opts.transport,
    base: opts.base,
    firstPaths: first,
    headers,
    maxPages: opts.maxPages,
    what,
    service: SERVICE,
    source,
    notFound: `GitHub has no organisation or user ${owner}`,
    next: (res) => linkHeaderNext(res),
  });
  for await (const body of pages) {
    if (!Array.isArray(body)) throw new SigscanError('REGISTRY_ERROR', `${what}: the answer is not a list`);
    for (const pkg of body as Array<{ name?: unknown }>) {
      if (typeof pkg?.name !== 'string' || !pkg.name) continue;
      yield `${owner}/${decodeName(pkg.name)}`.toLowerCase();
    }
  }
}

/** Package names with a slash come back percent-encoded (`app%2Fweb`). */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}
