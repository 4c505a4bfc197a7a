import { readFile } from 'node:fs/promises';

import { readKeys, type Key, type PublicKey } from 'openpgp';

import { SigscanError } from '../../errors.js';

/** An OpenPGP keyring (`gpg --export` binary, or ASCII-armored), possibly holding several keys. */
export async function parseKeyring(bytes: Uint8Array, what: string): Promise<PublicKey[]> {
  const text = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  let keys: Key[];
  try {
    keys = text.includes('-----BEGIN PGP')
      ? await readKeys({ armoredKeys: Buffer.from(bytes).toString('utf8') })
      : await readKeys({ binaryKeys: bytes });
  } catch (err) {
    throw new SigscanError('USAGE', `${what}: not an OpenPGP keyring (${(err as Error).message})`, {
      cause: err,
    });
  }
  // Private keys in a keyring are used for their public half only.
  return keys.map((k) => (k.isPrivate() ? k.toPublic() : (k as PublicKey)));
}

export async function readKeyringFile(path: string): Promise<PublicKey[]> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (err) {
    throw new SigscanError('USAGE', `OpenPGP keyring ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseKeyring(bytes, `OpenPGP keyring ${path}`);
}

/** What reports say about a key that issued a signature. */
export interface KeyDescription {
  /** Fingerprint of the (sub)key whose id the signature names, upper-case hex. */
  signingKeyFingerprint: string;
  primaryFingerprint: string;
  userIds: string[];
}

/** The key in `keys` holding a (sub)key with this 16-hex key id, or undefined. */
export function findKey(
  keys: readonly PublicKey[],
  keyId: string,
): { key: PublicKey; description: KeyDescription } | undefined {
  const wanted = keyId.toLowerCase();
  for (const key of keys) {
    for (const k of [key, ...key.getSubkeys()]) {
      if (k.getKeyID().toHex() === wanted) {
        return {
          key,
          description: {
            signingKeyFingerprint: k.getFingerprint().toUpperCase(),
            primaryFingerprint: key.getFingerprint().toUpperCase(),
            userIds: key.getUserIDs(),
          },
        };
      }
    }
  }
  return undefined;
}
