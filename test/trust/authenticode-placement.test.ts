import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readCertificateTable } from '../../src/formats/pe/authenticode.js';
import { parsePeLayout } from '../../src/formats/pe/pe-file.js';
import { certificateTablePlacement } from '../../src/formats/pe/placement.js';
import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import {
  appendAfterTable,
  compileTinyEfi,
  dirtyAfterContentInfo,
  growLastRecord,
  sbsign,
  sbverify,
  shrinkToContentInfo,
  signWithTableInside,
} from '../helpers/pe/surgery.js';
import { config, evaluateFile } from './helpers.js';

/**
 * Where the certificate table is and what it holds (src/formats/pe/placement.ts). Every input is signed
 * by the real tool (osslsigncode 2.9, sbsign) and then, where needed, cut by hand; the reference
 * verifiers' verdicts run beside ours:
 * - osslsigncode verify -CAfile <test CA>: `ossl` below (true = exit status 0);
 * - sbverify --cert <test CA> for the sbsign inputs.
 * Where we are stricter than osslsigncode, the rule we follow is Microsoft's (comment per case).
 */

let dir: string;
let pki: TestPki;
let exe: string;
let signed: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-peplace-'));
  pki = await makeTestPki(dir);
  exe = await compileTinyPe(dir);
  signed = await makeSignedPe(pki, exe, join(dir, 'signed.exe'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ours(file: string) {
  const outcomes = await evaluateFile(file, 'pe', await config({ roots: [pki.caPem] }));
  return outcomes.map((o) => ({ status: o.verdict.status, code: o.verdict.code }));
}

async function ossl(file: string): Promise<boolean> {
  return (await osslsigncodeVerifyWith(file, { caFile: pki.caPem })).passed;
}

describe('the certificate table must end the file', () => {
  it('baseline: the osslsigncode-signed file is verified by both', async () => {
    expect(await ours(signed)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect(await ossl(signed)).toBe(true);
  });

  it('data appended after the table: invalid DATA_AFTER_CERTIFICATE_TABLE (osslsigncode: fails too)', async () => {
    const file = appendAfterTable(signed, join(dir, 'appended.exe'), Buffer.from('PAYLOAD!PAYLOAD!'));
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'DATA_AFTER_CERTIFICATE_TABLE' }]);
    expect(await ossl(file)).toBe(false);
  });
});

describe('the certificate table must not overlap the headers or a section', () => {
  const sign = (input: string, output: string) => makeSignedPe(pki, input, output);

  it('last section stretched over the table before signing: invalid CERTIFICATE_TABLE_OVERLAPS_SECTION (osslsigncode accepts)', async () => {
    const file = await signWithTableInside('section', exe, join(dir, 'in-section.exe'), sign);
    // osslsigncode does not compare the table with the section table; the bytes of the table are loaded
    // with the section yet excluded from the image hash, so the signature does not cover what runs.
    expect(await ossl(file)).toBe(true);
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'CERTIFICATE_TABLE_OVERLAPS_SECTION' }]);
  });

  it('SizeOfHeaders stretched over the table before signing: invalid CERTIFICATE_TABLE_OVERLAPS_HEADERS (osslsigncode accepts)', async () => {
    const file = await signWithTableInside('headers', exe, join(dir, 'in-headers.exe'), sign);
    expect(await ossl(file)).toBe(true);
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'CERTIFICATE_TABLE_OVERLAPS_HEADERS' }]);
  });
});

