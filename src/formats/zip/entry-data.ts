import { Readable } from 'node:stream';
import { constants, createInflateRaw, inflateRawSync, type InflateRaw } from 'node:zlib';

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

/** The largest output the transient decoder expands into its reused buffer; larger entries take decodeSync. */
const TRANSIENT_MAX_BYTES = 1024 * 1024;

/**
 * As decodeSync, for data that is only looked at before the next call (digests), never kept: the result
 * is a view of the archive (stored) or of one output buffer that the next call overwrites. Deflated data
 * is expanded by one zlib inflater reset between entries instead of a new one per entry: on JARs of
 * thousands of small classes, creating a zlib stream per entry (its native state and stream object, in
 * fresh memory) cost several times the inflating. The same zlib is called with the same input and
 * output lengths, in the same loop, as inflateRawSync with decodeSync's options, so every entry decodes,
 * or fails with the same message, exactly as it does there (test/formats/zip/entry-data.test.ts compares them).
 */
export function decodeTransient(compressed: Buffer, method: number, size: number): Buffer {
  checkMethod(method);
  if (method === STORED) return storedData(compressed, size);
  if (size + 1 > TRANSIENT_MAX_BYTES) return decodeSync(compressed, method, size);
  const inflater = transientInflater();
  if (!inflater) return decodeSync(compressed, method, size);
  return inflater.decode(compressed, size);
}

/**
 * zlib's native inflate handle behind an InflateRaw stream, as inflateRawSync drives it: Node offers no
 * public way to reuse one for synchronous calls (inflateRawSync closes its stream after one). Not in
 * Node's typings; checked when made, and decodeSync is used instead when it is not there.
 */
interface NativeInflate {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
  ): void;
  reset(): void;
  onerror: (message: string, errno: number, code: string) => void;
}

/**
 * The reused inflater and its output buffer, one per thread. The buffer is owned here: what decode
 * returns is valid until the next decode, and every caller (ZipArchive.readAtOnce) hands it on only to
 * code that reads it at once and keeps nothing.
 */
class TransientInflater {
  private output = Buffer.allocUnsafeSlow(64 * 1024);
  private failure: Error | undefined;

  private constructor(
    private readonly stream: InflateRaw,
    private readonly handle: NativeInflate,
    /** zlib's [avail_out, avail_in] after each write. */
    private readonly state: Uint32Array,
  ) {
    handle.onerror = (message, errno, code) => {
      this.failure = Object.assign(new Error(message), { errno, code });
    };
  }

  static make(): TransientInflater | undefined {
    const stream = createInflateRaw();
    const internals = stream as unknown as { _handle?: Partial<NativeInflate>; _writeState?: unknown };
    const handle = internals._handle;
    const state = internals._writeState;
    if (
      typeof handle?.writeSync !== 'function' ||
      typeof handle.reset !== 'function' ||
      !(state instanceof Uint32Array) ||
      state.length !== 2
    ) {
      stream.close();
      return undefined;
    }
    return new TransientInflater(stream, handle as NativeInflate, state);
  }

  /** inflateRawSync(compressed, { maxOutputLength: size + 1, chunkSize: max(64, size + 1) }), checked as decodeSync. */
  decode(compressed: Buffer, size: number): Buffer {
    const chunk = Math.max(64, size + 1);
    if (this.output.length < chunk)
      this.output = Buffer.allocUnsafeSlow(Math.max(chunk, this.output.length * 2));
    const out = this.output;
    this.handle.reset();
    this.failure = undefined;
    let inOffset = 0;
    let inLength = compressed.length;
    let produced = 0;
    for (;;) {
      this.handle.writeSync(constants.Z_FINISH, compressed, inOffset, inLength, out, 0, chunk);
      if (this.failure) {
        // Node gives up on a stream after an error; so does this.
        const failure = this.failure;
        this.retire();
        throw failure;
      }
      const [outLeft, inLeft] = this.state as unknown as [number, number];
      produced += chunk - outLeft;
      // inflateRawSync's maxOutputLength check, then decodeSync's length checks.
      if (produced > size + 1) throw tooMany(size, size + 1);
      if (outLeft !== 0) break;
      // The output filled: inflateRawSync goes on into a new chunk. The entry is too long already
      // (chunk > size), so what comes next only decides the message, never bytes anyone sees.
      inOffset += inLength - inLeft;
      inLength = inLeft;
    }
    if (produced > size) throw tooMany(size, produced);
    if (produced < size) throw notEnough(size, produced);
    return out.subarray(0, size);
  }

  private retire(): void {
    if (transient === this) transient = undefined;
    this.stream.close();
  }
}

let transient: TransientInflater | null | undefined;

function transientInflater(): TransientInflater | undefined {
  if (transient === undefined) transient = TransientInflater.make() ?? null;
  return transient ?? undefined;
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
