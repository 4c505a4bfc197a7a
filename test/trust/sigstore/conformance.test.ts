/**
 * The whole sigstore-conformance bundle-verify suite (corpus sigstore-bundle/conformance/) through
 * verifySigstoreBundle: every `*_fail` case must fail, every other case must verify.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { emptyTrustConfig, readPublicKey } from '../../../src/trust/config.js';
import { verifySigstoreBundle } from '../../../src/trust/sigstore/bundle.js';
import type { Verdict } from '../../../src/model/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const SUITE = join(CORPUS_DIR, 'sigstore-bundle', 'conformance');
const PRODUCTION_ROOT = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/** Cases where sigscan's answer differs from the suite's convention, with the reason. */
const EXCEPTIONS: Record<string, string> = {};

export async function runCase(name: string): Promise<Verdict> {
  const dir = join(SUITE, name);
  const file = (f: string): string | undefined => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
  const config = emptyTrustConfig();
  config.trustedRoots = [file('trusted_root.json') ?? PRODUCTION_ROOT];
  const keyPath = file('key.pub');
  if (keyPath) {
    try {
      config.keys.push(await readPublicKey(keyPath));
    } catch (err) {
      return { status: 'error', code: 'USAGE', message: (err as Error).message };
    }
  }
  config.certificateIdentity = readText(file('identity')) ?? DEFAULT_IDENTITY;
  config.certificateOidcIssuer = readText(file('issuer')) ?? DEFAULT_ISSUER;
  const artifact = new Uint8Array(readFileSync(file('artifact') ?? join(SUITE, 'a.txt')));
  const bundleText = readFileSync(join(dir, 'bundle.sigstore.json'), 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(bundleText);
  } catch (err) {
    return { status: 'invalid', code: 'MALFORMED_BUNDLE', message: (err as Error).message };
  }
  try {
    return await verifySigstoreBundle(json, artifact, { config, now: new Date() });
  } catch (err) {
    return { status: 'error', code: 'THROWN', message: (err as Error).message };
  }
}

function readText(path: string | undefined): string | undefined {
  return path ? readFileSync(path, 'utf8').trim() : undefined;
}

const cases = existsSync(SUITE)
  ? readdirSync(SUITE, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  : [];

describe('sigstore-conformance bundle-verify suite', () => {
  it('is present in the corpus', () => {
    expect(cases.length).toBeGreaterThan(60);
  });

  for (const name of cases) {
    const mustFail = name.endsWith('_fail');
    it(`${name} ${mustFail ? 'fails' : 'verifies'}`, async () => {
      const verdict = await runCase(name);
      const ok = verdict.status === 'verified';
      if (EXCEPTIONS[name]) {
        expect(ok, `${name}: exception (${EXCEPTIONS[name]})`).toBe(mustFail);
        return;
      }
      expect(ok, `${name}: ${verdict.status} ${verdict.code} ${verdict.message}`).toBe(!mustFail);
    });
  }
});
