import pLimit, { type LimitFunction } from 'p-limit';
import { Agent, request, type Dispatcher } from 'undici';

import { SigscanError } from '../../errors.js';
import { RequestStats } from './stats.js';

export interface TransportOptions {
  /** PEM CA bundle added to the trust for TLS (`--ca-file`). */
  ca?: string;
  /** Skip TLS verification (`--insecure`). */
  insecure?: boolean;
  /** Requests in flight per host. */
  concurrency: number;
  /** Optional cap on requests started per second per host. */
  rps?: number;
  maxAttempts?: number;
  /** First backoff step; doubled per attempt, with full jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * `--timeout`: how long to wait for response headers, for the next piece of a body, and (at most 10 s)
   * for a connection. A whole response may take RESPONSE_DEADLINE_FACTOR times as long.
   */
  timeoutMs?: number;
  userAgent?: string;
  stats?: RequestStats;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: URL;
  headers?: Record<string, string>;
  body?: string;
  /** Stats bucket: `manifest`, `blob`, `tags`, `catalog`, `referrers`, `token`, `ping`. */
  kind: string;
  /** Largest body accepted; bigger ones are refused rather than buffered. */
  maxBytes: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  /** Final URL after redirects. */
  url: URL;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
/** The reason a response is aborted with when its deadline passes. */
const DEADLINE_CODE = 'SIGSCAN_RESPONSE_DEADLINE';
const RETRY_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  DEADLINE_CODE,
]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
/**
 * The idle timeout alone lets a server dribble a byte every few seconds for ever; a deadline on the whole
 * response stops that while leaving a slow but moving link time to bring a full 8 MiB blob.
 */
const RESPONSE_DEADLINE_FACTOR = 4;
const CONNECT_TIMEOUT_MAX_MS = 10_000;

/**
 * HTTP for registries: one keep-alive pool per origin (undici's Agent), bounded concurrency per host,
 * retries with jittered exponential backoff that honour Retry-After, and redirects followed by hand so
 * that Authorization never reaches another host.
 */
export class HttpTransport {
  readonly stats: RequestStats;
  private readonly agent: Agent;
  private readonly limits = new Map<string, LimitFunction>();
  private readonly nextStart = new Map<string, number>();
  private readonly opts: Required<Omit<TransportOptions, 'ca' | 'rps' | 'stats'>> & TransportOptions;

