import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import type { Finding } from '../../../src/model/index.js';
import { HttpTransport } from '../../../src/oci/registry/transport.js';
import { RequestStats } from '../../../src/oci/registry/stats.js';
import { transportFetch } from '../../../src/scan/revocation-fetch.js';
import { checkPathRevocation } from '../../../src/trust/revocation/check.js';
import { OnlineRevocationClient, revocationSources } from '../../../src/trust/revocation/online.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  freePort,
  makeRevocationCa,
  preparedKey,
  reopenRevocationCa,
  type RevocationCa,
  startOcspResponder,
} from '../../helpers/revocation-pki.js';

/** The leaves the CA issues per run (their names are also their common names). */
const LEAVES = [
  'Good Online',
  'Revoked Online',
  'Unreachable',
  'OCSP Down CRL Up',
  'Revoked CRL Only',
  'Bad Responder',
];

function chainOf(path: string): ParsedCertificate[] {
  return pemCertificates(readFileSync(path, 'utf8')).map(parseCertificate);
}

/**
 * Online revocation against real servers on 127.0.0.1: `openssl ocsp` answering from the CA's index.txt,
 * and a node http server serving the CA's `openssl ca -gencrl` CRL. Unreachable sources are closed ports.
 */
describe('online revocation (openssl ocsp responder, CRL over http)', () => {
  let dir: string;
  let ca: RevocationCa;
  let crlServer: Server;
  let crlRequests = 0;
  const responders: Array<{ stop(): Promise<void> }> = [];
  const chains: Record<string, ParsedCertificate[]> = {};
  let ocspPort: number;
  let badOcspPort: number;
  let deadPort: number;
  let crlUrl: string;
  let stats: RequestStats;
  let transport: HttpTransport;

  const client = () => new OnlineRevocationClient(transportFetch(transport));

  beforeAll(async () => {
    // Made once a day (cachedFixtureDir): the CA, the two responder certificates (they name no URL) and the
    // RSA keys and requests of the six leaves. The leaves name this run's ports, so they are signed per
    // run from those requests, and revoked and listed in a CRL per run; the responders run per run too.
    const cached = await cachedFixtureDir('revocation-online-ca-v1', async (out) => {
      const built = await makeRevocationCa(join(out, 'ca'));
      for (const name of LEAVES) await preparedKey(built.dir, name, name);
      await built.issue('ocsp', 'Sigscan OCSP Responder', { extensions: 'ocsp' });
      await built.issue('not-ocsp', 'Not An OCSP Responder');
    });
    dir = mkdtempSync(join(tmpdir(), 'sigscan-online-'));
    ca = reopenRevocationCa(join(cached, 'ca'), join(dir, 'ca'), '/O=Sigscan Test/CN=Sigscan Revocation CA');
    crlServer = createServer((req, res) => {
      crlRequests++;
      if (req.url !== '/ca.crl') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/pkix-crl' }).end(readFileSync(join(dir, 'ca.crl')));
    });
    await new Promise<void>((r) => crlServer.listen(0, '127.0.0.1', () => r()));
    crlUrl = `http://127.0.0.1:${(crlServer.address() as { port: number }).port}/ca.crl`;
    [ocspPort, badOcspPort, deadPort] = [await freePort(), await freePort(), await freePort()];
    const issue = async (name: string, ocsp: number, crl = crlUrl) => {
      const leaf = await ca.issue(name, name, {
        extensions: 'codesign_online',
        env: { OCSP_URL: `http://127.0.0.1:${ocsp}`, CRL_URL: crl },
      });
      chains[name] = chainOf(leaf.chain);
      return leaf;
    };
    await issue('Good Online', ocspPort);
    const revoked = await issue('Revoked Online', ocspPort);
    await issue('Unreachable', deadPort, `http://127.0.0.1:${deadPort}/ca.crl`);
    await issue('OCSP Down CRL Up', deadPort);
    const revokedCrlOnly = await issue('Revoked CRL Only', deadPort);
    await issue('Bad Responder', badOcspPort);
    await ca.revoke(revoked.cert, 'keyCompromise');
    await ca.revoke(revokedCrlOnly.cert, 'cessationOfOperation');
    await ca.crl(join(dir, 'ca.crl'));
    // Crude PEM → DER for the server: the CRL is served as DER, as CAs do.
    const pem = readFileSync(join(dir, 'ca.crl'), 'utf8');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'ca.crl'), Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    const responder = { cert: join(ca.dir, 'ocsp.pem'), key: join(ca.dir, 'ocsp.key') };
    responders.push(await startOcspResponder(ca, ocspPort, responder, join(dir, 'ocsp-run')));
    // A responder signing with a code-signing certificate: the CA never authorised it for OCSP.
    const impostor = { cert: join(ca.dir, 'not-ocsp.pem'), key: join(ca.dir, 'not-ocsp.key') };
    responders.push(await startOcspResponder(ca, badOcspPort, impostor, join(dir, 'bad-ocsp-run')));
    stats = new RequestStats();
    transport = new HttpTransport({ concurrency: 2, timeoutMs: 3000, maxAttempts: 1, stats });
  }, 120_000);
  afterAll(async () => {
    await transport?.close();
    for (const r of responders) await r.stop();
    await new Promise((r) => crlServer?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const check = async (
    name: string,
    mode: 'online' | 'online-strict',
    findings: Finding[] = [],
    c = client(),
  ) => checkPathRevocation(chains[name]!, { mode, crls: [], online: c, checkTime: new Date(), findings });

  it('reads the OCSP and CRL URLs the certificate names', () => {
    expect(revocationSources(chains['Good Online']![0]!.cert)).toEqual({
      ocsp: [`http://127.0.0.1:${ocspPort}`],
      crl: [crlUrl],
    });
    expect(revocationSources(chains['Good Online']![1]!.cert)).toEqual({ ocsp: [], crl: [] });
  });

  it('OCSP good (delegated responder): NOT_REVOKED; the CA, naming no source, counts as not revocable', async () => {
    const before = stats.snapshot().byKind['ocsp']?.['200'] ?? 0;
    expect(await check('Good Online', 'online-strict')).toEqual({
      ok: true,
      code: 'NOT_REVOKED',
      message: 'revocation checked (online-strict): 1 certificate(s) not revoked',
    });
    expect(stats.snapshot().byKind['ocsp']?.['200']).toBe(before + 1);
  });

  it('OCSP revoked: CERT_REVOKED with the time and reason the responder gives', async () => {
    const result = await check('Revoked Online', 'online');
    expect(result.code).toBe('CERT_REVOKED');
    expect(result.message).toMatch(
      new RegExp(
        `^CN=Revoked Online,O=Sigscan Test was revoked \\S+ \\(keyCompromise\\); the signature has no trusted timestamp \\(OCSP http://127\\.0\\.0\\.1:${ocspPort}\\)$`,
      ),
    );
  });

  it('unreachable OCSP and CRL: findings under online, REVOCATION_UNKNOWN under online-strict', async () => {
    const findings: Finding[] = [];
    const lax = await check('Unreachable', 'online', findings);
    expect(lax).toMatchObject({ ok: true, code: 'REVOCATION_UNKNOWN' });
    expect(findings.map((f) => [f.code, f.message.replace(/Test: .*$/, 'Test')])).toEqual([
      [
        'REVOCATION_SOURCE_NOT_USED',
        `OCSP http://127.0.0.1:${deadPort} was not used to check CN=Unreachable,O=Sigscan Test`,
      ],
      [
        'REVOCATION_SOURCE_NOT_USED',
        `CRL http://127.0.0.1:${deadPort}/ca.crl was not used to check CN=Unreachable,O=Sigscan Test`,
      ],
    ]);
    expect(findings[0]!.message).toContain(`cannot reach 127.0.0.1:${deadPort}: ECONNREFUSED`);
    const strict = await check('Unreachable', 'online-strict');
    expect(strict).toEqual({
      ok: false,
      code: 'REVOCATION_UNKNOWN',
      message:
        'the revocation status of CN=Unreachable,O=Sigscan Test is unknown, and --revocation online-strict requires it',
    });
  });

  it('OCSP down, CRL distribution point up: the CRL decides (good, and revoked)', async () => {
    const findings: Finding[] = [];
    expect(await check('OCSP Down CRL Up', 'online-strict', findings)).toMatchObject({
      ok: true,
      code: 'NOT_REVOKED',
    });
    expect(findings).toHaveLength(1);
    const revoked = await check('Revoked CRL Only', 'online');
    expect(revoked.code).toBe('CERT_REVOKED');
    expect(revoked.message).toContain(
      '(cessationOfOperation); the signature has no trusted timestamp (CRL http://',
    );
  });

  it('a responder the CA did not authorise is not believed', async () => {
    const findings: Finding[] = [];
    const result = await check('Bad Responder', 'online', findings);
    // Its CRL distribution point still answers: good, and the forged OCSP source reported.
    expect(result.code).toBe('NOT_REVOKED');
    expect(findings.map((f) => f.message)).toEqual([
      `OCSP http://127.0.0.1:${badOcspPort} was not used to check CN=Bad Responder,O=Sigscan Test: the response is signed neither by CN=Sigscan Revocation CA,O=Sigscan Test nor by an OCSP responder it authorised`,
    ]);
  });

  it('one client fetches each CRL once per scan', async () => {
    const c = client();
    const before = crlRequests;
    await check('OCSP Down CRL Up', 'online', [], c);
    await check('Revoked CRL Only', 'online', [], c);
    await check('OCSP Down CRL Up', 'online', [], c);
    expect(crlRequests - before).toBe(1);
  });

  it('an answer checked at a time after its nextUpdate is stale', async () => {
    const later = new Date(Date.now() + 3600_000);
    const findings: Finding[] = [];
    const result = await checkPathRevocation(chains['Good Online']!, {
      mode: 'online-strict',
      crls: [],
      online: client(),
      checkTime: later,
      findings,
    });
    // OCSP nextUpdate is 10 minutes out; the CRL's 30 days, so the CRL still answers.
    expect(result.code).toBe('NOT_REVOKED');
    expect(findings[0]?.message).toMatch(/: the response is stale: current until \S+$/);
  });
});
