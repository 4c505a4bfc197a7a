/**
 * Minimal OCI distribution client over undici fetch, for the test harness only (loopback registries
 * started by registry.ts). Used to push artifacts skopeo cannot push (referrers, hand-made signature
 * manifests, fallback indexes) and to read things back in assertions.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, fetch, Headers, type RequestInit, type Response } from 'undici';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_EMPTY_DIGEST = 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
export const MANIFEST_ACCEPT = [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST].join(', ');

/** What the client needs to know about a registry (a TestRegistry satisfies it). */
export interface RegistryEndpoint {
  url: string;
  host: string;
  caFile?: string;
  auth?: { user: string; password: string };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface FetchedManifest {
  status: number;
  bytes: Uint8Array;
  /** Content-Type without parameters. */
  mediaType: string;
  /** sha256 of the bytes received. */
  digest: string;
  /** Docker-Content-Digest header, if any. */
  headerDigest?: string;
  json: unknown;
}

export function sha256Digest(bytes: Uint8Array | string): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

/** `sha256:<hex>` -> `sha256-<hex>` (the referrers fallback tag; cosign adds `.sig`/`.att`/`.sbom`). */
export function digestTag(digest: string, suffix = ''): string {
  return digest.replace(':', '-') + suffix;
}

const agents = new Map<string, Agent>();
function dispatcherFor(reg: RegistryEndpoint): Agent {
  const key = reg.caFile ?? '';
  let a = agents.get(key);
  if (!a) {
    a = new Agent({ connect: reg.caFile ? { ca: readFileSync(reg.caFile) } : {} });
    agents.set(key, a);
  }
  return a;
}

/** Close the shared undici agents (optional; call from afterAll to be tidy). */
export async function closeAgents(): Promise<void> {
  const all = [...agents.values()];
  agents.clear();
  await Promise.all(all.map((a) => a.close()));
}

export interface RegistryFetchInit extends RequestInit {
  /** Send no Authorization header even when reg.auth is set. */
  anonymous?: boolean;
}

/**
 * fetch() against the registry: `pathOrUrl` is `/v2/...` or an absolute URL on the same registry
 * (refused otherwise, so credentials never leave loopback). Adds Basic auth and the test CA.
 */
export async function registryFetch(
  reg: RegistryEndpoint,
  pathOrUrl: string,
  init: RegistryFetchInit = {},
): Promise<Response> {
  const url = new URL(pathOrUrl, reg.url + '/');
  if (url.origin !== new URL(reg.url).origin) throw new Error(`refusing to fetch ${url} (not ${reg.url})`);
  const { anonymous, headers: initHeaders, ...rest } = init;
  const headers = new Headers(initHeaders);
  if (reg.auth && !anonymous && !headers.has('authorization')) {
    headers.set(
      'authorization',
      'Basic ' + Buffer.from(`${reg.auth.user}:${reg.auth.password}`).toString('base64'),
    );
  }
  return fetch(url, { ...rest, headers, dispatcher: dispatcherFor(reg), redirect: 'manual' });
}

async function fail(res: Response, what: string): Promise<never> {
  const body = await res.text().catch(() => '');
  throw new Error(`${what}: HTTP ${res.status} ${body.slice(0, 500)}`);
}

/** Upload a blob (POST /blobs/uploads/ then PUT ?digest=); skipped when the registry already has it. */
export async function pushBlob(
  reg: RegistryEndpoint,
  repo: string,
  bytes: Uint8Array | string,
): Promise<{ digest: string; size: number }> {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const digest = sha256Digest(data);
  const head = await registryFetch(reg, `/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return { digest, size: data.byteLength };
  const start = await registryFetch(reg, `/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  if (start.status !== 202) await fail(start, `POST blob upload ${repo}`);
  await start.body?.cancel();
  const location = start.headers.get('location');
  if (!location) throw new Error('blob upload: no Location header');
  const put = new URL(location, reg.url + '/');
  put.searchParams.set('digest', digest);
  const res = await registryFetch(reg, put.toString(), {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(data.byteLength) },
    body: data,
  });
  if (res.status !== 201) await fail(res, `PUT blob ${digest}`);
  await res.body?.cancel();
  return { digest, size: data.byteLength };
}

/** PUT a manifest (or index) under a tag or digest; returns the digest of `bytes`. */
export async function pushManifest(
  reg: RegistryEndpoint,
  repo: string,
  reference: string,
  bytes: Uint8Array | string,
  mediaType: string,
): Promise<string> {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const res = await registryFetch(reg, `/v2/${repo}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': mediaType },
    body: data,
  });
  if (res.status !== 201) await fail(res, `PUT manifest ${repo}:${reference}`);
  await res.body?.cancel();
  const digest = sha256Digest(data);
  const got = res.headers.get('docker-content-digest');
  if (got && got !== digest) throw new Error(`registry says ${got} for manifest ${digest}`);
  return digest;
}

/** GET a manifest; undefined on 404. The digest is computed over the received bytes. */
export async function getManifest(
  reg: RegistryEndpoint,
  repo: string,
  reference: string,
  accept: string = MANIFEST_ACCEPT,
): Promise<FetchedManifest | undefined> {
  const res = await registryFetch(reg, `/v2/${repo}/manifests/${reference}`, { headers: { accept } });
  if (res.status === 404) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.status !== 200) await fail(res, `GET manifest ${repo}:${reference}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const out: FetchedManifest = {
    status: res.status,
    bytes,
    mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
    digest: sha256Digest(bytes),
    json: JSON.parse(Buffer.from(bytes).toString('utf8')),
  };
  const hd = res.headers.get('docker-content-digest');
  if (hd) out.headerDigest = hd;
  return out;
}

/** HEAD a manifest: the Docker-Content-Digest header, or undefined on 404. */
export async function headManifest(
  reg: RegistryEndpoint,
  repo: string,
  reference: string,
): Promise<string | undefined> {
  const res = await registryFetch(reg, `/v2/${repo}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { accept: MANIFEST_ACCEPT },
  });
  if (res.status === 404) return undefined;
  if (res.status !== 200) await fail(res, `HEAD manifest ${repo}:${reference}`);
  return res.headers.get('docker-content-digest') ?? undefined;
}

export async function getBlob(reg: RegistryEndpoint, repo: string, digest: string): Promise<Uint8Array> {
  const res = await registryFetch(reg, `/v2/${repo}/blobs/${digest}`);
  if (res.status !== 200) await fail(res, `GET blob ${repo}@${digest}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (sha256Digest(bytes) !== digest) throw new Error(`blob ${digest} content mismatch`);
  return bytes;
}

/** All tags of a repository (follows Link rel="next"); [] when the repository is unknown. */
export async function listTags(reg: RegistryEndpoint, repo: string): Promise<string[]> {
  const tags: string[] = [];
  let next: string | undefined = `/v2/${repo}/tags/list?n=1000`;
  for (let page = 0; next && page < 100; page++) {
    const res = await registryFetch(reg, next);
    if (res.status === 404) {
      await res.body?.cancel();
      return tags;
    }
    if (res.status !== 200) await fail(res, `GET tags ${repo}`);
    const body = (await res.json()) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = res.headers.get('link');
    next = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/)?.[1];
  }
  return tags;
}

/** DELETE a manifest by digest (the registry runs with delete enabled). */
export async function deleteManifest(reg: RegistryEndpoint, repo: string, digest: string): Promise<void> {
  const res = await registryFetch(reg, `/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
  if (res.status !== 202) await fail(res, `DELETE manifest ${repo}@${digest}`);
  await res.body?.cancel();
}

export interface ReferrersIndex {
  schemaVersion: 2;
  mediaType: typeof OCI_INDEX;
  manifests: Descriptor[];
}

/**
 * Read-modify-write the referrers fallback tag `sha256-<hex>` of `subjectDigest` (formats.md §1.5):
 * an OCI image index listing referrer descriptors. A descriptor with the same digest is replaced.
 */
export async function addReferrerToFallbackIndex(
  reg: RegistryEndpoint,
  repo: string,
  subjectDigest: string,
  descriptor: Descriptor,
): Promise<{ tag: string; digest: string; index: ReferrersIndex }> {
  const tag = digestTag(subjectDigest);
  const current = await getManifest(reg, repo, tag, OCI_INDEX);
  let manifests: Descriptor[] = [];
  if (current) {
    const j = current.json as { mediaType?: string; manifests?: unknown };
    if (current.mediaType === OCI_INDEX && Array.isArray(j.manifests))
      manifests = j.manifests as Descriptor[];
  }
  manifests = manifests.filter((d) => d.digest !== descriptor.digest);
  manifests.push(descriptor);
  const index: ReferrersIndex = { schemaVersion: 2, mediaType: OCI_INDEX, manifests };
  const digest = await pushManifest(reg, repo, tag, JSON.stringify(index), OCI_INDEX);
  return { tag, digest, index };
}

export interface PushReferrerOptions {
  artifactType: string;
  /** Layers as [mediaType, bytes]; default one layer `application/octet-stream` "payload". */
  layers?: Array<{ mediaType: string; bytes: Uint8Array | string; annotations?: Record<string, string> }>;
  annotations?: Record<string, string>;
  /** Also record it in the `sha256-<hex>` fallback index (default true). */
  updateFallbackIndex?: boolean;
}

/**
 * Push an OCI 1.1 artifact manifest (empty config, `artifactType`, `subject`) that refers to
 * `subject`, and (by default) add it to the fallback index. Returns its descriptor as listed there.
 */
export async function pushReferrer(
  reg: RegistryEndpoint,
  repo: string,
  subject: { digest: string; size: number; mediaType: string },
  opts: PushReferrerOptions,
): Promise<{ descriptor: Descriptor; manifest: Uint8Array }> {
  await pushBlob(reg, repo, '{}');
  const layers: Descriptor[] = [];
  for (const l of opts.layers ?? [{ mediaType: 'application/octet-stream', bytes: 'payload' }]) {
    const b = await pushBlob(reg, repo, l.bytes);
    layers.push({ mediaType: l.mediaType, ...b, ...(l.annotations ? { annotations: l.annotations } : {}) });
  }
  const manifestObj = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: opts.artifactType,
    config: { mediaType: OCI_EMPTY, digest: OCI_EMPTY_DIGEST, size: 2 },
    layers,
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  const manifest = Buffer.from(JSON.stringify(manifestObj));
  const digest = await pushManifest(reg, repo, sha256Digest(manifest), manifest, OCI_MANIFEST);
  const descriptor: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest,
    size: manifest.byteLength,
    artifactType: opts.artifactType,
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  if (opts.updateFallbackIndex !== false)
    await addReferrerToFallbackIndex(reg, repo, subject.digest, descriptor);
  return { descriptor, manifest };
}
