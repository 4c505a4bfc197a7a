/**
 * The pieces that let a PE image too large to hold be read by ranges (sources/fs.ts streams it): the
 * image hash fed chunk by chunk, the headers parsed from a prefix with the real file size, and the
 * certificate table parsed from exactly its bytes. Each must agree with the whole-file reading on real
 * signed images (signify corpus, osslsigncode-signed fixture) and refuse what the whole reading refuses.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { hex } from '../../../src/formats/der.js';
import {
  computeImageHash,
  headerBytesNeeded,
  ImageHasher,
  parsePeLayout,
  readPeAuthenticode,
  readPeAuthenticodeParts,
} from '../../../src/formats/pe/index.js';
import { SIGNED_CORPUS_FILES, SIGNIFY_DIR } from '../../helpers/pe/corpus.js';
import { PROJECT_ROOT } from '../../helpers/tools.js';

const read = (path: string) => new Uint8Array(readFileSync(path));
const SIGNED_EXE = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe');
const UNSIGNED_EXE = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-unsigned.exe');

/** What the streaming reader does: grow the prefix until headerBytesNeeded is satisfied. */
function prefixOf(bytes: Uint8Array): Uint8Array {
  let head = bytes.subarray(0, Math.min(bytes.length, 64));
  for (let need = headerBytesNeeded(head); need > head.length && head.length < bytes.length;) {
    head = bytes.subarray(0, Math.min(bytes.length, need));
    need = headerBytesNeeded(head);
  }
  return head;
}

describe('ImageHasher', () => {
  it('equals computeImageHash for any chunking, signed and unsigned, every algorithm', () => {
    for (const path of [SIGNED_EXE, UNSIGNED_EXE]) {
      for (const extra of [0, 3]) {
        const bytes = new Uint8Array(Buffer.concat([readFileSync(path), Buffer.alloc(extra, 7)]));
        const layout = parsePeLayout(bytes);
        for (const chunk of [1, 7, 4096, bytes.length]) {
          const hasher = new ImageHasher(layout, ['SHA-256', 'SHA-1', 'MD5', 'SHA-384', 'SHA-512', 'GOST']);
          for (let at = 0; at < bytes.length; at += chunk) hasher.update(bytes.subarray(at, at + chunk), at);
          const digests = hasher.digests();
          expect([...digests.keys()]).toEqual(['SHA-256', 'SHA-1', 'MD5', 'SHA-384', 'SHA-512']);
          for (const [algorithm, digest] of digests) {
            expect(hex(digest), `${path} +${extra} by ${chunk}: ${algorithm}`).toBe(
              hex(computeImageHash(bytes, layout, algorithm)),
            );
          }
        }
      }
    }
  });

  it('with no supported algorithm still checks the order and gives no digests', () => {
    const bytes = read(SIGNED_EXE);
    const hasher = new ImageHasher(parsePeLayout(bytes), ['GOST']);
    hasher.update(bytes.subarray(0, 10), 0);
    expect(() => hasher.update(bytes.subarray(11), 11)).toThrow(/fed at 11, expected 10/);
    hasher.update(bytes.subarray(10), 10);
    expect(hasher.digests().size).toBe(0);
  });

  it('refuses chunks out of order and a digest before the end', () => {
    const bytes = read(SIGNED_EXE);
    const hasher = new ImageHasher(parsePeLayout(bytes), ['SHA-256']);
    hasher.update(bytes.subarray(0, 10), 0);
    expect(() => hasher.update(bytes.subarray(11, 20), 11)).toThrow(/fed at 11, expected 10/);
    expect(() => hasher.digests()).toThrow(`image hash fed 10 of ${bytes.length} bytes`);
  });
});

