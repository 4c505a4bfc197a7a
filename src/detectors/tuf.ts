import { createHash } from 'node:crypto';

import { parseCustom } from '../formats/tuf/custom.js';
import { resolveKey, type TufKey } from '../formats/tuf/keys.js';
import type { TufMetadata } from '../formats/tuf/metadata.js';
import {
  findTarget,
  findTargetsByDigest,
  parseTufRepository,
  type TargetListing,
  type TufRepository,
  type TufRepositoryFiles,
} from '../formats/tuf/repository.js';
import type { Evidence, Finding, ImageTarget, SignerIdentity, Target } from '../model/index.js';
import { notaryService } from '../oci/notary/client.js';
import type { DetectContext, Detector } from './detector.js';

/** What the TUF verifier needs: the raw metadata of the GUN and which listing this evidence is. */
export interface TufMaterial {
  kind: 'tuf';
  gun: string;
  server: string;
  /** Target name (the tag under DCT). */
  name: string;
  role: string;
  files: TufRepositoryFiles;
}

const DOCKER_HUB = new Set([
  'docker.io',
  'index.docker.io',
  'registry-1.docker.io',
  'registry.hub.docker.com',
]);

/** Notary GUN for an image: `<registry>/<repository>`, Docker Hub as `docker.io/library/x` (formats.md §5.1). */
export function gunFor(image: Pick<ImageTarget, 'registry' | 'repository'>): string {
  if (DOCKER_HUB.has(image.registry.toLowerCase())) {
    const repo = image.repository.includes('/') ? image.repository : `library/${image.repository}`;
    return `docker.io/${repo}`;
  }
  return `${image.registry}/${image.repository}`;
}

/**
 * Docker Content Trust / notary v1 (formats.md §5): the image's tag looked up in the GUN's TUF targets
 * and delegations on the configured notary server (`ctx.services.notary`). One evidence per role that
 * lists the tag, `targets/releases` first (DCT precedence). Without a notary service it finds nothing.
 */
export const tufDetector: Detector = {
  name: 'tuf',
  family: 'tuf',
  // Index children are covered by the index's signature; OCI layouts have no GUN.
  applies: (target: Target) => target.kind === 'image' && target.repository !== '' && !target.parent,
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  const image = target as ImageTarget;
  const service = notaryService(ctx.services);
  if (!service) return;
  const gun = gunFor(image);
  const files = await service.repository(gun);
  if (!files) return; // 404 on root.json: no trust data, unsigned under DCT
  const repo = parseTufRepository(files);
  const digestHex = image.digest.startsWith('sha256:') ? image.digest.slice(7) : undefined;
  const listings: Array<TargetListing & { name: string }> = image.tag
    ? findTarget(repo, image.tag).map((l) => ({ ...l, name: image.tag! }))
    : digestHex
      ? findTargetsByDigest(repo, digestHex)
      : [];
  const ordered = listings
    .filter((l) => {
      if (!l.inPaths) ctx.log.debug(`tuf: ${gun} ${l.role} lists ${l.name} outside its delegated paths`);
      return l.inPaths;
    })
    .sort((a, b) => precedence(a.role) - precedence(b.role));
  for (const listing of ordered) {
    yield evidenceFor(gun, service.name, repo, files, listing);
  }
}

/** DCT reads `targets/releases` first, then `targets`; other delegations name individual signers. */
function precedence(role: string): number {
  return role === 'targets/releases' ? 0 : role === 'targets' ? 1 : 2;
}

