import { SigscanError } from '../errors.js';
import { CMS_READ } from './cms.js';
import { readElement } from './der-reader.js';
import { sipHash } from './pe/image-hash.js';
import { openZip, type ZipArchive, type ZipEntry, type ZipLimits } from './zip/index.js';
import { readBlockMap, type BlockMap } from './appx-block-map.js';

/**
 * APPX / MSIX packages and bundles (formats.md §7.8): a ZIP whose `AppxSignature.p7x` holds `PKCX` and a
 * PKCS #7 whose SpcIndirectDataContent digest is not one hash but a blob: `APPX`, then tagged hashes of the
 * ZIP's local records (AXPC), its central directory and end record (AXCD), `[Content_Types].xml` (AXCT),
 * `AppxBlockMap.xml` (AXBM) and, when present, `AppxMetadata/CodeIntegrity.cat` (AXCI). The block map in
 * turn hashes every other file in 64 KiB blocks, so the signature reaches every byte.
 *
 * The byte ranges are osslsigncode 2.9's appx.c (mtrojnar/osslsigncode, appx_calc_zip_data_hash,
 * appx_write_central_directory): entries in local-header order, the signature entry left out, and the end
 * record rewritten as if the signature entry did not exist (disk numbers zero, counts, size and offset of
 * the directory without it). osslsigncode re-serialises each record from its parsed fields; we hash the
 * records' own bytes, which is the same thing for every archive whose layout our strict reader accepts
 * (no gaps, no overlaps) and whose central-directory headers carry no extra fields (osslsigncode drops
 * those bytes but keeps their length, so such an archive would differ: it is refused, see below).
 */

export const APPX_SIGNATURE_NAME = 'AppxSignature.p7x';
export const CONTENT_TYPES_NAME = '[Content_Types].xml';
export const BLOCK_MAP_NAME = 'AppxBlockMap.xml';
export const CODE_INTEGRITY_NAME = 'AppxMetadata/CodeIntegrity.cat';
export const BUNDLE_MANIFEST_NAME = 'AppxMetadata/AppxBundleManifest.xml';

/** SpcSipInfo GUIDs as stored (osslsigncode APPX_UUID / APPXBUNDLE_UUID), hex. */
export const APPX_SIP_GUID = '4bdfc50a07cee24db76e23c839a09fd1';
export const APPX_BUNDLE_SIP_GUID = 'b3585f0fdeaa9a4ba43495742d92eceb';

export type AppxPart = 'AXPC' | 'AXCD' | 'AXCT' | 'AXBM' | 'AXCI';
const PART_ORDER: readonly AppxPart[] = ['AXPC', 'AXCD', 'AXCT', 'AXBM', 'AXCI'];

export type AppxProblemCode =
  'ZIP_AMBIGUOUS' | 'APPX_BLOCKMAP_MISMATCH' | 'APPX_FILE_NOT_IN_BLOCKMAP' | 'APPX_BLOCKMAP_FILE_MISSING';

export interface AppxProblem {
  code: AppxProblemCode;
  message: string;
}

export interface AppxPackage {
  /** The PKCS #7 ContentInfo after the `PKCX` magic; undefined for an unsigned package. */
  signatureDer?: Uint8Array;
  /** A bundle (AppxBundleManifest.xml present): signed with the bundle SIP GUID. */
  isBundle: boolean;
  /** The digest algorithm the block map names (HashMethod); every part is hashed with it. */
  hashAlgorithm: string;
  /** Our hash of each part present in this package (AXCI only when CodeIntegrity.cat exists). */
  parts: Map<AppxPart, Uint8Array>;
  /** The digest blob a signer writes for this package: `APPX` then each part, tagged, in signer order. */
  blob: Uint8Array;
  /** Ambiguities and block-map disagreements, each a reason the package is not what was signed. */
  problems: AppxProblem[];
  /** Files the block map lists. */
  blockMapFiles: number;
  /** A bundle's packages (`.appx`/`.msix` entries), uncompressed, for their own signatures. */
  packages: Array<{ name: string; bytes: Uint8Array }>;
}

export function malformed(why: string): SigscanError {
  return new SigscanError('MALFORMED_APPX', `APPX package: ${why}`);
}

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const CEN_SIG = 0x02014b50;
const CEN_SIZE = 46;
const BLOCK_SIZE = 64 * 1024;

