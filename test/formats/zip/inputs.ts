import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';

/** The raw deflate stream inside gzip's output (-n: no name or time, so the header is 10 bytes). */
export function deflateWithGzip(data: Uint8Array, level = '-6'): Buffer {
  const gz = execFileSync('gzip', ['-c', '-n', level], { input: data, maxBuffer: 64 * 1024 * 1024 });
  expect([gz[0], gz[1], gz[3]]).toEqual([0x1f, 0x8b, 0]);
  return gz.subarray(10, gz.length - 8);
}

/** `size` bytes of `line` over and over: it compresses as class files do (long matches back into the window). */
export function repeatedLine(line: string, size: number): Buffer {
  const bytes = Buffer.from(line);
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = bytes[i % bytes.length]!;
  return out;
}
