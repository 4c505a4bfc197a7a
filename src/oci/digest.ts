import { createHash } from 'node:crypto';

import { SigscanError } from '../errors.js';

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Checks bytes against a digest in that digest's own algorithm domain. Only sha256 and sha512 are
 * implemented; anything else is reported as unsupported rather than silently accepted.
 */
export function verifyDigest(bytes: Uint8Array, expected: string, what: string): void {
  const [alg, encoded] = expected.split(':', 2);
  if (alg !== 'sha256' && alg !== 'sha512') {
    throw new SigscanError('UNSUPPORTED', `${what}: digest algorithm "${alg}" is not supported`);
  }
  const actual = createHash(alg).update(bytes).digest('hex');
  if (actual !== encoded) {
    throw new SigscanError('DIGEST_MISMATCH', `${what}: content hashes to ${alg}:${actual}, not ${expected}`);
  }
}
