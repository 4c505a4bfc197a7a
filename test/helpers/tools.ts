/**
 * Process and network helpers for the real-registry test harness. Everything is spawned without a
 * shell (execFile / spawn with an argument array).
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Project root (the directory holding package.json). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunOptions {
  cwd?: string;
  /** Merged over process.env (a value of undefined removes the variable). */
  env?: Record<string, string | undefined>;
  /** Bytes written to stdin. */
  input?: string | Uint8Array;
  timeoutMs?: number;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export class RunError extends Error {
  constructor(
    message: string,
    readonly result: RunResult,
  ) {
    super(message);
    this.name = 'RunError';
  }
}

/** Run `cmd args...` (no shell). Resolves with stdout/stderr/exit code; throws on non-zero unless check=false. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      cmd,
      [...args],
      {
        cwd: opts.cwd,
        env,
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const errCode = (err as (NodeJS.ErrnoException & { code?: unknown }) | null)?.code;
        if (err && typeof errCode === 'string') {
          // spawn failure (ENOENT, ...) rather than an exit status
          reject(new RunError(`${cmd}: ${err.message}`, { stdout, stderr, code: -1 }));
          return;
        }
        const code = err ? (typeof errCode === 'number' ? errCode : (child.exitCode ?? -1)) : 0;
        const result: RunResult = { stdout, stderr, code };
        if (code !== 0 && opts.check !== false) {
          reject(
            new RunError(
              `${cmd} ${args.join(' ')} exited with ${code}${err?.killed ? ' (killed/timeout)' : ''}\n${stderr.trim()}`,
              result,
            ),
          );
          return;
        }
        resolvePromise(result);
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

/** Find an executable on PATH (no shell, no `which`). */
export async function onPath(name: string): Promise<string | undefined> {
  const { access, constants } = await import('node:fs/promises');
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    if (!dir) continue;
    const p = resolve(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
