import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../src/formats/x509.js';
import { validateChain } from '../../src/trust/x509-chain.js';
import { derTree, latin1, resignedCertificate, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir, workingCopy } from '../helpers/fixture-cache.js';
import { cachedRunInDirSync } from '../helpers/tool-answers.js';

/**
 * One test per chain rule, each failing with exactly one code, so that removing the rule from
 * validateChain (the mutants of the mutation-testing issue) fails the test: the CA basicConstraints
 * check, the required-EKU check and the notBefore check. Certificates come from openssl; `openssl verify`
 * runs beside each case as the oracle.
 */

const run = promisify(execFile);

const CONFIG = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[legacyroot]
# A v3 root without basicConstraints, as the 1997 Microsoft Root Authority.
subjectKeyIdentifier = hash
[notca]
# CA:FALSE and no keyUsage: only basicConstraints forbids it to issue.
basicConstraints = critical,CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[intermediate]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[serverauth]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth, emailProtection
`;

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
let dir: string;
const certs: Record<string, ParsedCertificate> = {};
const p = (name: string) => join(dir, name);

async function openssl(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run('openssl', args);
  return stdout + stderr;
}

/** An EC P-256 key and its certificate (self-signed without `issuer`), as `name`.key and `name`.pem in `d`. */
async function issue(
  d: string,
  name: string,
  subject: string,
  issuer: string | undefined,
  extensions: string,
) {
  const p = (file: string) => join(d, file);
  await openssl(
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-out',
    p(`${name}.key`),
  );
  if (!issuer) {
    await openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-days',
      '365',
      '-subj',
      subject,
      '-config',
      p('openssl.cnf'),
      '-extensions',
      extensions,
    );
  } else {
    await openssl(
      'req',
      '-new',
      '-key',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
      '-subj',
      subject,
      '-config',
      p('openssl.cnf'),
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p(`${issuer}.pem`),
      '-CAkey',
      p(`${issuer}.key`),
      '-CAcreateserial',
      '-out',
      p(`${name}.pem`),
      '-days',
      '365',
      '-extfile',
      p('openssl.cnf'),
      '-extensions',
      extensions,
    );
  }
}

/** `openssl verify` with root as the only anchor; returns its output (OK or the error). */
async function opensslVerify(leaf: string, untrusted: string[], extra: string[] = []): Promise<string> {
  const args = ['verify', ...extra, '-CAfile', p('root.pem')];
  if (untrusted.length) {
    writeFileSync(p('untrusted.pem'), untrusted.map((n) => readFileSync(p(`${n}.pem`), 'utf8')).join(''));
    args.push('-untrusted', p('untrusted.pem'));
  }
  args.push(p(`${leaf}.pem`));
  // openssl's answer for these certificates, once a day (cachedRunInDirSync); exit status aside, as before.
  const answer = cachedRunInDirSync('x509-chain-codes-verify-v1', 'openssl', dir, args, false);
  return answer.stdout + answer.stderr;
}

const ISSUED: [name: string, subject: string, issuer: string | undefined, extensions: string][] = [
  ['root', '/CN=Chain Codes Root', undefined, 'root'],
  ['notca', '/CN=Chain Codes Not A CA', 'root', 'notca'],
  ['inter', '/CN=Chain Codes Intermediate', 'root', 'intermediate'],
  ['leafUnderNotCa', '/CN=Leaf Under Not A CA', 'notca', 'codesign'],
  ['codesign', '/CN=Chain Codes Code Signer', 'inter', 'codesign'],
  ['server', '/CN=Chain Codes Server', 'inter', 'serverauth'],
  ['legacyRoot', '/CN=Chain Codes Legacy Root', undefined, 'legacyroot'],
  ['underLegacy', '/CN=Leaf Under Legacy Root', 'legacyRoot', 'codesign'],
];

// Keys and certificates made once a day (.cache/test-fixtures; 365-day certificates, checked now or a day
// before their notBefore): Stryker reruns this hook for every mutant. The tests write beside them
// (untrusted.pem), so each run works in its own copy; parsing stays here.
beforeAll(async () => {
  const cached = await cachedFixtureDir('x509-chain-codes-v1', async (d) => {
    writeFileSync(join(d, 'openssl.cnf'), CONFIG);
    for (const [name, subject, issuer, extensions] of ISSUED) {
      await issue(d, name, subject, issuer, extensions);
    }
  });
  dir = workingCopy(cached, 'sigscan-chaincodes-');
  for (const [name] of ISSUED) {
    certs[name] = parseCertificate(pemCertificates(readFileSync(p(`${name}.pem`), 'utf8'))[0]!);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('validateChain failure codes (each rule alone decides its case)', () => {
  it('baseline: leaf -> intermediate -> root is CHAIN_VALID, and openssl agrees', async () => {
    const r = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: new Date(),
      requiredEku: CODE_SIGNING,
    });
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(await opensslVerify('codesign', ['inter'], ['-purpose', 'any'])).toMatch(/: OK/);
  });

  it('a CA:FALSE certificate (no keyUsage) that issued the leaf: CA_CONSTRAINT_VIOLATED', async () => {
    const r = await validateChain({
      leaf: certs['leafUnderNotCa']!,
      intermediates: [certs['notca']!],
      anchors: [certs['root']!],
      at: new Date(),
    });
    expect(r.code).toBe('CA_CONSTRAINT_VIOLATED');
    expect(r.message).toContain('Not A CA is not a CA certificate');
    expect(await opensslVerify('leafUnderNotCa', ['notca'])).toMatch(/invalid CA certificate/);
  });

  it('a leaf for serverAuth and emailProtection only where codeSigning is required: EKU_NOT_ALLOWED', async () => {
    const r = await validateChain({
      leaf: certs['server']!,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: new Date(),
      requiredEku: CODE_SIGNING,
    });
    expect(r.code).toBe('EKU_NOT_ALLOWED');
    // The message names the purpose asked for and every purpose the leaf has.
    expect(r.message).toBe(
      'CN=Chain Codes Server is not allowed for codeSigning (EKU: serverAuth, emailProtection)',
    );
    // The same chain without a required EKU is valid: the EKU rule alone refused it.
    const free = await validateChain({
      leaf: certs['server']!,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: new Date(),
    });
    expect(free.code).toBe('CHAIN_VALID');
    // OpenSSL 3.0 has no codeSigning purpose; its EKU rule shows with another purpose the leaf lacks.
    expect(await opensslVerify('server', ['inter'], ['-purpose', 'sslclient'])).toMatch(
      /error 26 at 0 depth lookup: unsuitable certificate purpose|unsupported certificate purpose/,
    );
  });

  it('checked a day before the certificates were issued: CERT_NOT_YET_VALID', async () => {
    const before = new Date(certs['codesign']!.cert.notBefore.value.getTime() - 86_400_000);
    const r = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: before,
      requiredEku: CODE_SIGNING,
    });
    expect(r.code).toBe('CERT_NOT_YET_VALID');
    // Asking for the validity check explicitly is the default; only `false` (the APK verifier: Android
    // ignores certificate validity) skips it, and then the same chain at the same instant is valid.
    const explicit = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: before,
      requiredEku: CODE_SIGNING,
      checkValidity: true,
    });
    expect(explicit.code).toBe('CERT_NOT_YET_VALID');
    const ignored = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: before,
      requiredEku: CODE_SIGNING,
      checkValidity: false,
    });
    expect(ignored).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    const attime = String(Math.floor(before.getTime() / 1000));
    expect(await opensslVerify('codesign', ['inter'], ['-attime', attime])).toMatch(/not yet valid/);
  });

  it('a v3 anchor without basicConstraints (not Microsoft Root Authority) may not issue: CA_CONSTRAINT_VIOLATED, as openssl', async () => {
    const r = await validateChain({
      leaf: certs['underLegacy']!,
      intermediates: [],
      anchors: [certs['legacyRoot']!],
      at: new Date(),
    });
    expect(r.code).toBe('CA_CONSTRAINT_VIOLATED');
    const out = await openssl('verify', '-CAfile', p('legacyRoot.pem'), p('underLegacy.pem')).catch(
      (e: { stdout?: string; stderr?: string }) => (e.stdout ?? '') + (e.stderr ?? ''),
    );
    expect(out).toMatch(/invalid CA certificate/);
  });

  it('an anchor that says CA:FALSE may not issue: CA_CONSTRAINT_VIOLATED', async () => {
    const r = await validateChain({
      leaf: certs['leafUnderNotCa']!,
      intermediates: [],
      anchors: [certs['notca']!],
      at: new Date(),
    });
    expect(r.code).toBe('CA_CONSTRAINT_VIOLATED');
  });
});

/**
 * The codesign leaf with its tbsCertificate changed by `change` and signed again with the intermediate's
 * key, so only that change differs from a certificate that chains; written as `surgery.pem` for openssl.
 */
function resignedLeaf(change: (tbs: DerNode) => void): Uint8Array {
  const der = resignedCertificate(certs['codesign']!.der, readFileSync(p('inter.key')), change);
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  writeFileSync(p('surgery.pem'), `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
  return der;
}

