import { SigscanError, NotFoundError, RateLimitedError } from '../../errors.js';
import { sha256Digest, verifyDigest } from '../digest.js';
import { isDigest } from '../reference.js';
import {
  MANIFEST_ACCEPT,
  MediaType,
  type Descriptor,
  type FetchedManifest,
  type OciManifest,
  type OciStore,
} from '../types.js';
import type { Logger } from '../../util/logger.js';
import { RegistryAuth } from './auth.js';
import type { Credential } from './credentials.js';
import { RealmPolicy } from './realm.js';
import { header, parseRetryAfter, redact, type HttpResponse, type HttpTransport } from './transport.js';

export interface RegistryClientOptions {
  /** host[:port] as the user wrote it. */
  registry: string;
  /** API host when it differs (Docker Hub). */
  apiHost?: string;
  plainHttp?: boolean;
  credential?: Credential;
  transport: HttpTransport;
  maxManifestBytes: number;
  maxPages: number;
  /** Token realm hosts trusted with the credentials besides the registry's host and domain. */
  authRealmHosts?: readonly string[];
  /** Receives the notice when credentials are withheld from a token realm. */
  log?: Pick<Logger, 'warn'>;
}

const PAGE_SIZE = 1000;
const SMALL_BLOB = 1024 * 1024;

/**
 * An OCI distribution registry over HTTP. Everything is memoised for the length of a scan: tag lists
 * per repository, manifests and small blobs per digest, tag resolutions per reference, so no detector
 * makes a request another one already made.
 */
export class RegistryClient implements OciStore {
  readonly name: string;
  private readonly base: URL;
  private readonly auth: RegistryAuth;
  private ping?: Promise<void>;
  private referrersSupported?: Promise<boolean>;
  private signaturesExtension = false;
  private readonly tagLists = new Map<string, Promise<string[]>>();
  private readonly manifests = new Map<string, Promise<FetchedManifest>>();
  private readonly resolutions = new Map<string, Promise<Descriptor>>();
  private readonly blobs = new Map<string, Promise<Uint8Array>>();

  constructor(private readonly opts: RegistryClientOptions) {
    this.name = opts.registry;
    this.base = new URL(`${opts.plainHttp ? 'http' : 'https'}://${opts.apiHost ?? opts.registry}`);
    this.auth = new RegistryAuth(opts.transport, this.base, opts.credential, {
      realms: new RealmPolicy(opts.authRealmHosts),
      warn: opts.log ? (message) => opts.log!.warn(message) : undefined,
    });
  }

  /** `GET /v2/` once: proves this is a registry and learns its auth scheme. */
  checkReachable(): Promise<void> {
    this.ping ??= (async () => {
      const res = await this.opts.transport.send({
        method: 'GET',
        url: new URL('/v2/', this.base),
        kind: 'ping',
        maxBytes: 64 * 1024,
      });
      this.signaturesExtension = header(res.headers, 'x-registry-supports-signatures') === '1';
      if (res.status === 401) {
        this.auth.learn(res.headers['www-authenticate']);
        if (!this.auth.usesAuth) {
          throw new SigscanError(
            'REGISTRY_UNAUTHORIZED',
            `${this.name} answered 401 without a usable challenge`,
          );
        }
        return;
      }
      if (res.status !== 200) {
        throw new SigscanError(
          'REGISTRY_ERROR',
          `${this.name}/v2/ answered HTTP ${res.status}: not an OCI registry?`,
        );
      }
      const type = header(res.headers, 'content-type') ?? '';
      if (!type.includes('json') && !header(res.headers, 'docker-distribution-api-version')) {
        throw new SigscanError(
          'REGISTRY_ERROR',
          `${this.name}/v2/ answered 200 but not as a registry (${type || 'no content type'})`,
        );
      }
      if (this.opts.credential?.username && this.opts.credential.password !== undefined) {
        // A registry that lets anonymous users in may still want Basic for private repositories.
        this.auth.learn('Basic realm="registry"');
      }
    })();
    return this.ping;
  }