/** Reads and hashes an APPX package held in memory. Throws MALFORMED_APPX / MALFORMED_ZIP / UNSUPPORTED. */
export async function readAppx(bytes: Uint8Array, limits: ZipLimits): Promise<AppxPackage> {
  const zip = await openZip(bytes, limits);
  try {
    return await readOpened(bytes, zip);
  } finally {
    zip.close();
  }
}

async function readOpened(bytes: Uint8Array, zip: ZipArchive): Promise<AppxPackage> {
  const problems: AppxProblem[] = zipAmbiguities(zip);
  const required = (name: string): ZipEntry => {
    const entry = zip.get(name);
    if (!entry) throw malformed(`${name} is missing`);
    return entry;
  };
  const blockMapBytes = await zip.read(required(BLOCK_MAP_NAME));
  const blockMap = readBlockMap(blockMapBytes);
  const algorithm = blockMap.hashAlgorithm;
  const digest = (data: Uint8Array): Uint8Array => new Uint8Array(sipHash(algorithm).update(data).digest());

  const signatureEntry = zip.get(APPX_SIGNATURE_NAME);
  let signatureDer: Uint8Array | undefined;
  if (signatureEntry) {
    const p7x = await zip.read(signatureEntry);
    if (p7x.length < 4 || Buffer.from(p7x.subarray(0, 4)).toString('latin1') !== 'PKCX') {
      throw malformed(`${APPX_SIGNATURE_NAME} does not start with PKCX`);
    }
    const der = p7x.subarray(4);
    try {
      signatureDer = der.subarray(0, readElement(der, CMS_READ).end);
    } catch (cause) {
      throw new SigscanError('MALFORMED_CMS', `${APPX_SIGNATURE_NAME}: ${(cause as Error).message}`, {
        cause,
      });
    }
  }

  const layout = zipLayout(bytes);
  const parts = new Map<AppxPart, Uint8Array>();
  parts.set('AXPC', digestRecords(algorithm, bytes, layout));
  parts.set('AXCD', digestDirectory(algorithm, bytes, layout));
  parts.set('AXCT', digest(await zip.read(required(CONTENT_TYPES_NAME))));
  parts.set('AXBM', digest(blockMapBytes));
  const codeIntegrity = zip.get(CODE_INTEGRITY_NAME);
  if (codeIntegrity) parts.set('AXCI', digest(await zip.read(codeIntegrity)));

  problems.push(...(await blockMapProblems(zip, blockMap)));
  const isBundle = zip.get(BUNDLE_MANIFEST_NAME) !== undefined;
  const packages: AppxPackage['packages'] = [];
  if (isBundle) {
    for (const entry of zip.entries) {
      if (/\.(?:appx|msix)$/i.test(entry.name))
        packages.push({ name: entry.name, bytes: await zip.read(entry) });
    }
  }

  const blob: number[] = [...Buffer.from('APPX', 'latin1')];
  for (const part of PART_ORDER) {
    const value = parts.get(part);
    if (value) blob.push(...Buffer.from(part, 'latin1'), ...value);
  }
  return {
    ...(signatureDer ? { signatureDer } : {}),
    isBundle,
    hashAlgorithm: algorithm,
    parts,
    blob: new Uint8Array(blob),
    problems,
    blockMapFiles: blockMap.files.size,
    packages,
  };
}

/**
 * The signed digest blob split into its tagged hashes (osslsigncode appx_extract_hashes): `APPX`, then
 * tag + hash records of the algorithm's length. Undefined when it is not such a blob.
 */
export function splitAppxDigest(blob: Uint8Array, hashLength: number): Map<string, Uint8Array> | undefined {
  if (blob.length < 4 || Buffer.from(blob.subarray(0, 4)).toString('latin1') !== 'APPX') return undefined;
  const out = new Map<string, Uint8Array>();
  let pos = 4;
  while (pos < blob.length) {
    if (pos + 4 + hashLength > blob.length) return undefined;
    const tag = Buffer.from(blob.subarray(pos, pos + 4)).toString('latin1');
    // A repeated tag: two readers could take either copy.
    if (out.has(tag)) return undefined;
    out.set(tag, blob.subarray(pos + 4, pos + 4 + hashLength));
    pos += 4 + hashLength;
  }
  return out;
}

/**
 * Where ZIP readers could disagree about this package. Part names are case-insensitive in OPC (the
 * packaging convention APPX follows), so two entries differing only in case are two readings too.
 */
