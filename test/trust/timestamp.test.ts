import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { parseSignedData, signerTimestamps } from '../../src/formats/cms.js';
import { readCertificates } from '../../src/trust/config.js';
import { verifyTimestamp } from '../../src/trust/timestamp.js';
import type { ParsedCertificate } from '../../src/formats/x509.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import {
  compileTinyPe,
  fixtureNow,
  makeSignedPe,
  makeTestPki,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { detectFile } from './helpers.js';

const LEGACY = join(CORPUS_DIR, 'authenticode/trust/signify-legacy-certs.pem');

async function stampOf(file: string) {
  const [e] = await detectFile(file, 'pe');
  const m = e!.material as AuthenticodeMaterial;
  const info = parseSignedData(m.signedDataDer);
  const signer = info.signers[0]!;
  return { m, info, signer, stamp: signerTimestamps(signer, info.certificates)[0]! };
}

describe('verifyTimestamp on corpus countersignatures', () => {
  let legacy: ParsedCertificate[];
  beforeAll(async () => {
    legacy = await readCertificates(LEGACY, '--tsa-root');
  });

  it('RFC 3161 token (DXCore.dll) from its DER: intact and trusted, genTime as signify reports', async () => {
    const { m, signer } = await stampOf(join(CORPUS_DIR, 'authenticode/signify/DXCore.dll'));
    const r = await verifyTimestamp({
      tokenDer: m.timestampTokenDer,
      stampedBytes: signer.signatureValue,
      tsaRoots: legacy,
    });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID', kind: 'rfc3161' });
    expect(r.time!.toISOString()).toMatch(/^2025-07-15T23:47:21/);
    expect(r.tsa!.summary.subject).toContain('CN=Microsoft Time-Stamp Service');
  });

  it('PKCS #9 countersignature (pciide.sys): TSA certificate from the parent certificate set', async () => {
    const { info, signer, stamp } = await stampOf(join(CORPUS_DIR, 'authenticode/signify/pciide.sys'));
    const r = await verifyTimestamp({
      timestamp: stamp,
      stampedBytes: signer.signatureValue,
      tsaRoots: legacy,
      extraCertificates: info.certificates,
    });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, kind: 'pkcs9' });
    expect(r.time!.toISOString()).toBe('2009-07-14T01:45:55.000Z');
  });

  it('legacy bare-MD5 countersignature (SoftwareUpdate.exe, VeriSign 2008) is intact', async () => {
    const { signer, stamp } = await stampOf(join(CORPUS_DIR, 'authenticode/signify/SoftwareUpdate.exe'));
    const r = await verifyTimestamp({ timestamp: stamp, stampedBytes: signer.signatureValue, tsaRoots: [] });
    expect(r, r.message).toMatchObject({ ok: true, trusted: false, code: 'TSA_NO_TRUST_ROOT' });
    expect(r.weakAlgorithms).toContain('MD5');
  });

  it('no TSA roots: ok (integrity) but not trusted', async () => {
    const { m, signer } = await stampOf(join(CORPUS_DIR, 'authenticode/signify/whois.exe'));
    const r = await verifyTimestamp({
      tokenDer: m.timestampTokenDer,
      stampedBytes: signer.signatureValue,
      tsaRoots: [],
    });
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_NO_TRUST_ROOT' });
  });

  it('stamping other bytes: TIMESTAMP_IMPRINT_MISMATCH for both kinds', async () => {
    const rfc = await stampOf(join(CORPUS_DIR, 'authenticode/signify/whois.exe'));
    const other = rfc.signer.signatureValue.slice();
    other[0] = other[0]! ^ 1;
    expect(
      await verifyTimestamp({ tokenDer: rfc.m.timestampTokenDer, stampedBytes: other, tsaRoots: legacy }),
    ).toMatchObject({ ok: false, trusted: false, code: 'TIMESTAMP_IMPRINT_MISMATCH' });
    const pk9 = await stampOf(join(CORPUS_DIR, 'authenticode/signify/pciide.sys'));
    const other9 = pk9.signer.signatureValue.slice();
    other9[0] = other9[0]! ^ 1;
    expect(
      await verifyTimestamp({ timestamp: pk9.stamp, stampedBytes: other9, tsaRoots: legacy }),
    ).toMatchObject({ ok: false, code: 'TIMESTAMP_IMPRINT_MISMATCH' });
  });

  it('a token whose signature was altered: TIMESTAMP_SIGNATURE_INVALID', async () => {
    const { m, signer } = await stampOf(join(CORPUS_DIR, 'authenticode/signify/DXCore.dll'));
    const token = m.timestampTokenDer!.slice();
    const tokenSigner = parseSignedData(token).signers[0]!;
    const sig = Buffer.from(tokenSigner.signatureValue);
    const at = Buffer.from(token).indexOf(sig);
    expect(at).toBeGreaterThan(0);
    token[at + 20] = token[at + 20]! ^ 0x01;
    const r = await verifyTimestamp({
      tokenDer: token,
      stampedBytes: signer.signatureValue,
      tsaRoots: legacy,
    });
    expect(r).toMatchObject({ ok: false, code: 'TIMESTAMP_SIGNATURE_INVALID' });
  });

  it('garbage: TIMESTAMP_MALFORMED, never throws', async () => {
    const r = await verifyTimestamp({
      tokenDer: new Uint8Array([0x30, 0x03, 1, 2, 3]),
      stampedBytes: new Uint8Array(),
      tsaRoots: [],
    });
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'TIMESTAMP_MALFORMED' });
  });
});

