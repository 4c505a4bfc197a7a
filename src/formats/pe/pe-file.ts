import { Format } from 'pe-library';

import { SigscanError } from '../../errors.js';

/**
 * PE/COFF layout as far as Authenticode needs it (formats.md §7.1). Offsets are checked against the
 * file length by hand before pe-library reads anything: its header classes wrap a DataView without
 * bounds checks, and it does not expose the Authenticode hash ranges (checksum field, certificate
 * directory entry, certificate table), which are what the image hash is defined over.
 */

export const PE32_MAGIC = 0x10b;
export const PE32_PLUS_MAGIC = 0x20b;
const CERTIFICATE_TABLE_DIRECTORY_INDEX = 4;
const COFF_HEADER_SIZE = 20;
const SECTION_HEADER_SIZE = 40;
/** The loader refuses more; a larger count in a scanned file is corruption or an attack. */
const MAX_SECTIONS = 96;

export interface PeSection {
  name: string;
  pointerToRawData: number;
  sizeOfRawData: number;
}

export interface PeLayout {
  /** File offset of the `PE\0\0` signature. */
  peHeaderOffset: number;
  optionalHeaderOffset: number;
  magic: typeof PE32_MAGIC | typeof PE32_PLUS_MAGIC;
  machine: number;
  /** Optional-header Subsystem: 10-13 are EFI images, whose firmware reads every certificate record. */
  subsystem: number;
  /**
   * End of the headers: the larger of the section table's end and SizeOfHeaders (what the loader maps
   * as the header page). A certificate table that starts before this lies inside loaded bytes.
   */
  headersEnd: number;
  /** File offset of the 4-byte CheckSum field, excluded from the image hash. */
  checksumOffset: number;
  /** File offset of the 8-byte Certificate Table data-directory entry, excluded from the image hash. */
  certificateDirectoryOffset: number;
  /** Certificate table as the directory entry states it; its "VirtualAddress" is a file offset. */
  certificateTable: { offset: number; size: number };
  sections: PeSection[];
  fileSize: number;
}

/** Cheap sniff: `MZ` and a `PE\0\0` signature where `e_lfanew` points. Never throws. */
export function looksLikePe(bytes: Uint8Array): boolean {
  if (bytes.length < 0x40 || bytes[0] !== 0x4d || bytes[1] !== 0x5a) return false;
  const view = viewOf(bytes);
  const peOffset = view.getUint32(0x3c, true);
  return peOffset + 4 <= bytes.length && view.getUint32(peOffset, true) === 0x00004550;
}

/**
 * Parses the headers of a PE image. `bytes` is the whole file, or for a file too large to hold, its first
 * `headerBytesNeeded(...)` bytes with `fileSize` the real length: sections and the certificate table are
 * only checked against the file length, never read here.
 */
