import { createMessage, enums, readSignature, verify, type Signature } from 'openpgp';

import { openPgpAlgorithmName, openPgpSignatureVersion } from '../formats/rpm/index.js';
import { findKey } from '../formats/simple-signing/keyring.js';
import type { Verdict } from '../model/index.js';
// One reading of --gpg-keyring per scan, shared with simple signing.
import { configKeyrings } from './families/simple-signing.js';
import { invalid, untrusted, unverified, verificationError, verified } from './verdicts.js';
import type { TrustContext } from './verifier.js';

/** A detached OpenPGP signature packet and the exact bytes it must cover. */
export interface DetachedSignature {
  /** Where it was found, for messages: `signature header RSAHEADER`, `_gpgorigin`. */
  location: string;
  packet: Uint8Array;
  signed: Uint8Array;
  /** Named in the verified message (`header`, `header+payload`, ...). */
  range: string;
}

/**
 * A detached OpenPGP signature (RPM, debsigs) against `--gpg-keyring`: no keyring => `unverified`; a key
 * id not in the keyrings => `untrusted`; the signature must verify over the signed bytes with that key,
 * and the key must be valid (not expired, not revoked) at the time of the check.
 */
export async function verifyDetached(sig: DetachedSignature, ctx: TrustContext): Promise<Verdict> {
  const evidence = { location: sig.location };
  const m = sig;
  let signature: Signature;
  try {
    signature = await readSignature({ binarySignature: m.packet });
  } catch (err) {
    return invalid(
      'NOT_A_SIGNATURE',
      `${evidence.location} is not an OpenPGP signature openpgp.js reads: ${(err as Error).message}`,
    );
  }
  const first = signature.packets[0] as { version?: number } | undefined;
  if (first?.version === undefined) {
    // openpgp.js keeps signature packets of versions it does not implement (V3, which rpm and gpgv still
    // accept) as unparsed packets: nothing was checked, so this is no verdict on the signature.
    const version = openPgpSignatureVersion(m.packet);
    return verificationError(
      'UNSUPPORTED_SIGNATURE_VERSION',
      `${evidence.location} is a V${version ?? '?'} OpenPGP signature, which sigscan cannot check`,
    );
  }
  const keyId = signature.getSigningKeyIDs()[0]?.toHex() ?? '';
  const keys = await configKeyrings(ctx.config);
  if (keys.length === 0) {
    return unverified(
      'NO_TRUST_ROOT',
      `${evidence.location} by OpenPGP key ${keyId.toUpperCase()} found; no --gpg-keyring given to verify it`,
    );
  }
  const found = findKey(keys, keyId);
  if (!found) {
    return untrusted(
      'UNKNOWN_SIGNER',
      `${evidence.location} is by OpenPGP key ${keyId.toUpperCase()}, which is not in the given keyrings`,
    );
  }
  try {
    const result = await verify({
      message: await createMessage({ binary: m.signed }),
      signature,
      verificationKeys: [found.key],
      date: ctx.now,
      format: 'binary',
      expectSigned: true,
      // SHA-1 is checked here and judged below: gpgv (and so rpm and debsig-verify) still accepts SHA-1
      // data signatures, and debsigs makes them; openpgp.js would refuse them as if they were forged.
      config: { rejectMessageHashAlgorithms: new Set([enums.hash.md5, enums.hash.ripemd]) },
    });
    await result.signatures[0]!.verified;
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    if (/in the future/i.test(message)) {
      return invalid(
        'SIGNATURE_TIME_INVALID',
        `${evidence.location} was made after the time of the check ${ctx.now.toISOString()} (${message})`,
      );
    }
    return invalid(
      'BAD_SIGNATURE',
      `${evidence.location} does not verify with key ${found.description.primaryFingerprint} (${message})`,
    );
  }
  // openpgp.js judges the key at the signature's own creation time, which the signer chooses; the key
  // must also be valid (not expired, not revoked) at the time of the check, as for simple signing.
  try {
    await found.key.getSigningKey(signature.getSigningKeyIDs()[0], ctx.now);
  } catch (err) {
    return untrusted(
      'KEY_NOT_VALID',
      `${evidence.location}: the key ${found.description.primaryFingerprint} is not valid at ${ctx.now.toISOString()} (${(err as Error).message})`,
    );
  }
  const who = found.description.userIds[0] ?? found.description.primaryFingerprint;
  const packet = signature.packets[0]!;
  const algorithm = openPgpAlgorithmName(packet.publicKeyAlgorithm, packet.hashAlgorithm);
  const what = `${evidence.location} (${m.range}, V${packet.version} ${algorithm}) verifies with trusted key ${who} (${found.description.primaryFingerprint})`;
  if (packet.hashAlgorithm === enums.hash.sha1) {
    if (!ctx.config.allowWeakAlgorithms) {
      return untrusted(
        'WEAK_ALGORITHM',
        `${what}, but over a SHA-1 digest, which collisions make forgeable (gpgv still accepts it; --allow-weak-algorithms does too)`,
      );
    }
    return verified('SIGNATURE_VERIFIED', `${what}; SHA-1 accepted because of --allow-weak-algorithms`);
  }
  return verified('SIGNATURE_VERIFIED', what);
}
