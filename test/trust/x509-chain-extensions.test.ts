import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../src/formats/x509.js';
import { validateChain } from '../../src/trust/x509-chain.js';
import { resignedCertificate, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir, workingCopy } from '../helpers/fixture-cache.js';
import { jdkValidate } from '../helpers/jdk-pkix.js';
import { cachedRunInDirSync } from '../helpers/tool-answers.js';
import { run } from '../helpers/tools.js';

/**
 * Extensions validateChain does not act on. RFC 5280 4.2: a certificate with a critical extension the
 * verifier does not recognise MUST be rejected; Go's Verify, OpenSSL and the JDK's PKIX validator do.
 * And constraints those verifiers apply to a path, which sigscan does not evaluate (nameConstraints,
 * policyConstraints): a path that carries one is refused, since "valid" would claim a check never made.
 * Before this, a leaf outside an intermediate's nameConstraints was CHAIN_VALID here, where openssl and
 * the JDK refuse it. Certificates from openssl (`-addext`-style config sections), once a day; `openssl
 * verify` and the JDK's validator beside each case.
 */

const CONFIG = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[rootcrit]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
1.3.6.1.4.1.55555.7 = critical,ASN1:NULL
[inter]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
[ncinter]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
nameConstraints = critical,permitted;dirName:allowed
[allowed]
O = Allowed Org
[pcinter]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
policyConstraints = critical,requireExplicitPolicy:0
[codesign]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
[crit]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
1.3.6.1.4.1.55555.7 = critical,ASN1:NULL
[noncrit]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
1.3.6.1.4.1.55555.7 = ASN1:NULL
`;

const ISSUED: [name: string, subject: string, issuer: string | undefined, section: string][] = [
  ['root', '/CN=Extensions Root', undefined, 'root'],
  ['rootCrit', '/CN=Extensions Root With Unknown Critical', undefined, 'rootcrit'],
  ['inter', '/CN=Extensions Intermediate', 'root', 'inter'],
  ['ncInter', '/O=Allowed Org/CN=Name-Constrained Intermediate', 'root', 'ncinter'],
  ['pcInter', '/CN=Policy-Constrained Intermediate', 'root', 'pcinter'],
  ['critLeaf', '/CN=Unknown Critical Leaf', 'inter', 'crit'],
  ['nonCritLeaf', '/CN=Unknown Non-critical Leaf', 'inter', 'noncrit'],
  ['inside', '/O=Allowed Org/CN=Inside', 'ncInter', 'codesign'],
  ['outside', '/O=Other Org/CN=Outside', 'ncInter', 'codesign'],
  ['pcLeaf', '/CN=Under Policy Constraints', 'pcInter', 'codesign'],
  ['underRootCrit', '/CN=Under Root With Unknown Critical', 'rootCrit', 'codesign'],
];

async function build(d: string): Promise<void> {
  const p = (file: string) => join(d, file);
  const openssl = (...args: string[]) => run('openssl', args);
  writeFileSync(p('openssl.cnf'), CONFIG);
  for (const [name, subject, issuer, section] of ISSUED) {
    await openssl(
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      p(`${name}.key`),
    );
    const common = ['-key', p(`${name}.key`), '-subj', subject, '-config', p('openssl.cnf')];
    if (!issuer) {
      await openssl('req', '-x509', '-new', ...common, '-days', '365', '-extensions', section, '-out', p(`${name}.pem`)); // prettier-ignore
      continue;
    }
    await openssl('req', '-new', ...common, '-out', p(`${name}.csr`));
    await openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${issuer}.pem`), '-CAkey', p(`${issuer}.key`),
      '-CAcreateserial', '-days', '365', '-extfile', p('openssl.cnf'), '-extensions', section, '-out', p(`${name}.pem`)); // prettier-ignore
  }
}

let dir: string;
const certs: Record<string, ParsedCertificate> = {};
const c = (name: string) => certs[name]!;

