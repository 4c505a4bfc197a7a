/**
 * verifySigstoreBundleDigest refusals before any signature check (issue #18), on the production GitHub
 * Actions wheel bundle from the corpus (a message signature over the wheel's bytes).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { emptyTrustConfig } from '../../../src/trust/config.js';
import { verifySigstoreBundleDigest } from '../../../src/trust/sigstore/bundle.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const WHEEL = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python', 'bundle_v3_github.whl');
const PRODUCTION = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const bundle = JSON.parse(readFileSync(`${WHEEL}.sigstore`, 'utf8')) as unknown;
const wheel = new Uint8Array(readFileSync(WHEEL));
const digest = `sha256:${createHash('sha256').update(wheel).digest('hex')}`;

const ctx = () => {
  const config = emptyTrustConfig();
  config.trustedRoots = [PRODUCTION];
  config.certificateIdentity =
    'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2';
  config.certificateOidcIssuer = 'https://token.actions.githubusercontent.com';
  return { config, now: new Date() };
};
const verdict = async (d: string, bytes?: Uint8Array) => {
  const v = await verifySigstoreBundleDigest(bundle, { digest: d, bytes }, ctx());
  return [v.status, v.code, v.message];
};

describe('verifySigstoreBundleDigest on the wheel bundle', () => {
  it('by digest with the bytes: verified (the control)', async () => {
    expect((await verdict(digest, wheel)).slice(0, 2)).toEqual(['verified', 'KEYLESS_VERIFIED']);
  });

  it('by digest without the bytes: a message signature cannot be checked, error ARTIFACT_UNAVAILABLE', async () => {
    expect(await verdict(digest)).toEqual([
      'error',
      'ARTIFACT_UNAVAILABLE',
      'the bundle signs the artifact bytes, which were not available to check the signature',
    ]);
  });

  it.each([
    ['md5:0123', 'an algorithm sigscan does not bind'],
    ['sha256', 'no value'],
    [`sha256:`, 'an empty value'],
    [digest.replace('sha256:', 'sha1:'), 'SHA-1'],
  ])('digest %s (%s): invalid MALFORMED_DIGEST', async (d) => {
    expect(await verdict(d, wheel)).toEqual([
      'invalid',
      'MALFORMED_DIGEST',
      `unsupported artifact digest ${d}`,
    ]);
  });

  it('the same digest in upper case is the same digest', async () => {
    expect((await verdict(digest.toUpperCase().replace('SHA256', 'sha256'), wheel)).slice(0, 2)).toEqual([
      'verified',
      'KEYLESS_VERIFIED',
    ]);
  });
});
