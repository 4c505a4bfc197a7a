import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { NotFoundError, SigscanError } from '../../errors.js';
import { verifyDigest } from '../digest.js';
import { isDigest } from '../reference.js';
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
    private readonly dir: string,
    private readonly maxManifestBytes: number,
  ) {
    this.name = `oci:${dir}`;
  }

  static async isLayout(dir: string): Promise<boolean> {
    try {
      const text = await readFile(join(dir, 'oci-layout'), 'utf8');
      return typeof (JSON.parse(text) as { imageLayoutVersion?: unknown }).imageLayoutVersion === 'string';
    } catch {
      return false;
    }
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
        doc = JSON.parse(await readFile(join(this.dir, 'index.json'), 'utf8')) as OciManifest;
      } catch (err) {
        throw new SigscanError(
          'MALFORMED_MANIFEST',
          `${this.name}: index.json unreadable (${(err as Error).message})`,
        );
      }
      return Array.isArray(doc.manifests) ? doc.manifests : [];
    })();
    return this.index;
  }

  /** Every manifest in blobs/ that names a subject, keyed by that subject's digest. */
  private async indexSubjects(): Promise<Map<string, Descriptor[]>> {
    const bySubject = new Map<string, Descriptor[]>();
    const dir = join(this.dir, 'blobs', 'sha256');
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      return bySubject;
    }
    for (const name of names.sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const path = join(dir, name);
      const info = await stat(path);
      if (!info.isFile() || info.size > this.maxManifestBytes || info.size < 2) continue;
      const head = Buffer.alloc(1);
      const fh = await open(path, 'r');
      try {
        await fh.read(head, 0, 1, 0);
      } finally {
        await fh.close();
      }
      if (head[0] !== 0x7b) continue;
      let manifest: OciManifest;
      try {
        manifest = JSON.parse(await readFile(path, 'utf8')) as OciManifest;
      } catch {
        continue;
      }
      const subject = manifest.subject?.digest;
      if (!subject || typeof subject !== 'string') continue;
      const list = bySubject.get(subject) ?? [];
      list.push({
        mediaType: manifest.mediaType ?? MediaType.ociManifest,
        digest: `sha256:${name}`,
        size: info.size,
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
    const path = join(this.dir, 'blobs', 'sha256', m[1]!);
    let info;
    try {
      info = await stat(path);
    } catch {
      throw new NotFoundError(`${this.name}: blob ${digest} is missing`);
    }
    if (info.size > maxBytes)
      throw new SigscanError('TOO_LARGE', `${this.name}: blob ${digest} is over ${maxBytes} bytes`);
    const bytes = new Uint8Array(await readFile(path));
    verifyDigest(bytes, digest, `${this.name} blob`);
    return bytes;
  }
}
