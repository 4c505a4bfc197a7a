import type { KeyObject } from 'node:crypto';

import type { CertificateSummary } from '../../model/index.js';
import { resolveKey, spkiSha256, type TufKey } from '../../formats/tuf/keys.js';
import {
  checkFileInfo,
  parseTufMetadata,
  type MetaFileInfo,
  type RoleKeys,
  type TufMetadata,
} from '../../formats/tuf/metadata.js';
import { delegationCovers, delegationPath, type TufRepository } from '../../formats/tuf/repository.js';
import { checkThreshold, type ThresholdResult } from './signatures.js';

/**
 * integrity: a signature, threshold, hash or rollback check failed (the data is wrong or tampered);
 * stale: everything verifies but metadata or the root certificate has expired ("stale trust data");
 * trust: the chain cannot be anchored (incomplete, root not matching the pin, root CN ≠ GUN);
 * warning: worth reporting, no effect on the verdict.
 */
export type ProblemSeverity = 'integrity' | 'stale' | 'trust' | 'warning';

export interface ChainProblem {
  role: string;
  code: string;
  severity: ProblemSeverity;
  message: string;
}

export interface RoleStatus {
  role: string;
  version: number;
  expires: string;
  expired: boolean;
  signatures: ThresholdResult;
  /** Certificates of the keys that signed (`*-x509` key types). */
  certificates: CertificateSummary[];
  keyTypes: string[];
}

/** What the user pinned out of band. Trust on first use is not trust: without a pin nothing verifies. */
export interface TufPin {
  /** Root keys given with `--tuf-root` (PEM): one of them must have signed the root. */
  keys?: KeyObject[];
  /** Root files the user supplied (raw bytes of a root.json). */
  roots?: Array<{ path: string; bytes: Uint8Array }>;
}

export interface ChainOptions {
  now: Date;
  /** Notary GUN: root certificates must name it in their CN. */
  gun?: string;
  pin?: TufPin;
}

export interface ChainReport {
  flavour: 'notary' | 'tuf';
  roles: Map<string, RoleStatus>;
  problems: ChainProblem[];
  pin: { kind: 'none' | 'key' | 'root'; matched: boolean; message: string };
  rootKeyIds: string[];
  rootCertificateSubjects: string[];
}

const TOP_ROLES = ['root', 'timestamp', 'snapshot', 'targets'] as const;

