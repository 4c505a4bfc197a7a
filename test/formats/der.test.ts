import { describe, expect, it } from 'vitest';

import { toArrayBuffer } from '../../src/formats/der.js';

describe('toArrayBuffer', () => {
  it('copies exactly the view of a Buffer that lives inside a larger (pooled) ArrayBuffer', () => {
    // Buffer.from(string) of a few bytes is carved out of Node's shared pool, as readFileSync's small
    // results can be; Buffer#slice would share the whole pool.
    const pooled = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);
    const inner = pooled.subarray(1);
    const ab = toArrayBuffer(inner);
    expect(ab.byteLength).toBe(4);
    expect([...new Uint8Array(ab)]).toEqual([0x03, 0x02, 0x01, 0x05]);
  });

  it('returns the buffer itself when the view covers all of it', () => {
    const whole = new Uint8Array([1, 2, 3]);
    expect(toArrayBuffer(whole)).toBe(whole.buffer);
  });
});
