import { SigscanError } from '../errors.js';

/**
 * A reader for OLE compound files ([MS-CFB]), the container of MSI packages. Hand-written rather than
 * taken from npm `cfb` (SheetJS): that library is not in our dependencies (no registry on this machine),
 * and it repairs what it reads (it walks the directory as a flat list, tolerates FAT cycles, picks one of
 * two equal names), while a verifier must see the exact tree the signer hashed and refuse a file two
 * readers could see differently. Every chain is bounded and checked for cycles; anything the spec forbids
 * throws MALFORMED_MSI. Read-only; nothing here knows about signatures.
 */

export const CFB_MAGIC = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

const MAXREGSECT = 0xfffffffa;
const ENDOFCHAIN = 0xfffffffe;
const NOSTREAM = 0xffffffff;
const HEADER_DIFAT_ENTRIES = 109;
const DIRENT_SIZE = 128;

export const CFB_TYPE = { storage: 1, stream: 2, root: 5 } as const;

export interface CfbEntry {
  /** Index in the directory stream. */
  id: number;
  /** The name field as stored, `nameLength` bytes: UTF-16LE with its NUL terminator. */
  rawName: Uint8Array;
  /** The name decoded (terminator dropped). */
  name: string;
  type: number;
  clsid: Uint8Array;
  stateBits: Uint8Array;
  creationTime: Uint8Array;
  modifiedTime: Uint8Array;
  startSector: number;
  /** Low 32 bits of the size field (what version-3 readers use; the high half may hold garbage). */
  size: number;
  /** Children of a storage or the root, in directory order. */
  children: CfbEntry[];
}

export interface CompoundFile {
  majorVersion: number;
  sectorSize: number;
  root: CfbEntry;
  /** The bytes of a stream entry. */
  read(entry: CfbEntry): Uint8Array;
}

function fail(why: string): never {
  throw new SigscanError('MALFORMED_MSI', `compound file: ${why}`);
}

export function looksLikeCfb(bytes: Uint8Array): boolean {
  return bytes.length >= 512 && CFB_MAGIC.every((b, i) => bytes[i] === b);
}

