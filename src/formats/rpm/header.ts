import { SigscanError } from '../../errors.js';

/**
 * RPM v4 package layout (rpm's lib/header.c, lib/package.c; rpm.org/devel_doc/file_format.html): a 96-byte
 * lead, the signature header (padded to 8 bytes), the main header, then the compressed payload. Headers
 * are big-endian: magic 8E AD E8 01, 4 reserved bytes, entry count, data size, 16-byte index entries
 * (tag, type, offset, count), then the data store. Hand-parsed: no JavaScript library reads RPM headers.
 */

export const LEAD_SIZE = 96;
export const RPM_MAGIC = [0xed, 0xab, 0xee, 0xdb] as const;
const HEADER_MAGIC = [0x8e, 0xad, 0xe8, 0x01] as const;
const INTRO_SIZE = 16;
const ENTRY_SIZE = 16;
/** rpm refuses headers with more entries or data than this (hdrblob limits). */
const MAX_ENTRIES = 0xffff;
const MAX_DATA = 256 * 1024 * 1024;

export const TYPE_INT32 = 4;
export const TYPE_INT64 = 5;
export const TYPE_STRING = 6;
export const TYPE_BIN = 7;
export const TYPE_STRING_ARRAY = 8;
export const TYPE_I18NSTRING = 9;

export interface HeaderEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

export interface RpmHeader {
  /** Byte offset of the header's magic in the file. */
  start: number;
  /** Byte offset just past its data store. */
  end: number;
  entries: HeaderEntry[];
  /** Tags that occur more than once. */
  duplicateTags: number[];
  /** The data store. */
  data: Uint8Array;
}

function malformed(message: string): SigscanError {
  return new SigscanError('MALFORMED_RPM', message);
}

export function looksLikeRpm(bytes: Uint8Array): boolean {
  return RPM_MAGIC.every((b, i) => bytes[i] === b);
}

export function readHeader(bytes: Uint8Array, start: number, what: string): RpmHeader {
  if (start + INTRO_SIZE > bytes.byteLength) throw malformed(`${what} is truncated`);
  if (!HEADER_MAGIC.every((b, i) => bytes[start + i] === b)) throw malformed(`${what} has no header magic`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(start + 8);
  const size = view.getUint32(start + 12);
  if (count === 0 || count > MAX_ENTRIES || size > MAX_DATA) {
    throw malformed(`${what} declares ${count} entries and ${size} data bytes`);
  }
  const dataStart = start + INTRO_SIZE + count * ENTRY_SIZE;
  const end = dataStart + size;
  if (end > bytes.byteLength) throw malformed(`${what} runs past the end of the file`);
  const entries: HeaderEntry[] = [];
  const seen = new Set<number>();
  const duplicateTags: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = start + INTRO_SIZE + i * ENTRY_SIZE;
    const entry = {
      tag: view.getInt32(p),
      type: view.getUint32(p + 4),
      offset: view.getInt32(p + 8),
      count: view.getUint32(p + 12),
    };
    if (entry.offset < 0 || entry.offset > size) {
      throw malformed(`${what}: tag ${entry.tag} points outside the data store`);
    }
    if (seen.has(entry.tag)) duplicateTags.push(entry.tag);
    seen.add(entry.tag);
    entries.push(entry);
  }
  return { start, end, entries, duplicateTags, data: bytes.subarray(dataStart, end) };
}

/** The first entry with this tag. */
export function entry(header: RpmHeader, tag: number): HeaderEntry | undefined {
  return header.entries.find((e) => e.tag === tag);
}

/** A BIN tag's bytes. */
export function binValue(header: RpmHeader, tag: number): Uint8Array | undefined {
  const e = entry(header, tag);
  if (!e || e.type !== TYPE_BIN) return undefined;
  if (e.offset + e.count > header.data.byteLength) throw malformed(`tag ${tag} runs past the data store`);
  return header.data.subarray(e.offset, e.offset + e.count);
}

/** A STRING / I18NSTRING tag, or the first string of a STRING_ARRAY. */
export function stringValue(header: RpmHeader, tag: number): string | undefined {
  const e = entry(header, tag);
  if (!e || ![TYPE_STRING, TYPE_STRING_ARRAY, TYPE_I18NSTRING].includes(e.type)) return undefined;
  const nul = header.data.indexOf(0, e.offset);
  if (nul < 0) throw malformed(`tag ${tag} is not NUL-terminated`);
  return Buffer.from(header.data.subarray(e.offset, nul)).toString('utf8');
}

/** An INT32 or INT64 tag's first value. */
export function intValue(header: RpmHeader, tag: number): number | undefined {
  const e = entry(header, tag);
  if (!e || (e.type !== TYPE_INT32 && e.type !== TYPE_INT64)) return undefined;
  const width = e.type === TYPE_INT32 ? 4 : 8;
  if (e.offset + width > header.data.byteLength) throw malformed(`tag ${tag} runs past the data store`);
  const view = new DataView(header.data.buffer, header.data.byteOffset, header.data.byteLength);
  return e.type === TYPE_INT32 ? view.getUint32(e.offset) : Number(view.getBigUint64(e.offset));
}
