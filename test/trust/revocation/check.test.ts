import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../../src/formats/x509.js';
import type { Finding } from '../../../src/model/index.js';
import {
  checkPathRevocation,
  type OnlineRevocation,
  type RevocationOptions,
  type SourceAnswer,
} from '../../../src/trust/revocation/check.js';
import { readCrls, type LoadedCrl } from '../../../src/trust/revocation/crl.js';
import { validateChain } from '../../../src/trust/x509-chain.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  makeRevocationCa,
  opensslTime,
  reopenRevocationCa,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';

const DAY = 86_400_000;
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

function chainOf(path: string): ParsedCertificate[] {
  return pemCertificates(readFileSync(path, 'utf8')).map(parseCertificate);
}

/** Answers as a test decides; stands for sources a real server cannot be made to give in a unit test. */
function scripted(
  answers: (cert: ParsedCertificate) => SourceAnswer[],
): OnlineRevocation & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    check: async (cert) => {
      asked.push(cert.summary.subject);
      return answers(cert);
    },
  };
}

describe('checkPathRevocation and validateChain with revocation (root → intermediate → leaf)', () => {
  let dir: string;
  let root: RevocationCa;
  let inter: RevocationCa;
  let good: ParsedCertificate[];
  let revokedLeaf: ParsedCertificate[];
  let rootCert: ParsedCertificate;
  let rootCrl: LoadedCrl;
  let interCrl: LoadedCrl;
  let now: Date;

  const opts = (extra: Partial<RevocationOptions> = {}): RevocationOptions => ({
    mode: 'offline',
    crls: [rootCrl, interCrl],
    checkTime: now,
    ...extra,
  });

  beforeAll(async () => {
    // Root, intermediate, the two leaves, the revocation and both CRLs are made once a day
    // (cachedFixtureDir). The CRLs are current for 30 days and every check time here is derived from their
    // thisUpdate (`now`), never from the clock, so CRLs made earlier in the day are as good. The
    // intermediate is opened from a per-run copy, as the tests make more CRLs with it.
    const cached = await cachedFixtureDir('revocation-check-root-inter-v1', async (out) => {
      const builtRoot = await makeRevocationCa(join(out, 'root'), '/O=Sigscan Test/CN=Revocation Root');
      const builtInter = await makeRevocationCa(
        join(out, 'inter'),
        '/O=Sigscan Test/CN=Revocation Intermediate',
        'ca_ext',
        builtRoot,
      );
      await builtInter.issue('good', 'Good Leaf');
      const bad = await builtInter.issue('bad', 'Revoked Leaf');
      await builtInter.revoke(bad.cert, 'keyCompromise');
      await builtRoot.crl(join(out, 'root-crl.pem'));
      await builtInter.crl(join(out, 'inter-crl.pem'));
    });
    dir = mkdtempSync(join(tmpdir(), 'sigscan-revcheck-'));
    root = reopenRevocationCa(join(cached, 'root'), join(dir, 'root'), '/O=Sigscan Test/CN=Revocation Root');
    inter = reopenRevocationCa(
      join(cached, 'inter'),
      join(dir, 'inter'),
      '/O=Sigscan Test/CN=Revocation Intermediate',
      root.caPem,
    );
    good = chainOf(join(inter.dir, 'good-chain.pem'));
    revokedLeaf = chainOf(join(inter.dir, 'bad-chain.pem'));
    rootCert = good[2]!;
    for (const name of ['root-crl.pem', 'inter-crl.pem']) copyFileSync(join(cached, name), join(dir, name));
    rootCrl = (await readCrls(join(dir, 'root-crl.pem')))[0]!;
    interCrl = (await readCrls(join(dir, 'inter-crl.pem')))[0]!;
    now = new Date(Math.max(rootCrl.thisUpdate.getTime(), interCrl.thisUpdate.getTime()) + 60_000);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every certificate below the anchor covered and not revoked: NOT_REVOKED', async () => {
    expect(await checkPathRevocation(good, opts())).toEqual({
      ok: true,
      code: 'NOT_REVOKED',
      message: 'revocation checked (offline): 2 certificate(s) not revoked',
    });
  });

  it('a revoked leaf: CERT_REVOKED, naming the CRL', async () => {
    const result = await checkPathRevocation(revokedLeaf, opts());
    expect(result.ok).toBe(false);
    expect(result.code).toBe('CERT_REVOKED');
    expect(result.message).toMatch(
      /^CN=Revoked Leaf,O=Sigscan Test was revoked \S+ \(keyCompromise\); the signature has no trusted timestamp \(CRL .*inter-crl\.pem\)$/,
    );
  });

  it('a revoked intermediate fails every leaf under it', async () => {
    const dir2 = join(dir, 'second');
    const root2 = await makeRevocationCa(join(dir2, 'root'), '/O=Sigscan Test/CN=Root Two');
    const inter2 = await makeRevocationCa(
      join(dir2, 'inter'),
      '/O=Sigscan Test/CN=Intermediate Two',
      'ca_ext',
      root2,
    );
    const leaf = chainOf((await inter2.issue('leaf', 'Leaf Two')).chain);
    await root2.revoke(inter2.caPem, 'cACompromise');
    const crls = [
      (await readCrls(await root2.crl(join(dir2, 'root.pem'))))[0]!,
      (await readCrls(await inter2.crl(join(dir2, 'inter.pem'))))[0]!,
    ];
    const at = new Date(Date.now() + 60_000);
    const result = await checkPathRevocation(leaf, { mode: 'offline', crls, checkTime: at });
    expect(result.code).toBe('CERT_REVOKED');
    expect(result.message).toMatch(/^CN=Intermediate Two,O=Sigscan Test was revoked \S+ \(cACompromise\)/);
    // Through validateChain: ok false, code and message passed on, the path kept.
    const chain = await validateChain({
      leaf: leaf[0]!,
      intermediates: leaf,
      anchors: [leaf[2]!],
      at,
      requiredEku: CODE_SIGNING,
      revocation: { mode: 'offline', crls, checkTime: at },
    });
    expect(chain).toMatchObject({ ok: false, code: 'CERT_REVOKED', message: result.message });
    expect(chain.path?.map((c) => c.summary.subject)).toEqual([
      'CN=Leaf Two,O=Sigscan Test',
      'CN=Intermediate Two,O=Sigscan Test',
      'CN=Root Two,O=Sigscan Test',
    ]);
  });

  it('offline without a covering CRL: unknown, but not a failure', async () => {
    expect(await checkPathRevocation(good, opts({ crls: [rootCrl] }))).toEqual({
      ok: true,
      code: 'REVOCATION_UNKNOWN',
      message:
        'the revocation status of CN=Good Leaf,O=Sigscan Test is unknown (offline: only --crl files are read)',
    });
  });

  it('off: nothing checked, said so; the CRLs are not even read', async () => {
    expect(await checkPathRevocation(revokedLeaf, opts({ mode: 'off' }))).toEqual({
      ok: true,
      code: 'REVOCATION_NOT_CHECKED',
      message: 'revocation not checked (--revocation off)',
    });
  });

  it('the anchor itself is never looked up, and a lone pinned certificate needs nothing', async () => {
    const online = scripted(() => []);
    await checkPathRevocation(good, opts({ mode: 'online', crls: [], online }));
    expect(online.asked).toEqual([
      'CN=Good Leaf,O=Sigscan Test',
      'CN=Revocation Intermediate,O=Sigscan Test',
    ]);
    expect(await checkPathRevocation([rootCert], opts({ mode: 'online-strict', online }))).toMatchObject({
      ok: true,
      code: 'NOT_REVOKED',
    });
  });

  it('offline never asks the online sources; online asks only what the CRLs left unknown', async () => {
    const online = scripted((cert) => [{ status: 'good', source: `OCSP for ${cert.summary.subject}` }]);
    await checkPathRevocation(good, opts({ crls: [], online }));
    expect(online.asked).toEqual([]);
    const result = await checkPathRevocation(good, opts({ mode: 'online', crls: [rootCrl], online }));
    expect(online.asked).toEqual(['CN=Good Leaf,O=Sigscan Test']);
    expect(result).toEqual({
      ok: true,
      code: 'NOT_REVOKED',
      message: 'revocation checked (online): 2 certificate(s) not revoked',
    });
  });

  it('online: a revoked answer fails, with the source named', async () => {
    const online = scripted(() => [
      {
        status: 'revoked',
        entry: { revokedAt: new Date(now.getTime() - DAY), reason: 'superseded' },
        source: 'OCSP http://x',
      },
    ]);
    const result = await checkPathRevocation(good, opts({ mode: 'online', crls: [], online }));
    expect(result.code).toBe('CERT_REVOKED');
    expect(result.message).toBe(
      `CN=Good Leaf,O=Sigscan Test was revoked ${new Date(now.getTime() - DAY).toISOString()} (superseded); the signature has no trusted timestamp (OCSP http://x)`,
    );
  });

  it('online: an unreachable source is a finding; unknown fails only under online-strict', async () => {
    const down: SourceAnswer = {
      status: 'unavailable',
      source: 'OCSP http://127.0.0.1:9',
      problem: 'connection refused',
    };
    const findings: Finding[] = [];
    const online = scripted(() => [down]);
    const lax = await checkPathRevocation(good, opts({ mode: 'online', crls: [], online, findings }));
    expect(lax).toEqual({
      ok: true,
      code: 'REVOCATION_UNKNOWN',
      message:
        'the revocation status of CN=Good Leaf,O=Sigscan Test, CN=Revocation Intermediate,O=Sigscan Test is unknown',
    });
    expect(findings).toEqual([
      {
        code: 'REVOCATION_SOURCE_NOT_USED',
        severity: 'warning',
        message:
          'OCSP http://127.0.0.1:9 was not used to check CN=Good Leaf,O=Sigscan Test: connection refused',
      },
      {
        code: 'REVOCATION_SOURCE_NOT_USED',
        severity: 'warning',
        message:
          'OCSP http://127.0.0.1:9 was not used to check CN=Revocation Intermediate,O=Sigscan Test: connection refused',
      },
    ]);
    expect(await checkPathRevocation(good, opts({ mode: 'online-strict', crls: [], online }))).toEqual({
      ok: false,
      code: 'REVOCATION_UNKNOWN',
      message:
        'the revocation status of CN=Good Leaf,O=Sigscan Test, CN=Revocation Intermediate,O=Sigscan Test is unknown, and --revocation online-strict requires it',
    });
  });

  it('a certificate that names no source counts as not revocable under online-strict (notation-go)', async () => {
    const online = scripted(() => []);
    expect(await checkPathRevocation(good, opts({ mode: 'online-strict', crls: [], online }))).toEqual({
      ok: true,
      code: 'NOT_REVOKED',
      message:
        'revocation checked (online-strict): 0 certificate(s) not revoked, 2 naming no revocation source',
    });
  });

  it('one good source and one that is down: good, and the down one still reported', async () => {
    const findings: Finding[] = [];
    const online = scripted(() => [
      { status: 'unavailable', source: 'OCSP http://a', problem: 'timeout' },
      { status: 'good', source: 'CRL http://b' },
    ]);
    const result = await checkPathRevocation(
      good,
      opts({ mode: 'online-strict', crls: [], online, findings }),
    );
    expect(result.code).toBe('NOT_REVOKED');
    expect(findings.map((f) => f.message)).toEqual([
      'OCSP http://a was not used to check CN=Good Leaf,O=Sigscan Test: timeout',
      'OCSP http://a was not used to check CN=Revocation Intermediate,O=Sigscan Test: timeout',
    ]);
  });

  it('a revocation that does not count (benign, after the timestamp) is an info finding and the path is good', async () => {
    const findings: Finding[] = [];
    const online = scripted((cert) =>
      cert.summary.subject.startsWith('CN=Good Leaf')
        ? [{ status: 'revoked', entry: { revokedAt: now, reason: 'superseded' }, source: 'OCSP http://x' }]
        : [{ status: 'good', source: 'OCSP http://x' }],
    );
    const signingTime = new Date(now.getTime() - DAY);
    const result = await checkPathRevocation(
      good,
      opts({ mode: 'online', crls: [], online, findings, signingTime }),
    );
    expect(result.code).toBe('NOT_REVOKED');
    expect(findings).toEqual([
      {
        code: 'CERT_REVOKED_LATER',
        severity: 'info',
        message: `CN=Good Leaf,O=Sigscan Test was revoked ${now.toISOString()} (superseded), after the trusted timestamp ${signingTime.toISOString()}, for a reason that leaves earlier signatures valid`,
      },
    ]);
  });

  it('an expired CRL is a finding and leaves the status unknown', async () => {
    const expired = (
      await readCrls(
        await inter.crl(join(dir, 'expired.pem'), {
          lastUpdate: opensslTime(new Date(now.getTime() - 20 * DAY)),
          nextUpdate: opensslTime(new Date(now.getTime() - 10 * DAY)),
        }),
      )
    )[0]!;
    const findings: Finding[] = [];
    const result = await checkPathRevocation(revokedLeaf, opts({ crls: [rootCrl, expired], findings }));
    expect(result.code).toBe('REVOCATION_UNKNOWN');
    expect(findings.map((f) => f.code)).toEqual(['REVOCATION_SOURCE_NOT_USED']);
  });

  it('online asks nothing about a certificate a usable CRL already answered', async () => {
    // Every online answer would be "revoked": only a lookup that should not happen could fail the path.
    const online = scripted(() => [
      { status: 'revoked', entry: { revokedAt: new Date(now.getTime() - DAY) }, source: 'OCSP http://x' },
    ]);
    expect(await checkPathRevocation(good, opts({ mode: 'online-strict', online }))).toEqual({
      ok: true,
      code: 'NOT_REVOKED',
      message: 'revocation checked (online-strict): 2 certificate(s) not revoked',
    });
    expect(online.asked).toEqual([]);
  });

  it('a certificate whose only CRL is unusable and that names no online source is unknown, not "non-revokable"', async () => {
    const path = join(dir, 'expired-2.pem');
    const expired = (
      await readCrls(
        await inter.crl(path, {
          lastUpdate: opensslTime(new Date(now.getTime() - 20 * DAY)),
          nextUpdate: opensslTime(new Date(now.getTime() - 10 * DAY)),
        }),
      )
    )[0]!;
    const findings: Finding[] = [];
    const online = scripted(() => []);
    const result = await checkPathRevocation(
      good,
      opts({ mode: 'online-strict', crls: [rootCrl, expired], online, findings }),
    );
    expect(result).toEqual({
      ok: false,
      code: 'REVOCATION_UNKNOWN',
      message:
        'the revocation status of CN=Good Leaf,O=Sigscan Test is unknown, and --revocation online-strict requires it',
    });
    expect(online.asked).toEqual(['CN=Good Leaf,O=Sigscan Test']);
    expect(findings.map((f) => f.message)).toEqual([
      `CRL ${path} was not used to check CN=Good Leaf,O=Sigscan Test: it expired ${expired.nextUpdate!.toISOString()} (nextUpdate), before the check time ${now.toISOString()}`,
    ]);
  });

  it('validateChain without revocation options is unchanged (no revocation field)', async () => {
    const chain = await validateChain({
      leaf: revokedLeaf[0]!,
      intermediates: revokedLeaf,
      anchors: [rootCert],
      at: now,
    });
    expect(chain.ok).toBe(true);
    expect(chain.revocation).toBeUndefined();
    const checked = await validateChain({
      leaf: good[0]!,
      intermediates: good,
      anchors: [rootCert],
      at: now,
      revocation: opts(),
    });
    expect(checked).toMatchObject({ ok: true, code: 'CHAIN_VALID', revocation: { code: 'NOT_REVOKED' } });
  });

  it('a chain failing for another reason is not looked up at all', async () => {
    const online = scripted(() => []);
    const chain = await validateChain({
      leaf: good[0]!,
      intermediates: good,
      anchors: [rootCert],
      at: new Date(now.getTime() + 5000 * DAY),
      revocation: opts({ mode: 'online', online }),
    });
    expect(chain.code).toBe('CERT_EXPIRED');
    expect(online.asked).toEqual([]);
  });
});
