import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { parseSignedData } from '../../src/formats/cms.js';
import { CODE_SIGNING_EKU, decideCmsSigner, type CmsSignerDecision } from '../../src/trust/cms-signer.js';
import { contentsOctets } from '../../src/trust/families/authenticode.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import {
  addPkcs9Countersignature,
  combineTimestamps,
  editPrimarySignedData,
  issueTsaCertificate,
  restamp,
} from '../helpers/pe/countersign.js';
import { compileTinyPe, makeSignedPe, makeTestPki } from '../helpers/pe/signed-pe.js';
import { config, detectFile, evaluateFile } from './helpers.js';

/**
 * decideCmsSigner (src/trust/cms-signer.ts) on real osslsigncode/openssl signatures: the stamp rules that
 * the Authenticode family reaches (which stamp dates the signature, which failing stamps are tampering, what
 * the verdict says about unused stamps), and the options no family in the Stryker test set passes today
 * (acceptPkcs9Countersignature, requireTrustedTimestamp, weakAlgorithms without refusedWeakAlgorithms,
 * timestampExtendsValidity false without a limitation text), called directly on the same signatures.
 *
 * Every file is one signature of one tiny PE (so all stamps cover the same signature value), made once a
 * day (cachedFixtureDir). T0 is when the fixtures were made: the signer certificate is valid from before T0
 * for 365 days; AFTER (T0 + 400 days) is past its expiry, TODAY (T0 + 2 h) inside it.
 */

const DAY = 86_400;
/** Under the RSA PKCS #1 arc, assigned to no algorithm the verifier knows. */
const UNKNOWN_OID = '1.2.840.113549.1.1.99';

let dir: string;
let t0: number;
let ca: string;
/** When the signer certificate expires (the PKI is made once a day, before T0). */
let expiry: string;
const iso = (unix: number) => new Date(unix * 1000).toISOString();
const f = (name: string) => join(dir, `${name}.exe`);

beforeAll(async () => {
  dir = await cachedFixtureDir('cms-signer-v2', async (d) => {
    const now = Math.floor(Date.now() / 1000);
    const pki = await makeTestPki(join(d, 'pki'));
    const foreign = await makeTestPki(join(d, 'foreign'));
    const longTsa = await issueTsaCertificate(pki.dir, 'long-tsa', 3650);
    const exe = await compileTinyPe(d);
    const unstamped = await makeSignedPe(pki, exe, join(d, 'unstamped.exe'));
    const out = (name: string) => join(d, `${name}.exe`);
    const stamp = (name: string, tsa: { chain: string; key: string }, unixTime: number) =>
      restamp({ input: unstamped, output: out(name), tsaChainPem: tsa.chain, tsaKey: tsa.key, unixTime });
    const trustedTsa = { chain: pki.tsaChainPem, key: pki.tsaKey };
    const foreignTsa = { chain: foreign.tsaChainPem, key: foreign.tsaKey };
    // RFC 3161 stamps: the trusted TSA inside the signer's validity, the other CA's TSA (same names,
    // another key: its path fails on the real CA key) earlier still, the long-lived trusted TSA after expiry.
    const stamped = await stamp('stamped', trustedTsa, now + 3600);
    const forged = await stamp('forged', foreignTsa, now + 1800);
    const late = await stamp('late', longTsa, now + 370 * DAY);
    // PKCS #9 countersignatures by the trusted TSA's key: one with signingTime (openssl writes the time of
    // signing, inside the validity), one without any signed attribute (so no time at all).
    const pkcs9 = (name: string, noSignedAttributes: boolean) =>
      addPkcs9Countersignature({
        input: unstamped,
        output: out(name),
        certPem: join(pki.dir, 'tsa.pem'),
        keyPem: pki.tsaKey,
        dir: d,
        noSignedAttributes,
      });
    await pkcs9('pkcs9', false);
    const noTime = await pkcs9('pkcs9-no-time', true);
    combineTimestamps([stamped, forged], out('stamped-forged'));
    combineTimestamps([stamped, forged, late], out('stamped-forged-late'));
    combineTimestamps([stamped, noTime], out('stamped-no-time'));
    // The SignerInfo's signatureAlgorithm set to an OID the verifier does not implement (the digest
    // algorithms stay SHA-256, so the detector's agreement check and the image hash still pass).
    editPrimarySignedData(unstamped, out('unknown-signature-algorithm'), (sd) => {
      sd.signerInfos[0]!.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: UNKNOWN_OID });
    });
    writeFileSync(join(d, 't0'), String(now));
  });
  t0 = Number(readFileSync(join(dir, 't0'), 'utf8'));
  ca = join(dir, 'pki', 'ca.pem');
  expiry = new Date(new X509Certificate(readFileSync(join(dir, 'pki', 'rsa.pem'))).validTo).toISOString();
}, 180_000);

const AFTER = () => t0 + 400 * DAY;
const TODAY = () => t0 + 7200;

