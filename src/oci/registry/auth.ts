import { SigscanError } from '../../errors.js';
import { parseChallenges, type Challenge } from './challenge.js';
import type { Credential } from './credentials.js';
import { RealmPolicy } from './realm.js';
import { redact, type HttpResponse, type HttpTransport } from './transport.js';

export interface RegistryAuthOptions {
  /** Which token realms may see the credentials; default: the registry's host and domain only. */
  realms?: RealmPolicy;
  /** Where the one-time "credentials withheld from this realm" notice goes (never holds a secret). */
  warn?: (message: string) => void;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/**
 * The registry's auth scheme as its `/v2/` ping announced it, and a token cache per
 * (realm, service, scope) shared by every detector in the scan.
 */
export class RegistryAuth {
  private scheme: 'none' | 'basic' | 'bearer' = 'none';
  private bearer?: Challenge;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private readonly realms: RealmPolicy;
  /** Realms (redacted) that asked for credentials and got an anonymous request instead. */
  private readonly withheld = new Set<string>();

  constructor(
    private readonly transport: HttpTransport,
    private readonly registryUrl: URL,
    private readonly credential: Credential | undefined,
    private readonly options: RegistryAuthOptions = {},
  ) {
    this.realms = options.realms ?? new RealmPolicy();
  }

  /**
   * The realm host that credentials were kept from, if any: a 401 from the registry after such an
   * anonymous token is a policy decision, and the error should say how to lift it.
   */
  get withheldRealmHost(): string | undefined {
    const last = [...this.withheld].at(-1);
    return last ? new URL(last).host : undefined;
  }

  /** Records the challenge from a 401 (ping or any later request). */
  learn(wwwAuthenticate: string | string[] | undefined): Challenge | undefined {
    const challenges = parseChallenges(wwwAuthenticate);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer) {
      this.scheme = 'bearer';
      this.bearer = bearer;
      return bearer;
    }
    if (challenges.some((c) => c.scheme === 'basic')) this.scheme = 'basic';
    return undefined;
  }

  get usesAuth(): boolean {
    return this.scheme !== 'none';
  }

  /** The Authorization header for a scope, fetching a token if needed. */
  async authorization(scope: string): Promise<string | undefined> {
    if (this.scheme === 'basic') return this.basicHeader();
    if (this.scheme === 'bearer') return `Bearer ${(await this.token(scope)).token}`;
    return undefined;
  }

  /** Drops a cached token that the registry refused, so the next call fetches a fresh one. */
  invalidate(scope: string): void {
    this.tokens.delete(this.cacheKey(scope));
  }

