/** Docker Hub namespace listing against a loopback server answering as the documented Hub API does. */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { listDockerHubRepositories } from '../../../src/oci/listing/dockerhub.js';
import { json, startFaultServer, type FaultServer } from '../../helpers/fault-server.js';
import { collect, servers, transport } from './support.js';

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function page(server: () => FaultServer, names: string[], next?: string) {
  return {
    count: 3,
    next: next ? `${server().url}${next}` : null,
    previous: null,
    results: names.map((name) => ({ name, namespace: 'acme', repository_type: 'image', is_private: false })),
  };
}

describe('Docker Hub listing', () => {
  it('follows next links across pages', async () => {
    const srv: FaultServer = await startFaultServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname !== '/v2/namespaces/acme/repositories') return json(res, 404, { message: 'nope' });
      if (url.searchParams.get('page') === '2')
        return json(
          res,
          200,
          page(() => srv, ['web']),
        );
      expect(url.searchParams.get('page_size')).toBe('100');
      return json(
        res,
        200,
        page(() => srv, ['api', 'worker'], '/v2/namespaces/acme/repositories?page=2&page_size=100'),
      );
    });
    servers.push(srv);
    const repos = await collect(
      listDockerHubRepositories({
        transport: transport(),
        base: new URL(srv.url),
        namespace: 'acme',
        maxPages: 10,
      }),
    );
    expect(repos).toEqual(['acme/api', 'acme/worker', 'acme/web']);
    expect(srv.requests.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it('logs in and sends the Hub JWT as a bearer token', async () => {
    const logins: unknown[] = [];
    const srv = await startFaultServer((req, res) => {
      if (req.method === 'POST' && req.url === '/v2/users/login') {
        void readBody(req).then((body) => {
          logins.push(JSON.parse(body));
          json(res, 200, { token: 'hub-jwt-123' });
        });
        return;
      }
      if (req.headers.authorization !== 'Bearer hub-jwt-123')
        return json(res, 401, { detail: 'login first' });
      return json(res, 200, { count: 1, next: null, results: [{ name: 'private-app', namespace: 'acme' }] });
    });
    servers.push(srv);
    const repos = await collect(
      listDockerHubRepositories({
        transport: transport(),
        base: new URL(srv.url),
        namespace: 'acme',
        credential: { username: 'bot', password: 's3cret', source: 'flags' },
        maxPages: 10,
      }),
    );
    expect(repos).toEqual(['acme/private-app']);
    expect(logins).toEqual([{ username: 'bot', password: 's3cret' }]);
  });

  it('falls back to the older /v2/repositories/<ns>/ endpoint on 404', async () => {
    const srv = await startFaultServer((req, res) => {
      if (req.url === '/v2/repositories/acme/?page_size=100') {
        return json(res, 200, { count: 1, next: null, results: [{ name: 'legacy' }] });
      }
      return json(res, 404, { message: 'not found' });
    });
    servers.push(srv);
    const repos = await collect(
      listDockerHubRepositories({
        transport: transport(),
        base: new URL(srv.url),
        namespace: 'acme',
        maxPages: 10,
      }),
    );
    expect(repos).toEqual(['acme/legacy']);
  });

  it('refuses a next link pointing at another host', async () => {
    const srv = await startFaultServer((_req, res) =>
      json(res, 200, {
        count: 2,
        next: 'http://127.0.0.2:9/v2/namespaces/acme/repositories?page=2',
        results: [{ name: 'one', namespace: 'acme' }],
      }),
    );
    servers.push(srv);
    const seen: string[] = [];
    const err = await (async () => {
      for await (const r of listDockerHubRepositories({
        transport: transport(),
        base: new URL(srv.url),
        namespace: 'acme',
        maxPages: 10,
      }))
        seen.push(r);
    })().catch((e: unknown) => e);
    expect(seen).toEqual(['acme/one']);
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('REGISTRY_ERROR');
    expect((err as SigscanError).message).toMatch(/another host/);
    expect(srv.requests).toHaveLength(1);
  });

  it('turns a rejected login into REGISTRY_UNAUTHORIZED naming the credential source', async () => {
    const srv = await startFaultServer((_req, res) =>
      json(res, 401, { detail: 'Incorrect authentication credentials' }),
    );
    servers.push(srv);
    const err = await collect(
      listDockerHubRepositories({
        transport: transport(),
        base: new URL(srv.url),
        namespace: 'acme',
        credential: { username: 'bot', password: 'wrong', source: 'flags' },
        maxPages: 10,
      }),
    ).catch((e: unknown) => e);
    expect((err as SigscanError).code).toBe('REGISTRY_UNAUTHORIZED');
    expect((err as SigscanError).message).toMatch(/Docker Hub rejected the credentials from flags/);
    expect((err as SigscanError).message).not.toMatch(/wrong/);
  });

  it('stops an endless next chain at maxPages', async () => {
    const srv: FaultServer = await startFaultServer((_req, res, n) =>
      json(res, 200, { next: `${srv.url}/v2/namespaces/acme/repositories?page=${n + 1}`, results: [] }),
    );
    servers.push(srv);
    const err = await collect(
      listDockerHubRepositories({
        transport: transport(),
        base: new URL(srv.url),
        namespace: 'acme',
        maxPages: 3,
      }),
    ).catch((e: unknown) => e);
    expect((err as SigscanError).message).toMatch(/pagination does not end/);
    expect(srv.requests).toHaveLength(3);
  });
});
