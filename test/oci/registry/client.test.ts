/** RegistryClient against faults a real registry cannot be made to show. */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';

import { RegistryClient } from '../../../src/oci/registry/client.js';
import { RequestStats } from '../../../src/oci/registry/stats.js';
import { HttpTransport } from '../../../src/oci/registry/transport.js';
import { json, startFaultServer, type FaultServer } from '../../helpers/fault-server.js';

const servers: FaultServer[] = [];
const transports: HttpTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function client(server: FaultServer, credential?: { username: string; password: string }) {
  const stats = new RequestStats();
  const transport = new HttpTransport({ concurrency: 4, retryBaseMs: 5, stats });
  transports.push(transport);
  const c = new RegistryClient({
    registry: server.host,
    plainHttp: true,
    credential: credential ? { ...credential, source: 'flags' } : undefined,
    transport,
    maxManifestBytes: 4 * 1024 * 1024,
    maxPages: 50,
  });
  return { client: c, stats };
}

const manifest = Buffer.from(
  JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', layers: [] }),
);
const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;

describe('RegistryClient', () => {
  it('retries a 429 with Retry-After and counts the retry', async () => {
    const server = await startFaultServer((req, res, n) => {
      if (req.url === '/v2/') return json(res, 200, {});
      if (n === 2) return json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '0' });
      json(res, 200, { name: 'a', tags: ['v1'] });
    });
    servers.push(server);
    const { client: c, stats } = client(server);
    expect(await c.listTags('a')).toEqual(['v1']);
    expect(stats.snapshot()).toMatchObject({ retries: 1, byKind: { tags: { '200': 1, '429': 1 } } });
  });

  it('gives up after the attempts with a rate-limit error, never an empty answer', async () => {
    const server = await startFaultServer((req, res) => {
      if (req.url === '/v2/') return json(res, 200, {});
      json(res, 429, {}, { 'retry-after': '0' });
    });
    servers.push(server);
    await expect(client(server).client.listTags('a')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('rejects a manifest whose body does not match Docker-Content-Digest or the requested digest', async () => {
    const other = `sha256:${'0'.repeat(64)}`;
    const server = await startFaultServer((req, res) => {
      if (req.url === '/v2/') return json(res, 200, {});
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': other,
      });
      res.end(manifest);
    });
    servers.push(server);
    const { client: c } = client(server);
    await expect(c.getManifest('a', 'v1')).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(c.getManifest('a', other)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
    await expect(c.resolve('a', digest)).rejects.toMatchObject({ code: 'DIGEST_MISMATCH' });
  });

  it('stops endless pagination', async () => {
    const server = await startFaultServer((req, res) => {
      if (req.url === '/v2/') return json(res, 200, {});
      json(res, 200, { repositories: ['a'] }, { link: '</v2/_catalog?n=1000>; rel="next"' });
    });
    servers.push(server);
    const { client: c } = client(server);
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const r of c.listRepositories()) seen.push(r);
      })(),
    ).rejects.toMatchObject({ code: 'REGISTRY_ERROR' });
    expect(seen.length).toBeLessThanOrEqual(2);
  });

  it('follows a blob redirect to another host without the Authorization header', async () => {
    const blob = Buffer.from('{"payload":true}');
    const blobDigest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const storage = await startFaultServer((_req, res) => {
      res.writeHead(200, { 'content-length': blob.length });
      res.end(blob);
    });
    const server = await startFaultServer((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' });
        return res.end();
      }
      if (req.url === '/v2/') return json(res, 200, {});
      res.writeHead(307, { location: `${storage.url}/blob?sig=1` });
      res.end();
    });
    servers.push(server, storage);
    const { client: c } = client(server, { username: 'u', password: 'secret' });
    const got = await c.getBlob('a', { mediaType: 'x', digest: blobDigest, size: blob.length }, 1024);
    expect(Buffer.from(got).toString()).toBe(blob.toString());
    expect(server.requests.at(-1)!.headers.authorization).toMatch(/^Basic /);
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]!.headers.authorization).toBeUndefined();
  });

  it('refuses a blob larger than its limit before downloading it', async () => {
    const server = await startFaultServer((_req, res) => json(res, 200, {}));
    servers.push(server);
    await expect(
      client(server).client.getBlob('a', { mediaType: 'x', digest, size: 10_000 }, 100),
    ).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });

  it('runs the Bearer token flow once per scope, sending credentials only to the realm', async () => {
    const server: FaultServer = await startFaultServer((req, res) => {
      const url = new URL(req.url ?? '/', server.url);
      if (url.pathname === '/token') {
        const basic = `Basic ${Buffer.from('u:secret').toString('base64')}`;
        if (req.headers.authorization !== basic) return json(res, 401, {});
        return json(res, 200, { token: `tok-${url.searchParams.get('scope')}`, expires_in: 300 });
      }
      const expected = url.pathname.startsWith('/v2/a/') ? 'Bearer tok-repository:a:pull' : undefined;
      if (!expected || req.headers.authorization !== expected) {
        res.writeHead(401, {
          'www-authenticate': `Bearer realm="${server.url}/token",service="reg",scope="repository:a:pull"`,
        });
        return res.end();
      }
      json(res, 200, { name: 'a', tags: ['v1'] });
    });
    servers.push(server);
    const { client: c } = client(server, { username: 'u', password: 'secret' });
    expect(await c.listTags('a')).toEqual(['v1']);
    await c.listTags('a');
    const tokenRequests = server.requests.filter((r) => r.path.startsWith('/token'));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.path).toContain('service=reg');
    expect(
      server.requests.filter((r) => r.path.startsWith('/v2/a/')).map((r) => r.headers.authorization),
    ).toEqual(['Bearer tok-repository:a:pull']);
  });

  it('reports rejected credentials at the token service as unauthorized', async () => {
    const server: FaultServer = await startFaultServer((req, res) => {
      if ((req.url ?? '').startsWith('/token')) return json(res, 401, {});
      res.writeHead(401, { 'www-authenticate': `Bearer realm="${server.url}/token",service="reg"` });
      res.end();
    });
    servers.push(server);
    const err = await client(server, { username: 'u', password: 'hunter2' })
      .client.listTags('a')
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code: string },
      );
    expect(err).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect(err!.message).toContain('user "u"');
    expect(err!.message).not.toContain('hunter2');
  });

  it('retries a connection reset and a truncated body, then succeeds', async () => {
    let calls = 0;
    const server = await startFaultServer((req, res) => {
      if (req.url === '/v2/') return json(res, 200, {});
      calls++;
      if (calls === 1) return req.socket.destroy();
      if (calls === 2) {
        // Promise 100 bytes, send 10, then drop the connection.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"name":"a');
        return setTimeout(() => res.socket?.destroy(), 10);
      }
      json(res, 200, { name: 'a', tags: ['v1'] });
    });
    servers.push(server);
    const { client: c, stats } = client(server);
    expect(await c.listTags('a')).toEqual(['v1']);
    expect(stats.snapshot().retries).toBe(2);
  });

  it('stops a redirect loop and refuses a manifest over the 4 MiB limit', async () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
    const server = await startFaultServer((req, res) => {
      if (req.url === '/v2/') return json(res, 200, {});
      if ((req.url ?? '').includes('/blobs/')) {
        res.writeHead(307, { location: req.url });
        return res.end();
      }
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(big);
    });
    servers.push(server);
    const { client: c } = client(server);
    await expect(c.getBlob('a', { mediaType: 'x', digest, size: 10 }, 1024)).rejects.toMatchObject({
      code: 'REGISTRY_ERROR',
    });
    await expect(c.getManifest('a', 'v1')).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });
});
