import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates, type ParsedCertificate } from '../../src/formats/x509.js';
import { validateChain } from '../../src/trust/x509-chain.js';
import { cosign, cosignKeypair } from '../helpers/cosign.js';
import { cachedFixtureDir, workingCopy } from '../helpers/fixture-cache.js';
import { jdkValidate } from '../helpers/jdk-pkix.js';
import { run } from '../helpers/tools.js';

/**
 * The required EKU on the issuers of a path, not only on the leaf. Go's Verify (checkChainForKeyUsage) and
 * Windows' chain engine intersect the EKUs of every certificate on the path, anchor included: a CA whose
 * EKU extension says serverAuth and clientAuth issues no code signer, whatever the leaf claims. sigscan
 * read the leaf's EKU only and called such a path CHAIN_VALID. The JDK's validators read the end entity's
 * EKU only, so the JAR family keeps that rule (requiredEkuOnIssuers: false).
 * Oracle: cosign 2.5 `verify-blob --ca-roots --ca-intermediates` (Go's crypto/x509) on a blob signed with
 * cosign's key, whose certificate openssl issues under each CA; the JDK's PKIX validator beside.
 * Made once a day (.cache/test-fixtures), cosign's answers with them.
 */

const CONFIG = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[rootTls]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = serverAuth
[inter]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
[interTls]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
extendedKeyUsage = serverAuth, clientAuth
[interAny]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
extendedKeyUsage = anyExtendedKeyUsage
[leaf]
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
subjectAltName = email:release@example.com
`;

/** CA certificates: name, issuer (self-signed without), config section. */
const CAS: [name: string, issuer: string | undefined, section: string][] = [
  ['root', undefined, 'root'],
  ['rootTls', undefined, 'rootTls'],
  ['inter', 'root', 'inter'],
  ['interTls', 'root', 'interTls'],
  ['interAny', 'root', 'interAny'],
];
/** Code-signing leaves for cosign's key: name, issuing CA, the chain cosign is given (roots, intermediates). */
const LEAVES: [name: string, issuer: string, roots: string, intermediates: string | undefined][] = [
  ['underInter', 'inter', 'root', 'inter'],
  ['underInterTls', 'interTls', 'root', 'interTls'],
  ['underInterAny', 'interAny', 'root', 'interAny'],
  ['underRootTls', 'rootTls', 'rootTls', undefined],
];

async function build(d: string): Promise<void> {
  const p = (file: string) => join(d, file);
  const openssl = (...args: string[]) => run('openssl', args);
  writeFileSync(p('openssl.cnf'), CONFIG);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  for (const [name, issuer, section] of CAS) {
    const req = [
      ...key,
      '-keyout',
      p(`${name}.key`),
      '-subj',
      `/CN=EKU ${name}`,
      '-config',
      p('openssl.cnf'),
    ];
    if (!issuer) {
      await openssl('req', '-x509', ...req, '-days', '365', '-extensions', section, '-out', p(`${name}.pem`));
      continue;
    }
    await openssl('req', ...req, '-out', p(`${name}.csr`));
    await openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${issuer}.pem`), '-CAkey', p(`${issuer}.key`),
      '-CAcreateserial', '-days', '365', '-extfile', p('openssl.cnf'), '-extensions', section, '-out', p(`${name}.pem`)); // prettier-ignore
  }
  const keys = await cosignKeypair(d);
  writeFileSync(p('blob'), 'released bytes\n');
  await cosign(['sign-blob', `--key=${keys.key}`, '--tlog-upload=false', '--yes', `--output-signature=${p('blob.sig')}`, p('blob')]); // prettier-ignore
  const answers: Record<string, string> = {};
  for (const [name, issuer, roots, intermediates] of LEAVES) {
    await openssl('req', ...key, '-keyout', p(`${name}.tmpkey`), '-subj', `/CN=EKU ${name}`, '-config', p('openssl.cnf'), '-out', p(`${name}.csr`)); // prettier-ignore
    await openssl('x509', '-req', '-in', p(`${name}.csr`), '-force_pubkey', keys.pub, '-CA', p(`${issuer}.pem`),
      '-CAkey', p(`${issuer}.key`), '-CAcreateserial', '-days', '30', '-extfile', p('openssl.cnf'), '-extensions', 'leaf',
      '-out', p(`${name}.pem`)); // prettier-ignore
    const r = await cosign(
      ['verify-blob', `--certificate=${p(`${name}.pem`)}`, `--ca-roots=${p(`${roots}.pem`)}`,
        ...(intermediates ? [`--ca-intermediates=${p(`${intermediates}.pem`)}`] : []), `--signature=${p('blob.sig')}`,
        '--certificate-identity=release@example.com', '--certificate-oidc-issuer-regexp=.*', '--insecure-ignore-sct',
        '--insecure-ignore-tlog', p('blob')], // prettier-ignore
      { check: false },
    );
    answers[name] = r.stdout + r.stderr;
  }
  writeFileSync(p('cosign-answers.json'), JSON.stringify(answers));
}

