import { readFile } from 'node:fs/promises';

import type { TufMaterial } from '../../detectors/tuf.js';
import { SigscanError } from '../../errors.js';
import { parseTufRepository } from '../../formats/tuf/repository.js';
import type { Evidence, Target, Verdict } from '../../model/index.js';
import type { TrustConfig } from '../config.js';
import { problemsFor, verifyTufChain, type ChainProblem, type ChainReport } from '../tuf/chain.js';
import { invalid, untrusted, unverified, verificationError, verified } from '../verdicts.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';

/**
 * Trust inputs for TUF beyond `--key`: root.json files the user pins. The lead adds `tufRoots` to
 * TrustConfig (flag `--tuf-root`); until then it is read if present.
 */
export type TufTrustConfig = TrustConfig & { tufRoots?: string[] };

const rootFiles = new Map<string, Promise<Uint8Array>>();

/**
 * Notary v1 / DCT verdicts (formats.md §5.4). Verified only when the whole chain (root → timestamp →
 * snapshot → targets → delegations down to the signing role) verifies AND the root is anchored in
 * something the user pinned: a root key (`--key`, e.g. the root certificate) or a root.json. A root
 * that only signs itself is trust on first use, which is reported as `unverified` together with what
 * the chain's internal checks found.
 */
export const tufVerifier: FamilyVerifier = async (evidence: Evidence, _target: Target, ctx: TrustContext) => {
  const m = evidence.material as TufMaterial | undefined;
  if (m?.kind !== 'tuf' || !m.files?.root) {
    return verificationError('NO_MATERIAL', 'the TUF evidence carries no metadata to verify');
  }
  const repo = parseTufRepository(m.files);
  const config = ctx.config as TufTrustConfig;
  const roots = await Promise.all(
    (config.tufRoots ?? []).map(async (path) => ({ path, bytes: await readRoot(path) })),
  );
  const report = verifyTufChain(repo, {
    now: ctx.now,
    gun: m.gun,
    pin: { keys: config.keys.map((k) => k.key), roots },
  });
  return tufVerdict(report, problemsFor(report, repo, m.role), m.role);
};

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
      `no TUF root pinned (pass the root key with --key or a root.json); ${summary}`,
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

function readRoot(path: string): Promise<Uint8Array> {
  let p = rootFiles.get(path);
  if (!p) {
    p = readFile(path).then(
      (b) => new Uint8Array(b),
      (err: unknown) => {
        rootFiles.delete(path);
        throw new SigscanError('USAGE', `TUF root ${path}: ${(err as Error).message}`, { cause: err });
      },
    );
    rootFiles.set(path, p);
  }
  return p;
}
