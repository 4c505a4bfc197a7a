import { constants, createHash, verify, X509Certificate } from 'node:crypto';

import type { NotationEnvelope } from '../../../src/formats/notation/index.js';

const HASHES: Record<string, string> = {
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};

/**
 * Checks an envelope's signature over the parser's `signedBytes` with the leaf key. Test-only: the
 * product's verification belongs to the trust layer; here it proves the signed bytes are the right ones.
 */
export function envelopeSignatureVerifies(env: NotationEnvelope): boolean {
  const hash = HASHES[env.alg];
  if (!hash) throw new Error(`unsupported alg ${env.alg}`);
  const key = new X509Certificate(env.certificates[0]!.der).publicKey;
  if (env.alg.startsWith('PS')) {
    const saltLength = createHash(hash).digest().length;
    return verify(
      hash,
      env.signedBytes,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
      env.signature,
    );
  }
  return verify(hash, env.signedBytes, { key, dsaEncoding: 'ieee-p1363' }, env.signature);
}