/** The Authenticode family's verdict (detector → evaluator), with the test CA for signer and TSA. */
async function authenticode(name: string, atUnix: number) {
  const cfg = await config({ roots: [ca], tsaRoots: [ca], at: iso(atUnix) });
  const [outcome, ...rest] = await evaluateFile(f(name), 'pe', cfg);
  expect(rest).toHaveLength(0);
  const v = outcome!.verdict;
  return { status: v.status, code: v.code, message: v.message };
}

/** decideCmsSigner called directly on the file's primary signature, with `options` over the defaults. */
async function direct(
  name: string,
  atUnix: number,
  options: Partial<CmsSignerDecision> = {},
  cfgOptions: { allowWeakAlgorithms?: boolean } = {},
) {
  const [evidence] = await detectFile(f(name), 'pe');
  const m = evidence!.material as AuthenticodeMaterial;
  const info = parseSignedData(m.signedDataDer);
  const cfg = await config({ roots: [ca], tsaRoots: [ca], at: iso(atUnix) });
  const v = await decideCmsSigner({
    what: 'test signature',
    signer: info.signers[0]!,
    content: contentsOctets(m.spcIndirectDataDer),
    certificates: info.certificates,
    ctx: { config: { ...cfg, ...cfgOptions }, now: new Date(atUnix * 1000) },
    requiredEku: CODE_SIGNING_EKU,
    timestampExtendsValidity: true,
    ...options,
  });
  return { status: v.status, code: v.code, message: v.message };
}

const WHO = 'CN=Sigscan RSA Code Signer,OU=Builds,O=Sigscan Test,L=Berlin,C=DE';
const CA = 'CN=Sigscan Test CA,O=Sigscan Test,C=DE';
const TSA = 'CN=Sigscan Test TSA,O=Sigscan Test,C=DE';
const PE = 'Authenticode signature certificate-table[0]';
const REVOCATION = `; the revocation status of ${WHO} is unknown (offline: only --crl files are read)`;
/** The other CA's TSA (same names as ours, another key), as a stamp check reports it. */
const FORGED_TSA = `timestamp by ${TSA} is intact but not trusted: ${TSA} is not signed by the key of ${CA}`;
const verifiedAt = (what: string, when: string, rest = '') =>
  `${what} by ${WHO} is valid and chains to trusted ${CA} (checked ${when})${rest}${REVOCATION}`;
const expiredAt = (unix: number, note: string) =>
  `signature valid but ${WHO} expired on ${expiry}, checked at ${iso(unix)}; ${note}`;

describe('decideCmsSigner through the Authenticode family', () => {
  it('a forged stamp EARLIER than the trusted one, checked after expiry: the trusted stamp dates the signature, the forged one is named as not used', async () => {
    // Without the trusted-only filter in chosenStamp the earliest stamp (the forged one) would be chosen,
    // found untrusted, and the signature judged at AFTER: untrusted CERT_EXPIRED.
    expect(await authenticode('stamped-forged', AFTER())).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt(
        PE,
        `at the timestamp ${iso(t0 + 3600)}`,
        `; 1 other timestamp(s) not used (${iso(t0 + 1800)}: TSA_CERT_BAD_SIGNATURE)`,
      ),
    });
  });

  it('three stamps: every one not used is listed with its time and code', async () => {
    const v = await authenticode('stamped-forged-late', AFTER());
    expect(v).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt(
        PE,
        `at the timestamp ${iso(t0 + 3600)}`,
        `; 2 other timestamp(s) not used (${iso(t0 + 1800)}: TSA_CERT_BAD_SIGNATURE; ${iso(t0 + 370 * DAY)}: TIMESTAMP_VALID)`,
      ),
    });
  });

  it('a stamp that fails without being tampered with (a PKCS #9 countersignature with no time) is not used, and is not TIMESTAMP_INVALID', async () => {
    // Beside a trusted stamp: verified by that stamp, the timeless one named. Only an imprint or signature
    // failure is tampering; a failing stamp carries no weak-algorithm list, and none is reported.
    expect(await authenticode('stamped-no-time', AFTER())).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt(
        PE,
        `at the timestamp ${iso(t0 + 3600)}`,
        '; 1 other timestamp(s) not used (no time: TIMESTAMP_MALFORMED)',
      ),
    });
    // Alone, after expiry: the signature is judged at the verification time.
    expect(await authenticode('pkcs9-no-time', AFTER())).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message: expiredAt(
        AFTER(),
        'a timestamp exists but could not be used (TIMESTAMP_MALFORMED: the PKCS #9 countersignature carries no usable time)',
      ),
    });
  });

  it('a trusted stamp made after the signer expired: untrusted CERT_EXPIRED at the stamped time, the stamp named as considered', async () => {
    expect(await authenticode('late', AFTER())).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message: expiredAt(t0 + 370 * DAY, `the timestamp (${iso(t0 + 370 * DAY)}) was considered`),
    });
  });

  it('a SignerInfo signature algorithm the verifier does not implement: error UNSUPPORTED_ALGORITHM, not invalid', async () => {
    expect(await authenticode('unknown-signature-algorithm', TODAY())).toEqual({
      status: 'error',
      code: 'UNSUPPORTED_ALGORITHM',
      message: `the ${PE} could not be checked: signature algorithm ${UNKNOWN_OID} is not supported`,
    });
  });

  it('no timestamp: verified today with nothing said of a stamp; after expiry the verdict says there was none', async () => {
    expect(await authenticode('unstamped', TODAY())).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt(PE, `at ${iso(TODAY())}`),
    });
    expect(await authenticode('unstamped', AFTER())).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message: expiredAt(AFTER(), 'the signature has no timestamp'),
    });
  });
});

