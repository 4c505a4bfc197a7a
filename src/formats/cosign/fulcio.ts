import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';

import { extensionValue } from '../x509.js';

const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

/**
 * The OIDC issuer Fulcio recorded in the certificate: the v2 extension holds a DER UTF8String, the
 * deprecated v1 extension the raw string bytes (formats.md §2.6).
 */
export function fulcioIssuer(cert: pkijs.Certificate): { issuer: string; deprecated: boolean } | undefined {
  const v2 = extensionValue(cert, FULCIO_ISSUER_V2);
  if (v2) {
    const parsed = asn1js.fromBER(v2.slice().buffer);
    const block = parsed.result as unknown as { valueBlock?: { value?: unknown } };
    if (parsed.offset !== -1 && typeof block.valueBlock?.value === 'string') {
      return { issuer: block.valueBlock.value, deprecated: false };
    }
  }
  const v1 = extensionValue(cert, FULCIO_ISSUER_V1);
  if (v1) return { issuer: Buffer.from(v1).toString('utf8'), deprecated: true };
  return undefined;
}

/**
 * Both spellings of the Fulcio OIDC issuer, as recorded: v1 (1.3.6.1.4.1.57264.1.1, raw bytes) and
 * v2 (1.3.6.1.4.1.57264.1.8, a DER UTF8String; undefined when it does not decode). Verifiers read
 * different ones, so the trust layer compares them.
 */
export function fulcioIssuerExtensions(cert: pkijs.Certificate): {
  v1?: string;
  v2?: string;
  v2Present: boolean;
} {
  const raw1 = extensionValue(cert, FULCIO_ISSUER_V1);
  const raw2 = extensionValue(cert, FULCIO_ISSUER_V2);
  let v2: string | undefined;
  if (raw2) {
    const parsed = asn1js.fromBER(raw2.slice().buffer);
    const block = parsed.result as unknown as { valueBlock?: { value?: unknown } };
    if (parsed.offset !== -1 && typeof block.valueBlock?.value === 'string') v2 = block.valueBlock.value;
  }
  return {
    v1: raw1 ? Buffer.from(raw1).toString('utf8') : undefined,
    v2,
    v2Present: Boolean(raw2),
  };
}
