/**
 * Issue #11, JAR timestamps: jarsigner -tsa against a loopback RFC 3161 TSA (openssl ts -reply, its clock
 * set by faketime so that stamps can predate 2019), with a keytool PKI whose certificates cover 2017 to
 * now. What counts as a timestamp for a JAR:
 * - an RFC 3161 token whose TSA certificate has the timeStamping EKU, chains to --tsa-root and was valid
 *   at the stamped time; a TSA anchored only by --trust-root satisfies jarsigner -strict but its time
 *   does not count (the issue's rule, and a documented divergence from jarsigner, which has one store);
 * - never later than the verification time (--at);
 * - it moves the validity instant (an expired signer verifies if it was valid when stamped) and it
 *   exempts SHA-1 from jdk.jar.disabledAlgorithms when before 2019-01-01.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import { signerTimestamps, parseSignedData } from '../../src/formats/cms.js';
import { toArrayBuffer } from '../../src/formats/der.js';
import { parseCertificate, pemCertificates } from '../../src/formats/x509.js';
import { jarVerifier } from '../../src/trust/families/jar.js';
import { verifyTimestamp } from '../../src/trust/timestamp.js';

import {
  DEFAULT_FILES,
  exportCertPem,
  jarsignerVerifyStrict,
  makeJar,
  makeTruststore,
  STOREPASS,
  type StrictVerifyResult,
} from '../helpers/jar/index.js';
import { breathe, cachedFixtureDir } from '../helpers/fixture-cache.js';
import { run } from '../helpers/tools.js';
import { config, detectFile, evaluateFile, fileTarget } from './helpers.js';

let dir: string;
let keystore: string;
let caPem: string;
let tsaRootPem: string;
let trustBoth: string;
let server: Server;
let tsaUrl: string;
/** The clock the TSA stamps with (faketime syntax). */
let tsaClock = '2018-06-01 12:00:00';
/**
 * The TSA certificate the server signs with: `tsa` (SHA-256 signed), `tsa-sha1` (signed SHA1withRSA) or
 * `tsa-inter` (under the serverAuth-only intermediate, which the reply then carries).
 */
let tsaSigner = 'tsa';

const jars: Record<string, string> = {};
/** jarsigner -verify -strict's answer for each jar (truststore: both roots), from buildFixtures. */
let reference: Record<string, StrictVerifyResult>;

function keytool(...args: string[]): string {
  return execFileSync(
    'keytool',
    [...args, '-keystore', keystore, '-storepass', STOREPASS, '-keypass', STOREPASS, '-storetype', 'PKCS12'],
    { encoding: 'utf8', stdio: 'pipe' },
  );
}

/** A code-signing certificate issued by `ca`, valid from `start` (keytool -startdate) for `days`. */
function issue(alias: string, cn: string, start: string, days: number, sigalg?: string): void {
  keytool(
    '-genkeypair',
    '-alias',
    alias,
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-dname',
    `CN=${cn}, O=Sigscan Tests`,
  );
  const csr = execFileSync(
    'keytool',
    ['-certreq', '-alias', alias, '-keystore', keystore, '-storepass', STOREPASS, '-storetype', 'PKCS12'],
    { encoding: 'utf8' },
  );
  const cert = execFileSync(
    'keytool',
    [
      '-gencert',
      '-alias',
      'ca',
      '-rfc',
      '-startdate',
      start,
      '-validity',
      String(days),
      '-ext',
      'eku=codeSigning',
      ...(sigalg ? ['-sigalg', sigalg] : []),
      '-keystore',
      keystore,
      '-storepass',
      STOREPASS,
      '-storetype',
      'PKCS12',
    ],
    { encoding: 'utf8', input: csr },
  );
  const chain = join(dir, `${alias}.chain.pem`);
  writeFileSync(chain, cert + readFileSync(caPem, 'utf8'));
  keytool('-importcert', '-alias', alias, '-file', chain, '-noprompt');
}

async function signWithTsa(name: string, alias: string, extra: string[] = []): Promise<string> {
  const path = makeJar(join(dir, name), DEFAULT_FILES);
  await run('jarsigner', [
    '-keystore',
    keystore,
    '-storepass',
    STOREPASS,
    '-storetype',
    'PKCS12',
    '-tsa',
    tsaUrl,
    ...extra,
    path,
    alias,
  ]);
  return path;
}