/** The codesign leaf with its notBefore (0) or notAfter (1) replaced (v3: [0] version, serial, signature, issuer, validity). */
function leafWithTime(which: 0 | 1, id: number, text: string): Uint8Array {
  return resignedLeaf((tbs) =>
    Object.assign(tbs.children![4]!.children![which]!, { id, content: latin1(text) }),
  );
}

/** The codesign leaf with the CN of its issuer Name replaced by `text` in string type `id`. */
function leafWithIssuerCn(id: number, content: Uint8Array): Uint8Array {
  return resignedLeaf((tbs) =>
    Object.assign(tbs.children![3]!.children![0]!.children![0]!.children![1]!, { id, content }),
  );
}

describe("a pinned leaf: the anchor with the signer's key and Name", () => {
  it('the same key and Name in another certificate (serial changed, signed again) pins the signer', async () => {
    const reissued = parseCertificate(
      resignedLeaf((tbs) => Object.assign(tbs.children![1]!, { content: new Uint8Array([0x7f, 0x01]) })),
    );
    expect(reissued.summary.sha256Fingerprint).not.toBe(certs['codesign']!.summary.sha256Fingerprint);
    const r = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [],
      anchors: [reissued],
      at: new Date(),
    });
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(r.anchor?.summary.sha256Fingerprint).toBe(reissued.summary.sha256Fingerprint);
  });

  it('the same Name with another key pins nothing: CHAIN_UNTRUSTED', async () => {
    const interKey = derTree(certs['inter']!.der).children![0]!.children![6]!;
    const otherKey = parseCertificate(resignedLeaf((tbs) => (tbs.children![6] = interKey)));
    expect(otherKey.summary.subject).toBe(certs['codesign']!.summary.subject);
    expect(otherKey.summary.spkiSha256).toBe(certs['inter']!.summary.spkiSha256);
    const r = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [],
      anchors: [otherKey],
      at: new Date(),
    });
    expect(r.code).toBe('CHAIN_UNTRUSTED');
  });

  it('the same key under another Name pins nothing: CHAIN_UNTRUSTED', async () => {
    const renamed = parseCertificate(
      resignedLeaf((tbs) =>
        Object.assign(tbs.children![5]!.children![0]!.children![0]!.children![1]!, {
          content: latin1('Someone Else'),
        }),
      ),
    );
    const r = await validateChain({
      leaf: certs['codesign']!,
      intermediates: [],
      anchors: [renamed],
      at: new Date(),
    });
    expect(r.code).toBe('CHAIN_UNTRUSTED');
  });
});

