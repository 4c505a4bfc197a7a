import { createHash } from 'node:crypto';

import type { ZipSections } from './signing-block.js';

/** 1 MiB: the chunk size of the v2/v3 content digests. */
export const CHUNK_SIZE = 1024 * 1024;

export type ContentDigestAlgorithm = 'CHUNKED_SHA256' | 'CHUNKED_SHA512';

const NODE_HASH: Record<ContentDigestAlgorithm, string> = {
  CHUNKED_SHA256: 'sha256',
  CHUNKED_SHA512: 'sha512',
};

/**
 * The v2/v3 content digest: the file minus the signing block, read as three sections (the entries up to
 * the block, the central directory, and the end record with its central-directory offset replaced by the
 * block's offset, so the digest does not depend on the block). Each section is cut into 1 MiB chunks;
 * each chunk is hashed as 0xa5 || uint32le(length) || bytes, and the result as
 * 0x5a || uint32le(chunk count) || chunk digests.
 */
export function contentDigest(
  bytes: Uint8Array,
  sections: ZipSections,
  blockOffset: number,
  algorithm: ContentDigestAlgorithm,
): Uint8Array {
  const eocd = Buffer.from(bytes.subarray(sections.eocdOffset));
  eocd.writeUInt32LE(blockOffset, 16);
  const parts = [
    bytes.subarray(0, blockOffset),
    bytes.subarray(sections.centralDirectoryOffset, sections.eocdOffset),
    eocd,
  ];
  const name = NODE_HASH[algorithm];
  let chunks = 0;
  for (const part of parts) chunks += Math.ceil(part.byteLength / CHUNK_SIZE);
  const top = createHash(name);
  const header = Buffer.alloc(5);
  header[0] = 0x5a;
  header.writeUInt32LE(chunks, 1);
  top.update(header);
  const chunkHeader = Buffer.alloc(5);
  chunkHeader[0] = 0xa5;
  for (const part of parts) {
    for (let p = 0; p < part.byteLength; p += CHUNK_SIZE) {
      const chunk = part.subarray(p, Math.min(p + CHUNK_SIZE, part.byteLength));
      chunkHeader.writeUInt32LE(chunk.byteLength, 1);
      top.update(createHash(name).update(chunkHeader).update(chunk).digest());
    }
  }
  return new Uint8Array(top.digest());
}
