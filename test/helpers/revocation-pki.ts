import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * A throwaway CA run with `openssl ca` (index.txt database), so certificates can be revoked with a
 * reason (`-revoke -crl_reason`) and CRLs made with `-gencrl`: the real tool's CRLs, not hand-built ones.
 */
const run = promisify(execFile);

/**
 * The `[ca]` … `[dn]` head of an `openssl ca` configuration for a CA kept in `dir` (index.txt database,
 * serial file, any subject with a commonName): each test adds its own extension sections after it. `crl`
 * adds the CRL number file and a 30-day CRL validity; `optional` names the subject fields allowed besides
 * the commonName.
 */
export function opensslCaConfigHead(dir: string, opts: { crl?: boolean; optional?: string[] } = {}): string {
  return [
    '',
    '[ca]',
    'default_ca = testca',
    '[testca]',
    `dir = ${dir}`,
    `database = ${dir}/index.txt`,
    `new_certs_dir = ${dir}/newcerts`,
    `certificate = ${dir}/ca.pem`,
    `private_key = ${dir}/ca.key`,
    `serial = ${dir}/serial`,
    ...(opts.crl ? [`crlnumber = ${dir}/crlnumber`] : []),
    'default_md = sha256',
    'default_days = 365',
    ...(opts.crl ? ['default_crl_days = 30'] : []),
    'policy = anything',
    'preserve = yes',
    'unique_subject = no',
    'copy_extensions = none',
    '[anything]',
    'commonName = supplied',
    ...(opts.optional ?? ['organizationName']).map((field) => `${field} = optional`),
    '[req]',
    'distinguished_name = dn',
    '[dn]',
    '',
  ].join('\n');
}

const CONFIG = (
  dir: string,
) => `${opensslCaConfigHead(dir, { crl: true, optional: ['organizationName', 'countryName'] })}[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca_nocrlsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
[codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[codesign_online]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
crlDistributionPoints = URI:${'$'}ENV::CRL_URL
authorityInfoAccess = OCSP;URI:${'$'}ENV::OCSP_URL
[tsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[crl_idp]
issuingDistributionPoint = critical,@idp
[idp]
fullname = URI:http://127.0.0.1/partition.crl
onlysomereasons = keyCompromise
[crl_unknown_critical]
1.3.6.1.4.1.55738.1 = critical,ASN1:NULL
[crl_delta]
2.5.29.27 = critical,ASN1:INTEGER:1
[ocsp]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,OCSPSigning
`;

export interface RevocationCa {
  dir: string;
  subject: string;
  caPem: string;
  caKey: string;
  openssl(...args: string[]): Promise<string>;
  /** Issues a leaf; returns { cert, key, chain } paths. */
  issue(name: string, cn: string, opts?: IssueOptions): Promise<IssuedCert>;
  /** `compromisedAt` (YYYYMMDDHHMMSSZ): keyCompromise with that invalidityDate (`-crl_compromise`), reason ignored. */
  revoke(certPem: string, reason: string, compromisedAt?: string): Promise<void>;
  /** A CRL (PEM) listing every revocation so far; lastUpdate/nextUpdate as YYYYMMDDHHMMSSZ. */
  crl(
    out: string,
    window?: { lastUpdate?: string; nextUpdate?: string; crlExtensions?: string },
  ): Promise<string>;
}

export interface IssueOptions {
  extensions?: string;
  /** -startdate YYYYMMDDHHMMSSZ. */
  startDate?: string;
  env?: Record<string, string>;
}

export interface IssuedCert {
  cert: string;
  key: string;
  /** Leaf then CA, PEM. */
  chain: string;
}

/** openssl's time format for -startdate / -crl_lastupdate. */
export function opensslTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** The config names $ENV::CRL_URL and $ENV::OCSP_URL: openssl refuses to load it without them. */
const ENV = { ...process.env, CRL_URL: 'http://127.0.0.1:1/none.crl', OCSP_URL: 'http://127.0.0.1:1' };

export async function makeRevocationCa(
  dir: string,
  subject = '/O=Sigscan Test/CN=Sigscan Revocation CA',
  caExtensions = 'ca_ext',
  /** Issues this CA as an intermediate of `parent` instead of self-signing it. */
  parent?: RevocationCa,
): Promise<RevocationCa> {
  mkdirSync(join(dir, 'newcerts'), { recursive: true });
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  const config = join(dir, 'openssl.cnf');
  writeFileSync(config, CONFIG(dir));
  const openssl = async (...args: string[]) => (await run('openssl', args, { env: ENV })).stdout;
  const caPem = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  // `openssl ca -selfsign` rather than `req -x509`: it takes -startdate, so the CA is valid before the
  // (backdated) timestamps the tests make.
  const caCsr = join(dir, 'ca.csr');
  await openssl(
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    caKey,
    '-out',
    caCsr,
    '-subj',
    subject,
    '-config',
    config,
  );
  const startdate = opensslTime(new Date(Date.now() - 365 * 86_400_000));
  if (parent) {
    await openssl(
      'ca',
      '-batch',
      '-config',
      join(parent.dir, 'openssl.cnf'),
      '-in',
      caCsr,
      '-out',
      caPem,
      '-notext',
      '-extensions',
      caExtensions,
      '-days',
      '3000',
      '-startdate',
      startdate,
    );
  } else {
    await openssl(
      'ca',
      '-batch',
      '-selfsign',
      '-config',
      config,
      '-keyfile',
      caKey,
      '-in',
      caCsr,
      '-out',
      caPem,
      '-notext',
      '-extensions',
      caExtensions,
      '-days',
      '3650',
      '-startdate',
      startdate,
    );
  }
  return openRevocationCa(dir, subject, parent?.caPem);
}

