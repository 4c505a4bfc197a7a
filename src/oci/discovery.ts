import type { RepositoryDiscovery } from '../detectors/detector.js';
import { isNotFound } from '../errors.js';
import { digestTag, isIndexMediaType, type Descriptor, type OciStore } from './types.js';

/**
 * Discovery shared by every detector for one repository: the tag list is read once (the store memoises
 * it) and tells which `sha256-<hex>.sig/.att/.sbom` and referrers-fallback tags exist, so an unsigned
 * image costs no extra request; referrers are listed once per digest and dispatched by artifactType.
 */
export class StoreDiscovery implements RepositoryDiscovery {
  private tagSet?: Promise<Set<string>>;
  private readonly referrerLists = new Map<string, Promise<Descriptor[]>>();

  constructor(
    private readonly store: OciStore,
    readonly repository: string,
  ) {}

  async hasTag(tag: string): Promise<boolean> {
    this.tagSet ??= this.store.listTags(this.repository).then((tags) => new Set(tags));
    return (await this.tagSet).has(tag);
  }

  referrers(digest: string): Promise<Descriptor[]> {
    let pending = this.referrerLists.get(digest);
    if (!pending) {
      pending = this.listReferrers(digest);
      this.referrerLists.set(digest, pending);
    }
    return pending;
  }

  private async listReferrers(digest: string): Promise<Descriptor[]> {
    const fromApi = await this.store.listReferrers(this.repository, digest);
    if (fromApi) return fromApi;
    const fallbackTag = digestTag(digest);
    if (!(await this.hasTag(fallbackTag))) return [];
    try {
      const index = await this.store.getManifest(this.repository, fallbackTag);
      if (!isIndexMediaType(index.descriptor.mediaType) || !Array.isArray(index.manifest.manifests))
        return [];
      return index.manifest.manifests;
    } catch (err) {
      // The tag list said it exists; if it vanished since, there is nothing to list.
      if (isNotFound(err)) return [];
      throw err;
    }
  }
}
