import { sign } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../src/formats/x509.js';
import { chainCacheStats } from '../../src/trust/chain-caches.js';
import { hasKeyUsage, validateChain, type ChainOptions } from '../../src/trust/x509-chain.js';
import { derEncode, derRebuilt, derTree } from '../helpers/der-tree.js';
import { cachedFixtureDir, workingCopy } from '../helpers/fixture-cache.js';
import { jdkValidate as jdkValidateIn } from '../helpers/jdk-pkix.js';
import { cachedRunInDirSync } from '../helpers/tool-answers.js';
import { run } from '../helpers/tools.js';

/**
 * validateChain's path search and what it reports about a path: the depth limit, backtracking past an
 * issuer that leads nowhere, a cycle of cross-certificates, the path cache (its key and its counts, which
 * `-v` prints), and the weak-algorithm list (the anchor's own signature aside, the OIW SHA-1 OID, failed
 * paths). Certificates come from openssl, once a day; `openssl verify` is the oracle where it has one.
 */

const CONFIG = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[intermediate]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
`;

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const TIME_STAMPING = '1.3.6.1.5.5.7.3.8';
/** sha1WithRSASignature (OIW), the OID of the 1997 Microsoft Root Authority's signatures. */
const OIW_SHA1_RSA = '1.3.14.3.2.29';
const SHA1_RSA = '1.2.840.113549.1.1.5';

const RSA = ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
const EC = ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/** Keys: RSA where SHA-1 and the OIW OID must be signed (root, intermediate), EC P-256 elsewhere. */
const KEYS: [name: string, algorithm: string[]][] = [
  ['root', RSA],
  ['inter', RSA],
  ['leaf', EC],
  ['other', EC],
  ['cycA', EC],
  ['cycB', EC],
  ['cycX', EC],
  ['wrongKey', EC],
  // P-256 written out as explicit curve parameters: the CVE-2020-0601 key form WebCrypto and Go refuse.
  ['explicit', [...EC, '-pkeyopt', 'ec_param_enc:explicit']],
];

/** [file, key, subject, issuer file (self-signed when absent), extensions, digest] in build order. */
const CERTS: [string, string, string, string | undefined, string, string][] = [
  ['root', 'root', '/CN=Paths Root', undefined, 'root', 'sha256'],
  // The same key and Name as root, self-signed with SHA-1: an anchor whose own signature is weak.
  ['rootSha1', 'root', '/CN=Paths Root', undefined, 'root', 'sha1'],
  ['inter', 'inter', '/CN=Paths Intermediate', 'root', 'intermediate', 'sha256'],
  ['leaf', 'leaf', '/CN=Paths Leaf', 'inter', 'codesign', 'sha256'],
  ['leafSha1', 'leaf', '/CN=Paths Leaf', 'inter', 'codesign', 'sha1'],
  ['other', 'other', '/CN=Paths Other Root', undefined, 'root', 'sha256'],
  // The intermediate's key and Name under a root nobody trusts: a right signature on a dead end.
  ['deadInter', 'inter', '/CN=Paths Intermediate', 'other', 'intermediate', 'sha256'],
  // A cycle: cycA is issued by cycB, and cycB names cycA as its issuer but was signed by another key
  // (cycX, through fakeA, a throwaway certificate with cycA's Name).
  ['fakeA', 'cycX', '/CN=Paths Cycle A', undefined, 'root', 'sha256'],
  ['cycB', 'cycB', '/CN=Paths Cycle B', 'fakeA', 'intermediate', 'sha256'],
  ['cycA', 'cycA', '/CN=Paths Cycle A', 'cycB', 'intermediate', 'sha256'],
  ['cycLeaf', 'leaf', '/CN=Paths Cycle Leaf', 'cycA', 'codesign', 'sha256'],
  // The intermediate's Name on another key, under the trusted root: the leaf's signature does not verify.
  ['wrongKeyInter', 'wrongKey', '/CN=Paths Intermediate', 'root', 'intermediate', 'sha256'],
  ['explicitInter', 'explicit', '/CN=Paths Explicit Intermediate', 'root', 'intermediate', 'sha256'],
  ['underExplicit', 'leaf', '/CN=Paths Under Explicit', 'explicitInter', 'codesign', 'sha256'],
];

let dir: string;
const certs: Record<string, ParsedCertificate> = {};
const p = (name: string) => join(dir, name);

async function build(d: string): Promise<void> {
  const f = (name: string) => join(d, name);
  const openssl = (...args: string[]) => run('openssl', args);
  writeFileSync(f('openssl.cnf'), CONFIG);
  for (const [name, algorithm] of KEYS) await openssl('genpkey', ...algorithm, '-out', f(`${name}.key`));
  for (const [name, key, subject, issuer, extensions, digest] of CERTS) {
    const common = ['-days', '365', `-${digest}`, '-out', f(`${name}.pem`)];
    if (!issuer) {
      await openssl(
        'req',
        '-x509',
        '-new',
        '-key',
        f(`${key}.key`),
        '-subj',
        subject,
        '-config',
        f('openssl.cnf'),
        '-extensions',
        extensions,
        ...common,
      );
      continue;
    }
    await openssl(
      'req',
      '-new',
      '-key',
      f(`${key}.key`),
      '-subj',
      subject,
      '-config',
      f('openssl.cnf'),
      '-out',
      f(`${name}.csr`),
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f(`${issuer}.pem`),
      '-CAkey',
      f(`${CERTS.find((c) => c[0] === issuer)![1]}.key`),
      '-CAcreateserial',
      '-extfile',
      f('openssl.cnf'),
      '-extensions',
      extensions,
      ...common,
    );
  }
  const der = (name: string) => pemCertificates(readFileSync(f(`${name}.pem`), 'utf8'))[0]!;
  // leafSha1 with its signature algorithm (both copies) changed to the OIW OID and signed again by the
  // intermediate's key: SHA-1 with RSA PKCS #1 v1.5 either way, only the OID differs.
  const oiwOid = derTree(derOid(OIW_SHA1_RSA));
  writePem(
    f('oiwLeaf.pem'),
    derRebuilt(der('leafSha1'), (cert) => {
      const tbs = cert.children![0]!;
      tbs.children![2]!.children![0] = oiwOid;
      cert.children![1]!.children![0] = oiwOid;
      const signature = sign('sha1', derEncode(tbs), readFileSync(f('inter.key')));
      cert.children![2]!.content = new Uint8Array([0, ...signature]);
    }),
  );
  // The intermediate with its RSA public key cut to SEQUENCE { INTEGER 0 } (no exponent): pkijs and the
  // DER reader read the certificate, OpenSSL cannot load the key.
  writePem(
    f('brokenKeyInter.pem'),
    derRebuilt(der('inter'), (cert) => {
      const spki = cert.children![0]!.children![6]!;
      spki.children![1]!.content = new Uint8Array([0, 0x30, 0x03, 0x02, 0x01, 0x00]);
    }),
  );
}

/** An OBJECT IDENTIFIER element for a dotted OID (arcs below 128 after the first two, as the ones here). */
function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const body: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const bytes = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) bytes.unshift((v & 0x7f) | 0x80);
    body.push(...bytes);
  }
  return new Uint8Array([0x06, body.length, ...body]);
}

function writePem(file: string, der: Uint8Array): void {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  writeFileSync(file, `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`);
}

/** `openssl verify` of `leaf` against `anchor` with `untrusted`, once a day; its stdout and stderr. */
function opensslVerify(leaf: string, anchor: string, untrusted: string[], extra: string[] = []): string {
  const args = ['verify', ...extra, '-CAfile', p(`${anchor}.pem`)];
  if (untrusted.length) {
    writeFileSync(p('untrusted.pem'), untrusted.map((n) => readFileSync(p(`${n}.pem`), 'utf8')).join(''));
    args.push('-untrusted', p('untrusted.pem'));
  }
  args.push(p(`${leaf}.pem`));
  const answer = cachedRunInDirSync('x509-chain-paths-verify-v1', 'openssl', dir, args, false);
  return answer.stdout + answer.stderr;
}

/** The JDK's PKIX validator's answer (test/helpers/jdk-pkix.ts). */
const jdkValidate = (anchor: string, path: string[]): string =>
  jdkValidateIn('x509-chain-paths-jdk-v1', dir, anchor, path);

beforeAll(async () => {
  dir = workingCopy(await cachedFixtureDir('x509-chain-paths-v2', build), 'sigscan-chainpaths-');
  for (const [name] of CERTS) {
    certs[name] = parseCertificate(pemCertificates(readFileSync(p(`${name}.pem`), 'utf8'))[0]!);
  }
  for (const name of ['oiwLeaf', 'brokenKeyInter']) {
    certs[name] = parseCertificate(pemCertificates(readFileSync(p(`${name}.pem`), 'utf8'))[0]!);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const c = (name: string) => certs[name]!;
const chain = (leaf: string, intermediates: string[], anchors: string[], more: Partial<ChainOptions> = {}) =>
  validateChain({
    leaf: c(leaf),
    intermediates: intermediates.map(c),
    anchors: anchors.map(c),
    at: new Date(),
    ...more,
  });
const subjects = (path: ParsedCertificate[] | undefined) => path?.map((x) => x.summary.subject);
const fingerprint = (x: ParsedCertificate | undefined) => x?.summary.sha256Fingerprint;

describe('the path search', () => {
  it('maxDepth counts the certificates before the anchor: 2 admits leaf and intermediate, 1 does not', async () => {
    const two = await chain('leaf', ['inter'], ['root'], { maxDepth: 2 });
    expect(two).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(subjects(two.path)).toEqual(['CN=Paths Leaf', 'CN=Paths Intermediate', 'CN=Paths Root']);
    const one = await chain('leaf', ['inter'], ['root'], { maxDepth: 1 });
    expect(one).toMatchObject({ ok: false, code: 'CHAIN_UNTRUSTED', weakAlgorithms: [] });
    expect(one.path).toBeUndefined();
    // The intermediate alone as anchor is one certificate before the anchor: within maxDepth 1.
    expect((await chain('leaf', [], ['inter'], { maxDepth: 1 })).code).toBe('CHAIN_VALID');
  });

  it('an issuer with the right key that leads to no anchor is left for the next one of the same Name', async () => {
    // deadInter alone: its signature on the leaf is good, its own issuer is untrusted.
    expect((await chain('leaf', ['deadInter'], ['root'])).code).toBe('CHAIN_UNTRUSTED');
    const r = await chain('leaf', ['deadInter', 'inter'], ['root']);
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(r.path?.map(fingerprint)).toEqual([c('leaf'), c('inter'), c('root')].map(fingerprint));
    expect(fingerprint(r.anchor)).toBe(fingerprint(c('root')));
    // OpenSSL takes the first issuer of the Name from the untrusted list and does not go back (Go's
    // crypto/x509 does, as here): the order decides for it.
    expect(opensslVerify('leaf', 'root', ['inter', 'deadInter'])).toMatch(/: OK/);
    expect(opensslVerify('leaf', 'root', ['deadInter', 'inter'])).toMatch(
      /error 20 at 1 depth lookup: unable to get local issuer certificate/,
    );
  });

  it('a cycle of issuers is not walked again: cycB -> cycA is never checked, CHAIN_UNTRUSTED as openssl', async () => {
    // cycLeaf <- cycA <- cycB, and cycB names cycA as its issuer (signed by another key). Following that
    // edge would check cycB's signature with cycA's key and report CERT_BAD_SIGNATURE for a path that
    // revisits cycA; there is simply no path to the root.
    const r = await chain('cycLeaf', ['cycA', 'cycB'], ['root']);
    expect(r).toMatchObject({ ok: false, code: 'CHAIN_UNTRUSTED' });
    // openssl stops at cycB too (depth 2), without taking cycA again as its issuer.
    expect(opensslVerify('cycLeaf', 'root', ['cycA', 'cycB'])).toMatch(
      /error 20 at 2 depth lookup: unable to get local issuer certificate/,
    );
  });

  it('an intermediate of the right Name whose key did not sign the leaf is not followed: CERT_BAD_SIGNATURE', async () => {
    const r = await chain('leaf', ['wrongKeyInter'], ['root']);
    expect(r).toMatchObject({ ok: false, code: 'CERT_BAD_SIGNATURE', weakAlgorithms: [] });
    expect(r.path).toBeUndefined();
    // With the real intermediate beside it, the search goes on to that one.
    const both = await chain('leaf', ['wrongKeyInter', 'inter'], ['root']);
    expect(both.path?.map(fingerprint)).toEqual([c('leaf'), c('inter'), c('root')].map(fingerprint));
    // openssl does not take it as the issuer either (its key identifier is not the leaf's authority key).
    expect(opensslVerify('leaf', 'root', ['wrongKeyInter'])).toMatch(
      /error 20 at 0 depth lookup: unable to get local issuer certificate/,
    );
  });

  it('an issuer key with explicit curve parameters gets no second opinion from OpenSSL: CERT_BAD_SIGNATURE', async () => {
    // Only the RSA OIDs WebCrypto lacks (OIW SHA-1, MD5) are handed to OpenSSL: this signature is not,
    // and OpenSSL 3.0 refuses such a key as well (Go cannot even parse it).
    const r = await chain('underExplicit', ['explicitInter'], ['root']);
    expect(r).toMatchObject({ ok: false, code: 'CERT_BAD_SIGNATURE', weakAlgorithms: [] });
    expect(opensslVerify('underExplicit', 'root', ['explicitInter'], ['-purpose', 'any'])).toMatch(
      /error 94 at 1 depth lookup: Certificate public key has explicit ECC parameters/,
    );
  });

  it('the path cache is keyed by the pool and the anchors, not only by the leaf', async () => {
    expect((await chain('leaf', ['inter'], ['root'])).code).toBe('CHAIN_VALID');
    expect((await chain('leaf', ['inter'], ['other'])).code).toBe('CHAIN_UNTRUSTED');
    expect((await chain('leaf', [], ['root'])).code).toBe('CHAIN_UNTRUSTED');
    expect((await chain('leaf', ['inter'], ['root'])).code).toBe('CHAIN_VALID');
  });

  it('the leaf among the intermediates and repeated certificates are one path search, answered from the cache', async () => {
    // maxDepth 9: a key no other test of this file uses.
    const first = await chain('leaf', ['inter'], ['root'], { maxDepth: 9 });
    expect(first.code).toBe('CHAIN_VALID');
    const before = chainCacheStats();
    const again = await chain('leaf', ['leaf', 'inter', 'inter', 'leaf'], ['root', 'root'], { maxDepth: 9 });
    const after = chainCacheStats();
    expect(again.code).toBe('CHAIN_VALID');
    expect(subjects(again.path)).toEqual(subjects(first.path));
    // One cache hit, no new search, so no signature check looked up (the counts `sigscan -v` prints).
    expect(after.pathSearches.hits - before.pathSearches.hits).toBe(1);
    expect(after.pathSearches.misses - before.pathSearches.misses).toBe(0);
    expect(after.signatureChecks.hits - before.signatureChecks.hits).toBe(0);
    expect(after.signatureChecks.misses - before.signatureChecks.misses).toBe(0);
  });
});

describe('weak signature algorithms on the path', () => {
  it("an anchor's own SHA-1 self-signature is not listed: nothing relies on it", async () => {
    const r = await chain('leaf', ['inter'], ['rootSha1']);
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID', weakAlgorithms: [] });
    expect(fingerprint(r.anchor)).toBe(fingerprint(c('rootSha1')));
    expect(c('rootSha1').signatureAlgorithm).toBe(SHA1_RSA);
    expect(opensslVerify('leaf', 'rootSha1', ['inter'], ['-purpose', 'any'])).toMatch(/: OK/);
    // The JDK with SHA-1 disabled everywhere accepts it too: a TrustAnchor's signature is not judged.
    expect(jdkValidate('rootSha1', ['leaf', 'inter'])).toBe('OK');
  });

  it('a leaf signed with the OIW sha1WithRSASignature OID: SHA1withRSA, and openssl verifies it', async () => {
    expect(c('oiwLeaf').signatureAlgorithm).toBe(OIW_SHA1_RSA);
    const r = await chain('oiwLeaf', ['inter'], ['root'], { requiredEku: CODE_SIGNING });
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID', weakAlgorithms: ['SHA1withRSA'] });
    expect(opensslVerify('oiwLeaf', 'root', ['inter'], ['-purpose', 'any'])).toMatch(/: OK/);
    // The JDK names the OIW OID SHA1withRSA as well, and refuses it where SHA-1 is disabled.
    expect(jdkValidate('root', ['oiwLeaf', 'inter'])).toBe(
      'Algorithm constraints check failed on signature algorithm: SHA1withRSA',
    );
  });

  it('a path refused for another rule still names its certificates and weak algorithms', async () => {
    const r = await chain('oiwLeaf', ['inter'], ['root'], { requiredEku: TIME_STAMPING });
    expect(r).toMatchObject({ ok: false, code: 'EKU_NOT_ALLOWED', weakAlgorithms: ['SHA1withRSA'] });
    expect(subjects(r.path)).toEqual(['CN=Paths Leaf', 'CN=Paths Intermediate', 'CN=Paths Root']);
    expect(fingerprint(r.anchor)).toBe(fingerprint(c('root')));
  });

  it('an issuer whose key OpenSSL cannot load does not verify the OIW signature: CERT_BAD_SIGNATURE', async () => {
    const r = await chain('oiwLeaf', [], ['brokenKeyInter']);
    expect(r).toMatchObject({ ok: false, code: 'CERT_BAD_SIGNATURE', weakAlgorithms: [] });
    expect(r.path).toBeUndefined();
    expect(opensslVerify('oiwLeaf', 'brokenKeyInter', [], ['-partial_chain'])).toMatch(
      /X509_PUBKEY_get0:decode error/,
    );
  });
});

describe('hasKeyUsage', () => {
  it('reads the bits of the keyUsage extension (digitalSignature 0x80, keyCertSign 0x04)', () => {
    expect(hasKeyUsage(c('leaf'), 0x80)).toBe(true);
    expect(hasKeyUsage(c('leaf'), 0x04)).toBe(false);
    expect(hasKeyUsage(c('inter'), 0x04)).toBe(true);
    expect(hasKeyUsage(c('inter'), 0x80)).toBe(false);
  });
});