function zipAmbiguities(zip: ZipArchive): AppxProblem[] {
  const out: AppxProblem[] = zip.ambiguities.map((message) => ({ code: 'ZIP_AMBIGUOUS', message }));
  for (const name of zip.duplicateNames) {
    out.push({ code: 'ZIP_AMBIGUOUS', message: `entry ${name} occurs more than once` });
  }
  for (const name of zip.localHeaderMismatches) {
    out.push({
      code: 'ZIP_AMBIGUOUS',
      message: `the local header of entry ${name} names a different file than the central directory`,
    });
  }
  const seen = new Map<string, string>();
  for (const entry of zip.entries) {
    const folded = entry.name.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined && other !== entry.name) {
      out.push({
        code: 'ZIP_AMBIGUOUS',
        message: `entries ${other} and ${entry.name} differ only in case, and APPX part names do not`,
      });
    }
    seen.set(folded, entry.name);
  }
  return out;
}

interface ZipRecord {
  name: string;
  /** The central-directory header's bytes. */
  header: [number, number];
  /** The local record (header, data, descriptor): from its offset to the next record or the directory. */
  local: [number, number];
}

interface ZipLayout {
  records: ZipRecord[];
  eocd: number;
  /** The signature's record, left out of AXPC and AXCD. */
  signature?: ZipRecord;
}

/**
 * The records by local-header offset. The strict reader has already reported any gap or overlap as
 * ZIP_AMBIGUOUS, so here each record simply runs to the next one.
 */
