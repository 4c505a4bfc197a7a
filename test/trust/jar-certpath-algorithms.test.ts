/**
 * jdk.certpath.disabledAlgorithms as jar-algorithms.ts applies it, rule by rule, on real certificates
 * made by openssl (keys of each size and curve); the signature OID is the only synthetic input, since
 * openssl 3 no longer signs with MD2 or the OIW sha1WithRSA OID. The jarsigner oracle for whole chains
 * is in jar-weak-algorithms.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { pemCertificates } from '../../src/formats/x509.js';
import {
  certificateKey,
  disabledCertpathAlgorithms,
  disabledJarAlgorithms,
  type CertpathCertificate,
} from '../../src/trust/jar-algorithms.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';

const SHA256_RSA = '1.2.840.113549.1.1.11';
const AFTER = new Date('2026-01-01T00:00:00Z');
const CUTOFF = new Date('2019-01-01T00:00:00Z');
const BEFORE = new Date(CUTOFF.getTime() - 1);

const der: Record<string, Uint8Array> = {};
const NAMES = ['rsa2048', 'rsa1024', 'rsa1016', 'pss1016', 'ec192', 'ec224', 'ec256', 'dsa1024', 'dsa512'];

/** A self-signed certificate in `dir` with a key made by `-newkey <spec>`; only its key is used here. */
function cert(dir: string, name: string, newkey: string[]): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      ...newkey,
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      join(dir, `${name}.pem`),
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
    ],
    { stdio: 'pipe' },
  );
}

