/**
 * ir-sign (Samsung ISLET image registry) OCI-annotation signatures (formats.md §8): three hex-encoded
 * manifest annotations. The vendor key (DER SPKI, P-384) is signed by a root CA key, and the vendor key
 * signs the raw config blob bytes. No certificates, no timestamps.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

import type { Finding } from '../model/index.js';

export const IR_SIGN_SIGNATURE = 'com.samsung.islet.image.signature';
export const IR_SIGN_VENDORPUB = 'com.samsung.islet.image.vendorpub';
export const IR_SIGN_VENDORPUB_SIGNATURE = 'com.samsung.islet.image.vendorpub.signature';
/** Only on old placeholder manifests (`TODO: certificate`). */
export const IR_SIGN_CERTIFICATE = 'com.samsung.islet.image.certificate';

export const IR_SIGN_ANNOTATIONS = [
  IR_SIGN_SIGNATURE,
  IR_SIGN_VENDORPUB,
  IR_SIGN_VENDORPUB_SIGNATURE,
  IR_SIGN_CERTIFICATE,
] as const;

export interface IrSignAnnotations {
  /** Which of the ir-sign annotation keys the manifest carries. */
  present: string[];
  /** `TODO: signature` style placeholders: detected as unsigned, never verified. */
  placeholder: boolean;
  /** Decoded values; absent when missing or malformed (a finding says which). */
  signature?: Uint8Array;
  vendorPub?: Uint8Array;
  vendorPubSignature?: Uint8Array;
  findings: Finding[];
}

/** Undefined when the manifest carries none of the ir-sign annotations. */
export function readIrSignAnnotations(
  annotations: Record<string, string> | undefined,
): IrSignAnnotations | undefined {
  if (!annotations) return undefined;
  const present = IR_SIGN_ANNOTATIONS.filter((k) => typeof annotations[k] === 'string');
  if (!present.length) return undefined;
  const findings: Finding[] = [];
  const placeholder = present.some((k) => /^\s*TODO\b/i.test(annotations[k]!));
  const out: IrSignAnnotations = { present: [...present], placeholder, findings };
  if (placeholder) return out;

  const decode = (key: string): Uint8Array | undefined => {
    const value = annotations[key];
    if (value === undefined) {
      findings.push({
        code: 'ANNOTATION_MISSING',
        severity: 'integrity',
        message: `the manifest carries ir-sign annotations but not ${key}`,
      });
      return undefined;
    }
    const decoded = decodeHex(value);
    if (typeof decoded === 'string') {
      findings.push({ code: 'ANNOTATION_MALFORMED', severity: 'integrity', message: `${key}: ${decoded}` });
      return undefined;
    }
    if (/[A-F]/.test(value)) {
      findings.push({
        code: 'ANNOTATION_UPPERCASE_HEX',
        severity: 'info',
        message: `${key} is uppercase hex; ir-sign writes lowercase`,
      });
    }
    return decoded;
  };
  const signature = decode(IR_SIGN_SIGNATURE);
  const vendorPub = decode(IR_SIGN_VENDORPUB);
  const vendorPubSignature = decode(IR_SIGN_VENDORPUB_SIGNATURE);
  if (signature) out.signature = signature;
  if (vendorPub) out.vendorPub = vendorPub;
  if (vendorPubSignature) out.vendorPubSignature = vendorPubSignature;
  for (const [key, sig, code] of [
    [IR_SIGN_SIGNATURE, signature, 'CONFIG_SIGNATURE_INVALID'],
    [IR_SIGN_VENDORPUB_SIGNATURE, vendorPubSignature, 'VENDOR_SIGNATURE_INVALID'],
  ] as const) {
    if (sig && !isDerEcdsaSignature(sig)) {
      findings.push({
        code,
        severity: 'integrity',
        message:
          `${key} is not a DER ECDSA-Sig-Value` +
          (sig.length === 96 ? ' (it looks like a raw r||s P-384 signature)' : ''),
      });
    }
  }
  return out;
}

/** Strict hex: even length, [0-9a-fA-F] only, no `0x`. Returns an error message on failure. */
export function decodeHex(value: string): Uint8Array | string {
  if (/^0x/i.test(value)) return 'hex with a 0x prefix';
  if (value.length === 0) return 'empty value';
  if (value.length % 2 !== 0) return 'odd-length hex';
  if (!/^[0-9a-fA-F]+$/.test(value)) return 'not hex (base64 or PEM by mistake?)';
  return Uint8Array.from(Buffer.from(value, 'hex'));
}

/** `SEQUENCE { INTEGER r, INTEGER s }` with short or long-form lengths covering the whole input. */
export function isDerEcdsaSignature(bytes: Uint8Array): boolean {
  if (bytes.length < 8 || bytes[0] !== 0x30) return false;
  let i = 1;
  const readLen = (): number | undefined => {
    const first = bytes[i++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    if (first !== 0x81) return undefined;
    return bytes[i++];
  };
  const seqLen = readLen();
  if (seqLen === undefined || i + seqLen !== bytes.length) return false;
  for (let n = 0; n < 2; n++) {
    if (bytes[i++] !== 0x02) return false;
    const len = readLen();
    if (len === undefined || len === 0 || i + len > bytes.length) return false;
    i += len;
  }
  return i === bytes.length;
}

/** Parses the vendor key: DER SPKI on P-384, or an error message. */
export function parseVendorKey(der: Uint8Array): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  } catch (err) {
    return `the vendor public key is not a DER SubjectPublicKeyInfo (${(err as Error).message})`;
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || curve !== 'secp384r1') {
    return `the vendor public key is ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''}, not ECDSA P-384`;
  }
  return key;
}
