import { SigscanError } from '../errors.js';
import { CFB_TYPE, readCompoundFile, type CfbEntry, type CompoundFile } from './cfb.js';
import { sipHash } from './pe/image-hash.js';

/**
 * Authenticode in MSI packages (formats.md §7.8): the PKCS #7 in the root stream `\u0005DigitalSignature`
 * and the optional `\u0005MsiDigitalSignatureEx` (a hash of the stream and storage metadata that the signed
 * hash then starts with). The hash rules are osslsigncode's msi.c (mtrojnar/osslsigncode @ edad27d59b17,
 * msi_hash_dir / msi_prehash_dir / dirent_cmp_hash), the open reference for Windows' MSI SIP.
 */

export const MSI_SIP_GUID = 'f1100c0000000000c000000000000046';

const DIGEST_BY_LENGTH: Record<number, string> = { 20: 'SHA-1', 32: 'SHA-256', 48: 'SHA-384', 64: 'SHA-512' };

const DIGITAL_SIGNATURE = '\u0005DigitalSignature';
const DIGITAL_SIGNATURE_EX = '\u0005MsiDigitalSignatureEx';

export type MsiProblemCode =
  | 'MSI_DUPLICATE_NAME'
  | 'MSI_STREAM_NAME_AMBIGUOUS'
  | 'MSI_SIGNATURE_STREAM_OUTSIDE_ROOT'
  | 'MSI_DSE_MISMATCH';

export interface MsiProblem {
  code: MsiProblemCode;
  message: string;
}

export interface MsiSignature {
  file: CompoundFile;
  /** The PKCS #7 of `\u0005DigitalSignature`; undefined for an unsigned package. */
  signatureDer?: Uint8Array;
  /** The stored MsiDigitalSignatureEx, when present. */
  digitalSignatureEx?: Uint8Array;
  /** Streams whose content the hash covers. */
  streamsHashed: number;
  /** Where our reading and another reader's could differ; each refuses the signature. */
  problems: MsiProblem[];
  /** The MSI SIP hash with this algorithm (the MsiDigitalSignatureEx pre-hash first, when present). */
  hash(algorithm: string): Uint8Array;
}

/** Reads the signature streams of an MSI package and prepares its SIP hash. Throws MALFORMED_MSI. */
export function readMsiSignature(bytes: Uint8Array): MsiSignature {
  const file = readCompoundFile(bytes);
  const problems: MsiProblem[] = [];
  checkNames(file.root, true, problems);

  const rootStream = (name: string) =>
    file.root.children.find((c) => c.type === CFB_TYPE.stream && c.name === name);
  const ds = rootStream(DIGITAL_SIGNATURE);
  const dse = rootStream(DIGITAL_SIGNATURE_EX);
  const signatureDer = ds ? file.read(ds) : undefined;
  if (ds && signatureDer!.length === 0) {
    throw new SigscanError('MALFORMED_MSI', 'the DigitalSignature stream is empty');
  }
  const digitalSignatureEx = dse ? file.read(dse) : undefined;

  let streamsHashed = 0;
  const countStreams = (dir: CfbEntry, isRoot: boolean): void => {
    for (const child of dir.children) {
      if (skipped(child, isRoot)) continue;
      if (child.type === CFB_TYPE.stream && child.size > 0) streamsHashed++;
      if (child.type === CFB_TYPE.storage) countStreams(child, false);
    }
  };
  countStreams(file.root, true);

  const prehash = (algorithm: string): Uint8Array => {
    const pre = sipHash(algorithm);
    prehashDir(file.root, (b) => pre.update(b), true);
    return new Uint8Array(pre.digest());
  };
  if (digitalSignatureEx) {
    // osslsigncode checks only the stored value's length and hashes its own pre-hash; a stored value that
    // differs is one reader's metadata against another's. Its length names the algorithm.
    const algorithm = DIGEST_BY_LENGTH[digitalSignatureEx.length];
    if (!algorithm || !Buffer.from(prehash(algorithm)).equals(Buffer.from(digitalSignatureEx))) {
      problems.push({
        code: 'MSI_DSE_MISMATCH',
        message: "the stored MsiDigitalSignatureEx is not the pre-hash of the package's metadata",
      });
    }
  }

  const hash = (algorithm: string): Uint8Array => {
    const h = sipHash(algorithm);
    if (digitalSignatureEx) h.update(prehash(algorithm));
    hashDir(file, file.root, (b) => h.update(b), true);
    return new Uint8Array(h.digest());
  };

  return { file, signatureDer, digitalSignatureEx, streamsHashed, problems, hash };
}

