/**
 * Issue #12 item 3 on a real Rekor-logged signature (containers/image corpus, cosign2.pub): without
 * --key the signer is named by the key its Rekor entry recorded; with --key it is that key and file.
 */
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { layerEvidence } from '../../../src/detectors/cosign.js';
import { parseContainersSigstoreSignature } from '../../../src/formats/sigstore/index.js';
import type { ImageTarget } from '../../../src/model/index.js';
import { emptyTrustConfig, readPublicKey } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const CI = join(CORPUS_DIR, 'cosign', 'containers-image');
const DIR = join(CI, 'dir-img-cosign-key-rekor-valid');
const PUB = join(CI, 'cosign2.pub');
const PRODUCTION_ROOT = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');

function fixture() {
  const sig = parseContainersSigstoreSignature(new Uint8Array(readFileSync(join(DIR, 'signature-1'))));
  const manifest = readFileSync(join(DIR, 'manifest.json'));
  const target: ImageTarget = {
    kind: 'image',
    registry: 'dir',
    repository: 'dir-img-cosign-key-rekor-valid',
    digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  };
  return { evidence: layerEvidence(target, 'signature-1', sig.annotations, sig.payload), target };
}

const keyId = createHash('sha256')
  .update(createPublicKey(readFileSync(PUB, 'utf8')).export({ type: 'spki', format: 'der' }))
  .digest('hex');

describe('the signer of a key-signed, Rekor-logged cosign signature', () => {
  it('without --key: the key id the Rekor entry recorded, no key source', async () => {
    const { evidence, target } = fixture();
    expect(evidence.signer).toEqual({ keyId, publicKeyAlgorithm: 'ECDSA-P-256' });
    const v = await new TrustEvaluator(emptyTrustConfig()).evaluate(evidence, target);
    expect(v).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
  });

  it('with --key: the same key id, and the file that verified it', async () => {
    const { evidence, target } = fixture();
    const c = emptyTrustConfig();
    c.keys.push(await readPublicKey(PUB));
    c.trustedRoots = [PRODUCTION_ROOT];
    const v = await new TrustEvaluator(c).evaluate(evidence, target);
    expect(v).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(evidence.signer).toEqual({ keyId, keySource: PUB, publicKeyAlgorithm: 'ECDSA-P-256' });
  });
});