function tsaPki(): void {
  const ossl = (...args: string[]) =>
    execFileSync('faketime', ['2017-01-01 00:00:00', 'openssl', ...args], { stdio: 'pipe' });
  const cnf = join(dir, 'tsa.cnf');
  writeFileSync(
    cnf,
    [
      '[ req ]',
      'distinguished_name = dn',
      '[ dn ]',
      '[ root ]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      '[ tsa_cert ]',
      'basicConstraints = critical,CA:FALSE',
      'extendedKeyUsage = critical,timeStamping',
      '[ tls_ca ]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'extendedKeyUsage = serverAuth',
      '[ tsa ]',
      'default_tsa = tsa1',
      '[ tsa1 ]',
      `serial = ${join(dir, 'tsa.serial')}`,
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'digests = sha1, sha256, sha384, sha512',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'tsa.serial'), '01\n');
  const p = (n: string) => join(dir, n);
  ossl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('tsaroot.key'),
    '-out',
    p('tsaroot.pem'),
    '-subj',
    '/O=Sigscan Tests/CN=Jar TSA Root',
    '-days',
    '7300',
    '-config',
    cnf,
    '-extensions',
    'root',
  );
  ossl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('tsa.key'),
    '-out',
    p('tsa.csr'),
    '-subj',
    '/O=Sigscan Tests/CN=Jar TSA',
    '-config',
    cnf,
  );
  ossl(
    'x509',
    '-req',
    '-in',
    p('tsa.csr'),
    '-CA',
    p('tsaroot.pem'),
    '-CAkey',
    p('tsaroot.key'),
    '-CAcreateserial',
    '-out',
    p('tsa.pem'),
    '-days',
    '7000',
    '-extfile',
    cnf,
    '-extensions',
    'tsa_cert',
  );
  // The same TSA key, certified by the same root with SHA1withRSA: jdk.certpath.disabledAlgorithms
  // (SHA1 usage SignedJAR, which covers the "tsa server" variant) refuses it after 2019-01-01.
  ossl(
    'x509',
    '-req',
    '-in',
    p('tsa.csr'),
    '-CA',
    p('tsaroot.pem'),
    '-CAkey',
    p('tsaroot.key'),
    '-CAcreateserial',
    '-sha1',
    '-out',
    p('tsa-sha1.pem'),
    '-days',
    '7000',
    '-extfile',
    cnf,
    '-extensions',
    'tsa_cert',
  );
  // The same TSA key under an intermediate whose EKU says serverAuth only: the JDK reads the TSA
  // certificate's own EKU, never an issuer's (Go and Windows would refuse this chain).
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('tsainter.key'), '-out', p('tsainter.csr'),
    '-subj', '/O=Sigscan Tests/CN=Jar TSA TLS-only Intermediate', '-config', cnf); // prettier-ignore
  ossl('x509', '-req', '-in', p('tsainter.csr'), '-CA', p('tsaroot.pem'), '-CAkey', p('tsaroot.key'),
    '-CAcreateserial', '-out', p('tsainter.pem'), '-days', '7000', '-extfile', cnf, '-extensions', 'tls_ca'); // prettier-ignore
  ossl('x509', '-req', '-in', p('tsa.csr'), '-CA', p('tsainter.pem'), '-CAkey', p('tsainter.key'),
    '-CAcreateserial', '-out', p('tsa-inter.pem'), '-days', '7000', '-extfile', cnf, '-extensions', 'tsa_cert'); // prettier-ignore
  tsaRootPem = p('tsaroot.pem');
}

/**
 * A JAR signed (without -tsa) by `alias`, whose SignerInfo then gets a PKCS #9 countersignature made by
 * the TSA key with openssl cms at faketime 2018-06-01 (signingTime 2018), and the TSA certificate added
 * to the block: what old signing tools produced, and what the JDK never reads.
 */
async function countersigned(name: string, alias: string): Promise<string> {
  const path = makeJar(join(dir, name), DEFAULT_FILES);
  await run('jarsigner', [
    '-keystore',
    keystore,
    '-storepass',
    STOREPASS,
    '-storetype',
    'PKCS12',
    path,
    alias,
  ]);
  const blockName = `META-INF/${alias.toUpperCase()}.RSA`;
  const block = execFileSync('unzip', ['-p', path, blockName]);
  const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(block));
  const sd = new pkijs.SignedData({ schema: ci.content });
  const signerInfo = sd.signerInfos[0]!;
  const sigValue = join(dir, `${name}.sigvalue`);
  writeFileSync(sigValue, Buffer.from(signerInfo.signature.valueBlock.valueHexView));
  const cs = join(dir, `${name}.cs.der`);
  // -f: the clock frozen at that second. Without it faketime only starts the clock there, and on a busy
  // machine openssl signed at 12:00:01, which the exact signing time asserted below then missed.
  await run('faketime', [
    '-f',
    '2018-06-01 12:00:00',
    'openssl',
    'cms',
    '-sign',
    '-binary',
    '-in',
    sigValue,
    '-signer',
    join(dir, 'tsa.pem'),
    '-inkey',
    join(dir, 'tsa.key'),
    '-md',
    'sha256',
    '-outform',
    'DER',
    '-out',
    cs,
  ]);
  const counterSd = new pkijs.SignedData({
    schema: pkijs.ContentInfo.fromBER(toArrayBuffer(readFileSync(cs))).content,
  });
  signerInfo.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 1,
    attributes: [
      new pkijs.Attribute({ type: '1.2.840.113549.1.9.6', values: [counterSd.signerInfos[0]!.toSchema()] }),
    ],
  });
  const tsaDer = pemCertificates(readFileSync(join(dir, 'tsa.pem'), 'utf8'))[0]!;
  sd.certificates = [...(sd.certificates ?? []), pkijs.Certificate.fromBER(toArrayBuffer(tsaDer))];
  const out = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  const tree = join(dir, `${name}-tree`);
  mkdirSync(join(tree, 'META-INF'), { recursive: true });
  writeFileSync(join(tree, blockName), Buffer.from(out.toSchema().toBER()));
  await run('zip', ['-q', path, blockName], { cwd: tree });
  return path;
}

