/**
 * Deterministic tiny OCI images for tests, built by hand (tar layer + config + manifest, sha256
 * digests with node:crypto), and pushed to a test registry with skopeo.
 *
 * Same seed (and platforms) => byte-identical blobs and digests, on any machine.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getManifest, OCI_INDEX, OCI_MANIFEST, sha256Digest, type Descriptor } from './push.js';
import type { TestRegistry } from './registry.js';
import { run } from './tools.js';

export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface LayoutImage {
  /** The layout directory. */
  dir: string;
  /** Tag inside the layout (`org.opencontainers.image.ref.name`). */
  tag: string;
  /** Top-level descriptor: a manifest (single platform) or an index (several platforms). */
  digest: string;
  mediaType: string;
  size: number;
  /** Per-platform manifests (one entry for a single-platform image). */
  manifests: Array<{ digest: string; size: number; platform: Platform }>;
}

export interface MakeOciLayoutOptions {
  seed: string;
  /** One platform => plain image manifest; two or more => OCI index. Default [linux/amd64]. */
  platforms?: Platform[];
  /** Force an index even for one platform. */
  index?: boolean;
  /** Default 'latest'. A layout can hold several tags: call again with another tag. */
  tag?: string;
}

export const LINUX_AMD64: Platform = { os: 'linux', architecture: 'amd64' };
export const LINUX_ARM64: Platform = { os: 'linux', architecture: 'arm64' };

/** A one-file ustar archive (mtime 0, root owner), deterministic. */
export function tarOneFile(name: string, content: Uint8Array | string): Buffer {
  const data = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content);
  const header = Buffer.alloc(512, 0);
  const put = (off: number, len: number, s: string): void => void header.write(s, off, len, 'ascii');
  const oct = (off: number, len: number, n: number): void =>
    put(off, len, n.toString(8).padStart(len - 1, '0') + '\0');
  put(0, 100, name);
  oct(100, 8, 0o644);
  oct(108, 8, 0);
  oct(116, 8, 0);
  oct(124, 12, data.length);
  oct(136, 12, 0);
  header.fill(0x20, 148, 156); // checksum placeholder: spaces
  put(156, 1, '0');
  put(257, 6, 'ustar\0');
  put(263, 2, '00');
  put(265, 32, 'root');
  put(297, 32, 'root');
  let sum = 0;
  for (const b of header) sum += b;
  put(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512, 0);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024, 0)]);
}

async function writeBlob(dir: string, bytes: Uint8Array | string): Promise<{ digest: string; size: number }> {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const digest = sha256Digest(data);
  const path = join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  if (!existsSync(path)) await writeFile(path, data);
  return { digest, size: data.byteLength };
}

const platformKey = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** Build (or add a tag to) an OCI image layout in `dir`. */
export async function makeOciLayout(dir: string, opts: MakeOciLayoutOptions): Promise<LayoutImage> {
  const platforms = opts.platforms ?? [LINUX_AMD64];
  if (platforms.length === 0) throw new Error('makeOciLayout: no platforms');
  const tag = opts.tag ?? 'latest';
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');

  const manifests: LayoutImage['manifests'] = [];
  for (const platform of platforms) {
    const layer = tarOneFile(
      'sigscan-seed.txt',
      `sigscan test image\nseed=${opts.seed}\nplatform=${platformKey(platform)}\n`,
    );
    const layerDesc = await writeBlob(dir, layer);
    const config = JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      created: '1970-01-01T00:00:00Z',
      config: { Labels: { 'dev.sigscan.test.seed': opts.seed } },
      rootfs: { type: 'layers', diff_ids: [layerDesc.digest] },
      history: [{ created: '1970-01-01T00:00:00Z', created_by: 'sigscan test/helpers/images.ts' }],
    });
    const configDesc = await writeBlob(dir, config);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, ...configDesc },
      layers: [{ mediaType: OCI_LAYER_TAR, ...layerDesc }],
      annotations: { 'dev.sigscan.test.seed': opts.seed },
    });
    const m = await writeBlob(dir, manifest);
    manifests.push({ ...m, platform });
  }

  let top: Descriptor;
  if (platforms.length === 1 && !opts.index) {
    const only = manifests[0]!;
    top = { mediaType: OCI_MANIFEST, digest: only.digest, size: only.size };
  } else {
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: manifests.map((m) => ({
        mediaType: OCI_MANIFEST,
        digest: m.digest,
        size: m.size,
        platform: m.platform,
      })),
      annotations: { 'dev.sigscan.test.seed': opts.seed },
    });
    const i = await writeBlob(dir, index);
    top = { mediaType: OCI_INDEX, ...i };
  }

  const indexPath = join(dir, 'index.json');
  let layoutIndex: { schemaVersion: 2; mediaType?: string; manifests: Descriptor[] } = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [],
  };
  if (existsSync(indexPath))
    layoutIndex = JSON.parse(await readFile(indexPath, 'utf8')) as typeof layoutIndex;
  layoutIndex.manifests = layoutIndex.manifests.filter(
    (d) => d.annotations?.['org.opencontainers.image.ref.name'] !== tag,
  );
  layoutIndex.manifests.push({ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } });
  await writeFile(indexPath, JSON.stringify(layoutIndex));

  return { dir, tag, digest: top.digest, mediaType: top.mediaType, size: top.size, manifests };
}

