import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/**
 * Servers the tests start (registry, notary-server) run in their own process group with a temp dir.
 * Tracked here so that a test run that ends early (exit, Ctrl-C, a killed worker) leaves neither
 * processes nor directories behind.
 */
export interface TrackedServer {
  /** SIGTERM to the group, SIGKILL after 3 s, then the directory is removed. Idempotent. */
  stop(): Promise<void>;
  /** For a start that failed: SIGKILL now; the caller keeps the directory for another attempt. */
  abandon(): void;
}

interface Live {
  child: ChildProcess;
  dir: string;
}
const live = new Set<Live>();
let hooksInstalled = false;

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal); // the whole process group (a wrapper and the server)
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

function cleanupAllSync(): void {
  for (const l of live) {
    killGroup(l.child, 'SIGKILL');
    try {
      rmSync(l.dir, { recursive: true, force: true });
    } catch {
      // ignore
    }
  }
  live.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      cleanupAllSync();
      process.removeListener(sig, onSignal);
      // Keep the default behaviour (terminate) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

/** Starts tracking a server started with `detached: true` (its own process group). */
export function trackServer(child: ChildProcess, dir: string): TrackedServer {
  installHooks();
  const entry: Live = { child, dir };
  live.add(entry);
  return {
    async stop() {
      if (live.has(entry)) {
        live.delete(entry);
        if (child.exitCode === null && child.signalCode === null) {
          const gone = new Promise<void>((r) => child.once('exit', () => r()));
          killGroup(child, 'SIGTERM');
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
          await gone;
          clearTimeout(timer);
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
    abandon() {
      killGroup(child, 'SIGKILL');
      live.delete(entry);
    },
  };
}