describe('the issuer Name of a leaf its issuer signed, as OpenSSL matches Names (X509_NAME_cmp)', () => {
  const chain = (leaf: Uint8Array) =>
    validateChain({
      leaf: parseCertificate(leaf),
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: new Date(),
      requiredEku: CODE_SIGNING,
    });

  it.each([
    ['upper case, PrintableString', 0x13, latin1('CHAIN CODES INTERMEDIATE')],
    ['spaces around and doubled, UTF8String', 0x0c, latin1('  Chain  Codes Intermediate ')],
    ['BMPString', 0x1e, new Uint8Array(Buffer.from('Chain Codes Intermediate', 'utf16le').swap16())],
  ])('the same Name for OpenSSL (%s): CHAIN_VALID, openssl agrees', async (_, id, content) => {
    const r = await chain(leafWithIssuerCn(id, content));
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(await opensslVerify('surgery', ['inter'], ['-purpose', 'any'])).toMatch(/: OK/);
  });

  // pkijs' isEqual (Unicode toLowerCase, then ICU localeCompare) called each of these the intermediate's
  // Name, so the leaf chained; OpenSSL and Go find no issuer for it.
  it.each([
    ['a zero-width space', 'Chain Codes\u200b Intermediate'],
    ['a soft hyphen', 'Chain Codes Inter\u00admediate'],
    ['a word joiner', 'Chain\u2060 Codes Intermediate'],
  ])('another Name for OpenSSL (%s): not CHAIN_VALID, and openssl finds no issuer', async (_, cn) => {
    const r = await chain(leafWithIssuerCn(0x0c, new Uint8Array(Buffer.from(cn, 'utf8'))));
    expect(r.ok).toBe(false);
    expect(r.code).toBe('CHAIN_UNTRUSTED');
    expect(await opensslVerify('surgery', ['inter'], ['-purpose', 'any'])).toMatch(
      /unable to get local issuer certificate/,
    );
  });
});

