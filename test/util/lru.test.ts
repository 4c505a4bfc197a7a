import { describe, expect, it } from 'vitest';

import { LruCache } from '../../src/util/lru.js';

describe('LruCache', () => {
  it('never holds more than its limit and evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(3);
  });

  it('replaces a value in place and can be cleared', () => {
    const cache = new LruCache<string, boolean>(2);
    expect(cache.set('x', false)).toBe(false);
    cache.set('x', true);
    expect(cache.size).toBe(1);
    expect(cache.get('x')).toBe(true);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(() => new LruCache(0)).toThrow(RangeError);
  });

  it('counts hits and misses (the --jobs per-worker chain cache figures)', () => {
    const cache = new LruCache<string, boolean>(2);
    expect(cache.get('a')).toBeUndefined();
    cache.set('a', false);
    expect(cache.get('a')).toBe(false); // a stored false is a hit, not a miss
    cache.set('b', true);
    cache.set('c', true); // evicts a
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe(true);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 2 });
  });
});
