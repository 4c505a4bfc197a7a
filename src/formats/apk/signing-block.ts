import { SigscanError } from '../../errors.js';

/**
 * The APK Signing Block (APK Signature Scheme v2, source.android.com/docs/security/features/apksigning/v2):
 * an id-value store written between the last ZIP entry and the central directory. Hand-parsed because no
 * JavaScript library reads it; layout and checks follow AOSP apksig's ApkSigningBlockUtils and ZipUtils.
 *
 *   uint64 size (of what follows)   pairs: uint64 length, uint32 id, value   uint64 size   "APK Sig Block 42"
 */

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
const LOCAL_HEADER_SIG = 0x04034b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const MAX_COMMENT = 0xffff;
const MAGIC = Buffer.from('APK Sig Block 42', 'latin1');
/** uint64 size + 16-byte magic. */
const FOOTER_SIZE = 24;
/** The smallest block: both size fields and the magic, no pairs. */
const MIN_BLOCK_SIZE = 32;

export const APK_SIGNATURE_SCHEME_V2_BLOCK_ID = 0x7109871a;
export const APK_SIGNATURE_SCHEME_V3_BLOCK_ID = 0xf05368c0;
export const APK_SIGNATURE_SCHEME_V31_BLOCK_ID = 0x1b93ad61;

/** Where the ZIP parts the content digests cover lie. */
export interface ZipSections {
  centralDirectoryOffset: number;
  centralDirectorySize: number;
  eocdOffset: number;
}

export interface SigningBlockPair {
  id: number;
  value: Uint8Array;
}

export interface SigningBlock {
  /** First byte of the block (its leading size field): where the signed "entries" section ends. */
  offset: number;
  pairs: SigningBlockPair[];
}

function malformed(message: string): SigscanError {
  return new SigscanError('MALFORMED_APK', message);
}

/**
 * The end record and the central directory it names. The APK verifiers take the offset field, as here;
 * zip/structure.ts reports an archive where the JDK would read another directory. ZIP64 APKs are refused
 * by apksig and by the platform, so they are refused here.
 */
export function findZipSections(bytes: Uint8Array): ZipSections {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lowest = Math.max(0, buf.length - EOCD_SIZE - MAX_COMMENT);
  let eocd = -1;
  for (let i = buf.length - EOCD_SIZE; i >= lowest; i--) {
    if (buf.readUInt32LE(i) !== EOCD_SIG) continue;
    if (i + EOCD_SIZE + buf.readUInt16LE(i + 20) === buf.length) eocd = i;
    break;
  }
  if (eocd < 0) throw malformed('no ZIP end-of-central-directory record');
  if (eocd >= ZIP64_LOCATOR_SIZE && buf.readUInt32LE(eocd - ZIP64_LOCATOR_SIZE) === ZIP64_LOCATOR_SIG) {
    throw malformed('ZIP64 archive: APK signature schemes do not support ZIP64');
  }
  const centralDirectorySize = buf.readUInt32LE(eocd + 12);
  const centralDirectoryOffset = buf.readUInt32LE(eocd + 16);
  if (centralDirectoryOffset + centralDirectorySize !== eocd) {
    throw malformed(
      `the central directory (offset ${centralDirectoryOffset}, ${centralDirectorySize} bytes) is not ` +
        `immediately followed by the end record at ${eocd}`,
    );
  }
  return { centralDirectoryOffset, centralDirectorySize, eocdOffset: eocd };
}

/** True when the bytes just before `centralDirectoryOffset` end with the signing block's magic. */
export function hasSigningBlockFooter(bytes: Uint8Array, centralDirectoryOffset: number): boolean {
  if (centralDirectoryOffset < MIN_BLOCK_SIZE || centralDirectoryOffset > bytes.byteLength) return false;
  const magic = bytes.subarray(centralDirectoryOffset - MAGIC.length, centralDirectoryOffset);
  return Buffer.compare(magic, MAGIC) === 0;
}

/**
 * The signing block ending at the central directory, or undefined when there is none (no magic). A
 * block whose two size fields disagree, or whose pairs do not fill it exactly, is malformed: the
 * platform refuses such an APK, and two readers could split the pairs differently.
 */
export function readSigningBlock(bytes: Uint8Array, sections: ZipSections): SigningBlock | undefined {
  const cd = sections.centralDirectoryOffset;
  if (!hasSigningBlockFooter(bytes, cd)) return undefined;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeInFooter = buf.readBigUInt64LE(cd - FOOTER_SIZE);
  if (sizeInFooter < BigInt(FOOTER_SIZE) || sizeInFooter > BigInt(cd - 8)) {
    throw malformed(
      `APK Signing Block size ${sizeInFooter} does not fit before the central directory at ${cd}`,
    );
  }
  const offset = cd - Number(sizeInFooter) - 8;
  const sizeInHeader = buf.readBigUInt64LE(offset);
  if (sizeInHeader !== sizeInFooter) {
    throw malformed(
      `APK Signing Block sizes disagree: ${sizeInHeader} at its start, ${sizeInFooter} at its end`,
    );
  }
  const pairs: SigningBlockPair[] = [];
  const end = cd - FOOTER_SIZE;
  let p = offset + 8;
  while (p < end) {
    if (end - p < 8) throw malformed(`APK Signing Block pair at ${p}: truncated length`);
    const length = buf.readBigUInt64LE(p);
    if (length < 4n || length > BigInt(end - p - 8)) {
      throw malformed(`APK Signing Block pair at ${p}: length ${length} out of range`);
    }
    const id = buf.readUInt32LE(p + 8);
    const valueEnd = p + 8 + Number(length);
    pairs.push({ id, value: bytes.subarray(p + 12, valueEnd) });
    p = valueEnd;
  }
  return { offset, pairs };
}

/**
 * Start of a well-formed signing block ending exactly at `centralDirectoryOffset`, for the ZIP layout
 * check (its bytes belong to no entry but are no gap); undefined when there is none or it is malformed.
 */
export function signingBlockStart(bytes: Uint8Array, centralDirectoryOffset: number): number | undefined {
  try {
    const block = readSigningBlock(bytes, {
      centralDirectoryOffset,
      centralDirectorySize: 0,
      eocdOffset: centralDirectoryOffset,
    });
    // A leading size field that reads as a local header signature would make a streaming ZIP reader
    // parse the block as an entry: such a block is left to be reported as a gap.
    if (
      block &&
      Buffer.from(bytes.buffer, bytes.byteOffset + block.offset, 4).readUInt32LE(0) === LOCAL_HEADER_SIG
    ) {
      return undefined;
    }
    return block?.offset;
  } catch {
    return undefined;
  }
}

/** Whether the ZIP's end record is preceded by an APK Signing Block (for format detection). */
export function hasApkSigningBlock(bytes: Uint8Array): boolean {
  try {
    return readSigningBlock(bytes, findZipSections(bytes)) !== undefined;
  } catch {
    return false;
  }
}
