import { WIN_CERT_TYPE_PKCS_SIGNED_DATA, type CertificateTable } from './authenticode.js';
import type { PeLayout } from './pe-file.js';

/**
 * Where the certificate table sits and what it holds beyond the one signature: the places where two
 * programs reading the same file could see different bytes or different signatures. Each problem is a
 * reason to refuse the signature (the trust layer makes it `invalid`), except where a real platform
 * documents the layout as legitimate (several records in an EFI image).
 *
 * Rules and where they come from:
 * - Table at the end of the file. osslsigncode pe.c (pe_ctx_get) ignores a signature whose
 *   `sigpos + siglen != filesize`, so it fails the file; bytes after the table are covered by no hash
 *   osslsigncode computes, while signify hashes them: the two disagree on what was signed.
 * - Table outside the headers and every section's raw data. The Authenticode PE spec excludes the table
 *   from the image hash; a table that overlaps loaded bytes makes those bytes unsigned yet executed.
 * - Exactly one WIN_CERTIFICATE, of type PKCS_SIGNED_DATA. Windows (WinVerifyTrust) reads the first
 *   record only, and so does osslsigncode (pe.c pe_pkcs7_get_file; 2.9 even fails a table whose first
 *   rounded dwLength is not the table size, measured on shim): a second record is a signature Windows
 *   never checks. Exception: EFI images (Subsystem 10-13).
 *   UEFI firmware (EDK2 DxeImageVerificationLib, DxeImageVerificationHandler) walks every record and
 *   accepts the image when one is trusted and none is forbidden, and Microsoft ships shim with two
 *   (UEFI CA 2011 and UEFI CA 2023, Debian shim-signed); there each record is verified on its own.
 * - No data in a record after the ContentInfo but the zero padding to the next 8-byte boundary, and zero
 *   alignment padding after dwLength. CVE-2013-3900: WinVerifyTrust with EnableCertPaddingCheck rejects
 *   extraneous bytes in WIN_CERTIFICATE; osslsigncode's d2i_PKCS7 (pe_pkcs7_get_file) ignores them, which
 *   is exactly the gap (data an installer reads, no signature covers).
 */

export type PlacementCode =
  | 'DATA_AFTER_CERTIFICATE_TABLE'
  | 'CERTIFICATE_TABLE_OVERLAPS_HEADERS'
  | 'CERTIFICATE_TABLE_OVERLAPS_SECTION'
  | 'MULTIPLE_CERTIFICATE_RECORDS'
  | 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE'
  | 'NONZERO_CERTIFICATE_PADDING';

export interface PlacementProblem {
  code: PlacementCode;
  /** Refuse the signature (true), or only report (several records in an EFI image). */
  refuse: boolean;
  message: string;
}

/** EFI_APPLICATION, EFI_BOOT_SERVICE_DRIVER, EFI_RUNTIME_DRIVER, EFI_ROM (PE/COFF spec, Windows Subsystem). */
const EFI_SUBSYSTEMS = new Set([10, 11, 12, 13]);

export function isEfiImage(layout: PeLayout): boolean {
  return EFI_SUBSYSTEMS.has(layout.subsystem);
}

export function certificateTablePlacement(layout: PeLayout, table: CertificateTable): PlacementProblem[] {
  const out: PlacementProblem[] = [];
  const { offset, size } = layout.certificateTable;
  if (size === 0) return out;
  const end = offset + size;
  const hex = (n: number) => `0x${n.toString(16)}`;

  if (table.bytesAfterTable > 0) {
    out.push({
      code: 'DATA_AFTER_CERTIFICATE_TABLE',
      refuse: true,
      message: `${table.bytesAfterTable} bytes follow the certificate table, which must end the file (osslsigncode ignores such a signature; no signature covers those bytes for it)`,
    });
  }
  if (offset < layout.headersEnd) {
    out.push({
      code: 'CERTIFICATE_TABLE_OVERLAPS_HEADERS',
      refuse: true,
      message: `the certificate table at ${hex(offset)} starts inside the headers, which end at ${hex(layout.headersEnd)}`,
    });
  }
  for (const s of layout.sections) {
    if (s.sizeOfRawData === 0) continue;
    const sEnd = s.pointerToRawData + s.sizeOfRawData;
    if (offset < sEnd && s.pointerToRawData < end) {
      out.push({
        code: 'CERTIFICATE_TABLE_OVERLAPS_SECTION',
        refuse: true,
        message: `the certificate table [${hex(offset)}, ${hex(end)}) overlaps section ${JSON.stringify(s.name)} [${hex(s.pointerToRawData)}, ${hex(sEnd)}): those bytes are loaded but not hashed`,
      });
    }
  }

  const efi = isEfiImage(layout);
  const allPkcs = table.records.every((r) => r.certificateType === WIN_CERT_TYPE_PKCS_SIGNED_DATA);
  if (table.records.length > 1) {
    const refuse = !(efi && allPkcs);
    out.push({
      code: 'MULTIPLE_CERTIFICATE_RECORDS',
      refuse,
      message: refuse
        ? `the certificate table holds ${table.records.length} WIN_CERTIFICATE records; Windows and osslsigncode read only the first, so the others are signatures they never check`
        : `the certificate table holds ${table.records.length} PKCS #7 records; this EFI image's firmware checks each (Windows would read only the first)`,
    });
  }

  for (const r of table.records) {
    const after = r.afterContentInfo;
    // A ContentInfo that cannot be delimited is a parse failure reported elsewhere.
    if (after && !isAlignmentPadding(8 + r.content.length - after.length, after)) {
      out.push({
        code: 'DATA_AFTER_SIGNATURE_IN_CERTIFICATE',
        refuse: true,
        message: `WIN_CERTIFICATE[${r.index}] holds ${after.length} bytes after its PKCS #7 ContentInfo that are not zero alignment padding (CVE-2013-3900: Windows with EnableCertPaddingCheck refuses it)`,
      });
    }
    if (!isZero(r.alignment)) {
      out.push({
        code: 'NONZERO_CERTIFICATE_PADDING',
        refuse: true,
        message: `the alignment padding after WIN_CERTIFICATE[${r.index}] is not zero`,
      });
    }
  }
  return out;
}

/** Zeros that only reach the 8-byte boundary after a record of `recordLength` bytes (what signtool writes). */
function isAlignmentPadding(recordLength: number, after: Uint8Array): boolean {
  const boundary = Math.ceil(recordLength / 8) * 8;
  return isZero(after) && recordLength + after.length <= boundary;
}

function isZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}
