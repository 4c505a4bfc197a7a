import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseCertificate, type ParsedCertificate } from '../../../src/formats/x509.js';

/** Where scripts/fetch-vendor-files.sh puts the vendor-signed files (not committed). */
export const VENDOR_DIR = join(import.meta.dirname, '..', '..', '..', '.cache', 'vendor');

export function vendorFile(name: string): string | undefined {
  const path = join(VENDOR_DIR, name);
  return existsSync(path) ? path : undefined;
}

/**
 * The certificate named `subjectCn` that a binary embeds: shim carries the Debian Secure Boot CA in its
 * .vendor_cert section (shim's build embeds VENDOR_CERT_FILE). Found by its name and checked by parsing.
 */
export function embeddedCertificate(file: string, subjectCn: string): ParsedCertificate {
  const bytes = new Uint8Array(readFileSync(file));
  const at = Buffer.from(bytes).indexOf(Buffer.from(subjectCn));
  for (let i = at; at >= 0 && i > Math.max(0, at - 4096); i--) {
    if (bytes[i] !== 0x30 || bytes[i + 1] !== 0x82) continue;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    try {
      const cert = parseCertificate(bytes.subarray(i, i + 4 + length));
      if (cert.summary.subject === `CN=${subjectCn}`) return cert;
    } catch {
      // Not a certificate starting here.
    }
  }
  throw new Error(`no certificate CN=${subjectCn} embedded in ${file}`);
}

export function toPem(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
