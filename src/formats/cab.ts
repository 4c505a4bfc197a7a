import { SigscanError } from '../errors.js';
import { CMS_READ } from './cms.js';
import { readElement } from './der-reader.js';
import { sipHash } from './pe/image-hash.js';

/**
 * Authenticode in cabinet files (formats.md §7.8): the PKCS #7 sits after the cabinet, located by the
 * CFHEADER reserve area (cbCFHeader = 20, abReserve = 00 00 10 00, offset, size). The hash rules are
 * osslsigncode's cab.c (mtrojnar/osslsigncode @ edad27d59b17, cab_ctx_get / cab_digest_calc): the header
 * without reserved1, iCabinet and most of the reserve, the optional previous/next cabinet names, the
 * CFFOLDER records, then everything up to the signature. Hand-written: the header is a few fixed fields.
 */

const FLAG_PREV_CABINET = 0x0001;
const FLAG_NEXT_CABINET = 0x0002;
const FLAG_RESERVE_PRESENT = 0x0004;
const SIGNATURE_RESERVE_MAGIC = 0x00100000;

export type CabProblemCode = 'CAB_DATA_AFTER_SIGNATURE' | 'CAB_SIZE_AMBIGUOUS';

export interface CabSignature {
  /** The PKCS #7 ContentInfo (padding stripped); undefined for an unsigned cabinet. */
  signatureDer?: Uint8Array;
  /** File offset of the signature. */
  signatureOffset?: number;
  problems: Array<{ code: CabProblemCode; message: string }>;
  /** The cabinet SIP hash with this algorithm. */
  hash(algorithm: string): Uint8Array;
}

function fail(why: string): never {
  throw new SigscanError('MALFORMED_CAB', `cabinet: ${why}`);
}

export function looksLikeCab(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x53 && bytes[2] === 0x43 && bytes[3] === 0x46;
}

export function readCabSignature(bytes: Uint8Array): CabSignature {
  if (!looksLikeCab(bytes) || bytes.length < 36) fail('no MSCF header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  if (u32(4) !== 0) fail('reserved1 is not zero');
  const flags = u16(30);
  if (flags & FLAG_PREV_CABINET) {
    throw new SigscanError(
      'UNSUPPORTED',
      'a continuation cabinet of a multi-volume set: not verifiable alone',
    );
  }
  const unsigned: CabSignature = { problems: [], hash: () => fail('the cabinet is not signed') };
  if (!(flags & FLAG_RESERVE_PRESENT)) return unsigned;
  if (bytes.length < 60) fail('the reserve area runs past the end of the file');
  // cbCFHeader (u16) 20, cbCFFolder (u8) 0, cbCFData (u8) 0: the only reserve layout signers write.
  if (u32(36) !== 20 || u32(40) !== SIGNATURE_RESERVE_MAGIC) {
    throw new SigscanError('UNSUPPORTED', 'the cabinet reserve area is not an Authenticode signature header');
  }
  const offset = u32(44);
  const length = u32(48);
  if (offset === 0 && length === 0) return unsigned;
  if (offset === 0 || length === 0 || offset < 60 || offset + length > bytes.length) {
    fail(`signature at ${offset} (+${length}) is outside the file`);
  }

  const problems: CabSignature['problems'] = [];
  if (offset + length !== bytes.length) {
    problems.push({
      code: 'CAB_DATA_AFTER_SIGNATURE',
      message: `${bytes.length - offset - length} bytes follow the signature: no signature covers them`,
    });
  }
  if (u32(8) !== offset) {
    // Extractors read cbCabinet bytes; the signature area (whose unsigned attributes anyone can fill) must
    // not be part of what they read, nor may signed bytes lie outside it.
    problems.push({
      code: 'CAB_SIZE_AMBIGUOUS',
      message: `cbCabinet says ${u32(8)} bytes but the signature starts at ${offset}`,
    });
  }
  const region = bytes.subarray(offset, offset + length);
  let derEnd: number;
  try {
    derEnd = readElement(region, CMS_READ).end;
  } catch (cause) {
    throw new SigscanError('MALFORMED_CMS', `cabinet signature: ${(cause as Error).message}`, { cause });
  }
  // Signers pad the DER to a multiple of 8 with zeros; anything else in the region is covered by nothing.
  const padding = region.subarray(derEnd);
  if (padding.length > 7 || padding.some((b) => b !== 0)) {
    problems.push({
      code: 'CAB_DATA_AFTER_SIGNATURE',
      message: `${padding.length} bytes after the PKCS #7 inside the signature area are not zero padding`,
    });
  }

  const pieces: Array<[number, number]> = [
    [0, 4], // signature
    [8, 16], // cbCabinet, reserved2
    [16, 20], // coffFiles
    [20, 26], // reserved3, versionMinor, versionMajor
    [26, 34], // cFolders, cFiles, flags, setID
    [56, 60], // the last 4 bytes of abReserve
  ];
  let idx = 60;
  const cString = (): void => {
    const start = idx;
    while (idx < offset && bytes[idx] !== 0) idx++;
    idx = Math.min(idx + 1, offset);
    pieces.push([start, idx]);
  };
  if (flags & FLAG_NEXT_CABINET) {
    cString(); // szCabinetNext
    cString(); // szDiskNext
  }
  const folders = u16(26);
  for (let i = 0; i < folders; i++) {
    if (idx + 8 > offset) fail('CFFOLDER records run into the signature');
    pieces.push([idx, idx + 8]);
    idx += 8;
  }
  if (idx !== u32(16)) fail(`coffFiles is ${u32(16)}, but the folders end at ${idx}`);
  pieces.push([idx, offset]);

  return {
    signatureDer: region.subarray(0, derEnd),
    signatureOffset: offset,
    problems,
    hash(algorithm: string): Uint8Array {
      const h = sipHash(algorithm);
      for (const [start, end] of pieces) h.update(bytes.subarray(start, end));
      return new Uint8Array(h.digest());
    },
  };
}
