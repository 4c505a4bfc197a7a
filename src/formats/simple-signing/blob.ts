import { SigscanError } from '../../errors.js';

/**
 * What a stored signature blob is (containers/image `internal/signature.FromBlob`, formats.md §4.1).
 * Lookaside files, `dir:` layouts and the registry extension API all hold the same blob format.
 */
export type SignatureBlob =
  | { format: 'simple-signing'; openpgp: Uint8Array }
  | { format: 'sigstore-json'; json: Uint8Array }
  | { format: 'unknown'; reason: string };

const SELF_DESCRIBING_NAME_MAX = 64;

export function sniffSignatureBlob(blob: Uint8Array): SignatureBlob {
  if (blob.length === 0) return { format: 'unknown', reason: 'the signature blob is empty' };
  const b = blob[0]!;
  // Compressed data (tag 8), one-pass signature (tag 4), signature (tag 2): old- and new-format headers.
  if ((b >= 0xa0 && b <= 0xa3) || b === 0xc8) return { format: 'simple-signing', openpgp: blob };
  if ((b >= 0x90 && b <= 0x93) || b === 0xc4) return { format: 'simple-signing', openpgp: blob };
  if ((b >= 0x88 && b <= 0x8b) || b === 0xc2) return { format: 'simple-signing', openpgp: blob };
  if (b === 0x00) {
    const nl = blob.indexOf(0x0a, 1);
    if (nl === -1 || nl > SELF_DESCRIBING_NAME_MAX) {
      return { format: 'unknown', reason: 'self-describing signature blob without a name line' };
    }
    const name = Buffer.from(blob.subarray(1, nl)).toString('latin1');
    const rest = blob.subarray(nl + 1);
    if (name === 'simple-signing') return { format: 'simple-signing', openpgp: rest };
    if (name === 'sigstore-json') return { format: 'sigstore-json', json: rest };
    return { format: 'unknown', reason: `unknown self-describing signature format "${name}"` };
  }
  if (Buffer.from(blob.subarray(0, 27)).toString('latin1') === '-----BEGIN PGP MESSAGE-----') {
    return { format: 'unknown', reason: 'ASCII-armored OpenPGP message; containers/image reads binary only' };
  }
  const head = Buffer.from(blob.subarray(0, 64)).toString('latin1').trimStart().toLowerCase();
  if (head.startsWith('<!doctype') || head.startsWith('<html')) {
    return { format: 'unknown', reason: 'an HTML page, not a signature (a lookaside server error page?)' };
  }
  return {
    format: 'unknown',
    reason: `not a signature blob (first byte 0x${b.toString(16).padStart(2, '0')})`,
  };
}

/** The OpenPGP message inside a simple-signing blob, or a MALFORMED_SIGNATURE error. */
export function simpleSigningMessage(blob: Uint8Array): Uint8Array {
  const sniffed = sniffSignatureBlob(blob);
  if (sniffed.format === 'simple-signing') return sniffed.openpgp;
  throw new SigscanError(
    'MALFORMED_SIGNATURE',
    sniffed.format === 'sigstore-json' ? 'a sigstore-json blob, not simple signing' : sniffed.reason,
  );
}