export interface PushedImage {
  /** `<host>/<repo>` */
  repository: string;
  repo: string;
  tag: string;
  /** `<host>/<repo>:<tag>` */
  ref: string;
  /** Digest of the pushed top-level manifest or index, as read back from the registry. */
  digest: string;
  mediaType: string;
  size: number;
  /** `<host>/<repo>@<digest>` */
  digestRef: string;
  /** Child manifests of an index (empty for a single manifest). */
  children: Array<{ digest: string; size: number; mediaType: string; platform?: Platform }>;
}

/** skopeo destination flags for a test registry (TLS verification on for TLS registries). */
export function skopeoDestFlags(reg: TestRegistry): string[] {
  const flags: string[] = [];
  if (reg.tls) flags.push('--dest-tls-verify=true', `--dest-cert-dir=${reg.certDir}`);
  else flags.push('--dest-tls-verify=false');
  if (reg.auth) flags.push(`--dest-creds=${reg.auth.user}:${reg.auth.password}`);
  return flags;
}

/**
 * `skopeo copy [--all] --preserve-digests oci:<layoutDir>:<tag> docker://<host>/<repo>:<tag>`, then
 * read the manifest back over HTTP and return the digests (computed over the received bytes).
 */
export async function pushImage(
  reg: TestRegistry,
  layoutDir: string,
  repo: string,
  tag: string,
  opts: { all?: boolean; layoutTag?: string } = {},
): Promise<PushedImage> {
  const dest = `${reg.host}/${repo}:${tag}`;
  await run(
    'skopeo',
    [
      '--insecure-policy',
      'copy',
      '--quiet',
      '--retry-times=0',
      '--preserve-digests',
      ...(opts.all ? ['--all'] : []),
      ...skopeoDestFlags(reg),
      `oci:${layoutDir}:${opts.layoutTag ?? tag}`,
      `docker://${dest}`,
    ],
    { timeoutMs: 60_000 },
  );
  const top = await getManifest(reg, repo, tag);
  if (!top) throw new Error(`pushed ${dest} but it is not there`);
  if (top.headerDigest && top.headerDigest !== top.digest) {
    throw new Error(`Docker-Content-Digest ${top.headerDigest} != sha256(body) ${top.digest}`);
  }
  const children: PushedImage['children'] = [];
  const body = top.json as { manifests?: Array<Descriptor> };
  if (Array.isArray(body.manifests)) {
    for (const d of body.manifests) {
      children.push({
        digest: d.digest,
        size: d.size,
        mediaType: d.mediaType,
        ...(d.platform ? { platform: d.platform } : {}),
      });
    }
  }
  return {
    repository: `${reg.host}/${repo}`,
    repo,
    tag,
    ref: dest,
    digest: top.digest,
    mediaType: top.mediaType,
    size: top.bytes.byteLength,
    digestRef: `${reg.host}/${repo}@${top.digest}`,
    children,
  };
}

export type PushedLayoutImage = PushedImage & { layout: LayoutImage };

/** Convenience: make a layout in `dir` from `seed` and push it. */
export async function makeAndPushImage(
  reg: TestRegistry,
  dir: string,
  repo: string,
  tag: string,
  opts: Omit<MakeOciLayoutOptions, 'tag'>,
): Promise<PushedLayoutImage> {
  const layout = await makeOciLayout(dir, { ...opts, tag });
  const pushed = await pushImage(reg, dir, repo, tag, { all: layout.mediaType === OCI_INDEX });
  return { ...pushed, layout };
}