describe('decideCmsSigner options, called directly', () => {
  it('acceptPkcs9Countersignature: false ignores a PKCS #9 countersignature (jarsigner reads only RFC 3161 tokens) and keeps RFC 3161 stamps', async () => {
    // A trusted PKCS #9 countersignature dates the signature by default (Authenticode) ...
    for (const accept of [undefined, true]) {
      const v = await direct('pkcs9', AFTER(), { acceptPkcs9Countersignature: accept });
      expect(v.status).toBe('verified');
      expect(v.code).toBe('CHAIN_VALID');
      expect(v.message).toMatch(/\(checked at the timestamp \d{4}-\d\d-\d\dT[0-9:.]+Z\)/);
    }
    // ... and is not read at all when the family says so: the signature has no timestamp.
    expect(await direct('pkcs9', AFTER(), { acceptPkcs9Countersignature: false })).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message: expiredAt(AFTER(), 'the signature has no timestamp'),
    });
    // An RFC 3161 token still counts.
    expect(await direct('stamped', AFTER(), { acceptPkcs9Countersignature: false })).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt('test signature', `at the timestamp ${iso(t0 + 3600)}`),
    });
  });

  it('requireTrustedTimestamp: a stamp whose TSA is not trusted fails the signature even while the signer is valid', async () => {
    const forgedOnly = await direct('forged', TODAY(), { requireTrustedTimestamp: true });
    expect(forgedOnly).toEqual({
      status: 'untrusted',
      code: 'TSA_CERT_BAD_SIGNATURE',
      message: `signature by ${WHO} is valid but its timestamp could not be trusted: ${FORGED_TSA}`,
    });
    // A trusted stamp beside it does not excuse it.
    expect(await direct('stamped-forged', TODAY(), { requireTrustedTimestamp: true })).toEqual(forgedOnly);
    // Without the option the same file verifies, the stamp not used.
    expect(await direct('forged', TODAY())).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt(
        'test signature',
        `at ${iso(TODAY())}`,
        `; timestamp not used (TSA_CERT_BAD_SIGNATURE: ${FORGED_TSA})`,
      ),
    });
    // A trusted stamp, or none, passes.
    expect(await direct('stamped', TODAY(), { requireTrustedTimestamp: true })).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
    });
    expect(await direct('unstamped', TODAY(), { requireTrustedTimestamp: true })).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
    });
  });

  it('weakAlgorithms from the family: refused ones make the verdict WEAK_ALGORITHM; without a refusal pattern they are only listed', async () => {
    // No family list and nothing weak in the signature: no weak-algorithm note.
    expect(await direct('unstamped', TODAY())).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt('test signature', `at ${iso(TODAY())}`),
    });
    // The family's MD5 (e.g. an image hash) is refused by the pattern.
    expect(
      await direct('unstamped', TODAY(), { weakAlgorithms: ['MD5'], refusedWeakAlgorithms: /MD5|MD2/ }),
    ).toEqual({
      status: 'untrusted',
      code: 'WEAK_ALGORITHM',
      message: `test signature by ${WHO} is valid and chains to trusted ${CA}, but uses MD5, which the platform no longer accepts (--allow-weak-algorithms accepts it)`,
    });
    // --allow-weak-algorithms accepts them, and the verdict says that it did.
    expect(
      await direct(
        'unstamped',
        TODAY(),
        { weakAlgorithms: ['MD5', 'MD2'], refusedWeakAlgorithms: /MD5|MD2/ },
        { allowWeakAlgorithms: true },
      ),
    ).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt(
        'test signature',
        `at ${iso(TODAY())}`,
        '; weak algorithms: MD5, MD2; MD5, MD2 accepted only because of --allow-weak-algorithms',
      ),
    });
    // No refusal pattern: nothing is refused, every weak algorithm is listed.
    expect(await direct('unstamped', TODAY(), { weakAlgorithms: ['SHA-1', 'MD5'] })).toEqual({
      status: 'verified',
      code: 'CHAIN_VALID',
      message: verifiedAt('test signature', `at ${iso(TODAY())}`, '; weak algorithms: SHA-1, MD5'),
    });
  });

  it('timestampExtendsValidity: false: a trusted stamp is considered but does not date the signature; an untrusted one is named as not usable', async () => {
    expect(await direct('stamped', AFTER(), { timestampExtendsValidity: false })).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message: expiredAt(
        AFTER(),
        `the timestamp (${iso(t0 + 3600)}) was considered but does not extend validity`,
      ),
    });
    expect(await direct('forged', AFTER(), { timestampExtendsValidity: false })).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message: expiredAt(
        AFTER(),
        `a timestamp exists but could not be used (TSA_CERT_BAD_SIGNATURE: ${FORGED_TSA})`,
      ),
    });
  });
});
