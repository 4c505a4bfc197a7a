/**
 * Memory that whole files are read into, given back when the job that read a file is done with it and
 * handed to the next file. A fresh buffer per file costs its size in page faults (the kernel zeroes every
 * page on first touch) and garbage collection later; on 80 JARs of ~470 KB that was most of the scan's
 * system time.
 *
 * The rule that makes this safe: nothing may keep a view of a leased buffer after it is released. The
 * holder (fs.ts, heldZip) releases it at the end of the job that read the file, and hands on only what was
 * derived from the bytes as copies (digests, parsed structures, entries read with ZipArchive.read, which
 * returns fresh arrays). test/sources/fs-read-buffers.test.ts scans, overwrites every spare buffer, and
 * checks that no result changed.
 */

/** Files larger than this get a buffer of their own, never kept: a spare that size would sit idle. */
const POOLED_MAX_BYTES = 16 * 1024 * 1024;
/**
 * Spare memory kept: files are read several at a time (the engine's concurrency, 8 by default), each
 * leasing a buffer, and give them back in bursts; keeping fewer than that many made new ones each burst.
 */
const SPARE_BYTES_KEPT = 32 * 1024 * 1024;
/** New buffers are at least this large, so that a tree of small files settles on one or two. */
const MIN_BUFFER_BYTES = 1024 * 1024;

const spares: ArrayBuffer[] = [];
const leased = new WeakMap<Uint8Array, ArrayBuffer>();

/**
 * A view of exactly `size` bytes over pooled memory (contents undefined: the caller fills it), valid until
 * it is given to releaseReadBuffer. Each lease is a new view object, so caches keyed by the array
 * (the ZIP reader's structure cache) never mistake one file for another.
 */
export function leaseReadBuffer(size: number): Uint8Array {
  if (size > POOLED_MAX_BYTES) return new Uint8Array(size);
  let best = -1;
  for (let i = 0; i < spares.length; i++) {
    const length = spares[i]!.byteLength;
    if (length >= size && (best === -1 || length < spares[best]!.byteLength)) best = i;
  }
  const memory =
    best === -1 ? new ArrayBuffer(Math.max(MIN_BUFFER_BYTES, roundUp(size))) : spares.splice(best, 1)[0]!;
  const view = new Uint8Array(memory, 0, size);
  leased.set(view, memory);
  return view;
}

/** Gives a leased buffer back; the caller and everything it handed the view to must be done with it. */
export function releaseReadBuffer(view: Uint8Array): void {
  const memory = leased.get(view);
  if (!memory) return;
  leased.delete(view);
  spares.push(memory);
  let kept = spares.reduce((sum, s) => sum + s.byteLength, 0);
  // Over the cap, the smallest go first: a smaller file fits in a larger buffer, not the other way.
  while (kept > SPARE_BYTES_KEPT) {
    const smallest = spares.reduce((m, s, i) => (s.byteLength < spares[m]!.byteLength ? i : m), 0);
    kept -= spares.splice(smallest, 1)[0]!.byteLength;
  }
}

/**
 * For tests only: fills every spare buffer with `value`, as the next files read into them would, and
 * returns how many bytes that was. A result that still holds a view of a file's bytes changes.
 */
export function overwriteSpareReadBuffers(value: number): number {
  let bytes = 0;
  for (const memory of spares) {
    new Uint8Array(memory).fill(value);
    bytes += memory.byteLength;
  }
  return bytes;
}

function roundUp(size: number): number {
  const unit = 64 * 1024;
  return Math.ceil(size / unit) * unit;
}
