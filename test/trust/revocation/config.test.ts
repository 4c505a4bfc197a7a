import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { emptyTrustConfig, loadTrustConfig } from '../../../src/trust/config.js';
import { revocationOptions } from '../../../src/trust/revocation/options.js';
import { makeRevocationCa } from '../../helpers/revocation-pki.js';

describe('--crl and --revocation as trust inputs', () => {
  let dir: string;
  let crlA: string;
  let crlB: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-revocation-config-'));
    const ca = await makeRevocationCa(join(dir, 'ca'));
    crlA = await ca.crl(join(dir, 'a.pem'));
    crlB = await ca.crl(join(dir, 'b.pem'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('defaults to offline with no CRLs', async () => {
    const config = await loadTrustConfig({});
    expect([config.revocation, config.crls]).toEqual(['offline', []]);
    expect([emptyTrustConfig().revocation, emptyTrustConfig().crls]).toEqual(['offline', []]);
  });

  it('joins --config and flag CRLs, lets the flag mode win, and records every CRL path as a trust input', async () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, `trust:\n  crls: [${crlA}]\n  revocation: online\n`);
    const config = await loadTrustConfig({ config: file, crl: [crlB], revocation: 'online-strict' });
    expect(config.crls.map((c) => c.source)).toEqual([crlA, crlB]);
    expect(config.revocation).toBe('online-strict');
    expect(config.sources?.filter((s) => s.kind === 'crl')).toEqual([
      { kind: 'crl', path: crlA },
      { kind: 'crl', path: crlB },
    ]);
    const fromFile = await loadTrustConfig({ config: file });
    expect(fromFile.revocation).toBe('online');
  });

  it('refuses a mode it does not know', async () => {
    await expect(loadTrustConfig({ revocation: 'sometimes' })).rejects.toMatchObject({
      code: 'USAGE',
      message: '--revocation "sometimes" is not one of off, offline, online, online-strict',
    });
  });

  it('revocationOptions carries the scan settings, the signing time and the findings sink', async () => {
    const config = await loadTrustConfig({ crl: [crlA], revocation: 'online' });
    const now = new Date('2026-12-01T00:00:00Z');
    const online = { check: async () => [] };
    const findings: never[] = [];
    const signingTime = new Date('2026-11-01T00:00:00Z');
    expect(revocationOptions({ config, now, onlineRevocation: online, findings }, signingTime)).toEqual({
      mode: 'online',
      crls: config.crls,
      online,
      checkTime: now,
      signingTime,
      findings,
    });
    expect(
      revocationOptions({
        config: { ...config, revocation: undefined as never, crls: undefined as never },
        now,
      }),
    ).toEqual({
      mode: 'offline',
      crls: [],
      checkTime: now,
    });
  });
});
