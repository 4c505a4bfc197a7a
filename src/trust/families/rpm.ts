import { createMessage, readSignature, verify, type PublicKey, type Signature } from 'openpgp';

import type { RpmEvidenceMaterial } from '../../detectors/rpm.js';
import { openPgpAlgorithmName } from '../../formats/rpm/index.js';
import { findKey, readKeyringFile } from '../../formats/simple-signing/keyring.js';
import type { TrustConfig } from '../config.js';
import { invalid, untrusted, unverified, verificationError, verified } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';

const keyringCache = new WeakMap<TrustConfig, Promise<PublicKey[]>>();

function configKeyrings(config: TrustConfig): Promise<PublicKey[]> {
  let p = keyringCache.get(config);
  if (!p) {
    p = (async () => (await Promise.all(config.gpgKeyrings.map(readKeyringFile))).flat())();
    keyringCache.set(config, p);
  }
  return p;
}

/**
 * One OpenPGP signature of an RPM package, as `rpmkeys --checksig` decides it, against `--gpg-keyring`:
 * 1. a header-only signature vouches for the payload only through the payload digest in the header:
 *    without one that matched, the payload is not covered => `invalid` (the detector's digest findings
 *    already made tampered headers and payloads `invalid`);
 * 2. no keyring => `unverified`; a key id not in the keyrings => `untrusted`;
 * 3. the signature must verify over the signed bytes with that key, valid at the time of the check.
 */
export const rpmVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as RpmEvidenceMaterial | undefined;
  if (!m?.packet) return verificationError('INTERNAL', 'the RPM detector supplied no signature packet');
  if (m.range === 'header' && !m.payloadDigestChecked) {
    return invalid(
      'RPM_PAYLOAD_NOT_COVERED',
      `${evidence.location} signs the header only, and the header carries no payload digest: the payload is not signed`,
    );
  }
  let signature: Signature;
  try {
    signature = await readSignature({ binarySignature: m.packet });
  } catch (err) {
    return invalid(
      'NOT_A_SIGNATURE',
      `${evidence.location} is not an OpenPGP signature openpgp.js reads: ${(err as Error).message}`,
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
  return verified(
    'SIGNATURE_VERIFIED',
    `${evidence.location} (${m.range}, V${packet.version} ${algorithm}) verifies with trusted key ${who} (${found.description.primaryFingerprint})`,
  );
};
