/**
 * `sigscan repo --timeout` against a registry that stalls: the stalled tags end `unknown` after the
 * retry budget (5 attempts), never `unsigned`, and the other tags are reported as usual.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import { json, startFaultServer, type FaultServer } from '../helpers/fault-server.js';

const ATTEMPTS = 5; // HttpTransport's default retry budget

const servers: FaultServer[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  timers.splice(0).forEach(clearInterval);
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const manifest = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}');
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

function sendManifest(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'application/vnd.oci.image.manifest.v1+json',
    'docker-content-digest': digest,
    'content-length': manifest.length,
  });
  res.end(req.method === 'HEAD' ? undefined : manifest);
}

/** A byte every 300 ms: never silent for a whole second, never finished. */
function dribble(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
  const timer = setInterval(() => res.write(' '), 300);
  timers.push(timer);
  res.on('close', () => clearInterval(timer));
}

const rows = (targets: JsonTarget[]) =>
  targets
    .map((t) => [t.repository, t.tag ?? null, t.status, t.errors.map((e) => e.code)])
    .sort((a, b) => `${a[0]}:${a[1]}`.localeCompare(`${b[0]}:${b[1]}`));

const count = (server: FaultServer, method: string, pred: (path: string) => boolean) =>
  server.requests.filter((r) => r.method === method && pred(r.path)).length;

describe('sigscan repo --timeout', () => {
  it('turns stalled headers and an endless body into unknown targets and scans the rest', async () => {
    const server = await startFaultServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return json(res, 200, {});
      if (url.startsWith('/v2/_catalog')) return json(res, 200, { repositories: ['app'] });
      if (url.startsWith('/v2/app/tags/list')) {
        return json(res, 200, { name: 'app', tags: ['dribbled', 'good', 'stalled'] });
      }
      if (url === '/v2/app/manifests/good') return sendManifest(req, res);
      if (url === '/v2/app/manifests/stalled') return; // no headers, ever
      if (url === '/v2/app/manifests/dribbled') {
        if (req.method === 'GET') return dribble(res);
        // No digest header: the client has to GET the manifest and hash it.
        res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
        return res.end();
      }
      json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not found' }] });
    });
    servers.push(server);

    const { code, report } = await sigscanJson([
      'repo',
      server.host,
      '--plain-http',
      '--timeout',
      '1',
      '--stats',
    ]);

    expect(rows(report.targets)).toEqual([
      ['app', 'dribbled', 'unknown', ['REGISTRY_UNREACHABLE']],
      ['app', 'good', 'unsigned', []],
      ['app', 'stalled', 'unknown', ['REGISTRY_UNREACHABLE']],
    ]);
    const error = (tag: string) => report.targets.find((t) => t.tag === tag)!.errors[0]!.message;
    expect(error('stalled')).toContain(
      `no response headers within 1 s (manifest-head request, ${ATTEMPTS} attempts`,
    );
    expect(error('dribbled')).toContain(`not complete within 4 s (manifest request, ${ATTEMPTS} attempts`);
    expect(count(server, 'HEAD', (p) => p === '/v2/app/manifests/stalled')).toBe(ATTEMPTS);
    expect(count(server, 'GET', (p) => p === '/v2/app/manifests/dribbled')).toBe(ATTEMPTS);
    expect(count(server, 'HEAD', (p) => p === '/v2/app/manifests/good')).toBe(1);
    expect((report.stats as unknown as { retries: number }).retries).toBe(2 * (ATTEMPTS - 1));
    expect(report.summary).toMatchObject({ targets: 3, unsigned: 1, unknown: 2 });
    expect(code).toBe(3);
  }, 120_000);

  it('turns a stalled token service into an unknown repository and keeps the credentials secret', async () => {
    const password = 'pw-7c1e9b0d2f';
    const token = 'tok-5a8e3c61f0';
    const server: FaultServer = await startFaultServer((req, res) => {
      const url = new URL(req.url ?? '/', server.url);
      if (url.pathname === '/token') {
        if (url.searchParams.get('scope') === 'repository:locked:pull') return; // hangs
        return json(res, 200, { token, expires_in: 300 });
      }
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.url}/token",service="reg"` });
        return res.end();
      }
      if (url.pathname.startsWith('/v2/_catalog')) {
        return json(res, 200, { repositories: ['app', 'locked'] });
      }
      if (url.pathname === '/v2/app/tags/list') return json(res, 200, { name: 'app', tags: ['v1'] });
      if (url.pathname === '/v2/app/manifests/v1') return sendManifest(req, res);
      json(res, 404, { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'not found' }] });
    });
    servers.push(server);

    const res = await sigscanJson(
      ['repo', server.host, '--plain-http', '--timeout', '1', '-u', 'u', '--password-stdin', '-v'],
      { input: `${password}\n` },
    );

    expect(rows(res.report.targets)).toEqual([
      ['app', 'v1', 'unsigned', []],
      ['locked', null, 'unknown', ['REGISTRY_UNREACHABLE']],
    ]);
    const locked = res.report.targets.find((t) => t.repository === 'locked')!;
    expect(locked.errors[0]!.message).toContain(`(token request, ${ATTEMPTS} attempts`);
    expect(count(server, 'GET', (p) => p.startsWith('/token') && p.includes('locked'))).toBe(ATTEMPTS);
    expect(res.code).toBe(3);
    const output = JSON.stringify(res.report) + res.stderr;
    for (const secret of [password, token, Buffer.from(`u:${password}`).toString('base64')]) {
      expect(output).not.toContain(secret);
    }
  }, 120_000);
});
