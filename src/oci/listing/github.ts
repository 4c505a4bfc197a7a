import { isNotFound, SigscanError } from '../../errors.js';
import type { Credential } from '../registry/credentials.js';
import type { HttpTransport } from '../registry/transport.js';
import {
  apiUrl,
  expectApiOk,
  linkHeaderNext,
  MAX_API_PAGE_BYTES,
  parseApiJson,
  samePageOrigin,
} from './http.js';

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

  let url: URL | undefined;
  let listed = false;
  const seen = new Set<string>();
  for (let page = 0; ; page++) {
    if (!url) url = apiUrl(opts.base, first.shift()!);
    if (page >= opts.maxPages || seen.has(url.href)) {
      throw new SigscanError('REGISTRY_ERROR', `${what}: pagination does not end (a Link loop?)`);
    }
    seen.add(url.href);
    const res = await opts.transport.send({
      method: 'GET',
      url,
      headers,
      kind: 'catalog',
      maxBytes: MAX_API_PAGE_BYTES,
    });
    if (res.status === 404 && !listed && first.length > 0) {
      url = undefined;
      continue;
    }
    try {
      expectApiOk(res, what, SERVICE, source);
    } catch (err) {
      if (isNotFound(err) && !listed) {
        throw new SigscanError('NOT_FOUND', `${what}: GitHub has no organisation or user ${owner}`);
      }
      throw err;
    }
    listed = true;
    first.length = 0;
    const body = parseApiJson(res, what);
    if (!Array.isArray(body)) throw new SigscanError('REGISTRY_ERROR', `${what}: the answer is not a list`);
    for (const pkg of body as Array<{ name?: unknown }>) {
      if (typeof pkg?.name !== 'string' || !pkg.name) continue;
      yield `${owner}/${decodeName(pkg.name)}`.toLowerCase();
    }
    const next = linkHeaderNext(res);
    if (!next) return;
    url = samePageOrigin(next, url, opts.base, what);
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
