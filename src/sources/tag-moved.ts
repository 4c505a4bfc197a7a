import type { TargetFinding } from '../model/index.js';
import type { OciStore } from '../oci/types.js';

/**
 * Whether the tag a workload was started from still names the digest it runs (`images -` with kubectl
 * JSON, where the pod status gives the running digest). One HEAD per registry/repository:tag, however many
 * pods run it. A tag that cannot be resolved any more gives no finding: the running digest is scanned
 * either way, and the tag's fate is the registry's error to report, not a fact about this image.
 */
export class TagMovedCheck {
  private readonly heads = new Map<string, Promise<string | undefined>>();

  async check(
    store: OciStore,
    repository: string,
    tag: string,
    running: string,
  ): Promise<TargetFinding | undefined> {
    const key = `${store.name}/${repository}:${tag}`;
    let now = this.heads.get(key);
    if (!now) {
      now = store.resolve(repository, tag).then(
        (d) => d.digest,
        () => undefined,
      );
      this.heads.set(key, now);
    }
    const resolvesTo = await now;
    if (resolvesTo === undefined || resolvesTo === running) return undefined;
    return {
      code: 'TAG_MOVED',
      message:
        `${store.name}/${repository}:${tag} now resolves to ${resolvesTo}, but the workloads run ${running}: ` +
        'the running digest is what was checked',
      tag,
      resolvesTo,
      running,
    };
  }
}
