import { createHash } from 'node:crypto';

/** `--shard i/n`: which of n parallel jobs owns a name. Stable across machines and runs. */
export interface Shard {
  index: number;
  count: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new Error(`--shard "${text}" must be i/n with 1 <= i <= n`);
  }
  return { index, count };
}

export function inShard(name: string, shard: Shard | undefined): boolean {
  if (!shard || shard.count === 1) return true;
  const h = createHash('sha256').update(name).digest().readUInt32BE(0);
  return h % shard.count === shard.index - 1;
}
