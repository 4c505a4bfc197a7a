import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HttpTransport } from '../../../src/oci/registry/transport.js';
import { transportFetch } from '../../../src/scan/revocation-fetch.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { OnlineRevocationClient } from '../../../src/trust/revocation/online.js';
import { makeJar, signJar, STOREPASS } from '../../helpers/jar/index.js';
import {
  freePort,
  makeRevocationCa,
  type IssuedCert,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';
import { detectFile, evaluateFile, fileTarget } from '../helpers.js';

const run = promisify(execFile);

/**
 * JARs signed by jarsigner with certificates from an `openssl ca`, one of them revoked (superseded, no
 * timestamp). Oracle: `jarsigner -verify -strict -revCheck`, which fetches the CRL distribution point the
 * certificate names (served here by a node http server on 127.0.0.1; the OCSP URL is a closed port).
 */
describe('revocation of JAR signers (jarsigner, openssl ca CRL)', () => {
  let dir: string;
  let ca: RevocationCa;
  let server: Server;
  let crlPem: string;
  let truststore: string;
  const jars: Record<string, string> = {};

  const signWith = async (name: string, leaf: IssuedCert) => {
    const keystore = join(dir, `${name}.p12`);
    await run('openssl', [
      'pkcs12',
      '-export',
      '-in',
      leaf.cert,
      '-inkey',
      leaf.key,
      '-certfile',
      ca.caPem,
      '-name',
      'signer',
      '-out',
      keystore,
      '-passout',
      `pass:${STOREPASS}`,
    ]);
    const jar = makeJar(join(dir, `${name}.jar`), { 'a/b.txt': `content of ${name}\n` });
    signJar(jar, { keystore, alias: 'signer' });
    jars[name] = jar;
  };
  const oracle = async (jar: string) => {
    try {
      const { stdout } = await run('jarsigner', [
        '-verify',
        '-strict',
        '-revCheck',
        '-keystore',
        truststore,
        '-storepass',
        STOREPASS,
        '-storetype',
        'PKCS12',
        jar,
      ]);
      return { passed: true, output: stdout };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string };
      return { passed: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-jar-revocation-'));
    ca = await makeRevocationCa(join(dir, 'ca'));
    server = createServer((req, res) => {
      if (req.url !== '/ca.crl') return void res.writeHead(404).end();
      const pem = readFileSync(crlPem, 'utf8');
      res.writeHead(200, { 'content-type': 'application/pkix-crl' });
      res.end(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const env = {
      CRL_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}/ca.crl`,
      OCSP_URL: `http://127.0.0.1:${await freePort()}`,
    };
    const good = await ca.issue('good', 'JAR Good Signer', { extensions: 'codesign_online', env });
    const revoked = await ca.issue('revoked', 'JAR Revoked Signer', { extensions: 'codesign_online', env });
    await signWith('good', good);
    await signWith('revoked', revoked);
    await ca.revoke(revoked.cert, 'superseded');
    crlPem = await ca.crl(join(dir, 'crl.pem'));
    truststore = join(dir, 'trust.p12');
    await run('keytool', [
      '-importcert',
      '-noprompt',
      '-alias',
      'ca',
      '-file',
      ca.caPem,
      '-keystore',
      truststore,
      '-storepass',
      STOREPASS,
      '-storetype',
      'PKCS12',
    ]);
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('--crl: the revoked signer is CERT_REVOKED, and jarsigner -revCheck refuses it too', async () => {
    const cfg = await loadTrustConfig({ trustRoot: [ca.caPem], crl: [crlPem] });
    const { verdict } = (await evaluateFile(jars['revoked']!, 'jar', cfg))[0]!;
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'CERT_REVOKED']);
    expect(verdict.message).toContain('CN=JAR Revoked Signer,O=Sigscan Test was revoked');
    expect(verdict.message).toContain('(superseded); the signature has no trusted timestamp');
    const o = await oracle(jars['revoked']!);
    expect(o.passed).toBe(false);
    expect(o.output).toMatch(/revoked/i);
  });

  it('--crl: the good signer is verified with the check named, as jarsigner -revCheck agrees', async () => {
    const cfg = await loadTrustConfig({ trustRoot: [ca.caPem], crl: [crlPem] });
    const { verdict } = (await evaluateFile(jars['good']!, 'jar', cfg))[0]!;
    expect(verdict.status).toBe('verified');
    expect(verdict.message).toContain('revocation checked (offline): 1 certificate(s) not revoked');
    expect((await oracle(jars['good']!)).passed).toBe(true);
  });

  it('--revocation online: the CRL distribution point decides; the dead OCSP responder is a finding', async () => {
    const cfg = await loadTrustConfig({ trustRoot: [ca.caPem], revocation: 'online' });
    const transport = new HttpTransport({ concurrency: 2, timeoutMs: 3000, maxAttempts: 1 });
    try {
      const evaluator = new TrustEvaluator(
        cfg,
        undefined,
        new OnlineRevocationClient(transportFetch(transport)),
      );
      const bytes = new Uint8Array(readFileSync(jars['revoked']!));
      const [evidence] = await detectFile(jars['revoked']!, 'jar');
      const verdict = await evaluator.evaluate(evidence!, fileTarget(jars['revoked']!, bytes, 'jar'));
      expect([verdict.status, verdict.code]).toEqual(['untrusted', 'CERT_REVOKED']);
      expect(verdict.message).toMatch(/\(CRL http:\/\/127\.0\.0\.1:\d+\/ca\.crl\)$/);
      expect(evidence!.findings?.map((f) => f.code)).toEqual(['REVOCATION_SOURCE_NOT_USED']);
      expect(evidence!.findings?.[0]?.message).toMatch(
        /^OCSP http:\/\/127\.0\.0\.1:\d+ was not used to check CN=JAR Revoked Signer/,
      );
    } finally {
      await transport.close();
    }
  });
});