describe('a validity time openssl verify cannot read, in a leaf its issuer signed: MALFORMED_CERTIFICATE', () => {
  const MALFORMED = expect.objectContaining({ code: 'MALFORMED_CERTIFICATE' });

  it('control: the same surgery with a well-formed time chains, for sigscan and openssl', async () => {
    const leaf = parseCertificate(leafWithTime(0, 0x17, '200101000000Z'));
    expect(leaf.notBefore.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    const r = await validateChain({
      leaf,
      intermediates: [certs['inter']!],
      anchors: [certs['root']!],
      at: new Date(),
      requiredEku: CODE_SIGNING,
    });
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(await opensslVerify('surgery', ['inter'], ['-purpose', 'any'])).toMatch(/: OK/);
  });

  // Each of these read before as a time in the past (asn1js' default 1899-11-30 for text it cannot
  // convert, a month 13 rolled into the next year, a fraction or offset read as written), so a leaf
  // its issuer made valid only from the malformed time on chained. openssl 3.0 refuses every one
  // (X509_cmp_time: exactly YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ, each field in range).
  it.each([
    ['Z replaced by X', 0x17, '200101000000X'],
    ['month 13', 0x17, '191305000000Z'],
    ['30 February', 0x17, '200230000000Z'],
    ['second 60', 0x17, '200101000060Z'],
    ['no seconds', 0x17, '2001010000Z'],
    ['an offset', 0x17, '200101000000+0100'],
    ['a GeneralizedTime fraction', 0x18, '20200101000000.5Z'],
  ])('notBefore with %s', async (_, id, text) => {
    expect(() => parseCertificate(leafWithTime(0, id, text))).toThrow(MALFORMED);
    expect(await opensslVerify('surgery', ['inter'], ['-purpose', 'any'])).toMatch(
      /format error in certificate's notBefore field/,
    );
  });

  // A malformed notAfter read before either as 1899 (expired: fail-safe) or, for a month 13, as a later
  // date: refused now like notBefore.
  it.each([
    ['Z replaced by X', 0x17, '491231235959X'],
    ['month 13', 0x17, '491301000000Z'],
    ['31 November', 0x17, '491131000000Z'],
  ])('notAfter with %s', async (_, id, text) => {
    expect(() => parseCertificate(leafWithTime(1, id, text))).toThrow(MALFORMED);
    expect(await opensslVerify('surgery', ['inter'], ['-purpose', 'any'])).toMatch(
      /format error in certificate's notAfter field/,
    );
  });
});