  /** Whether the `/v2/` ping advertised `X-Registry-Supports-Signatures: 1` (formats.md §4.6). */
  async supportsSignatureExtension(): Promise<boolean> {
    await this.checkReachable();
    return this.signaturesExtension;
  }

  /**
   * The body of `GET /extensions/v2/<name>/signatures/<digest>` (same auth as `/v2/`), or undefined
   * when the registry did not advertise the extension or answers 404.
   */
  async getSignatureExtension(
    repository: string,
    digest: string,
    maxBytes: number,
  ): Promise<Uint8Array | undefined> {
    if (!(await this.supportsSignatureExtension())) return undefined;
    const res = await this.request(
      'GET',
      `/extensions/v2/${repository}/signatures/${digest}`,
      pullScope(repository),
      'signatures',
      { accept: 'application/json' },
      maxBytes,
    );
    if (res.status === 404) return undefined;
    this.expectOk(res, `signatures of ${repository}@${digest}`);
    return res.body;
  }

  async *listRepositories(): AsyncIterable<string> {
    yield* this.paginate('/v2/_catalog', 'registry:catalog:*', 'catalog', (body) => {
      const parsed = body as { repositories?: unknown };
      return Array.isArray(parsed.repositories) ? (parsed.repositories as string[]) : [];
    });
  }

  listTags(repository: string): Promise<string[]> {
    let pending = this.tagLists.get(repository);
    if (!pending) {
      pending = (async () => {
        const tags: string[] = [];
        const seen = new Set<string>();
        for await (const tag of this.paginate(
          `/v2/${repository}/tags/list`,
          pullScope(repository),
          'tags',
          (body) => {
            const parsed = body as { tags?: unknown };
            return Array.isArray(parsed.tags) ? (parsed.tags as string[]) : [];
          },
        )) {
          // Servers that ignore `last` repeat tags across pages.
          if (!seen.has(tag)) {
            seen.add(tag);
            tags.push(tag);
          }
        }
        return tags;
      })();
      this.tagLists.set(repository, pending);
    }
    return pending;
  }

  resolve(repository: string, reference: string): Promise<Descriptor> {
    const key = `${repository}@${reference}`;
    let pending = this.resolutions.get(key);
    if (!pending) {
      pending = this.resolveUncached(repository, reference);
      this.resolutions.set(key, pending);
    }
    return pending;
  }

  private async resolveUncached(repository: string, reference: string): Promise<Descriptor> {
    const res = await this.request(
      'HEAD',
      `/v2/${repository}/manifests/${reference}`,
      pullScope(repository),
      'manifest-head',
      {
        accept: MANIFEST_ACCEPT.join(', '),
      },
    );
    this.expectOk(res, `manifest ${repository}:${reference}`);
    const digest = header(res.headers, 'docker-content-digest');
    const mediaType = stripParams(header(res.headers, 'content-type'));
    const size = Number(header(res.headers, 'content-length'));
    if (!digest || !isDigest(digest) || !mediaType || !Number.isFinite(size)) {
      // Without a usable digest header the only honest answer is to fetch and hash.
      return (await this.getManifest(repository, reference)).descriptor;
    }
    if (isDigest(reference) && reference !== digest) {
      throw new SigscanError(
        'DIGEST_MISMATCH',
        `${repository}@${reference}: registry reports digest ${digest}`,
      );
    }
    return { mediaType, digest, size };
  }

  getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const key = isDigest(reference) ? reference : `${repository}:${reference}`;
    let pending = this.manifests.get(key);
    if (!pending) {
      pending = this.fetchManifest(repository, reference);
      this.manifests.set(key, pending);
      pending
        .then((m) => this.manifests.set(m.descriptor.digest, Promise.resolve(m)))
        .catch(() => this.manifests.delete(key));
    }
    return pending;
  }

  private async fetchManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const res = await this.request(
      'GET',
      `/v2/${repository}/manifests/${reference}`,
      pullScope(repository),
      'manifest',
      {
        accept: MANIFEST_ACCEPT.join(', '),
      },
    );
    this.expectOk(res, `manifest ${repository}:${reference}`);
    const bytes = res.body;
    const computed = sha256Digest(bytes);
    if (isDigest(reference)) verifyDigest(bytes, reference, `manifest ${repository}@${reference}`);
    const headerDigest = header(res.headers, 'docker-content-digest');
    if (headerDigest && headerDigest.startsWith('sha256:') && headerDigest !== computed) {
      throw new SigscanError(
        'DIGEST_MISMATCH',
        `manifest ${repository}:${reference}: Docker-Content-Digest says ${headerDigest} but the body hashes to ${computed}`,
      );
    }
    let manifest: OciManifest;
    try {
      manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as OciManifest;
    } catch {
      throw new SigscanError('MALFORMED_MANIFEST', `manifest ${repository}:${reference} is not JSON`);
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new SigscanError(
        'MALFORMED_MANIFEST',
        `manifest ${repository}:${reference} is not a JSON object`,
      );
    }
    const mediaType =
      manifest.mediaType ?? sniffMediaType(manifest, stripParams(header(res.headers, 'content-type')));
    return {
      descriptor: { mediaType, digest: isDigest(reference) ? reference : computed, size: bytes.byteLength },
      bytes,
      manifest,
    };
  }

  getBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    if (descriptor.size > maxBytes) {
      return Promise.reject(
        new SigscanError(
          'TOO_LARGE',
          `blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${maxBytes}-byte limit`,
        ),
      );
    }
    const cached = this.blobs.get(descriptor.digest);
    if (cached) return cached;
    const pending = (async () => {
      const res = await this.request(
        'GET',
        `/v2/${repository}/blobs/${descriptor.digest}`,
        pullScope(repository),
        'blob',
        {},
        maxBytes,
      );
      this.expectOk(res, `blob ${repository}@${descriptor.digest}`);
      if (res.body.byteLength !== descriptor.size) {
        throw new SigscanError(
          'DIGEST_MISMATCH',
          `blob ${descriptor.digest}: got ${res.body.byteLength} bytes, descriptor says ${descriptor.size}`,
        );
      }
      verifyDigest(res.body, descriptor.digest, `blob ${repository}@${descriptor.digest}`);
      return res.body;
    })();
    if (descriptor.size <= SMALL_BLOB) {
      this.blobs.set(descriptor.digest, pending);
      pending.catch(() => this.blobs.delete(descriptor.digest));
    }
    return pending;
  }

  async listReferrers(repository: string, digest: string): Promise<Descriptor[] | undefined> {
    if (this.referrersSupported && !(await this.referrersSupported)) return undefined;
    const attempt = this.fetchReferrers(repository, digest);
    // The first call doubles as the probe: one 404 tells us this registry has no referrers API.
    this.referrersSupported ??= attempt.then(
      (r) => r !== undefined,
      () => true,
    );
    return attempt;
  }

  private async fetchReferrers(repository: string, digest: string): Promise<Descriptor[] | undefined> {
    const out: Descriptor[] = [];
    let path: string | undefined = `/v2/${repository}/referrers/${digest}`;
    const seen = new Set<string>();
    for (let page = 0; path; page++) {
      if (page >= this.opts.maxPages || seen.has(path)) {
        throw new SigscanError('REGISTRY_ERROR', `referrers of ${digest}: pagination does not end`);
      }
      seen.add(path);
      const res = await this.request('GET', path, pullScope(repository), 'referrers', {
        accept: MediaType.ociIndex,
      });
      if (res.status === 404) return page === 0 ? undefined : out;
      this.expectOk(res, `referrers of ${repository}@${digest}`);
      const index = parseJson(res.body, `referrers of ${digest}`) as OciManifest;
      out.push(...(Array.isArray(index.manifests) ? index.manifests : []));
      path = nextLink(res, this.base);
    }
    return out;
  }

  private async *paginate(
    path: string,
    scope: string,
    kind: string,
    pick: (body: unknown) => string[],
  ): AsyncIterable<string> {
    let next: string | undefined = `${path}?n=${PAGE_SIZE}`;
    const seen = new Set<string>();
    for (let page = 0; next; page++) {
      if (page >= this.opts.maxPages || seen.has(next)) {
        throw new SigscanError(
          'REGISTRY_ERROR',
          `${this.name}${path}: pagination does not end (a Link loop?)`,
        );
      }
      seen.add(next);
      const res = await this.request('GET', next, scope, kind, { accept: 'application/json' });
      this.expectOk(res, `${this.name}${path}`);
      yield* pick(parseJson(res.body, `${this.name}${path}`));
      next = nextLink(res, this.base);
    }
  }

  /** One authenticated request; a 401 refreshes the token once, with the scope the registry asks for. */
  private async request(
    method: 'GET' | 'HEAD',
    pathAndQuery: string,
    scope: string,
    kind: string,
    headers: Record<string, string>,
    maxBytes = this.opts.maxManifestBytes,
  ): Promise<HttpResponse> {
    await this.checkReachable();
    const url = new URL(pathAndQuery, this.base);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.authorization(scope);
      const res = await this.opts.transport.send({
        method,
        url,
        headers: authorization ? { ...headers, authorization } : headers,
        kind,
        maxBytes,
      });
      if (res.status !== 401 || attempt > 0) return res;
      this.auth.invalidate(scope);
      const challenge = this.auth.learn(res.headers['www-authenticate']);
      if (!this.auth.usesAuth || (!challenge && !authorization)) return res;
    }
  }

  private expectOk(res: HttpResponse, what: string): void {
    if (res.status === 200) return;
    const detail = registryErrorDetail(res);
    if (res.status === 404) throw new NotFoundError(`${what} not found${detail}`);
    if (res.status === 401) {
      const withheldFrom = this.auth.withheldRealmHost;
      let message = `${what}: ${this.name} requires authentication${detail}`;
      if (withheldFrom) {
        message = `${what}: ${this.name} refused the anonymous token from ${withheldFrom}${detail}; your credentials were withheld from that realm (allow it with --auth-realm-host ${withheldFrom})`;
      } else if (this.opts.credential) {
        message = `${what}: ${this.name} rejected the credentials from ${this.opts.credential.source}${detail}`;
      }
      throw new SigscanError('REGISTRY_UNAUTHORIZED', message);
    }
    if (res.status === 403) throw new SigscanError('REGISTRY_DENIED', `${what}: access denied${detail}`);
    if (res.status === 429) {
      throw new RateLimitedError(
        `${what}: rate limited by ${this.name} after retries`,
        parseRetryAfter(header(res.headers, 'retry-after')),
      );
    }
    throw new SigscanError('REGISTRY_ERROR', `${what}: HTTP ${res.status}${detail}`);
  }
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

