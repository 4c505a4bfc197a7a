import { createHash } from 'node:crypto';

import { describeError, SigscanError } from '../../errors.js';
import type { ErrorEntry, ImageTarget } from '../../model/index.js';
import type { PreparedTarget } from '../../sources/job.js';
import type { LayoutFiles } from './files.js';

/** Store names of legacy docker save archives, as skopeo names the transport. */
export const DOCKER_ARCHIVE_PREFIX = 'docker-archive:';

/** One image of a legacy `docker save` archive's manifest.json. */
export interface DockerArchiveImage {
  /** Path of the image config in the archive: `<hex>.json` (docker save, skopeo) or `blobs/sha256/<hex>`. */
  config: string;
  /** `name:tag` as the daemon knew them; empty for an image saved by ID. */
  repoTags: string[];
  /** Paths of the layer tars, uncompressed. */
  layers: string[];
}

/**
 * A legacy `docker save` archive (Docker before 25, `skopeo copy … docker-archive:`) is a tar of
 * `manifest.json`, a JSON array of `{"Config": "<hex>.json", "RepoTags": ["name:tag"], "Layers":
 * ["<id>/layer.tar" | "<hex>.tar"]}`, the config files, uncompressed layer tars, and a `repositories`
 * map of name → tag → top layer id. It holds no registry manifest: the daemon rebuilds one when the image
 * is pushed, compressing each layer, and the manifest's digest depends on that compression (gzip level,
 * implementation, mtime headers). So the digest a signature would name cannot be derived from the archive,
 * and no signature can be looked up for it. Docker 25+ writes an OCI layout beside manifest.json
 * (index.json); those archives are read as OCI layouts instead.
 */
export async function readDockerArchiveManifest(
  files: LayoutFiles,
  maxBytes: number,
): Promise<DockerArchiveImage[]> {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(await files.read('manifest.json', maxBytes)).toString('utf8'));
  } catch (err) {
    throw new SigscanError(
      'MALFORMED_MANIFEST',
      `docker save manifest.json unreadable: ${describeError(err).message}`,
    );
  }
  if (!Array.isArray(doc)) {
    throw new SigscanError('MALFORMED_MANIFEST', 'docker save manifest.json is not a JSON array');
  }
  return doc.map((entry: unknown, i) => {
    const e = entry as { Config?: unknown; RepoTags?: unknown; Layers?: unknown };
    const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof e.Config !== 'string' ||
      !(e.RepoTags === undefined || e.RepoTags === null || strings(e.RepoTags)) ||
      !strings(e.Layers)
    ) {
      throw new SigscanError(
        'MALFORMED_MANIFEST',
        `docker save manifest.json entry ${i} is not {Config, RepoTags, Layers}`,
      );
    }
    return {
      config: e.Config,
      repoTags: (e.RepoTags as string[] | null) ?? [],
      layers: e.Layers as string[],
    };
  });
}

/** Whether `manifest.json` is a docker save manifest (a JSON array), not a skopeo dir: or OCI manifest. */
export async function isDockerArchive(files: LayoutFiles, maxBytes: number): Promise<boolean> {
  if ((await files.size('index.json')) !== undefined) return false;
  const size = await files.size('manifest.json');
  if (size === undefined || size > maxBytes) return false;
  const text = Buffer.from(await files.read('manifest.json', maxBytes)).toString('utf8');
  return text.trimStart().startsWith('[');
}

/**
 * One target per RepoTag (`@<index>` for an image saved by ID), each `unknown` with
 * DIGEST_UNKNOWABLE: the archive can say which images it holds and their config digests (image IDs),
 * never the registry digest signatures name. A config whose bytes do not hash to its name is reported.
 */
export async function dockerArchiveTargets(
  location: string,
  files: LayoutFiles,
  maxBytes: number,
): Promise<PreparedTarget[]> {
  const out: PreparedTarget[] = [];
  for (const [index, image] of (await readDockerArchiveManifest(files, maxBytes)).entries()) {
    const errors: ErrorEntry[] = [];
    let configId = 'unreadable';
    try {
      const bytes = await files.read(image.config, maxBytes);
      configId = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      const named = /(?:^|\/)([a-f0-9]{64})(?:\.json)?$/.exec(image.config)?.[1];
      if (named && `sha256:${named}` !== configId) {
        errors.push({
          code: 'DIGEST_MISMATCH',
          message: `config ${image.config} hashes to ${configId}, not the digest its name gives`,
          source: 'docker-archive',
        });
      }
    } catch (err) {
      errors.push({ ...describeError(err), source: 'docker-archive' });
    }
    errors.push({
      code: 'DIGEST_UNKNOWABLE',
      message:
        `legacy docker save archive (manifest.json, no index.json): the image (config ${configId}, ` +
        `${image.layers.length} uncompressed layers) has no registry manifest, and the digest a push would ` +
        'give it depends on how the layers get compressed, so its signatures cannot be looked up; scan the ' +
        'image in its registry, or save it with Docker 25+ (OCI layout) or skopeo copy oci-archive:',
      source: 'docker-archive',
    });
    // An image saved by ID is named by its position, as skopeo's `docker-archive:PATH:@N` names it.
    for (const tag of image.repoTags.length ? image.repoTags : [`@${index}`]) {
      const target: ImageTarget = {
        kind: 'image',
        registry: `${DOCKER_ARCHIVE_PREFIX}${location}`,
        repository: '',
        tag,
        digest: '',
        mediaType: '',
      };
      out.push({ target, errors, skipDetection: true });
    }
  }
  return out;
}
