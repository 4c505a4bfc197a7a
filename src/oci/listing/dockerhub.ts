import { SigscanError } from '../../errors.js';
import type { Credential } from '../registry/credentials.js';
import type { HttpTransport } from '../registry/transport.js';
import { apiPages, apiUrl, expectApiOk, parseApiJson } from './http.js';

export const DEFAULT_DOCKERHUB_API = 'https://hub.docker.com';

export interface DockerHubListingOptions {
  transport: HttpTransport;
  /** `https://hub.docker.com` unless a test or mirror says otherwise. */
  base: URL;
  namespace: string;
  credential?: Credential;
  maxPages: number;
}

interface HubPage {
  next?: unknown;
  results?: Array<{ name?: unknown; namespace?: unknown }>;
}

const SERVICE = 'Docker Hub';

/**
 * The repositories of a Docker Hub namespace through the Hub API (`/v2/namespaces/<ns>/repositories`, or the
 * older `/v2/repositories/<ns>/` when the first answers 404), following `next` links on the same host. With
 * username and password, a Hub JWT from `/v2/users/login` makes private repositories visible.
 */
export async function* listDockerHubRepositories(opts: DockerHubListingOptions): AsyncIterable<string> {
  const namespace = opts.namespace.toLowerCase();
  if (!/^[a-z0-9][a-z0-9_.-]*$/.test(namespace)) {
    throw new SigscanError('USAGE', `--org "${opts.namespace}" is not a Docker Hub namespace`);
  }
  const token = await hubLogin(opts);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const what = `Docker Hub repositories of ${namespace}`;
  const source = token ? opts.credential?.source : undefined;

  const pages = apiPages({
    transport: opts.transport,
    base: opts.base,
    firstPaths: [
      `/v2/namespaces/${namespace}/repositories?page_size=100`,
      `/v2/repositories/${namespace}/?page_size=100`,
    ],
    headers,
    maxPages: opts.maxPages,
    what,
    service: SERVICE,
    source,
    notFound: `Docker Hub has no namespace ${namespace}`,
    next: (_res, body) => {
      const next = (body as HubPage | null)?.next;
      return typeof next === 'string' && next ? next : undefined;
    },
  });
  for await (const page of pages) {
    const body = page as HubPage;
    if (!body || typeof body !== 'object' || !Array.isArray(body.results)) {
      throw new SigscanError('REGISTRY_ERROR', `${what}: the answer has no results list`);
    }
    for (const r of body.results) {
      if (typeof r?.name !== 'string' || !r.name) continue;
      const ns = typeof r.namespace === 'string' && r.namespace ? r.namespace : namespace;
      yield `${ns}/${r.name}`.toLowerCase();
    }
  }
}

/** `POST /v2/users/login` → `{ token }`; anonymous (undefined) without a username and password. */
async function hubLogin(opts: DockerHubListingOptions): Promise<string | undefined> {
  const cred = opts.credential;
  if (!cred?.username || cred.password === undefined) return undefined;
  const what = 'Docker Hub login';
  const res = await opts.transport.send({
    method: 'POST',
    url: apiUrl(opts.base, '/v2/users/login'),
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username: cred.username, password: cred.password }),
    kind: 'token',
    maxBytes: 1024 * 1024,
  });
  expectApiOk(res, what, SERVICE, cred.source);
  const body = parseApiJson(res, what) as { token?: unknown };
  if (typeof body?.token !== 'string' || !body.token) {
    throw new SigscanError('TOKEN_ERROR', `${what}: the answer holds no token`);
  }
  return body.token;
}
