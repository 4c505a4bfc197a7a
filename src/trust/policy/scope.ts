import type { ContainersPolicy, PolicyRequirement } from './types.js';

export interface ImageName {
  registry: string;
  repository: string;
  tag?: string;
  digest: string;
  platform?: string;
}

/**
 * The docker scopes to try, most specific first (formats.md §4.7): the full reference, the repository,
 * each parent namespace, `host[:port]`, then wildcard domains built from the port-less host.
 */
export function dockerScopes(image: ImageName): string[] {
  const registry = image.registry === 'index.docker.io' ? 'docker.io' : image.registry;
  let repository = image.repository;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  const repo = `${registry}/${repository}`;
  const out: string[] = [];
  out.push(image.tag && !image.platform ? `${repo}:${image.tag}` : `${repo}@${image.digest}`);
  const parts = repo.split('/');
  for (let i = parts.length; i >= 1; i--) out.push(parts.slice(0, i).join('/'));
  const host = registry.replace(/:\d+$/, '');
  const labels = host.split('.');
  for (let i = 1; i < labels.length; i++) out.push(`*.${labels.slice(i).join('.')}`);
  return out;
}

/** The requirements that apply to a registry image and the scope they came from. */
export function requirementsFor(
  policy: ContainersPolicy,
  image: ImageName,
): { scope: string; requirements: PolicyRequirement[] } {
  const docker = policy.transports['docker'];
  if (docker) {
    for (const scope of dockerScopes(image)) {
      const reqs = docker[scope];
      if (reqs) return { scope: `docker:${scope}`, requirements: reqs };
    }
    if (docker['']) return { scope: 'docker:""', requirements: docker[''] };
  }
  return { scope: 'default', requirements: policy.default };
}
