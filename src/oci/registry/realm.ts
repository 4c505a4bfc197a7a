import { isIP } from 'node:net';

/**
 * Which token realms may receive the user's registry credentials. A registry's 401 names its token
 * service, and nothing stops it from naming any host at all: a compromised mirror, or anyone who can
 * rewrite a plain-HTTP challenge, could collect the credentials meant for the registry. Real token
 * services live on the registry's own host or beside it in the same domain (registry-1.docker.io ->
 * auth.docker.io, registry.gitlab.com -> gitlab.com); anything else needs the user's say-so.
 */
export class RealmPolicy {
  private readonly allowed: Set<string>;

  /** `allowedHosts`: `--auth-realm-host` values, `host` (any port) or `host:port`. */
  constructor(allowedHosts: readonly string[] = []) {
    this.allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  }

  /** Whether a realm on `realm` may receive credentials that were meant for `registry`. */
  mayReceiveCredentials(registry: URL, realm: URL): boolean {
    if (this.allowed.has(realm.hostname) || this.allowed.has(realm.host)) return true;
    if (realm.hostname === registry.hostname) return true;
    const domain = registrableDomain(registry.hostname);
    return domain !== undefined && registrableDomain(realm.hostname) === domain;
  }
}

/**
 * Second-level labels under which a two-letter country TLD hands out names (example.co.uk), so that the
 * domain is three labels there. A small stand-in for the Public Suffix List, which sigscan does not ship:
 * erring towards the longer domain only ever withholds credentials.
 */
const COUNTRY_SECOND_LEVEL = new Set([
  'ac',
  'co',
  'com',
  'edu',
  'gob',
  'go',
  'gov',
  'govt',
  'ltd',
  'mil',
  'ne',
  'net',
  'nhs',
  'or',
  'org',
  'plc',
  'sch',
]);

/**
 * Cloud suffixes whose subdomains belong to different customers (myreg.azurecr.io and
 * theirs.azurecr.io): a host under them shares its domain with no one.
 */
const TENANT_SUFFIXES = ['amazonaws.com', 'azurecr.cn', 'azurecr.io', 'azurecr.us', 'jfrog.io'];

/**
 * The domain a host shares with its siblings, or undefined when it has none: IP literals, localhost,
 * single-label names and cloud tenants only ever match themselves.
 */
export function registrableDomain(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('[') || isIP(host) !== 0) return undefined;
  if (host === 'localhost' || host.endsWith('.localhost')) return undefined;
  const labels = host.split('.');
  if (labels.length < 2 || labels.some((l) => l === '')) return undefined;
  if (TENANT_SUFFIXES.some((s) => host === s || host.endsWith(`.${s}`))) return undefined;
  const tld = labels.at(-1)!;
  const second = labels.at(-2)!;
  const depth = tld.length === 2 && COUNTRY_SECOND_LEVEL.has(second) ? 3 : 2;
  return labels.length >= depth ? labels.slice(-depth).join('.') : undefined;
}
