import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { pemCertificates } from '../../../src/formats/x509.js';
import type { TrustConfig } from '../../../src/trust/config.js';
import type { OnlineRevocation } from '../../../src/trust/revocation/check.js';
import { readCrls, type LoadedCrl } from '../../../src/trust/revocation/crl.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { notationVerifier } from '../../../src/trust/families/notation.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  freePort,
  type IssuedCert,
  issuedIn,
  makeRevocationCa,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';
import {
  config,
  evidenceFor,
  notationDir,
  policy,
  sampleImage,
  signJws,
  statement,
} from '../notation/support.js';

/**
 * Notation signatures (JWS, PS256) by leaves of an `openssl ca`, judged under trust policies whose
 * revocation action is enforce (strict), log (permissive) or skip: notation-go's verifyRevocation.
 */
describe('notation revocation under the trust policy', () => {
  let ca: Pick<RevocationCa, 'caPem'>;
  let crls: LoadedCrl[];
  const leaves: Record<string, IssuedCert> = {};
  const image = sampleImage('revocation');

  const sign = (
    name: string,
    opts: { scheme?: 'notary.x509' | 'notary.x509.signingAuthority'; time?: Date } = {},
  ) => {
    const leaf = leaves[name]!;
    const chain = pemCertificates(readFileSync(leaf.chain, 'utf8')).slice(0, 2);
    return signJws({
      target: image.descriptor,
      key: createPrivateKey(readFileSync(leaf.key)),
      chain,
      ...(opts.scheme ? { scheme: opts.scheme } : {}),
      ...(opts.time ? { time: opts.time } : {}),
    });
  };
  const verdictOf = async (
    bytes: Uint8Array,
    level: string,
    extra: Partial<TrustConfig> = {},
    online?: OnlineRevocation,
    storeType: 'ca' | 'signingAuthority' = 'ca',
  ) => {
    const dirPath = notationDir({
      stores: { [`${storeType}/test`]: { 'ca.pem': readFileSync(ca.caPem, 'utf8') } },
      policy: policy(statement({ signatureVerification: { level }, trustStores: [`${storeType}:test`] })),
    });
    const evidence = evidenceFor(bytes, 'application/jose+json', image.target);
    const evaluator = new TrustEvaluator(
      config({ notationDir: dirPath, crls, revocation: 'offline', ...extra }),
      { notation: notationVerifier },
      online,
    );
    return { verdict: await evaluator.evaluate(evidence, image.target), evidence };
  };

  // The CA, the leaves and the CRL are made once a day (.cache/test-fixtures): Stryker reruns this hook for
  // every mutant. Their windows are days long (leaves from 10 days back, the CRL current for 30 days, the
  // revocations at build time, after the tests' signing time of a day ago), so a day-old copy judges alike.
  // The unreachable leaf's URLs are never fetched: the online tests hand in their own answers.
  beforeAll(async () => {
    const built = await cachedFixtureDir('notation-revocation-v2', async (d) => {
      const builder = await makeRevocationCa(join(d, 'ca'));
      const dead = `http://127.0.0.1:${await freePort()}`;
      const start = new Date(Date.now() - 10 * 86_400_000)
        .toISOString()
        .replace(/[-:T]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      await builder.issue('good', 'Notation Good', { startDate: start });
      const kc = await builder.issue('kc', 'Notation Compromised', { startDate: start });
      const ss = await builder.issue('ss', 'Notation Superseded', { startDate: start });
      await builder.issue('unreachable', 'Notation Unreachable', {
        extensions: 'codesign_online',
        env: { OCSP_URL: dead, CRL_URL: `${dead}/ca.crl` },
      });
      await builder.revoke(kc.cert, 'keyCompromise');
      await builder.revoke(ss.cert, 'superseded');
      // keyCompromise with an invalidityDate: at build time (after the tests' signing time of a day ago),
      // and two days before it (before that signing time).
      const at = (ms: number) =>
        new Date(ms)
          .toISOString()
          .replace(/[-:T]/g, '')
          .replace(/\.\d+Z$/, 'Z');
      const later = await builder.issue('kcLater', 'Notation Invalid Later', { startDate: start });
      const early = await builder.issue('kcEarly', 'Notation Invalid Early', { startDate: start });
      await builder.revoke(later.cert, 'keyCompromise', at(Date.now()));
      await builder.revoke(early.cert, 'keyCompromise', at(Date.now() - 2 * 86_400_000));
      await builder.crl(join(d, 'crl.pem'));
    });
    ca = { caPem: join(built, 'ca', 'ca.pem') };
    for (const name of ['good', 'kc', 'ss', 'unreachable', 'kcLater', 'kcEarly'])
      leaves[name] = issuedIn(join(built, 'ca'), name);
    crls = await readCrls(join(built, 'crl.pem'));
  }, 120_000);

  it('strict (revocation enforce): a revoked signer fails with CERT_REVOKED', async () => {
    const { verdict } = await verdictOf(sign('kc'), 'strict');
    expect([verdict.status, verdict.code]).toEqual(['untrusted', 'CERT_REVOKED']);
    expect(verdict.message).toMatch(
      /^CN=Notation Compromised,O=Sigscan Test was revoked \S+ \(keyCompromise\)/,
    );
    expect(verdict.message).toContain('revocation is enforced by trust policy "test" (strict');
  });

  it('permissive (revocation log): verified, the revocation logged', async () => {
    const { verdict } = await verdictOf(sign('kc'), 'permissive');
    expect([verdict.status, verdict.code]).toEqual(['verified', 'VERIFIED_WITH_LOGGED_FAILURES']);
    expect(verdict.message).toContain(
      'logged but not enforced by the policy: revocation failed (CERT_REVOKED)',
    );
  });

  it('a good signer: the message says revocation was checked', async () => {
    const { verdict } = await verdictOf(sign('good'), 'strict');
    expect([verdict.status, verdict.code]).toEqual(['verified', 'VERIFIED']);
    expect(verdict.message).toContain('revocation checked (offline): 1 certificate(s) not revoked');
  });

  it('--revocation off: the policy asks, but nothing was checked, and the message says so', async () => {
    const { verdict } = await verdictOf(sign('kc'), 'strict', { revocation: 'off' });
    expect([verdict.status, verdict.code]).toEqual(['verified', 'VERIFIED']);
    expect(verdict.message).toContain('revocation (OCSP/CRL) was not checked');
  });

  // notation-go verifyRevocation passes an authentic signing time only for notary.x509.signingAuthority, and
  // notation-core-go (revocation/internal/crl checkRevocation, internal/ocsp) then keeps a revoked
  // certificate only when the entry's invalidityDate is after that time; the reason does not matter.
  it('signing authority: a superseded revocation without invalidityDate fails, whatever the signing time', async () => {
    const time = new Date(Date.now() - 86_400_000);
    const ss = await verdictOf(
      sign('ss', { scheme: 'notary.x509.signingAuthority', time }),
      'strict',
      {},
      undefined,
      'signingAuthority',
    );
    expect([ss.verdict.status, ss.verdict.code]).toEqual(['untrusted', 'CERT_REVOKED']);
    // notary.x509 has no authentic signing time (its signingTime is the signer's claim): revoked.
    const plain = await verdictOf(sign('ss', { time }), 'strict');
    expect(plain.verdict.code).toBe('CERT_REVOKED');
  });

  it('signing authority: an authentic signing time before the invalidityDate keeps the signature, even for keyCompromise', async () => {
    const time = new Date(Date.now() - 86_400_000);
    const sa = (name: string) =>
      verdictOf(
        sign(name, { scheme: 'notary.x509.signingAuthority', time }),
        'strict',
        {},
        undefined,
        'signingAuthority',
      );
    const keeps = await sa('kcLater');
    expect([keeps.verdict.status, keeps.verdict.code]).toEqual(['verified', 'VERIFIED']);
    expect(keeps.evidence.findings?.map((f) => f.code)).toEqual([
      'THUMBPRINT_ANNOTATION_MISSING',
      'CERT_REVOKED_LATER',
    ]);
    // Signed after the invalidityDate: revoked.
    expect((await sa('kcEarly')).verdict.code).toBe('CERT_REVOKED');
    // keyCompromise without invalidityDate: revoked.
    expect((await sa('kc')).verdict.code).toBe('CERT_REVOKED');
    // notary.x509: no authentic signing time is passed, so the invalidityDate does not help.
    expect((await verdictOf(sign('kcLater', { time }), 'strict')).verdict.code).toBe('CERT_REVOKED');
  });

  it('unknown: passes offline (nothing was asked), fails enforce once sources were consulted', async () => {
    // Offline, and no --crl names its issuer.
    const offline = await verdictOf(sign('unreachable'), 'strict', { crls: [] });
    expect(offline.verdict.code).toBe('VERIFIED');
    expect(offline.verdict.message).toContain('is unknown (offline: only --crl files are read)');
    const down: OnlineRevocation = {
      check: async () => [
        { status: 'unavailable', source: 'OCSP http://127.0.0.1:1', problem: 'ECONNREFUSED' },
      ],
    };
    const online = await verdictOf(sign('unreachable'), 'strict', { revocation: 'online', crls: [] }, down);
    expect([online.verdict.status, online.verdict.code]).toEqual(['untrusted', 'REVOCATION_UNKNOWN']);
    // A good answer from a consulted source is not "unknown": the signature stays verified.
    const up: OnlineRevocation = {
      check: async () => [{ status: 'good', source: 'OCSP http://127.0.0.1:1' }],
    };
    const good = await verdictOf(sign('unreachable'), 'strict', { revocation: 'online', crls: [] }, up);
    expect([good.verdict.status, good.verdict.code]).toEqual(['verified', 'VERIFIED']);
    const logged = await verdictOf(
      sign('unreachable'),
      'permissive',
      { revocation: 'online', crls: [] },
      down,
    );
    expect(logged.verdict.code).toBe('VERIFIED_WITH_LOGGED_FAILURES');
    expect(logged.evidence.findings?.map((f) => f.code)).toEqual([
      'THUMBPRINT_ANNOTATION_MISSING',
      'REVOCATION_SOURCE_NOT_USED',
    ]);
  });
});
