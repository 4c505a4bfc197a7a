/** GHCR listing through the GitHub packages API, against a loopback server answering as GitHub documents. */
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { listGhcrRepositories } from '../../../src/oci/listing/github.js';
import { linkHeaderNext } from '../../../src/oci/listing/http.js';
import { json, startFaultServer, type FaultServer } from '../../helpers/fault-server.js';
import { collect, servers, transport } from './support.js';

const token = { username: 'me', password: 'ghp_testtoken', source: 'flags' };

describe('GHCR listing', () => {
  it('follows Link across pages, decodes names and sends the PAT as a bearer token', async () => {
    const srv: FaultServer = await startFaultServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (req.headers.authorization !== 'Bearer ghp_testtoken') return json(res, 401, { message: 'Bad' });
      if (url.pathname !== '/orgs/Acme/packages') return json(res, 404, { message: 'Not Found' });
      const pageNo = url.searchParams.get('page') ?? '1';
      const link = (p: number, rel: string) =>
        `<${srv.url}/orgs/Acme/packages?package_type=container&per_page=100&page=${p}>; rel="${rel}"`;
      if (pageNo === '1') {
        return json(res, 200, [{ name: 'app', package_type: 'container' }, { name: 'tools%2Fbuilder' }], {
          link: `${link(2, 'next')}, ${link(2, 'last')}`,
        });
      }
      return json(res, 200, [{ name: 'Web' }], { link: `${link(1, 'prev')}, ${link(1, 'first')}` });
    });
    servers.push(srv);
    const repos = await collect(
      listGhcrRepositories({
        transport: transport(),
        base: new URL(srv.url),
        owner: 'Acme',
        credential: token,
        maxPages: 10,
      }),
    );
    expect(repos).toEqual(['acme/app', 'acme/tools/builder', 'acme/web']);
    expect(srv.requests[0]!.path).toBe('/orgs/Acme/packages?package_type=container&per_page=100');
    expect(srv.requests[0]!.headers.accept).toBe('application/vnd.github+json');
  });

  it('falls back to /users/<name>/packages when the organisation is 404', async () => {
    const srv = await startFaultServer((req, res) => {
      if (req.url!.startsWith('/users/alice/packages?')) return json(res, 200, [{ name: 'dotfiles' }]);
      return json(res, 404, { message: 'Not Found' });
    });
    servers.push(srv);
    const repos = await collect(
      listGhcrRepositories({
        transport: transport(),
        base: new URL(srv.url),
        owner: 'alice',
        credential: token,
        maxPages: 10,
      }),
    );
    expect(repos).toEqual(['alice/dotfiles']);
    expect(srv.requests.map((r) => r.path.split('?')[0])).toEqual([
      '/orgs/alice/packages',
      '/users/alice/packages',
    ]);
  });

  it('refuses a Link next on another host', async () => {
    const srv = await startFaultServer((_req, res) =>
      json(res, 200, [{ name: 'one' }], {
        link: '<http://127.0.0.2:9/orgs/acme/packages?page=2>; rel="next"',
      }),
    );
    servers.push(srv);
    const err = await collect(
      listGhcrRepositories({
        transport: transport(),
        base: new URL(srv.url),
        owner: 'acme',
        credential: token,
        maxPages: 10,
      }),
    ).catch((e: unknown) => e);
    expect((err as SigscanError).code).toBe('REGISTRY_ERROR');
    expect((err as SigscanError).message).toMatch(/another host/);
    expect(srv.requests).toHaveLength(1);
  });

  it('turns a 401 into REGISTRY_UNAUTHORIZED without leaking the token', async () => {
    const srv = await startFaultServer((_req, res) => json(res, 401, { message: 'Bad credentials' }));
    servers.push(srv);
    const err = await collect(
      listGhcrRepositories({
        transport: transport(),
        base: new URL(srv.url),
        owner: 'acme',
        credential: token,
        maxPages: 10,
      }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('REGISTRY_UNAUTHORIZED');
    expect((err as SigscanError).message).toMatch(
      /GitHub API rejected the credentials from flags \(Bad credentials\)/,
    );
    expect((err as SigscanError).message).not.toContain('ghp_testtoken');
  });

  it('asks for credentials when anonymous and refused', async () => {
    const srv = await startFaultServer((_req, res) => json(res, 401, { message: 'Requires authentication' }));
    servers.push(srv);
    const err = await collect(
      listGhcrRepositories({ transport: transport(), base: new URL(srv.url), owner: 'acme', maxPages: 10 }),
    ).catch((e: unknown) => e);
    expect((err as SigscanError).code).toBe('REGISTRY_UNAUTHORIZED');
    expect((err as SigscanError).message).toMatch(/requires authentication.*-u\/-p/);
    expect(srv.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('linkHeaderNext', () => {
  it('picks rel="next" among several relations', () => {
    const res = (link: string) => ({
      status: 200,
      headers: { link },
      body: new Uint8Array(),
      url: new URL('http://x'),
    });
    expect(linkHeaderNext(res('<https://a/p?page=1>; rel="prev", <https://a/p?page=3>; rel="next"'))).toBe(
      'https://a/p?page=3',
    );
    expect(linkHeaderNext(res('<https://a/p?page=1>; rel="first"'))).toBeUndefined();
    expect(linkHeaderNext(res('</p?page=2>; rel=next'))).toBe('/p?page=2');
  });
});