/**
 * Every tool run of this file, once per UTC day into the fixture cache (test/helpers/fixture-cache.ts):
 * keytool, faketime openssl, jarsigner -tsa against the loopback TSA, the PKCS #9 and two-token surgery,
 * and jarsigner -verify -strict on each jar (over a minute of JVM starts that Stryker would otherwise rerun
 * for every mutant the file's tests cover). jarsigner's answer is a property of the bytes and the truststore,
 * so it is stored beside them, and each test compares sigscan's live verdict with it. Nothing here depends on
 * the day: the stamps are made at faketime 2018-06-01, the certificates run from 2017 to 2036 or ended in 2019.
 */
async function buildFixtures(d: string): Promise<void> {
  dir = d;
  keystore = join(dir, 'keys.p12');
  keytool(
    '-genkeypair',
    '-alias',
    'ca',
    '-keyalg',
    'RSA',
    '-keysize',
    '2048',
    '-dname',
    'CN=Jar TSA Test CA, O=Sigscan Tests',
    '-startdate',
    '2017/01/01 00:00:00',
    '-validity',
    '7300',
    '-ext',
    'bc:c',
  );
  caPem = exportCertPem(keystore, 'ca', join(dir, 'ca.pem'));
  // Valid from mid-2017 to today + ~10 years; and one that expired in January 2019.
  await breathe();
  issue('signer', 'Jar TSA Test Signer', '2017/06/01 00:00:00', 7000);
  await breathe();
  issue('expired', 'Jar TSA Expired Signer', '2017/06/01 00:00:00', 600);
  await breathe();
  issue('sha1cert', 'Jar TSA SHA1 Certified Signer', '2017/06/01 00:00:00', 7000, 'SHA1withRSA');
  await breathe();
  tsaPki();
  await breathe();
  trustBoth = makeTruststore(join(dir, 'trust-both.p12'), { ca: caPem, tsaroot: tsaRootPem });

  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const q = join(dir, `q-${Date.now()}-${Math.random()}.tsq`);
      const r = `${q}.tsr`;
      writeFileSync(q, Buffer.concat(chunks));
      run('faketime', [
        tsaClock,
        'openssl',
        'ts',
        '-reply',
        '-config',
        join(dir, 'tsa.cnf'),
        '-queryfile',
        q,
        '-signer',
        join(dir, `${tsaSigner}.pem`),
        '-inkey',
        join(dir, 'tsa.key'),
        ...(tsaSigner === 'tsa-inter' ? ['-chain', join(dir, 'tsainter.pem')] : []),
        '-out',
        r,
      ])
        .then(() => {
          res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' });
          res.end(readFileSync(r));
        })
        .catch(() => {
          res.writeHead(500);
          res.end();
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  tsaUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;

  tsaClock = '2018-06-01 12:00:00';
  jars['sha1'] = await signWithTsa('sha1-2018.jar', 'signer', [
    '-digestalg',
    'SHA-1',
    '-sigalg',
    'SHA1withRSA',
  ]);
  jars['expired'] = await signWithTsa('expired-2018.jar', 'expired');
  jars['pkcs9'] = await countersigned('expired-pkcs9.jar', 'expired');
  jars['sha1cert'] = await signWithTsa('sha1cert-2018.jar', 'sha1cert');
  tsaSigner = 'tsa-sha1';
  jars['sha1tsa'] = await signWithTsa('sha1-tsa.jar', 'signer');
  tsaSigner = 'tsa-inter';
  jars['tsainter'] = await signWithTsa('expired-tsainter.jar', 'expired');
  tsaSigner = 'tsa';
  await new Promise<void>((resolve) => server.close(() => resolve()));
  for (const mode of ['attributes', 'values'] as const) {
    jars[`two-${mode}`] = await withTwoTokens(`two-${mode}.jar`, jars['expired']!, mode);
  }
  const answers: Record<string, StrictVerifyResult> = {};
  for (const [name, path] of Object.entries(jars)) {
    await breathe();
    answers[name] = jarsignerVerifyStrict(path, trustBoth);
  }
  writeFileSync(join(dir, 'jarsigner.json'), JSON.stringify(answers));
}

/** The jars, by name, and the file each was written to. */
const JAR_FILES: Record<string, string> = {
  sha1: 'sha1-2018.jar',
  expired: 'expired-2018.jar',
  pkcs9: 'expired-pkcs9.jar',
  sha1cert: 'sha1cert-2018.jar',
  sha1tsa: 'sha1-tsa.jar',
  tsainter: 'expired-tsainter.jar',
  'two-attributes': 'two-attributes.jar',
  'two-values': 'two-values.jar',
};

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-timestamps-v2', buildFixtures);
  caPem = join(dir, 'ca.pem');
  tsaRootPem = join(dir, 'tsaroot.pem');
  for (const [name, file] of Object.entries(JAR_FILES)) jars[name] = join(dir, file);
  reference = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reference;
}, 300_000);

