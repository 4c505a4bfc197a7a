/**
 * Start a real Docker Distribution 2.8 registry (`/usr/bin/docker-registry`, Debian package
 * `docker-registry`) on a free loopback port, optionally with TLS (test CA made with openssl) and
 * htpasswd Basic auth (bcrypt file made with `htpasswd -Bbn`).
 *
 * Processes are killed in stop(), on process exit and on SIGINT/SIGTERM of the test worker; as a
 * last resort each registry runs under coreutils `timeout` so it cannot outlive a SIGKILLed worker
 * by more than SIGSCAN_TEST_REGISTRY_TTL seconds (default 1800).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { trackServer } from './processes.js';
import { freePort, run, sleep } from './tools.js';

export const REGISTRY_BIN = process.env['SIGSCAN_TEST_REGISTRY_BIN'] ?? '/usr/bin/docker-registry';

export interface RegistryAuth {
  user: string;
  password: string;
}

export interface StartRegistryOptions {
  tls?: boolean;
  htpasswd?: RegistryAuth;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>` – use in image references. */
  host: string;
  port: number;
  /** `http://127.0.0.1:<port>` or `https://127.0.0.1:<port>` (no trailing slash). */
  url: string;
  tls: boolean;
  /** PEM of the test CA that issued the server certificate (TLS only). */
  caFile?: string;
  /** Directory holding `ca.crt` only, for skopeo `--dest-cert-dir` / containers certs.d (TLS only). */
  certDir?: string;
  /** Credentials accepted by the registry (htpasswd only). */
  auth?: RegistryAuth;
  /** Temp directory with config.yml, data/, certs, htpasswd and registry.log; removed by stop(). */
  dir: string;
  logFile: string;
  pid: number;
  /** Kill the registry and remove `dir`. Idempotent. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// TLS material
// ---------------------------------------------------------------------------------------------

export interface TestPki {
  caFile: string;
  caKeyFile: string;
  certFile: string;
  keyFile: string;
}

/** Make a throw-away CA and a server certificate for 127.0.0.1 / localhost (EC P-256, 2 days). */
export async function makeTestPki(dir: string): Promise<TestPki> {
  await mkdir(dir, { recursive: true });
  const caKeyFile = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csrFile = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const extFile = join(dir, 'server.ext');
  const ecParams = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req', '-x509', ...ecParams, '-keyout', caKeyFile, '-out', caFile, '-days', '2',
    '-subj', '/O=sigscan tests/CN=sigscan test registry CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]); // prettier-ignore
  await run('openssl', [
    'req',
    '-new',
    ...ecParams,
    '-keyout',
    keyFile,
    '-out',
    csrFile,
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(
    extFile,
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'x509', '-req', '-in', csrFile, '-CA', caFile, '-CAkey', caKeyFile, '-CAcreateserial',
    '-out', certFile, '-days', '2', '-sha256', '-extfile', extFile,
  ]); // prettier-ignore
  return { caFile, caKeyFile, certFile, keyFile };
}

// ---------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------

function configYaml(opts: {
  dataDir: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  htpasswdFile?: string;
  instanceId: string;
}): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: false',
    '  fields:',
    '    service: sigscan-test-registry',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${JSON.stringify(opts.dataDir)}`,
    '  delete:',
    '    enabled: true',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: 127.0.0.1:${opts.port}`,
    '  secret: sigscan-test-secret',
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    `    X-Sigscan-Test-Registry: [${opts.instanceId}]`,
  ];
  if (opts.tls) {
    lines.push(
      '  tls:',
      `    certificate: ${JSON.stringify(opts.tls.certFile)}`,
      `    key: ${JSON.stringify(opts.tls.keyFile)}`,
    );
  }
  if (opts.htpasswdFile) {
    lines.push(
      'auth:',
      '  htpasswd:',
      '    realm: sigscan-test',
      `    path: ${JSON.stringify(opts.htpasswdFile)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * GET <url>/v2/ and return the status, or undefined when nothing answers yet or when the answer comes
 * from another registry (a parallel worker that won a race for the same port).
 */
async function pingStatus(url: string, dispatcher: Agent, instanceId: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/v2/`, { dispatcher, signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    if (res.headers.get('x-sigscan-test-registry') !== instanceId) return undefined;
    return res.status;
  } catch {
    return undefined;
  }
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'sigscan-registry-'));
  try {
    return await startIn(dir, opts);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function startIn(dir: string, opts: StartRegistryOptions): Promise<TestRegistry> {
  const dataDir = join(dir, 'data');
  await mkdir(dataDir);
  let pki: TestPki | undefined;
  let certDir: string | undefined;
  if (opts.tls) {
    pki = await makeTestPki(join(dir, 'pki'));
    certDir = join(dir, 'certs.d');
    await mkdir(certDir);
    await writeFile(join(certDir, 'ca.crt'), readFileSync(pki.caFile));
  }
  let htpasswdFile: string | undefined;
  if (opts.htpasswd) {
    const { stdout } = await run('htpasswd', ['-Bbn', opts.htpasswd.user, opts.htpasswd.password]);
    htpasswdFile = join(dir, 'htpasswd');
    await writeFile(htpasswdFile, stdout.trim() + '\n');
  }
  const scheme = opts.tls ? 'https' : 'http';
  const ttl = process.env['SIGSCAN_TEST_REGISTRY_TTL'] ?? '1800';
  const dispatcher = new Agent({ connect: pki ? { ca: readFileSync(pki.caFile) } : {} });
  const logFile = join(dir, 'registry.log');

  let lastError = '';
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      const port = await freePort();
      const instanceId = randomUUID();
      const configFile = join(dir, 'config.yml');
      await writeFile(
        configFile,
        configYaml({
          dataDir,
          port,
          instanceId,
          ...(pki ? { tls: { certFile: pki.certFile, keyFile: pki.keyFile } } : {}),
          ...(htpasswdFile ? { htpasswdFile } : {}),
        }),
      );
      const logFd = openSync(logFile, 'a');
      let child: ChildProcess;
      try {
        child = spawn('timeout', ['--kill-after=5', ttl, REGISTRY_BIN, 'serve', configFile], {
          cwd: dir,
          stdio: ['ignore', logFd, logFd],
          detached: true, // own process group, killed as a group
          env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' },
        });
      } finally {
        closeSync(logFd);
      }
      const server = trackServer(child, dir);
      let exited = false;
      child.once('exit', () => {
        exited = true;
      });
      child.once('error', (e) => {
        exited = true;
        lastError = String(e);
      });

      const url = `${scheme}://127.0.0.1:${port}`;
      const deadline = Date.now() + 15_000;
      let status: number | undefined;
      while (!exited && Date.now() < deadline) {
        status = await pingStatus(url, dispatcher, instanceId);
        if (status === 200 || status === 401) break;
        await sleep(50);
      }
      if (status === 200 || status === 401) {
        const reg: TestRegistry = {
          host: `127.0.0.1:${port}`,
          port,
          url,
          tls: !!opts.tls,
          dir,
          logFile,
          pid: child.pid ?? -1,
          stop: () => server.stop(),
        };
        if (pki) reg.caFile = pki.caFile;
        if (certDir) reg.certDir = certDir;
        if (opts.htpasswd) reg.auth = { ...opts.htpasswd };
        return reg;
      }
      server.abandon();
      let log = '';
      try {
        log = readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
      } catch {
        // no log
      }
      lastError = `registry on port ${port} did not answer /v2/ (last status ${status ?? 'none'}): ${lastError}\n${log}`;
      // exited: port taken or bad config -> retry on another port; alive but silent -> give up
      if (!exited && status !== undefined) break;
    }
  } finally {
    await dispatcher.close();
  }
  throw new Error(`could not start ${REGISTRY_BIN}: ${lastError}`);
}
