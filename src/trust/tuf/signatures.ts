import { constants, verify as cryptoVerify, type KeyObject } from 'node:crypto';

import { resolveKey, type ResolvedKey, type TufKey } from '../../formats/tuf/keys.js';
import type { RoleKeys, TufMetadata, TufSignature } from '../../formats/tuf/metadata.js';

export interface SignatureCheck {
  keyid: string;
  method?: string;
  status:
    | 'valid'
    | 'invalid'
    | 'empty'
    | 'unknown-key'
    | 'not-in-role'
    | 'keyid-mismatch'
    | 'bad-key'
    | 'duplicate';
  detail?: string;
}

export interface ThresholdResult {
  /** Distinct role keys (by key content) with a valid signature. */
  validKeyIds: string[];
  threshold: number;
  met: boolean;
  checks: SignatureCheck[];
  /** Keys that signed validly, resolved (certificates for *-x509 keys). */
  signers: Array<{ key: TufKey; resolved: ResolvedKey }>;
}

/**
 * Checks a role file's signatures against the keys and threshold its parent grants it. Each key counts
 * once however many signatures name it (formats.md §5.7); a threshold below 1 is never met.
 */
export function checkThreshold(md: TufMetadata, keys: Map<string, TufKey>, role: RoleKeys): ThresholdResult {
  const allowed = new Set(role.keyids);
  const counted = new Set<string>();
  const checks: SignatureCheck[] = [];
  const signers: ThresholdResult['signers'] = [];
  for (const sig of md.signatures) {
    const check: SignatureCheck = { keyid: sig.keyid, method: sig.method, status: 'invalid' };
    checks.push(check);
    if (sig.sig.length === 0) {
      // tuf-on-ci writes empty placeholders for signers who have not signed yet.
      check.status = 'empty';
      continue;
    }
    const key = keys.get(sig.keyid);
    if (!key) {
      check.status = 'unknown-key';
      continue;
    }
    if (!allowed.has(sig.keyid)) {
      check.status = 'not-in-role';
      continue;
    }
    // Notary refuses a key whose id is not the hash of its content; TUF 1.0 ids are opaque labels.
    if (key.flavour === 'notary' && key.computedId !== key.declaredId) {
      check.status = 'keyid-mismatch';
      check.detail = `key content hashes to ${key.computedId}`;
      continue;
    }
    let resolved: ResolvedKey;
    try {
      resolved = resolveKey(key);
    } catch (err) {
      check.status = 'bad-key';
      check.detail = (err as Error).message;
      continue;
    }
    const result = verifySignature(md.signedBytes, sig, key, resolved.key);
    if (result !== true) {
      check.status = 'invalid';
      check.detail = result;
      continue;
    }
    if (counted.has(key.computedId)) {
      check.status = 'duplicate';
      continue;
    }
    counted.add(key.computedId);
    check.status = 'valid';
    signers.push({ key, resolved });
  }
  const validKeyIds = signers.map((s) => s.key.declaredId);
  return {
    validKeyIds,
    threshold: role.threshold,
    met: role.threshold >= 1 && validKeyIds.length >= role.threshold,
    checks,
    signers,
  };
}

/**
 * One signature over the canonical `signed` bytes (formats.md §5.3). Returns true or the reason it
 * failed. Notary names the scheme per signature (`method`); TUF 1.0 names it per key (`scheme`).
 */
export function verifySignature(
  message: Uint8Array,
  sig: TufSignature,
  key: TufKey,
  pub: KeyObject,
): true | string {
  const scheme = (key.flavour === 'notary' ? sig.method : key.scheme)?.toLowerCase() ?? '';
  const type = pub.asymmetricKeyType;
  try {
    switch (scheme) {
      case 'ecdsa': {
        // Notary: SHA-256 always, raw r||s of fixed size; DER is rejected.
        if (type !== 'ec') return `method ecdsa with a ${type} key`;
        const size = Math.ceil(curveBits(pub) / 8) * 2;
        if (sig.sig.length !== size)
          return `ecdsa signature is ${sig.sig.length} bytes, expected raw r||s of ${size}`;
        return ok(cryptoVerify('sha256', message, { key: pub, dsaEncoding: 'ieee-p1363' }, sig.sig));
      }
      case 'ecdsa-sha2-nistp256':
      case 'ecdsa-sha2-nistp384': {
        if (type !== 'ec') return `${scheme} with a ${type} key`;
        const hash = scheme.endsWith('384') ? 'sha384' : 'sha256';
        return ok(cryptoVerify(hash, message, { key: pub, dsaEncoding: 'der' }, sig.sig));
      }
      case 'rsapss':
        if (type !== 'rsa') return `method rsapss with a ${type} key`;
        return ok(
          cryptoVerify(
            'sha256',
            message,
            { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
            sig.sig,
          ),
        );
      case 'rsassa-pss-sha256':
      case 'pycrypto-pkcs#1 pss':
        if (type !== 'rsa') return `${scheme} with a ${type} key`;
        return ok(
          cryptoVerify(
            'sha256',
            message,
            {
              key: pub,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: constants.RSA_PSS_SALTLEN_AUTO,
            },
            sig.sig,
          ),
        );
      case 'rsapkcs1v15':
      case 'rsa-pkcs1v15-sha256':
        if (type !== 'rsa') return `${scheme} with a ${type} key`;
        return ok(
          cryptoVerify('sha256', message, { key: pub, padding: constants.RSA_PKCS1_PADDING }, sig.sig),
        );
      case 'eddsa':
      case 'ed25519':
        if (type !== 'ed25519') return `${scheme} with a ${type} key`;
        return ok(cryptoVerify(null, message, pub, sig.sig));
      default:
        return `unsupported signature method "${scheme || '(none)'}"`;
    }
  } catch (err) {
    return `verification error: ${(err as Error).message}`;
  }
}

function ok(v: boolean): true | string {
  return v ? true : 'signature does not verify';
}

function curveBits(key: KeyObject): number {
  switch (key.asymmetricKeyDetails?.namedCurve) {
    case 'prime256v1':
      return 256;
    case 'secp384r1':
      return 384;
    case 'secp521r1':
      return 521;
    default:
      return 256;
  }
}
