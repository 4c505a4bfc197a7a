import { readFileSync } from 'node:fs';

import { NotFoundError, RateLimitedError, SigscanError } from '../../errors.js';
import type { TufRepositoryFiles } from '../../formats/tuf/repository.js';
import { MAX_DELEGATED_ROLES, MAX_DELEGATION_DEPTH } from '../../formats/tuf/repository.js';
import { parseTufMetadata } from '../../formats/tuf/metadata.js';
import { RegistryAuth, type RegistryAuthOptions } from '../registry/auth.js';
import type { Credential } from '../registry/credentials.js';
import { header, HttpTransport, parseRetryAfter, redact, type HttpResponse } from '../registry/transport.js';

/** How the lead's `--notary-server` flags describe a notary (Docker Content Trust) server. */
export interface NotaryServiceOptions {
  /** `https://notary.docker.io`, `https://registry.example:4443`; `http://` only for loopback tests. */
  serverUrl: string;
  /** PEM CA bundle file for the server's TLS certificate. */
  caFile?: string;
  /** Skip TLS verification. */
  insecure?: boolean;
  /** Same Docker credential as the registry (notary uses the registry's token service). */
  credential?: Credential;
  /** Reuse a transport (stats, pacing); one is created otherwise. */
  transport?: HttpTransport;
  /** Largest metadata file accepted (default 8 MiB). */
  maxMetadataBytes?: number;
  /** Token realms and warnings, as for the registry (`--auth-realm-host`). */
  auth?: RegistryAuthOptions;
}

export const DEFAULT_NOTARY_MAX_BYTES = 8 * 1024 * 1024;
/** Earlier root versions fetched for rotation walks; a pin older than this many versions cannot be walked. */
export const MAX_ROOT_HISTORY = 32;

/**
 * Reads TUF metadata of one GUN from a notary server: `GET /v2/<gun>/_trust/tuf/<role>.json`
 * (formats.md §5.1) with the registry token flow (scope `repository:<gun>:pull`). Every file is
 * size-capped; credentials go only to the server and its announced token realm (redirects to
 * other origins drop them). Fetches are memoised per GUN: all tags of a repository share one fetch.
 */
export class NotaryService {
  readonly serverUrl: URL;
  private readonly transport: HttpTransport;
  private readonly ownsTransport: boolean;
  private readonly auth: RegistryAuth;
  private readonly maxBytes: number;
  private ping?: Promise<void>;
  private readonly repos = new Map<string, Promise<TufRepositoryFiles | undefined>>();