export function parsePeLayout(bytes: Uint8Array, fileSize: number = bytes.length): PeLayout {
  if (bytes.length < 0x40) malformed(`file is ${fileSize} bytes, too short for a DOS header`);
  if (bytes[0] !== 0x4d || bytes[1] !== 0x5a) malformed('no MZ signature: not a PE file');
  const view = viewOf(bytes);
  const buffer = bytes.buffer as ArrayBuffer;

  const dosHeader = Format.ImageDosHeader.from(buffer, bytes.byteOffset);
  const peHeaderOffset = dosHeader.newHeaderAddress;
  if (peHeaderOffset + 4 + COFF_HEADER_SIZE > bytes.length) {
    malformed(`e_lfanew 0x${peHeaderOffset.toString(16)} points past the end of the file`);
  }
  if (view.getUint32(peHeaderOffset, true) !== 0x00004550) malformed('no PE\\0\\0 signature at e_lfanew');

  const coff = Format.ImageFileHeader.from(buffer, bytes.byteOffset + peHeaderOffset + 4);
  const optionalHeaderOffset = peHeaderOffset + 4 + COFF_HEADER_SIZE;
  const optionalHeaderSize = coff.sizeOfOptionalHeader;
  if (optionalHeaderOffset + optionalHeaderSize > bytes.length)
    malformed('optional header runs past the end of the file');
  if (optionalHeaderSize < 2) malformed('no optional header (object file, not an image)');

  const magic = view.getUint16(optionalHeaderOffset, true);
  if (magic !== PE32_MAGIC && magic !== PE32_PLUS_MAGIC) {
    malformed(`optional header magic 0x${magic.toString(16)} is neither PE32 nor PE32+`);
  }
  const numberOfRvaAndSizesOffset = optionalHeaderOffset + (magic === PE32_MAGIC ? 92 : 108);
  const dataDirectoryOffset = optionalHeaderOffset + (magic === PE32_MAGIC ? 96 : 112);
  const certificateDirectoryOffset = dataDirectoryOffset + CERTIFICATE_TABLE_DIRECTORY_INDEX * 8;
  if (certificateDirectoryOffset + 8 > optionalHeaderOffset + optionalHeaderSize) {
    malformed(`optional header (${optionalHeaderSize} bytes) too small to hold the certificate table entry`);
  }
  if (view.getUint32(numberOfRvaAndSizesOffset, true) <= CERTIFICATE_TABLE_DIRECTORY_INDEX) {
    malformed('NumberOfRvaAndSizes < 5: the image has no certificate table entry');
  }

  const numberOfSections = coff.numberOfSections;
  if (numberOfSections > MAX_SECTIONS) malformed(`${numberOfSections} sections (limit ${MAX_SECTIONS})`);
  const sectionTableOffset = optionalHeaderOffset + optionalHeaderSize;
  if (sectionTableOffset + numberOfSections * SECTION_HEADER_SIZE > bytes.length) {
    malformed('section table runs past the end of the file');
  }
  const sectionHeaders = Format.ImageSectionHeaderArray.from(
    buffer,
    numberOfSections,
    bytes.byteOffset + sectionTableOffset,
  );
  const sections: PeSection[] = [];
  sectionHeaders.forEach((s) => {
    sections.push({ name: s.name, pointerToRawData: s.pointerToRawData, sizeOfRawData: s.sizeOfRawData });
    if (s.sizeOfRawData > 0 && s.pointerToRawData + s.sizeOfRawData > fileSize) {
      malformed(`section ${JSON.stringify(s.name)} runs past the end of the file (truncated?)`);
    }
  });

  const certificateTable = {
    offset: view.getUint32(certificateDirectoryOffset, true),
    size: view.getUint32(certificateDirectoryOffset + 4, true),
  };
  // A table that overlaps the headers or a section is still read: it is a signature the trust layer
  // must call invalid (certificateTablePlacement), not a file that cannot be parsed.
  if (certificateTable.size > 0) {
    if (certificateTable.offset + certificateTable.size > fileSize) {
      malformed(
        `certificate table [0x${certificateTable.offset.toString(16)}, +${certificateTable.size}) ` +
          `runs past the end of the ${fileSize}-byte file`,
      );
    }
  }

  const sizeOfHeaders = view.getUint32(optionalHeaderOffset + 60, true);
  return {
    peHeaderOffset,
    optionalHeaderOffset,
    magic,
    machine: coff.machine,
    subsystem: view.getUint16(optionalHeaderOffset + 68, true),
    headersEnd: Math.max(sectionTableOffset + numberOfSections * SECTION_HEADER_SIZE, sizeOfHeaders),
    checksumOffset: optionalHeaderOffset + 64,
    certificateDirectoryOffset,
    certificateTable,
    sections,
    fileSize,
  };
}

/**
 * How many leading bytes `parsePeLayout` reads of a file whose first bytes are `prefix`: the DOS header,
 * then the COFF header at e_lfanew, then the optional header and section table it sizes. Less than all
 * the prefix reaches far enough to tell: callers read that many and ask again (at most three rounds).
 */
export function headerBytesNeeded(prefix: Uint8Array): number {
  if (prefix.length < 0x40) return 0x40;
  const view = viewOf(prefix);
  const peHeaderOffset = view.getUint32(0x3c, true);
  const coffEnd = peHeaderOffset + 4 + COFF_HEADER_SIZE;
  if (prefix.length < coffEnd) return coffEnd;
  const optionalHeaderSize = view.getUint16(peHeaderOffset + 4 + 16, true);
  const sections = Math.min(view.getUint16(peHeaderOffset + 4 + 2, true), MAX_SECTIONS + 1);
  return coffEnd + optionalHeaderSize + sections * SECTION_HEADER_SIZE;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function malformed(message: string): never {
  throw new SigscanError('MALFORMED_PE', message);
}
