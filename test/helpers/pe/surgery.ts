import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { readElement } from '../../../src/formats/der-reader.js';
import { parsePeLayout, type PeLayout } from '../../../src/formats/pe/pe-file.js';
import { cachedFixtureDir } from '../fixture-cache.js';
import { cachedProcess } from './signed-pe.js';

/**
 * Byte surgery on PE files signed by the real tools (osslsigncode, sbsign): each function writes a new
 * file next to the input and returns its path. Offsets come from parsePeLayout, checked against the
 * reference tools' own reading in the tests that use them.
 */

const run = promisify(execFile);

function load(path: string): { bytes: Uint8Array; view: DataView; layout: PeLayout } {
  const bytes = new Uint8Array(readFileSync(path));
  return { bytes, view: new DataView(bytes.buffer, bytes.byteOffset), layout: parsePeLayout(bytes) };
}

function save(bytes: Uint8Array, path: string): string {
  writeFileSync(path, bytes);
  return path;
}

/** Appends bytes after the certificate table (the table stays where it was; the file grows). */
export function appendAfterTable(input: string, output: string, extra: Uint8Array): string {
  const { bytes } = load(input);
  return save(concat(bytes, extra), output);
}

/**
 * Grows the last WIN_CERTIFICATE record by `extra` bytes placed after its ContentInfo: dwLength and the
 * directory Size grow together, so the table stays consistent and at the end of the file (the
 * CVE-2013-3900 layout: data inside the signature blob that no signature covers).
 */
export function growLastRecord(input: string, output: string, extra: Uint8Array): string {
  const { bytes, view, layout } = load(input);
  const { offset, size } = layout.certificateTable;
  // Walk to the last record.
  let pos = offset;
  let last = offset;
  while (pos + 8 <= offset + size) {
    last = pos;
    pos += Math.ceil(view.getUint32(pos, true) / 8) * 8;
  }
  const dwLength = view.getUint32(last, true);
  const recordEnd = last + dwLength;
  // Content + extra, then re-align the record with zeros.
  const grown = dwLength + extra.length;
  const padding = (8 - (grown % 8)) % 8;
  const out = concat(bytes.subarray(0, recordEnd), extra, new Uint8Array(padding));
  const outView = new DataView(out.buffer, out.byteOffset);
  outView.setUint32(last, grown, true);
  outView.setUint32(layout.certificateDirectoryOffset + 4, out.length - offset, true);
  return save(out, output);
}

/**
 * Sets the first record's dwLength to end exactly at its ContentInfo, so the zeros the signer put inside
 * the record become alignment padding after it (the layout sbsign writes). Legitimate; returns the
 * number of alignment bytes (0 when the ContentInfo already ends on an 8-byte boundary).
 */
export function shrinkToContentInfo(input: string, output: string): number {
  const { bytes, view, layout } = load(input);
  const at = layout.certificateTable.offset;
  const dwLength = view.getUint32(at, true);
  const contentInfo = readElement(bytes.subarray(at + 8, at + dwLength), {
    code: 'MALFORMED_CMS',
    ber: true,
  });
  const exact = 8 + contentInfo.end;
  view.setUint32(at, exact, true);
  save(bytes, output);
  return Math.ceil(exact / 8) * 8 - exact;
}

/** Writes `value` into the bytes of the first record after its ContentInfo (in dwLength or after it). */
export function dirtyAfterContentInfo(input: string, output: string, value = 0x41): number {
  const { bytes, layout } = load(input);
  const at = layout.certificateTable.offset;
  const contentInfo = readElement(bytes.subarray(at + 8), { code: 'MALFORMED_CMS', ber: true });
  const from = at + 8 + contentInfo.end;
  const to = Math.ceil((8 + contentInfo.end) / 8) * 8 + at;
  bytes.fill(value, from, to);
  save(bytes, output);
  return to - from;
}

/** Length of the first WIN_CERTIFICATE record (dwLength). */
export function firstRecordLength(path: string): number {
  const { view, layout } = load(path);
  return view.getUint32(layout.certificateTable.offset, true);
}

/**
 * Signs `unsigned` so that the finished file's certificate table lies inside the last section's raw
 * data (`what: 'section'`) or inside the headers (`what: 'headers'`, SizeOfHeaders covers it). Both
 * fields are in the hashed headers, so they are set BEFORE signing: the signature is genuine and the
 * reference tool accepts it. A trial signature gives the final size (RSA signatures have fixed length).
 */