  constructor(opts: NotaryServiceOptions) {
    let url: URL;
    try {
      url = new URL(opts.serverUrl);
    } catch {
      throw new SigscanError('USAGE', `--notary-server ${opts.serverUrl} is not a URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new SigscanError('USAGE', `--notary-server must be an http(s) URL`);
    }
    if (url.username || url.password) {
      throw new SigscanError(
        'USAGE',
        '--notary-server: put credentials in the credential store, not the URL',
      );
    }
    this.serverUrl = new URL(url.origin);
    this.maxBytes = opts.maxMetadataBytes ?? DEFAULT_NOTARY_MAX_BYTES;
    this.ownsTransport = !opts.transport;
    this.transport =
      opts.transport ??
      new HttpTransport({
        concurrency: 4,
        ca: opts.caFile ? readFileSync(opts.caFile, 'utf8') : undefined,
        insecure: opts.insecure,
      });
    this.auth = new RegistryAuth(this.transport, this.serverUrl, opts.credential, opts.auth);
  }

  get name(): string {
    return this.serverUrl.host;
  }

  async close(): Promise<void> {
    if (this.ownsTransport) await this.transport.close();
  }

  /**
   * All metadata of a GUN: root, timestamp, snapshot, targets and every declared delegation
   * (breadth-first, capped). Undefined when the server has no trust data for it (404 on root.json).
   */
  repository(gun: string): Promise<TufRepositoryFiles | undefined> {
    let p = this.repos.get(gun);
    if (!p) {
      p = this.fetchRepository(gun);
      this.repos.set(gun, p);
    }
    return p;
  }

  private async fetchRepository(gun: string): Promise<TufRepositoryFiles | undefined> {
    const root = await this.fetchRole(gun, 'root');
    if (!root) return undefined;
    const [timestamp, snapshot, targets] = await Promise.all([
      this.fetchRole(gun, 'timestamp'),
      this.fetchRole(gun, 'snapshot'),
      this.fetchRole(gun, 'targets'),
    ]);
    const files: TufRepositoryFiles = { root, timestamp, snapshot, targets, delegations: {} };
    const previousRoots = await this.fetchPreviousRoots(gun, root);
    if (previousRoots) files.previousRoots = previousRoots;
    // Walk declared delegations; parse only to learn names (nothing is trusted here).
    let frontier: Array<{ bytes: Uint8Array; depth: number }> = targets ? [{ bytes: targets, depth: 1 }] : [];
    const seen = new Set<string>();
    while (frontier.length && seen.size < MAX_DELEGATED_ROLES) {
      const next: typeof frontier = [];
      for (const { bytes, depth } of frontier) {
        if (depth > MAX_DELEGATION_DEPTH) continue;
        let names: string[] = [];
        try {
          names = (parseTufMetadata(bytes).targets?.delegations ?? []).map((d) => d.name);
        } catch {
          continue; // the verifier reports malformed files
        }
        for (const name of names) {
          if (seen.has(name) || seen.size >= MAX_DELEGATED_ROLES || !validRoleName(name)) continue;
          seen.add(name);
          const body = await this.fetchRole(gun, name);
          if (!body) continue; // declared but never published: an empty role
          files.delegations![name] = body;
          next.push({ bytes: body, depth: depth + 1 });
        }
      }
      frontier = next;
    }
    return files;
  }

  /**
   * The root versions before the current one (`<N>.root.json`, newest MAX_ROOT_HISTORY), which a client
   * pinned to an older root needs to walk a rotation one version at a time. Fetched whatever the pin,
   * since detectors do not see trust inputs; a root at version 1 costs nothing. Unverified here.
   */
  private async fetchPreviousRoots(
    gun: string,
    root: Uint8Array,
  ): Promise<Record<number, Uint8Array> | undefined> {
    let version: number;
    try {
      version = parseTufMetadata(root).version;
    } catch {
      return undefined; // the verifier reports the malformed root
    }
    if (!Number.isSafeInteger(version) || version < 2) return undefined;
    const out: Record<number, Uint8Array> = {};
    for (let v = Math.max(1, version - MAX_ROOT_HISTORY); v < version; v++) {
      const body = await this.fetchRole(gun, `${v}.root`);
      if (body) out[v] = body;
    }
    return out;
  }

  /** One role file, or undefined on 404. */
  async fetchRole(gun: string, role: string): Promise<Uint8Array | undefined> {
    const path = `/v2/${gun.split('/').map(encodeURIComponent).join('/')}/_trust/tuf/${role.split('/').map(encodeURIComponent).join('/')}.json`;
    const res = await this.request(path, `repository:${gun}:pull`);
    if (res.status === 404) return undefined;
    this.expectOk(res, `${gun} ${role}.json`);
    return res.body;
  }

  private checkReachable(): Promise<void> {
    this.ping ??= (async () => {
      const res = await this.transport.send({
        method: 'GET',
        url: new URL('/v2/', this.serverUrl),
        kind: 'notary-ping',
        maxBytes: 64 * 1024,
      });
      if (res.status === 401) {
        this.auth.learn(res.headers['www-authenticate']);
        return;
      }
      if (res.status !== 200) {
        throw new SigscanError(
          'REGISTRY_ERROR',
          `notary server ${this.name}/v2/ answered HTTP ${res.status}`,
        );
      }
    })();
    this.ping.catch(() => (this.ping = undefined));
    return this.ping;
  }

  private async request(path: string, scope: string): Promise<HttpResponse> {
    await this.checkReachable();
    const url = new URL(path, this.serverUrl);
    for (let attempt = 0; ; attempt++) {
      const authorization = await this.auth.authorization(scope);
      const res = await this.transport.send({
        method: 'GET',
        url,
        headers: authorization ? { authorization } : {},
        kind: 'notary',
        maxBytes: this.maxBytes,
      });
      if (res.status !== 401 || attempt > 0) return res;
      this.auth.invalidate(scope);
      const challenge = this.auth.learn(res.headers['www-authenticate']);
      if (!this.auth.usesAuth || (!challenge && !authorization)) return res;
    }
  }

  private expectOk(res: HttpResponse, what: string): void {
    if (res.status === 200) return;
    if (res.status === 404) throw new NotFoundError(`${what} not found on ${this.name}`);
    if (res.status === 401)
      throw new SigscanError('REGISTRY_UNAUTHORIZED', `${what}: ${this.name} requires authentication`);
    if (res.status === 403)
      throw new SigscanError('REGISTRY_DENIED', `${what}: access denied by ${this.name}`);
    if (res.status === 429) {
      throw new RateLimitedError(
        `${what}: rate limited by ${this.name}`,
        parseRetryAfter(header(res.headers, 'retry-after')),
      );
    }
    throw new SigscanError('REGISTRY_ERROR', `${what}: HTTP ${res.status} from ${redact(res.url)}`);
  }
}

/** Role names become URL path segments: no dot segments, no empty segments. */
function validRoleName(name: string): boolean {
  return /^targets(\/[A-Za-z0-9_.+-]+)+$/.test(name) && !name.split('/').some((s) => s === '.' || s === '..');
}

/** The notary service from `DetectContext.services.notary`, if one is configured. */
export function notaryService(services: { [name: string]: unknown } | undefined): NotaryService | undefined {
  const s = services?.['notary'];
  return s instanceof NotaryService ? s : undefined;
}
