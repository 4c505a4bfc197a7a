/**
 * attributeToKey (issue #12): once a supplied `--key` verified a signature, the key is the signer and a
 * certificate the signature carried stays only as an unverified fingerprint. The key is the npm registry's
 * attestation key from the corpus (sigstore-go examples).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { Evidence } from '../../../src/model/index.js';
import { readPublicKey, type TrustedKey } from '../../../src/trust/config.js';
import { attributeToKey } from '../../../src/trust/sigstore/key-signer.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const KEY = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-go', 'examples-publish_key.pub');

describe('attributeToKey', () => {
  let key: TrustedKey;
  beforeAll(async () => {
    key = await readPublicKey(KEY);
  });

  it('with a certificate: the key is the signer, the certificate fingerprint an unverified detail', () => {
    const fingerprint = 'cd'.repeat(32);
    const e: Evidence = {
      family: 'cosign',
      location: 'sha256-abc.sig',
      signer: { sha256Fingerprint: fingerprint, subject: 'CN=anyone' },
      algorithm: 'ECDSA-SHA256',
      details: { keyless: true, layer: 0 },
    };
    attributeToKey(e, key);
    expect(e.signer).toStrictEqual({
      keyId: key.spkiSha256,
      keySource: KEY,
      publicKeyAlgorithm: key.algorithm,
    });
    expect(e.algorithm).toBe(key.algorithm);
    expect(e.details).toStrictEqual({ layer: 0, unverifiedCertificateSha256: fingerprint });
  });

  it('without a certificate: details are left exactly as they were', () => {
    const details = { layer: 1, keyless: false };
    const e: Evidence = { family: 'cosign', location: 'sha256-abc.sig', signer: {}, details };
    attributeToKey(e, key);
    expect(e.signer).toStrictEqual({
      keyId: key.spkiSha256,
      keySource: KEY,
      publicKeyAlgorithm: key.algorithm,
    });
    expect(e.details).toBe(details);
    expect(e.details).toStrictEqual({ layer: 1, keyless: false });
  });
});
