import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { sha256Hex } from '../../../src/formats/der.js';
import {
  DEFAULT_AUTHENTICODE_BOUNDS,
  flattenSignatures,
  parseAuthenticodeSignature,
  readCertificateTable,
  readPeAuthenticode,
  signerAlgorithmName,
} from '../../../src/formats/pe/authenticode.js';
import { parsePeLayout } from '../../../src/formats/pe/pe-file.js';
import { SIGNIFY_DIR, UNSIGNED_PE } from '../../helpers/pe/corpus.js';

const corpus = (name: string) => new Uint8Array(readFileSync(join(SIGNIFY_DIR, name)));

describe('readCertificateTable', () => {
  it('reads the single PKCS #7 record of whois.exe', () => {
    const bytes = corpus('whois.exe');
    const table = readCertificateTable(bytes, parsePeLayout(bytes));
    expect(table.records).toHaveLength(1);
    const [record] = table.records;
    expect(record!.revision).toBe(0x0200);
    expect(record!.certificateType).toBe(0x0002);
    expect(record!.content[0]).toBe(0x30);
    expect(table.bytesAfterTable).toBe(0);
    expect(table.misaligned).toBe(false);
  });

  it('returns no records for an unsigned image', () => {
    const bytes = new Uint8Array(readFileSync(UNSIGNED_PE));
    expect(readCertificateTable(bytes, parsePeLayout(bytes)).records).toEqual([]);
  });

  it('rejects a record whose dwLength is below 8 or beyond the table', () => {
    for (const badLength of [4, 0x7fffffff]) {
      const bytes = corpus('pciide.sys');
      const layout = parsePeLayout(bytes);
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(layout.certificateTable.offset, badLength, true);
      expect(() => readCertificateTable(bytes, layout)).toThrow(/dwLength/);
    }
  });

  it('refuses a table larger than the bound', () => {
    const bytes = corpus('pciide.sys');
    const bounds = { ...DEFAULT_AUTHENTICODE_BOUNDS, maxTableBytes: 1024 };
    expect(() => readCertificateTable(bytes, parsePeLayout(bytes), bounds)).toThrow(SigscanError);
  });
});

