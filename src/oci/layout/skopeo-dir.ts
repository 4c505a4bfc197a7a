import { NotFoundError, SigscanError } from '../../errors.js';
import { sha256Digest, verifyDigest } from '../digest.js';
import { isDigest } from '../reference.js';
import { MAX_SIGNATURES } from '../../formats/simple-signing/lookaside.js';
import { DirectoryFiles, type LayoutFiles } from './files.js';
import {
  MediaType,
  type Descriptor,
  type FetchedManifest,
  type OciManifest,
  type OciStore,
} from '../types.js';

/** Store names of `dir:` layouts start with this; detectors use it to find their signatures. */
export const DIR_STORE_PREFIX = 'dir:';

const VERSION = /^Directory Transport Version: 1\.\d+\n?$/;

/**
 * A containers/image `dir:` layout (`skopeo copy … dir:DIR`), laid out as its `directory` transport writes
 * it: `version` ("Directory Transport Version: 1.1"), `manifest.json`, blobs named by their sha256 hex, simple
 * signatures `signature-1..N`; for `--all` copies each instance as `<hex>.manifest.json` with
 * `<hex>.signature-N`. One unnamed image: the directory holds no repository or tag, so its target has none.
 */
export class SkopeoDirStore implements OciStore {
  readonly name: string;
  private top?: Promise<FetchedManifest>;

  constructor(
    private readonly location: string,
    private readonly maxManifestBytes: number,
    private readonly files: LayoutFiles = new DirectoryFiles(location),
  ) {
    this.name = `${DIR_STORE_PREFIX}${location}`;
  }

  /** A directory with the transport's `version` file and a `manifest.json`. */
  static async isDirLayout(dir: string): Promise<boolean> {
    const files = new DirectoryFiles(dir);
    try {
      const version = Buffer.from(await files.read('version', 256)).toString('utf8');
      return VERSION.test(version) && (await files.size('manifest.json')) !== undefined;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.files.close();
  }

  async *listRepositories(): AsyncIterable<string> {
    yield '';
  }

  async listTags(): Promise<string[]> {
    return [];
  }

  /** The digest of `manifest.json`, which is what the directory's image is. */
  async manifestDigest(): Promise<string> {
    return (await this.topManifest()).descriptor.digest;
  }

  async resolve(_repository: string, reference: string): Promise<Descriptor> {
    return (await this.getManifest('', reference)).descriptor;
  }

  async getManifest(_repository: string, reference: string): Promise<FetchedManifest> {
    const top = await this.topManifest();
    if (!isDigest(reference) || reference === top.descriptor.digest) return top;
    // An instance of a copied index, stored under its digest; only instances the index lists are read.
    const listed = (top.manifest.manifests ?? []).find((d) => d.digest === reference);
    const m = /^sha256:([a-f0-9]{64})$/.exec(reference);
    if (!listed || !m) throw new NotFoundError(`${this.name}: no manifest ${reference}`);
    const fetched = await this.readManifest(`${m[1]!}.manifest.json`, listed.mediaType);
    verifyDigest(fetched.bytes, reference, `${this.name} manifest`);
    return fetched;
  }

  async getBlob(_repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array> {
    const m = /^sha256:([a-f0-9]{64})$/.exec(descriptor.digest);
    if (!m) throw new SigscanError('UNSUPPORTED', `${this.name}: digest ${descriptor.digest} is not sha256`);
    if (descriptor.size > maxBytes) {
      throw new SigscanError('TOO_LARGE', `blob ${descriptor.digest} is over the ${maxBytes}-byte limit`);
    }
    if ((await this.files.size(m[1]!)) === undefined) {
      throw new NotFoundError(`${this.name}: blob ${descriptor.digest} is missing`);
    }
    const bytes = await this.files.read(m[1]!, maxBytes);
    verifyDigest(bytes, descriptor.digest, `${this.name} blob`);
    if (bytes.byteLength !== descriptor.size) {
      throw new SigscanError(
        'DIGEST_MISMATCH',
        `blob ${descriptor.digest}: size differs from its descriptor`,
      );
    }
    return bytes;
  }

  async listReferrers(): Promise<Descriptor[]> {
    return [];
  }

  /**
   * The simple signatures stored for `digest`: `signature-N` for `manifest.json`, `<hex>.signature-N` for an
   * instance, read from 1 until the first missing one (as containers/image does), at most MAX_SIGNATURES.
   */
  async signatures(digest: string, maxBytes: number): Promise<Array<{ path: string; blob: Uint8Array }>> {
    const top = await this.topManifest();
    const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
    if (!hex) return [];
    const prefix = digest === top.descriptor.digest ? '' : `${hex}.`;
    const out: Array<{ path: string; blob: Uint8Array }> = [];
    for (let n = 1; n <= MAX_SIGNATURES; n++) {
      const path = `${prefix}signature-${n}`;
      if ((await this.files.size(path)) === undefined) break;
      out.push({ path, blob: await this.files.read(path, maxBytes) });
    }
    return out;
  }

  private topManifest(): Promise<FetchedManifest> {
    this.top ??= this.readManifest('manifest.json');
    return this.top;
  }

  private async readManifest(path: string, listedType?: string): Promise<FetchedManifest> {
    const bytes = await this.files.read(path, this.maxManifestBytes);
    let manifest: OciManifest;
    try {
      manifest = JSON.parse(Buffer.from(bytes).toString('utf8')) as OciManifest;
    } catch {
      throw new SigscanError('MALFORMED_MANIFEST', `${this.name}: ${path} is not JSON`);
    }
    if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
      throw new SigscanError('MALFORMED_MANIFEST', `${this.name}: ${path} is not a JSON object`);
    }
    // Schema 1 digests are taken over the manifest without its JWS signatures; not implemented here.
    if ((manifest as { schemaVersion?: unknown }).schemaVersion === 1) {
      throw new SigscanError('UNSUPPORTED', `${this.name}: ${path} is a schema 1 manifest`);
    }
    const mediaType =
      manifest.mediaType ??
      listedType ??
      (Array.isArray(manifest.manifests) ? MediaType.ociIndex : MediaType.ociManifest);
    return {
      descriptor: { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength },
      bytes,
      manifest,
    };
  }
}
