import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { parseInTotoMetadata } from '../formats/in-toto/index.js';
import type { Evidence, FileTarget, Target } from '../model/index.js';
import type { DetectContext, Detector } from './detector.js';

/** What the trust layer needs: the metadata bytes and the link files found beside a layout. */
export interface InTotoMaterial {
  kind: 'in-toto';
  metadata: Uint8Array;
  /** Link files by path relative to the layout's directory (`/`-separated), for layouts only. */
  links: Record<string, Uint8Array>;
}

export function isInTotoMaterial(value: unknown): value is InTotoMaterial {
  const m = value as Partial<InTotoMaterial> | undefined;
  return m?.kind === 'in-toto' && m.metadata instanceof Uint8Array && typeof m.links === 'object';
}

/** Bounds on the sibling links read for one layout. */
export const LINK_LIMITS = {
  maxFiles: 512,
  maxBytesEach: 16 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxDepth: 4,
};

/**
 * in-toto layouts and links (classic Metablock or DSSE-wrapped). For a layout, the `*.link` files in
 * its directory (and in `<step>.<keyid8>/` subdirectories, where sublayout links live) are read,
 * bounded in count and size, and handed to the trust layer. Nothing named in the metadata (inspection
 * commands, step commands) is ever executed.
 */
export const inTotoDetector: Detector = {
  name: 'in-toto',
  family: 'in-toto',
  applies: (target: Target) => target.kind === 'file' && target.format === 'in-toto',
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  const file = target as FileTarget;
  if (!ctx.file) return;
  const bytes = ctx.file.bytes;
  const meta = parseInTotoMetadata(bytes);
  const links: Record<string, Uint8Array> = {};
  if (meta.body.type === 'layout') {
    const max = Math.min(LINK_LIMITS.maxBytesEach, ctx.limits.maxSignatureBlobBytes);
    await collectLinks(dirname(ctx.file.absolutePath), '', 0, links, max, basename(ctx.file.absolutePath), {
      files: 0,
      bytes: 0,
    });
  }
  const body = meta.body;
  const keyids = [...new Set(meta.signatures.map((s) => s.keyid).filter((k): k is string => !!k))];
  const details: Record<string, unknown> =
    body.type === 'layout'
      ? {
          type: 'layout',
          wrapper: meta.wrapper,
          expires: body.expires,
          signatureKeyIds: keyids,
          steps: body.steps.map((s) => ({ name: s.name, threshold: s.threshold, pubkeys: s.pubkeys })),
          inspections: body.inspections.map((i) => ({ name: i.name, run: i.run, executed: false })),
          linkFilesFound: Object.keys(links).sort(),
        }
      : {
          type: 'link',
          wrapper: meta.wrapper,
          step: body.name,
          signatureKeyIds: keyids,
          command: body.command,
          materials: Object.keys(body.materials).length,
          products: Object.keys(body.products).length,
        };
  yield {
    family: 'in-toto',
    location: file.path,
    signer: keyids[0] ? { keyId: keyids[0] } : {},
    algorithm: meta.wrapper === 'dsse' ? 'DSSE' : 'in-toto Metablock',
    details,
    material: { kind: 'in-toto', metadata: bytes, links } satisfies InTotoMaterial,
  };
}

async function collectLinks(
  dir: string,
  prefix: string,
  depth: number,
  out: Record<string, Uint8Array>,
  maxEach: number,
  self: string,
  budget: { files: number; bytes: number },
): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return;
  }
  for (const name of names) {
    if (budget.files >= LINK_LIMITS.maxFiles) return;
    const path = join(dir, name);
    let info;
    try {
      info = await stat(path);
    } catch {
      continue;
    }
    if (info.isDirectory()) {
      // Sublayout links live in `<step>.<keyid8>/`; nothing else is descended into.
      if (depth < LINK_LIMITS.maxDepth && /\.[0-9a-f]{8}$/.test(name)) {
        await collectLinks(path, `${prefix}${name}/`, depth + 1, out, maxEach, '', budget);
      }
      continue;
    }
    if (!info.isFile() || !name.endsWith('.link') || (depth === 0 && name === self)) continue;
    if (info.size > maxEach || budget.bytes + info.size > LINK_LIMITS.maxTotalBytes) continue;
    try {
      out[prefix + name] = new Uint8Array(await readFile(path));
      budget.files++;
      budget.bytes += info.size;
    } catch {
      continue;
    }
  }
}
