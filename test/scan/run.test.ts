/** One failing lookup must not end the scan or turn into "unsigned". */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';

import { runRepoScan } from '../../src/scan/run.js';
import { exitCodeFor } from '../../src/scan/exit-code.js';
import { silentLogger } from '../../src/util/logger.js';
import { json, startFaultServer, type FaultServer } from '../helpers/fault-server.js';

let server: FaultServer | undefined;
afterEach(async () => server?.close());

describe('runRepoScan with a flaky registry', () => {
  it('marks the tag whose lookup failed unknown and reports the rest', async () => {
    const manifest = Buffer.from(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
    );
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    server = await startFaultServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return json(res, 200, {});
      if (url.startsWith('/v2/_catalog')) return json(res, 200, { repositories: ['app'] });
      if (url.startsWith('/v2/app/tags/list'))
        return json(res, 200, { name: 'app', tags: ['good', 'broken'] });
      if (url.startsWith('/v2/app/referrers/')) return json(res, 404, {});
      if (url === '/v2/app/manifests/good') {
        res.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': digest,
          'content-length': manifest.length,
        });
        return res.end(req.method === 'HEAD' ? undefined : manifest);
      }
      json(res, 500, { errors: [{ code: 'UNKNOWN', message: 'boom' }] });
    });
    const report = await runRepoScan({
      target: server.host,
      plainHttp: true,
      concurrency: 4,
      retryBaseMs: 1,
      log: silentLogger,
    });
    const rows = report.results.map((r) => [
      r.target.kind === 'image' ? r.target.tag : '',
      r.status,
      r.errors.map((e) => e.code),
    ]);
    expect(rows.sort()).toEqual([
      ['broken', 'unknown', ['REGISTRY_ERROR']],
      ['good', 'unsigned', []],
    ]);
    expect(exitCodeFor(report, [])).toBe(3);
    expect(exitCodeFor(report, ['unsigned'])).toBe(1);
    // 500 is not retried as a rate limit would be; 502/503/504 are.
    expect(server.requests.filter((r) => r.path === '/v2/app/manifests/broken')).toHaveLength(1);
  });

  it('rides out a 429 storm: every tag ends with a status, none unsigned because a lookup failed', async () => {
    const manifest = Buffer.from(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
    );
    const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const tags = Array.from({ length: 12 }, (_, i) => `t${i}`);
    const attempts = new Map<string, number>();
    server = await startFaultServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return json(res, 200, {});
      const n = (attempts.get(`${req.method} ${url}`) ?? 0) + 1;
      attempts.set(`${req.method} ${url}`, n);
      // Every request is throttled twice before it gets through; `hot` stays throttled for good.
      if (n <= 2 || url.startsWith('/v2/hot/manifests/')) {
        return json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS' }] }, { 'retry-after': '0' });
      }
      if (url.startsWith('/v2/_catalog')) return json(res, 200, { repositories: ['cold', 'hot'] });
      if (url.includes('/tags/list')) return json(res, 200, { name: 'x', tags });
      if (url.includes('/referrers/')) return json(res, 404, {});
      res.writeHead(200, {
        'content-type': 'application/vnd.oci.image.manifest.v1+json',
        'docker-content-digest': digest,
        'content-length': manifest.length,
      });
      return res.end(req.method === 'HEAD' ? undefined : manifest);
    });
    const report = await runRepoScan({
      target: server.host,
      plainHttp: true,
      concurrency: 4,
      retryBaseMs: 1,
      stats: true,
      log: silentLogger,
    });
    const byRepo = (repo: string) =>
      report.results.filter((r) => r.target.kind === 'image' && r.target.repository === repo);
    expect(byRepo('cold').map((r) => r.status)).toEqual(tags.map(() => 'unsigned'));
    expect(byRepo('hot')).toHaveLength(tags.length);
    for (const r of byRepo('hot')) {
      expect(r.status).toBe('unknown');
      expect(r.errors.map((e) => e.code)).toEqual(['RATE_LIMITED']);
    }
    expect((report.stats as { retries: number }).retries).toBeGreaterThan(39);
  });
});
