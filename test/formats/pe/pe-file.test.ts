import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { looksLikePe, parsePeLayout, PE32_MAGIC, PE32_PLUS_MAGIC } from '../../../src/formats/pe/pe-file.js';
import { concatBytes } from '../../helpers/der-tree.js';
import { CATALOG_FILE, SIGNIFY_DIR, UNSIGNED_PE } from '../../helpers/pe/corpus.js';
import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../../helpers/pe/signed-pe.js';
import { config, evaluateFile } from '../../trust/helpers.js';

const read = (path: string) => new Uint8Array(readFileSync(path));
const whois = () => read(join(SIGNIFY_DIR, 'whois.exe'));

function expectMalformedPe(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('MALFORMED_PE');
    expect((err as SigscanError).message).toMatch(message);
    return;
  }
  throw new Error('expected MALFORMED_PE');
}

describe('parsePeLayout', () => {
  it('locates the checksum, certificate directory and table of a signed PE32 (whois.exe)', () => {
    const bytes = whois();
    const layout = parsePeLayout(bytes);
    expect(layout.magic).toBe(PE32_MAGIC);
    expect(layout.checksumOffset).toBe(layout.optionalHeaderOffset + 64);
    expect(layout.certificateDirectoryOffset).toBe(layout.optionalHeaderOffset + 128);
    // The table is the last thing in the file.
    expect(layout.certificateTable.offset + layout.certificateTable.size).toBe(bytes.length);
    expect(layout.sections.map((s) => s.name)).toContain('.text');
  });

  it('handles PE32+ and reports an unsigned image as an empty table', () => {
    const layout = parsePeLayout(read(UNSIGNED_PE));
    expect(layout.magic).toBe(PE32_PLUS_MAGIC);
    expect(layout.certificateDirectoryOffset).toBe(layout.optionalHeaderOffset + 144);
    expect(layout.certificateTable).toEqual({ offset: 0, size: 0 });
  });

  it('works on a Uint8Array that is a view into a larger buffer', () => {
    const bytes = whois();
    const padded = new Uint8Array(bytes.length + 16);
    padded.set(bytes, 16);
    expect(parsePeLayout(padded.subarray(16))).toEqual(parsePeLayout(bytes));
  });

  it('rejects a catalog file, random bytes, empty input and a truncated PE', () => {
    expectMalformedPe(() => parsePeLayout(read(CATALOG_FILE)), /no MZ signature/);
    const noise = new Uint8Array(randomBytes(4096));
    noise[0] = 0; // random bytes could start with "MZ" 1 time in 65536
    expectMalformedPe(() => parsePeLayout(noise), /not a PE file/);
    expectMalformedPe(() => parsePeLayout(new Uint8Array(0)), /too short/);
    expectMalformedPe(() => parsePeLayout(whois().subarray(0, 300)), /past the end|truncated/);
    expectMalformedPe(() => parsePeLayout(whois().subarray(0, 0x3c + 2)), /too short/);
  });

  it('rejects MZ files whose e_lfanew points nowhere or at something other than PE\\0\\0', () => {
    const bytes = whois();
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(0x3c, 0xfffffff0, true);
    expectMalformedPe(() => parsePeLayout(bytes), /e_lfanew/);
    view.setUint32(0x3c, 0x40, true);
    expectMalformedPe(() => parsePeLayout(bytes), /PE\\0\\0/);
  });

  it('rejects a certificate table that points past the end of the file', () => {
    const bytes = whois();
    const layout = parsePeLayout(bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setUint32(layout.certificateDirectoryOffset + 4, layout.certificateTable.size + 8, true);
    expectMalformedPe(() => parsePeLayout(bytes), /past the end/);
    // Same outcome when the signed file itself is cut short.
    expectMalformedPe(() => parsePeLayout(whois().subarray(0, bytes.length - 100)), /past the end/);
  });

  it('reads a certificate table inside the headers (placement.ts refuses the signature) and reports where the headers end', () => {
    const bytes = whois();
    const layout = parsePeLayout(bytes);
    new DataView(bytes.buffer, bytes.byteOffset).setUint32(layout.certificateDirectoryOffset, 0x80, true);
    const moved = parsePeLayout(bytes);
    expect(moved.certificateTable.offset).toBe(0x80);
    expect(moved.headersEnd).toBe(0x400);
    expect(moved.subsystem).toBe(3);
  });
});

describe('looksLikePe', () => {
  it('accepts PE images and refuses the catalog and short or random input', () => {
    expect(looksLikePe(whois())).toBe(true);
    expect(looksLikePe(read(UNSIGNED_PE))).toBe(true);
    expect(looksLikePe(read(CATALOG_FILE))).toBe(false);
    expect(looksLikePe(new Uint8Array([0x4d, 0x5a]))).toBe(false);
    expect(looksLikePe(whois().subarray(0, 0x40))).toBe(false);
  });
});

const viewOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const expectMalformed = (fn: () => unknown) =>
  expect(fn).toThrow(expect.objectContaining({ code: 'MALFORMED_PE' }) as Error);
/** Offsets of the header fields the tests below edit, read from the file (not from parsePeLayout). */
function fields(bytes: Uint8Array) {
  const view = viewOf(bytes);
  const lfanew = view.getUint32(0x3c, true);
  const optionalHeaderOffset = lfanew + 24;
  const optionalHeaderSize = view.getUint16(lfanew + 4 + 16, true);
  const pe32 = view.getUint16(optionalHeaderOffset, true) === PE32_MAGIC;
  return {
    view,
    lfanew,
    optionalHeaderOffset,
    optionalHeaderSize,
    numberOfSections: view.getUint16(lfanew + 4 + 2, true),
    numberOfRvaAndSizes: optionalHeaderOffset + (pe32 ? 92 : 108),
    sectionTableOffset: optionalHeaderOffset + optionalHeaderSize,
  };
}

/**
 * `bytes` with `count` section headers: room is made after the existing ones by moving every section's
 * raw data up by a multiple of FileAlignment; the added headers are zero (no raw data).
 */
function withSectionCount(bytes: Uint8Array, count: number): Uint8Array {
  const f = fields(bytes);
  const sizeOfHeaders = f.view.getUint32(f.optionalHeaderOffset + 60, true);
  const fileAlignment = f.view.getUint32(f.optionalHeaderOffset + 36, true);
  const shift =
    Math.ceil((f.sectionTableOffset + count * 40 - sizeOfHeaders) / fileAlignment) * fileAlignment;
  const out = concat(
    bytes.subarray(0, f.sectionTableOffset + f.numberOfSections * 40),
    new Uint8Array(sizeOfHeaders + shift - (f.sectionTableOffset + f.numberOfSections * 40)),
    bytes.subarray(sizeOfHeaders),
  );
  const view = viewOf(out);
  view.setUint32(f.optionalHeaderOffset + 60, sizeOfHeaders + shift, true);
  view.setUint16(f.lfanew + 4 + 2, count, true);
  for (let i = 0; i < f.numberOfSections; i++) {
    const at = f.sectionTableOffset + i * 40 + 20;
    const pointer = view.getUint32(at, true);
    if (pointer !== 0) view.setUint32(at, pointer + shift, true);
  }
  return out;
}

/**
 * The header bounds, each at its edge: an input exactly long enough (or a field exactly large enough) is
 * read, one a byte shorter (or one smaller) is MALFORMED_PE, never a RangeError from reading past the
 * end. Inputs are the signify whois.exe (PE32) and osslsigncode's unsigned.exe (PE32+, mingw-w64) cut by
 * hand. `.slice()` gives each cut its own ArrayBuffer, so a read past the cut cannot land in the bytes
 * after it.
 */
describe('parsePeLayout at the header bounds', () => {
  const unsigned = () => read(UNSIGNED_PE);
  it('MZ: a file that differs in either byte of the signature is refused, by the sniff and the parser', () => {
    for (const at of [0, 1]) {
      const bytes = whois();
      bytes[at] = 0x58; // "XZ" / "MX": the rest of the image is intact
      expect(looksLikePe(bytes)).toBe(false);
      expectMalformed(() => parsePeLayout(bytes));
    }
  });

  it('sniff: PE\\0\\0 ending exactly at the end of the input is a PE; one byte short is not (and does not throw)', () => {
    const bytes = whois();
    const { lfanew } = fields(bytes);
    expect(looksLikePe(bytes.slice(0, lfanew + 4))).toBe(true);
    expect(looksLikePe(bytes.slice(0, lfanew + 3))).toBe(false);
    // In range but not at PE\0\0 (the DOS stub).
    viewOf(bytes).setUint32(0x3c, 0x40, true);
    expect(looksLikePe(bytes)).toBe(false);
  });

  it('sniff: a 64-byte input (exactly a DOS header) is judged, not refused for its length', () => {
    // e_lfanew may point inside the DOS header (the "tiny PE" layout); PE\0\0 at 0x38 ends at 0x3c.
    const bytes = whois().slice(0, 0x40);
    bytes.set([0x50, 0x45, 0, 0], 0x38);
    viewOf(bytes).setUint32(0x3c, 0x38, true);
    expect(looksLikePe(bytes)).toBe(true);
    expect(looksLikePe(bytes.slice(0, 0x3f))).toBe(false);
    // Far too short to hold the COFF and optional headers.
    expectMalformed(() => parsePeLayout(bytes));
  });

  it('COFF header: one byte short of its end is MALFORMED_PE (not a RangeError)', () => {
    const bytes = whois();
    const { lfanew } = fields(bytes);
    expectMalformed(() => parsePeLayout(bytes.slice(0, lfanew + 4 + 19)));
    // Ending exactly after it still leaves no optional header.
    expectMalformed(() => parsePeLayout(bytes.slice(0, lfanew + 4 + 20)));
  });

  it('optional header: a file that ends where it should start is MALFORMED_PE, whatever SizeOfOptionalHeader says', () => {
    const bytes = whois();
    const { optionalHeaderOffset, lfanew } = fields(bytes);
    const cut = bytes.slice(0, optionalHeaderOffset);
    expectMalformed(() => parsePeLayout(cut));
    // SizeOfOptionalHeader 0 (a COFF object file's value): "fits", but there is no Magic to read.
    viewOf(cut).setUint16(lfanew + 4 + 16, 0, true);
    expectMalformed(() => parsePeLayout(cut));
    viewOf(cut).setUint16(lfanew + 4 + 16, 1, true);
    expectMalformed(() => parsePeLayout(concat(cut, new Uint8Array(1))));
  });

  it('headers only: an image of no sections that ends exactly with its optional header is read; a byte less is not', () => {
    const bytes = unsigned();
    const { view, lfanew, sectionTableOffset } = fields(bytes);
    view.setUint16(lfanew + 4 + 2, 0, true); // NumberOfSections
    const exact = bytes.slice(0, sectionTableOffset);
    const layout = parsePeLayout(exact);
    expect(layout.sections).toEqual([]);
    expect(layout.fileSize).toBe(sectionTableOffset);
    expect(layout.certificateTable).toEqual({ offset: 0, size: 0 });
    expectMalformed(() => parsePeLayout(exact.slice(0, sectionTableOffset - 1)));
  });

  it('optional header exactly large enough for the certificate table entry (5 data directories) is read; a byte smaller is not', () => {
    // PE32+: 112 bytes of fields, then 5 directories of 8 bytes: SizeOfOptionalHeader 152 with the section
    // table moved up to follow it (a valid image: NumberOfRvaAndSizes may be below 16).
    const original = parsePeLayout(unsigned());
    const shrink = (size: number) => {
      const bytes = unsigned();
      const f = fields(bytes);
      f.view.setUint16(f.lfanew + 4 + 16, size, true);
      f.view.setUint32(f.numberOfRvaAndSizes, 5, true);
      bytes.copyWithin(
        f.optionalHeaderOffset + size,
        f.sectionTableOffset,
        f.sectionTableOffset + f.numberOfSections * 40,
      );
      return bytes;
    };
    const layout = parsePeLayout(shrink(152));
    expect(layout.certificateDirectoryOffset).toBe(original.optionalHeaderOffset + 144);
    expect(layout.sections).toEqual(original.sections);
    expect(layout.headersEnd).toBe(original.headersEnd);
    expectMalformed(() => parsePeLayout(shrink(151)));
    // With no sections the entry's last byte is a zero left beyond the header: readable, still refused.
    const noSections = unsigned();
    const f = fields(noSections);
    f.view.setUint16(f.lfanew + 4 + 16, 151, true);
    f.view.setUint16(f.lfanew + 4 + 2, 0, true);
    expect(noSections[f.optionalHeaderOffset + 151]).toBe(0);
    expectMalformed(() => parsePeLayout(noSections));
    f.view.setUint16(f.lfanew + 4 + 16, 152, true);
    expect(parsePeLayout(noSections).certificateTable).toEqual({ offset: 0, size: 0 });
  });

  it.each([
    ['PE32 (whois.exe)', whois],
    ['PE32+ (unsigned.exe)', () => read(UNSIGNED_PE)],
  ])(
    '%s: NumberOfRvaAndSizes 5 has a certificate table entry; 4 is MALFORMED_PE, as osslsigncode refuses nrvas < 5',
    (_name, load) => {
      const bytes = load();
      const { view, numberOfRvaAndSizes } = fields(bytes);
      const original = parsePeLayout(bytes);
      view.setUint32(numberOfRvaAndSizes, 5, true);
      expect(parsePeLayout(bytes)).toEqual(original);
      view.setUint32(numberOfRvaAndSizes, 4, true);
      expectMalformed(() => parsePeLayout(bytes));
      view.setUint32(numberOfRvaAndSizes, 0, true);
      expectMalformed(() => parsePeLayout(bytes));
    },
  );

  it("96 section headers are read, 97 are MALFORMED_PE (the PE/COFF spec's loader limit)", () => {
    const with96 = withSectionCount(unsigned(), 96);
    const layout = parsePeLayout(with96);
    expect(layout.sections).toHaveLength(96);
    expect(layout.sections.slice(17).every((s) => s.sizeOfRawData === 0 && s.name === '')).toBe(true);
    // SizeOfHeaders (1536 + 3072) is past the table's end (392 + 96 * 40).
    expect(layout.headersEnd).toBe(1536 + 3072);
    expect(layout.sections[0]).toEqual({
      name: '.text',
      pointerToRawData: 1536 + 3072,
      sizeOfRawData: 27648,
    });
    expectMalformed(() => parsePeLayout(withSectionCount(unsigned(), 97)));
  });

  it('section table: a prefix that ends exactly with it is read with the real file size; a byte shorter is not', () => {
    const bytes = whois();
    const { sectionTableOffset, numberOfSections } = fields(bytes);
    const end = sectionTableOffset + numberOfSections * 40;
    expect(parsePeLayout(bytes.slice(0, end), bytes.length)).toEqual(parsePeLayout(bytes));
    expectMalformed(() => parsePeLayout(bytes.slice(0, end - 1), bytes.length));
  });

  it('a section of no raw data is not checked against the file size (its PointerToRawData means nothing)', () => {
    const bytes = whois();
    const { view, sectionTableOffset, numberOfSections } = fields(bytes);
    const last = sectionTableOffset + (numberOfSections - 1) * 40;
    view.setUint32(last + 16, 0, true); // SizeOfRawData
    view.setUint32(last + 20, 0xfffffe00, true); // PointerToRawData
    expect(parsePeLayout(bytes).sections.at(-1)).toEqual({
      name: '.reloc',
      pointerToRawData: 0xfffffe00,
      sizeOfRawData: 0,
    });
    // One byte of raw data there is past the end.
    view.setUint32(last + 16, 1, true);
    expectMalformed(() => parsePeLayout(bytes));
  });

  it('a certificate table entry of size 0 is no table, wherever its offset points (osslsigncode: unsigned)', () => {
    const bytes = unsigned();
    const { certificateDirectoryOffset } = parsePeLayout(bytes);
    viewOf(bytes).setUint32(certificateDirectoryOffset, 0xfffffff0, true);
    expect(parsePeLayout(bytes).certificateTable).toEqual({ offset: 0xfffffff0, size: 0 });
  });

  it('headersEnd is the end of the section table when SizeOfHeaders is smaller', () => {
    const bytes = whois();
    const { view, optionalHeaderOffset, sectionTableOffset, numberOfSections } = fields(bytes);
    view.setUint32(optionalHeaderOffset + 60, 0, true);
    expect(parsePeLayout(bytes).headersEnd).toBe(sectionTableOffset + numberOfSections * 40);
    expect(parsePeLayout(bytes).headersEnd).toBe(304 + 224 + 5 * 40);
  });
});

/**
 * The same edges on images signed by osslsigncode 2.9 after the edit (the edited fields are hashed, so
 * each signature is genuine), with `osslsigncode verify` beside sigscan's verdict. osslsigncode reads the
 * headers at fixed offsets (pe.c pe_ctx_get: e_lfanew + 176 bytes, NumberOfRvaAndSizes >= 5) and never
 * the section table, so it judges NumberOfRvaAndSizes and nothing about the sections.
 */
describe('header bounds against osslsigncode verify', () => {
  let dir: string;
  let pki: TestPki;
  let exe: Uint8Array;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-pefile-'));
    pki = await makeTestPki(dir);
    exe = read(await compileTinyPe(dir));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function signed(name: string, bytes: Uint8Array): Promise<string> {
    const input = join(dir, `${name}.unsigned.exe`);
    writeFileSync(input, bytes);
    return makeSignedPe(pki, input, join(dir, `${name}.exe`));
  }
  const ours = async (file: string) =>
    (await evaluateFile(file, 'pe', await config({ roots: [pki.caPem] }))).map((o) => o.verdict.code);
  const ossl = async (file: string) => (await osslsigncodeVerifyWith(file, { caFile: pki.caPem })).passed;

  it('five data directories, the section table right after them: verified by both', async () => {
    const bytes = exe.slice();
    const f = fields(bytes);
    f.view.setUint16(f.lfanew + 4 + 16, 152, true);
    f.view.setUint32(f.numberOfRvaAndSizes, 5, true);
    bytes.copyWithin(
      f.optionalHeaderOffset + 152,
      f.sectionTableOffset,
      f.sectionTableOffset + f.numberOfSections * 40,
    );
    const file = await signed('nrva5', bytes);
    expect(await ours(file)).toEqual(['CHAIN_VALID']);
    expect(await ossl(file)).toBe(true);
  });

  it('NumberOfRvaAndSizes 4: both refuse (osslsigncode will not even sign it; Windows would call the image unsigned)', async () => {
    const file = await signed('nrva4', exe);
    const bytes = read(file);
    viewOf(bytes).setUint32(fields(bytes).numberOfRvaAndSizes, 4, true);
    writeFileSync(file, bytes);
    await expect(ours(file)).rejects.toMatchObject({ code: 'MALFORMED_PE' });
    expect(await ossl(file)).toBe(false);
  });

  it('96 sections: verified by both; 97: MALFORMED_PE where osslsigncode verifies (sigscan is stricter)', async () => {
    // The PE/COFF spec gives 96 as the loader's limit (Windows XP's); Vista and later load up to 65535,
    // and WinVerifyTrust does not count sections. Refusing is the fail-closed side of that difference.
    const with96 = await signed('sections96', withSectionCount(exe, 96));
    expect(await ours(with96)).toEqual(['CHAIN_VALID']);
    expect(await ossl(with96)).toBe(true);
    const with97 = await signed('sections97', withSectionCount(exe, 97));
    await expect(ours(with97)).rejects.toMatchObject({ code: 'MALFORMED_PE' });
    expect(await ossl(with97)).toBe(true);
  });

  it('a section of no raw data with PointerToRawData past the end of the file: verified by both', async () => {
    const bytes = exe.slice();
    const f = fields(bytes);
    const bss = f.sectionTableOffset + 5 * 40;
    expect(new TextDecoder().decode(bytes.subarray(bss, bss + 4))).toBe('.bss');
    f.view.setUint32(bss + 20, 0xfffffe00, true);
    const file = await signed('bss-far', bytes);
    expect(await ours(file)).toEqual(['CHAIN_VALID']);
    expect(await ossl(file)).toBe(true);
  });

  it('a certificate table entry of size 0 with an offset: no signature for either', async () => {
    const bytes = exe.slice();
    const { certificateDirectoryOffset } = parsePeLayout(bytes);
    viewOf(bytes).setUint32(certificateDirectoryOffset, 0x1000, true);
    const file = join(dir, 'size0.exe');
    writeFileSync(file, bytes);
    expect(await ours(file)).toEqual([]);
    const verify = await osslsigncodeVerifyWith(file, { caFile: pki.caPem });
    expect(verify.passed).toBe(false);
    expect(verify.output).toMatch(/No signature found/);
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  return concatBytes(parts);
}
