import { createHash } from 'node:crypto';

import { SigscanError } from '../../errors.js';
import { parseTufMetadata, type DelegatedRole, type TufMetadata, type TufTargetInfo } from './metadata.js';

/** Raw role files of one repository (one notary GUN), exactly as fetched. */
export interface TufRepositoryFiles {
  root: Uint8Array;
  timestamp?: Uint8Array;
  snapshot?: Uint8Array;
  targets?: Uint8Array;
  /** Delegated targets roles by role name (`targets/releases`; TUF 1.0: `role1`). */
  delegations?: Record<string, Uint8Array>;
  /**
   * Earlier root versions by version number (notary serves them as `<N>.root.json`), for walking a root
   * rotation from a pinned older root (TUF spec 5.3, notary client/tufclient.go `updateRootVersions`).
   */
  previousRoots?: Record<number, Uint8Array>;
}

export interface DelegationNode {
  name: string;
  md: TufMetadata;
  /** Role that delegates to this one (`targets` or another delegation). */
  parent: string;
  role: DelegatedRole;
  depth: number;
}

/** A repository's metadata, parsed but not verified. */
export interface TufRepository {
  root: TufMetadata;
  timestamp?: TufMetadata;
  snapshot?: TufMetadata;
  targets?: TufMetadata;
  /** Reachable delegations in pre-order (the order TUF searches them). */
  delegations: DelegationNode[];
  /** Delegations declared by a parent but with no file (never published): empty roles. */
  missingDelegations: string[];
  /** Delegation files handed in that no parent declares (ignored). */
  undeclared: string[];
  /** Earlier root versions as fetched, unparsed (a bad one is a problem of the rotation walk). */
  previousRoots: Map<number, Uint8Array>;
}

export const MAX_DELEGATION_DEPTH = 8;
export const MAX_DELEGATED_ROLES = 256;

export function parseTufRepository(files: TufRepositoryFiles): TufRepository {
  const root = parseRole(files.root, 'root');
  const repo: TufRepository = {
    root,
    timestamp: files.timestamp ? parseRole(files.timestamp, 'timestamp') : undefined,
    snapshot: files.snapshot ? parseRole(files.snapshot, 'snapshot') : undefined,
    targets: files.targets ? parseRole(files.targets, 'targets') : undefined,
    delegations: [],
    missingDelegations: [],
    undeclared: [],
    previousRoots: new Map(
      Object.entries(files.previousRoots ?? {}).map(([v, bytes]) => [Number(v), bytes] as const),
    ),
  };
  const available = files.delegations ?? {};
  const seen = new Set<string>(['targets']);
  const walk = (parentName: string, parent: TufMetadata, depth: number): void => {
    if (depth > MAX_DELEGATION_DEPTH) return;
    for (const role of parent.targets?.delegations ?? []) {
      if (seen.has(role.name) || repo.delegations.length >= MAX_DELEGATED_ROLES) continue; // cycles, bombs
      seen.add(role.name);
      const bytes = available[role.name];
      if (!bytes) {
        repo.missingDelegations.push(role.name);
        continue;
      }
      const md = parseRole(bytes, role.name, 'targets');
      repo.delegations.push({ name: role.name, md, parent: parentName, role, depth });
      walk(role.name, md, depth + 1);
    }
  };
  if (repo.targets) walk('targets', repo.targets, 1);
  repo.undeclared = Object.keys(available).filter((n) => !seen.has(n));
  return repo;
}

function parseRole(bytes: Uint8Array, name: string, type: string = name): TufMetadata {
  let md: TufMetadata;
  try {
    md = parseTufMetadata(bytes);
  } catch (err) {
    throw new SigscanError('MALFORMED_ENVELOPE', `${name}.json: ${(err as Error).message}`, { cause: err });
  }
  if (md.type !== type) {
    throw new SigscanError('MALFORMED_ENVELOPE', `${name}.json has _type ${md.type}, expected ${type}`);
  }
  return md;
}

/** Whether a delegation's `paths` / `path_hash_prefixes` cover a target name. */
export function delegationCovers(role: DelegatedRole, name: string): boolean {
  if (role.paths) {
    // Notary: plain prefixes, "" matches everything. TUF 1.0: shell-style patterns.
    return role.paths.some((p) => p === '' || name.startsWith(p) || globMatch(p, name));
  }
  if (role.pathHashPrefixes) {
    const h = createHash('sha256').update(name, 'utf8').digest('hex');
    return role.pathHashPrefixes.some((p) => h.startsWith(p.toLowerCase()));
  }
  return false;
}

function globMatch(pattern: string, name: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === name;
  const re = pattern
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  try {
    return new RegExp(`^${re}$`).test(name);
  } catch {
    return false;
  }
}

/** One role's listing of a target. `inPaths` is false when an ancestor delegation does not cover it. */
export interface TargetListing {
  role: string;
  target: TufTargetInfo;
  inPaths: boolean;
}

/** Every role that lists `name`, top-level `targets` first then delegations in pre-order. */
export function findTarget(repo: TufRepository, name: string): TargetListing[] {
  const out: TargetListing[] = [];
  const top = repo.targets?.targets?.targets.get(name);
  if (top) out.push({ role: 'targets', target: top, inPaths: true });
  for (const node of repo.delegations) {
    const t = node.md.targets?.targets.get(name);
    if (t) out.push({ role: node.name, target: t, inPaths: chainCovers(repo, node, name) });
  }
  return out;
}

/** Target names (any role) whose sha256 equals `hex`. */
export function findTargetsByDigest(
  repo: TufRepository,
  hex: string,
): Array<TargetListing & { name: string }> {
  const out: Array<TargetListing & { name: string }> = [];
  const scan = (role: string, md: TufMetadata | undefined, node?: DelegationNode): void => {
    for (const [name, t] of md?.targets?.targets ?? []) {
      if (t.hashes['sha256'] === hex) {
        out.push({ name, role, target: t, inPaths: node ? chainCovers(repo, node, name) : true });
      }
    }
  };
  scan('targets', repo.targets);
  for (const node of repo.delegations) scan(node.name, node.md, node);
  return out;
}

/** The delegation path from `targets` down to a role, top first. */
export function delegationPath(repo: TufRepository, roleName: string): DelegationNode[] {
  const byName = new Map(repo.delegations.map((d) => [d.name, d]));
  const path: DelegationNode[] = [];
  let cur = byName.get(roleName);
  while (cur && path.length <= MAX_DELEGATION_DEPTH) {
    path.unshift(cur);
    cur = byName.get(cur.parent);
  }
  return path;
}

function chainCovers(repo: TufRepository, node: DelegationNode, name: string): boolean {
  return delegationPath(repo, node.name).every((n) => delegationCovers(n.role, name));
}