describe('verifyTimestamp on tokens osslsigncode made with a local TSA', () => {
  let dir: string;
  let pki: TestPki;
  let other: TestPki;
  let stamped: string;
  // From the day's fixture clock (set in beforeAll): the stamped file and osslsigncode's answers are cached.
  let when: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-ts-'));
    pki = await makeTestPki(dir);
    when = (await fixtureNow()) + 3600;
    mkdirSync(join(dir, 'other'));
    other = await makeTestPki(join(dir, 'other'));
    stamped = await makeSignedPe(pki, await compileTinyPe(dir), join(dir, 'stamped.exe'), {
      timestampUnixTime: when,
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trusted with the TSA root, at the -TSA-time osslsigncode was given', async () => {
    const { m, signer } = await stampOf(stamped);
    const r = await verifyTimestamp({
      tokenDer: m.timestampTokenDer,
      stampedBytes: signer.signatureValue,
      tsaRoots: await readCertificates(pki.caPem, '--tsa-root'),
    });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
    expect(r.time!.getTime()).toBe(when * 1000);
    expect(r.tsa!.summary.subject).toBe('CN=Sigscan Test TSA,O=Sigscan Test,C=DE');
  });

  it('another root with the same DN does not anchor the TSA', async () => {
    const { m, signer } = await stampOf(stamped);
    const r = await verifyTimestamp({
      tokenDer: m.timestampTokenDer,
      stampedBytes: signer.signatureValue,
      tsaRoots: await readCertificates(other.caPem, '--tsa-root'),
    });
    expect(r.ok).toBe(true);
    expect(r.trusted).toBe(false);
    expect(r.code).toMatch(/^TSA_/);
  });

  it('reports the TSA certificate, which carries the timeStamping EKU RFC 3161 requires', async () => {
    const { m, signer } = await stampOf(stamped);
    // Trusting only the signer's own CA but checking a stamp against the code-signing leaf as "TSA":
    // emulate by handing the codesign chain as the only certificates, which cannot match the sid.
    const r = await verifyTimestamp({
      tokenDer: m.timestampTokenDer,
      stampedBytes: signer.signatureValue,
      tsaRoots: await readCertificates(pki.caPem, '--tsa-root'),
    });
    expect(r.tsa!.summary.extendedKeyUsages).toContain('timeStamping');
  });
});
