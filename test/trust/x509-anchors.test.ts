import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { sbsign, sbverify } from '../helpers/pe/surgery.js';
import { config, evaluateFile } from './helpers.js';

/**
 * The trust-anchor model (README "Verdicts"): every certificate given with --trust-root is an anchor,
 * whether a self-signed root, an intermediate or the signer itself (a partial chain, as notation's trust
 * store and sbverify --cert). The path must still be proven with the anchor's key: same name with
 * another key anchors nothing. osslsigncode 2.9 (OpenSSL without X509_V_FLAG_PARTIAL_CHAIN) requires the
 * chain to end at a self-signed root: asserted beside each case.
 */

let dir: string;
let pki: TestPki;
let other: TestPki;
let signed: string;
let sbsigned: string;
const leafPem = () => join(pki.dir, 'rsa.pem');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-anchors-'));
  pki = await makeTestPki(dir);
  other = await makeTestPki(mkdtempSync(join(dir, 'other-')));
  const exe = await compileTinyPe(dir);
  signed = await makeSignedPe(pki, exe, join(dir, 'signed.exe'));
  sbsigned = await sbsign(pki.rsaKey, leafPem(), exe, join(dir, 'sbsigned.exe'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ours(file: string, roots: string[]) {
  const [o] = await evaluateFile(file, 'pe', await config({ roots }));
  return { status: o!.verdict.status, code: o!.verdict.code };
}

describe('trust anchors', () => {
  it('the self-signed root as anchor: verified (osslsigncode agrees)', async () => {
    expect(await ours(signed, [pki.caPem])).toEqual({ status: 'verified', code: 'CHAIN_VALID' });
    expect((await osslsigncodeVerifyWith(signed, { caFile: pki.caPem })).passed).toBe(true);
  });

  it('the signer certificate itself as anchor (pinned leaf): verified; osslsigncode requires a root and fails; sbverify accepts', async () => {
    expect(await ours(signed, [leafPem()])).toEqual({ status: 'verified', code: 'CHAIN_VALID' });
    expect((await osslsigncodeVerifyWith(signed, { caFile: leafPem() })).passed).toBe(false);
    expect((await sbverify(leafPem(), sbsigned)).passed).toBe(true);
    expect(await ours(sbsigned, [leafPem()])).toEqual({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('a root with the same name but another key anchors nothing: untrusted CERT_BAD_SIGNATURE (both tools fail)', async () => {
    expect(await ours(signed, [other.caPem])).toEqual({ status: 'untrusted', code: 'CERT_BAD_SIGNATURE' });
    expect((await osslsigncodeVerifyWith(signed, { caFile: other.caPem })).passed).toBe(false);
    expect((await sbverify(other.caPem, sbsigned)).passed).toBe(false);
  });

  it('another PKI signer pinned: untrusted CHAIN_UNTRUSTED', async () => {
    expect(await ours(signed, [join(other.dir, 'rsa.pem')])).toEqual({
      status: 'untrusted',
      code: 'CHAIN_UNTRUSTED',
    });
  });
});
