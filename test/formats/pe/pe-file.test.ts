import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { looksLikePe, parsePeLayout, PE32_MAGIC, PE32_PLUS_MAGIC } from '../../../src/formats/pe/pe-file.js';
import { CATALOG_FILE, SIGNIFY_DIR, UNSIGNED_PE } from '../../helpers/pe/corpus.js';

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
