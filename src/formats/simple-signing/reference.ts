import { SigscanError } from '../../errors.js';

/**
 * A docker reference after docker normalisation (`busybox` ≡ `docker.io/library/busybox`), the way
 * containers/image compares `docker-reference` claims and policy scopes (formats.md §4.2, §4.7).
 */
export interface DockerReference {
  /** `host[:port]`, `docker.io` for Docker Hub. */
  domain: string;
  /** Path below the domain, `library/busybox`. */
  path: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
// containers/image's docker/reference has no bracketed IPv6 hosts (newer docker/distribution does).
const DOMAIN =
  /^(?:localhost|(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*)(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
// reference.Parse hands the digest to go-digest's digest.Parse: a registered algorithm, its exact
// lower-case hex length; anything else is refused, not kept as an opaque string.
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
/** A bare image ID, which ParseNormalizedNamed refuses as a name. */
const IMAGE_ID = /^[a-f0-9]{64}$/;
const NAME_MAX = 255;

function bad(ref: string, why: string): SigscanError {
  return new SigscanError('USAGE', `"${ref}" is not a valid docker reference: ${why}`);
}

/** containers/image `reference.ParseNormalizedNamed` (no `:latest` is added). */
export function parseDockerReference(ref: string): DockerReference {
  if (IMAGE_ID.test(ref)) throw bad(ref, 'a 64-digit hexadecimal name is an image ID');
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad(ref, 'invalid digest');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon !== -1 && !rest.slice(colon).includes('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(ref, 'invalid tag');
  }
  if (!rest) throw bad(ref, 'empty name');
  const slash = rest.indexOf('/');
  const first = slash === -1 ? rest : rest.slice(0, slash);
  let domain: string;
  let path: string;
  // containers/image's splitDockerDomain: an upper-case first component is no host (newer
  // docker/distribution says it is); the name is then refused as not lower-case.
  if (slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    domain = first;
    path = rest.slice(slash + 1);
  } else {
    domain = 'docker.io';
    path = rest;
  }
  if (domain === 'index.docker.io') domain = 'docker.io';
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!DOMAIN.test(domain)) throw bad(ref, 'invalid domain');
  if (path !== path.toLowerCase()) throw bad(ref, 'repository name must be lowercase');
  if (!path.split('/').every((c) => COMPONENT.test(c))) throw bad(ref, 'invalid repository name');
  if (domain.length + 1 + path.length > NAME_MAX) throw bad(ref, 'name longer than 255 characters');
  const out: DockerReference = { domain, path };
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}

export function referenceName(ref: DockerReference): string {
  return `${ref.domain}/${ref.path}`;
}

export function referenceString(ref: DockerReference): string {
  return `${referenceName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** The reference of a scanned registry image: tagged when a tag was scanned, else by digest. */
export function imageReference(image: {
  registry: string;
  repository: string;
  tag?: string;
  digest: string;
  platform?: string;
}): DockerReference {
  const name = parseDockerReference(`${image.registry}/${image.repository}`);
  // A child of an index is reached by digest; its tag names the index, not it.
  if (image.tag && !image.platform) return { ...name, tag: image.tag };
  return { ...name, digest: image.digest };
}
