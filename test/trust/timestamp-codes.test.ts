/**
 * What verifyTimestamp reports besides the TSA chain (timestamp-chain.test.ts has that): the weak algorithms
 * of each verdict, the code of each failure, the verification-time boundary and the TSA EKU. Tokens made by
 * `openssl ts -reply` with the imprint and signer digests chosen per token, and by `openssl cms -sign` over a
 * real TSTInfo for signers that are not TSAs (openssl ts refuses to sign without the timeStamping EKU). All
 * openssl runs are frozen at fixed instants (faketime), so times are asserted exactly.
 * (Mutation survivors of src/trust/timestamp.ts, reports/mutation-log.md, session 13, h13/tst.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseSignedData, parseTimeStampToken, signerTimestamps } from '../../src/formats/cms.js';
import type { ParsedCertificate } from '../../src/formats/x509.js';
import { readCertificates } from '../../src/trust/config.js';
import { verifyTimestamp, type TimestampCheck } from '../../src/trust/timestamp.js';
import { kids, signerInfos } from '../helpers/cms-surgery.js';
import { derRebuilt } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { addPkcs9Countersignature } from '../helpers/pe/countersign.js';
import { compileTinyPe, makeSignedPe, makeTestPki } from '../helpers/pe/signed-pe.js';
import { run } from '../helpers/tools.js';
import { detectFile } from './helpers.js';
import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';

const CONFIG = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[tsa]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[tsacrit]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
1.3.6.1.4.1.55555.7 = critical,ASN1:NULL
[codesign]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[noeku]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
[tsa_sha256]
serial = SERIAL_FILE
default_policy = 1.2.3.4.1
digests = md5, sha1, sha224, sha256, sha384, sha512, sha3-256
signer_digest = sha256
ess_cert_id_alg = sha256
[tsa_sha3]
serial = SERIAL_FILE
default_policy = 1.2.3.4.1
digests = sha256
signer_digest = sha3-256
ess_cert_id_alg = sha256
`;

const STAMP = '2025-03-01 12:00:00';
const STAMP_ISO = '2025-03-01T12:00:00.000Z';
const data = new TextEncoder().encode('stamped by the code-mapping tests\n');

/** Tokens by name: imprint digest for `openssl ts -query`, and the tsa_config section (signer digest). */
const TS_TOKENS = {
  sha256: ['sha256', 'tsa_sha256'],
  sha1: ['sha1', 'tsa_sha256'],
  md5: ['md5', 'tsa_sha256'],
  sha224: ['sha224', 'tsa_sha256'],
  sha384: ['sha384', 'tsa_sha256'],
  sha512: ['sha512', 'tsa_sha256'],
  sha3imprint: ['sha3-256', 'tsa_sha256'],
  sha3signer: ['sha256', 'tsa_sha3'],
} as const;
/** Tokens `openssl cms -sign` made over the sha256 token's TSTInfo: signer certificate and digest. */
const CMS_TOKENS = { noeku: ['noeku', 'sha1'], codesign: ['codesign', 'sha256'] } as const;
/** A token `openssl ts -reply` signed with a TSA certificate that carries an unknown critical extension. */
const CRIT_TOKEN = 'tsacrit';
type TokenName = keyof typeof TS_TOKENS | keyof typeof CMS_TOKENS | typeof CRIT_TOKEN;