export async function signWithTableInside(
  what: 'section' | 'headers',
  unsigned: string,
  output: string,
  sign: (input: string, output: string) => Promise<string>,
): Promise<string> {
  const trial = await sign(unsigned, `${output}.trial`);
  const finalSize = readFileSync(trial).length;
  const { bytes, view, layout } = load(unsigned);
  if (bytes.length % 8 !== 0) throw new Error('the unsigned input must be 8-byte aligned');
  if (what === 'section') {
    const headerAt = sectionHeaderOffset(view, layout, layout.sections.length - 1);
    const last = layout.sections[layout.sections.length - 1]!;
    if (last.pointerToRawData + last.sizeOfRawData !== bytes.length) {
      throw new Error('the last section must end the unsigned file');
    }
    view.setUint32(headerAt + 16, finalSize - last.pointerToRawData, true);
  } else {
    view.setUint32(layout.optionalHeaderOffset + 60, finalSize, true);
  }
  const prepared = save(bytes, `${output}.prepared`);
  const signed = await sign(prepared, output);
  if (readFileSync(signed).length !== finalSize) throw new Error('the signature length changed between runs');
  return signed;
}

function sectionHeaderOffset(view: DataView, layout: PeLayout, index: number): number {
  const optionalHeaderSize = view.getUint16(layout.peHeaderOffset + 4 + 16, true);
  return layout.optionalHeaderOffset + optionalHeaderSize + index * 40;
}

/**
 * `int main(){return 0;}` built as an EFI application (Subsystem 10) by mingw-w64, once a day (ld stamps the
 * build time into the COFF header, so a fresh build would miss every cached sbsign and sbverify answer).
 */
export async function compileTinyEfi(dir: string, name = 'tiny.efi'): Promise<string> {
  const built = await cachedFixtureDir('pe-tiny-efi-v1', async (d) => {
    const source = join(d, 'tiny-efi.c');
    writeFileSync(source, 'int main(void) { return 0; }\n');
    await run('x86_64-w64-mingw32-gcc', [
      '-s',
      '-O2',
      '-Wl,--subsystem,10',
      '-o',
      join(d, 'tiny.efi'),
      source,
    ]);
  });
  const output = join(dir, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(built, 'tiny.efi'), output);
  return output;
}

/**
 * sbsign (sbsigntools); on an already signed image it appends a second WIN_CERTIFICATE record. Made once a day
 * for the same input and key (cachedProcess): sbsign puts a signingTime in.
 */
export async function sbsign(key: string, cert: string, input: string, output: string): Promise<string> {
  const { dir, answer } = await cachedProcess(
    'sbsign-v1',
    [{ file: key }, { file: cert }, { file: input }],
    'sbsign',
    (out) => ['--key', key, '--cert', cert, '--output', out('signed'), input],
  );
  if (answer.exitCode !== 0) throw new Error(`sbsign exited with ${answer.exitCode}\n${answer.stderr}`);
  copyFileSync(join(dir, 'signed'), output);
  return output;
}

/** sbverify --cert: passed = exit status 0. sbverify's answer for these bytes, cached for the day. */
export async function sbverify(cert: string, file: string): Promise<{ passed: boolean; output: string }> {
  const { answer } = await cachedProcess('sbverify-v1', [{ file: cert }, { file }], 'sbverify', () => [
    '--cert',
    cert,
    file,
  ]);
  return { passed: answer.exitCode === 0, output: answer.stdout + answer.stderr };
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Replaces the first record's ContentInfo with `content` (dwLength, alignment and the directory Size
 * follow); the table must be the last thing in the file, as osslsigncode writes it.
 */
export function replaceFirstRecordContent(input: string, output: string, content: Uint8Array): string {
  const { bytes, layout } = load(input);
  const at = layout.certificateTable.offset;
  const dwLength = 8 + content.length;
  const padding = (8 - (dwLength % 8)) % 8;
  const out = concat(bytes.subarray(0, at + 8), content, new Uint8Array(padding));
  const view = new DataView(out.buffer, out.byteOffset);
  view.setUint32(at, dwLength, true);
  view.setUint32(layout.certificateDirectoryOffset + 4, out.length - at, true);
  return save(out, output);
}

/** The first record's ContentInfo as stored. */
export function firstRecordContent(path: string): Uint8Array {
  const { bytes, view, layout } = load(path);
  const at = layout.certificateTable.offset;
  const record = bytes.subarray(at + 8, at + view.getUint32(at, true));
  const contentInfo = readElement(record, { code: 'MALFORMED_CMS', ber: true });
  return record.slice(0, contentInfo.end);
}

/**
 * Drops the alignment padding of the first (only) record: dwLength and the directory Size both become
 * the exact end of its ContentInfo and the file ends there, so the table size is not a multiple of 8
 * when the ContentInfo length is not. Returns the new table size.
 */
export function unpadCertificateTable(input: string, output: string): number {
  const { bytes, layout } = load(input);
  const at = layout.certificateTable.offset;
  const contentInfo = readElement(bytes.subarray(at + 8), { code: 'MALFORMED_CMS', ber: true });
  const exact = 8 + contentInfo.end;
  const out = bytes.slice(0, at + exact);
  const outView = new DataView(out.buffer, out.byteOffset);
  outView.setUint32(at, exact, true);
  outView.setUint32(layout.certificateDirectoryOffset + 4, exact, true);
  save(out, output);
  return exact;
}
