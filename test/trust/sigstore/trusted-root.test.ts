import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SigscanError } from '../../../src/errors.js';

import { parseContainersSigstoreSignature } from '../../../src/formats/sigstore/index.js';
import { emptyTrustConfig } from '../../../src/trust/config.js';
import { verifySigstoreBundle } from '../../../src/trust/sigstore/bundle.js';
import {
  loadTrustedRoot,
  parseTrustedRoot,
  tlogIds,
  trustMaterial,
} from '../../../src/trust/sigstore/trusted-root.js';
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

async function rejection(path: string): Promise<SigscanError> {
  try {
    await loadTrustedRoot(path);
  } catch (err) {
    return err as SigscanError;
  }
  throw new Error(`${path} loaded`);
}

describe('trusted_root.json errors and the per-path cache', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-trusted-root-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('one parse per path: the same promise every time', async () => {
    const first = loadTrustedRoot(PRODUCTION_ROOT);
    expect(loadTrustedRoot(PRODUCTION_ROOT)).toBe(first);
    expect((await first).path).toBe(PRODUCTION_ROOT);
  });

  it('a failed load is not cached: the file written afterwards loads', async () => {
    const path = join(dir, 'late.json');
    const missing = await rejection(path);
    expect(missing).toMatchObject({ code: 'USAGE', cause: { code: 'ENOENT' } });
    expect(missing.message).toMatch(/^--trusted-root .*late\.json: ENOENT/);
    copyFileSync(PRODUCTION_ROOT, path);
    expect((await loadTrustedRoot(path)).path).toBe(path);
  });

  it('not JSON: a usage error naming the file, with the parser error as its cause', async () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{"mediaType": ');
    const err = await rejection(path);
    expect(err).toMatchObject({ code: 'USAGE' });
    expect(err.message).toMatch(
      new RegExp(`^--trusted-root ${path.replace(/[.\\/]/g, '\\$&')}: not JSON \\(`),
    );
    expect(err.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([[null], ['a string'], [5]])('parseTrustedRoot(%j): not a JSON object', (json) => {
    expect(() => parseTrustedRoot(json)).toThrow(
      expect.objectContaining({ code: 'USAGE', message: '--trusted-root <memory>: not a JSON object' }),
    );
  });

  it('a field of the wrong type: a usage error with the protobuf error as its cause', () => {
    let err: SigscanError | undefined;
    try {
      parseTrustedRoot({ tlogs: [{ publicKey: { rawBytes: 5 } }] }, 'odd.json');
    } catch (e) {
      err = e as SigscanError;
    }
    expect(err).toMatchObject({ code: 'USAGE' });
    expect(err?.message).toMatch(/^--trusted-root odd\.json: /);
    expect(err?.cause).toBeInstanceOf(Error);
  });

  it.each([['certificateAuthorities'], ['tlogs'], ['timestampAuthorities']])(
    'a root naming only %s is enough',
    (keep) => {
      const whole = JSON.parse(readFileSync(PRODUCTION_ROOT, 'utf8')) as Record<string, unknown>;
      const only: Record<string, unknown> = { mediaType: whole['mediaType'], [keep]: whole[keep] };
      expect(parseTrustedRoot(only, 'only.json').path).toBe('only.json');
    },
  );

  it('an object naming nothing: refused', () => {
    expect(() => parseTrustedRoot({ mediaType: 'x' }, 'empty.json')).toThrow(
      expect.objectContaining({
        code: 'USAGE',
        message: '--trusted-root empty.json: names no CA, transparency log or TSA',
      }),
    );
  });
});