  private basicHeader(): string | undefined {
    const c = this.credential;
    if (!c?.username || c.password === undefined) return undefined;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private cacheKey(scope: string): string {
    return `${this.bearer?.params.realm ?? ''}|${this.bearer?.params.service ?? ''}|${scope}`;
  }

  private token(scope: string): Promise<CachedToken> {
    const key = this.cacheKey(scope);
    const cached = this.tokens.get(key);
    if (cached) {
      return cached.then((t) => {
        if (t.expiresAt > Date.now()) return t;
        this.tokens.delete(key);
        return this.token(scope);
      });
    }
    const pending = this.fetchToken(scope);
    this.tokens.set(key, pending);
    pending.catch(() => this.tokens.delete(key));
    return pending;
  }

  private async fetchToken(scope: string): Promise<CachedToken> {
    if (this.credential?.registryToken) {
      return { token: this.credential.registryToken, expiresAt: Number.MAX_SAFE_INTEGER };
    }
    const realmText = this.bearer?.params.realm;
    if (!realmText)
      throw new SigscanError(
        'TOKEN_ERROR',
        `${this.registryUrl.host} asked for a bearer token without a realm`,
      );
    let realm: URL;
    try {
      realm = new URL(realmText);
    } catch {
      throw new SigscanError('TOKEN_ERROR', `${this.registryUrl.host} sent an invalid token realm`);
    }
    if (realm.protocol !== 'https:' && realm.protocol !== 'http:') {
      throw new SigscanError('TOKEN_ERROR', `token realm ${redact(realm)} is not an http(s) URL`);
    }
    const hasSecret = Boolean(this.credential?.password || this.credential?.identityToken);
    const sendsSecret = hasSecret && this.mayReceiveCredentials(realm);
    if (sendsSecret && realm.protocol === 'http:' && this.registryUrl.protocol === 'https:') {
      throw new SigscanError(
        'TOKEN_ERROR',
        `refusing to send credentials to plain-HTTP token realm ${redact(realm)} of an HTTPS registry`,
      );
    }
    const service = this.bearer?.params.service;
    let res: HttpResponse;
    if (!sendsSecret) res = await this.getTokenFlow(realm, service, scope, false);
    else if (this.credential?.identityToken) res = await this.refreshTokenFlow(realm, service, scope);
    else res = await this.getTokenFlow(realm, service, scope, true);
    if (res.status === 401 || res.status === 403) {
      throw new SigscanError('REGISTRY_UNAUTHORIZED', this.refusal(realm, hasSecret && !sendsSecret));
    }
    if (res.status !== 200) {
      throw new SigscanError('TOKEN_ERROR', `token request to ${redact(realm)} answered HTTP ${res.status}`);
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(Buffer.from(res.body).toString('utf8'));
    } catch {
      throw new SigscanError('TOKEN_ERROR', `token response from ${redact(realm)} is not JSON`);
    }
    const token = parsed.token || parsed.access_token;
    if (!token) throw new SigscanError('TOKEN_ERROR', `token response from ${redact(realm)} has no token`);
    const lifetime = Math.max(60, Number(parsed.expires_in) || 60);
    // Renew a little early so a token does not expire between being handed out and being used.
    return { token, expiresAt: Date.now() + lifetime * 900 };
  }

  private refusal(realm: URL, withheld: boolean): string {
    if (withheld) {
      return `the token service at ${realm.host} refused anonymous access; your credentials were withheld because it is neither on ${this.registryUrl.hostname} nor in its domain (allow it with --auth-realm-host ${realm.host})`;
    }
    if (!this.credential) {
      return `the token service at ${realm.host} refused anonymous access; supply credentials`;
    }
    const user = this.credential.username ? ` for user "${this.credential.username}"` : '';
    return `the token service at ${realm.host} rejected the credentials from ${this.credential.source}${user}`;
  }

  /** Checks a realm against the policy, saying once per realm why it gets no credentials. */
  private mayReceiveCredentials(realm: URL): boolean {
    if (this.realms.mayReceiveCredentials(this.registryUrl, realm)) return true;
    const key = redact(realm);
    if (!this.withheld.has(key)) {
      this.withheld.add(key);
      this.options.warn?.(
        `${this.registryUrl.host} named token realm ${key}, which is neither on ${this.registryUrl.hostname} nor in its domain: ` +
          `requesting tokens there anonymously, without your credentials (to send them, pass --auth-realm-host ${realm.host})`,
      );
    }
    return false;
  }

  private getTokenFlow(realm: URL, service: string | undefined, scope: string, withCredentials: boolean) {
    const url = new URL(realm);
    if (service) url.searchParams.set('service', service);
    if (scope) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    const basic = withCredentials ? this.basicHeader() : undefined;
    if (basic) {
      headers.authorization = basic;
      if (this.credential?.username) url.searchParams.set('account', this.credential.username);
    }
    return this.transport.send({ method: 'GET', url, headers, kind: 'token', maxBytes: 1024 * 1024 });
  }

  private async refreshTokenFlow(realm: URL, service: string | undefined, scope: string) {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: this.credential!.identityToken!,
      client_id: 'sigscan',
    });
    if (service) form.set('service', service);
    if (scope) form.set('scope', scope);
    const res = await this.transport.send({
      method: 'POST',
      url: realm,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      kind: 'token',
      maxBytes: 1024 * 1024,
    });
    // Some token servers only speak the GET flow.
    return res.status === 404 || res.status === 405 ? this.getTokenFlow(realm, service, scope, true) : res;
  }
}
