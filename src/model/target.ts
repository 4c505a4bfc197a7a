/** What a scan looks at: an image manifest in a registry or layout, or a file on disk. */

/**
 * `blob`: any other file, reported because a detached signature (bundle, `.sig`) sits beside it.
 * `msi`, `cab`, `cat`, `script`: the other Authenticode containers (MSI packages, cabinets, security
 * catalogs, signed PowerShell/JScript/MOF scripts). `apk`, `rpm`, `deb`: Android, RPM and Debian packages.
 */
export type FileFormat =
  | 'jar'
  | 'pe'
  | 'blob'
  | 'in-toto'
  | 'unknown'
  | 'msi'
  | 'cab'
  | 'cat'
  | 'script'
  | 'apk'
  | 'rpm'
  | 'deb'
  | 'appx';

export interface ImageTarget {
  kind: 'image';
  /** Registry host[:port], or the layout path for OCI layouts. */
  registry: string;
  repository: string;
  tag?: string;
  /** `sha256:<hex>` of the manifest bytes. */
  digest: string;
  mediaType: string;
  size?: number;
  /** `os/arch[/variant]` for children of an index. */
  platform?: string;
  /** Digest of the index this manifest was listed in. */
  parent?: string;
  /** Found through a signature or referrer tag (`sha256-<hex>.sig`) that no scanned tag points at. */
  untagged?: boolean;
  /** `images -` with kubectl JSON: the workloads that run this image. */
  workloads?: Workload[];
  /** What the scan noticed about the image itself, beside its signatures. */
  findings?: TargetFinding[];
}

/**
 * `TAG_MOVED`: a workload runs this digest (its pod status imageID), but the tag it was started from now
 * names another digest. The running digest is what was scanned; the tag's new digest was not.
 */
export interface TargetFinding {
  code: 'TAG_MOVED';
  message: string;
  tag: string;
  /** The digest the tag resolves to now (the registry's answer to a HEAD). */
  resolvesTo: string;
  /** The digest the workloads run. */
  running: string;
}

/** A container of a Kubernetes workload. */
export interface Workload {
  namespace: string;
  kind: string;
  name: string;
  container: string;
}

/** Between an archive and an archive inside it, as in Java's `jar:` URLs: `app.war!/WEB-INF/lib/x.jar`. */
export const NESTED_SEPARATOR = '!/';

export interface FileTarget {
  kind: 'file';
  /** Path as reached from the scanned root (root joined with the relative path). */
  path: string;
  /**
   * For an archive inside another (`app.war!/WEB-INF/lib/x.jar`): the path of the file on disk that
   * holds it. Kept apart because a directory name may itself end in `!`.
   */
  container?: string;
  size: number;
  /** `sha256:<hex>` of the whole file. */
  digest: string;
  format: FileFormat;
}

export type Target = ImageTarget | FileTarget;

/** The reference a person would type: `host/repo:tag`, `host/repo@digest`, or the file path. */
export function targetRef(target: Target): string {
  if (target.kind === 'file') return target.path;
  // OCI layouts have no repository: their reference is skopeo's `oci:<path>:<tag>`.
  const base = target.repository ? `${target.registry}/${target.repository}` : target.registry;
  if (target.tag && !target.platform) return `${base}:${target.tag}`;
  return `${base}@${target.digest}`;
}