async function verdict(path: string, opts: { tsaRoots?: string[]; roots?: string[]; at?: string }) {
  const outcomes = await evaluateFile(path, 'jar', await config({ roots: [caPem], ...opts }));
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!.verdict;
}

describe('JAR timestamps and SHA-1', () => {
  it('SHA-1 signed, stamped 2018 by a TSA under --tsa-root: the stamp exempts SHA-1; verified, as jarsigner -strict', async () => {
    const tool = reference['sha1']!;
    expect(tool.passed, tool.output).toBe(true);
    const v = await verdict(jars['sha1']!, { tsaRoots: [tsaRootPem] });
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('checked at the timestamp 2018-06-01T12:00:');
  });

  it('the same JAR, its TSA anchored only by --trust-root: the stamp does not count, SHA-1 is disabled', async () => {
    const v = await verdict(jars['sha1']!, { roots: [caPem, tsaRootPem] });
    expect(v).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
  });

  it('--at before the stamp: a later timestamp cannot be used, so SHA-1 is judged at --at (before 2019: allowed)', async () => {
    // At 2017-08-01 SHA-1 is still allowed without any stamp, and the signer is valid: verified at --at.
    const v = await verdict(jars['sha1']!, { tsaRoots: [tsaRootPem], at: '2017-08-01T00:00:00Z' });
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('checked at 2017-08-01T00:00:00.000Z');
    expect(v.message).toContain('is later than the verification time');
  });

  it('an expired signer stamped while valid, TSA under --tsa-root: verified, as jarsigner -strict', async () => {
    const tool = reference['expired']!;
    expect(tool.passed, tool.output).toBe(true);
    expect(await verdict(jars['expired']!, { tsaRoots: [tsaRootPem] })).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
    });
  });

  it('the expired signer, TSA anchored only by --trust-root: the stamp does not count; untrusted/CERT_EXPIRED', async () => {
    expect(await verdict(jars['expired']!, { roots: [caPem, tsaRootPem] })).toMatchObject({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
    });
  });

  it("an expired signer stamped by a TSA under a serverAuth-only intermediate: verified, as jarsigner -strict (the JDK reads the TSA certificate's EKU only)", async () => {
    const tool = reference['tsainter']!;
    expect(tool.passed, tool.output).toBe(true);
    const v = await verdict(jars['tsainter']!, { tsaRoots: [tsaRootPem] });
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('checked at the timestamp 2018-06-01T12:00:');
  });

  it('the same, its TSA anchored only by --trust-root: the stamp passes -strict but does not count; CERT_EXPIRED', async () => {
    expect(await verdict(jars['tsainter']!, { roots: [caPem, tsaRootPem] })).toMatchObject({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
    });
  });

  it('--at before the stamp and before the signer was valid: the stamp cannot be used; CERT_NOT_YET_VALID', async () => {
    expect(
      await verdict(jars['expired']!, { tsaRoots: [tsaRootPem], at: '2017-03-01T00:00:00Z' }),
    ).toMatchObject({ status: 'untrusted', code: 'CERT_NOT_YET_VALID' });
  });

  it('an expired signer with only a PKCS #9 countersignature from 2018: ignored as by the JDK; CERT_EXPIRED', async () => {
    const path = jars['pkcs9']!;
    // The countersignature is intact and its TSA is trusted: it would move the validity instant if read.
    const block = execFileSync('unzip', ['-p', path, 'META-INF/EXPIRED.RSA']);
    const info = parseSignedData(new Uint8Array(block));
    const [stamp] = signerTimestamps(info.signers[0]!, info.certificates);
    expect(stamp!.kind).toBe('pkcs9');
    const check = await verifyTimestamp({
      timestamp: stamp!,
      stampedBytes: info.signers[0]!.signatureValue,
      tsaRoots: [parseCertificate(pemCertificates(readFileSync(tsaRootPem, 'utf8'))[0]!)],
      extraCertificates: info.certificates,
    });
    expect(check).toMatchObject({ ok: true, trusted: true });
    expect(check.time!.toISOString()).toBe('2018-06-01T12:00:00.000Z');
    // The JDK ignores it: the signer is expired now.
    expect(reference['pkcs9']!.passed).toBe(false);
    const v = await verdict(path, { tsaRoots: [tsaRootPem] });
    expect(v).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
    expect(v.message).toContain('the signature has no timestamp');
  });
});

