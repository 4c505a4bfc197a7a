import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import type { TufMaterial } from '../../detectors/tuf.js';
import { SigscanError } from '../../errors.js';
import { findTarget, parseTufRepository, type TufRepository } from '../../formats/tuf/repository.js';
import type { Evidence, Target, Verdict } from '../../model/index.js';
import type { TrustConfig } from '../config.js';
import { problemsFor, verifyTufChain, type ChainProblem, type ChainReport } from '../tuf/chain.js';
import { findRollbacks, TufStateCache } from '../tuf/state.js';
import { checkTargetEntry } from '../tuf/target.js';
import { invalid, untrusted, unverified, verificationError, verified } from '../verdicts.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';

/** Kept for callers that built the config by hand before `tufRoots` was part of TrustConfig. */
export type TufTrustConfig = TrustConfig;

/** A `--tuf-root` file: a root.json, or a PEM root key / root key certificate (notary's root cert). */
type TufRootInput = { path: string; root?: Uint8Array; key?: KeyObject };

const rootFiles = new Map<string, Promise<TufRootInput>>();
const caches = new Map<string, TufStateCache>();

/**
 * Notary v1 / DCT verdicts (formats.md §5.4). Verified only when (1) the target entry names exactly
 * the manifest scanned (trust/tuf/target.ts, the docker client's rule), (2) the whole chain (root →
 * timestamp → snapshot → targets → delegations down to the signing role) verifies, (3) the root is
 * anchored in what the user pinned with `--tuf-root` (a root.json or the root key) — and only there:
 * a `--key` is a cosign key and never pins a TUF root (one role per trust input) — and (4) no role is
 * older than one recorded by an earlier scan in the `--tuf-cache` (rollback). A root that only signs
 * itself is trust on first use, reported as `unverified`.
 */
export const tufVerifier: FamilyVerifier = async (evidence: Evidence, target: Target, ctx: TrustContext) => {
  const m = evidence.material as TufMaterial | undefined;
  if (m?.kind !== 'tuf' || !m.files?.root) {
    return verificationError('NO_MATERIAL', 'the TUF evidence carries no metadata to verify');
  }
  if (target.kind !== 'image')
    return verificationError('UNSUPPORTED', 'Docker Content Trust applies to images only');
  const repo = parseTufRepository(m.files);
  const listing = findTarget(repo, m.name).find((l) => l.role === m.role);
  if (!listing) return verificationError('NO_MATERIAL', `${m.role} does not list ${m.name}`);
  // An integrity fact whatever the trust roots say.
  const entry = checkTargetEntry(m.name, m.role, listing.target, target);
  if (!entry.ok) {
    return entry.code === 'TUF_LENGTH_UNKNOWN'
      ? verificationError(entry.code, entry.message)
      : invalid(entry.code, entry.message);
  }
  const config = ctx.config;
  const inputs = await Promise.all(config.tufRoots.map(readTufRoot));
  const report = verifyTufChain(repo, {
    now: ctx.now,
    gun: m.gun,
    pin: {
      keys: inputs.flatMap((i) => (i.key ? [i.key] : [])),
      roots: inputs.flatMap((i) => (i.root ? [{ path: i.path, bytes: i.root }] : [])),
    },
  });
  const verdict = dockerRoles(
    tufVerdict(report, problemsFor(report, repo, m.role), m.role),
    repo,
    m.name,
    m.role,
    listing.target.hashes['sha256'],
  );
  if (verdict.status === 'invalid') return verdict;
  return rollbackVerdict(verdict, m.gun, roleVersions(repo, m.role), config.tufCache);
};

/**
 * The docker client reads a tag from `targets/releases`, else from `targets`, and from no other role
 * (docker/cli v28.2.2 cli/command/image/trust.go `getTrustedPullTargets`: `GetTargetByName(tag,
 * ReleasesRole, CanonicalTargetsRole)`, then "No trust data for <tag>" for any other role). So a
 * listing in another delegation, or a `targets` listing that a different `targets/releases` entry
 * shadows, is not what docker would pull.
 */
function dockerRoles(
  verdict: Verdict,
  repo: TufRepository,
  name: string,
  role: string,
  sha256: string | undefined,
): Verdict {
  if (verdict.status !== 'verified') return verdict;
  if (role !== 'targets' && role !== 'targets/releases') {
    return untrusted(
      'TUF_ROLE_NOT_USED',
      `${role} signs ${name}, but the docker client reads only targets/releases and targets ("No trust data for ${name}"); ${verdict.message}`,
    );
  }
  const releases =
    role === 'targets'
      ? findTarget(repo, name).find((l) => l.role === 'targets/releases' && l.inPaths)
      : undefined;
  if (releases && releases.target.hashes['sha256'] !== sha256) {
    return untrusted(
      'TUF_SHADOWED',
      `targets signs ${name}, but targets/releases lists it as sha256:${releases.target.hashes['sha256'] ?? '(none)'}, which the docker client reads first; ${verdict.message}`,
    );
  }
  return verdict;
}

