import { SigscanError } from '../errors.js';

/**
 * What `sigscan repo` was pointed at: a whole registry, a namespace in it, or one image reference.
 * Names are never lowercased or otherwise "fixed" (formats.md §1.9): the registry and the signing tools
 * would then disagree on the name.
 */
export interface ScanScope {
  registry: string;
  /** Repository prefix (`team/` style namespace) when the user gave `host/namespace`. */
  namespace?: string;
  /** A single repository + reference when the user gave `host/name:tag` or `host/name@digest`. */
  repository?: string;
  tag?: string;
  digest?: string;
}

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function isDigest(ref: string): boolean {
  return DIGEST_RE.test(ref) && (!ref.startsWith('sha256:') || /^sha256:[a-f0-9]{64}$/.test(ref));
}

export function parseScope(input: string): ScanScope {
  let text = input.trim().replace(/^(?:https?|oci|docker):\/\//, '');
  text = text.replace(/\/+$/, '');
  if (!text) throw new SigscanError('USAGE', 'registry reference is empty');
  const slash = text.indexOf('/');
  const registry = slash === -1 ? text : text.slice(0, slash);
  const rest = slash === -1 ? '' : text.slice(slash + 1);
  if (!rest) return { registry };

  const at = rest.indexOf('@');
  if (at !== -1) {
    const digest = rest.slice(at + 1);
    if (!isDigest(digest)) throw new SigscanError('USAGE', `"${digest}" is not a valid digest`);
    const { name, tag } = splitTag(rest.slice(0, at));
    return { registry, repository: name, tag, digest };
  }
  const { name, tag } = splitTag(rest);
  if (tag) return { registry, repository: name, tag };
  // `host/namespace` (no tag): scan every repository under it, and the repository of that exact name.
  return { registry, namespace: name };
}

function splitTag(nameAndTag: string): { name: string; tag?: string } {
  const colon = nameAndTag.lastIndexOf(':');
  if (colon === -1 || nameAndTag.indexOf('/', colon) !== -1) return { name: nameAndTag };
  const tag = nameAndTag.slice(colon + 1);
  if (!TAG_RE.test(tag)) throw new SigscanError('USAGE', `"${tag}" is not a valid tag`);
  return { name: nameAndTag.slice(0, colon), tag };
}

/** Docker Hub's user-facing names map to its API host (formats.md §1.1). */
export function apiHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}