describe('jdk.certpath.disabledAlgorithms on the TSA chain', () => {
  it('a TSA certificate signed SHA1withRSA: jarsigner -strict refuses the TSA chain (checked now, not at the stamp); untrusted/WEAK_ALGORITHM', async () => {
    const tool = reference['sha1tsa']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toMatch(
      /TSA certificate chain is invalid. Reason: denyAfter constraint check failed: SHA1/,
    );
    const v = await verdict(jars['sha1tsa']!, { tsaRoots: [tsaRootPem], at: '2026-11-21T00:00:00Z' });
    expect(v).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
    expect(v.message).toContain(
      'TSA certificate CN=Jar TSA,O=Sigscan Tests is signed with SHA-1 (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01", checked at 2026-11-21T00:00:00.000Z)',
    );
  });

  it("the same TSA anchored only by --trust-root (jarsigner's one store): still refused", async () => {
    const v = await verdict(jars['sha1tsa']!, { roots: [caPem, tsaRootPem], at: '2026-11-21T00:00:00Z' });
    expect(v).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
    expect(v.message).toContain('TSA certificate CN=Jar TSA,O=Sigscan Tests is signed with SHA-1');
  });

  it('with --allow-weak-algorithms: verified at the timestamp, saying what was accepted', async () => {
    const cfg = {
      ...(await config({ roots: [caPem], tsaRoots: [tsaRootPem], at: '2026-11-21T00:00:00Z' })),
      allowWeakAlgorithms: true,
    };
    const [o] = await evaluateFile(jars['sha1tsa']!, 'jar', cfg);
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(o!.verdict.message).toContain('accepted despite TSA certificate CN=Jar TSA,O=Sigscan Tests');
  });

  it('a signer certified SHA1withRSA, stamped 2018 by a trusted TSA: the signer chain is dated at the stamp; verified, as jarsigner -strict', async () => {
    const tool = reference['sha1cert']!;
    expect(tool.passed, tool.output).toBe(true);
    const v = await verdict(jars['sha1cert']!, { tsaRoots: [tsaRootPem], at: '2026-11-21T00:00:00Z' });
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('checked at the timestamp 2018-06-01T12:00:');
  });

  it('the same JAR, its TSA anchored only by --trust-root: the stamp does not count; untrusted/WEAK_ALGORITHM', async () => {
    const v = await verdict(jars['sha1cert']!, { roots: [caPem, tsaRootPem], at: '2026-11-21T00:00:00Z' });
    expect(v).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
    expect(v.message).toContain(
      'certificate CN=Jar TSA SHA1 Certified Signer,O=Sigscan Tests is signed with SHA-1 (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01", checked at 2026-11-21T00:00:00.000Z)',
    );
  });
});

/**
 * A second RFC 3161 token, as a second signatureTimeStampToken attribute or a second value of the one
 * attribute (pkijs surgery on jarsigner -tsa output; the signature itself is untouched, the tokens are
 * unsigned attributes): the JDK's PKCS9Attributes refuses both, so jarsigner treats the jar as unsigned.
 */
async function withTwoTokens(name: string, from: string, mode: 'attributes' | 'values'): Promise<string> {
  const path = join(dir, name);
  copyFileSync(from, path);
  const blockName = 'META-INF/EXPIRED.RSA';
  const block = execFileSync('unzip', ['-p', path, blockName]);
  const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(block));
  const sd = new pkijs.SignedData({ schema: ci.content });
  const attrs = sd.signerInfos[0]!.unsignedAttrs!.attributes;
  const token = attrs.find((a) => a.type === '1.2.840.113549.1.9.16.2.14')!;
  if (mode === 'attributes') attrs.push(new pkijs.Attribute({ type: token.type, values: token.values }));
  else token.values = [...token.values, ...token.values];
  const out = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  const tree = join(dir, `${name}-tree`);
  mkdirSync(join(tree, 'META-INF'), { recursive: true });
  writeFileSync(join(tree, blockName), Buffer.from(out.toSchema().toBER()));
  await run('zip', ['-q', path, blockName], { cwd: tree });
  return path;
}

describe('several RFC 3161 tokens on one JAR signer', () => {
  it.each(['attributes', 'values'] as const)(
    'two tokens as two %s: jarsigner treats the jar as unsigned; invalid/TIMESTAMP_AMBIGUOUS',
    async (mode) => {
      const path = jars[`two-${mode}`]!;
      const tool = reference[`two-${mode}`]!;
      expect(tool.passed).toBe(false);
      expect(tool.output).toContain('the jar will be treated as unsigned');
      const v = await verdict(path, { tsaRoots: [tsaRootPem] });
      expect(v).toMatchObject({ status: 'invalid', code: 'TIMESTAMP_AMBIGUOUS' });
      expect(v.message).toContain('carries 2 RFC 3161 timestamp tokens');
    },
  );
});

/**
 * Byte surgery on the cached jarsigner -tsa output (the signature itself untouched; the token is an unsigned
 * attribute), each jar with jarsigner -verify -strict's answer, once per UTC day beside the first cache:
 * - ms-oid: the RFC 3161 token under Microsoft's attribute OID 1.3.6.1.4.1.311.3.3.1, which the JDK never reads;
 * - swapped: the token of another jar (intact, trusted TSA, but stamping another signature value);
 * - tsa-signature: the token's TSA signature with its last byte flipped;
 * - no-tsa-cert: the token without its certificates (the block holds no TSA certificate either);
 * - early-stamp: a genuine token of the same TSA stamped 2017-03-01, before the signer certificate was valid.
 * And jarsigner with only the code-signing CA in its truststore on the SHA-1 jar (no anchor for its TSA).
 */
