/**
 * decodeStream (an archive held in memory) and decodeChunks (an archive read from its file chunk by chunk):
 * the two ways an entry too large to expand at once reaches a digest. Deflate streams come from gzip, as in
 * entry-data.test.ts. What is asserted is what a digest would see: the exact bytes, the size checks a stored
 * entry and a lying header must fail, a read error that must end the entry, and the file reads that must stop
 * when the consumer stops.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { DEFLATED, decodeChunks, decodeStream, STORED } from '../../../src/formats/zip/entry-data.js';
import { deflateWithGzip, repeatedLine } from './inputs.js';

function text(size: number): Buffer {
  return repeatedLine('a line of a class file constant pool, java/lang/Object\n', size);
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const chunk of chunks) out.push(Buffer.from(chunk));
  return out;
}

/** The compressed bytes as a file source hands them over: pieces of `piece` bytes, counted as read. */
function source(compressed: Buffer, piece: number, state = { read: 0, finished: false }) {
  return {
    state,
    chunks: async function* (): AsyncGenerator<Buffer> {
      try {
        for (let at = 0; at < compressed.length; at += piece) {
          state.read++;
          yield compressed.subarray(at, at + piece);
        }
      } finally {
        state.finished = true;
      }
    },
  };
}

const KIB64 = 64 * 1024;

describe('decodeStream and decodeChunks: the bytes a digest sees', () => {
  const plain = text(1024 * 1024 + 5);
  const compressed = deflateWithGzip(plain);

  it('a deflated entry, whole or fed in pieces, comes out exactly, in output chunks of up to 64 KiB', async () => {
    const held = await collect(decodeStream(compressed, DEFLATED, plain.length));
    expect(Buffer.concat(held).equals(plain)).toBe(true);
    // STREAM_CHUNK_BYTES: zlib's default 16 KiB chunk would take four times the hops.
    expect(Math.max(...held.map((c) => c.length))).toBe(KIB64);

    for (const piece of [1, 7, 4096, compressed.length]) {
      const file = source(compressed, piece);
      const got = await collect(decodeChunks(file.chunks, compressed.length, DEFLATED, plain.length));
      expect([piece, Buffer.concat(got).equals(plain)]).toEqual([piece, true]);
      if (piece === compressed.length) expect(Math.max(...got.map((c) => c.length))).toBe(KIB64);
    }
  });

  it('a stored entry is its own bytes, in 64 KiB views, with no empty chunk at the end', async () => {
    const data = text(2 * KIB64);
    const chunks = await collect(decodeStream(data, STORED, data.length));
    expect(chunks.map((c) => c.length)).toEqual([KIB64, KIB64]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(await collect(decodeStream(Buffer.alloc(0), STORED, 0))).toEqual([]);

    const file = source(data, 1000);
    const read = await collect(decodeChunks(file.chunks, data.length, STORED, data.length));
    expect(Buffer.concat(read).equals(data)).toBe(true);
  });

  it('a stored entry whose data the file does not hold in full (clipped) is refused before a byte is read', async () => {
    const data = text(5000);
    // The reader clips the compressed length to the file: 4000 of the 5000 declared bytes are there.
    const file = source(data.subarray(0, 4000), 1000);
    await expect(collect(decodeChunks(file.chunks, 4000, STORED, 5000))).rejects.toThrow(
      'stored entry declares 4000 compressed bytes but 5000 uncompressed',
    );
    expect(file.state.read).toBe(0);
    await expect(collect(decodeStream(data.subarray(0, 4000), STORED, 5000))).rejects.toThrow(
      'stored entry declares 4000 compressed bytes but 5000 uncompressed',
    );
  });

  it('a header that declares fewer or more bytes than the stream holds is refused on both paths', async () => {
    for (const declared of [plain.length - 1, plain.length + 1]) {
      const expected =
        declared < plain.length
          ? `too many bytes in the stream. expected ${declared}. got at least`
          : `not enough bytes in the stream. expected ${declared}. got only ${plain.length}`;
      await expect(collect(decodeStream(compressed, DEFLATED, declared))).rejects.toThrow(expected);
      const file = source(compressed, 4096);
      await expect(collect(decodeChunks(file.chunks, compressed.length, DEFLATED, declared))).rejects.toThrow(
        expected,
      );
    }
  });

  it('a read error in the middle of a deflated entry ends it with that error', async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield compressed.subarray(0, 100);
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    }
    await expect(collect(decodeChunks(failing, compressed.length, DEFLATED, plain.length))).rejects.toThrow(
      'EIO: i/o error, read',
    );
  });

  it('a consumer that stops early stops the file reads too (the source is closed, not left open)', async () => {
    // Incompressible, so the source holds far more than the pipe buffers before the consumer reads.
    const noise = randomBytes(4 * 1024 * 1024);
    const packed = deflateWithGzip(noise);
    const file = source(packed, 4096);
    for await (const chunk of decodeChunks(file.chunks, packed.length, DEFLATED, noise.length)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    // Readable.destroy returns the source's iterator on a later tick.
    for (let i = 0; i < 20 && !file.state.finished; i++) await new Promise((r) => setImmediate(r));
    expect(file.state.finished).toBe(true);
    expect(file.state.read).toBeLessThan(packed.length / 4096 / 2);
  });
});
