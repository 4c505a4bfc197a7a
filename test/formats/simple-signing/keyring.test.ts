/**
 * OpenPGP keyrings as `gpg --export` writes them (binary or `--armor`), with secret keys used for their
 * public half, and the key lookup by (sub)key id that names a signer.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { findKey, parseKeyring, readKeyringFile } from '../../../src/formats/simple-signing/keyring.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { simpleSigningFixtures, type SimpleSigningFixtures } from '../../helpers/simple-signing-fixtures.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');

async function rejection(p: Promise<unknown>): Promise<SigscanError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SigscanError);
  return e as SigscanError;
}

describe('parseKeyring / readKeyringFile', () => {
  let f: SimpleSigningFixtures;
  beforeAll(async () => {
    f = await simpleSigningFixtures();
  });

  it('reads binary and armored exports of the same key alike', async () => {
    const bin = await parseKeyring(await f.file('rsa.gpg'), 'bin');
    const asc = await readKeyringFile(join(f.dir, 'rsa.asc'));
    expect(bin.map((k) => k.getFingerprint().toUpperCase())).toEqual([f.rsaFingerprint]);
    expect(asc.map((k) => k.getFingerprint().toUpperCase())).toEqual([f.rsaFingerprint]);
    const both = await readKeyringFile(join(f.dir, 'both.gpg'));
    expect(both.map((k) => k.getFingerprint().toUpperCase())).toEqual([
      f.rsaFingerprint,
      f.ed25519Fingerprint,
    ]);
  });

  it('a secret-key export counts for its public half only', async () => {
    const keys = await parseKeyring(await f.file('rsa-secret.gpg'), 'secret');
    expect(keys).toHaveLength(1);
    expect(keys[0]!.isPrivate()).toBe(false);
    expect(keys[0]!.getFingerprint().toUpperCase()).toBe(f.rsaFingerprint);
  });

  it('bytes that are no keyring: USAGE, naming the file, with the parser error as cause', async () => {
    const e = await rejection(parseKeyring(new TextEncoder().encode('not a key'), 'keyring x'));
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/^keyring x: not an OpenPGP keyring \(.+\)$/);
    expect(e.cause).toBeInstanceOf(Error);
    expect(e.message).toContain((e.cause as Error).message);
    // A signature is OpenPGP but no key.
    const sig = await rejection(readKeyringFile(join(f.dir, 'plain.sig')));
    expect(
      sig.message.startsWith(`OpenPGP keyring ${join(f.dir, 'plain.sig')}: not an OpenPGP keyring (`),
    ).toBe(true);
  });

  it('a missing file: USAGE with the errno error as cause', async () => {
    const path = join(f.dir, 'no-such-keyring.gpg');
    const e = await rejection(readKeyringFile(path));
    expect(e.code).toBe('USAGE');
    expect((e.cause as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(e.message).toBe(`OpenPGP keyring ${path}: ${(e.cause as Error).message}`);
  });
});

describe('findKey', () => {
  it('finds a primary key and a signing subkey by key id, in any case', async () => {
    const keys = await readKeyringFile(join(DIR, 'pubring.gpg'));
    const sub = await readKeyringFile(join(DIR, 'public-key-with-subkey.gpg'));
    const all = [...keys, ...sub];
    expect(findKey(all, 'e932f44b23e8dd43')?.description).toEqual({
      signingKeyFingerprint: '08CD26E446E2E95249B7A405E932F44B23E8DD43',
      primaryFingerprint: '08CD26E446E2E95249B7A405E932F44B23E8DD43',
      userIds: ['skopeo testing key'],
    });
    const bySub = findKey(all, 'D75B3109B3BAAEAF');
    expect(bySub?.description.primaryFingerprint).toBe('B9F4CDB9FD8C475BFA340AC38D54A947EE396F36');
    expect(bySub?.description.signingKeyFingerprint.endsWith('D75B3109B3BAAEAF')).toBe(true);
    expect(findKey(all, '0000000000000000')).toBeUndefined();
  });
});
