/**
 * decodeTransient (one zlib inflater and one output buffer reused for every small entry that is only
 * digested) against decodeSync (inflateRawSync, a fresh inflater per entry): the same bytes, or the same
 * error message, on deflate streams written by gzip and altered after. The message matters: it is what a
 * report says about a corrupt entry.
 */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { DEFLATED, decodeSync, decodeTransient, STORED } from '../../../src/formats/zip/entry-data.js';
import { deflateWithGzip, repeatedLine } from './inputs.js';

function outcome(decode: typeof decodeSync, compressed: Buffer, size: number): string {
  try {
    return `ok ${createHash('sha256')
      .update(decode(compressed, DEFLATED, size))
      .digest('hex')}`;
  } catch (err) {
    // zlib's own failures carry its code (Z_DATA_ERROR, Z_BUF_ERROR) on both paths; the length checks none.
    return `error ${(err as Error).message} ${(err as { code?: string }).code ?? '-'}`;
  }
}

/** Text compresses (long matches back into the window); random bytes make stored deflate blocks. */
function content(size: number, seed: number): Uint8Array {
  if (seed % 2 === 1) return new Uint8Array(randomBytes(size));
  return repeatedLine(`line ${seed} of some class file constant pool, java/lang/Object\n`, size);
}

// Around zlib's 64-byte minimum chunk, which sets how much the first write may produce, and up to the
// largest entry the reused buffer takes.
const SIZES = [0, 1, 10, 62, 63, 64, 65, 100, 4096, 70_000, 1024 * 1024 - 1, 1024 * 1024];

describe('decodeTransient: the same outcome as decodeSync', () => {
  const streams = SIZES.flatMap((size, i) =>
    [0, 1].map((kind) => {
      const data = content(size, 2 * i + kind);
      return { size, data, compressed: deflateWithGzip(data) };
    }),
  );

  it('on honest streams of every size, returning the entry', () => {
    for (const { size, data, compressed } of streams) {
      const got = decodeTransient(compressed, DEFLATED, size);
      expect(got.length).toBe(size);
      expect(Buffer.compare(got, data)).toBe(0);
      expect(outcome(decodeTransient, compressed, size)).toBe(outcome(decodeSync, compressed, size));
    }
  });

  it('on declared sizes that lie (too small, too large, zero), message for message', () => {
    let errors = 0;
    for (const { size, compressed } of streams) {
      for (const declared of [0, 1, size - 1, size + 1, 63, 64, 65, 2 * size + 3].filter((d) => d >= 0)) {
        const expected = outcome(decodeSync, compressed, declared);
        if (expected.startsWith('error')) errors++;
        expect([size, declared, outcome(decodeTransient, compressed, declared)]).toEqual([
          size,
          declared,
          expected,
        ]);
      }
    }
    // Both kinds of lie were met: too many bytes and not enough.
    expect(errors).toBeGreaterThan(30);
  });

  it('on truncated, corrupted and padded streams, message for message', () => {
    const messages = new Set<string>();
    for (const { size, compressed } of streams.filter((s) => s.size > 0 && s.size < 100_000)) {
      const variants: Buffer[] = [
        compressed.subarray(0, 0),
        compressed.subarray(0, 1),
        compressed.subarray(0, compressed.length >> 1),
        compressed.subarray(0, compressed.length - 1),
        Buffer.concat([compressed, Buffer.from('trailing garbage')]),
      ];
      for (const at of [0, 1, 3, compressed.length >> 2, compressed.length >> 1, compressed.length - 2]) {
        if (at < 0 || at >= compressed.length) continue;
        for (const mask of [0x01, 0x80, 0xff]) {
          const bad = Buffer.from(compressed);
          bad[at]! ^= mask;
          variants.push(bad);
        }
      }
      for (const bad of variants) {
        for (const declared of [size, size + 1, size - 1]) {
          const expected = outcome(decodeSync, bad, declared);
          messages.add(expected.startsWith('ok') ? 'ok' : expected.replace(/\d+/g, 'N'));
          expect(outcome(decodeTransient, bad, declared)).toBe(expected);
        }
      }
    }
    // zlib's own errors were met too, not only the length checks.
    expect([...messages].some((m) => m.includes('unexpected end of file'))).toBe(true);
    expect([...messages].some((m) => /invalid|incorrect|too many length/.test(m))).toBe(true);
  });

  it('decodes correctly after a stream that failed', () => {
    const { size, data, compressed } = streams.find((s) => s.size === 4096 && s.data[0] === 0x6c)!;
    expect(() => decodeTransient(compressed.subarray(0, 5), DEFLATED, size)).toThrow();
    expect(Buffer.compare(decodeTransient(compressed, DEFLATED, size), data)).toBe(0);
  });

  it('reuses one output buffer, so the previous result is overwritten (callers keep nothing)', () => {
    const a = deflateWithGzip(Buffer.alloc(1000, 0x61));
    const b = deflateWithGzip(Buffer.alloc(1000, 0x62));
    const first = decodeTransient(a, DEFLATED, 1000);
    expect(first[0]).toBe(0x61);
    const second = decodeTransient(b, DEFLATED, 1000);
    expect(second[0]).toBe(0x62);
    expect(first.buffer).toBe(second.buffer);
    expect(first[0]).toBe(0x62);
  });

  it('returns stored data as it is, and refuses other methods as decodeSync does', () => {
    const data = Buffer.from('stored entry');
    expect(decodeTransient(data, STORED, data.length)).toBe(data);
    expect(() => decodeTransient(data, STORED, data.length + 1)).toThrow(/stored entry declares 12/);
    expect(() => decodeTransient(data, 12, data.length)).toThrow('unsupported compression method: 12');
  });
});
