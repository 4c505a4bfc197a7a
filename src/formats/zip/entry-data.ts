import { Readable } from 'node:stream';
import { createInflateRaw, inflateRawSync } from 'node:zlib';

/** Thrown for data that does not decode as declared; the reader wraps it with the entry's name. */
export class ZipFormatError extends Error {}

/**
 * Decoding an entry's data (stored or deflated) from the compressed slice of an archive held in memory.
 * Both ways enforce that the entry expands to exactly its declared size: a deflate stream that would
 * produce more is stopped at size + 1 bytes, so a lying header cannot make us allocate more than it
 * declared (and the caller has charged that declared size to its budgets).
 *
 * CRC-32 is not checked, as it was not before (yauzl never checks it) and as java.util.zip.ZipFile, which
 * jarsigner and class loaders read JARs with, does not either: a JAR whose CRC is wrong but whose content
 * matches its signed digest verifies there, and must here too. Content integrity is the digests' job.
 */

export const STORED = 0;
export const DEFLATED = 8;

/** zlib's output chunk for streamed entries: large enough that hops are few, small enough to stay bounded. */
const STREAM_CHUNK_BYTES = 64 * 1024;

export function checkMethod(method: number): void {
  if (method !== STORED && method !== DEFLATED) {
    throw new ZipFormatError(`unsupported compression method: ${method}`);
  }
}

/**
 * The whole entry at once. Stored data is returned as a view of the archive: copy it before handing it
 * to anyone who might keep it.
 */
export function decodeSync(compressed: Buffer, method: number, size: number): Buffer {
  checkMethod(method);
  if (method === STORED) return storedData(compressed, size);
  let out: Buffer;
  try {
    out = inflateRawSync(compressed, {
      maxOutputLength: size + 1,
      // One output buffer when the declared size is honest; zlib's minimum is 64.
      chunkSize: Math.max(64, Math.min(size + 1, 1024 * 1024)),
    });
  } catch (cause) {
    if ((cause as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooMany(size, size + 1);
    throw cause;
  }
  if (out.length > size) throw tooMany(size, out.length);
  if (out.length < size) throw notEnough(size, out.length);
  return out;
}

/** Chunk by chunk, for entries too large to expand at once. Stored chunks are views of the archive. */
export async function* decodeStream(
  compressed: Buffer,
  method: number,
  size: number,
): AsyncGenerator<Buffer> {
  checkMethod(method);
  if (method === STORED) {
    storedData(compressed, size);
    for (let at = 0; at < compressed.length; at += STREAM_CHUNK_BYTES) {
      yield compressed.subarray(at, at + STREAM_CHUNK_BYTES);
    }
    return;
  }
  // The input is a view of memory we already hold; zlib inflates it as the consumer reads, so only a few
  // output chunks exist at a time.
  const inflater = createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES });
  inflater.end(compressed);
  let seen = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > size) throw tooMany(size, seen);
      yield chunk;
    }
  } finally {
    inflater.destroy();
  }
  if (seen < size) throw notEnough(size, seen);
}

/**
 * As decodeStream, for compressed data read from a file chunk by chunk (`compressedLength` bytes in all,
 * after clipping to the file): neither the compressed nor the expanded entry is ever held whole.
 */
export async function* decodeChunks(
  compressed: () => AsyncIterable<Buffer>,
  compressedLength: number,
  method: number,
  size: number,
): AsyncGenerator<Buffer> {
  checkMethod(method);
  if (method === STORED) {
    if (compressedLength !== size) storedData(Buffer.alloc(0), size, compressedLength);
    yield* compressed();
    return;
  }
  const input = Readable.from(compressed(), { objectMode: false });
  const inflater = createInflateRaw({ chunkSize: STREAM_CHUNK_BYTES });
  input.on('error', (err) => inflater.destroy(err));
  input.pipe(inflater);
  let seen = 0;
  try {
    for await (const chunk of inflater as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > size) throw tooMany(size, seen);
      yield chunk;
    }
  } finally {
    input.destroy();
    inflater.destroy();
  }
  if (seen < size) throw notEnough(size, seen);
}

/** A stored entry is its data: the two sizes in the header must agree. */
function storedData(compressed: Buffer, size: number, compressedLength = compressed.length): Buffer {
  if (compressedLength !== size) {
    throw new ZipFormatError(
      `stored entry declares ${compressedLength} compressed bytes but ${size} uncompressed`,
    );
  }
  return compressed;
}

function tooMany(expected: number, got: number): ZipFormatError {
  return new ZipFormatError(`too many bytes in the stream. expected ${expected}. got at least ${got}`);
}

function notEnough(expected: number, got: number): ZipFormatError {
  return new ZipFormatError(`not enough bytes in the stream. expected ${expected}. got only ${got}`);
}
