import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../../src/detectors/authenticode.js';
import { parseSignedData, signerTimestamps } from '../../../src/formats/cms.js';
import { parseCertificate, pemCertificates } from '../../../src/formats/x509.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { readCrls } from '../../../src/trust/revocation/crl.js';
import { verifyTimestamp } from '../../../src/trust/timestamp.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { cachedProcess, compileTinyPe } from '../../helpers/pe/signed-pe.js';
import {
  type IssuedCert,
  makeRevocationCa,
  opensslTime,
  reopenRevocationCa,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';
import { detectFile, evaluateFile } from '../helpers.js';

const run = promisify(execFile);
const DAY = 86_400_000;

/**
 * Authenticode signatures by certificates an `openssl ca` revoked, signed and timestamped by osslsigncode,
 * judged with the CA's CRL (`--crl`). Oracle: `osslsigncode verify -CRLfile` (exit status 0 = accepted).
 */
describe('revocation of Authenticode signers (openssl ca CRLs, osslsigncode signatures)', () => {
  let dir: string;
  let ca: RevocationCa;
  let exe: string;
  let crl: string;
  let expiredCrl: string;
  let impostorCrl: string;
  const now = Date.now();
  const start = opensslTime(new Date(now - 30 * DAY));
  const stampBefore = Math.floor((now - DAY) / 1000);
  const signed: Record<string, string> = {};

  const sign = async (name: string, leaf: IssuedCert, stamp?: { time: number; tsa: IssuedCert }) => {
    const out = join(dir, `${name}.exe`);
    const args = ['sign', '-certs', leaf.chain, '-key', leaf.key, '-h', 'sha256'];
    if (stamp) {
      args.push('-TSA-certs', stamp.tsa.chain, '-TSA-key', stamp.tsa.key, '-TSA-time', String(stamp.time));
    }
    await run('osslsigncode', [...args, '-in', exe, '-out', out]);
    signed[name] = out;
    return out;
  };
  // osslsigncode's answer for these bytes, once a day (cachedProcess).
  const oracle = async (file: string, crlFile: string) => {
    const args = ['verify', '-CAfile', ca.caPem, '-TSA-CAfile', ca.caPem, '-CRLfile', crlFile, '-ignore-cdp'];
    const { answer } = await cachedProcess(
      'authenticode-revocation-oracle-v1',
      [{ file }, { file: ca.caPem }, { file: crlFile }],
      'osslsigncode',
      () => [...args, '-in', file],
    );
    return answer.exitCode === 0
      ? { passed: true, output: '' }
      : { passed: false, output: `${answer.stdout}${answer.stderr}` };
  };
  const verdictOf = async (file: string, crls: string[], extra: { tsa?: boolean } = {}) => {
    const cfg = await loadTrustConfig({
      trustRoot: [ca.caPem],
      tsaRoot: extra.tsa === false ? [] : [ca.caPem],
      crl: crls,
    });
    const [outcome] = await evaluateFile(file, 'pe', cfg);
    return outcome!;
  };

  // The CA, the leaves, the signed files and the CRL are made once a day (.cache/test-fixtures): Stryker
  // reruns this hook for every mutant. Their windows are days long (leaves from 30 days back, timestamps a
  // day before the revocations, the CRL current for 30 days), so a day-old copy judges alike. The CA is
  // copied per run: the expired-CRL test makes another CRL with it.
  beforeAll(async () => {
    const built = await cachedFixtureDir('authenticode-revocation-v2', async (d) => {
      dir = d;
      exe = await compileTinyPe(d);
      ca = await makeRevocationCa(join(d, 'ca'));
      const tsa = await ca.issue('tsa', 'Sigscan Revocation TSA', { extensions: 'tsa', startDate: start });
      const keyCompromise = await ca.issue('kc', 'Compromised Signer', { startDate: start });
      const superseded = await ca.issue('ss', 'Superseded Signer', { startDate: start });
      const good = await ca.issue('good', 'Good Signer', { startDate: start });
      const revokedTsa = await ca.issue('tsa2', 'Revoked TSA', { extensions: 'tsa', startDate: start });
      await sign('kc-stamped', keyCompromise, { time: stampBefore, tsa });
      await sign('ss-stamped', superseded, { time: stampBefore, tsa });
      await sign('ss-unstamped', superseded);
      await sign('good', good, { time: stampBefore, tsa });
      await sign('good-revoked-tsa', good, { time: stampBefore, tsa: revokedTsa });
      await ca.revoke(keyCompromise.cert, 'keyCompromise');
      await ca.revoke(superseded.cert, 'superseded');
      await ca.revoke(revokedTsa.cert, 'keyCompromise');
      await ca.crl(join(d, 'crl.pem'));
      // For the expired-CRL and impostor tests below: openssl ca runs, made here once a day too.
      await ca.crl(join(d, 'expired.pem'), {
        lastUpdate: opensslTime(new Date(now - 20 * DAY)),
        nextUpdate: opensslTime(new Date(now - 10 * DAY)),
      });
      const impostor = await makeRevocationCa(join(d, 'impostor'), ca.subject);
      // Its first certificate gets the serial the real CA gave the TSA, its third the good signer's.
      const a = await impostor.issue('x1', 'x1');
      await impostor.issue('x2', 'x2');
      await impostor.issue('x3', 'x3');
      const impostorGood = await impostor.issue('x4', 'x4');
      await impostor.revoke(a.cert, 'keyCompromise');
      await impostor.revoke(impostorGood.cert, 'keyCompromise');
      await impostor.crl(join(d, 'impostor.pem'));
    });
    dir = mkdtempSync(join(tmpdir(), 'sigscan-revocation-pe-'));
    ca = reopenRevocationCa(join(built, 'ca'), join(dir, 'ca'), '/O=Sigscan Test/CN=Sigscan Revocation CA');
    for (const name of ['kc-stamped', 'ss-stamped', 'ss-unstamped', 'good', 'good-revoked-tsa']) {
      signed[name] = join(built, `${name}.exe`);
    }
    crl = join(built, 'crl.pem');
    expiredCrl = join(built, 'expired.pem');
    impostorCrl = join(built, 'impostor.pem');
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keyCompromise with a trusted timestamp before the revocation: still CERT_REVOKED (oracle agrees)', async () => {
    const { verdict } = await verdictOf(signed['kc-stamped']!, [crl]);
    expect(verdict.status).toBe('untrusted');
    expect(verdict.code).toBe('CERT_REVOKED');
    expect(verdict.message).toContain('CN=Compromised Signer,O=Sigscan Test');
    expect(verdict.message).toMatch(
      /CN=Compromised Signer,O=Sigscan Test was revoked \d{4}-\d\d-\d\dT[\d:.]+Z \(keyCompromise\)/,
    );
    const o = await oracle(signed['kc-stamped']!, crl);
    expect([o.passed, o.output.includes('certificate revoked')]).toEqual([false, true]);
  });

  it('superseded after a trusted timestamp: verified (Windows rule, not the oracle), the revocation noted', async () => {
    const { verdict, evidence } = await verdictOf(signed['ss-stamped']!, [crl]);
    expect(verdict.status).toBe('verified');
    expect(verdict.code).toBe('CHAIN_VALID');
    expect(verdict.message).toContain('revocation checked (offline): 1 certificate(s) not revoked');
    expect(evidence.findings?.map((f) => f.code)).toEqual(['CERT_REVOKED_LATER']);
    expect(evidence.findings?.[0]?.message).toContain('(superseded), after the trusted timestamp');
    // osslsigncode refuses it: OpenSSL's CRL check (X509_V_FLAG_CRL_CHECK) weighs neither the reason nor
    // the revocation time. Here sigscan follows Windows, not the oracle.
    const o = await oracle(signed['ss-stamped']!, crl);
    expect([o.passed, o.output.includes('certificate revoked')]).toEqual([false, true]);
  });

  it('superseded without a timestamp: CERT_REVOKED (oracle agrees)', async () => {
    const { verdict } = await verdictOf(signed['ss-unstamped']!, [crl]);
    expect(verdict.code).toBe('CERT_REVOKED');
    expect(verdict.message).toContain('(superseded); the signature has no trusted timestamp');
    const o = await oracle(signed['ss-unstamped']!, crl);
    expect([o.passed, o.output.includes('certificate revoked')]).toEqual([false, true]);
  });

  it('superseded, timestamp not trusted (no --tsa-root): CERT_REVOKED', async () => {
    const { verdict } = await verdictOf(signed['ss-stamped']!, [crl], { tsa: false });
    expect(verdict.code).toBe('CERT_REVOKED');
  });

  it('a good signer with a CRL: verified, and the oracle agrees', async () => {
    const { verdict, evidence } = await verdictOf(signed['good']!, [crl]);
    expect(verdict.status).toBe('verified');
    expect(verdict.message).toContain('revocation checked (offline): 1 certificate(s) not revoked');
    expect(evidence.findings ?? []).toEqual([]);
    expect((await oracle(signed['good']!, crl)).passed).toBe(true);
  });

  it('a TSA revoked for key compromise: CERT_REVOKED for the signature (stricter than the oracle)', async () => {
    const { verdict } = await verdictOf(signed['good-revoked-tsa']!, [crl]);
    expect(verdict.status).toBe('untrusted');
    expect(verdict.code).toBe('CERT_REVOKED');
    expect(verdict.message).toContain('timestamped by a revoked TSA');
    expect(verdict.message).toContain('CN=Revoked TSA,O=Sigscan Test was revoked');
    // osslsigncode 2.9 checks -CRLfile against the signer's chain only, never the TSA's; WinVerifyTrust
    // checks the countersigner's chain for revocation too, and sigscan follows it.
    expect((await oracle(signed['good-revoked-tsa']!, crl)).passed).toBe(true);
  });

  it('verifyTimestamp names the TSA revocation: TSA_CERT_REVOKED, or TSA_REVOCATION_UNKNOWN under online-strict', async () => {
    const [evidence] = await detectFile(signed['good-revoked-tsa']!, 'pe');
    const m = evidence!.material as AuthenticodeMaterial;
    const info = parseSignedData(m.signedDataDer!);
    const signer = info.signers[0]!;
    const [stamp] = signerTimestamps(signer, info.certificates);
    const caCert = parseCertificate(pemCertificates(readFileSync(ca.caPem, 'utf8'))[0]!);
    const args = {
      timestamp: stamp!,
      stampedBytes: signer.signatureValue,
      tsaRoots: [caCert],
      extraCertificates: info.certificates,
    };
    const checkTime = new Date(Date.now() + 60_000);
    const revoked = await verifyTimestamp({
      ...args,
      revocation: { mode: 'offline', crls: await readCrls(crl), checkTime },
    });
    expect([revoked.ok, revoked.trusted, revoked.code]).toEqual([true, false, 'TSA_CERT_REVOKED']);
    const unknown = await verifyTimestamp({
      ...args,
      revocation: {
        mode: 'online-strict',
        crls: [],
        checkTime,
        online: { check: async () => [{ status: 'unavailable', source: 'OCSP x', problem: 'down' }] },
      },
    });
    expect([unknown.ok, unknown.trusted, unknown.code]).toEqual([true, false, 'TSA_REVOCATION_UNKNOWN']);
    // Without revocation options the same stamp is trusted: the options are what made the difference.
    expect((await verifyTimestamp(args)).code).toBe('TIMESTAMP_VALID');
  });

  it('without --crl (offline default): verified, the message says the status is unknown', async () => {
    const { verdict } = await verdictOf(signed['kc-stamped']!, []);
    expect(verdict.status).toBe('verified');
    expect(verdict.message).toContain(
      'the revocation status of CN=Compromised Signer,O=Sigscan Test is unknown (offline: only --crl files are read)',
    );
  });

  it('--revocation off: not checked, said so', async () => {
    const cfg = await loadTrustConfig({
      trustRoot: [ca.caPem],
      tsaRoot: [ca.caPem],
      crl: [crl],
      revocation: 'off',
    });
    const { verdict } = (await evaluateFile(signed['kc-stamped']!, 'pe', cfg))[0]!;
    expect(verdict.status).toBe('verified');
    expect(verdict.message).toContain('revocation not checked (--revocation off)');
  });

  it('an expired CRL is not used: a finding, and the revoked signer is not called revoked from it', async () => {
    const expired = expiredCrl;
    const { verdict, evidence } = await verdictOf(signed['ss-unstamped']!, [expired]);
    expect(verdict.status).toBe('verified');
    expect(verdict.message).toContain('is unknown');
    expect(evidence.findings?.map((f) => f.code)).toEqual(['REVOCATION_SOURCE_NOT_USED']);
    expect(evidence.findings?.[0]?.message).toMatch(/expired \S+ \(nextUpdate\), before the check time/);
  });

  it('a CRL from an impostor CA with the same name is ignored (finding), whatever it lists', async () => {
    // The impostor CA (same name, own key), its certificates and CRL are made in beforeAll's day cache.
    const fake = impostorCrl;
    const { verdict, evidence } = await verdictOf(signed['good']!, [fake]);
    expect(verdict.status).toBe('verified');
    // Once for the signer, once for the TSA: both name the CA the impostor copies.
    expect(evidence.findings?.map((f) => f.message.replace(/^CRL \S+ /, ''))).toEqual([
      'was not used to check CN=Sigscan Revocation TSA,O=Sigscan Test: its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
      'was not used to check CN=Good Signer,O=Sigscan Test: its signature does not verify with the key of CN=Sigscan Revocation CA,O=Sigscan Test',
    ]);
    // And beside the real CRL it changes nothing: the keyCompromise signer stays revoked.
    expect((await verdictOf(signed['kc-stamped']!, [fake, crl])).verdict.code).toBe('CERT_REVOKED');
  });
});
