import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { rpmDetector, type RpmEvidenceMaterial } from '../../../src/detectors/rpm.js';
import type { Evidence, FileTarget, Verdict } from '../../../src/model/index.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { openPgpSignatureVersion } from '../../../src/formats/rpm/index.js';
import { rpmVerifier } from '../../../src/trust/families/rpm.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { silentLogger } from '../../../src/util/logger.js';
import { readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { rpmFixtures, rpmkeysCheck, type RpmFixtures } from '../../helpers/rpm/index.js';

interface Outcome {
  evidence: Evidence;
  verdict: Verdict;
}

const target = (path: string, bytes: Uint8Array): FileTarget => ({
  kind: 'file',
  path,
  size: bytes.length,
  digest: 'sha256:x',
  format: 'rpm',
});

async function scan(
  path: string,
  keyrings: string[] = [],
  at?: string,
  bytes = readBytes(path),
): Promise<Outcome[]> {
  const evaluator = new TrustEvaluator(await loadTrustConfig({ gpgKeyring: keyrings, at }));
  const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
  const out: Outcome[] = [];
  for await (const evidence of rpmDetector.detect(target(path, bytes), ctx)) {
    out.push({ evidence, verdict: await evaluator.evaluate(evidence, target(path, bytes)) });
  }
  return out;
}

const summary = (o: Outcome[]) =>
  o.map((x) => `${x.evidence.location}: ${x.verdict.status} ${x.verdict.code}`);

describe('RPM signature verdicts, with rpmkeys --checksig as the oracle', () => {
  let fx: RpmFixtures;
  let dir: string;

  beforeAll(() => {
    fx = rpmFixtures();
    dir = tempDir('sigscan-rpm-');
  }, 180_000);

  afterAll(() => removeDir(dir));

  it('a header-only V4 RSA signature verifies with the signer keyring (rpmkeys: OK)', async () => {
    const out = await scan(fx.rpm['rsa']!, [fx.keyring['rsa']!]);
    expect(summary(out)).toEqual(['signature header RSAHEADER: verified SIGNATURE_VERIFIED']);
    const e = out[0]!.evidence;
    expect(e.signer.keyId).toBe(fx.fingerprint['rsa']!.slice(-16));
    expect(e.algorithm).toBe('RSA/SHA512');
    expect(e.details).toMatchObject({
      tag: 'RSAHEADER',
      signed: 'header',
      package: 'sigscan-test 1.0 1 noarch',
      packetVersion: 4,
    });
    expect(out[0]!.verdict.message).toContain('RPM RSA Signer <rpm-rsa@sigscan.test>');
    const oracle = rpmkeysCheck(fx.rpm['rsa']!, fx.keyring['rsa']!);
    expect(oracle.ok).toBe(true);
    expect(oracle.output).toMatch(/Header V4 RSA\/SHA512 Signature, key ID [0-9a-f]{8}: OK/);
  });

  it('--rpmv3: the header+payload signature verifies too; EdDSA header signatures verify', async () => {
    expect(summary(await scan(fx.rpm['rsav3']!, [fx.keyring['rsa']!]))).toEqual([
      'signature header RSAHEADER: verified SIGNATURE_VERIFIED',
      'signature header SIGPGP: verified SIGNATURE_VERIFIED',
    ]);
    expect(rpmkeysCheck(fx.rpm['rsav3']!, fx.keyring['rsa']!).output).toMatch(
      /\n\s+V4 RSA\/SHA512 Signature, key ID [0-9a-f]+: OK/,
    );
    const ed = await scan(fx.rpm['eddsa']!, [fx.keyring['eddsa']!]);
    expect(summary(ed)).toEqual(['signature header DSAHEADER: verified SIGNATURE_VERIFIED']);
    expect(ed[0]!.evidence.algorithm).toBe('EdDSA/SHA256');
    expect(rpmkeysCheck(fx.rpm['eddsa']!, fx.keyring['eddsa']!).ok).toBe(true);
  });

  it('without a keyring: unverified; with another key: untrusted UNKNOWN_SIGNER (rpmkeys: NOKEY)', async () => {
    expect(summary(await scan(fx.rpm['rsa']!))).toEqual([
      'signature header RSAHEADER: unverified NO_TRUST_ROOT',
    ]);
    expect(summary(await scan(fx.rpm['rsa']!, [fx.keyring['other']!]))).toEqual([
      'signature header RSAHEADER: untrusted UNKNOWN_SIGNER',
    ]);
    const oracle = rpmkeysCheck(fx.rpm['rsa']!, fx.keyring['other']!);
    expect(oracle.ok).toBe(false);
    expect(oracle.output).toMatch(/NOKEY/);
  });

  it('unsigned: no evidence', async () => {
    expect(await scan(fx.rpm['unsigned']!, [fx.keyring['rsa']!])).toEqual([]);
  });

  it('a tampered payload is invalid for us and for rpmkeys', async () => {
    const bytes = readBytes(fx.rpm['rsav3']!).slice();
    bytes[bytes.length - 20]! ^= 1;
    const path = join(dir, 'payload.rpm');
    writeFileSync(path, bytes);
    expect(summary(await scan(path, [fx.keyring['rsa']!]))).toEqual([
      'signature header RSAHEADER: invalid RPM_PAYLOAD_DIGEST_MISMATCH',
      'signature header SIGPGP: invalid RPM_PAYLOAD_DIGEST_MISMATCH',
    ]);
    const oracle = rpmkeysCheck(path, fx.keyring['rsa']!);
    expect(oracle.ok).toBe(false);
    expect(oracle.output).toMatch(/Payload SHA256 digest: BAD/);
  });

  it('a tampered header is invalid for us and for rpmkeys', async () => {
    const bytes = readBytes(fx.rpm['rsa']!).slice();
    bytes[Buffer.from(bytes).indexOf('sigscan test package')]! ^= 0x20;
    const path = join(dir, 'header.rpm');
    writeFileSync(path, bytes);
    expect(summary(await scan(path, [fx.keyring['rsa']!]))).toEqual([
      'signature header RSAHEADER: invalid RPM_HEADER_DIGEST_MISMATCH',
    ]);
    expect(rpmkeysCheck(path, fx.keyring['rsa']!).output).toMatch(
      /Header V4 RSA\/SHA512 Signature, key ID [0-9a-f]+: BAD/,
    );
  });
});

describe('rpmVerifier on altered evidence (faults rpmbuild 4.18 cannot write)', () => {
  let fx: RpmFixtures;

  beforeAll(() => {
    fx = rpmFixtures();
  }, 180_000);

  async function evidence(name: string): Promise<Evidence[]> {
    const path = fx.rpm[name]!;
    const bytes = readBytes(path);
    const out: Evidence[] = [];
    const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
    for await (const e of rpmDetector.detect(target(path, bytes), ctx)) out.push(e);
    return out;
  }

  async function verdict(e: Evidence, keyrings: string[], at?: string): Promise<Verdict> {
    const config = await loadTrustConfig({ gpgKeyring: keyrings, at });
    return rpmVerifier(e, target('x.rpm', new Uint8Array()), { config, now: config.at ?? new Date() });
  }

  it('the signature checked against other bytes is BAD_SIGNATURE (the digests alone do not decide)', async () => {
    const [e] = await evidence('rsa');
    const m = e!.material as RpmEvidenceMaterial;
    const signed = m.signed.slice();
    signed[100]! ^= 1;
    m.signed = signed;
    expect(await verdict(e!, [fx.keyring['rsa']!])).toMatchObject({
      status: 'invalid',
      code: 'BAD_SIGNATURE',
    });
  });

  it('a header-only signature over a header without a payload digest is RPM_PAYLOAD_NOT_COVERED', async () => {
    const [e] = await evidence('rsa');
    (e!.material as RpmEvidenceMaterial).payloadDigestChecked = false;
    expect(await verdict(e!, [fx.keyring['rsa']!])).toMatchObject({
      status: 'invalid',
      code: 'RPM_PAYLOAD_NOT_COVERED',
    });
    // A header+payload signature covers the payload itself.
    const [, pgp] = await evidence('rsav3');
    (pgp!.material as RpmEvidenceMaterial).payloadDigestChecked = false;
    expect((await verdict(pgp!, [fx.keyring['rsa']!])).code).toBe('SIGNATURE_VERIFIED');
  });

  it('a V3 signature packet (openpgp.js skips them) is an error UNSUPPORTED_SIGNATURE_VERSION, never a verdict', async () => {
    const [e] = await evidence('rsa');
    // RFC 4880 §5.2.2 V3 layout: version 3, hashed length 5, type, time, key id, RSA, SHA-256, left16, MPI.
    const body = Buffer.concat([
      Buffer.from([3, 5, 0, 0x5f, 0, 0, 0]),
      Buffer.from(fx.fingerprint['rsa']!.slice(-16), 'hex'),
      Buffer.from([1, 8, 0xaa, 0xbb, 0x00, 0x10, 0x12, 0x34]),
    ]);
    const v3 = Buffer.concat([Buffer.from([0x88, body.length]), body]);
    (e!.material as RpmEvidenceMaterial).packet = v3;
    expect(await verdict(e!, [fx.keyring['rsa']!])).toMatchObject({
      status: 'error',
      code: 'UNSUPPORTED_SIGNATURE_VERSION',
    });
    expect((await verdict(e!, [fx.keyring['rsa']!])).message).toMatch(/is a V3 OpenPGP signature/);
    expect(openPgpSignatureVersion(v3)).toBe(3);
    expect(openPgpSignatureVersion(new Uint8Array([0xc2, 10, 4]))).toBe(4);
    expect(openPgpSignatureVersion(new Uint8Array([0x89, 0, 10, 4]))).toBe(4);
    expect(openPgpSignatureVersion(new Uint8Array([0x01]))).toBeUndefined();
  });

  it('a packet openpgp cannot read is NOT_A_SIGNATURE; no material is INTERNAL', async () => {
    const [e] = await evidence('rsa');
    (e!.material as RpmEvidenceMaterial).packet = new Uint8Array([0x89, 0x01, 0x00]);
    expect((await verdict(e!, [fx.keyring['rsa']!])).code).toBe('NOT_A_SIGNATURE');
    expect((await verdict({ ...e!, material: undefined }, [])).code).toBe('INTERNAL');
  });

  it('checked before the signature was made: SIGNATURE_TIME_INVALID; after the key expired: KEY_NOT_VALID', async () => {
    const [e] = await evidence('rsa');
    expect(await verdict(e!, [fx.keyring['rsa']!], '2001-01-01T00:00:00Z')).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_TIME_INVALID',
    });
    const [x] = await evidence('expiring');
    expect((await verdict(x!, [fx.keyring['expiring']!])).code).toBe('SIGNATURE_VERIFIED');
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString();
    expect(await verdict(x!, [fx.keyring['expiring']!], later)).toMatchObject({
      status: 'untrusted',
      code: 'KEY_NOT_VALID',
    });
  });
});