/** The versions this verdict rests on: the top-level chain and the delegation path to the role. */
function roleVersions(repo: TufRepository, role: string): Record<string, number> {
  const out: Record<string, number> = { root: repo.root.version };
  if (repo.timestamp) out['timestamp'] = repo.timestamp.version;
  if (repo.snapshot) out['snapshot'] = repo.snapshot.version;
  if (repo.targets) out['targets'] = repo.targets.version;
  for (const d of repo.delegations)
    if (d.name === role || role.startsWith(`${d.name}/`)) out[d.name] = d.md.version;
  return out;
}

/**
 * Compares with, and on a verified chain raises, the versions recorded for the GUN. Only a chain that
 * verified against the user's pin is recorded: unanchored metadata must not be able to raise the
 * recorded versions and lock the user out of the real repository.
 */
async function rollbackVerdict(
  verdict: Verdict,
  gun: string,
  versions: Record<string, number>,
  dir: string | undefined,
): Promise<Verdict> {
  if (!dir) {
    return { ...verdict, message: `${verdict.message}; rollback not checked: no --tuf-cache` };
  }
  let cache = caches.get(dir);
  if (!cache) caches.set(dir, (cache = new TufStateCache(dir)));
  const recorded = await cache.read(gun);
  const back = findRollbacks(recorded, versions);
  if (back.length) {
    return invalid(
      'TUF_ROLLBACK',
      `rollback: ${back.map((b) => `${b.role} version ${b.fetched} is older than version ${b.seen} seen earlier`).join('; ')} (tuf cache ${dir})`,
    );
  }
  const first = Object.keys(recorded).length === 0;
  if (verdict.status !== 'verified') return verdict;
  try {
    await cache.record(gun, versions);
  } catch (err) {
    return {
      ...verdict,
      message: `${verdict.message}; rollback checked, but the tuf cache ${dir} could not be written (${(err as Error).message})`,
    };
  }
  return {
    ...verdict,
    message: `${verdict.message}; ${first ? `no earlier versions of ${gun} in the tuf cache, recorded these (rollback could not be checked on first sight)` : 'no role is older than seen before (tuf cache)'}`,
  };
}

/** Maps a chain report to a verdict for one signing role. Exported for the corpus tests. */
export function tufVerdict(report: ChainReport, problems: ChainProblem[], role: string): Verdict {
  const first = (s: ChainProblem['severity']): ChainProblem | undefined =>
    problems.find((p) => p.severity === s);
  const broken = first('integrity');
  if (broken) return invalid(broken.code, broken.message);
  const stale = first('stale');
  const trust = first('trust');
  const summary = consistency(report, role, problems);
  if (report.pin.kind === 'none') {
    return unverified(
      'TUF_ROOT_NOT_PINNED',
      `no TUF root pinned (pass the root.json or the root key with --tuf-root); ${summary}`,
    );
  }
  if (trust) return untrusted(trust.code, `${trust.message}; ${summary}`);
  if (!report.pin.matched) return untrusted('TUF_ROOT_NOT_PINNED', `${report.pin.message}; ${summary}`);
  if (stale) return untrusted(stale.code, `${stale.message}: signatures verify but the trust data is stale`);
  return verified('TUF_CHAIN_VERIFIED', `${summary}; ${report.pin.message}`);
}

function consistency(report: ChainReport, role: string, problems: ChainProblem[]): string {
  const path = ['root', 'timestamp', 'snapshot', 'targets'];
  if (role !== 'targets') path.push(role);
  const parts = path.map((r) => {
    const s = report.roles.get(r);
    return s
      ? `${r} v${s.version} ${s.signatures.validKeyIds.length}/${s.signatures.threshold}`
      : `${r} missing`;
  });
  const notes = problems.filter((p) => p.severity !== 'warning').map((p) => p.message);
  return `chain ${parts.join(' → ')} ${notes.length ? `has problems: ${notes.join('; ')}` : 'is internally consistent'}`;
}

function readTufRoot(path: string): Promise<TufRootInput> {
  let p = rootFiles.get(path);
  if (!p) {
    p = readFile(path).then(
      (b): TufRootInput => {
        const text = b.subarray(0, 64).toString('latin1');
        if (!text.includes('-----BEGIN')) return { path, root: new Uint8Array(b) };
        try {
          return { path, key: createPublicKey(b.toString('latin1')) };
        } catch (err) {
          throw new SigscanError(
            'USAGE',
            `--tuf-root ${path}: not a root.json nor a PEM key (${(err as Error).message})`,
            {
              cause: err,
            },
          );
        }
      },
      (err: unknown) => {
        throw new SigscanError('USAGE', `--tuf-root ${path}: ${(err as Error).message}`, { cause: err });
      },
    );
    p.catch(() => rootFiles.delete(path));
    rootFiles.set(path, p);
  }
  return p;
}