function stripParams(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim();
}

/** OCI manifests may omit mediaType: fall back to the header, then to the shape (formats.md §1.4). */
function sniffMediaType(manifest: OciManifest, headerType: string): string {
  if (headerType && headerType !== 'application/json' && headerType !== 'text/plain') return headerType;
  if (Array.isArray(manifest.manifests)) return MediaType.ociIndex;
  if (manifest.schemaVersion === 1) return MediaType.dockerSchema1;
  return MediaType.ociManifest;
}

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SigscanError('REGISTRY_ERROR', `${what}: response is not JSON`);
  }
}

/** RFC 5988 `Link: <url>; rel="next"`, resolved against the registry; other hosts are refused. */
function nextLink(res: HttpResponse, base: URL): string | undefined {
  const link = header(res.headers, 'link');
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(link);
  if (!m) return undefined;
  const url = new URL(m[1]!, base);
  if (url.origin !== base.origin) {
    throw new SigscanError('REGISTRY_ERROR', `pagination Link points to another host (${redact(url)})`);
  }
  return url.pathname + url.search;
}

function registryErrorDetail(res: HttpResponse): string {
  try {
    const parsed = JSON.parse(Buffer.from(res.body).toString('utf8')) as {
      errors?: Array<{ code?: string; message?: string }>;
    };
    const first = parsed.errors?.[0];
    return first ? ` (${first.code ?? 'error'}: ${first.message ?? ''})` : '';
  } catch {
    return '';
  }
}
