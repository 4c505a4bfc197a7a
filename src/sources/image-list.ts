import { SigscanError } from '../errors.js';
import type { Workload } from '../model/index.js';
import { parseScope, type ScanScope } from '../oci/reference.js';

/** One image reference, and the cluster workload container that runs it (kubectl JSON only). */
export interface ImageEntry {
  ref: string;
  workload?: Workload;
}

/**
 * Image references from people and from clusters: plain lists (one per line, `#` comments) and the JSON
 * of `kubectl get ... -o json` (every container, init container and ephemeral container).
 */
export function parseImageList(text: string): string[] {
  return parseImageEntries(text).map((e) => e.ref);
}

export function parseImageEntries(text: string): ImageEntry[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return imagesFromKubernetesJson(trimmed);
  return trimmed
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((ref) => ({ ref }));
}

interface Container {
  name?: unknown;
  image?: unknown;
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
}
interface ContainerStatus {
  name?: unknown;
  imageID?: unknown;
}
interface KubeObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: PodSpec & {
    template?: { spec?: PodSpec };
    jobTemplate?: { spec?: { template?: { spec?: PodSpec } } };
  };
  status?: {
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    ephemeralContainerStatuses?: ContainerStatus[];
  };
}

/** A repository digest in a container status (`docker-pullable://x@sha256:..`, `x@sha256:..`). */
const RUNNING_DIGEST = /@(sha256:[0-9a-f]{64})$/;

function imagesFromKubernetesJson(text: string): ImageEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SigscanError('USAGE', 'the image list looks like JSON but does not parse');
  }
  const items = Array.isArray(doc) ? doc : ((doc as { items?: unknown[] }).items ?? [doc]);
  const out: ImageEntry[] = [];
  for (const item of items as KubeObject[]) {
    const o = item ?? {};
    const statuses = [
      ...(o.status?.containerStatuses ?? []),
      ...(o.status?.initContainerStatuses ?? []),
      ...(o.status?.ephemeralContainerStatuses ?? []),
    ];
    // Pods carry spec directly; Deployments, StatefulSets, DaemonSets and Jobs spec.template.spec; CronJobs
    // spec.jobTemplate.spec.template.spec.
    for (const spec of [o.spec, o.spec?.template?.spec, o.spec?.jobTemplate?.spec?.template?.spec]) {
      for (const list of [spec?.containers, spec?.initContainers, spec?.ephemeralContainers]) {
        for (const c of list ?? []) {
          if (typeof c?.image !== 'string' || !c.image) continue;
          const name = typeof c.name === 'string' ? c.name : '';
          // What the pod runs is the digest its status reports, not what the tag names now.
          const running = statuses.find((s) => s.name === name)?.imageID;
          const digest = typeof running === 'string' ? RUNNING_DIGEST.exec(running)?.[1] : undefined;
          const ref = digest ? `${c.image.replace(/@sha256:[0-9a-f]{64}$/, '')}@${digest}` : c.image;
          out.push({
            ref,
            workload: {
              namespace: o.metadata?.namespace ?? 'default',
              kind: o.kind ?? 'Pod',
              name: o.metadata?.name ?? '',
              container: name,
            },
          });
        }
      }
    }
  }
  return out;
}

/**
 * Docker's reference rules: no registry means Docker Hub, a single name component means `library/`,
 * no tag or digest means `latest`. The first component is a registry only when it looks like a host.
 */
export function normalizeImageRef(ref: string): ScanScope {
  let text = ref.trim().replace(/^docker:\/\//, '');
  const first = text.split('/')[0]!;
  const hasRegistry =
    text.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) text = `docker.io/${text.includes('/') ? text : `library/${text}`}`;
  const scope = parseScope(text);
  checkScopeNames(scope, ref);
  if (scope.registry === 'index.docker.io') scope.registry = 'docker.io';
  if (!scope.repository) {
    // parseScope reads `host/name` without a tag as a namespace; an image list means one image.
    return { registry: scope.registry, repository: scope.namespace, tag: 'latest' };
  }
  return scope;
}

/** The key under which two references name the same image. */
export function scopeKey(scope: ScanScope): string {
  return `${scope.registry}/${scope.repository}:${scope.tag ?? ''}@${scope.digest ?? ''}`;
}

/** Unique images, in first-seen order, each with the registry it lives in. */
export function imageScopes(refs: string[]): ScanScope[] {
  const seen = new Set<string>();
  const out: ScanScope[] = [];
  for (const ref of refs) {
    const scope = normalizeImageRef(ref);
    const key = scopeKey(scope);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(scope);
    }
  }
  return out;
}

/**
 * Repository names as the distribution spec allows them (lowercase is not enforced: names are never
 * "fixed", and some registries accept capitals). A space or a stray character is a typo, and a usage
 * error rather than a 404 or a request with a mangled URL.
 */
const NAME_COMPONENT = /^[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*$/;
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function checkScopeNames(
  scope: { registry: string; namespace?: string; repository?: string },
  input: string,
): void {
  if (!HOST.test(scope.registry))
    throw new SigscanError('USAGE', `"${input}": "${scope.registry}" is not a registry host[:port]`);
  const name = scope.repository ?? scope.namespace;
  if (name !== undefined && !name.split('/').every((c) => NAME_COMPONENT.test(c)))
    throw new SigscanError('USAGE', `"${input}": "${name}" is not a valid repository name`);
}
