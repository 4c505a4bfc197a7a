/** The one OCI interface: a registry over HTTP and (later) OCI layouts and docker archives answer it. */

export interface Platform {
  os?: string;
  architecture?: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** OCI/Docker manifest or index, as parsed for reading. Raw bytes stay beside it (golden rule 1). */
export interface OciManifest {
  schemaVersion?: number;
  mediaType?: string;
  artifactType?: string;
  config?: Descriptor;
  layers?: Descriptor[];
  manifests?: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface FetchedManifest {
  /** Digest computed from the bytes received, media type from the response or the body. */
  descriptor: Descriptor;
  bytes: Uint8Array;
  manifest: OciManifest;
}

export interface OciStore {
  /** Registry host[:port] or layout path, as reports show it. */
  readonly name: string;
  listRepositories(): AsyncIterable<string>;
  listTags(repository: string): Promise<string[]>;
  /** Tag or digest to descriptor, as cheaply as the store allows (HEAD on a registry). */
  resolve(repository: string, reference: string): Promise<Descriptor>;
  /** Fetches and checks a manifest: by digest the bytes must hash to it. */
  getManifest(repository: string, reference: string): Promise<FetchedManifest>;
  /** Fetches a blob, bounded by `maxBytes`, and checks it against the descriptor's digest and size. */
  getBlob(repository: string, descriptor: Descriptor, maxBytes: number): Promise<Uint8Array>;
  /** Referrers of a digest; `undefined` when the store has no referrers API (use the tag fallback). */
  listReferrers(repository: string, digest: string): Promise<Descriptor[] | undefined>;
}

export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociArtifactManifest: 'application/vnd.oci.artifact.manifest.v1+json',
  orasArtifactManifest: 'application/vnd.cncf.oras.artifact.manifest.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
  notarySignature: 'application/vnd.cncf.notary.signature',
  jws: 'application/jose+json',
  cose: 'application/cose',
} as const;

/** Every manifest type we can parse, for the Accept header. */
export const MANIFEST_ACCEPT = [
  MediaType.ociManifest,
  MediaType.ociIndex,
  MediaType.dockerManifest,
  MediaType.dockerManifestList,
  MediaType.ociArtifactManifest,
  MediaType.orasArtifactManifest,
  MediaType.dockerSchema1Signed,
  MediaType.dockerSchema1,
];

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
}

/** `sha256:<hex>` -> `sha256-<hex>`: the cosign tag stem and the referrers fallback tag. */
export function digestTag(digest: string): string {
  const i = digest.indexOf(':');
  const alg = digest.slice(0, i).slice(0, 32);
  const enc = digest.slice(i + 1).slice(0, 64);
  return `${alg}-${enc}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}
