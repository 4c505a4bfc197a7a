import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What sigscan remembers between scans about one GUN: the highest version of each role it has seen in
 * a chain that verified. The notary client keeps the same facts as whole files in
 * `~/.notary/tuf/<gun>/metadata/` and refuses older ones (notary client/tufclient.go `downloadTimestamp`
 * → `tryLoadRemote` with the cached version as minimum → tuf/signed/verify.go `VerifyVersion`:
 * "version N is lower than current version M"); without such memory a
 * replay of older, still-unexpired, correctly signed metadata (a rollback) looks valid.
 */
export interface TufRoleState {
  gun: string;
  versions: Record<string, number>;
}

/** A role whose fetched version is below the one recorded earlier. */
export interface Rollback {
  role: string;
  seen: number;
  fetched: number;
}

/** The default cache directory: `$SIGSCAN_CACHE_DIR/tuf`, else `$XDG_CACHE_HOME/sigscan/tuf`, else `~/.cache/sigscan/tuf`. */
export function defaultTufCacheDir(env: NodeJS.ProcessEnv = process.env, home = homedir()): string {
  if (env['SIGSCAN_CACHE_DIR']) return join(env['SIGSCAN_CACHE_DIR'], 'tuf');
  const xdg = env['XDG_CACHE_HOME'] || join(home, '.cache');
  return join(xdg, 'sigscan', 'tuf');
}

/** Versions lower than recorded ones. Roles never recorded cannot be rolled back (first sight). */
export function findRollbacks(recorded: Record<string, number>, fetched: Record<string, number>): Rollback[] {
  const out: Rollback[] = [];
  for (const [role, version] of Object.entries(fetched)) {
    const seen = recorded[role];
    if (seen !== undefined && version < seen) out.push({ role, seen, fetched: version });
  }
  return out;
}

/**
 * One JSON file per GUN (named by the SHA-256 of the GUN, so any GUN is a safe file name), written
 * atomically (temp file + rename) and merged with what is on disk at write time, so two scans that
 * record at once never lower a version. Writes within one process are serialised per file.
 */
export class TufStateCache {
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {}

  private file(gun: string): string {
    return join(this.dir, `${createHash('sha256').update(gun, 'utf8').digest('hex').slice(0, 40)}.json`);
  }

  /** Recorded versions for a GUN, `{}` when none (or the file is unreadable: treated as first sight). */
  async read(gun: string): Promise<Record<string, number>> {
    await this.chains.get(gun)?.catch(() => undefined);
    try {
      const doc = JSON.parse(await readFile(this.file(gun), 'utf8')) as Partial<TufRoleState>;
      if (doc.gun !== gun || typeof doc.versions !== 'object' || !doc.versions) return {};
      return Object.fromEntries(
        Object.entries(doc.versions).filter(
          (e): e is [string, number] => Number.isSafeInteger(e[1]) && (e[1] as number) >= 0,
        ),
      );
    } catch {
      return {};
    }
  }

  /** Raises the recorded versions to at least `versions` (never lowers one). */
  record(gun: string, versions: Record<string, number>): Promise<void> {
    const prev = this.chains.get(gun) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        const current = await this.readNow(gun);
        const merged = { ...current };
        for (const [role, v] of Object.entries(versions)) merged[role] = Math.max(v, merged[role] ?? v);
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        const path = this.file(gun);
        const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
        await writeFile(
          tmp,
          `${JSON.stringify({ gun, versions: merged } satisfies TufRoleState, null, 1)}\n`,
          {
            mode: 0o600,
          },
        );
        await rename(tmp, path);
      });
    this.chains.set(gun, next);
    return next;
  }

  private async readNow(gun: string): Promise<Record<string, number>> {
    try {
      const doc = JSON.parse(await readFile(this.file(gun), 'utf8')) as Partial<TufRoleState>;
      return doc.gun === gun && doc.versions ? doc.versions : {};
    } catch {
      return {};
    }
  }
}