/** Verifies a repository's chain per formats.md §5.4, collecting every problem rather than stopping. */
export function verifyTufChain(repo: TufRepository, opts: ChainOptions): ChainReport {
  const { root } = repo;
  const flavour = root.flavour;
  const problems: ChainProblem[] = [];
  const roles = new Map<string, RoleStatus>();
  const add = (role: string, severity: ProblemSeverity, code: string, message: string): void => {
    problems.push({ role, severity, code, message });
  };
  const rootInfo = root.root!;
  const roleKeys = (name: string): RoleKeys | undefined => rootInfo.roles[name];

  const checkRole = (
    name: string,
    md: TufMetadata,
    keys: Map<string, TufKey>,
    grant: RoleKeys | undefined,
  ): void => {
    if (!grant) {
      add(name, 'integrity', 'TUF_ROLE_UNDEFINED', `${name}: no keys/threshold are defined for this role`);
      return;
    }
    const sigs = checkThreshold(md, keys, grant);
    const status: RoleStatus = {
      role: name,
      version: md.version,
      expires: md.expiresText,
      expired: md.expires.getTime() <= opts.now.getTime(),
      signatures: sigs,
      certificates: sigs.signers.flatMap((s) =>
        s.resolved.certificate ? [s.resolved.certificate.summary] : [],
      ),
      keyTypes: [...new Set(sigs.signers.map((s) => s.key.keytype))],
    };
    roles.set(name, status);
    if (grant.threshold < 1) {
      add(name, 'integrity', 'TUF_THRESHOLD', `${name}: threshold ${grant.threshold} is not allowed`);
    } else if (!sigs.met) {
      const bad = sigs.checks
        .filter((c) => c.status !== 'valid')
        .map((c) => `${c.keyid.slice(0, 12)}: ${c.status}${c.detail ? ` (${c.detail})` : ''}`);
      add(
        name,
        'integrity',
        'TUF_THRESHOLD',
        `${name}: ${sigs.validKeyIds.length} valid signature(s) from role keys, threshold ${grant.threshold}${bad.length ? `; ${bad.join('; ')}` : ''}`,
      );
    }
    if (status.expired) {
      add(
        name,
        'stale',
        'TUF_METADATA_EXPIRED',
        `${name} metadata expired at ${md.expiresText} (stale trust data)`,
      );
    }
  };

  // 1. Root: self-signed with its own threshold.
  checkRole('root', root, rootInfo.keys, roleKeys('root'));
  const rootStatus = roles.get('root');
  if (rootStatus && flavour === 'notary') checkRootCertificates(rootStatus, opts, add);

  // Pinning decides whether the self-signed root means anything.
  const pin = checkPin(repo, rootStatus, opts, add);

  // 2-4. timestamp → snapshot → targets.
  for (const name of TOP_ROLES.slice(1)) {
    const md = repo[name];
    if (!md) add(name, 'trust', 'TUF_INCOMPLETE', `${name}.json is missing: the chain is incomplete`);
    else checkRole(name, md, rootInfo.keys, roleKeys(name));
  }
  const metaKey = (role: string): string => (flavour === 'notary' ? role : `${role}.json`);
  if (repo.timestamp && repo.snapshot) {
    const info = repo.timestamp.meta?.get(metaKey('snapshot'));
    checkListed('snapshot', repo.snapshot, info, 'timestamp', add);
  }
  if (repo.snapshot) {
    if (repo.targets)
      checkListed('targets', repo.targets, repo.snapshot.meta?.get(metaKey('targets')), 'snapshot', add);
    for (const node of repo.delegations) {
      checkListed(node.name, node.md, repo.snapshot.meta?.get(metaKey(node.name)), 'snapshot', add);
    }
    const rootInfoInSnapshot = repo.snapshot.meta?.get(metaKey('root'));
    if (rootInfoInSnapshot && flavour === 'notary') {
      const r = checkFileInfo(root.raw, rootInfoInSnapshot);
      if (!r.ok) {
        add(
          'root',
          'warning',
          'TUF_SNAPSHOT_ROOT',
          `snapshot lists a different root.json (${r.reason}); a newer root may exist`,
        );
      }
    }
  }

  // 5. Delegations, each with the keys and threshold its parent grants it.
  for (const node of repo.delegations) {
    const parent =
      node.parent === 'targets' ? repo.targets : repo.delegations.find((d) => d.name === node.parent)?.md;
    if (!parent?.targets) continue;
    if (flavour === 'notary' && !node.name.startsWith(`${node.parent}/`)) {
      add(node.name, 'integrity', 'TUF_DELEGATION_NAME', `${node.name} is not a child of ${node.parent}`);
    }
    checkRole(node.name, node.md, parent.targets.delegationKeys, node.role);
    const st = roles.get(node.name);
    for (const cert of st?.certificates ?? []) {
      if (outsideValidity(cert, opts.now)) {
        add(
          node.name,
          'warning',
          'TUF_DELEGATION_CERT_EXPIRED',
          `${node.name} key certificate ${cert.subject} is valid ${cert.notBefore} – ${cert.notAfter} only (notary does not re-check delegation certificates when reading)`,
        );
      }
    }
    const outside = [...(node.md.targets?.targets.keys() ?? [])].filter(
      (t) => !delegationCovers(node.role, t),
    );
    if (outside.length) {
      add(
        node.name,
        'warning',
        'TUF_OUTSIDE_PATHS',
        `${node.name} lists ${outside.length} target(s) outside its delegated paths (ignored): ${outside.slice(0, 5).join(', ')}`,
      );
    }
  }
  for (const name of repo.undeclared) {
    add(name, 'warning', 'TUF_UNDECLARED_ROLE', `${name}.json is not delegated by any role (ignored)`);
  }

  return {
    flavour,
    roles,
    problems,
    pin,
    rootKeyIds: roleKeys('root')?.keyids ?? [],
    rootCertificateSubjects: rootCertificateSubjects(root, roleKeys('root')),
  };
}

