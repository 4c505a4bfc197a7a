import { isNotFound, NotFoundError, RateLimitedError, SigscanError } from '../../errors.js';
import {
  header,
  parseRetryAfter,
  redact,
  type HttpResponse,
  type HttpTransport,
} from '../registry/transport.js';

/** Largest API page accepted (100 entries with descriptions fit many times over). */
export const MAX_API_PAGE_BYTES = 8 * 1024 * 1024;

/** Maps an API answer that is not 200 to a typed error; `service` names the API in messages. */
export function expectApiOk(
  res: HttpResponse,
  what: string,
  service: string,
  credentialSource?: string,
): void {
  if (res.status === 200) return;
  const detail = apiErrorDetail(res);
  if (res.status === 404) throw new NotFoundError(`${what}: not found${detail}`);
  if (res.status === 401) {
    throw new SigscanError(
      'REGISTRY_UNAUTHORIZED',
      credentialSource
        ? `${what}: ${service} rejected the credentials from ${credentialSource}${detail}`
        : `${what}: ${service} requires authentication${detail}; pass -u/-p or --password-stdin`,
    );
  }
  if (res.status === 403) throw new SigscanError('REGISTRY_DENIED', `${what}: access denied${detail}`);
  if (res.status === 429) {
    throw new RateLimitedError(
      `${what}: rate limited by ${service} after retries`,
      parseRetryAfter(header(res.headers, 'retry-after')),
    );
  }
  throw new SigscanError('REGISTRY_ERROR', `${what}: ${service} answered HTTP ${res.status}${detail}`);
}

export function parseApiJson(res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(res.body).toString('utf8'));
  } catch {
    throw new SigscanError('REGISTRY_ERROR', `${what}: the answer is not JSON`);
  }
}

/** A pagination link resolved against the page it came from; another origin is refused (no token leaks). */
export function samePageOrigin(link: string, current: URL, base: URL, what: string): URL {
  let next: URL;
  try {
    next = new URL(link, current);
  } catch {
    throw new SigscanError('REGISTRY_ERROR', `${what}: malformed next-page link`);
  }
  if (next.origin !== base.origin) {
    throw new SigscanError(
      'REGISTRY_ERROR',
      `${what}: next-page link points to another host (${redact(next)})`,
    );
  }
  return next;
}

/** `rel="next"` of an RFC 8288 `Link` header (GitHub's pagination). */
export function linkHeaderNext(res: HttpResponse): string | undefined {
  const link = header(res.headers, 'link');
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /^<([^>]+)>\s*;(.*)$/.exec(part.trim());
    const rel = m ? /\brel\s*=\s*"?([^";]+)"?/i.exec(m[2]!) : null;
    if (rel && rel[1]!.toLowerCase().split(/\s+/).includes('next')) return m![1];
  }
  return undefined;
}

/** An API base URL from a flag, plan field or environment variable; trailing slashes dropped. */
export function apiBase(value: string, name: string): URL {
  try {
    const url = new URL(value.replace(/\/+$/, ''));
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    return url;
  } catch {
    throw new SigscanError('USAGE', `${name} "${value}" is not an http(s) URL`);
  }
}

/** Joins a path below the base URL's own path (a base may be `http://127.0.0.1:1234/api`). */
export function apiUrl(base: URL, pathAndQuery: string): URL {
  const prefix = base.pathname.replace(/\/+$/, '');
  return new URL(`${prefix}${pathAndQuery}`, base.origin);
}

function apiErrorDetail(res: HttpResponse): string {
  try {
    const body = JSON.parse(Buffer.from(res.body).toString('utf8')) as {
      message?: unknown;
      detail?: unknown;
      errors?: Array<{ message?: unknown }>;
    };
    const msg = body.message ?? body.detail ?? body.errors?.[0]?.message;
    return typeof msg === 'string' && msg ? ` (${msg.slice(0, 200)})` : '';
  } catch {
    return '';
  }
}

export interface ApiPagesOptions {
  transport: HttpTransport;
  base: URL;
  /** Endpoints to try in order until one answers other than 404 (newer API first). */
  firstPaths: string[];
  headers: Record<string, string>;
  maxPages: number;
  /** `Docker Hub repositories of x`, for messages. */
  what: string;
  service: string;
  /** Where the credential came from, when one was sent. */
  source?: string;
  /** The message when no endpoint knows the owner. */
  notFound: string;
  /** The next page's link (absolute or relative), if any. */
  next: (res: HttpResponse, body: unknown) => string | undefined;
}

/**
 * Pages of a listing API: endpoint fallback on 404, bounded pages, loop detection, and next links held to
 * the API's origin. Yields each parsed page body.
 */
export async function* apiPages(opts: ApiPagesOptions): AsyncIterable<unknown> {
  const first = [...opts.firstPaths];
  const seen = new Set<string>();
  let url: URL | undefined;
  let listed = false;
  for (let page = 0; ; page++) {
    if (!url) {
      const path = first.shift();
      if (!path) throw new SigscanError('NOT_FOUND', `${opts.what}: ${opts.notFound}`);
      url = apiUrl(opts.base, path);
    }
    if (page >= opts.maxPages || seen.has(url.href)) {
      throw new SigscanError('REGISTRY_ERROR', `${opts.what}: pagination does not end (a next-link loop?)`);
    }
    seen.add(url.href);
    const res = await opts.transport.send({
      method: 'GET',
      url,
      headers: opts.headers,
      kind: 'catalog',
      maxBytes: MAX_API_PAGE_BYTES,
    });
    if (res.status === 404 && !listed && first.length > 0) {
      url = undefined;
      continue;
    }
    try {
      expectApiOk(res, opts.what, opts.service, opts.source);
    } catch (err) {
      if (isNotFound(err) && !listed) throw new SigscanError('NOT_FOUND', `${opts.what}: ${opts.notFound}`);
      throw err;
    }
    listed = true;
    const body = parseApiJson(res, opts.what);
    yield body;
    const next = opts.next(res, body);
    if (!next) return;
    url = samePageOrigin(next, url, opts.base, opts.what);
  }
}