/**
 * osslsigncode's skip rule, precedence included: `is_root && DigitalSignature || MsiDigitalSignatureEx`
 * skips a DigitalSignature at the root only, an MsiDigitalSignatureEx at any depth. Names compare over the
 * shorter stored length, terminator included (so only exact names match, barring an embedded NUL, which
 * checkNames refuses).
 */
function skipped(entry: CfbEntry, isRoot: boolean): boolean {
  return (isRoot && entry.name === DIGITAL_SIGNATURE) || entry.name === DIGITAL_SIGNATURE_EX;
}

/** dirent_cmp_hash: memcmp of the stored names over the shorter length; on a tie the longer one first. */
function compareForHash(a: CfbEntry, b: CfbEntry): number {
  const n = Math.min(a.rawName.length, b.rawName.length);
  for (let i = 0; i < n; i++) {
    if (a.rawName[i] !== b.rawName[i]) return a.rawName[i]! - b.rawName[i]!;
  }
  return b.rawName.length - a.rawName.length;
}

function sortedChildren(dir: CfbEntry): CfbEntry[] {
  return [...dir.children].sort(compareForHash);
}

function hashDir(file: CompoundFile, dir: CfbEntry, update: (b: Uint8Array) => void, isRoot: boolean): void {
  for (const child of sortedChildren(dir)) {
    if (skipped(child, isRoot)) continue;
    if (child.type === CFB_TYPE.stream) {
      if (child.size > 0) update(file.read(child));
    } else if (child.type === CFB_TYPE.storage) {
      hashDir(file, child, update, false);
    }
  }
  update(dir.clsid);
}

function prehashMetadata(entry: CfbEntry, update: (b: Uint8Array) => void): void {
  if (entry.type !== CFB_TYPE.root) update(entry.rawName.subarray(0, entry.rawName.length - 2));
  if (entry.type !== CFB_TYPE.stream) {
    update(entry.clsid);
  } else {
    const size = new Uint8Array(4);
    new DataView(size.buffer).setUint32(0, entry.size, true);
    update(size);
  }
  update(entry.stateBits);
  if (entry.type !== CFB_TYPE.root) {
    update(entry.creationTime);
    update(entry.modifiedTime);
  }
}

function prehashDir(dir: CfbEntry, update: (b: Uint8Array) => void, isRoot: boolean): void {
  prehashMetadata(dir, update);
  for (const child of sortedChildren(dir)) {
    if (skipped(child, isRoot)) continue;
    if (child.type === CFB_TYPE.stream) prehashMetadata(child, update);
    else if (child.type === CFB_TYPE.storage) prehashDir(child, update, false);
  }
}

/**
 * Names two readers could resolve differently: two entries of one storage with the same name (the
 * red-black tree lookup finds one, the hash walk covers both), a name with an embedded NUL (compared to
 * the terminator by osslsigncode), and the signature stream names below the root (osslsigncode leaves an
 * MsiDigitalSignatureEx out of the hash at any depth).
 */
function checkNames(dir: CfbEntry, isRoot: boolean, problems: MsiProblem[]): void {
  const seen = new Set<string>();
  for (const child of dir.children) {
    const key = child.name.toUpperCase();
    if (seen.has(key)) {
      problems.push({
        code: 'MSI_DUPLICATE_NAME',
        message: `a storage holds two entries named ${JSON.stringify(child.name)} (names compare without case)`,
      });
    }
    seen.add(key);
    if (child.name.includes('\u0000')) {
      problems.push({
        code: 'MSI_STREAM_NAME_AMBIGUOUS',
        message: `entry ${child.id} has a NUL inside its name: readers that stop there see another name`,
      });
    }
    if (!isRoot && (child.name === DIGITAL_SIGNATURE || child.name === DIGITAL_SIGNATURE_EX)) {
      problems.push({
        code: 'MSI_SIGNATURE_STREAM_OUTSIDE_ROOT',
        message: `a signature stream name (${JSON.stringify(child.name)}) below the root: hashers disagree on whether it is covered`,
      });
    }
    if (child.type === CFB_TYPE.storage) checkNames(child, false, problems);
  }
}