  constructor(options: TransportOptions) {
    this.opts = {
      insecure: false,
      maxAttempts: 5,
      retryBaseMs: 500,
      retryMaxMs: 30_000,
      timeoutMs: 30_000,
      userAgent: 'sigscan',
      // Plans pass unset flags as `undefined`, which must not erase a default (a NaN timeout fires at once).
      ...(Object.fromEntries(
        Object.entries(options).filter(([, value]) => value !== undefined),
      ) as TransportOptions),
    };
    this.stats = options.stats ?? new RequestStats();
    this.agent = new Agent({
      connections: options.concurrency,
      keepAliveTimeout: 30_000,
      headersTimeout: this.opts.timeoutMs,
      bodyTimeout: this.opts.timeoutMs,
      connect: {
        ca: options.ca,
        rejectUnauthorized: !this.opts.insecure,
        timeout: Math.min(this.opts.timeoutMs, CONNECT_TIMEOUT_MAX_MS),
      },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** One logical request: redirects and retries included, each attempt counted. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const limit = this.limitFor(req.url.host);
    return limit(() => this.sendWithRetries(req));
  }

  private limitFor(host: string): LimitFunction {
    let limit = this.limits.get(host);
    if (!limit) {
      limit = pLimit(this.opts.concurrency);
      this.limits.set(host, limit);
    }
    return limit;
  }

  private async sendWithRetries(req: HttpRequest): Promise<HttpResponse> {
    let attempt = 0;
    for (;;) {
      attempt++;
      let res: HttpResponse | undefined;
      let failure: unknown;
      try {
        res = await this.followRedirects(req);
      } catch (err) {
        failure = err;
      }
      const retryable = res ? RETRY_STATUS.has(res.status) : isRetryableError(failure);
      if (!retryable || attempt >= this.opts.maxAttempts) {
        if (res) return res;
        throw this.wrapNetworkError(failure, req, attempt);
      }
      this.stats.retry();
      await sleep(this.backoff(attempt, res));
    }
  }

  private backoff(attempt: number, res: HttpResponse | undefined): number {
    const retryAfter = res ? parseRetryAfter(header(res.headers, 'retry-after')) : undefined;
    if (retryAfter !== undefined) return Math.min(retryAfter, 60_000);
    const ceiling = Math.min(this.opts.retryMaxMs, this.opts.retryBaseMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }

  private async followRedirects(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    let headers = { ...req.headers };
    const seen = new Set<string>();
    for (let hop = 0; ; hop++) {
      const res = await this.once({ ...req, url, headers });
      if (!REDIRECT_STATUS.has(res.status)) return res;
      const location = header(res.headers, 'location');
      if (!location) return res;
      const next = new URL(location, url);
      if (hop >= MAX_REDIRECTS || seen.has(next.href)) {
        throw new SigscanError('REGISTRY_ERROR', `too many redirects or a redirect loop at ${redact(next)}`);
      }
      seen.add(url.href);
      if (next.origin !== req.url.origin) {
        // Blob redirects go to object storage: the registry's credentials must not follow them.
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      url = next;
    }
  }

  private async once(req: HttpRequest): Promise<HttpResponse> {
    await this.pace(req.url.host);
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(Object.assign(new Error('response deadline passed'), { code: DEADLINE_CODE })),
      this.opts.timeoutMs * RESPONSE_DEADLINE_FACTOR,
    );
    try {
      let res: Dispatcher.ResponseData;
      try {
        res = await request(req.url, {
          dispatcher: this.agent,
          method: req.method,
          headers: { 'user-agent': this.opts.userAgent, ...req.headers },
          body: req.body,
          signal: deadline.signal,
        });
      } catch (err) {
        this.stats.record(req.kind, errorCode(err) ?? 'error', 0);
        throw err;
      }
      let body: Uint8Array;
      try {
        body =
          req.method === 'HEAD'
            ? new Uint8Array(0)
            : await readCapped(res.body, req.maxBytes, `response from ${redact(req.url)}`);
      } catch (err) {
        this.stats.record(req.kind, res.statusCode, 0);
        throw err;
      }
      this.stats.record(req.kind, res.statusCode, body.byteLength);
      return { status: res.statusCode, headers: res.headers, body, url: req.url };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Timeouts name the limit that was hit and how often, so the user can tell a dead host from a slow one. */
  private wrapNetworkError(err: unknown, req: HttpRequest, attempts: number): Error {
    const what = err instanceof SigscanError ? undefined : this.describeTimeout(errorCode(err));
    if (!what) return wrapNetworkError(err, req.url);
    return new SigscanError(
      'REGISTRY_UNREACHABLE',
      `timed out talking to ${req.url.host}: ${what} (${req.kind} request, ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'}; see --timeout)`,
      { cause: err },
    );
  }

  private describeTimeout(code: string | undefined): string | undefined {
    const ms = this.opts.timeoutMs;
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return `no connection within ${Math.min(ms, CONNECT_TIMEOUT_MAX_MS) / 1000} s`;
      case 'UND_ERR_HEADERS_TIMEOUT':
        return `no response headers within ${ms / 1000} s`;
      case 'UND_ERR_BODY_TIMEOUT':
        return `the response body stalled for ${ms / 1000} s`;
      case DEADLINE_CODE:
        return `the response was not complete within ${(ms * RESPONSE_DEADLINE_FACTOR) / 1000} s`;
      default:
        return undefined;
    }
  }

  /** Spaces request starts per host when `--rps` is set. */
  private async pace(host: string): Promise<void> {
    if (!this.opts.rps) return;
    const interval = 1000 / this.opts.rps;
    const now = Date.now();
    const start = Math.max(now, this.nextStart.get(host) ?? 0);
    this.nextStart.set(host, start + interval);
    if (start > now) await sleep(start - now);
  }
}

/**
 * A response body, refused as TOO_LARGE as soon as it passes `maxBytes` (the stream is destroyed, so a
 * server cannot make us buffer more). `what` names the source in the message ("response from ...").
 */
export async function readCapped(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      body.destroy();
      throw new SigscanError('TOO_LARGE', `${what} is larger than the ${maxBytes}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

export function header(headers: HttpResponse['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as delta-seconds or an HTTP-date; a date in the past means "use your own backoff". */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const when = Date.parse(value);
  if (Number.isNaN(when)) return undefined;
  const delta = when - Date.now();
  return delta > 0 ? delta : undefined;
}

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.cause?.code ?? e?.code;
}

function isRetryableError(err: unknown): boolean {
  if (err instanceof SigscanError) return false;
  const code = errorCode(err);
  return code !== undefined && RETRY_ERRORS.has(code);
}

function wrapNetworkError(err: unknown, url: URL): Error {
  if (err instanceof SigscanError) return err;
  const code = errorCode(err) ?? '';
  const message = (err as Error)?.message ?? String(err);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|SSL/i.test(code) || /certificate/i.test(message)) {
    return new SigscanError(
      'TLS_ERROR',
      `TLS verification failed for ${url.host} (${code || message}); pass --ca-file with the registry's CA, or --insecure to skip verification`,
      { cause: err },
    );
  }
  return new SigscanError('REGISTRY_UNREACHABLE', `cannot reach ${url.host}: ${code || message}`, {
    cause: err,
  });
}

/** A URL fit for messages: no query string (it may hold tokens) and no userinfo. */
export function redact(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
