/**
 * Lifetime signing decided by the rule alone: kdbazis.dll's signer certificate has the lifetime-signing EKU
 * and its stamp (DigiCert Timestamp 2021) is trusted here, through the timestamping CA taken from the
 * signature's own certificate set (osslsigncode extract-signature, openssl pkcs7). families/authenticode's
 * kdbazis test has no TSA root, so its stamp is unused either way and the lifetime rule never decides there.
 * And the same file with its only countersignature broken by one bit. (Mutation survivors of
 * families/authenticode.ts:50-63 and cms-signer.ts:121-135, reports/mutation-log.md, ac1.)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toArrayBuffer } from '../../src/formats/der.js';
import { parsePeLayout, readCertificateTable } from '../../src/formats/pe/index.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { config, evaluateFile } from './helpers.js';

const FILE = join(CORPUS_DIR, 'authenticode/signify/kdbazis.dll');
const SIGNER_ROOT = join(CORPUS_DIR, 'authenticode/signify/kdbazis.dll.crt');
const WHO = 'Authenticode signature certificate-table[0] by CN=VirtualKD-Redux SPC';
const STAMP =
  'timestamped 2021-03-22T00:35:22.000Z by CN=DigiCert Timestamp 2021,O=DigiCert\\, Inc.,C=US, chains to trusted ' +
  'CN=DigiCert SHA2 Assured ID Timestamping CA,OU=www.digicert.com,O=DigiCert Inc,C=US';

let dir: string;
let tsaCa: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-lifetime-'));
  // The two tool runs, once a day: Stryker reruns this hook for every mutant the file covers.
  const cached = await cachedFixtureDir('authenticode-lifetime-tsa-ca-v1', async (d) => {
    const p7 = join(d, 'sig.p7');
    execFileSync('osslsigncode', ['extract-signature', '-in', FILE, '-out', p7], { stdio: 'pipe' });
    const pems = execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-in', p7, '-print_certs'], {
      encoding: 'utf8',
    });
    // Each certificate is printed as subject=, issuer=, then its PEM block.
    const blocks = pems.split(/\n(?=subject=)/);
    const ca = blocks.find((b) => /^subject=.*CN = DigiCert SHA2 Assured ID Timestamping CA$/m.test(b))!;
    writeFileSync(join(d, 'tsa-ca.pem'), ca.slice(ca.indexOf('-----BEGIN')));
  });
  tsaCa = join(cached, 'tsa-ca.pem');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function verdictAt(at: string, roots: string[]) {
  const [outcome, ...rest] = await evaluateFile(FILE, 'pe', await config({ roots, tsaRoots: [tsaCa], at }));
  expect(rest).toHaveLength(0);
  return outcome!.verdict;
}

describe('lifetime signing with a trusted timestamp', () => {
  it('inside the signer validity: verified, checked at the scan time, not at the stamp', async () => {
    expect(await verdictAt('2024-01-01T00:00:00Z', [SIGNER_ROOT])).toMatchObject({
      status: 'verified',
      code: 'CHAIN_VALID',
      message:
        `${WHO} is valid and chains to trusted CN=VirtualKD-Redux CA (checked at 2024-01-01T00:00:00.000Z); ` +
        `${STAMP}; the revocation status of CN=VirtualKD-Redux SPC is unknown (offline: only --crl files are read)`,
    });
  });

  it('after the signer expired: the trusted stamp (2021) is considered and does not save it', async () => {
    expect(await verdictAt('2060-01-01T00:00:00Z', [SIGNER_ROOT])).toEqual({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
      message:
        'signature valid but CN=VirtualKD-Redux SPC expired on 2039-12-31T23:59:59.000Z, checked at ' +
        '2060-01-01T00:00:00.000Z; the timestamp (2021-03-22T00:35:22.000Z) was considered but the signer ' +
        'certificate has the lifetime-signing EKU, so it does not extend validity',
    });
  });

  it('no trust root: unverified, the trusted stamp named', async () => {
    expect(await verdictAt('2060-01-01T00:00:00Z', [])).toEqual({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
      message: `the ${WHO} is cryptographically valid; ${STAMP}; no trust root was supplied to decide trust`,
    });
  });
});

describe('a broken countersignature, the only stamp', () => {
  it('is tampering: invalid TIMESTAMP_INVALID, named without a "timestamp i of n" count', async () => {
    // One bit of the PKCS #9 countersignature's RSA signature flipped, found by its bytes in the file.
    const bytes = new Uint8Array(readFileSync(FILE));
    const [record] = readCertificateTable(bytes, parsePeLayout(bytes)).records;
    const sd = new pkijs.SignedData({
      schema: pkijs.ContentInfo.fromBER(toArrayBuffer(record!.content)).content,
    });
    const attributes = sd.signerInfos[0]!.unsignedAttrs!.attributes;
    expect(attributes.map((a) => a.type)).toEqual(['1.2.840.113549.1.9.6']);
    const counter = new pkijs.SignerInfo({ schema: attributes[0]!.values[0] });
    const signature = Buffer.from(counter.signature.valueBlock.valueHexView);
    const at = Buffer.from(bytes).indexOf(signature);
    expect(signature.length).toBe(256);
    expect(Buffer.from(bytes).indexOf(signature, at + 1)).toBe(-1);
    const broken = bytes.slice();
    broken[at + 100]! ^= 1;
    const file = join(dir, 'broken.dll');
    writeFileSync(file, broken);
    const [outcome] = await evaluateFile(
      file,
      'pe',
      await config({ roots: [SIGNER_ROOT], tsaRoots: [tsaCa], at: '2024-01-01T00:00:00Z' }),
    );
    const tsa = 'CN=DigiCert Timestamp 2021,O=DigiCert\\, Inc.,C=US';
    expect(outcome!.verdict).toEqual({
      status: 'invalid',
      code: 'TIMESTAMP_INVALID',
      message:
        `the ${WHO} carries a broken timestamp: PKCS #9 countersignature by ${tsa}: ` +
        `the RSA signature does not verify with the key of ${tsa}`,
    });
  });
});
