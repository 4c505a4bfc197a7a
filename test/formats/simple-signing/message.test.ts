/**
 * The OpenPGP message of a simple signature (formats.md §4.3): messages made by `skopeo standalone-sign`
 * and `gpg --sign` (compressed, uncompressed, two signers, RIPEMD-160, expiring, Ed25519), the
 * containers/image corpus, and packet surgery on them for the shapes no tool writes. containers/image
 * hands the bytes to gpgme (`Verify`, exactly one signature) or x/crypto/openpgp (`md.IsSigned`); the
 * verdicts of `gpg --verify` and `skopeo standalone-verify` on the tool-made inputs sit beside ours.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { parseSimpleSigningMessage } from '../../../src/formats/simple-signing/message.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import {
  concat,
  packet,
  simpleSigningFixtures,
  type SimpleSigningFixtures,
  splitPackets,
  SIGNED_CLAIMS,
  storedCompressed,
} from '../../helpers/simple-signing-fixtures.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');
const corpus = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));

async function refusal(bytes: Uint8Array): Promise<string> {
  const e = await parseSimpleSigningMessage(bytes).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SigscanError);
  expect((e as SigscanError).code).toBe('MALFORMED_SIGNATURE');
  return (e as Error).message;
}

describe('parseSimpleSigningMessage on tool-made messages', () => {
  let f: SimpleSigningFixtures;
  let claim: string;
  beforeAll(async () => {
    f = await simpleSigningFixtures();
    claim = SIGNED_CLAIMS['claim-good']!;
  });

  it('skopeo standalone-sign: compressed, one RSA signature with its issuer fingerprint', async () => {
    expect(f.skopeo['standalone.sig']!.code).toBe(0);
    const m = await parseSimpleSigningMessage(await f.file('standalone.sig'));
    expect(m.structure).toBe('8[4,11]+1sig');
    expect(m.signatures).toHaveLength(1);
    const s = m.signatures[0]!;
    expect(s).toStrictEqual({
      keyId: f.rsaKeyId,
      issuerFingerprint: f.rsaFingerprint,
      created: s.created,
      hashAlgorithm: 'SHA-512',
      publicKeyAlgorithm: 'RSA',
    });
    expect(s.created).toBeInstanceOf(Date);
    // The message handed back is a fresh one, still readable by verify (its packet stream unread).
    expect((await m.message.verify([])).length).toBe(1);
  });

  it('gpg --sign --compress-algo none: one-pass signature, literal, signature at the top level', async () => {
    expect(f.skopeo['plain.sig']!.code).toBe(0);
    const m = await parseSimpleSigningMessage(await f.file('plain.sig'));
    expect(m.structure).toBe('4,11+1sig');
    expect(Buffer.from(m.literal).toString('utf8')).toBe(claim);
  });

  it('two signers: both signatures, in order (gpgme, and so skopeo, wants exactly one)', async () => {
    expect(f.skopeo['two-signers.sig']!.said).toContain('Unexpected GPG signature count 2');
    expect(f.gpg['two-signers.sig']!.code).toBe(0);
    const m = await parseSimpleSigningMessage(await f.file('two-signers.sig'));
    expect(m.structure).toBe('4,4,11+2sig');
    expect(m.signatures.map((s) => [s.keyId, s.hashAlgorithm, s.publicKeyAlgorithm])).toEqual([
      [f.rsaKeyId, 'SHA-512', 'RSA'],
      [f.ed25519KeyId, 'SHA-256', 'EdDSA'],
    ]);
  });

  it('a hash or public-key algorithm without a name is left out, not set to undefined', async () => {
    // RIPEMD-160 (hash 3): gpg and skopeo verify it; it has no name here.
    expect(f.skopeo['ripemd.sig']!.code).toBe(0);
    const ripemd = (await parseSimpleSigningMessage(await f.file('ripemd.sig'))).signatures[0]!;
    expect('hashAlgorithm' in ripemd).toBe(false);
    expect(ripemd.publicKeyAlgorithm).toBe('RSA');
    // Public-key algorithm 2 (RSA encrypt-only) put into the signature packet: parsed, unnamed.
    const [ops, lit, sig] = splitPackets(await f.file('plain.sig'));
    const pk2 = new Uint8Array(sig!.bytes);
    expect([pk2[3], pk2[5]]).toEqual([4, 1]); // v4 signature, RSA
    pk2[5] = 2;
    const s = (await parseSimpleSigningMessage(concat(ops!.bytes, lit!.bytes, pk2))).signatures[0]!;
    expect('publicKeyAlgorithm' in s).toBe(false);
    expect(s.hashAlgorithm).toBe('SHA-512');
  });

  it('Ed25519 signer and a signature expiration (subpacket 3) two days after creation', async () => {
    const ed = (await parseSimpleSigningMessage(await f.file('ed25519.sig'))).signatures[0]!;
    expect([ed.keyId, ed.issuerFingerprint, ed.publicKeyAlgorithm]).toEqual([
      f.ed25519KeyId,
      f.ed25519Fingerprint,
      'EdDSA',
    ]);
    const exp = (await parseSimpleSigningMessage(await f.file('expiring.sig'))).signatures[0]!;
    expect(exp.expires!.getTime() - exp.created!.getTime()).toBe(2 * 86400 * 1000);
    expect('expires' in ed).toBe(false);
  });

  it('a detached signature has no literal data: refused (gpg too needs the data to verify it)', async () => {
    expect(await refusal(await f.file('detached.sig'))).toBe('expected one literal data packet, found 0');
  });

  it('a symmetrically encrypted message (SKESK, SEIPD) and the corpus public-key one are refused', async () => {
    expect(splitPackets(await f.file('symmetric.gpg')).map((p) => p.tag)).toEqual([3, 18]);
    expect(await refusal(await f.file('symmetric.gpg'))).toBe(
      'an encrypted OpenPGP message, not a signature',
    );
    expect(await refusal(corpus('unsigned-encrypted.signature'))).toBe(
      'an encrypted OpenPGP message, not a signature',
    );
  });

  it('an unknown non-critical packet (tag 60) is kept in the structure as -1, top level or compressed', async () => {
    const [ops, lit, sig] = splitPackets(await f.file('plain.sig'));
    const unknown = packet(60, new Uint8Array([1, 2, 3]));
    const top = await parseSimpleSigningMessage(concat(ops!.bytes, unknown, lit!.bytes, sig!.bytes));
    expect(top.structure).toBe('4,-1,11+1sig');
    const inner = await parseSimpleSigningMessage(
      storedCompressed(ops!.bytes, unknown, lit!.bytes, sig!.bytes),
    );
    expect(inner.structure).toBe('8[4,-1,11]+1sig');
    expect(Buffer.from(inner.literal).toString('utf8')).toBe(claim);
    // Besides encryption packets it does not make an encrypted message a signed one.
    const [skesk, seipd] = splitPackets(await f.file('symmetric.gpg'));
    expect(await refusal(concat(skesk!.bytes, unknown, seipd!.bytes))).toBe(
      'an encrypted OpenPGP message, not a signature',
    );
  });

  it('a signature packet first, then the literal (the old signed-message order) is read', async () => {
    const [, lit, sig] = splitPackets(await f.file('plain.sig'));
    const m = await parseSimpleSigningMessage(concat(sig!.bytes, lit!.bytes));
    expect(m.structure).toBe('2,11+1sig');
    expect(m.signatures[0]!.keyId).toBe(f.rsaKeyId);
  });

  it('a one-pass signature whose signature packet cannot be read (version 7) is no signature', async () => {
    const [ops, lit, sig] = splitPackets(await f.file('plain.sig'));
    const v7 = new Uint8Array(sig!.bytes);
    v7[3] = 7;
    expect(await refusal(concat(ops!.bytes, lit!.bytes, v7))).toBe(
      'a one-pass signature without its signature packet',
    );
    // Without the one-pass packet the same leftover is a bare literal message.
    expect(await refusal(concat(v7, lit!.bytes))).toBe('a literal message without a signature');
  });

  it('a signature packet openpgp.js cannot enumerate (signature type 0x99) is unreadable', async () => {
    const [ops, lit, sig] = splitPackets(await f.file('plain.sig'));
    const bad = new Uint8Array(sig!.bytes);
    bad[4] = 0x99;
    expect(await refusal(concat(ops!.bytes, lit!.bytes, bad))).toBe(
      'unreadable signature packet: Invalid enum value.',
    );
  });

  it('grammar errors of openpgp.js: nested compression, missing trailing signature, two literals', async () => {
    const [ops, lit, sig] = splitPackets(await f.file('plain.sig'));
    expect(await refusal(storedCompressed(ops!.bytes, storedCompressed(lit!.bytes), sig!.bytes))).toBe(
      'not an OpenPGP message: Parsing CompressedDataPacket failed: Packet not allowed in this context: compressedData',
    );
    expect(await refusal(concat(ops!.bytes, lit!.bytes))).toBe(
      'not an OpenPGP message: Missing trailing signature packets',
    );
    expect(await refusal(concat(ops!.bytes, lit!.bytes, lit!.bytes, sig!.bytes))).toBe(
      'not an OpenPGP message: Unexpected packet 11 in state 1',
    );
  });
});

describe('parseSimpleSigningMessage on the containers/image corpus', () => {
  it('the unsigned literal message', async () => {
    expect(await refusal(corpus('unsigned-literal.signature'))).toBe('a literal message without a signature');
  });
  it('a corrupt signature still parses (the cryptography is checked later)', async () => {
    const m = await parseSimpleSigningMessage(corpus('corrupt.signature'));
    expect(m.structure).toBe('8[4,11]+1sig');
    expect(m.signatures[0]!.keyId).toBe('E932F44B23E8DD43');
  });
});
