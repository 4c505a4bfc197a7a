import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { IssuedCert, RevocationCa } from './revocation-pki.js';

const run = promisify(execFile);
/** The config names $ENV::CRL_URL and $ENV::OCSP_URL: openssl refuses to load it without them. */
const ENV = { ...process.env, CRL_URL: 'http://127.0.0.1:1/none.crl', OCSP_URL: 'http://127.0.0.1:1' };

/**
 * A CA directory made by makeRevocationCa (typically inside a cachedFixtureDir build, so its keys are made
 * once a day) copied to `workDir` and opened there as a RevocationCa: the cache stays untouched while the
 * copy's index.txt, serial and crlnumber take this run's revocations, CRLs and issues. The copied
 * openssl.cnf names the directory it was made in; it is rewritten to name the copy.
 *
 * `issue(name, …)` signs `<name>.csr` with `<name>.key` when the cached directory already holds them (made
 * by `preparedKey`), so a per-run certificate (one naming this run's ports) costs a signature, not an RSA
 * key generation; otherwise it makes a key as makeRevocationCa's issue does.
 */
export function reopenRevocationCa(
  cached: string,
  workDir: string,
  subject: string,
  /** The parent CA's certificate (PEM path) for an intermediate: appended to issued chains. */
  parentCaPem?: string,
): RevocationCa {
  cpSync(cached, workDir, { recursive: true });
  const config = join(workDir, 'openssl.cnf');
  const text = readFileSync(config, 'utf8');
  const madeIn = /^dir = (.*)$/m.exec(text)?.[1];
  if (!madeIn) throw new Error(`${config}: no "dir =" line`);
  writeFileSync(config, text.split(madeIn).join(workDir));
  const openssl = async (...args: string[]) => (await run('openssl', args, { env: ENV })).stdout;
  const caPem = join(workDir, 'ca.pem');
  return {
    dir: workDir,
    subject,
    caPem,
    caKey: join(workDir, 'ca.key'),
    openssl,
    async issue(name, cn, opts = {}) {
      const key = join(workDir, `${name}.key`);
      const csr = join(workDir, `${name}.csr`);
      const cert = join(workDir, `${name}.pem`);
      if (!existsSync(key) || !existsSync(csr)) await preparedKey(workDir, name, cn);
      const args = ['ca', '-batch', '-config', config, '-in', csr, '-out', cert, '-notext'];
      args.push('-extensions', opts.extensions ?? 'codesign');
      if (opts.startDate) args.push('-startdate', opts.startDate);
      await run('openssl', args, { env: { ...ENV, ...opts.env } });
      const chain = join(workDir, `${name}-chain.pem`);
      const above = parentCaPem ? readFileSync(parentCaPem, 'utf8') : '';
      writeFileSync(chain, readFileSync(cert, 'utf8') + readFileSync(caPem, 'utf8') + above);
      return { cert, key, chain };
    },
    async revoke(certPem, reason) {
      await openssl('ca', '-config', config, '-revoke', certPem, '-crl_reason', reason);
    },
    async crl(out, window = {}) {
      const args = ['ca', '-config', config, '-gencrl', '-out', out];
      if (window.lastUpdate) args.push('-crl_lastupdate', window.lastUpdate);
      if (window.nextUpdate) args.push('-crl_nextupdate', window.nextUpdate);
      if (window.crlExtensions) args.push('-crlexts', window.crlExtensions);
      await openssl(...args);
      return out;
    },
  };
}

/**
 * `<dir>/<name>.key` (RSA 2048) and `<dir>/<name>.csr` for /O=Sigscan Test/CN=<cn>, as makeRevocationCa's
 * issue makes them, left for reopenRevocationCa's issue to sign later.
 */
export async function preparedKey(dir: string, name: string, cn: string): Promise<void> {
  await run(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.csr`),
      '-subj',
      `/O=Sigscan Test/CN=${cn}`,
      '-config',
      join(dir, 'openssl.cnf'),
    ],
    { env: ENV },
  );
}

/** The { cert, key, chain } paths of a leaf `name` that a RevocationCa issued in `caDir`. */
export function issuedIn(caDir: string, name: string): IssuedCert {
  return {
    cert: join(caDir, `${name}.pem`),
    key: join(caDir, `${name}.key`),
    chain: join(caDir, `${name}-chain.pem`),
  };
}
