import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

import { SigscanError } from '../../errors.js';
import { parseCertificate, pemCertificates, type ParsedCertificate } from '../x509.js';
import { canonicalJson } from './canonical.js';

/** `notary`: docker/notary metadata (`_type: "Root"`, base64 everywhere); `tuf`: TUF 1.0 (python-tuf, sigstore). */
export type TufFlavour = 'notary' | 'tuf';

/** A key as a Root or a delegation declares it. */
export interface TufKey {
  /** The id the metadata files it under. */
  declaredId: string;
  /** The id recomputed from the key's content (formats.md §5.2). */
  computedId: string;
  keytype: string;
  /** TUF 1.0 signing scheme (`ed25519`, `rsassa-pss-sha256`, `ecdsa-sha2-nistp256`). */
  scheme?: string;
  /** `keyval.public` as written. */
  public: string;
  flavour: TufFlavour;
}

/** The usable form of a key: the public key and, for `*-x509` key types, the certificate carrying it. */
export interface ResolvedKey {
  key: KeyObject;
  certificate?: ParsedCertificate;
}

/** Reads one entry of a `keys` map; throws on shapes that are not keys. */
export function parseTufKey(declaredId: string, raw: unknown, flavour: TufFlavour): TufKey {
  const k = raw as { keytype?: unknown; scheme?: unknown; keyval?: { public?: unknown } };
  if (!k || typeof k !== 'object' || typeof k.keytype !== 'string' || typeof k.keyval?.public !== 'string') {
    throw new SigscanError('MALFORMED_ENVELOPE', `TUF key ${declaredId} has no keytype or keyval.public`);
  }
  return {
    declaredId,
    computedId: computeKeyId(raw as Record<string, unknown>, flavour),
    keytype: k.keytype,
    scheme: typeof k.scheme === 'string' ? k.scheme : undefined,
    public: k.keyval.public,
    flavour,
  };
}

/**
 * Notary: SHA-256 of canonical `{"keytype":…,"keyval":{"private":null,"public":…}}` (checked on the
 * corpus). TUF 1.0 (securesystemslib): SHA-256 of the canonical key object without `keyid` and
 * without private material. TUF 1.0 does not require ids to be content hashes (sigstore's are not
 * always), so only notary treats a mismatch as fatal.
 */
export function computeKeyId(raw: Record<string, unknown>, flavour: TufFlavour): string {
  const keyval = raw['keyval'] as Record<string, unknown>;
  let obj: Record<string, unknown>;
  if (flavour === 'notary') {
    obj = { keytype: raw['keytype'], keyval: { private: null, public: keyval['public'] } };
  } else {
    const { keyid: _id, ...rest } = raw;
    const { private: _priv, ...pub } = keyval;
    obj = { ...rest, keyval: pub };
  }
  return createHash('sha256').update(canonicalJson(obj)).digest('hex');
}

/** Turns a declared key into a Node public key, reading x509 certificates where the key type says so. */
export function resolveKey(key: TufKey): ResolvedKey {
  const type = key.keytype.toLowerCase();
  try {
    if (key.flavour === 'notary') {
      const bytes = Buffer.from(key.public, 'base64');
      switch (type) {
        case 'ecdsa':
        case 'rsa':
          return { key: createPublicKey({ key: bytes, format: 'der', type: 'spki' }) };
        case 'ecdsa-x509':
        case 'rsa-x509': {
          const pem = bytes.toString('latin1');
          const der = pemCertificates(pem)[0];
          if (!der) throw new Error('no PEM certificate in keyval.public');
          const certificate = parseCertificate(der);
          return { key: createPublicKey(pem), certificate };
        }
        case 'ed25519':
          return { key: ed25519Key(bytes) };
        default:
          throw new Error(`unsupported notary key type ${key.keytype}`);
      }
    }
    // TUF 1.0: PEM for rsa/ecdsa, hex for ed25519.
    if (type === 'ed25519') return { key: ed25519Key(Buffer.from(key.public, 'hex')) };
    if (key.public.includes('-----BEGIN CERTIFICATE-----')) {
      const der = pemCertificates(key.public)[0]!;
      return { key: createPublicKey(key.public), certificate: parseCertificate(der) };
    }
    if (key.public.includes('-----BEGIN')) return { key: createPublicKey(key.public) };
    throw new Error(`unsupported TUF key encoding for ${key.keytype}`);
  } catch (err) {
    if (err instanceof SigscanError) throw err;
    throw new SigscanError(
      'MALFORMED_SIGNATURE',
      `TUF key ${key.declaredId.slice(0, 12)} (${key.keytype}): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function ed25519Key(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error(`ed25519 public key is ${raw.length} bytes, not 32`);
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') },
    format: 'jwk',
  });
}

/** SHA-256 of the DER SubjectPublicKeyInfo: how a pinned `--key` is matched against metadata keys. */
export function spkiSha256(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}