let dir: string;
let cosignSays: Record<string, string>;
const certs: Record<string, ParsedCertificate> = {};
const c = (name: string) => certs[name]!;

beforeAll(async () => {
  dir = workingCopy(await cachedFixtureDir('x509-chain-eku-v1', build), 'sigscan-chaineku-');
  for (const name of [...CAS.map(([n]) => n), ...LEAVES.map(([n]) => n)]) {
    certs[name] = parseCertificate(pemCertificates(readFileSync(join(dir, `${name}.pem`), 'utf8'))[0]!);
  }
  cosignSays = JSON.parse(readFileSync(join(dir, 'cosign-answers.json'), 'utf8')) as Record<string, string>;
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const chain = (leaf: string, more: { requiredEkuOnIssuers?: boolean } = {}) => {
  const [, , roots, intermediates] = LEAVES.find(([n]) => n === leaf)!;
  return validateChain({
    leaf: c(leaf),
    intermediates: intermediates ? [c(intermediates)] : [],
    anchors: [c(roots)],
    at: new Date(),
    requiredEku: CODE_SIGNING,
    ...more,
  });
};
const INCOMPATIBLE = 'x509: certificate specifies an incompatible key usage';

describe('the code-signing EKU on every certificate of the path (Go, Windows)', () => {
  it('an intermediate without EKU: CHAIN_VALID, and cosign verifies (the control)', async () => {
    expect(await chain('underInter')).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(cosignSays['underInter']).toContain('Verified OK');
  });

  it('an intermediate limited to serverAuth and clientAuth: EKU_NOT_ALLOWED naming it, as cosign refuses', async () => {
    expect(c('underInterTls').summary.extendedKeyUsages).toEqual(['codeSigning']);
    expect(await chain('underInterTls')).toMatchObject({
      ok: false,
      code: 'EKU_NOT_ALLOWED',
      message:
        'CN=EKU interTls, an issuer on the path, is not allowed for codeSigning (EKU: serverAuth, clientAuth)',
    });
    expect(cosignSays['underInterTls']).toContain(INCOMPATIBLE);
  });

  it('an intermediate allowing anyExtendedKeyUsage: CHAIN_VALID, and cosign verifies', async () => {
    expect(await chain('underInterAny')).toMatchObject({ ok: true, code: 'CHAIN_VALID' });
    expect(cosignSays['underInterAny']).toContain('Verified OK');
  });

  it('the anchor itself limited to serverAuth: EKU_NOT_ALLOWED, as cosign refuses (Go reads the root too)', async () => {
    const r = await chain('underRootTls');
    expect(r.code).toBe('EKU_NOT_ALLOWED');
    expect(r.message).toBe(
      'CN=EKU rootTls, an issuer on the path, is not allowed for codeSigning (EKU: serverAuth)',
    );
    expect(cosignSays['underRootTls']).toContain(INCOMPATIBLE);
  });
});

describe('the end entity only, where the platform is the JDK (requiredEkuOnIssuers: false)', () => {
  it('the serverAuth intermediate: CHAIN_VALID, as the JDK PKIX validator accepts the path', async () => {
    expect(await chain('underInterTls', { requiredEkuOnIssuers: false })).toMatchObject({
      ok: true,
      code: 'CHAIN_VALID',
    });
    expect(jdkValidate('x509-chain-eku-jdk-v1', dir, 'root', ['underInterTls', 'interTls'])).toBe('OK');
  });
});
