/**
 * jdk.certpath.disabledAlgorithms as jar-algorithms.ts applies it, rule by rule, on real certificates
 * made by openssl (keys of each size and curve); the signature OID is the only synthetic input, since
 * openssl 3 no longer signs with MD2 or the OIW sha1WithRSA OID. The jarsigner oracle for whole chains
 * is in jar-weak-algorithms.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { pemCertificates } from '../../src/formats/x509.js';
import {
  certificateKey,
  disabledCertpathAlgorithms,
  type CertpathCertificate,
} from '../../src/trust/jar-algorithms.js';
import { removeDir, tempDir } from '../helpers/jar/index.js';

const SHA256_RSA = '1.2.840.113549.1.1.11';
const AFTER = new Date('2026-01-01T00:00:00Z');
const CUTOFF = new Date('2019-01-01T00:00:00Z');
const BEFORE = new Date(CUTOFF.getTime() - 1);

let dir: string;
const der: Record<string, Uint8Array> = {};

/** A self-signed certificate with a key made by `-newkey <spec>`; only its key is used here. */
function cert(name: string, newkey: string[]): void {
  const out = join(dir, `${name}.pem`);
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
      out,
      '-subj',
      `/CN=${name}`,
      '-days',
      '1',
    ],
    { stdio: 'pipe' },
  );
  der[name] = pemCertificates(readFileSync(out, 'utf8'))[0]!;
}

beforeAll(() => {
  dir = tempDir('sigscan-certpath-');
  cert('rsa2048', ['-newkey', 'rsa:2048']);
  cert('rsa1024', ['-newkey', 'rsa:1024']);
  cert('rsa1016', ['-newkey', 'rsa:1016']);
  cert('ec192', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime192v1']);
  cert('ec224', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp224r1']);
  cert('ec256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1']);
  execFileSync('openssl', ['dsaparam', '-out', join(dir, 'dsa.par'), '1024'], { stdio: 'pipe' });
  cert('dsa1024', ['-newkey', `dsa:${join(dir, 'dsa.par')}`]);
  // openssl 3 refuses DSA parameters under 1024 bits; keytool still makes a 512-bit DSA key.
  const ks = join(dir, 'dsa.p12');
  const store = ['-keystore', ks, '-storepass', 'changeit', '-storetype', 'PKCS12'];
  execFileSync(
    'keytool',
    ['-genkeypair', '-alias', 'd', '-keyalg', 'DSA', '-keysize', '512', '-dname', 'CN=dsa512', ...store],
    { stdio: 'pipe' },
  );
  der['dsa512'] = pemCertificates(
    execFileSync('keytool', ['-exportcert', '-rfc', '-alias', 'd', ...store], { encoding: 'utf8' }),
  )[0]!;
}, 60_000);

afterAll(() => removeDir(dir));

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