beforeAll(async () => {
  dir = workingCopy(await cachedFixtureDir('x509-chain-extensions-v1', build), 'sigscan-chainext-');
  for (const [name] of ISSUED) {
    certs[name] = parseCertificate(pemCertificates(readFileSync(join(dir, `${name}.pem`), 'utf8'))[0]!);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chain = (leaf: string, intermediate: string | undefined, anchor: string) =>
  validateChain({
    leaf: c(leaf),
    intermediates: intermediate ? [c(intermediate)] : [],
    anchors: [c(anchor)],
    at: new Date(),
    requiredEku: '1.3.6.1.5.5.7.3.3',
  });

/** `openssl verify` of leaf against anchor (with the intermediate as untrusted), once a day. */
function opensslVerify(
  leaf: string,
  intermediate: string | undefined,
  anchor: string,
  extra: string[] = [],
): string {
  const pem = (name: string) => join(dir, `${name}.pem`);
  const args = ['verify', ...extra, '-CAfile', pem(anchor), ...(intermediate ? ['-untrusted', pem(intermediate)] : []), pem(leaf)]; // prettier-ignore
  const answer = cachedRunInDirSync('x509-chain-extensions-verify-v1', 'openssl', dir, args, false);
  return answer.stdout + answer.stderr;
}
const jdk = (anchor: string, path: string[]) =>
  jdkValidate('x509-chain-extensions-jdk-v1', dir, anchor, path);

describe('a critical extension sigscan does not process', () => {
  it('the same unknown extension, not critical: CHAIN_VALID, as openssl and the JDK (the control)', async () => {
    expect(c('nonCritLeaf').extensionIds).toContainEqual({ oid: '1.3.6.1.4.1.55555.7', critical: false });
    expect(await chain('nonCritLeaf', 'inter', 'root')).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(opensslVerify('nonCritLeaf', 'inter', 'root')).toMatch(/: OK/);
    expect(jdk('root', ['nonCritLeaf', 'inter'])).toBe('OK');
  });

  it('critical on the leaf: CERT_UNHANDLED_EXTENSION, as openssl ("unhandled critical extension") and the JDK', async () => {
    expect(c('critLeaf').extensionIds).toContainEqual({ oid: '1.3.6.1.4.1.55555.7', critical: true });
    const r = await chain('critLeaf', 'inter', 'root');
    expect(r).toMatchObject({
      ok: false,
      code: 'CERT_UNHANDLED_EXTENSION',
      message:
        'CN=Unknown Critical Leaf carries critical extension 1.3.6.1.4.1.55555.7, which sigscan does not process (RFC 5280 4.2: such a certificate must be rejected)',
    });
    expect(opensslVerify('critLeaf', 'inter', 'root')).toMatch(
      /error 34 at 0 depth lookup: unhandled critical extension/,
    );
    expect(jdk('root', ['critLeaf', 'inter'])).toBe('unrecognized critical extension(s)');
  });

  it('critical on the trust anchor itself: refused, as openssl refuses it (the JDK does not read anchor extensions)', async () => {
    const r = await chain('underRootCrit', undefined, 'rootCrit');
    expect(r.code).toBe('CERT_UNHANDLED_EXTENSION');
    expect(r.message).toContain(
      'CN=Extensions Root With Unknown Critical carries critical extension 1.3.6.1.4.1.55555.7',
    );
    expect(opensslVerify('underRootCrit', undefined, 'rootCrit')).toMatch(/error 34 at 1 depth lookup/);
    expect(jdk('rootCrit', ['underRootCrit'])).toBe('OK');
  });

  it('critical written out as an explicit BOOLEAN FALSE (BER, not DER): not critical, CHAIN_VALID', async () => {
    // The unknown extension of nonCritLeaf with `critical FALSE` spelled out, signed again by the intermediate.
    const der = resignedCertificate(c('nonCritLeaf').der, readFileSync(join(dir, 'inter.key')), (tbs) => {
      const extensions = tbs.children![tbs.children!.length - 1]!.children![0]!.children!;
      const unknown = extensions.find((e) => e.children![0]!.content![0] === 0x2b)!;
      unknown.children!.splice(1, 0, { id: 0x01, content: new Uint8Array([0x00]) } satisfies DerNode);
    });
    const leaf = parseCertificate(der);
    expect(leaf.extensionIds).toContainEqual({ oid: '1.3.6.1.4.1.55555.7', critical: false });
    const r = await validateChain({
      leaf,
      intermediates: [c('inter')],
      anchors: [c('root')],
      at: new Date(),
    });
    expect(r).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
  });

  it('the critical extensions a path is judged on are not refused (basicConstraints, keyUsage on every certificate here)', () => {
    for (const name of ['root', 'inter', 'nonCritLeaf']) {
      const critical = c(name)
        .extensionIds.filter((e) => e.critical)
        .map((e) => e.oid);
      expect(critical, name).toEqual(['2.5.29.19', '2.5.29.15']);
    }
  });
});

describe('constraints sigscan does not evaluate', () => {
  it("a leaf outside the intermediate's nameConstraints: refused, where it was CHAIN_VALID; openssl and the JDK refuse it", async () => {
    const r = await chain('outside', 'ncInter', 'root');
    expect(r).toMatchObject({
      ok: false,
      code: 'CERT_UNHANDLED_EXTENSION',
      message:
        "CN=Name-Constrained Intermediate,O=Allowed Org carries nameConstraints, which sigscan does not evaluate (the platform's verifier applies it)",
    });
    expect(opensslVerify('outside', 'ncInter', 'root')).toMatch(/permitted subtree violation/);
    expect(jdk('root', ['outside', 'ncInter'])).toBe('name constraints check failed');
  });

  it('a leaf inside them: refused too, stricter than openssl and the JDK, which accept it', async () => {
    expect((await chain('inside', 'ncInter', 'root')).code).toBe('CERT_UNHANDLED_EXTENSION');
    expect(opensslVerify('inside', 'ncInter', 'root')).toMatch(/: OK/);
    expect(jdk('root', ['inside', 'ncInter'])).toBe('OK');
  });

  it('requireExplicitPolicy over a leaf with no policy: refused, as the JDK and openssl -policy_check refuse it', async () => {
    const r = await chain('pcLeaf', 'pcInter', 'root');
    expect(r.code).toBe('CERT_UNHANDLED_EXTENSION');
    expect(r.message).toContain('CN=Policy-Constrained Intermediate carries policyConstraints');
    expect(opensslVerify('pcLeaf', 'pcInter', 'root', ['-policy_check'])).toMatch(/no explicit policy/);
    expect(jdk('root', ['pcLeaf', 'pcInter'])).toBe('non-null policy tree required and policy tree is null');
  });
});