/** A port free right now on 127.0.0.1 (the caller binds it next; a race is possible but harmless here). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * `openssl ocsp` as a responder on 127.0.0.1 over the CA's index.txt, signing with `signer` (the CA or a
 * delegated OCSPSigning certificate). Answers carry nextUpdate = now + 10 minutes. Returns a stop function.
 */
export async function startOcspResponder(
  ca: RevocationCa,
  port: number,
  signer: { cert: string; key: string },
  workDir: string,
): Promise<{ stop(): Promise<void> }> {
  const { spawn } = await import('node:child_process');
  const { trackServer } = await import('./processes.js');
  mkdirSync(workDir, { recursive: true });
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      join(ca.dir, 'index.txt'),
      '-port',
      String(port),
      '-rsigner',
      signer.cert,
      '-rkey',
      signer.key,
      '-CA',
      ca.caPem,
      '-nmin',
      '10',
      '-ignore_err',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const tracked = trackServer(child, workDir);
  // Wait for its banner rather than probe the port: the responder serves one connection at a time, and
  // a probe that connects and closes can leave it waiting on that connection.
  const ready = await new Promise<boolean>((resolve) => {
    let seen = '';
    const timer = setTimeout(() => resolve(false), 10_000);
    const watch = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('waiting for OCSP client connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.once('exit', () => resolve(false));
  });
  if (ready) return tracked;
  tracked.abandon();
  throw new Error(`openssl ocsp did not listen on ${port}`);
}

/**
 * The RevocationCa of a CA directory makeRevocationCa made in `dir` (its openssl.cnf names `dir`).
 * `issue(name, …)` signs `<name>.csr` with `<name>.key` when `reuseKeys` is set and the directory already
 * holds them (made by `preparedKey`), so a per-run certificate costs a signature, not an RSA key generation.
 */
function openRevocationCa(
  dir: string,
  subject: string,
  parentCaPem?: string,
  reuseKeys = false,
): RevocationCa {
  const config = join(dir, 'openssl.cnf');
  const openssl = async (...args: string[]) => (await run('openssl', args, { env: ENV })).stdout;
  const caPem = join(dir, 'ca.pem');
  return {
    dir,
    subject,
    caPem,
    caKey: join(dir, 'ca.key'),
    openssl,
    async issue(name, cn, opts = {}) {
      const { cert, key, chain } = issuedIn(dir, name);
      const csr = join(dir, `${name}.csr`);
      if (!reuseKeys || !existsSync(key) || !existsSync(csr)) await preparedKey(dir, name, cn);
      const args = ['ca', '-batch', '-config', config, '-in', csr, '-out', cert, '-notext'];
      args.push('-extensions', opts.extensions ?? 'codesign');
      if (opts.startDate) args.push('-startdate', opts.startDate);
      await run('openssl', args, { env: { ...ENV, ...opts.env } });
      const above = parentCaPem ? readFileSync(parentCaPem, 'utf8') : '';
      writeFileSync(chain, readFileSync(cert, 'utf8') + readFileSync(caPem, 'utf8') + above);
      return { cert, key, chain };
    },
    async revoke(certPem, reason, compromisedAt) {
      const why = compromisedAt ? ['-crl_compromise', compromisedAt] : ['-crl_reason', reason];
      await openssl('ca', '-config', config, '-revoke', certPem, ...why);
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
 * A CA directory made by makeRevocationCa (typically inside a cachedFixtureDir build, so its keys are made
 * once a day) copied to `workDir` and opened there: the cache stays untouched while the copy's index.txt,
 * serial and crlnumber take this run's revocations, CRLs and issues. The copied openssl.cnf names the
 * directory it was made in; it is rewritten to name the copy. Leaves whose key and request `preparedKey`
 * left in the cache are signed with them.
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
  return openRevocationCa(workDir, subject, parentCaPem, true);
}

/** `<dir>/<name>.key` (RSA 2048) and `<dir>/<name>.csr` for /O=Sigscan Test/CN=<cn>, for the CA in `dir`. */
export async function preparedKey(dir: string, name: string, cn: string): Promise<void> {
  const { key } = issuedIn(dir, name);
  await run(
    'openssl',
    ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', join(dir, `${name}.csr`)].concat(
      ['-subj', `/O=Sigscan Test/CN=${cn}`, '-config', join(dir, 'openssl.cnf')],
    ),
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
