/**
 * Start a real notary-server (Debian package `notary`, `/usr/bin/notary-server`) on a free loopback
 * port with TLS (test CA from makeTestPki), in-memory storage and the local (in-process) signer,
 * and drive the real `notary` client against it.
 *
 * Like the registry harness: the server runs in its own process group under coreutils `timeout`,
 * is killed in stop(), on process exit and on SIGINT/SIGTERM of the test worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';

import type { TufRepositoryFiles } from '../../src/formats/tuf/repository.js';
import { makeTestPki } from './registry.js';
import { trackServer } from './processes.js';
import { freePort, run, sleep, type RunResult } from './tools.js';

export const NOTARY_SERVER_BIN = process.env['SIGSCAN_TEST_NOTARY_SERVER_BIN'] ?? '/usr/bin/notary-server';
export const NOTARY_BIN = process.env['SIGSCAN_TEST_NOTARY_BIN'] ?? '/usr/bin/notary';

/** Passphrases the notary client reads from the environment instead of prompting. */
export const NOTARY_PASSPHRASES = {
  NOTARY_ROOT_PASSPHRASE: 'sigscan-root-pass',
  NOTARY_TARGETS_PASSPHRASE: 'sigscan-targets-pass',
  NOTARY_SNAPSHOT_PASSPHRASE: 'sigscan-snapshot-pass',
  NOTARY_DELEGATION_PASSPHRASE: 'sigscan-delegation-pass',
};

export interface TestNotary {
  /** `https://127.0.0.1:<port>` */
  url: string;
  port: number;
  caFile: string;
  /** Temp dir with server.json, certs, the client trust dir (`trust/`) and notary-server.log. */
  dir: string;
  trustDir: string;
  logFile: string;
  /** `notary -s <url> -d <trustDir> --tlscacert <ca> …args` with the passphrases set. */
  client(args: string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

async function healthy(url: string, dispatcher: Agent): Promise<boolean> {
  try {
    const res = await fetch(`${url}/_notary_server/health`, {
      dispatcher,
      signal: AbortSignal.timeout(2000),
    });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startNotaryServer(): Promise<TestNotary> {
  const dir = await mkdtemp(join(tmpdir(), 'sigscan-notary-'));
  try {
    const pki = await makeTestPki(join(dir, 'pki'));
    const trustDir = join(dir, 'trust');
    const logFile = join(dir, 'notary-server.log');
    const dispatcher = new Agent({ connect: { ca: readFileSync(pki.caFile) } });
    const ttl = process.env['SIGSCAN_TEST_REGISTRY_TTL'] ?? '1800';
    let lastError = '';
    try {
      for (let attempt = 0; attempt < 4; attempt++) {
        const port = await freePort();
        const configFile = join(dir, 'server.json');
        await writeFile(
          configFile,
          JSON.stringify({
            server: {
              http_addr: `127.0.0.1:${port}`,
              tls_cert_file: pki.certFile,
              tls_key_file: pki.keyFile,
            },
            // The local signer keeps timestamp keys in memory (ED25519); storage is in memory too.
            trust_service: { type: 'local' },
            storage: { backend: 'memory' },
            logging: { level: 'info' },
          }),
        );
        const fd = openSync(logFile, 'a');
        let child: ChildProcess;
        try {
          child = spawn('timeout', ['--kill-after=5', ttl, NOTARY_SERVER_BIN, '-config', configFile], {
            cwd: dir,
            stdio: ['ignore', fd, fd],
            detached: true,
          });
        } finally {
          closeSync(fd);
        }
        const server = trackServer(child, dir);
        let exited = false;
        child.once('exit', () => (exited = true));
        child.once('error', (e) => {
          exited = true;
          lastError = String(e);
        });
        const url = `https://127.0.0.1:${port}`;
        const deadline = Date.now() + 15_000;
        let up = false;
        while (!exited && Date.now() < deadline && !(up = await healthy(url, dispatcher))) await sleep(50);
        if (up) {
          return {
            url,
            port,
            caFile: pki.caFile,
            dir,
            trustDir,
            logFile,
            client: (args) =>
              run(NOTARY_BIN, ['-s', url, '-d', trustDir, '--tlscacert', pki.caFile, ...args], {
                env: NOTARY_PASSPHRASES,
                timeoutMs: 60_000,
              }),
            stop: () => server.stop(),
          };
        }
        server.abandon();
        let log = '';
        try {
          log = readFileSync(logFile, 'utf8').split('\n').slice(-10).join('\n');
        } catch {
          // none
        }
        lastError = `notary-server on port ${port} is not healthy: ${lastError}\n${log}`;
      }
    } finally {
      await dispatcher.close();
    }
    throw new Error(`could not start ${NOTARY_SERVER_BIN}: ${lastError}`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A stand-in notary server that serves the TUF metadata `files()` returns at the time of each request
 * (`<role>.json`, or `<role>.<sha256>.json` when the client asks for a checksummed copy), so a test can
 * replay older, still validly signed metadata to the real `notary` client (a rollback).
 */
export async function serveTufMetadata(
  files: () => TufRepositoryFiles,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === '/v2/') {
      res.writeHead(200).end('{}');
      return;
    }
    const role = /\/_trust\/tuf\/(.+?)(?:\.[0-9a-f]{64})?\.json$/.exec(req.url ?? '')?.[1];
    const served = files();
    const body =
      role === 'root' || role === 'timestamp' || role === 'snapshot' || role === 'targets'
        ? served[role]
        : role
          ? served.delegations?.[role]
          : undefined;
    if (!body) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.from(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