export function readCompoundFile(bytes: Uint8Array): CompoundFile {
  if (!looksLikeCfb(bytes)) fail('no OLE header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => view.getUint16(o, true);
  const u32 = (o: number) => view.getUint32(o, true);

  const majorVersion = u16(0x1a);
  const sectorShift = u16(0x1e);
  if (u16(0x1c) !== 0xfffe) fail('byte order is not little-endian');
  if (!((majorVersion === 3 && sectorShift === 9) || (majorVersion === 4 && sectorShift === 12))) {
    fail(`version ${majorVersion} with sector shift ${sectorShift}`);
  }
  if (u16(0x20) !== 6) fail('mini sector size is not 64');
  if (u32(0x38) !== 0x1000) fail('mini stream cutoff is not 4096');
  const sectorSize = 1 << sectorShift;
  const sectorCount = Math.floor((bytes.length - sectorSize) / sectorSize);
  const numFat = u32(0x2c);
  const firstDirectory = u32(0x30);
  const firstMiniFat = u32(0x3c);
  const firstDifat = u32(0x44);
  const numDifat = u32(0x48);
  if (numFat > sectorCount || numDifat > sectorCount) fail('more FAT sectors than the file holds');

  const sectorBytes = (sector: number): Uint8Array => {
    if (sector >= sectorCount) fail(`sector ${sector} is outside the file`);
    const start = (sector + 1) * sectorSize;
    return bytes.subarray(start, start + sectorSize);
  };
  const sectorU32 = (sector: number, index: number): number => {
    const s = sectorBytes(sector);
    return new DataView(s.buffer, s.byteOffset, s.byteLength).getUint32(index * 4, true);
  };

  // FAT sector locations: 109 in the header, the rest in the DIFAT chain (last entry links on).
  const fatSectors: number[] = [];
  for (let i = 0; i < Math.min(numFat, HEADER_DIFAT_ENTRIES); i++) fatSectors.push(u32(0x4c + i * 4));
  const perDifat = sectorSize / 4 - 1;
  let difat = firstDifat;
  const seenDifat = new Set<number>();
  for (let n = 0; fatSectors.length < numFat; n++) {
    if (n >= numDifat || difat > MAXREGSECT || seenDifat.has(difat)) fail('DIFAT chain is broken');
    seenDifat.add(difat);
    for (let i = 0; i < perDifat && fatSectors.length < numFat; i++) fatSectors.push(sectorU32(difat, i));
    difat = sectorU32(difat, perDifat);
  }
  const fat = new Uint32Array(fatSectors.length * (sectorSize / 4));
  fatSectors.forEach((sector, i) => {
    if (sector > MAXREGSECT) fail('FAT sector location is not a sector');
    const s = sectorBytes(sector);
    fat.set(new Uint32Array(Uint8Array.from(s).buffer), i * (sectorSize / 4));
  });

  /** The sectors of a chain, in order; a cycle, a free sector or a chain past the file throws. */
  const chain = (start: number, table: Uint32Array, limit: number, what: string): number[] => {
    const out: number[] = [];
    const seen = new Set<number>();
    let sector = start;
    while (sector !== ENDOFCHAIN) {
      if (sector > MAXREGSECT || sector >= table.length)
        fail(`${what}: sector ${sector} is not in the table`);
      if (seen.has(sector)) fail(`${what}: the chain loops`);
      if (out.length >= limit) fail(`${what}: the chain is longer than the file`);
      seen.add(sector);
      out.push(sector);
      sector = table[sector]!;
    }
    return out;
  };
  const readChain = (sectors: number[]): Uint8Array => {
    const out = new Uint8Array(sectors.length * sectorSize);
    sectors.forEach((s, i) => out.set(sectorBytes(s), i * sectorSize));
    return out;
  };

  const directory = readChain(chain(firstDirectory, fat, sectorCount, 'directory'));
  const dirView = new DataView(directory.buffer, directory.byteOffset, directory.byteLength);
  const entryCount = directory.length / DIRENT_SIZE;

  const parseEntry = (id: number): CfbEntry & { left: number; right: number; child: number } => {
    if (id >= entryCount) fail(`directory entry ${id} does not exist`);
    const at = id * DIRENT_SIZE;
    const nameLength = dirView.getUint16(at + 0x40, true);
    if (nameLength < 2 || nameLength > 64 || nameLength % 2 !== 0)
      fail(`entry ${id} has name length ${nameLength}`);
    const rawName = directory.slice(at, at + nameLength);
    if (rawName[nameLength - 1] !== 0 || rawName[nameLength - 2] !== 0)
      fail(`entry ${id} name is not terminated`);
    return {
      id,
      rawName,
      name: Buffer.from(rawName.subarray(0, nameLength - 2)).toString('utf16le'),
      type: directory[at + 0x42]!,
      left: dirView.getUint32(at + 0x44, true),
      right: dirView.getUint32(at + 0x48, true),
      child: dirView.getUint32(at + 0x4c, true),
      clsid: directory.slice(at + 0x50, at + 0x60),
      stateBits: directory.slice(at + 0x60, at + 0x64),
      creationTime: directory.slice(at + 0x64, at + 0x6c),
      modifiedTime: directory.slice(at + 0x6c, at + 0x74),
      startSector: dirView.getUint32(at + 0x74, true),
      size: dirView.getUint32(at + 0x78, true),
      children: [],
    };
  };

  const root = parseEntry(0);
  if (root.type !== CFB_TYPE.root || root.name !== 'Root Entry') fail('entry 0 is not the root');
  // Each entry is reached once: a directory that names an entry twice is read two ways by two readers.
  const reached = new Set<number>([0]);
  const addSiblings = (id: number, parent: CfbEntry, depth: number): void => {
    if (id === NOSTREAM) return;
    if (depth > entryCount) fail('directory tree is deeper than it has entries');
    if (id === 0 || reached.has(id)) fail(`directory entry ${id} is reached twice`);
    reached.add(id);
    const entry = parseEntry(id);
    if (entry.type !== CFB_TYPE.storage && entry.type !== CFB_TYPE.stream) {
      fail(`directory entry ${id} in the tree has type ${entry.type}`);
    }
    addSiblings(entry.left, parent, depth + 1);
    parent.children.push(entry);
    addSiblings(entry.right, parent, depth + 1);
    if (entry.type === CFB_TYPE.storage) addSiblings(entry.child, entry, depth + 1);
    else if (entry.child !== NOSTREAM) fail(`stream entry ${id} has children`);
  };
  addSiblings(root.child, root, 0);

  const miniFatBytes =
    firstMiniFat === ENDOFCHAIN
      ? new Uint8Array(0)
      : readChain(chain(firstMiniFat, fat, sectorCount, 'mini FAT'));
  const miniFat = new Uint32Array(Uint8Array.from(miniFatBytes).buffer);
  const miniStream =
    root.size === 0 ? new Uint8Array(0) : readChain(chain(root.startSector, fat, sectorCount, 'mini stream'));
  if (miniStream.length < root.size) fail('mini stream is shorter than the root entry says');

  const read = (entry: CfbEntry): Uint8Array => {
    if (entry.type !== CFB_TYPE.stream) fail(`entry ${entry.id} is not a stream`);
    if (entry.size === 0) return new Uint8Array(0);
    if (entry.size < 0x1000) {
      const sectors = chain(entry.startSector, miniFat, Math.ceil(root.size / 64), `stream ${entry.id}`);
      if (sectors.length * 64 < entry.size) fail(`stream ${entry.id} is shorter than its size`);
      const out = new Uint8Array(entry.size);
      for (let i = 0; i * 64 < entry.size; i++) {
        const start = sectors[i]! * 64;
        if (start + 64 > root.size + 63) fail(`stream ${entry.id} runs past the mini stream`);
        out.set(miniStream.subarray(start, start + Math.min(64, entry.size - i * 64)), i * 64);
      }
      return out;
    }
    const sectors = chain(entry.startSector, fat, sectorCount, `stream ${entry.id}`);
    if (sectors.length * sectorSize < entry.size) fail(`stream ${entry.id} is shorter than its size`);
    return readChain(sectors.slice(0, Math.ceil(entry.size / sectorSize))).subarray(0, entry.size);
  };

  return { majorVersion, sectorSize, root, read };
}
