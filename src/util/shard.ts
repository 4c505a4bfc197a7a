import { createHash } from 'node:crypto';

/** `--shard i/n`: which of n parallel jobs owns a name. Stable across machines and runs. */
export interface Shard {
  index: number;
  count: number;
}

export function inShard(name: string, shard: Shard | undefined): boolean {
  if (!shard || shard.count === 1) return true;
  const h = createHash('sha256').update(name).digest().readUInt32BE(0);
  return h % shard.count === shard.index - 1;
}