describe('readPeAuthenticode', () => {
  it('parses SpcIndirectData, SpcSpOpusInfo and the RFC 3161 timestamp of whois.exe', () => {
    const { signatures } = readPeAuthenticode(corpus('whois.exe'));
    expect(signatures).toHaveLength(1);
    const sig = signatures[0]!.signature;
    expect(sig.location).toBe('certificate-table[0]');
    expect(sig.indirectData.dataType).toBe('1.3.6.1.4.1.311.2.1.15');
    expect(sig.indirectData.digestAlgorithm).toBe('SHA-256');
    expect(sig.digestAlgorithms).toEqual({
      signedData: ['SHA-256'],
      signerInfo: 'SHA-256',
      indirectData: 'SHA-256',
    });
    expect(sig.programName).toBe('Whois');
    expect(sig.moreInfoUrl).toBe('https://www.sysinternals.com');
    expect(sig.indirectData.pageHashes).toBeUndefined();
    expect(signerAlgorithmName(sig.signer)).toBe('SHA256withRSA');
    expect(sig.signerCertificate?.summary.sha256Fingerprint).toBe(
      'b5dc4e58c8afb9688734f6c5cf3ed0d4d89bf8366ace982cc6b6854c480fc82e',
    );
    expect(sig.timestamps.map((t) => t.kind)).toEqual(['rfc3161']);
    expect(sig.timestamps[0]!.time.toISOString()).toBe('2019-12-11T08:40:17.750Z');
    expect(sig.timestampTokensDer).toHaveLength(1);
    expect(sig.problems).toEqual([]);
  });

  it('keeps certificates as the file stores them (fingerprint of the stored DER)', () => {
    const bytes = corpus('7z1900-x64_signed.exe');
    const sig = readPeAuthenticode(bytes).signatures[0]!.signature;
    const haystack = Buffer.from(bytes);
    for (const cert of sig.certificates) {
      expect(haystack.indexOf(Buffer.from(cert.der))).toBeGreaterThan(0);
      expect(cert.summary.sha256Fingerprint).toBe(sha256Hex(cert.der));
    }
    expect(sig.signerCertificate?.summary.sha256Fingerprint).toBe(
      '8dfb90b253159f413236d703a311fa4ac736677d29cc84fc4d16b3b02266fb2f',
    );
    expect(signerAlgorithmName(sig.signer)).toBe('SHA1withECDSA');
  });

  it('holds no view into the scanned file: the evidence outlives the file, and must not pin its bytes', () => {
    // A report keeps every signature's evidence until the scan ends; a view into a 14 MB kernel image
    // kept each whole image alive (RSS grew with the tree's total size: 18 signed kernels, 240 MB).
    for (const name of ['sigcheck.exe', '7z1900-x64_signed.exe', 'whois.exe']) {
      const bytes = corpus(name);
      const views: string[] = [];
      const seen = new Set<unknown>();
      const walk = (value: unknown, path: string): void => {
        if (value === null || typeof value !== 'object' || seen.has(value)) return;
        seen.add(value);
        if (ArrayBuffer.isView(value)) {
          if (value.buffer === bytes.buffer) views.push(path);
          return;
        }
        // Own data properties only: an accessor may build a pkijs object on demand.
        for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(value))) {
          if ('value' in d) walk(d.value, `${path}.${key}`);
        }
      };
      const { signatures } = readPeAuthenticode(bytes);
      expect(signatures.length).toBeGreaterThan(0);
      walk(signatures, name);
      expect(views).toEqual([]);
    }
  });

  it('finds the SHA-256 signature nested in the SHA-1 one of sigcheck.exe, each with its countersignature', () => {
    const primary = readPeAuthenticode(corpus('sigcheck.exe')).signatures[0]!.signature;
    const all = flattenSignatures(primary);
    expect(all.map((s) => [s.location, s.depth, s.indirectData.digestAlgorithm])).toEqual([
      ['certificate-table[0]', 0, 'SHA-1'],
      ['certificate-table[0]/nested[0]', 1, 'SHA-256'],
    ]);
    expect(all.map((s) => s.timestamps.map((t) => t.kind))).toEqual([['pkcs9'], ['rfc3161']]);
  });

  it('stops at the nesting bound and says so', () => {
    const bounds = { ...DEFAULT_AUTHENTICODE_BOUNDS, maxNestingDepth: 0 };
    const primary = readPeAuthenticode(corpus('sigcheck.exe'), bounds).signatures[0]!.signature;
    expect(primary.nested).toEqual([]);
    expect(primary.problems).toEqual(['nested signatures deeper than 0 levels were not read']);
  });

  it('detects v2 page hashes in DXCore.dll and none elsewhere', () => {
    expect(readPeAuthenticode(corpus('DXCore.dll')).signatures[0]!.signature.indirectData.pageHashes).toBe(
      'v2',
    );
    expect(
      readPeAuthenticode(corpus('pciide.sys')).signatures[0]!.signature.indirectData.pageHashes,
    ).toBeUndefined();
  });

  it('reads PKCS #9 countersignatures with the certificate from the parent set', () => {
    const sig = readPeAuthenticode(corpus('SoftwareUpdate.exe')).signatures[0]!.signature;
    expect(sig.indirectData.digestAlgorithm).toBe('MD5');
    const [ts] = sig.timestamps;
    expect(ts!.kind).toBe('pkcs9');
    expect(ts!.time.toISOString()).toBe('2008-07-25T22:21:53.000Z');
    expect(sig.certificates).toContain(ts!.signer!.certificate);
  });

  it('lists non-PKCS #7 records as skipped instead of parsing them', () => {
    const bytes = corpus('pciide.sys');
    const layout = parsePeLayout(bytes);
    new DataView(bytes.buffer, bytes.byteOffset).setUint16(layout.certificateTable.offset + 6, 0x0001, true);
    const pe = readPeAuthenticode(bytes);
    expect(pe.signatures).toEqual([]);
    expect(pe.skippedRecords.map((r) => r.certificateType)).toEqual([0x0001]);
  });

  it('turns a corrupt PKCS #7 blob into MALFORMED_CMS', () => {
    const bytes = corpus('pciide.sys');
    const layout = parsePeLayout(bytes);
    bytes.fill(0xff, layout.certificateTable.offset + 8, layout.certificateTable.offset + 40);
    expect(() => readPeAuthenticode(bytes)).toThrow(expect.objectContaining({ code: 'MALFORMED_CMS' }));
  });

  it('refuses hostile ASN.1 nesting with MALFORMED_CMS instead of overflowing the stack', () => {
    const deep = new Uint8Array(400_000);
    for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
    expect(() => parseAuthenticodeSignature(deep, 'certificate-table[0]')).toThrow(
      expect.objectContaining({ code: 'MALFORMED_CMS' }),
    );
  });
});
