import { NotFoundError, SigscanError } from '../../errors.js';
import { verifyDigest } from '../digest.js';
import { isDigest } from '../reference.js';
import { DirectoryFiles, TarFiles, type LayoutFiles } from './files.js';
import {
  isIndexMediaType,
  MediaType,
  type Descriptor,
  type FetchedManifest,
  type OciManifest,
  type OciStore,
} from '../types.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

/**
 * An OCI image layout directory behind the same interface as a registry, so the cosign, notation and
 * attestation detectors run unchanged. Tags come from `org.opencontainers.image.ref.name` annotations;
 * referrers are found the way cosign does it for layouts, by scanning manifests for `subject`.
 */
export class OciLayoutStore implements OciStore {
  readonly name: string;
  private index?: Promise<Descriptor[]>;
  private subjects?: Promise<Map<string, Descriptor[]>>;

  constructor(
    location: string,
    private readonly maxManifestBytes: number,
    private readonly files: LayoutFiles = new DirectoryFiles(location),
  ) {
    this.name = `oci:${location}`;
  }

  /** An OCI archive (`.tar`) or a `docker save` tarball holding an OCI layout, read in place. */
  static async fromTar(path: string, maxManifestBytes: number): Promise<OciLayoutStore> {
    return new OciLayoutStore(path, maxManifestBytes, await TarFiles.open(path));
  }

  static async isLayout(dir: string): Promise<boolean> {
    return hasLayoutMarker(new DirectoryFiles(dir));
  }

  close(): Promise<void> {
    return this.files.close();
  }

  async *listRepositories(): AsyncIterable<string> {
    yield '';
  }

  async listTags(): Promise<string[]> {
    const tags = (await this.topLevel())
      .map((d) => d.annotations?.[REF_NAME])
      .filter((t): t is string => Boolean(t));
    return [...new Set(tags)].sort();
  }

  async resolve(_repository: string, reference: string): Promise<Descriptor> {
    const top = await this.topLevel();
    const found = isDigest(reference)
      ? top.find((d) => d.digest === reference)
      : top.find((d) => d.annotations?.[REF_NAME] === reference);
    if (found) return { mediaType: found.mediaType, digest: found.digest, size: found.size };
    if (isDigest(reference)) return (await this.getManifest('', reference)).descriptor;
    throw new NotFoundError(`${this.name}: no image tagged ${reference}`);
  }

  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const descriptor = isDigest(reference) ? undefined : await this.resolve(repository, reference);
    const digest = descriptor?.digest ?? reference;
    const bytes = await this.readBlob(digest, this.maxManifestBytes);
    let manifest: OciManifest;
    try {
      manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as OciManifest;
    } catch {
      throw new SigscanError('MALFORMED_MANIFEST', `${this.name}: manifest ${digest} is not JSON`);
    }
    if (!isJsonObject(manifest)) {
      throw new SigscanError('MALFORMED_MANIFEST', `${this.name}: manifest ${digest} is not a JSON object`);
    }
    const mediaType =
      manifest.mediaType ??
      descriptor?.mediaType ??
      (Array.isArray(manifest.manifests) ? MediaType.ociIndex : MediaType.ociManifest);
    return { descriptor: { mediaType, digest, size: bytes.byteLength }, bytes, manifest };
  }

  async getBlob(_repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    if (descriptor.size > maxBytes) {
      throw new SigscanError(
        'TOO_LARGE',
        `blob ${descriptor.digest} is ${descriptor.size} bytes, over the ${maxBytes}-byte limit`,
      );
    }
    const bytes = await this.readBlob(descriptor.digest, maxBytes);
    if (bytes.byteLength !== descriptor.size) {
      throw new SigscanError(
        'DIGEST_MISMATCH',
        `blob ${descriptor.digest}: ${bytes.byteLength} bytes, descriptor says ${descriptor.size}`,
      );
    }
    return bytes;
  }

  async listReferrers(_repository: string, digest: string): Promise<Descriptor[]> {
    this.subjects ??= this.indexSubjects();
    return (await this.subjects).get(digest) ?? [];
  }

  private topLevel(): Promise<Descriptor[]> {
    this.index ??= (async () => {
      let doc: OciManifest;
      try {
        const bytes = await this.files.read('index.json', this.maxManifestBytes);
        doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as OciManifest;
        if (!isJsonObject(doc)) throw new Error('not a JSON object');
      } catch (err) {
        const legacy = (await this.files.size('manifest.json')) !== undefined;
        throw new SigscanError(
          'MALFORMED_MANIFEST',
          legacy
            ? `${this.name}: a legacy docker save archive (manifest.json, no index.json) records no manifest digests, so its images cannot be checked`
            : `${this.name}: index.json unreadable (${(err as Error).message})`,
        );
      }
      return Array.isArray(doc.manifests) ? doc.manifests : [];
    })();
    return this.index;
  }

  /** Every manifest in blobs/ that names a subject, keyed by that subject's digest. */
  private async indexSubjects(): Promise<Map<string, Descriptor[]>> {
    const bySubject = new Map<string, Descriptor[]>();
    for (const name of (await this.files.list('blobs/sha256')).sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const path = `blobs/sha256/${name}`;
      const size = await this.files.size(path);
      if (size === undefined || size > this.maxManifestBytes || size < 2) continue;
      const bytes = await this.files.read(path, this.maxManifestBytes);
      if (bytes[0] !== 0x7b) continue;
      let manifest: OciManifest;
      try {
        manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as OciManifest;
      } catch {
        continue;
      }
      if (!isJsonObject(manifest)) continue;
      const subject = manifest.subject?.digest;
      if (!subject || typeof subject !== 'string') continue;
      const list = bySubject.get(subject) ?? [];
      list.push({
        mediaType: manifest.mediaType ?? MediaType.ociManifest,
        digest: `sha256:${name}`,
        size,
        artifactType:
          manifest.artifactType ??
          (isIndexMediaType(manifest.mediaType) ? undefined : manifest.config?.mediaType),
        annotations: manifest.annotations,
      });
      bySubject.set(subject, list);
    }
    return bySubject;
  }

  /** Digests are validated before they become paths, so nothing can escape blobs/. */
  private async readBlob(digest: string, maxBytes: number): Promise<Uint8Array> {
    const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
    if (!m) throw new SigscanError('UNSUPPORTED', `${this.name}: digest ${digest} is not sha256`);
    const path = `blobs/sha256/${m[1]!}`;
    const size = await this.files.size(path);
    if (size === undefined) throw new NotFoundError(`${this.name}: blob ${digest} is missing`);
    if (size > maxBytes)
      throw new SigscanError('TOO_LARGE', `${this.name}: blob ${digest} is over ${maxBytes} bytes`);
    const bytes = await this.files.read(path, maxBytes);
    verifyDigest(bytes, digest, `${this.name} blob`);
    return bytes;
  }
}

async function hasLayoutMarker(files: LayoutFiles): Promise<boolean> {
  try {
    const bytes = await files.read('oci-layout', 64 * 1024);
    const doc = JSON.parse(Buffer.from(bytes).toString('utf8')) as { imageLayoutVersion?: unknown };
    return typeof doc.imageLayoutVersion === 'string';
  } catch {
    return false;
  }
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
