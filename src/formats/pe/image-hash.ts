import { createHash, type Hash } from 'node:crypto';

import { SigscanError } from '../../errors.js';
import type { PeLayout } from './pe-file.js';

/** Digest names as `oidName` prints them, mapped to node:crypto's names. */
const NODE_HASH_NAMES: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

export function isSupportedImageHashAlgorithm(algorithm: string): boolean {
  return algorithm in NODE_HASH_NAMES;
}

/**
 * A node:crypto hash for an Authenticode digest algorithm name; every SIP (PE, MSI, CAB, script) hashes
 * with the algorithm of its SpcIndirectDataContent.
 */
export function sipHash(algorithm: string): Hash {
  const nodeName = NODE_HASH_NAMES[algorithm];
  if (!nodeName) throw new SigscanError('UNSUPPORTED', `hash algorithm ${algorithm} is not supported`);
  return createHash(nodeName);
}

/**
 * The byte ranges `[start, end)` of the Authenticode image hash (formats.md §7.2), in file order:
 * everything except the CheckSum field, the Certificate Table directory entry and the table itself.
 * Bytes after the table are included (as signify does); osslsigncode stops at the table, which gives
 * the same result whenever the table ends the file, and data after it is flagged separately.
 */
export function imageHashRanges(layout: PeLayout): Array<[number, number]> {
  const { checksumOffset, certificateDirectoryOffset, certificateTable, fileSize } = layout;
  const ranges: Array<[number, number]> = [
    [0, checksumOffset],
    [checksumOffset + 4, certificateDirectoryOffset],
  ];
  if (certificateTable.size === 0) {
    ranges.push([certificateDirectoryOffset + 8, fileSize]);
  } else {
    ranges.push([certificateDirectoryOffset + 8, certificateTable.offset]);
    ranges.push([certificateTable.offset + certificateTable.size, fileSize]);
  }
  return ranges.filter(([start, end]) => end > start);
}

/**
 * Computes the Authenticode image hash. For an unsigned file whose length is not a multiple of 8 the
 * input is padded with zeros to the next multiple of 8, because signing tools pad the file that way
 * before appending the table; the hash of the unsigned file then equals the one a signer will embed.
 */
export function computeImageHash(bytes: Uint8Array, layout: PeLayout, algorithm: string): Uint8Array {
  const nodeName = NODE_HASH_NAMES[algorithm];
  if (!nodeName) throw new SigscanError('UNSUPPORTED', `image hash algorithm ${algorithm} is not supported`);
  const hash = createHash(nodeName);
  for (const [start, end] of imageHashRanges(layout)) hash.update(bytes.subarray(start, end));
  if (layout.certificateTable.size === 0 && layout.fileSize % 8 !== 0) {
    hash.update(new Uint8Array(8 - (layout.fileSize % 8)));
  }
  return new Uint8Array(hash.digest());
}

/**
 * The image hash of a file too large to hold, fed chunk by chunk in file order during the one pass that
 * also hashes the whole file: each chunk is cut to the ranges of `imageHashRanges`. Gives the same
 * digests as `computeImageHash` over the same bytes, for every algorithm asked at once.
 */
export class ImageHasher {
  private readonly ranges: Array<[number, number]>;
  private readonly hashes = new Map<string, Hash>();
  private next = 0;

  constructor(
    private readonly layout: PeLayout,
    algorithms: Iterable<string>,
  ) {
    this.ranges = imageHashRanges(layout);
    for (const algorithm of algorithms) {
      const nodeName = NODE_HASH_NAMES[algorithm];
      if (nodeName && !this.hashes.has(algorithm)) this.hashes.set(algorithm, createHash(nodeName));
    }
  }

  /** `chunk` holds the file's bytes from `position`; chunks must come in order, without gaps. */
  update(chunk: Uint8Array, position: number): void {
    if (position !== this.next) {
      throw new SigscanError('INTERNAL', `image hash fed at ${position}, expected ${this.next}`);
    }
    this.next = position + chunk.length;
    if (this.hashes.size === 0) return;
    for (const [start, end] of this.ranges) {
      const from = Math.max(start, position);
      const to = Math.min(end, this.next);
      if (to <= from) continue;
      const piece = chunk.subarray(from - position, to - position);
      for (const hash of this.hashes.values()) hash.update(piece);
    }
  }

  /** Digests by algorithm name; only those `isSupportedImageHashAlgorithm` accepts are present. */
  digests(): Map<string, Uint8Array> {
    if (this.next !== this.layout.fileSize) {
      throw new SigscanError('INTERNAL', `image hash fed ${this.next} of ${this.layout.fileSize} bytes`);
    }
    const out = new Map<string, Uint8Array>();
    const padding =
      this.layout.certificateTable.size === 0 && this.layout.fileSize % 8 !== 0
        ? new Uint8Array(8 - (this.layout.fileSize % 8))
        : undefined;
    for (const [algorithm, hash] of this.hashes) {
      if (padding) hash.update(padding);
      out.set(algorithm, new Uint8Array(hash.digest()));
    }
    return out;
  }
}