const SURGERY = ['ms-oid', 'swapped', 'tsa-signature', 'no-tsa-cert', 'early-stamp'] as const;
let surgery: Record<string, string>;
let surgeryReference: Record<string, StrictVerifyResult>;

function tokenSurgery(from: string, blockName: string, edit: (token: pkijs.Attribute) => void): Buffer {
  const block = execFileSync('unzip', ['-p', from, blockName]);
  const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(block));
  const sd = new pkijs.SignedData({ schema: ci.content });
  const token = sd.signerInfos[0]!.unsignedAttrs!.attributes.find(
    (a) => a.type === '1.2.840.113549.1.9.16.2.14',
  )!;
  edit(token);
  const out = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  return Buffer.from(out.toSchema().toBER());
}

async function withBlock(
  d: string,
  name: string,
  from: string,
  blockName: string,
  block: Buffer,
): Promise<string> {
  const path = join(d, name);
  copyFileSync(from, path);
  const tree = join(d, `${name}-tree`);
  mkdirSync(join(tree, 'META-INF'), { recursive: true });
  writeFileSync(join(tree, blockName), block);
  await run('zip', ['-q', path, blockName], { cwd: tree });
  return path;
}

beforeAll(async () => {
  // Made from the jars of the main build: keyed by its CA, so that a rebuilt main directory (new keys) is never
  // paired with surgery on the old one's jars.
  const of = createHash('sha256')
    .update(readFileSync(join(dir, 'ca.pem')))
    .digest('hex')
    .slice(0, 12);
  const d = await cachedFixtureDir(`jar-timestamps-surgery-v2-${of}`, async (out) => {
    const expired = join(dir, JAR_FILES['expired']!);
    const block = 'META-INF/EXPIRED.RSA';
    const other = tokenSurgery(join(dir, JAR_FILES['sha1']!), 'META-INF/SIGNER.RSA', () => {});
    const otherSd = new pkijs.SignedData({
      schema: pkijs.ContentInfo.fromBER(toArrayBuffer(other)).content,
    });
    const otherToken = otherSd.signerInfos[0]!.unsignedAttrs!.attributes.find(
      (a) => a.type === '1.2.840.113549.1.9.16.2.14',
    )!;
    const made: Record<string, Buffer> = {
      'ms-oid': tokenSurgery(expired, block, (t) => {
        t.type = '1.3.6.1.4.1.311.3.3.1';
      }),
      swapped: tokenSurgery(expired, block, (t) => {
        t.values = otherToken.values;
      }),
      'tsa-signature': (() => {
        // The token ends the SignerInfo, which ends the block: its last byte is the TSA signature's.
        const b = Buffer.from(execFileSync('unzip', ['-p', expired, block]));
        b[b.length - 1] = b[b.length - 1]! ^ 0x01;
        return b;
      })(),
      'no-tsa-cert': tokenSurgery(expired, block, (t) => {
        const ci = new pkijs.ContentInfo({ schema: t.values[0] });
        const sd = new pkijs.SignedData({ schema: ci.content });
        delete sd.certificates;
        t.values = [
          new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) }).toSchema(),
        ];
      }),
    };
    // A genuine token from the same TSA, made offline at faketime 2017-03-01 over the expired signer's
    // signature value: intact and trusted, but stamped before that signer's certificate was valid.
    const sd = new pkijs.SignedData({
      schema: pkijs.ContentInfo.fromBER(toArrayBuffer(execFileSync('unzip', ['-p', expired, block]))).content,
    });
    writeFileSync(join(out, 'sig.bin'), Buffer.from(sd.signerInfos[0]!.signature.valueBlock.valueHexView));
    writeFileSync(join(out, 'tsa.serial'), '01\n');
    writeFileSync(
      join(out, 'tsa.cnf'),
      [
        '[ tsa ]',
        'default_tsa = tsa1',
        '[ tsa1 ]',
        `serial = ${join(out, 'tsa.serial')}`,
        'signer_digest = sha256',
        'default_policy = 1.2.3.4.1',
        'digests = sha256',
        'ess_cert_id_alg = sha256',
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'ts',
      '-query',
      '-data',
      join(out, 'sig.bin'),
      '-sha256',
      '-cert',
      '-out',
      join(out, 'early.tsq'),
    ]);
    await run('faketime', [
      '2017-03-01 00:00:00',
      'openssl',
      'ts',
      '-reply',
      '-config',
      join(out, 'tsa.cnf'),
      '-queryfile',
      join(out, 'early.tsq'),
      '-signer',
      join(dir, 'tsa.pem'),
      '-inkey',
      join(dir, 'tsa.key'),
      '-token_out',
      '-out',
      join(out, 'early.tst'),
    ]);
    const early = readFileSync(join(out, 'early.tst'));
    made['early-stamp'] = tokenSurgery(expired, block, (t) => {
      t.values = [pkijs.ContentInfo.fromBER(toArrayBuffer(early)).toSchema()];
    });
    const answers: Record<string, StrictVerifyResult> = {};
    for (const [name, bytes] of Object.entries(made)) {
      const path = await withBlock(out, `${name}.jar`, expired, block, bytes);
      answers[name] = jarsignerVerifyStrict(path, join(dir, 'trust-both.p12'));
    }
    const caOnly = makeTruststore(join(out, 'trust-ca.p12'), { ca: join(dir, 'ca.pem') });
    answers['sha1-ca-only'] = jarsignerVerifyStrict(join(dir, JAR_FILES['sha1']!), caOnly);
    writeFileSync(join(out, 'jarsigner.json'), JSON.stringify(answers));
  });
  surgery = Object.fromEntries(SURGERY.map((n) => [n, join(d, `${n}.jar`)]));
  surgeryReference = JSON.parse(readFileSync(join(d, 'jarsigner.json'), 'utf8')) as typeof surgeryReference;
}, 300_000);