// Built once a day into .cache/test-fixtures: Stryker reruns this hook for every mutant these tests cover,
// and the key generation (DSA parameters, keytool's JVM) is most of this file's time.
beforeAll(async () => {
  const dir = await cachedFixtureDir('jar-certpath-keys-v2', async (d) => {
    cert(d, 'rsa2048', ['-newkey', 'rsa:2048']);
    cert(d, 'rsa1024', ['-newkey', 'rsa:1024']);
    cert(d, 'rsa1016', ['-newkey', 'rsa:1016']);
    cert(d, 'pss1016', ['-newkey', 'rsa-pss', '-pkeyopt', 'rsa_keygen_bits:1016']);
    cert(d, 'ec192', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime192v1']);
    cert(d, 'ec224', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp224r1']);
    cert(d, 'ec256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
    execFileSync('openssl', ['dsaparam', '-out', join(d, 'dsa.par'), '1024'], { stdio: 'pipe' });
    cert(d, 'dsa1024', ['-newkey', `dsa:${join(d, 'dsa.par')}`]);
    // openssl 3 refuses DSA parameters under 1024 bits; keytool still makes a 512-bit DSA key.
    const ks = join(d, 'dsa.p12');
    const store = ['-keystore', ks, '-storepass', 'changeit', '-storetype', 'PKCS12'];
    execFileSync(
      'keytool',
      ['-genkeypair', '-alias', 'd', '-keyalg', 'DSA', '-keysize', '512', '-dname', 'CN=dsa512', ...store],
      { stdio: 'pipe' },
    );
    writeFileSync(
      join(d, 'dsa512.pem'),
      execFileSync('keytool', ['-exportcert', '-rfc', '-alias', 'd', ...store], { encoding: 'utf8' }),
    );
  });
  for (const name of NAMES) der[name] = pemCertificates(readFileSync(join(dir, `${name}.pem`), 'utf8'))[0]!;
}, 60_000);

function c(name: string, signatureOid = SHA256_RSA): CertpathCertificate {
  return { der: der[name]!, signatureOid, subject: `CN=${name}` };
}

describe('certificateKey: the size the JDK compares', () => {
  it.each([
    ['rsa2048', 'rsa', 2048],
    ['rsa1016', 'rsa', 1016],
    ['ec192', 'ec', 192],
    ['ec224', 'ec', 224],
    ['ec256', 'ec', 256],
    ['dsa1024', 'dsa', 1024],
    ['dsa512', 'dsa', 512],
  ])('%s is %s %d', (name, type, bits) => {
    expect(certificateKey(der[name]!)).toEqual({ type, bits });
  });

  it('unreadable bytes have no key', () => {
    expect(certificateKey(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toBeUndefined();
  });
});

describe('disabledCertpathAlgorithms', () => {
  const root = () => c('rsa2048');

  it('a strong path is clean', () => {
    expect(disabledCertpathAlgorithms([c('rsa2048'), c('ec256'), c('dsa1024'), root()], AFTER)).toEqual([]);
  });

  it.each([
    ['1.2.840.113549.1.1.5', 'sha1WithRSAEncryption'],
    ['1.3.14.3.2.29', 'OIW sha1WithRSASignature'],
    ['1.2.840.10040.4.3', 'dsa-with-sha1'],
    ['1.2.840.10045.4.1', 'ecdsa-with-SHA1'],
  ])('SHA-1 (%s, %s) from 2019-01-01 on, not before', (oid) => {
    expect(disabledCertpathAlgorithms([c('rsa2048', oid), root()], CUTOFF)).toEqual([
      'certificate CN=rsa2048 is signed with SHA-1 (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01", checked at 2019-01-01T00:00:00.000Z)',
    ]);
    expect(disabledCertpathAlgorithms([c('rsa2048', oid), root()], BEFORE)).toEqual([]);
  });

  it.each([
    ['1.2.840.113549.1.1.2', 'MD2'],
    ['1.2.840.113549.1.1.4', 'MD5'],
  ])('%s (%s) at any date', (oid, name) => {
    for (const at of [BEFORE, AFTER]) {
      expect(disabledCertpathAlgorithms([c('rsa2048', oid), root()], at)).toEqual([
        `certificate CN=rsa2048 is signed with ${name} (rule "MD2, MD5")`,
      ]);
    }
  });

  it("the anchor's own signature is never checked, its key is", () => {
    expect(disabledCertpathAlgorithms([c('rsa2048'), c('rsa2048', '1.2.840.113549.1.1.4')], AFTER)).toEqual(
      [],
    );
    expect(disabledCertpathAlgorithms([c('rsa2048'), c('rsa1016')], AFTER)).toEqual([
      'trust anchor CN=rsa1016 has a 1016-bit RSA key (rule "RSA keySize < 1024")',
    ]);
  });

  it('keys: RSA < 1024 and EC < 224 are refused at every position below the anchor; 1024 and 224 pass', () => {
    expect(
      disabledCertpathAlgorithms([c('rsa1016'), c('ec192'), c('rsa1024'), c('ec224'), root()], AFTER),
    ).toEqual([
      'certificate CN=rsa1016 has a 1016-bit RSA key (rule "RSA keySize < 1024")',
      'certificate CN=ec192 has a 192-bit EC key (rule "EC keySize < 224")',
    ]);
    expect(disabledCertpathAlgorithms([c('dsa512'), c('dsa1024'), root()], AFTER)).toEqual([
      'certificate CN=dsa512 has a 512-bit DSA key (rule "DSA keySize < 1024")',
    ]);
  });

  it('both the signature and the key of one certificate are reported', () => {
    expect(disabledCertpathAlgorithms([c('ec192', '1.2.840.10045.4.1'), root()], AFTER)).toEqual([
      'certificate CN=ec192 is signed with SHA-1 (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01", checked at 2026-01-01T00:00:00.000Z)',
      'certificate CN=ec192 has a 192-bit EC key (rule "EC keySize < 224")',
    ]);
  });

  it('an empty path (no TSA) is clean', () => {
    expect(disabledCertpathAlgorithms([], AFTER)).toEqual([]);
  });
});

// jdk.jar.disabledAlgorithms (MD2, MD5, RSA keySize < 1024, DSA keySize < 1024, SHA1 denyAfter 2019-01-01):
// the signer's digests and key, on the same openssl/keytool keys. jar-weak-algorithms.test.ts asks jarsigner.
describe('disabledJarAlgorithms', () => {
  const SHA1_AT_CUTOFF = 'SHA-1 (at 2019-01-01T00:00:00.000Z, after its 2019-01-01 cut-off)';

  it('MD2 and MD5 at any date, in any case', () => {
    for (const at of [BEFORE, AFTER]) {
      expect(disabledJarAlgorithms({ digestAlgorithms: ['MD2'] }, at)).toEqual(['MD2']);
      expect(disabledJarAlgorithms({ digestAlgorithms: ['md5', 'SHA-256'] }, at)).toEqual(['MD5']);
    }
  });

  it('SHA-1 (either spelling) from the cut-off instant on, not a millisecond before; one entry for both', () => {
    expect(disabledJarAlgorithms({ digestAlgorithms: ['SHA1'] }, CUTOFF)).toEqual([SHA1_AT_CUTOFF]);
    expect(disabledJarAlgorithms({ digestAlgorithms: ['sha-1'] }, CUTOFF)).toEqual([SHA1_AT_CUTOFF]);
    expect(disabledJarAlgorithms({ digestAlgorithms: ['SHA1', 'SHA-1'] }, CUTOFF)).toEqual([SHA1_AT_CUTOFF]);
    expect(disabledJarAlgorithms({ digestAlgorithms: ['SHA1', 'SHA-1'] }, BEFORE)).toEqual([]);
  });

  it('SHA-256 and up are never disabled', () => {
    expect(disabledJarAlgorithms({ digestAlgorithms: ['SHA-256', 'SHA-384', 'SHA-512'] }, AFTER)).toEqual([]);
  });

  it('RSA and DSA signer keys under 1024 bits; 1024 passes, and EC has no jar rule', () => {
    const key = (name: string) =>
      disabledJarAlgorithms({ digestAlgorithms: ['SHA-256'], signerCertificateDer: der[name]! }, AFTER);
    expect(key('rsa1016')).toEqual(['RSA 1016-bit key']);
    // An RSASSA-PSS key is an RSA key of that size (KeyUtil.getKeySize).
    expect(key('pss1016')).toEqual(['RSA 1016-bit key']);
    expect(key('dsa512')).toEqual(['DSA 512-bit key']);
    expect(key('rsa1024')).toEqual([]);
    expect(key('dsa1024')).toEqual([]);
    expect(key('ec192')).toEqual([]);
  });

  it('digests first, then the key; unreadable certificate bytes add nothing', () => {
    expect(
      disabledJarAlgorithms(
        { digestAlgorithms: ['MD5', 'SHA1'], signerCertificateDer: der['rsa1016']! },
        AFTER,
      ),
    ).toEqual([
      'MD5',
      'SHA-1 (at 2026-01-01T00:00:00.000Z, after its 2019-01-01 cut-off)',
      'RSA 1016-bit key',
    ]);
    expect(
      disabledJarAlgorithms(
        { digestAlgorithms: [], signerCertificateDer: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]) },
        AFTER,
      ),
    ).toEqual([]);
  });
});
