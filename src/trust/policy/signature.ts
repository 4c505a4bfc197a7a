import { verify, type PublicKey } from 'openpgp';

import { describeError } from '../../errors.js';
import {
  findKey,
  parseClaim,
  parseSimpleSigningMessage,
  sniffSignatureBlob,
  type KeyDescription,
  type SimpleSigningClaim,
} from '../../formats/simple-signing/index.js';
import type { VerdictStatus } from '../../model/index.js';

export type BlobCheck =
  | { ok: true; claim: SimpleSigningClaim; key: KeyDescription; keyId: string; created?: Date }
  | { ok: false; status: VerdictStatus; code: string; message: string; keyId?: string };

/**
 * The containers-signature(5) check of one blob against trusted keys, in its order: a signed
 * message, a known (sub)key, a valid signature that has not expired from a key valid (not expired, not
 * revoked) now — the time of the check, see `keyValidAt` — and only then the strict claim parse. Digest and identity are the
 * caller's (they depend on the image and the policy).
 */
export async function checkSimpleSignature(
  blob: Uint8Array,
  keys: readonly PublicKey[],
  now: Date,
): Promise<BlobCheck> {
  const sniffed = sniffSignatureBlob(blob);
  if (sniffed.format !== 'simple-signing') {
    const why = sniffed.format === 'unknown' ? sniffed.reason : 'a sigstore-json blob';
    return { ok: false, status: 'invalid', code: 'NOT_A_SIGNATURE', message: why };
  }
  let parsed;
  try {
    parsed = await parseSimpleSigningMessage(sniffed.openpgp);
  } catch (err) {
    return { ok: false, status: 'invalid', code: 'NOT_A_SIGNATURE', message: describeError(err).message };
  }
  if (parsed.signatures.length !== 1) {
    return {
      ok: false,
      status: 'invalid',
      code: 'MULTIPLE_SIGNATURES',
      message: `the message carries ${parsed.signatures.length} signatures; simple signing expects one`,
    };
  }
  const keyId = parsed.signatures[0]!.keyId;
  const found = findKey(keys, keyId);
  if (!found) {
    const fpr = parsed.signatures[0]!.issuerFingerprint;
    return {
      ok: false,
      status: 'untrusted',
      code: 'UNKNOWN_SIGNER',
      message: `signed by OpenPGP key ${fpr ?? keyId}, which is not in the trusted keyrings`,
      keyId,
    };
  }
  try {
    const result = await verify({
      message: parsed.message,
      verificationKeys: [found.key],
      date: now,
      format: 'binary',
      expectSigned: true,
    });
    const [sig] = result.signatures;
    if (!sig) throw new Error('no signature');
    await sig.verified;
  } catch (err) {
    return { ...mapOpenPgpError((err as Error).message ?? String(err)), keyId };
  }
  const validity = await keyValidAt(found.key, keyId, now);
  if (validity) return { ...validity, keyId };
  const who = describeKey(found.description);
  let claim: SimpleSigningClaim;
  try {
    claim = parseClaim(parsed.literal);
  } catch (err) {
    return {
      ok: false,
      status: 'invalid',
      code: 'MALFORMED_CLAIM',
      message: `good signature by ${who}, but ${describeError(err).message}`,
      keyId,
    };
  }
  return { ok: true, claim, key: found.description, keyId, created: parsed.signatures[0]!.created };
}

/**
 * The signing (sub)key must be valid — not expired, not revoked, bound and signing-capable — at the
 * time of the check (`--at`, or now), never only at the creation time the signature declares: the
 * signer chooses that time, so a holder of an expired or revoked key can back-date a signature into
 * the key's lifetime. openpgp.js's `verify` judges the key at the signature's creation time; gpgme,
 * which containers/image uses (signature/mechanism_gpgme.go `Verify`: any `sig.Status`, `Validity
 * == Never` or `ValidityReason` is refused), reports EXPKEYSIG/REVKEYSIG for a key expired or revoked
 * now, whatever the signature claims. Simple signing has no trusted timestamp that could vouch for an
 * earlier time.
 *
 * Subkeys: containers/image refused signatures by a subkey up to v5.36.1 (simple.go
 * `verifyAndExtractSignature` compared the subkey fingerprint gpgme returns with the primary
 * fingerprints of the keyring) and accepts them since commit 3ad129be ("Also accept subkey signatures
 * in simple signing", containers/image main, July 2025: `keyIdentityForVerificationKeyIdentity` maps the
 * subkey to its primary key). sigscan follows the current behaviour, with the subkey judged at the time
 * of the check like a primary key.
 */
async function keyValidAt(
  key: PublicKey,
  keyId: string,
  now: Date,
): Promise<{ ok: false; status: VerdictStatus; code: string; message: string } | undefined> {
  const signing = [key, ...key.getSubkeys()].find((k) => k.getKeyID().toHex() === keyId.toLowerCase());
  try {
    await key.getSigningKey(signing?.getKeyID(), now);
    return undefined;
  } catch (err) {
    const m = (err as Error).message ?? String(err);
    const at = now.toISOString();
    if (/revoked/i.test(m)) {
      return {
        ok: false,
        status: 'untrusted',
        code: 'KEY_REVOKED',
        message: `the signing key is revoked at ${at}, the time of the check (${m}); a revoked key's signatures are refused whatever creation time they claim`,
      };
    }
    if (/expired/i.test(m)) {
      return {
        ok: false,
        status: 'untrusted',
        code: 'KEY_EXPIRED',
        message: `the signing key is expired at ${at}, the time of the check (${m}); its signatures are refused whatever creation time they claim`,
      };
    }
    return {
      ok: false,
      status: 'untrusted',
      code: 'KEY_NOT_VALID',
      message: `the signing key is not a valid signing key at ${at} (${m})`,
    };
  }
}

export function describeKey(key: KeyDescription): string {
  const uid = key.userIds[0] ? `"${key.userIds[0]}" ` : '';
  const sub =
    key.signingKeyFingerprint !== key.primaryFingerprint ? `, subkey ${key.signingKeyFingerprint}` : '';
  return `${uid}(${key.primaryFingerprint}${sub})`;
}

function mapOpenPgpError(message: string): {
  ok: false;
  status: VerdictStatus;
  code: string;
  message: string;
} {
  const m = message.replace(/^Error verifying signed message: /, '');
  if (/Signature is expired/i.test(m)) {
    return {
      ok: false,
      status: 'untrusted',
      code: 'SIGNATURE_EXPIRED',
      message: `the signature has expired (${m})`,
    };
  }
  if (/revoked/i.test(m)) {
    return {
      ok: false,
      status: 'untrusted',
      code: 'KEY_REVOKED',
      message: `the signing key is revoked (${m})`,
    };
  }
  if (/expired/i.test(m)) {
    return {
      ok: false,
      status: 'untrusted',
      code: 'KEY_EXPIRED',
      message: `the signing key had expired or was not yet valid when it signed (${m})`,
    };
  }
  if (/in the future|newer than the signature/i.test(m)) {
    return { ok: false, status: 'invalid', code: 'SIGNATURE_TIME_INVALID', message: m };
  }
  if (/verification failed|did not match|digest/i.test(m)) {
    return {
      ok: false,
      status: 'invalid',
      code: 'BAD_SIGNATURE',
      message: `the signature does not verify (${m})`,
    };
  }
  return {
    ok: false,
    status: 'invalid',
    code: 'SIGNATURE_REJECTED',
    message: `the signature was rejected: ${m}`,
  };
}
