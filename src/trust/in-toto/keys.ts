import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';

import { inTotoKeyId, type InTotoKey } from '../../formats/in-toto/index.js';

/** A key that may sign in-toto metadata, with the scheme it signs with and the ids it is known by. */
export interface InTotoVerifier {
  key: KeyObject;
  /** securesystemslib scheme: `rsassa-pss-sha256`, `ed25519`, `ecdsa-sha2-nistp256`, ... */
  scheme: string;
  /** In-toto key ids this key answers to (computed as securesystemslib does). */
  keyids: string[];
  /** How reports name it: `--key <path>` or `layout key <id8>`. */
  label: string;
}

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The public key a layout lists, as a KeyObject. Throws on key types in-toto does not define. */
export function layoutKeyObject(k: InTotoKey): KeyObject {
  if (k.keytype === 'ed25519') {
    if (!/^[0-9a-f]{64}$/i.test(k.publicKey))
      throw new Error(`ed25519 key ${k.keyid.slice(0, 8)} is not 32 hex bytes`);
    return createPublicKey({
      key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(k.publicKey, 'hex')]),
      format: 'der',
      type: 'spki',
    });
  }
  if (k.keytype === 'rsa' || k.keytype === 'ecdsa' || k.keytype.startsWith('ecdsa-sha2-nistp'))
    return createPublicKey(k.publicKey);
  throw new Error(`key type "${k.keytype}" is not supported`);
}

export function layoutKeyVerifier(k: InTotoKey): InTotoVerifier {
  return {
    key: layoutKeyObject(k),
    scheme: k.scheme,
    keyids: [k.keyid],
    label: `layout key ${k.keyid.slice(0, 8)}`,
  };
}

/**
 * Checks one signature with the scheme named, each scheme spelled out: RSASSA-PSS (MGF1 with the same
 * hash; salt length as the signer chose, securesystemslib uses the digest length), RSA PKCS#1 v1.5,
 * Ed25519 over the raw message, ECDSA with a DER signature. The key type must fit the scheme.
 */
export function verifyScheme(scheme: string, key: KeyObject, message: Uint8Array, sig: Uint8Array): boolean {
  const type = key.asymmetricKeyType;
  try {
    switch (scheme) {
      case 'rsassa-pss-sha224':
      case 'rsassa-pss-sha256':
      case 'rsassa-pss-sha384':
      case 'rsassa-pss-sha512':
        if (type !== 'rsa') return false;
        return verify(
          scheme.slice('rsassa-pss-'.length),
          message,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          sig,
        );
      case 'rsa-pkcs1v15-sha224':
      case 'rsa-pkcs1v15-sha256':
      case 'rsa-pkcs1v15-sha384':
      case 'rsa-pkcs1v15-sha512':
        if (type !== 'rsa') return false;
        return verify(
          scheme.slice('rsa-pkcs1v15-'.length),
          message,
          { key, padding: constants.RSA_PKCS1_PADDING },
          sig,
        );
      case 'ed25519':
        return type === 'ed25519' && verify(null, message, key, sig);
      case 'ecdsa-sha2-nistp256':
        return (
          type === 'ec' &&
          key.asymmetricKeyDetails?.namedCurve === 'prime256v1' &&
          verify('sha256', message, key, sig)
        );
      case 'ecdsa-sha2-nistp384':
        return (
          type === 'ec' &&
          key.asymmetricKeyDetails?.namedCurve === 'secp384r1' &&
          verify('sha384', message, key, sig)
        );
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/**
 * The ways an in-toto tool would describe a user's `--key` (PEM): the schemes it can sign with and the
 * key ids securesystemslib computes for each (PEM without the trailing newline, `keyid_hash_algorithms`
 * `["sha256","sha512"]`). RSA keys get RSASSA-PSS-SHA256 first (in-toto's default), then PKCS#1 v1.5.
 */
export function trustedKeyVerifiers(key: KeyObject, label: string): InTotoVerifier[] {
  const type = key.asymmetricKeyType;
  const pem = (): string => (key.export({ type: 'spki', format: 'pem' }) as string).trim();
  const ids = (keytypes: string[], scheme: string, pub: string): string[] =>
    keytypes.flatMap((keytype) => [
      inTotoKeyId({ keyid_hash_algorithms: ['sha256', 'sha512'], keytype, keyval: { public: pub }, scheme }),
      inTotoKeyId({ keytype, keyval: { public: pub }, scheme }),
    ]);
  if (type === 'rsa') {
    return ['rsassa-pss-sha256', 'rsa-pkcs1v15-sha256'].map((scheme) => ({
      key,
      scheme,
      keyids: ids(['rsa'], scheme, pem()),
      label,
    }));
  }
  if (type === 'ed25519') {
    const raw = (key.export({ type: 'spki', format: 'der' }) as Buffer).subarray(12).toString('hex');
    return [{ key, scheme: 'ed25519', keyids: ids(['ed25519'], 'ed25519', raw), label }];
  }
  if (type === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const scheme = curve === 'secp384r1' ? 'ecdsa-sha2-nistp384' : 'ecdsa-sha2-nistp256';
    return [{ key, scheme, keyids: ids(['ecdsa', scheme], scheme, pem()), label }];
  }
  return [];
}

export type SignatureCheck =
  | { ok: true; by: InTotoVerifier; keyid: string }
  /** `known`: a signature names one of the keys (by key id) but does not verify with it. */
  | { ok: false; known: boolean };

/**
 * Finds a signature that verifies with one of `verifiers`. Key ids are hints: a signature naming a
 * verifier's id is tried with it first; signatures without or with unknown ids are tried with every key
 * ("by trying keys"), since DSSE key ids are optional.
 */
export function checkSignatures(
  signatures: ReadonlyArray<{ keyid?: string; sig: Uint8Array }>,
  message: Uint8Array,
  verifiers: readonly InTotoVerifier[],
): SignatureCheck {
  let known = false;
  for (const v of verifiers) {
    for (const s of signatures) {
      const named = s.keyid !== undefined && v.keyids.includes(s.keyid);
      if (named) known = true;
      if (verifyScheme(v.scheme, v.key, message, s.sig))
        return { ok: true, by: v, keyid: named ? s.keyid! : v.keyids[0]! };
    }
  }
  return { ok: false, known };
}
