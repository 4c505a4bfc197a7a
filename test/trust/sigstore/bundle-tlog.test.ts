/**
 * A keyless bundle without transparency-log entries is `untrusted TLOG_MISSING`, not `unverified`
 * (issue #16 item 6): the production GitHub Actions wheel bundle from the corpus, its tlogEntries
 * removed. cosign 2.5 (`verify-blob --new-bundle-format --trusted-root`, offline) accepts the
 * original and refuses the stripped one.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { emptyTrustConfig } from '../../../src/trust/config.js';
import { verifySigstoreBundle } from '../../../src/trust/sigstore/bundle.js';
import { cosign, ensureCosign } from '../../helpers/cosign.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const DIR = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python');
const PRODUCTION = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const WHEEL = join(DIR, 'bundle_v3_github.whl');
const IDENTITY = 'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2';
const ISSUER = 'https://token.actions.githubusercontent.com';

describe('keyless bundle without tlog entries', () => {
  let work: string;
  const original = JSON.parse(readFileSync(`${WHEEL}.sigstore`, 'utf8')) as {
    verificationMaterial: { tlogEntries: unknown[] };
  };
  const stripped = structuredClone(original);
  stripped.verificationMaterial.tlogEntries = [];

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-bundle-tlog-'));
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const config = () => {
    const c = emptyTrustConfig();
    c.trustedRoots = [PRODUCTION];
    c.certificateIdentity = IDENTITY;
    c.certificateOidcIssuer = ISSUER;
    return c;
  };
  const ours = (bundle: unknown, at?: Date) =>
    verifySigstoreBundle(bundle, new Uint8Array(readFileSync(WHEEL)), {
      config: { ...config(), at },
      now: at ?? new Date(),
    });
  const theirs = async (bundle: unknown) => {
    const path = join(work, `b-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(path, JSON.stringify(bundle));
    return cosign(
      [
        'verify-blob',
        '--new-bundle-format',
        `--bundle=${path}`,
        `--trusted-root=${PRODUCTION}`,
        `--certificate-identity=${IDENTITY}`,
        `--certificate-oidc-issuer=${ISSUER}`,
        WHEEL,
      ],
      { check: false },
    );
  };

  it('the original verifies with both', async () => {
    expect(await ours(original)).toMatchObject({ status: 'verified', code: 'KEYLESS_VERIFIED' });
    expect((await theirs(original)).code).toBe(0);
  });

  it('stripped of its tlog entries: untrusted TLOG_MISSING, with or without --at; cosign refuses', async () => {
    expect(await ours(stripped)).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(await ours(stripped, new Date('2024-08-01T00:00:00Z'))).toMatchObject({
      status: 'untrusted',
      code: 'TLOG_MISSING',
    });
    expect((await theirs(stripped)).code).not.toBe(0);
  });
});
