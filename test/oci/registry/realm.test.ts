/** Credentials go to token realms on the registry's host or domain, or where the user allowed them. */
import { afterEach, describe, expect, it } from 'vitest';

import { RegistryClient } from '../../../src/oci/registry/client.js';
import { RealmPolicy, registrableDomain } from '../../../src/oci/registry/realm.js';
import { HttpTransport } from '../../../src/oci/registry/transport.js';
import { json, startFaultServer, type FaultServer } from '../../helpers/fault-server.js';

describe('registrableDomain', () => {
  it.each([
    ['registry-1.docker.io', 'docker.io'],
    ['auth.docker.io', 'docker.io'],
    ['registry.gitlab.com', 'gitlab.com'],
    ['Registry.Example.COM.', 'example.com'],
    ['registry.example.co.uk', 'example.co.uk'],
    ['a.b.example.com.au', 'example.com.au'],
    ['registry.example.de', 'example.de'],
    ['127.0.0.1', undefined],
    ['[::1]', undefined],
    ['localhost', undefined],
    ['registry.localhost', undefined],
    ['registry', undefined],
    ['co.uk', undefined],
    ['myreg.azurecr.io', undefined],
    ['123456789012.dkr.ecr.us-east-1.amazonaws.com', undefined],
  ])('%s -> %s', (host, domain) => {
    expect(registrableDomain(host)).toBe(domain);
  });
});

describe('RealmPolicy', () => {
  const may = (registry: string, realm: string, allowed: string[] = []) =>
    new RealmPolicy(allowed).mayReceiveCredentials(new URL(registry), new URL(realm));

  it('trusts the same host on any port and the same domain', () => {
    expect(may('https://registry-1.docker.io', 'https://auth.docker.io/token')).toBe(true);
    expect(may('https://registry.gitlab.com', 'https://gitlab.com/jwt/auth')).toBe(true);
    expect(may('http://127.0.0.1:5000', 'http://127.0.0.1:5001/token')).toBe(true);
    expect(may('https://harbor.corp.example', 'https://harbor.corp.example/service/token')).toBe(true);
  });

  it('refuses other domains, other addresses, localhost aliases and sibling tenants', () => {
    expect(may('https://registry-1.docker.io', 'https://docker.io.evil.example/token')).toBe(false);
    expect(may('https://registry.example.co.uk', 'https://evil.co.uk/token')).toBe(false);
    expect(may('http://127.0.0.1:5000', 'http://127.0.0.2:5000/token')).toBe(false);
    expect(may('http://127.0.0.1:5000', 'http://localhost:5001/token')).toBe(false);
    expect(may('http://localhost:5000', 'http://auth.localhost/token')).toBe(false);
    expect(may('https://mine.azurecr.io', 'https://theirs.azurecr.io/oauth2/token')).toBe(false);
  });

  it('trusts the hosts the user allows, by name or by name and port', () => {
    expect(may('https://reg.example.com', 'https://auth.other.net/token', ['auth.other.net'])).toBe(true);
    expect(may('https://reg.example.com', 'https://AUTH.other.net:8443/t', ['auth.other.net:8443'])).toBe(
      true,
    );
    expect(may('https://reg.example.com', 'https://auth.other.net:9443/t', ['auth.other.net:8443'])).toBe(
      false,
    );
    expect(may('http://127.0.0.1:5000', 'http://127.0.0.2:7000/t', ['127.0.0.2'])).toBe(true);
  });
});

const servers: FaultServer[] = [];
const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const BASIC = `Basic ${Buffer.from('u:s3cret-pw').toString('base64')}`;

/** A token service that hands out a token to anyone, and a registry whose challenge names it. */
async function registryWithRealm(realmListen: string) {
  const realm = await startFaultServer(
    (req, res) => {
      const scope = new URL(req.url ?? '/', 'http://x').searchParams.get('scope');
      json(res, 200, {
        token: req.headers.authorization === BASIC ? `tok-user-${scope}` : `tok-anon-${scope}`,
        expires_in: 300,
      });
    },
    { listen: realmListen },
  );
  const registry = await startFaultServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer tok-')) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.url}/token",service="reg"` });
      return res.end();
    }
    // Only the user's token opens the private repository.
    if (req.url?.startsWith('/v2/private/') && !auth.startsWith('Bearer tok-user-')) {
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    }
    json(res, 200, { name: 'x', tags: ['v1'] });
  });
  servers.push(realm, registry);
  return { realm, registry };
}

function client(registry: FaultServer, authRealmHosts?: string[]) {
  const transport = new HttpTransport({ concurrency: 4, retryBaseMs: 5 });
  transports.push(transport);
  const warnings: string[] = [];
  const c = new RegistryClient({
    registry: registry.host,
    plainHttp: true,
    credential: { username: 'u', password: 's3cret-pw', source: 'flags' },
    transport,
    maxManifestBytes: 1 << 20,
    maxPages: 10,
    authRealmHosts,
    log: { warn: (m) => warnings.push(m) },
  });
  return { client: c, warnings };
}

describe('RegistryClient token realms', () => {
  it('sends Basic credentials to a realm on the registry host (another port)', async () => {
    const { realm, registry } = await registryWithRealm('127.0.0.1');
    const { client: c, warnings } = client(registry);
    expect(await c.listTags('private')).toEqual(['v1']);
    expect(realm.requests.map((r) => r.headers.authorization)).toEqual([BASIC]);
    expect(realm.requests[0]!.path).toContain('account=u');
    expect(warnings).toEqual([]);
  });

  it('asks a foreign realm anonymously, warns once, and still reads public repositories', async () => {
    const { realm, registry } = await registryWithRealm('127.0.0.2');
    const { client: c, warnings } = client(registry);
    expect(await c.listTags('public')).toEqual(['v1']);
    expect(await c.listTags('other')).toEqual(['v1']);
    const err = await c.listTags('private').then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    // public, other, and private twice (its 401 makes the client fetch a fresh token once).
    expect(realm.requests.map((r) => r.headers.authorization)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(realm.requests.some((r) => r.path.includes('account='))).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`token realm http://${realm.host}/token`);
    expect(warnings[0]).toContain(`--auth-realm-host ${realm.host}`);
    expect(err).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect(err!.message).toContain('withheld');
    for (const text of [...warnings, err!.message]) {
      expect(text).not.toContain('s3cret-pw');
      expect(text).not.toContain(BASIC.slice(6));
    }
  });

  it('sends credentials to a foreign realm the user allowed', async () => {
    const { realm, registry } = await registryWithRealm('127.0.0.2');
    const { client: c, warnings } = client(registry, ['127.0.0.2']);
    expect(await c.listTags('private')).toEqual(['v1']);
    expect(realm.requests.map((r) => r.headers.authorization)).toEqual([BASIC]);
    expect(warnings).toEqual([]);
  });
});
