import { execFile } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { IssuedCert, RevocationCa } from './revocation-pki.js';

const run = promisify(execFile);

/**
 * A working copy in `dir` of a CA that makeRevocationCa built in `built` (a cached fixture, left as it is):
 * its openssl.cnf names `dir` instead, so issue, revoke and crl change the copy's index.txt, serial and
 * crlnumber only. For CAs made without a `parent`.
 */
export function copyRevocationCa(
  built: string,
  dir: string,
  subject = '/O=Sigscan Test/CN=Sigscan Revocation CA',
): RevocationCa {
  cpSync(built, dir, { recursive: true });
  const config = join(dir, 'openssl.cnf');
  const text = readFileSync(config, 'utf8');
  const was = /^dir = (.*)$/m.exec(text)![1]!;
  writeFileSync(config, text.split(was).join(dir));
  const env = { ...process.env, CRL_URL: 'http://127.0.0.1:1/none.crl', OCSP_URL: 'http://127.0.0.1:1' };
  const openssl = async (...args: string[]) => (await run('openssl', args, { env })).stdout;
  const caPem = join(dir, 'ca.pem');
  return {
    dir,
    subject,
    caPem,
    caKey: join(dir, 'ca.key'),
    openssl,
    async issue(name, cn, opts = {}): Promise<IssuedCert> {
      const key = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const cert = join(dir, `${name}.pem`);
      await openssl(
        'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr,
        '-subj', `/O=Sigscan Test/CN=${cn}`, '-config', config,
      ); // prettier-ignore
      const args = ['ca', '-batch', '-config', config, '-in', csr, '-out', cert, '-notext'];
      args.push('-extensions', opts.extensions ?? 'codesign');
      if (opts.startDate) args.push('-startdate', opts.startDate);
      await run('openssl', args, { env: { ...env, ...opts.env } });
      const chain = join(dir, `${name}-chain.pem`);
      writeFileSync(chain, readFileSync(cert, 'utf8') + readFileSync(caPem, 'utf8'));
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

/** The { cert, key, chain } paths of a leaf `name` that a RevocationCa issued in `caDir`. */
export function issuedIn(caDir: string, name: string): IssuedCert {
  return {
    cert: join(caDir, `${name}.pem`),
    key: join(caDir, `${name}.key`),
    chain: join(caDir, `${name}-chain.pem`),
  };
}