describe('headerBytesNeeded', () => {
  it('asks for the DOS header, then the COFF header, then the optional header and section table', () => {
    const bytes = read(SIGNED_EXE);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const lfanew = view.getUint32(0x3c, true);
    const optionalSize = view.getUint16(lfanew + 20, true);
    const sections = view.getUint16(lfanew + 6, true);
    expect(headerBytesNeeded(bytes.subarray(0, 10))).toBe(0x40);
    expect(headerBytesNeeded(bytes.subarray(0, 0x40))).toBe(lfanew + 24);
    expect(headerBytesNeeded(bytes.subarray(0, lfanew + 23))).toBe(lfanew + 24);
    const all = lfanew + 24 + optionalSize + sections * 40;
    expect(headerBytesNeeded(bytes.subarray(0, lfanew + 24))).toBe(all);
    expect(headerBytesNeeded(bytes)).toBe(all);
  });

  it('caps the section count one past the loader limit, so a huge count asks for little', () => {
    const bytes = Buffer.from(read(SIGNED_EXE));
    const lfanew = bytes.readUInt32LE(0x3c);
    bytes.writeUInt16LE(0xffff, lfanew + 6);
    const optionalSize = bytes.readUInt16LE(lfanew + 20);
    expect(headerBytesNeeded(bytes)).toBe(lfanew + 24 + optionalSize + 97 * 40);
  });
});

describe('reading by parts', () => {
  it.each([...SIGNED_CORPUS_FILES.map((n) => join(SIGNIFY_DIR, n)), SIGNED_EXE, UNSIGNED_EXE])(
    '%s: layout and signatures equal the whole-file reading',
    (path) => {
      const bytes = read(path);
      const head = prefixOf(bytes);
      expect(head.length).toBeLessThan(bytes.length);
      const layout = parsePeLayout(head, bytes.length);
      expect(layout).toEqual(parsePeLayout(bytes));
      const { offset, size } = layout.certificateTable;
      const parts = readPeAuthenticodeParts(layout, bytes.subarray(offset, offset + size));
      const whole = readPeAuthenticode(bytes);
      expect(parts.table).toEqual(whole.table);
      expect(parts.signatures.map((s) => s.signature.location)).toEqual(
        whole.signatures.map((s) => s.signature.location),
      );
      expect(parts.signatures.map((s) => hex(s.signature.indirectData.digest))).toEqual(
        whole.signatures.map((s) => hex(s.signature.indirectData.digest)),
      );
    },
  );

  it('checks sections and the certificate table against the file size, not the prefix', () => {
    const bytes = read(SIGNED_EXE);
    const head = prefixOf(bytes);
    expect(() => parsePeLayout(head, bytes.length - 1)).toThrow(/runs past the end of the \d+-byte file/);
    const lastSection = parsePeLayout(bytes).sections.at(-1)!;
    expect(() => parsePeLayout(head, lastSection.pointerToRawData + lastSection.sizeOfRawData - 1)).toThrow(
      /section .* runs past the end of the file/,
    );
  });

  it('refuses a table given with the wrong length, and a table over the size limit before reading it', () => {
    const bytes = read(SIGNED_EXE);
    const layout = parsePeLayout(bytes);
    const { offset, size } = layout.certificateTable;
    expect(() => readPeAuthenticodeParts(layout, bytes.subarray(offset, offset + size - 8))).toThrow(
      `certificate table given as ${size - 8} bytes, not ${size}`,
    );
    const bounds = {
      maxTableBytes: size - 1,
      maxRecords: 16,
      maxNestingDepth: 4,
      maxNestedPerSignature: 16,
      maxCertificates: 64,
    };
    expect(() => readPeAuthenticodeParts(layout, bytes.subarray(offset, offset + size), bounds)).toThrow(
      `certificate table is ${size} bytes (limit ${size - 1})`,
    );
  });

  it('an unsigned image: no records, nothing after the table', () => {
    const bytes = read(UNSIGNED_EXE);
    const layout = parsePeLayout(bytes);
    expect(readPeAuthenticodeParts(layout, new Uint8Array(0)).table).toEqual({
      records: [],
      misaligned: false,
      bytesAfterTable: 0,
    });
  });

  it('bytes after the table are counted from the file size', () => {
    const bytes = new Uint8Array(Buffer.concat([readFileSync(SIGNED_EXE), Buffer.alloc(24)]));
    const layout = parsePeLayout(prefixOf(bytes), bytes.length);
    const { offset, size } = layout.certificateTable;
    expect(readPeAuthenticodeParts(layout, bytes.subarray(offset, offset + size)).table.bytesAfterTable).toBe(
      24,
    );
  });
});
