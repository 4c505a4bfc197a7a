/**
 * Issue #16 item 4: one role per trust input. Each family verifies with its own input (the baseline),
 * and the very same key material given through any other role's flag never verifies it. The TUF
 * column (a cosign key or a layout key never pins a TUF root) is proven against a real notary server
 * in test/integration/notary-dct-rules.test.ts; the in-toto rows with the real in-toto tools in
 * test/trust/in-toto/in-toto-inspections.test.ts. Here: the corpus's real cosign, in-toto and simple
 * signing artifacts, each crossed with every other role.
 *
 *   role (flag)                 | cosign | in-toto layout | simple signing | TUF root
 *   cosign `--key`              |   ✓    |       ✗        |       ✗        |    ✗
 *   `--in-toto-layout-key`      |   ✗    |       ✓        |       ✗        |    ✗
 *   `--gpg-keyring`             |   ✗    |       ✗        |       ✓        |    ✗
 *   `--tuf-root`                |   ✗    |       ✗        |       ✗        |    ✓
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { layerEvidence } from '../../src/detectors/cosign.js';
import { inTotoDetector } from '../../src/detectors/in-toto.js';
import { simpleSigningEvidence } from '../../src/detectors/simple-signing.js';
import { readKeyringFile } from '../../src/formats/simple-signing/keyring.js';
import { parseContainersSigstoreSignature } from '../../src/formats/sigstore/index.js';
import type { Evidence, FileTarget, ImageTarget, Target, Verdict } from '../../src/model/index.js';
import { emptyTrustConfig, readPublicKey, type TrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { CORPUS_AT } from './helpers.js';

const COSIGN_PUB = join(CORPUS_DIR, 'cosign/containers-image/cosign.pub');
const ALICE_PUB = join(CORPUS_DIR, 'dsse/in-toto-golang/alice.pub');
const GPG_KEYRING = join(CORPUS_DIR, 'simple-signing/containers-image/public-key-with-subkey.gpg');

async function cosignCase(): Promise<{ evidence: Evidence; target: Target }> {
  const sigPath = 'cosign/containers-image/dir-img-cosign-valid/signature-1';
  const sig = parseContainersSigstoreSignature(new Uint8Array(readFileSync(join(CORPUS_DIR, sigPath))));
  const manifest = readFileSync(
    join(CORPUS_DIR, 'cosign/containers-image/dir-img-cosign-valid/manifest.json'),
  );
  const target: ImageTarget = {
    kind: 'image',
    registry: 'dir',
    repository: 'cosign/containers-image/dir-img-cosign-valid',
    digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  };
  return { evidence: layerEvidence(target, sigPath, sig.annotations, sig.payload), target };
}

async function inTotoCase(): Promise<{ evidence: Evidence; target: Target }> {
  const path = join(CORPUS_DIR, 'dsse/in-toto-golang/dsse-only.root.layout');
  const bytes = new Uint8Array(readFileSync(path));
  const target: FileTarget = {
    kind: 'file',
    path,
    size: bytes.length,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    format: 'in-toto',
  };
  const found: Evidence[] = [];
  for await (const e of inTotoDetector.detect(target, {
    file: { absolutePath: path, bytes },
    limits: DEFAULT_LIMITS,
    log: silentLogger,
  }))
    found.push(e);
  return { evidence: found[0]!, target };
}

async function simpleSigningCase(): Promise<{ evidence: Evidence; target: Target }> {
  const manifest = readFileSync(join(CORPUS_DIR, 'simple-signing/containers-image/image.manifest.json'));
  const target: ImageTarget = {
    kind: 'image',
    registry: 'docker.io',
    repository: 'testing/manifest',
    digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}`,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  };
  // Its claim names a tag: containers/image refuses a name-only claim (image.signature's) under the
  // default matchRepoDigestOrExact.
  const sig = 'simple-signing/containers-image/subkey.signature';
  const blob = new Uint8Array(readFileSync(join(CORPUS_DIR, sig)));
  return { evidence: await simpleSigningEvidence(target, `file://${sig}`, blob, 'lookaside'), target };
}

async function verdict(
  make: () => Promise<{ evidence: Evidence; target: Target }>,
  config: Partial<TrustConfig>,
): Promise<Verdict> {
  const { evidence, target } = await make();
  return new TrustEvaluator({ ...emptyTrustConfig(), at: new Date(CORPUS_AT), ...config }).evaluate(
    evidence,
    target,
  );
}

describe('one role per trust input', () => {
  it('cosign.pub: verifies cosign as --key; as a layout key, a TUF root or beside a GPG keyring it does not', async () => {
    const key = await readPublicKey(COSIGN_PUB);
    // The corpus signature has no Rekor entry: roles are the point here, so the log is waived.
    const own = await verdict(cosignCase, { keys: [key], insecureIgnoreTlog: true });
    expect(own.status, own.message).toBe('verified');
    for (const other of [
      { inTotoLayoutKeys: [key] },
      { tufRoots: [COSIGN_PUB] },
      { gpgKeyrings: [GPG_KEYRING] },
    ]) {
      const waived = await verdict(cosignCase, {
        ...other,
        insecureIgnoreTlog: true,
      } as Partial<TrustConfig>);
      expect([waived.status, waived.code]).toEqual(['unverified', 'NO_TRUST_ROOT']);
    }
    for (const other of [
      { inTotoLayoutKeys: [key] },
      { tufRoots: [COSIGN_PUB] },
      { gpgKeyrings: [GPG_KEYRING] },
    ] as Array<Partial<TrustConfig>>) {
      const v = await verdict(cosignCase, other);
      expect([v.status, v.code], `${JSON.stringify(Object.keys(other))}: ${v.message}`).toEqual([
        'unverified',
        'NO_TRUST_ROOT',
      ]);
    }
    // And it is no OpenPGP keyring at all.
    await expect(readKeyringFile(COSIGN_PUB)).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('alice.pub: signs the layout as --in-toto-layout-key; as --key, a TUF root or beside a GPG keyring it does not', async () => {
    const key = await readPublicKey(ALICE_PUB);
    const own = await verdict(inTotoCase, { inTotoLayoutKeys: [key] });
    expect([own.status, own.code], own.message).toEqual(['verified', 'VERIFIED']);
    for (const other of [{ keys: [key] }, { tufRoots: [ALICE_PUB] }, { gpgKeyrings: [GPG_KEYRING] }] as Array<
      Partial<TrustConfig>
    >) {
      const v = await verdict(inTotoCase, other);
      expect([v.status, v.code], `${JSON.stringify(Object.keys(other))}: ${v.message}`).toEqual([
        'unverified',
        'NO_TRUST_ROOT',
      ]);
    }
  });

  it('the GPG keyring: verifies simple signing; PEM keys given as --key, layout keys or TUF roots do not, and the keyring is no PEM key', async () => {
    const own = await verdict(simpleSigningCase, { gpgKeyrings: [GPG_KEYRING] });
    expect([own.status, own.code], own.message).toEqual(['verified', 'SIGNED_BY_TRUSTED_KEY']);
    const pem = await readPublicKey(COSIGN_PUB);
    for (const other of [{ keys: [pem] }, { inTotoLayoutKeys: [pem] }, { tufRoots: [COSIGN_PUB] }] as Array<
      Partial<TrustConfig>
    >) {
      const v = await verdict(simpleSigningCase, other);
      expect([v.status, v.code], `${JSON.stringify(Object.keys(other))}: ${v.message}`).toEqual([
        'unverified',
        'NO_TRUST_ROOT',
      ]);
    }
    await expect(readPublicKey(GPG_KEYRING)).rejects.toMatchObject({ code: 'USAGE' });
  });
});
