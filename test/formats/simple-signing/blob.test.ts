/**
 * The blob sniffer against containers/image `internal/signature.FromBlob` (signature.go): a bare OpenPGP
 * message is recognised by its first packet header (compressed data, one-pass signature or signature,
 * old and new format); `\0<name>\n` marks the self-describing format; anything else is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { simpleSigningMessage, sniffSignatureBlob } from '../../../src/formats/simple-signing/blob.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { simpleSigningFixtures } from '../../helpers/simple-signing-fixtures.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

function reasonOf(blob: Uint8Array): string {
  const s = sniffSignatureBlob(blob);
  return s.format === 'unknown' ? s.reason : s.format;
}

describe('sniffSignatureBlob: the first byte of a bare OpenPGP message', () => {
  // Old-format headers carry the tag in bits 5..2 and a length type in bits 1..0, new-format ones
  // (0xc0 | tag) the whole tag: every header of tags 8, 4 and 2 is taken, its neighbours are not.
  // containers/image's switch lists 0x3d where its comment means 0x93 (a typo): an indeterminate-length
  // one-pass signature runs to the end of the blob, so no literal packet can follow and the message
  // parser refuses it either way; 0x3d is refused here as text.
  const openpgp = [0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x93, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2];
  for (const b of openpgp) {
    it(`0x${b.toString(16)} starts a simple-signing message, returned as is`, () => {
      const blob = bytes(b, 1, 2);
      const s = sniffSignatureBlob(blob);
      expect(s).toEqual({ format: 'simple-signing', openpgp: blob });
      expect(s.format === 'simple-signing' && s.openpgp).toBe(blob);
    });
  }
  // 0x9f/0xa4 border tag 8, 0x8f/0x94 tag 4, 0x87/0x8c tag 2; 0xc1/0xc3/0xc9 the new-format neighbours.
  const refused = [0x9f, 0xa4, 0x8f, 0x94, 0x87, 0x8c, 0xc1, 0xc3, 0xc5, 0xc7, 0xc9, 0x3d, 0x05, 0xff];
  for (const b of refused) {
    it(`0x${b.toString(16).padStart(2, '0')} is not a signature blob`, () => {
      expect(sniffSignatureBlob(bytes(b, 1, 2))).toEqual({
        format: 'unknown',
        reason: `not a signature blob (first byte 0x${b.toString(16).padStart(2, '0')})`,
      });
    });
  }

  it('an empty blob', () => {
    expect(sniffSignatureBlob(new Uint8Array())).toEqual({
      format: 'unknown',
      reason: 'the signature blob is empty',
    });
  });

  it('the containers/image corpus signatures (compressed, 0xa3) and skopeo standalone-sign output', async () => {
    const corpus = new Uint8Array(readFileSync(join(DIR, 'image.signature')));
    expect(corpus[0]).toBe(0xa3);
    expect(sniffSignatureBlob(corpus).format).toBe('simple-signing');
    const f = await simpleSigningFixtures();
    expect(f.skopeo['standalone.sig']!.code).toBe(0);
    expect(sniffSignatureBlob(await f.file('standalone.sig')).format).toBe('simple-signing');
    // gpg --sign --compress-algo none starts with the one-pass signature packet (old format, 0x90).
    const plain = await f.file('plain.sig');
    expect(plain[0]).toBe(0x90);
    expect(sniffSignatureBlob(plain)).toEqual({ format: 'simple-signing', openpgp: plain });
    // A detached signature starts with the signature packet itself (0x89).
    const detached = await f.file('detached.sig');
    expect(detached[0]).toBe(0x89);
    expect(sniffSignatureBlob(detached)).toEqual({ format: 'simple-signing', openpgp: detached });
  });

  it('the encrypted corpus message (a PKESK packet first) is refused by its first byte', () => {
    const enc = new Uint8Array(readFileSync(join(DIR, 'unsigned-encrypted.signature')));
    expect(reasonOf(enc)).toBe(
      `not a signature blob (first byte 0x${enc[0]!.toString(16).padStart(2, '0')})`,
    );
  });
});

describe('sniffSignatureBlob: the self-describing format (\\0<name>\\n<data>)', () => {
  let image: Uint8Array;
  beforeAll(() => {
    image = new Uint8Array(readFileSync(join(DIR, 'image.signature')));
  });

  it('simple-signing: the OpenPGP message is exactly what follows the newline', () => {
    const blob = new Uint8Array(Buffer.concat([latin1('\0simple-signing\n'), image]));
    const s = sniffSignatureBlob(blob);
    expect(s.format).toBe('simple-signing');
    expect(s.format === 'simple-signing' && Buffer.from(s.openpgp).equals(image)).toBe(true);
  });

  it('sigstore-json: the JSON is exactly what follows the newline', () => {
    expect(sniffSignatureBlob(latin1('\0sigstore-json\n{"a":1}'))).toEqual({
      format: 'sigstore-json',
      json: latin1('{"a":1}'),
    });
  });

  it('an unknown name is refused by name', () => {
    expect(reasonOf(latin1('\0cosign\n{}'))).toBe('unknown self-describing signature format "cosign"');
    // The name must match whole: a prefix of sigstore-json is not sigstore-json.
    expect(reasonOf(latin1('\0sigstore\n{}'))).toBe('unknown self-describing signature format "sigstore"');
  });

  it('no newline, or none within 64 bytes, is no name line', () => {
    const none = 'self-describing signature blob without a name line';
    expect(reasonOf(latin1('\0simple-signing'))).toBe(none);
    expect(reasonOf(latin1('\0'))).toBe(none);
    // The newline at offset 64 ends a 63-byte name; at 65 it is too far.
    expect(reasonOf(latin1(`\0${'n'.repeat(63)}\nx`))).toBe(
      `unknown self-describing signature format "${'n'.repeat(63)}"`,
    );
    expect(reasonOf(latin1(`\0${'n'.repeat(64)}\nx`))).toBe(none);
  });
});

describe('sniffSignatureBlob: text that is not a signature', () => {
  it('an ASCII-armored message (containers/image reads binary only)', () => {
    expect(reasonOf(latin1('-----BEGIN PGP MESSAGE-----\n\nowGbwMvMwMF4\n'))).toBe(
      'ASCII-armored OpenPGP message; containers/image reads binary only',
    );
    // An armored detached signature is not the armored message form: refused by its first byte.
    expect(reasonOf(latin1('-----BEGIN PGP SIGNATURE-----\n'))).toBe(
      'not a signature blob (first byte 0x2d)',
    );
  });

  it('an HTML error page, whatever its case and leading white space', () => {
    const html = 'an HTML page, not a signature (a lookaside server error page?)';
    expect(reasonOf(latin1('<!DOCTYPE html><title>404</title>'))).toBe(html);
    expect(reasonOf(latin1('\r\n  <HTML><body>Not Found</body></HTML>'))).toBe(html);
    expect(reasonOf(latin1('<html>'))).toBe(html);
    // Text merely ending in an HTML tag is not an HTML page.
    expect(reasonOf(latin1('x <!doctype'))).toBe('not a signature blob (first byte 0x78)');
    expect(reasonOf(latin1('{"error":"<html"}'))).toBe('not a signature blob (first byte 0x7b)');
  });
});

describe('simpleSigningMessage', () => {
  it('hands back the OpenPGP message of a bare or self-describing blob', () => {
    const image = new Uint8Array(readFileSync(join(DIR, 'image.signature')));
    expect(simpleSigningMessage(image)).toBe(image);
    const wrapped = new Uint8Array(Buffer.concat([latin1('\0simple-signing\n'), image]));
    expect(Buffer.from(simpleSigningMessage(wrapped)).equals(image)).toBe(true);
  });

  it('refuses the rest as MALFORMED_SIGNATURE, with the sniffer reason', () => {
    const refusal = (blob: Uint8Array): { code: string; message: string } => {
      try {
        simpleSigningMessage(blob);
      } catch (e) {
        expect(e).toBeInstanceOf(SigscanError);
        return { code: (e as SigscanError).code, message: (e as Error).message };
      }
      throw new Error('accepted');
    };
    expect(refusal(latin1('\0sigstore-json\n{}'))).toEqual({
      code: 'MALFORMED_SIGNATURE',
      message: 'a sigstore-json blob, not simple signing',
    });
    expect(refusal(new Uint8Array())).toEqual({
      code: 'MALFORMED_SIGNATURE',
      message: 'the signature blob is empty',
    });
    expect(refusal(latin1('<html>'))).toEqual({
      code: 'MALFORMED_SIGNATURE',
      message: 'an HTML page, not a signature (a lookaside server error page?)',
    });
  });
});
