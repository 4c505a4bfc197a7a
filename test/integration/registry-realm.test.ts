/**
 * `sigscan repo` with a Bearer challenge whose token realm is on another host: the user's credentials
 * reach it only with `--auth-realm-host`; without it the token is asked for anonymously, public images
 * still scan, and no secret is ever printed.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';

import { sigscan, sigscanJson } from '../helpers/cli.js';
import { json, startFaultServer, type FaultServer } from '../helpers/fault-server.js';

const servers: FaultServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const PASSWORD = 'pw-3f9d0a7be2';
const BASIC = `Basic ${Buffer.from(`u:${PASSWORD}`).toString('base64')}`;
const USER_TOKEN = 'tok-user-81c4e2d7a9';
const ANON_TOKEN = 'tok-anon-0b6f5e1c3d';

const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

/**
 * A token service on `realmListen` that gives the user's token for the user's Basic credentials and an
 * anonymous one otherwise, and a registry on 127.0.0.1 whose `private` repository needs the user's token.
 */
async function registryWithRealm(realmListen: string) {
  const realm = await startFaultServer(
    (req, res) => json(res, 200, { token: req.headers.authorization === BASIC ? USER_TOKEN : ANON_TOKEN }),
    { listen: realmListen },
  );
  const registry = await startFaultServer((req, res) => {
    const url = req.url ?? '';
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${USER_TOKEN}` && auth !== `Bearer ${ANON_TOKEN}`) {
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm.url}/token",service="reg"` });
      return res.end();
    }
    if (url.startsWith('/v2/private/') && auth !== `Bearer ${USER_TOKEN}`) {
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    }
    if (url.startsWith('/v2/_catalog')) return json(res, 200, { repositories: ['private', 'public'] });
    if (url.includes('/tags/list')) return json(res, 200, { name: 'x', tags: ['v1'] });
    if (url.endsWith('/manifests/v1')) {
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': digest,
        'content-length': manifest.length,
      });
      return res.end(req.method === 'HEAD' ? undefined : manifest);
    }
    json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not found' }] });
  });
  servers.push(realm, registry);
  return { realm, registry };
}

async function scan(registry: FaultServer, extra: string[] = []) {
  const res = await sigscanJson(
    ['repo', registry.host, '--plain-http', '-u', 'u', '--password-stdin', '-v', ...extra],
    { input: `${PASSWORD}\n` },
  );
  const output = JSON.stringify(res.report) + res.stderr;
  for (const secret of [PASSWORD, BASIC.slice('Basic '.length), USER_TOKEN, ANON_TOKEN]) {
    expect(output).not.toContain(secret);
  }
  const statuses = res.report.targets
    .map((t) => [t.repository, t.status, t.errors.map((e) => e.code)])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  const warnings = res.stderr.split('\n').filter((l) => l.includes('anonymously'));
  return { ...res, statuses, warnings };
}

describe('sigscan repo with a token realm on another host', () => {
  it('asks a foreign realm anonymously and warns once: public images scan, private ones are unknown', async () => {
    const { realm, registry } = await registryWithRealm('127.0.0.2');
    const { code, statuses, warnings } = await scan(registry);
    // One token each for the catalog, public and private, and a fresh one after private's 401.
    expect(realm.requests).toHaveLength(4);
    expect(realm.requests.map((r) => r.headers.authorization ?? null)).toEqual(
      realm.requests.map(() => null),
    );
    expect(realm.requests.filter((r) => r.path.includes('account='))).toEqual([]);
    expect(statuses).toEqual([
      ['private', 'unknown', ['REGISTRY_UNAUTHORIZED']],
      ['public', 'unsigned', []],
    ]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`token realm http://${realm.host}/token`);
    expect(warnings[0]).toContain(`--auth-realm-host ${realm.host}`);
    expect(code).toBe(3);
  }, 60_000);

  it.each([
    ['a foreign realm named with --auth-realm-host', '127.0.0.2', ['--auth-realm-host', '127.0.0.2']],
    ['a realm on the registry host, on another port, without the flag', '127.0.0.1', []],
  ])(
    'sends the credentials to %s',
    async (_what, realmHost, flags) => {
      const { realm, registry } = await registryWithRealm(realmHost);
      const { code, statuses, warnings } = await scan(registry, flags);
      expect(realm.requests).toHaveLength(3); // catalog, private, public
      expect(realm.requests.every((r) => r.path.includes('account=u'))).toBe(true);
      expect(realm.requests.map((r) => r.headers.authorization)).toEqual(realm.requests.map(() => BASIC));
      expect(statuses).toEqual([
        ['private', 'unsigned', []],
        ['public', 'unsigned', []],
      ]);
      expect(warnings).toEqual([]);
      expect(code).toBe(0);
    },
    60_000,
  );

  it('refuses a URL as --auth-realm-host (exit 2) before any request', async () => {
    const { registry } = await registryWithRealm('127.0.0.1');
    const res = await sigscan(
      ['repo', registry.host, '--plain-http', '--auth-realm-host', 'https://auth.example.com/token'],
      { env: { SIGSCAN_USERNAME: 'u', SIGSCAN_PASSWORD: PASSWORD } },
    );
    expect(res.code).toBe(2);
    // oclif wraps the message and marks each line with ›.
    expect(res.stderr.replace(/\s*›\s*/g, ' ')).toContain('must be a host or host:port, not a URL');
    expect(res.stdout + res.stderr).not.toContain(PASSWORD);
    expect(registry.requests).toEqual([]);
  });
});
