/** Registries that answer slowly or not at all: every wait is bounded, retried, then a typed error. */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';

import { RegistryClient } from '../../../src/oci/registry/client.js';
import { RequestStats } from '../../../src/oci/registry/stats.js';
import { HttpTransport } from '../../../src/oci/registry/transport.js';
import { json, startFaultServer, type FaultServer } from '../../helpers/fault-server.js';

const servers: FaultServer[] = [];
const transports: HttpTransport[] = [];
const timers: NodeJS.Timeout[] = [];
afterEach(async () => {
  timers.splice(0).forEach(clearInterval);
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const ATTEMPTS = 3;
const TIMEOUT_MS = 500;

function transport() {
  const stats = new RequestStats();
  const t = new HttpTransport({
    concurrency: 4,
    retryBaseMs: 5,
    maxAttempts: ATTEMPTS,
    timeoutMs: TIMEOUT_MS,
    stats,
  });
  transports.push(t);
  return { transport: t, stats };
}

/** Sends one byte every `everyMs` until the client goes away; the body never completes. */
function dribble(res: ServerResponse, everyMs: number): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
  const timer = setInterval(() => res.write(' '), everyMs);
  timers.push(timer);
  res.on('close', () => clearInterval(timer));
}

async function failure(p: Promise<unknown>): Promise<Error & { code?: string }> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (err: unknown) => err as Error & { code?: string },
  );
}

describe('HttpTransport timeouts', () => {
  it('gives up on missing headers, a stalled body and an endless dribble after the retry budget', async () => {
    const server = await startFaultServer((req, res) => {
      if (req.url === '/headers') return; // never answers
      if (req.url === '/idle') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        return res.write('{'); // then silence
      }
      if (req.url === '/dribble') return dribble(res, 100); // never idle for long, never done
    });
    servers.push(server);
    const { transport: t, stats } = transport();
    const send = (path: string, method: 'GET' | 'HEAD' = 'GET') =>
      t.send({ method, url: new URL(path, server.url), kind: 'manifest', maxBytes: 1 << 20 });

    const [headers, head, idle, dribbled] = await Promise.all([
      failure(send('/headers')),
      failure(send('/headers', 'HEAD')),
      failure(send('/idle')),
      failure(send('/dribble')),
    ]);
    expect(headers).toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect(headers.message).toContain('no response headers within 0.5 s (manifest request, 3 attempts');
    expect(head.message).toContain('no response headers within 0.5 s');
    expect(idle).toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect(idle.message).toContain('the response body stalled for 0.5 s (manifest request, 3 attempts');
    expect(dribbled).toMatchObject({ code: 'REGISTRY_UNREACHABLE' });
    expect(dribbled.message).toContain(
      'the response was not complete within 2 s (manifest request, 3 attempts',
    );

    const count = (path: string, method = 'GET') =>
      server.requests.filter((r) => r.path === path && r.method === method).length;
    expect([count('/headers'), count('/headers', 'HEAD'), count('/idle'), count('/dribble')]).toEqual([
      ATTEMPTS,
      ATTEMPTS,
      ATTEMPTS,
      ATTEMPTS,
    ]);
    expect(stats.snapshot().retries).toBe(4 * (ATTEMPTS - 1));
  }, 30_000);

  it('lets a slow body through while it keeps moving within the deadline', async () => {
    const body = JSON.stringify({ name: 'a', tags: ['v1'] });
    const server = await startFaultServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      let i = 0;
      const timer = setInterval(() => {
        res.write(body.slice(i, i + 4));
        i += 4;
        if (i >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 50);
      timers.push(timer);
    });
    servers.push(server);
    const { transport: t, stats } = transport();
    const res = await t.send({
      method: 'GET',
      url: new URL('/slow', server.url),
      kind: 'tags',
      maxBytes: 1024,
    });
    expect(Buffer.from(res.body).toString()).toBe(body);
    expect(stats.snapshot().retries).toBe(0);
  });
  it('keeps the default timeout when a plan passes an unset --timeout as undefined', async () => {
    const server = await startFaultServer((_req, res) => {
      setTimeout(() => json(res, 200, { ok: true }), 50);
    });
    servers.push(server);
    const t = new HttpTransport({ concurrency: 1, timeoutMs: undefined, retryBaseMs: undefined });
    transports.push(t);
    const res = await t.send({ method: 'GET', url: new URL('/', server.url), kind: 'ping', maxBytes: 1024 });
    expect(res.status).toBe(200);
    expect(server.requests).toHaveLength(1);
  });
});

describe('RegistryClient timeouts', () => {
  it('fails stalled manifest, tag list, blob and token requests after the budget, answers the rest', async () => {
    const server: FaultServer = await startFaultServer((req, res) => {
      const url = new URL(req.url ?? '/', server.url);
      if (url.pathname === '/token') {
        if (url.searchParams.get('scope') === 'repository:stuck:pull') return; // the token service hangs
        return json(res, 200, { token: 'tok', expires_in: 300 });
      }
      if (req.headers.authorization !== 'Bearer tok') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.url}/token",service="reg"` });
        return res.end();
      }
      if (url.pathname === '/v2/slow/manifests/v1') return dribble(res, 100);
      if (url.pathname === '/v2/slow/tags/list') return; // no headers
      if (url.pathname.startsWith('/v2/slow/blobs/')) {
        res.writeHead(200, { 'content-length': '64' });
        return res.write('x'); // then silence
      }
      json(res, 200, { name: 'x', tags: ['v1'] });
    });
    servers.push(server);
    const { transport: t } = transport();
    const c = new RegistryClient({
      registry: server.host,
      plainHttp: true,
      transport: t,
      maxManifestBytes: 4 << 20,
      maxPages: 10,
    });
    const blob = { mediaType: 'x', digest: `sha256:${'1'.repeat(64)}`, size: 64 };
    const outcomes = await Promise.allSettled([
      c.getManifest('slow', 'v1'),
      c.listTags('slow'),
      c.getBlob('slow', blob, 1024),
      c.listTags('stuck'),
      c.listTags('fine'),
    ]);
    const messages = outcomes.map((o) =>
      o.status === 'rejected' ? `${o.reason.code}: ${o.reason.message}` : JSON.stringify(o.value),
    );
    expect(messages[0]).toMatch(
      /^REGISTRY_UNREACHABLE: .*not complete within 2 s \(manifest request, 3 attempts/,
    );
    expect(messages[1]).toMatch(
      /^REGISTRY_UNREACHABLE: .*no response headers within 0.5 s \(tags request, 3 attempts/,
    );
    expect(messages[2]).toMatch(/^REGISTRY_UNREACHABLE: .*body stalled for 0.5 s \(blob request, 3 attempts/);
    expect(messages[3]).toMatch(
      /^REGISTRY_UNREACHABLE: .*no response headers within 0.5 s \(token request, 3 attempts/,
    );
    expect(messages[4]).toBe('["v1"]');
    const count = (pred: (path: string) => boolean) => server.requests.filter((r) => pred(r.path)).length;
    expect(count((p) => p === '/v2/slow/manifests/v1')).toBe(ATTEMPTS);
    expect(count((p) => p.startsWith('/v2/slow/tags/list'))).toBe(ATTEMPTS);
    expect(count((p) => p.startsWith('/v2/slow/blobs/'))).toBe(ATTEMPTS);
    expect(count((p) => p.startsWith('/token') && p.includes('stuck'))).toBe(ATTEMPTS);
  }, 30_000);
});
