import {
  parseDockerReference,
  referenceName,
  referenceString,
  type DockerReference,
} from '../../formats/simple-signing/reference.js';
import type { SignedIdentity } from './types.js';

/**
 * Does a signature's `docker-reference` fit the image under `signedIdentity` (containers-policy.json(5))?
 * `image` is the reference the image was reached by: tagged, or by digest. The default is
 * matchRepoDigestOrExact.
 */
export function identityMatches(
  identity: SignedIdentity | undefined,
  image: DockerReference,
  signed: DockerReference,
): boolean {
  const id = identity ?? { type: 'matchRepoDigestOrExact' };
  switch (id.type) {
    case 'matchExact':
      if (image.tag === undefined && image.digest === undefined) return false;
      return referenceString(image) === referenceString(signed);
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(image, signed);
    case 'matchRepository':
      return referenceName(image) === referenceName(signed);
    case 'exactReference': {
      const want = safeParse(id.dockerReference);
      if (!want || (want.tag === undefined && want.digest === undefined)) return false;
      return referenceString(want) === referenceString(signed);
    }
    case 'exactRepository': {
      const want = safeParse(id.dockerRepository);
      return want !== undefined && referenceName(want) === referenceName(signed);
    }
    case 'remapIdentity': {
      const remapped = remap(image, id.prefix, id.signedPrefix);
      return remapped !== undefined && repoDigestOrExact(remapped, signed);
    }
  }
}

function repoDigestOrExact(image: DockerReference, signed: DockerReference): boolean {
  // containers/image (matchRepoDigestOrExactReferenceValues) refuses a claim with neither tag nor digest
  // first: without it a name-only claim would pass below for an image reached by digest.
  if (signed.tag === undefined && signed.digest === undefined) return false;
  if (image.tag !== undefined) return referenceString(image) === referenceString(signed);
  if (image.digest !== undefined) return referenceName(image) === referenceName(signed);
  return false;
}

/** `prefix` (host, host/ns or host/ns/repo) replaced by `signedPrefix`; unchanged when it does not apply. */
function remap(image: DockerReference, prefix: string, signedPrefix: string): DockerReference | undefined {
  const name = referenceName(image);
  let rewritten = name;
  if (name === prefix || name.startsWith(`${prefix}/`)) rewritten = signedPrefix + name.slice(prefix.length);
  const tail =
    image.tag !== undefined ? `:${image.tag}` : image.digest !== undefined ? `@${image.digest}` : '';
  return safeParse(rewritten + tail);
}

export function safeParse(ref: string): DockerReference | undefined {
  try {
    return parseDockerReference(ref);
  } catch {
    return undefined;
  }
}