async function build(dir: string): Promise<void> {
  const p = (name: string) => join(dir, name);
  const openssl = (args: string[], time: string) => run('faketime', ['-f', time, 'openssl', ...args]);
  writeFileSync(p('o.cnf'), CONFIG.replace(/SERIAL_FILE/g, p('serial.txt')));
  writeFileSync(p('serial.txt'), '01\n');
  writeFileSync(p('data.bin'), data);
  const made = '2025-01-01 00:00:00';
  const req = ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-config', p('o.cnf')];
  for (const [name, cn] of [
    ['root', 'Sigscan TS Codes Root'],
    ['other', 'Sigscan TS Codes Other Root'],
  ]) {
    await openssl([...req, '-x509', '-keyout', p(`${name}.key`), '-out', p(`${name}.pem`), '-days', '3650',
      '-subj', `/CN=${cn}`, '-extensions', 'root'], made); // prettier-ignore
  }
  for (const name of ['tsa', 'codesign', 'noeku', 'tsacrit']) {
    await openssl([...req, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=Sigscan TS Codes ${name}`], made); // prettier-ignore
    await openssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('root.pem'), '-CAkey', p('root.key'),
      '-set_serial', String(1000 + name.length), '-out', p(`${name}.pem`), '-days', '3650',
      '-extfile', p('o.cnf'), '-extensions', name], made); // prettier-ignore
  }
  for (const [name, [imprint, section]] of Object.entries(TS_TOKENS)) {
    await openssl(['ts', '-query', '-data', p('data.bin'), `-${imprint}`, '-cert', '-out', p(`${name}.tsq`)], STAMP); // prettier-ignore
    await openssl(['ts', '-reply', '-queryfile', p(`${name}.tsq`), '-signer', p('tsa.pem'), '-inkey', p('tsa.key'),
      '-config', p('o.cnf'), '-section', section, '-token_out', '-out', p(`${name}.tsr`)], STAMP); // prettier-ignore
  }
  await openssl(['ts', '-reply', '-queryfile', p('sha256.tsq'), '-signer', p('tsacrit.pem'), '-inkey', p('tsacrit.key'),
    '-config', p('o.cnf'), '-section', 'tsa_sha256', '-token_out', '-out', p('tsacrit.tsr')], STAMP); // prettier-ignore
  // openssl's own verdict on it, at the stamped time (its answer is the oracle of the test below).
  const verify = await run('faketime', ['-f', STAMP, 'openssl', 'ts', '-verify', '-token_in', '-in', p('tsacrit.tsr'),
    '-data', p('data.bin'), '-CAfile', p('root.pem'), '-untrusted', p('tsacrit.pem')], { check: false }); // prettier-ignore
  writeFileSync(p('tsacrit-verify.txt'), verify.stdout + verify.stderr);
  // The sha256 token's TSTInfo, signed again by certificates that are not TSAs.
  writeFileSync(
    p('tstinfo.der'),
    parseTimeStampToken(new Uint8Array(readFileSync(p('sha256.tsr')))).content!,
  );
  for (const [name, [cert, md]] of Object.entries(CMS_TOKENS)) {
    await openssl(['cms', '-sign', '-binary', '-nodetach', '-nosmimecap', '-md', md,
      '-econtent_type', '1.2.840.113549.1.9.16.1.4', '-in', p('tstinfo.der'), '-signer', p(`${cert}.pem`),
      '-inkey', p(`${cert}.key`), '-outform', 'DER', '-out', p(`${name}.tsr`)], STAMP); // prettier-ignore
  }
}

let dir: string;
const tokens = {} as Record<TokenName, Uint8Array>;
let roots: ParsedCertificate[];
let otherRoots: ParsedCertificate[];

beforeAll(async () => {
  dir = await cachedFixtureDir('timestamp-codes-v2', build);
  for (const name of [...Object.keys(TS_TOKENS), ...Object.keys(CMS_TOKENS), CRIT_TOKEN] as TokenName[]) {
    tokens[name] = new Uint8Array(readFileSync(join(dir, `${name}.tsr`)));
  }
  roots = await readCertificates(join(dir, 'root.pem'), '--tsa-root');
  otherRoots = await readCertificates(join(dir, 'other.pem'), '--tsa-root');
}, 180_000);

const check = (
  name: TokenName,
  more: { tsaRoots?: ParsedCertificate[]; verificationTime?: Date; tokenDer?: Uint8Array } = {},
): Promise<TimestampCheck> =>
  verifyTimestamp({ tokenDer: tokens[name], stampedBytes: data, tsaRoots: roots, ...more });

describe('weak algorithms in every verdict of an intact stamp', () => {
  it('SHA-256 throughout: TIMESTAMP_VALID at the stamped second, nothing weak', async () => {
    const r = await check('sha256');
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID', kind: 'rfc3161' });
    expect(r.time!.toISOString()).toBe(STAMP_ISO);
    expect(r.weakAlgorithms).toEqual([]);
    expect(r.path!.map((c) => c.summary.subject)).toEqual([
      'CN=Sigscan TS Codes tsa',
      'CN=Sigscan TS Codes Root',
    ]);
  });

  it('a SHA-1 imprint (signer SHA-256): trusted, and SHA-1 reported', async () => {
    const r = await check('sha1');
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
    expect(r.weakAlgorithms).toEqual(['SHA-1']);
  });

  it('an MD5 imprint (signer SHA-256): trusted as a stamp, and MD5 reported for the caller to refuse', async () => {
    const r = await check('md5');
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
    expect(r.weakAlgorithms).toEqual(['MD5']);
  });

  it('SHA-224, SHA-384 and SHA-512 imprints verify, none weak', async () => {
    for (const name of ['sha224', 'sha384', 'sha512'] as const) {
      const r = await check(name);
      expect(r, `${name}: ${r.message}`).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
      expect(r.weakAlgorithms, name).toEqual([]);
    }
  });

  it('the SHA-1 imprint under roots that do not anchor the TSA: TSA_CHAIN_UNTRUSTED, SHA-1 still reported', async () => {
    const r = await check('sha1', { tsaRoots: otherRoots });
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CHAIN_UNTRUSTED' });
    expect(r.weakAlgorithms).toEqual(['SHA-1']);
  });

  it('the SHA-1 imprint with no TSA roots: TSA_NO_TRUST_ROOT, SHA-1 still reported', async () => {
    const r = await check('sha1', { tsaRoots: [] });
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_NO_TRUST_ROOT' });
    expect(r.weakAlgorithms).toEqual(['SHA-1']);
  });
});

describe('the verification time', () => {
  const at = (iso: string) => new Date(iso);

  it('a stamp one second after the verification time: intact, never trusted, SHA-1 still reported', async () => {
    const r = await check('sha1', { verificationTime: at('2025-03-01T11:59:59.000Z') });
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TIMESTAMP_AFTER_VERIFICATION_TIME' });
    expect(r.time!.toISOString()).toBe(STAMP_ISO);
    expect(r.weakAlgorithms).toEqual(['SHA-1']);
  });

  it('a stamp at exactly the verification time existed then: TIMESTAMP_VALID (the bound is inclusive)', async () => {
    const r = await check('sha256', { verificationTime: at(STAMP_ISO) });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
  });
});

describe('the TSA certificate must carry the timeStamping EKU', () => {
  it('a TSTInfo signed (SHA-1) by a certificate with no EKU extension: TSA_EKU_NOT_ALLOWED, SHA-1 reported', async () => {
    const r = await check('noeku');
    expect(r, r.message).toMatchObject({ ok: true, trusted: false, code: 'TSA_EKU_NOT_ALLOWED' });
    expect(r.tsa!.summary.subject).toBe('CN=Sigscan TS Codes noeku');
    expect(r.tsa!.summary.extendedKeyUsages).toBeUndefined();
    expect(r.weakAlgorithms).toEqual(['SHA-1']);
  });

  it('a TSTInfo signed by a code-signing certificate: TSA_EKU_NOT_ALLOWED, nothing weak', async () => {
    const r = await check('codesign');
    expect(r, r.message).toMatchObject({ ok: true, trusted: false, code: 'TSA_EKU_NOT_ALLOWED' });
    expect(r.tsa!.summary.extendedKeyUsages).toEqual(['codeSigning']);
    expect(r.weakAlgorithms).toEqual([]);
  });

  it('the same TSTInfo from the real TSA is trusted (the EKU was the only difference)', async () => {
    const sameContent = (name: TokenName) => Buffer.from(parseTimeStampToken(tokens[name]).content!);
    expect(sameContent('noeku').equals(sameContent('sha256'))).toBe(true);
    expect((await check('sha256')).code).toBe('TIMESTAMP_VALID');
  });
});

describe('a TSA certificate with a critical extension sigscan does not process', () => {
  it('TSA_CERT_UNHANDLED_EXTENSION: the stamp is intact, the TSA not trusted; openssl ts -verify refuses it too', async () => {
    const r = await check(CRIT_TOKEN);
    expect(r, r.message).toMatchObject({ ok: true, trusted: false, code: 'TSA_CERT_UNHANDLED_EXTENSION' });
    expect(r.message).toContain('CN=Sigscan TS Codes tsacrit carries critical extension 1.3.6.1.4.1.55555.7');
    expect(readFileSync(join(dir, 'tsacrit-verify.txt'), 'utf8')).toContain('unhandled critical extension');
  });
});

describe('the code of each failure', () => {
  it('a SHA3-256 imprint: UNSUPPORTED_ALGORITHM, with kind and time', async () => {
    const r = await check('sha3imprint');
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'UNSUPPORTED_ALGORITHM', kind: 'rfc3161' });
    expect(r.time!.toISOString()).toBe(STAMP_ISO);
  });

  it('a token signed with SHA3-256 as the signer digest: UNSUPPORTED_ALGORITHM, with the TSA named', async () => {
    const r = await check('sha3signer');
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'UNSUPPORTED_ALGORITHM', kind: 'rfc3161' });
    expect(r.tsa!.summary.subject).toBe('CN=Sigscan TS Codes tsa');
    expect(r.time!.toISOString()).toBe(STAMP_ISO);
  });

  it('a TSTInfo changed after signing (policy OID, imprint intact): TIMESTAMP_SIGNATURE_INVALID, not an imprint mismatch', async () => {
    const token = tokens.sha256.slice();
    // The policy 1.2.3.4.1 (06 04 2a 03 04 01) becomes 1.2.3.4.2: the messageDigest no longer matches.
    const at = Buffer.from(token).indexOf(Buffer.from([0x06, 0x04, 0x2a, 0x03, 0x04, 0x01]));
    expect(at).toBeGreaterThan(0);
    token[at + 5] = 0x02;
    const r = await check('sha256', { tokenDer: token });
    expect(r).toMatchObject({
      ok: false,
      trusted: false,
      code: 'TIMESTAMP_SIGNATURE_INVALID',
      kind: 'rfc3161',
    });
    expect(r.tsa!.summary.subject).toBe('CN=Sigscan TS Codes tsa');
    expect(r.time!.toISOString()).toBe(STAMP_ISO);
  });

  it('a token whose SignerInfos SET is empty: TIMESTAMP_MALFORMED', async () => {
    const token = derRebuilt(tokens.sha256, (root) => {
      kids(signerInfos(root)).length = 0;
    });
    expect(parseSignedData(token).signers).toHaveLength(0);
    const r = await check('sha256', { tokenDer: token });
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'TIMESTAMP_MALFORMED', kind: 'rfc3161' });
  });

  it('an RFC 3161 stamp handed over without its TSTInfo: TIMESTAMP_MALFORMED, never a throw', async () => {
    const parsed = parseTimeStampToken(tokens.sha256);
    const r = await verifyTimestamp({
      timestamp: { ...parsed, content: undefined },
      stampedBytes: data,
      tsaRoots: roots,
    });
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'TIMESTAMP_MALFORMED', kind: 'rfc3161' });
  });

  it('neither a token nor a countersignature: TIMESTAMP_MALFORMED', async () => {
    const r = await verifyTimestamp({ stampedBytes: data, tsaRoots: roots });
    expect(r).toEqual({
      ok: false,
      trusted: false,
      code: 'TIMESTAMP_MALFORMED',
      message: expect.any(String),
    });
  });
});

describe('PKCS #9 countersignatures made by openssl cms over an osslsigncode signature', () => {
  let pe: string;
  let noTime: string;
  let pkiCa: ParsedCertificate[];

  beforeAll(async () => {
    const work = await cachedFixtureDir('timestamp-codes-pkcs9-v1', async (d) => {
      const pki = await makeTestPki(join(d, 'pki'));
      const signed = await makeSignedPe(pki, await compileTinyPe(d), join(d, 'signed.exe'));
      for (const [out, noSignedAttributes] of [
        ['cs.exe', false],
        ['cs-notime.exe', true],
      ] as const) {
        await addPkcs9Countersignature({
          input: signed,
          output: join(d, out),
          certPem: join(pki.dir, 'tsa.pem'),
          keyPem: pki.tsaKey,
          dir: d,
          noSignedAttributes,
        });
      }
    });
    pe = join(work, 'cs.exe');
    noTime = join(work, 'cs-notime.exe');
    pkiCa = await readCertificates(join(work, 'pki', 'ca.pem'), '--tsa-root');
  }, 180_000);

  async function stampOf(file: string, change?: (signedData: Uint8Array) => Uint8Array) {
    const [e] = await detectFile(file, 'pe');
    const der = (e!.material as AuthenticodeMaterial).signedDataDer;
    const info = parseSignedData(change ? change(der) : der);
    const signer = info.signers[0]!;
    return { info, signer, stamp: signerTimestamps(signer, info.certificates)[0]! };
  }

  it('the countersignature as made: trusted', async () => {
    const { info, signer, stamp } = await stampOf(pe);
    const r = await verifyTimestamp({
      timestamp: stamp,
      stampedBytes: signer.signatureValue,
      tsaRoots: pkiCa,
      extraCertificates: info.certificates,
    });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID', kind: 'pkcs9' });
  });

  it('its signature value changed by one bit: TIMESTAMP_SIGNATURE_INVALID (the digest still matches)', async () => {
    const { signer: parent } = await stampOf(pe);
    const { info, signer, stamp } = await stampOf(pe, (der) =>
      derRebuilt(der, (root) => {
        const counter = kids(kids(kids(kids(signerInfos(root))[0]!).at(-1)!)[0]!)[1]!;
        const counterSigner = kids(counter)[0]!;
        const sig = kids(counterSigner).findLast((f) => f.id === 0x04)!;
        sig.content![10] = sig.content![10]! ^ 0x01;
      }),
    );
    expect(Buffer.from(signer.signatureValue).equals(Buffer.from(parent.signatureValue))).toBe(true);
    const r = await verifyTimestamp({
      timestamp: stamp,
      stampedBytes: signer.signatureValue,
      tsaRoots: pkiCa,
      extraCertificates: info.certificates,
    });
    expect(r).toMatchObject({
      ok: false,
      trusted: false,
      code: 'TIMESTAMP_SIGNATURE_INVALID',
      kind: 'pkcs9',
    });
    expect(r.tsa!.summary.subject).toBe('CN=Sigscan Test TSA,O=Sigscan Test,C=DE');
  });

  it('a countersignature with no signed attributes carries no time: TIMESTAMP_MALFORMED, kind pkcs9', async () => {
    const { info, signer, stamp } = await stampOf(noTime);
    const r = await verifyTimestamp({
      timestamp: stamp,
      stampedBytes: signer.signatureValue,
      tsaRoots: pkiCa,
      extraCertificates: info.certificates,
    });
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'TIMESTAMP_MALFORMED', kind: 'pkcs9' });
    expect(r.time).toBeUndefined();
  });
});