function evidenceFor(
  gun: string,
  server: string,
  repo: TufRepository,
  files: TufRepositoryFiles,
  listing: TargetListing & { name: string },
): Evidence {
  const md = roleMetadata(repo, listing.role)!;
  const keys = roleKeys(repo, listing.role);
  const signatures = md.signatures.map((s) => ({ keyid: s.keyid, method: s.method, key: keys.get(s.keyid) }));
  const signer = describeSigner(signatures.find((s) => s.key)?.key);
  // The target entry itself (sha256 present, equal to the digest, length equal to the size) is judged
  // by the trust layer (trust/tuf/target.ts), which sees the resolved image.
  const findings: Finding[] = [];
  const signedHex = listing.target.hashes['sha256'];
  const rootGrant = repo.root.root?.roles['root'];
  const rootCertSubjects = (rootGrant?.keyids ?? []).flatMap((id) => {
    const subject = describeSigner(repo.root.root?.keys.get(id)).subject;
    return subject ? [subject] : [];
  });
  const custom = parseCustom(listing.target.custom);
  const methods = [...new Set(signatures.map((s) => s.method).filter((m): m is string => Boolean(m)))];
  return {
    family: 'tuf',
    location: `notary ${server}/${gun}:${listing.name} (${listing.role})`,
    signer,
    algorithm: methods.join(',') || signatures.map((s) => s.key?.scheme).find(Boolean),
    digestAlgorithm: 'sha256',
    claims: {
      subjectDigest: signedHex ? `sha256:${signedHex}` : undefined,
      identity: `${gun}:${listing.name}`,
    },
    details: {
      gun,
      notaryServer: server,
      target: listing.name,
      role: listing.role,
      signingKeyIds: signatures.map((s) => s.keyid),
      keyTypes: [...new Set(signatures.map((s) => s.key?.keytype).filter(Boolean))],
      signedLength: listing.target.length,
      rootKeyIds: rootGrant?.keyids ?? [],
      rootCertificateSubjects: rootCertSubjects,
      versions: versions(repo, listing.role),
      expires: expiries(repo, listing.role),
      otherRoles: findTarget(repo, listing.name)
        .map((l) => l.role)
        .filter((r) => r !== listing.role),
      ...(custom ? { custom } : {}),
    },
    findings,
    material: {
      kind: 'tuf',
      gun,
      server,
      name: listing.name,
      role: listing.role,
      files,
    } satisfies TufMaterial,
  };
}

function roleMetadata(repo: TufRepository, role: string): TufMetadata | undefined {
  if (role === 'targets') return repo.targets;
  return repo.delegations.find((d) => d.name === role)?.md;
}

function roleKeys(repo: TufRepository, role: string): Map<string, TufKey> {
  if (role === 'targets') return repo.root.root?.keys ?? new Map();
  const node = repo.delegations.find((d) => d.name === role);
  const parent = node?.parent === 'targets' ? repo.targets : roleMetadata(repo, node?.parent ?? '');
  return parent?.targets?.delegationKeys ?? new Map();
}

/** Display only: who the key is (certificate subject for *-x509 keys, SPKI hash otherwise). */
function describeSigner(key: TufKey | undefined): SignerIdentity {
  if (!key) return {};
  try {
    const { key: pub, certificate } = resolveKey(key);
    const spki = createHash('sha256')
      .update(pub.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    return {
      keyId: spki,
      subject: certificate?.summary.subject,
      issuer: certificate?.summary.issuer,
      sha256Fingerprint: certificate?.summary.sha256Fingerprint,
      publicKeyAlgorithm: key.keytype,
      certificate: certificate?.summary,
    };
  } catch {
    return { publicKeyAlgorithm: key.keytype };
  }
}

function versions(repo: TufRepository, role: string): Record<string, number> {
  const out: Record<string, number> = { root: repo.root.version };
  if (repo.timestamp) out['timestamp'] = repo.timestamp.version;
  if (repo.snapshot) out['snapshot'] = repo.snapshot.version;
  if (repo.targets) out['targets'] = repo.targets.version;
  const md = roleMetadata(repo, role);
  if (md) out[role] = md.version;
  return out;
}

function expiries(repo: TufRepository, role: string): Record<string, string> {
  const out: Record<string, string> = { root: repo.root.expiresText };
  if (repo.timestamp) out['timestamp'] = repo.timestamp.expiresText;
  if (repo.snapshot) out['snapshot'] = repo.snapshot.expiresText;
  if (repo.targets) out['targets'] = repo.targets.expiresText;
  const md = roleMetadata(repo, role);
  if (md) out[role] = md.expiresText;
  return out;
}