function zipLayout(bytes: Uint8Array): ZipLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);
  let eocd = -1;
  for (let i = bytes.length - EOCD_SIZE; i >= Math.max(0, bytes.length - EOCD_SIZE - 0xffff); i--) {
    if (u32(i) === EOCD_SIG && i + EOCD_SIZE + u16(i + 20) === bytes.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw malformed('no end-of-central-directory record');
  if (eocd >= 20 && u32(eocd - 20) === ZIP64_LOCATOR_SIG) {
    throw new SigscanError('UNSUPPORTED', 'APPX packages in ZIP64 form are not read yet');
  }
  const cenlen = u32(eocd + 12);
  const cenpos = eocd - cenlen;
  if (cenpos < 0) throw malformed('the central directory runs before the start of the file');
  const records: ZipRecord[] = [];
  const utf8 = new TextDecoder();
  for (let p = cenpos; p < eocd;) {
    if (p + CEN_SIZE > eocd || u32(p) !== CEN_SIG) throw malformed(`no central-directory header at ${p}`);
    const nameLength = u16(p + 28);
    const extraLength = u16(p + 30);
    const end = p + CEN_SIZE + nameLength + extraLength + u16(p + 32);
    const name = utf8.decode(bytes.subarray(p + CEN_SIZE, p + CEN_SIZE + nameLength));
    if (extraLength !== 0) {
      // osslsigncode hashes these headers without their extra bytes but with their length; Windows'
      // packager writes none. Rather than pick one reading, refuse the package.
      throw new SigscanError(
        'UNSUPPORTED',
        `the central-directory header of ${name} has an extra field, which APPX signers hash differently`,
      );
    }
    records.push({ name, header: [p, end], local: [u32(p + 42), 0] });
    p = end;
  }
  const byOffset = [...records].sort((a, b) => a.local[0] - b.local[0]);
  byOffset.forEach((r, i) => (r.local[1] = byOffset[i + 1]?.local[0] ?? cenpos));
  const signature = records.find((r) => r.name === APPX_SIGNATURE_NAME);
  return { records: byOffset, eocd, ...(signature ? { signature } : {}) };
}

/** AXPC: every local record but the signature's, in file order. */
function digestRecords(algorithm: string, bytes: Uint8Array, layout: ZipLayout): Uint8Array {
  const h = sipHash(algorithm);
  for (const r of layout.records) if (r !== layout.signature) h.update(bytes.subarray(...r.local));
  return new Uint8Array(h.digest());
}

/**
 * AXCD: the central-directory headers but the signature's, in local-header order (osslsigncode sorts
 * them so), then the end record as it would read without the signature entry.
 */
function digestDirectory(algorithm: string, bytes: Uint8Array, layout: ZipLayout): Uint8Array {
  const h = sipHash(algorithm);
  let size = 0;
  let count = 0;
  let offset = 0;
  for (const r of layout.records) {
    if (r === layout.signature) continue;
    h.update(bytes.subarray(...r.header));
    size += r.header[1] - r.header[0];
    offset += r.local[1] - r.local[0];
    count++;
  }
  const e = layout.eocd;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = Buffer.alloc(EOCD_SIZE);
  end.writeUInt32LE(EOCD_SIG, 0);
  // Bytes 4..7, the disk numbers, stay zero whatever the file says (osslsigncode: packagers write 0xFFFF
  // there). Counts, size and offset are those without the signature entry, unless the file holds the
  // ZIP64 marker, which is kept.
  end.writeUInt16LE(view.getUint16(e + 8, true) === 0xffff ? 0xffff : count, 8);
  end.writeUInt16LE(view.getUint16(e + 10, true) === 0xffff ? 0xffff : count, 10);
  end.writeUInt32LE(view.getUint32(e + 12, true) === 0xffffffff ? 0xffffffff : size, 12);
  end.writeUInt32LE(view.getUint32(e + 16, true) === 0xffffffff ? 0xffffffff : offset, 16);
  end.writeUInt16LE(view.getUint16(e + 20, true), 20);
  h.update(end);
  h.update(bytes.subarray(e + EOCD_SIZE));
  return new Uint8Array(h.digest());
}

/** The files the package holds, by their block-map name (OPC part name decoded, `\` separators). */
function blockMapName(zipName: string): string {
  let decoded = zipName;
  try {
    decoded = decodeURIComponent(zipName);
  } catch {
    // Not percent-encoded as OPC requires: compared as it stands, so it matches no listed name.
  }
  return decoded.replaceAll('/', '\\');
}

const UNLISTED = new Set([APPX_SIGNATURE_NAME, CONTENT_TYPES_NAME, BLOCK_MAP_NAME]);

/**
 * Every file but the signature, content types and block map must be listed with its size and block
 * hashes, and every listed file must be there: what the Windows installer enforces when it streams a
 * package, and what carries the signature from AXBM to each file's bytes.
 */
async function blockMapProblems(zip: ZipArchive, blockMap: BlockMap): Promise<AppxProblem[]> {
  const problems: AppxProblem[] = [];
  const present = new Set<string>();
  for (const entry of zip.entries) {
    if (UNLISTED.has(entry.name)) continue;
    const name = blockMapName(entry.name);
    if (present.has(name)) {
      // `a b.txt` and `a%20b.txt` are one part to OPC: which entry the installer reads is anyone's guess.
      problems.push({
        code: 'ZIP_AMBIGUOUS',
        message: `two entries are the package file ${name} once their names are decoded`,
      });
      continue;
    }
    present.add(name);
    const listed = blockMap.files.get(name);
    if (!listed) {
      problems.push({
        code: 'APPX_FILE_NOT_IN_BLOCKMAP',
        message: `${entry.name} is in the package but not in ${BLOCK_MAP_NAME}: no signature covers it`,
      });
      continue;
    }
    if (listed.size !== entry.uncompressedSize) {
      problems.push({
        code: 'APPX_BLOCKMAP_MISMATCH',
        message: `${entry.name} is ${entry.uncompressedSize} bytes but ${BLOCK_MAP_NAME} says ${listed.size}`,
      });
      continue;
    }
    const data = await zip.read(entry);
    const expected = Math.ceil(data.length / BLOCK_SIZE);
    if (listed.blocks.length !== expected) {
      problems.push({
        code: 'APPX_BLOCKMAP_MISMATCH',
        message: `${entry.name} has ${expected} blocks of 64 KiB but ${BLOCK_MAP_NAME} lists ${listed.blocks.length}`,
      });
      continue;
    }
    for (let i = 0; i < expected; i++) {
      const block = data.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE);
      const ours = Buffer.from(sipHash(blockMap.hashAlgorithm).update(block).digest());
      if (!ours.equals(Buffer.from(listed.blocks[i]!))) {
        problems.push({
          code: 'APPX_BLOCKMAP_MISMATCH',
          message: `block ${i} of ${entry.name} does not match its hash in ${BLOCK_MAP_NAME}: the file was modified after signing`,
        });
        break;
      }
    }
  }
  for (const name of blockMap.files.keys()) {
    if (!present.has(name)) {
      problems.push({
        code: 'APPX_BLOCKMAP_FILE_MISSING',
        message: `${BLOCK_MAP_NAME} lists ${name}, which the package does not hold`,
      });
    }
  }
  return problems;
}