/** Problems that bear on a role's listing: the top-level chain plus the delegation path down to it. */
export function problemsFor(report: ChainReport, repo: TufRepository, role: string): ChainProblem[] {
  const relevant = new Set<string>(TOP_ROLES);
  if (role !== 'targets') for (const n of delegationPath(repo, role)) relevant.add(n.name);
  relevant.add(role);
  return report.problems.filter((p) => relevant.has(p.role));
}

function rootCertificateSubjects(root: TufMetadata, grant: RoleKeys | undefined): string[] {
  const out: string[] = [];
  for (const id of grant?.keyids ?? []) {
    const key = root.root?.keys.get(id);
    if (!key?.keytype.toLowerCase().endsWith('x509')) continue;
    try {
      const subject = resolveKey(key).certificate?.summary.subject;
      if (subject) out.push(subject);
    } catch {
      // reported by the signature checks
    }
  }
  return out;
}

type Add = (role: string, severity: ProblemSeverity, code: string, message: string) => void;

/** The file must match the hashes/length (and version) its parent lists for it. */
function checkListed(
  role: string,
  md: TufMetadata,
  info: MetaFileInfo | undefined,
  by: string,
  add: Add,
): void {
  if (!info) {
    add(role, 'integrity', 'TUF_NOT_IN_SNAPSHOT', `${by} does not list ${role}`);
    return;
  }
  const r = checkFileInfo(md.raw, info);
  if (!r.ok) add(role, 'integrity', 'TUF_HASH_MISMATCH', `${role}.json does not match ${by}: ${r.reason}`);
  if (info.version !== undefined && info.version !== md.version) {
    add(
      role,
      'integrity',
      'TUF_VERSION_MISMATCH',
      `${by} lists ${role} version ${info.version}, file is version ${md.version}`,
    );
  }
}

/**
 * Notary's root rules: a root certificate must be within its validity and name the GUN in its CN;
 * signatures from keys failing either do not count toward the root threshold.
 */
function checkRootCertificates(status: RoleStatus, opts: ChainOptions, add: Add): void {
  const signers = status.signatures.signers;
  let good = 0;
  for (const s of signers) {
    const cert = s.resolved.certificate?.summary;
    if (!cert) {
      good++;
      continue;
    }
    if (outsideValidity(cert, opts.now)) {
      add(
        'root',
        'stale',
        'TUF_ROOT_CERT_EXPIRED',
        `root key certificate ${cert.subject} is valid ${cert.notBefore} – ${cert.notAfter} only`,
      );
      continue;
    }
    const cn = /(?:^|,)CN=([^,]*)/.exec(cert.subject)?.[1];
    if (opts.gun && cn !== opts.gun) {
      add(
        'root',
        'trust',
        'TUF_ROOT_CN_MISMATCH',
        `root key certificate CN "${cn ?? ''}" does not name the GUN ${opts.gun}`,
      );
      continue;
    }
    good++;
  }
  if (status.signatures.met && good < status.signatures.threshold) {
    add(
      'root',
      'stale',
      'TUF_ROOT_CERT_EXPIRED',
      `only ${good} root signature(s) come from usable root certificates, threshold ${status.signatures.threshold}`,
    );
  }
}

function outsideValidity(cert: CertificateSummary, now: Date): boolean {
  return Date.parse(cert.notAfter) < now.getTime() || Date.parse(cert.notBefore) > now.getTime();
}