/** The family verifier on the detector's evidence for `path` (the evaluator would stop at integrity findings). */
async function familyVerdict(path: string, opts: { tsaRoots?: string[]; roots?: string[]; at?: string }) {
  const [e] = await detectFile(path, 'jar');
  const cfg = await config({ roots: [caPem], ...opts });
  return jarVerifier(e!, fileTarget(path, new Uint8Array(readFileSync(path)), 'jar'), {
    config: cfg,
    now: cfg.at ?? new Date(),
  });
}

describe('which RFC 3161 token counts, and a broken one', () => {
  it("the token under Microsoft's attribute OID is not read (the JDK reads only signatureTimeStampToken): the expired signer is CERT_EXPIRED, as jarsigner -strict", async () => {
    const tool = surgeryReference['ms-oid']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('This jar contains entries whose signer certificate has expired.');
    expect(tool.output).toContain('This jar contains signatures that do not include a timestamp.');
    const v = await verdict(surgery['ms-oid']!, { tsaRoots: [tsaRootPem], at: '2026-11-21T00:00:00Z' });
    expect(v).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message:
        'signature valid but CN=Jar TSA Expired Signer,O=Sigscan Tests expired on 2019-01-22T00:00:00.000Z, checked at 2026-11-21T00:00:00.000Z; ' +
        'the signature has no timestamp (the JDK reads RFC 3161 tokens only, never PKCS #9 countersignatures)',
    });
  });

  it('a token stamping another signature value: the family verifier refuses it as invalid/TIMESTAMP_INVALID, with or without roots (jarsigner: treated as unsigned)', async () => {
    const tool = surgeryReference['swapped']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('the jar will be treated as unsigned');
    // The detector already reports it (the evaluator's answer) ...
    expect(await verdict(surgery['swapped']!, { tsaRoots: [tsaRootPem] })).toMatchObject({
      status: 'invalid',
      code: 'TIMESTAMP_IMPRINT_MISMATCH',
    });
    // ... and the family decision does not depend on that.
    for (const opts of [{ tsaRoots: [tsaRootPem] }, { roots: [] }]) {
      expect(await familyVerdict(surgery['swapped']!, opts)).toEqual({
        status: 'invalid',
        code: 'TIMESTAMP_INVALID',
        message:
          'the JAR signature META-INF/EXPIRED.RSA by CN=Jar TSA Expired Signer,O=Sigscan Tests carries a broken timestamp: ' +
          'the timestamp message imprint does not match the signature it claims to stamp',
      });
    }
  });

  it('a token whose TSA signature does not verify: invalid/TIMESTAMP_INVALID even without roots (jarsigner: treated as unsigned)', async () => {
    const tool = surgeryReference['tsa-signature']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('the jar will be treated as unsigned');
    for (const opts of [{ tsaRoots: [tsaRootPem] }, { roots: [] }]) {
      expect(await verdict(surgery['tsa-signature']!, opts)).toEqual({
        status: 'invalid',
        code: 'TIMESTAMP_INVALID',
        message:
          'the JAR signature META-INF/EXPIRED.RSA by CN=Jar TSA Expired Signer,O=Sigscan Tests carries a broken timestamp: ' +
          'RFC 3161 timestamp by CN=Jar TSA,O=Sigscan Tests: the RSA signature does not verify with the key of CN=Jar TSA,O=Sigscan Tests',
      });
    }
  });

  it('a token without its TSA certificate is not a broken signature: untrusted/TSA_CERTIFICATE_MISSING, and never used (jarsigner fails too)', async () => {
    const tool = surgeryReference['no-tsa-cert']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('the jar will be treated as unsigned');
    expect(await verdict(surgery['no-tsa-cert']!, { tsaRoots: [tsaRootPem] })).toEqual({
      status: 'untrusted',
      code: 'TSA_CERTIFICATE_MISSING',
      message:
        'signature by CN=Jar TSA Expired Signer,O=Sigscan Tests is valid but its timestamp could not be trusted: ' +
        'the certificate of the RFC 3161 timestamp signer is not included, so the stamp cannot be checked',
    });
    expect((await verdict(surgery['no-tsa-cert']!, { roots: [] })).message).toBe(
      'the JAR signature META-INF/EXPIRED.RSA by CN=Jar TSA Expired Signer,O=Sigscan Tests is cryptographically valid; ' +
        'timestamp not used (TSA_CERTIFICATE_MISSING: the certificate of the RFC 3161 timestamp signer is not included, so the stamp cannot be checked); ' +
        'no trust root was supplied to decide trust',
    );
  });
});

