import type { ImageTarget, SignatureResult, TargetResult } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { StoreDiscovery } from '../oci/discovery.js';
import { digestTag } from '../oci/types.js';
import { normalizeImageRef } from '../sources/image-list.js';
import { DEFAULT_LIMITS } from '../util/limits.js';
import { signerLabel, type ScanReport } from './report-model.js';
import { runImagesScan, type ImagesScanPlan } from './run.js';

/** Something attached to a manifest: a referrer (subject field) or a cosign tag-scheme artifact. */
export interface Attachment {
  via: 'referrer' | 'tag';
  /** The referrer's digest, or the tag (`sha256-<hex>.sig`). */
  location: string;
  digest?: string;
  mediaType?: string;
  artifactType?: string;
}

export interface TreeSignature {
  family: string;
  location: string;
  predicateType?: string;
  signer: string;
  verdict: string;
  code: string;
}

export interface TreeNode {
  ref: string;
  digest: string;
  mediaType: string;
  platform?: string;
  signatures: TreeSignature[];
  attachments: Attachment[];
  errors: string[];
  children: TreeNode[];
}

/** cosign's tag scheme: the suffixes cosign tree lists. */
const TAG_SUFFIXES = ['.sig', '.att', '.sbom'];

/**
 * What is attached to one image, as `cosign tree` and `notation list` show it, with each signature's
 * signer and verdict from a normal scan of the image (so the tree never shows a signer the scan would
 * not report).
 */
export async function runTree(
  plan: ImagesScanPlan & { image: string },
): Promise<{ tree?: TreeNode; report: ScanReport }> {
  const report = await runImagesScan({ ...plan, images: [plan.image] });
  const scope = normalizeImageRef(plan.image);
  const results = report.results.filter(
    (r) => r.target.kind === 'image' && r.target.repository === scope.repository,
  );
  const root = results.find((r) => !(r.target as ImageTarget).platform);
  // A tag that does not resolve has no digest to hang attachments on: the caller reports why.
  if (!root || !(root.target as ImageTarget).digest) return { report };
  const { openRegistryAccess } = await import('./registry-access.js');
  const access = await openRegistryAccess(plan, plan.limits ?? DEFAULT_LIMITS);
  try {
    const client = await access.client(scope.registry);
    const discovery = new StoreDiscovery(client, scope.repository!);
    const node = async (r: TargetResult): Promise<TreeNode> => {
      const t = r.target as ImageTarget;
      return {
        ref: targetRef(t),
        digest: t.digest,
        mediaType: t.mediaType,
        platform: t.platform,
        signatures: r.signatures.map(treeSignature),
        attachments: await attachments(discovery, t.digest),
        errors: r.errors.map((e) => `${e.code}: ${e.message}`),
        children: [],
      };
    };
    const tree = await node(root);
    for (const child of results.filter((r) => (r.target as ImageTarget).platform))
      tree.children.push(await node(child));
    return { tree, report };
  } finally {
    await access.close();
  }
}

function treeSignature(s: SignatureResult): TreeSignature {
  const details = s.evidence.details ?? {};
  const predicateType = (details.predicateType ?? details.predicateTypeAnnotation) as string | undefined;
  return {
    family: s.evidence.family,
    location: s.evidence.location,
    ...(predicateType ? { predicateType } : {}),
    signer: signerLabel(s.evidence.signer),
    verdict: s.verdict.status,
    code: s.verdict.code,
  };
}

async function attachments(discovery: StoreDiscovery, digest: string): Promise<Attachment[]> {
  const out: Attachment[] = [];
  for (const d of await discovery.referrers(digest)) {
    out.push({
      via: 'referrer',
      location: d.digest,
      digest: d.digest,
      mediaType: d.mediaType,
      ...(d.artifactType ? { artifactType: d.artifactType } : {}),
    });
  }
  for (const suffix of TAG_SUFFIXES) {
    const tag = `${digestTag(digest)}${suffix}`;
    if (await discovery.hasTag(tag)) out.push({ via: 'tag', location: tag });
  }
  return out;
}

/** The tree for people: the image, its platforms, and under each what is attached and who signed it. */
export function renderTree(tree: TreeNode): string {
  const lines: string[] = [`${tree.ref}  ${tree.digest}  ${tree.mediaType}`];
  const block = (node: TreeNode) => {
    const rows: string[][] = [];
    for (const s of node.signatures) {
      const what = s.predicateType ? `${s.family} ${s.predicateType}` : s.family;
      rows.push([
        `signature  ${what}  ${s.location}`,
        `signer: ${s.signer}`,
        `verdict: ${s.verdict} ${s.code}`,
      ]);
    }
    const shown = new Set(node.signatures.map((s) => s.location));
    for (const a of node.attachments) {
      if (shown.has(a.location)) continue;
      rows.push([
        `${a.via === 'tag' ? 'tag' : 'referrer'}  ${a.location}${a.artifactType ? `  ${a.artifactType}` : ''}`,
      ]);
    }
    for (const e of node.errors) rows.push([`error  ${e}`]);
    if (rows.length === 0) rows.push(['(nothing attached)']);
    return rows;
  };
  const emit = (rows: string[][], prefix: string, lastGroup: boolean) => {
    rows.forEach((row, i) => {
      const last = lastGroup && i === rows.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${row[0]}`);
      for (const more of row.slice(1)) lines.push(`${prefix}${last ? '    ' : '│   '}    ${more}`);
    });
  };
  emit(block(tree), '', tree.children.length === 0);
  tree.children.forEach((child, i) => {
    const last = i === tree.children.length - 1;
    lines.push(`${last ? '└── ' : '├── '}${child.platform}  ${child.digest}`);
    emit(block(child), last ? '    ' : '│   ', true);
  });
  return `${lines.join('\n')}\n`;
}
