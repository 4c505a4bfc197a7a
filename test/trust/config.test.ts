import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadTrustConfig } from '../../src/trust/config.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

describe('trust inputs from --config and flags', () => {
  let dir: string;
  const root = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-config-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('reads the documented YAML under a trust: key, and lets flags add to lists and override values', async () => {
    const file = join(dir, 'sigscan.yaml');
    await writeFile(
      file,
      [
        'trust:',
        `  trust-root: [${root}]`,
        '  certificate-identity-regexp: "https://github.com/acme/.+"',
        '  certificate-oidc-issuer: https://token.actions.githubusercontent.com',
        '  at: 2026-01-01T00:00:00Z',
      ].join('\n'),
    );
    const config = await loadTrustConfig({ config: file, trustRoot: [root], at: '2026-06-01T00:00:00Z' });
    expect(config.roots.map((c) => c.summary.subject)).toEqual([
      'CN=Sigscan Fixture Root CA,O=Sigscan Fixtures,C=US',
      'CN=Sigscan Fixture Root CA,O=Sigscan Fixtures,C=US',
    ]);
    expect(config.certificateOidcIssuer).toBe('https://token.actions.githubusercontent.com');
    // Anchored: a regexp that matches only part of an identity does not pass.
    expect(
      config.certificateIdentityRegexp!.test(
        'https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1',
      ),
    ).toBe(true);
    expect(config.certificateIdentityRegexp!.test('https://evil.example/?https://github.com/acme/x')).toBe(
      false,
    );
    expect(config.at!.toISOString()).toBe('2026-06-01T00:00:00.000Z');
  });

  it('rejects unknown settings and bad values with usage errors', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'trust-rot: [x]\n');
    await expect(loadTrustConfig({ config: file })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(loadTrustConfig({ at: 'yesterday' })).rejects.toMatchObject({ code: 'USAGE' });
    await expect(loadTrustConfig({ key: [join(dir, 'missing.pub')] })).rejects.toMatchObject({
      code: 'USAGE',
    });
  });
});