describe('when a timestamp counts, and what the verdict says of it', () => {
  it('a TSA no store anchors fails the jar, as jarsigner -strict with only the code-signing CA (even where the signature alone would verify)', async () => {
    const tool = surgeryReference['sha1-ca-only']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('This jar contains entries whose TSA certificate chain is invalid.');
    expect(await verdict(jars['sha1']!, { at: '2018-12-01T00:00:00Z' })).toEqual({
      status: 'untrusted',
      code: 'TSA_CHAIN_UNTRUSTED',
      message:
        'signature by CN=Jar TSA Test Signer,O=Sigscan Tests is valid but its timestamp could not be trusted: ' +
        'timestamp by CN=Jar TSA,O=Sigscan Tests is intact but not trusted: CN=Jar TSA,O=Sigscan Tests does not chain to any supplied trust root',
    });
  });

  it('no roots: NO_TRUST_ROOT says whether the stamp would count and why not', async () => {
    expect((await verdict(jars['sha1']!, { roots: [] })).message).toBe(
      'the JAR signature META-INF/SIGNER.RSA by CN=Jar TSA Test Signer,O=Sigscan Tests is cryptographically valid; ' +
        'timestamp not used (TSA_NO_TRUST_ROOT: timestamp by CN=Jar TSA,O=Sigscan Tests at 2018-06-01T12:00:00.000Z is intact, but no TSA trust root was supplied); ' +
        'no trust root was supplied to decide trust',
    );
    expect((await verdict(jars['sha1']!, { roots: [], tsaRoots: [tsaRootPem] })).message).toBe(
      'the JAR signature META-INF/SIGNER.RSA by CN=Jar TSA Test Signer,O=Sigscan Tests is cryptographically valid; ' +
        'timestamped 2018-06-01T12:00:00.000Z by CN=Jar TSA,O=Sigscan Tests, chains to trusted CN=Jar TSA Root,O=Sigscan Tests; ' +
        'no trust root was supplied to decide trust',
    );
  });

  it('a stamp exactly at --at counts (only a later one does not)', async () => {
    const v = await verdict(jars['expired']!, { tsaRoots: [tsaRootPem], at: '2018-06-01T12:00:00.000Z' });
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('(checked at the timestamp 2018-06-01T12:00:00.000Z)');
    expect(v.message).not.toContain('timestamp not used');
  });

  it('the SHA-1 digests of a verified jar are named as weak', async () => {
    const v = await verdict(jars['sha1']!, { tsaRoots: [tsaRootPem] });
    expect(v.message).toContain(
      '(checked at the timestamp 2018-06-01T12:00:00.000Z); weak algorithms: SHA-1;',
    );
  });

  it('expired or not yet valid: the verdict says the stamp exists and why it did not count', async () => {
    const expired = await verdict(jars['expired']!, {
      roots: [caPem, tsaRootPem],
      at: '2026-11-21T00:00:00Z',
    });
    expect(expired).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message:
        'signature valid but CN=Jar TSA Expired Signer,O=Sigscan Tests expired on 2019-01-22T00:00:00.000Z, checked at 2026-11-21T00:00:00.000Z; ' +
        'a timestamp exists but does not count; timestamp not used (TSA_NO_TRUST_ROOT: timestamp by CN=Jar TSA,O=Sigscan Tests at 2018-06-01T12:00:00.000Z is intact, but no TSA trust root was supplied)',
    });
    const early = await verdict(jars['expired']!, { tsaRoots: [tsaRootPem], at: '2017-03-01T00:00:00Z' });
    expect(early).toEqual({
      status: 'untrusted',
      code: 'CERT_NOT_YET_VALID',
      message:
        'signature valid but CN=Jar TSA Expired Signer,O=Sigscan Tests is not valid before 2017-06-01T00:00:00.000Z, checked at 2017-03-01T00:00:00.000Z; ' +
        'a timestamp exists but does not count; timestamp not used (2018-06-01T12:00:00.000Z is later than the verification time)',
    });
  });

  it('a stamp that counts but predates the signer certificate: untrusted/CERT_NOT_YET_VALID at the stamped time, saying the stamp was considered', async () => {
    const tool = surgeryReference['early-stamp']!;
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('This jar contains entries whose signer certificate is not yet valid.');
    const v = await verdict(surgery['early-stamp']!, { tsaRoots: [tsaRootPem], at: '2026-11-21T00:00:00Z' });
    expect(v).toEqual({
      status: 'untrusted',
      code: 'CERT_NOT_YET_VALID',
      message:
        'signature valid but CN=Jar TSA Expired Signer,O=Sigscan Tests is not valid before 2017-06-01T00:00:00.000Z, checked at 2017-03-01T00:00:00.000Z; ' +
        'the timestamp (2017-03-01T00:00:00.000Z) was considered',
    });
  });
});
