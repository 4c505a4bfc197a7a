import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseContainersSigstoreSignature } from '../../../src/formats/sigstore/index.js';
import { emptyTrustConfig } from '../../../src/trust/config.js';
import { verifySigstoreBundle } from '../../../src/trust/sigstore/bundle.js';
import { loadTrustedRoot, tlogIds, trustMaterial } from '../../../src/trust/sigstore/trusted-root.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const PRODUCTION_ROOT = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const HAPPY = join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'happy-path-v0.3', 'bundle.sigstore.json');
const A_TXT = new Uint8Array(readFileSync(join(CORPUS_DIR, 'sigstore-bundle', 'conformance', 'a.txt')));
const IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';

describe('trusted_root.json loading', () => {
  it('loads the production root: public-good Rekor log id and Fulcio CAs', async () => {
    const root = await loadTrustedRoot(PRODUCTION_ROOT);
    expect(tlogIds(root)).toContain('c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d');
    const material = trustMaterial(root);
    expect(material.certificateAuthorities.length).toBeGreaterThanOrEqual(2);
    expect(material.tlogs.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a missing or non-root file with a usage error', async () => {
    await expect(loadTrustedRoot('/nonexistent/trusted_root.json')).rejects.toMatchObject({ code: 'USAGE' });
    await expect(loadTrustedRoot(join(CORPUS_DIR, 'expected.json'))).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('verifySigstoreBundle policy inputs', () => {
  const bundle = JSON.parse(readFileSync(HAPPY, 'utf8')) as unknown;
  const full = () => {
    const c = emptyTrustConfig();
    c.trustedRoots = [PRODUCTION_ROOT];
    c.certificateIdentity = IDENTITY;
    c.certificateOidcIssuer = 'https://token.actions.githubusercontent.com';
    return c;
  };

  it('verifies with root + identity + issuer, and not with any one of them removed', async () => {
    expect((await verifySigstoreBundle(bundle, A_TXT, { config: full(), now: new Date() })).status).toBe(
      'verified',
    );
    const noRoot = { ...full(), trustedRoots: [] };
    const noId = { ...full(), certificateIdentity: undefined };
    const noIssuer = { ...full(), certificateOidcIssuer: undefined };
    expect(await verifySigstoreBundle(bundle, A_TXT, { config: noRoot, now: new Date() })).toMatchObject({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
    });
    for (const config of [noId, noIssuer]) {
      expect(await verifySigstoreBundle(bundle, A_TXT, { config, now: new Date() })).toMatchObject({
        status: 'unverified',
        code: 'IDENTITY_POLICY_MISSING',
      });
    }
  });

  it('another artifact is an invalid digest mismatch', async () => {
    const v = await verifySigstoreBundle(bundle, new TextEncoder().encode('not a.txt'), {
      config: full(),
      now: new Date(),
    });
    expect(v).toMatchObject({ status: 'invalid', code: 'ARTIFACT_DIGEST_MISMATCH' });
  });
});

describe('containers/image sigstore-json files', () => {
  it('parses the prefix, media type, payload and annotations', () => {
    const bytes = new Uint8Array(
      readFileSync(join(CORPUS_DIR, 'cosign', 'containers-image', 'dir-img-cosign-valid', 'signature-1')),
    );
    const sig = parseContainersSigstoreSignature(bytes);
    expect(sig.mimeType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    expect(Buffer.from(sig.payload).toString('utf8')).toContain('"docker-manifest-digest"');
    expect(Object.keys(sig.annotations)).toContain('dev.cosignproject.cosign/signature');
  });

  it('rejects bytes without the marker', () => {
    expect(() => parseContainersSigstoreSignature(new TextEncoder().encode('{"mimeType":"x"}'))).toThrow();
  });
});
