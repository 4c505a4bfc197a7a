/**
 * A size-bounded least-recently-used map. Parse and verification caches must stay bounded: a scan of a
 * large tree (or a fuzz campaign) feeds them an endless stream of distinct keys, while the entries worth
 * keeping (a vendor's certificates and chains) are few and hot.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  /** Lookups answered and not answered, so that a cache's worth can be measured (bench, --jobs). */
  hits = 0;
  misses = 0;

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError(`LRU limit must be at least 1, got ${limit}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Map keeps insertion order: re-inserting makes this the most recent entry.
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): V {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as K);
    return value;
  }

  clear(): void {
    this.map.clear();
  }
}