describe('bytes after the PKCS #7 ContentInfo, and the alignment padding (CVE-2013-3900)', () => {
  // osslsigncode parses the record with d2i_PKCS7, which stops after the ContentInfo, so it accepts
  // all of these. Windows with EnableCertPaddingCheck refuses extraneous WIN_CERTIFICATE data; so do we.
  it('16 bytes of data inside the record after the ContentInfo: invalid DATA_AFTER_SIGNATURE_IN_CERTIFICATE', async () => {
    const file = growLastRecord(signed, join(dir, 'grown.exe'), Buffer.from('MALICIOUS-CONFIG'));
    expect(await ossl(file)).toBe(true);
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE' }]);
  });

  it('8 zero bytes inside the record (more than alignment): invalid DATA_AFTER_SIGNATURE_IN_CERTIFICATE', async () => {
    const file = growLastRecord(signed, join(dir, 'grown-zero.exe'), new Uint8Array(8));
    expect(await ossl(file)).toBe(true);
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE' }]);
  });

  it('zero alignment inside dwLength (osslsigncode, signtool) or after it (sbsign) stays verified', async () => {
    const { file, zeros } = await contentInfoNeedingPadding('aligned');
    // osslsigncode itself writes the zeros inside dwLength: that is `file`.
    expect(await ours(file)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    const after = join(dir, 'zeros-after-dwlength.exe');
    expect(shrinkToContentInfo(file, after)).toBe(zeros);
    expect(await ours(after)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect(await ossl(after)).toBe(true);
  });

  it('non-zero alignment padding after dwLength: invalid NONZERO_CERTIFICATE_PADDING', async () => {
    const { file, zeros } = await contentInfoNeedingPadding('dirty');
    const shrunk = join(dir, 'shrunk.exe');
    shrinkToContentInfo(file, shrunk);
    const dirty = join(dir, 'dirty-after-dwlength.exe');
    expect(dirtyAfterContentInfo(shrunk, dirty)).toBe(zeros);
    expect(await ossl(dirty)).toBe(true);
    expect(await ours(dirty)).toEqual([{ status: 'invalid', code: 'NONZERO_CERTIFICATE_PADDING' }]);
  });

  it('non-zero bytes in the padding inside dwLength: invalid DATA_AFTER_SIGNATURE_IN_CERTIFICATE', async () => {
    const { file, zeros } = await contentInfoNeedingPadding('dirty-inside');
    const dirty = join(dir, 'dirty-inside-dwlength.exe');
    expect(dirtyAfterContentInfo(file, dirty)).toBe(zeros);
    expect(await ossl(dirty)).toBe(true);
    expect(await ours(dirty)).toEqual([{ status: 'invalid', code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE' }]);
  });

  /** A signature whose ContentInfo does not end on an 8-byte boundary (the program name moves it). */
  async function contentInfoNeedingPadding(tag: string): Promise<{ file: string; zeros: number }> {
    for (let n = 1; n <= 16; n++) {
      const file = await makeSignedPe(pki, exe, join(dir, `${tag}-${n}.exe`), { programName: 'x'.repeat(n) });
      const zeros = shrinkToContentInfo(file, join(dir, `${tag}-${n}.probe`));
      if (zeros > 0) return { file, zeros };
    }
    throw new Error('no program name gave an unaligned ContentInfo');
  }
});

describe('one WIN_CERTIFICATE record, except in EFI images', () => {
  const leaf = () => join(pki.dir, 'rsa.pem');

  it('Windows PE signed twice by sbsign (two records): invalid MULTIPLE_CERTIFICATE_RECORDS for each (osslsigncode fails; sbverify accepts)', async () => {
    const once = await sbsign(pki.rsaKey, leaf(), exe, join(dir, 'sb1.exe'));
    const twice = await sbsign(pki.rsaKey, leaf(), once, join(dir, 'sb2.exe'));
    // Windows reads only the first record: the second is a signature it never checks.
    expect(await ossl(twice)).toBe(false);
    expect((await sbverify(pki.caPem, twice)).passed).toBe(true);
    expect(await ours(twice)).toEqual([
      { status: 'invalid', code: 'MULTIPLE_CERTIFICATE_RECORDS' },
      { status: 'invalid', code: 'MULTIPLE_CERTIFICATE_RECORDS' },
    ]);
    // One record: all three verify.
    expect(await ours(once)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect(await ossl(once)).toBe(true);
  });

  it('EFI application signed twice by sbsign: each record verified (UEFI firmware checks every record; sbverify accepts)', async () => {
    const efiDir = join(dir, 'efi');
    mkdirSync(efiDir);
    const efi = await compileTinyEfi(efiDir);
    const once = await sbsign(pki.rsaKey, leaf(), efi, join(efiDir, 'sb1.efi'));
    const twice = await sbsign(pki.rsaKey, leaf(), once, join(efiDir, 'sb2.efi'));
    expect((await sbverify(pki.caPem, twice)).passed).toBe(true);
    // osslsigncode 2.9 reads one record only and calls the table corrupt.
    expect(await ossl(twice)).toBe(false);
    expect(await ours(twice)).toEqual([
      { status: 'verified', code: 'CHAIN_VALID' },
      { status: 'verified', code: 'CHAIN_VALID' },
    ]);
  });

  it('EFI application with data after its second record: still invalid', async () => {
    const efiDir = join(dir, 'efi2');
    mkdirSync(efiDir);
    const efi = await compileTinyEfi(efiDir);
    const once = await sbsign(pki.rsaKey, leaf(), efi, join(efiDir, 'sb1.efi'));
    const twice = await sbsign(pki.rsaKey, leaf(), once, join(efiDir, 'sb2.efi'));
    const grown = growLastRecord(twice, join(efiDir, 'grown.efi'), Buffer.from('MALICIOUS-CONFIG'));
    expect(await ours(grown)).toEqual([
      { status: 'invalid', code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE' },
      { status: 'invalid', code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE' },
    ]);
  });
});

/**
 * The edges of each placement rule. Header fields are set before signing (they are hashed), so each
 * signature is genuine; the table itself is not hashed, so edits to it keep the signature valid.
 * tiny.exe (mingw-w64): 14848 bytes (8-byte aligned, so osslsigncode appends the table at 14848), its
 * optional header at 152 (240 bytes), ten sections; the sixth, .bss, has no raw data.
 */
describe('placement at the boundaries', () => {
  const BSS_HEADER = 152 + 240 + 5 * 40;
  const sign = (input: string, output: string) => makeSignedPe(pki, input, output);

  /** A copy of tiny.exe with `change` applied to its bytes, signed by osslsigncode. */
  async function signPrepared(name: string, change: (view: DataView) => void): Promise<string> {
    const bytes = new Uint8Array(readFileSync(exe));
    change(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const prepared = join(dir, `${name}.prepared.exe`);
    writeFileSync(prepared, bytes);
    return sign(prepared, join(dir, `${name}.exe`));
  }

  const findingCodes = async (file: string) =>
    (await evaluateFile(file, 'pe', await config({ roots: [pki.caPem] }))).map((o) =>
      (o.evidence.findings ?? []).map((f) => f.code),
    );

  it('an unsigned image (directory entry 0, size 0) has no placement problem', () => {
    const bytes = new Uint8Array(readFileSync(exe));
    const layout = parsePeLayout(bytes);
    expect(layout.certificateTable).toEqual({ offset: 0, size: 0 });
    expect(certificateTablePlacement(layout, readCertificateTable(bytes, layout))).toEqual([]);
  });

  it('SizeOfHeaders ending exactly where the table starts: verified; one byte further: CERTIFICATE_TABLE_OVERLAPS_HEADERS (osslsigncode accepts both)', async () => {
    const atTable = await signPrepared('soh-at-table', (v) => v.setUint32(152 + 60, 14848, true));
    expect(parsePeLayout(new Uint8Array(readFileSync(atTable))).certificateTable.offset).toBe(14848);
    expect(await ours(atTable)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect(await ossl(atTable)).toBe(true);
    const intoTable = await signPrepared('soh-into-table', (v) => v.setUint32(152 + 60, 14849, true));
    expect(await ours(intoTable)).toEqual([
      { status: 'invalid', code: 'CERTIFICATE_TABLE_OVERLAPS_HEADERS' },
    ]);
    expect(await ossl(intoTable)).toBe(true);
  });

  it('a section of no raw data whose PointerToRawData falls inside the table overlaps nothing: verified by both', async () => {
    const file = await signPrepared('bss-in-table', (v) => v.setUint32(BSS_HEADER + 20, 14848 + 8, true));
    const bss = parsePeLayout(new Uint8Array(readFileSync(file))).sections[5]!;
    expect(bss).toEqual({ name: '.bss', pointerToRawData: 14848 + 8, sizeOfRawData: 0 });
    expect(await ours(file)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect(await ossl(file)).toBe(true);
  });

  it('a section whose raw data starts exactly where the table ends does not overlap it; the data after the table is the only problem', async () => {
    // The signed file's length is known from the baseline signature (an RSA signature's length is fixed).
    const tableEnd = readFileSync(signed).length;
    const prepared = await signPrepared('bss-after-table', (v) => {
      v.setUint32(BSS_HEADER + 16, 16, true); // SizeOfRawData
      v.setUint32(BSS_HEADER + 20, tableEnd, true); // PointerToRawData
    });
    expect(readFileSync(prepared).length).toBe(tableEnd);
    // appendAfterTable would parse the signed file first, where .bss still runs past its end.
    const file = join(dir, 'bss-after-table.appended.exe');
    writeFileSync(file, Buffer.concat([readFileSync(prepared), Buffer.from('SECTION-AFTER-TB')]));
    expect(parsePeLayout(new Uint8Array(readFileSync(file))).sections[5]).toEqual({
      name: '.bss',
      pointerToRawData: tableEnd,
      sizeOfRawData: 16,
    });
    // sigscan hashes the bytes after the table (as signify does), so the appended section also breaks the
    // image hash; what matters here is that no CERTIFICATE_TABLE_OVERLAPS_SECTION is reported.
    expect(await findingCodes(file)).toEqual([['DATA_AFTER_CERTIFICATE_TABLE', 'IMAGE_HASH_MISMATCH']]);
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'DATA_AFTER_CERTIFICATE_TABLE' }]);
    expect(await ossl(file)).toBe(false);
  });

  it('EFI image with a second record that is not PKCS_SIGNED_DATA: invalid MULTIPLE_CERTIFICATE_RECORDS (a record sigscan cannot check)', async () => {
    const efiDir = join(dir, 'efi-guid');
    mkdirSync(efiDir);
    const efi = await compileTinyEfi(efiDir);
    const leaf = join(pki.dir, 'rsa.pem');
    const once = await sbsign(pki.rsaKey, leaf, efi, join(efiDir, 'sb1.efi'));
    const twice = await sbsign(pki.rsaKey, leaf, once, join(efiDir, 'sb2.efi'));
    const bytes = new Uint8Array(readFileSync(twice));
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const { offset } = parsePeLayout(bytes).certificateTable;
    const second = offset + Math.ceil(view.getUint32(offset, true) / 8) * 8;
    expect(view.getUint16(second + 6, true)).toBe(0x0002);
    // WIN_CERT_TYPE_EFI_GUID: EDK2 verifies it when its CertType is the PKCS7 GUID; sigscan does not read it.
    view.setUint16(second + 6, 0x0ef1, true);
    const file = join(efiDir, 'guid.efi');
    writeFileSync(file, bytes);
    expect(await ours(file)).toEqual([{ status: 'invalid', code: 'MULTIPLE_CERTIFICATE_RECORDS' }]);
    expect(await findingCodes(file)).toEqual([
      ['MULTIPLE_CERTIFICATE_RECORDS', 'UNSUPPORTED_CERTIFICATE_RECORD'],
    ]);
  });

  describe('zeros inside dwLength after the ContentInfo', () => {
    /** A signature whose ContentInfo ends 3 to 6 bytes past an 8-byte boundary (2 to 5 zeros of padding). */
    async function signedWithPadding(): Promise<{ file: string; zeros: number }> {
      for (let n = 1; n <= 32; n++) {
        const file = await makeSignedPe(pki, exe, join(dir, `zeros-${n}.exe`), {
          programName: 'y'.repeat(n),
        });
        const zeros = shrinkToContentInfo(file, join(dir, `zeros-${n}.probe`));
        if (zeros >= 2 && zeros <= 5) return { file, zeros };
      }
      throw new Error('no program name gave 2 to 5 zeros of padding');
    }

    it("dwLength one byte short of osslsigncode's (the zeros stop before the boundary, one more follows as alignment): verified by both", async () => {
      const { file, zeros } = await signedWithPadding();
      const bytes = new Uint8Array(readFileSync(file));
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const { offset } = parsePeLayout(bytes).certificateTable;
      const dwLength = view.getUint32(offset, true);
      expect(dwLength % 8).toBe(0);
      view.setUint32(offset, dwLength - 1, true);
      const shorter = join(dir, 'zeros-short.exe');
      writeFileSync(shorter, bytes);
      const [record] = readCertificateTable(bytes, parsePeLayout(bytes)).records;
      expect(record!.afterContentInfo).toEqual(new Uint8Array(zeros - 1));
      expect(record!.alignment).toEqual(new Uint8Array(1));
      expect(await ours(shorter)).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
      expect(await ossl(shorter)).toBe(true);
    });

    it('one zero byte more than the padding (it crosses the boundary): invalid DATA_AFTER_SIGNATURE_IN_CERTIFICATE (osslsigncode accepts)', async () => {
      const { file } = await signedWithPadding();
      const grown = growLastRecord(file, join(dir, 'zeros-grown.exe'), new Uint8Array(1));
      expect(await ours(grown)).toEqual([{ status: 'invalid', code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE' }]);
      expect(await ossl(grown)).toBe(true);
    });
  });
});