function checkPin(
  repo: TufRepository,
  rootStatus: RoleStatus | undefined,
  opts: ChainOptions,
  add: Add,
): ChainReport['pin'] {
  const pin = opts.pin;
  if (!pin?.roots?.length && !pin?.keys?.length) {
    return {
      kind: 'none',
      matched: false,
      message:
        'no root pinned (--tuf-root: a root.json or the root key): a self-signed root is trust on first use, not trust',
    };
  }
  const fetched = repo.root;
  for (const pinned of pin.roots ?? []) {
    let md: TufMetadata;
    try {
      md = parseTufMetadata(pinned.bytes);
    } catch (err) {
      add('root', 'trust', 'TUF_PIN_UNREADABLE', `pinned root ${pinned.path}: ${(err as Error).message}`);
      continue;
    }
    if (md.type !== 'root' || !md.root) continue;
    if (Buffer.compare(Buffer.from(md.signedBytes), Buffer.from(fetched.signedBytes)) === 0) {
      return {
        kind: 'root',
        matched: true,
        message: `root matches the pinned ${pinned.path} (version ${md.version})`,
      };
    }
    if (md.version > fetched.version) {
      add(
        'root',
        'integrity',
        'TUF_ROLLBACK',
        `root version ${fetched.version} is older than the pinned ${pinned.path} (version ${md.version})`,
      );
      continue;
    }
    const grant = md.root.roles['root'];
    if (grant && checkThreshold(fetched, md.root.keys, grant).met) {
      return {
        kind: 'root',
        matched: true,
        message: `root version ${fetched.version} is signed by the threshold of the pinned ${pinned.path} (version ${md.version})`,
      };
    }
    if (md.version < fetched.version) {
      const walk = walkRootRotation(md, fetched, repo.previousRoots);
      if (walk.ok) {
        return {
          kind: 'root',
          matched: true,
          message: `root rotated from the pinned ${pinned.path} (version ${md.version}) to version ${fetched.version}, each version signed by a threshold of the previous root's keys and of its own`,
        };
      }
      add('root', 'trust', walk.code, `root rotation from the pinned ${pinned.path}: ${walk.message}`);
    }
  }
  const pinnedSpki = new Set((pin.keys ?? []).map((k) => spkiSha256(k)));
  for (const s of rootStatus?.signatures.signers ?? []) {
    if (pinnedSpki.has(spkiSha256(s.resolved.key))) {
      return { kind: 'key', matched: true, message: `root is signed by pinned key ${s.key.declaredId}` };
    }
  }
  const kind = pin.roots?.length ? 'root' : 'key';
  add('root', 'trust', 'TUF_ROOT_NOT_PINNED', 'the root is not signed by any pinned root key or root.json');
  return { kind, matched: false, message: 'the root is not signed by any pinned root key or root.json' };
}

type RotationWalk = { ok: true } | { ok: false; code: string; message: string };

/**
 * TUF spec 5.3 / notary `updateRootVersions` + trustpinning `ValidateRoot`: from the pinned root version N,
 * each root N+1 … M (the fetched one) must be exactly that version and be signed by a threshold of the
 * previous root's root keys AND by a threshold of its own. A skipped version, or a new root only its new
 * keys sign, breaks the walk: nothing the pinned keys vouched for leads to the fetched root.
 */
export function walkRootRotation(
  pinned: TufMetadata,
  fetched: TufMetadata,
  previous: Map<number, Uint8Array>,
): RotationWalk {
  let prev = pinned;
  for (let v = pinned.version + 1; v <= fetched.version; v++) {
    let next = fetched;
    if (v < fetched.version) {
      const bytes = previous.get(v);
      if (!bytes) {
        return {
          ok: false,
          code: 'TUF_ROOT_ROTATION_GAP',
          message: `root version ${v} (between the pinned version ${pinned.version} and ${fetched.version}) is not available`,
        };
      }
      try {
        next = parseTufMetadata(bytes);
      } catch (err) {
        return {
          ok: false,
          code: 'TUF_ROOT_ROTATION_GAP',
          message: `root version ${v} is unreadable: ${(err as Error).message}`,
        };
      }
      if (next.type !== 'root' || next.version !== v) {
        return {
          ok: false,
          code: 'TUF_ROOT_ROTATION_GAP',
          message: `the file served as root version ${v} is ${next.type} version ${next.version}`,
        };
      }
    }
    const before = prev.root?.roles['root'];
    if (!before || before.threshold < 1 || !checkThreshold(next, prev.root!.keys, before).met) {
      return {
        ok: false,
        code: 'TUF_ROOT_ROTATION_UNSIGNED',
        message: `root version ${v} is not signed by a threshold (${before?.threshold ?? 'none'}) of the keys of root version ${prev.version}`,
      };
    }
    const own = next.root?.roles['root'];
    if (!own || own.threshold < 1 || !checkThreshold(next, next.root!.keys, own).met) {
      return {
        ok: false,
        code: 'TUF_ROOT_ROTATION_UNSIGNED',
        message: `root version ${v} is not signed by a threshold (${own?.threshold ?? 'none'}) of its own root keys`,
      };
    }
    prev = next;
  }
  return { ok: true };
}
