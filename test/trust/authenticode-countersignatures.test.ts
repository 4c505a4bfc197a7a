import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  addPkcs9Countersignature,
  combineTimestamps,
  issueTsaCertificate,
  restamp,
} from '../helpers/pe/countersign.js';
import {
  compileTinyPe,
  fixtureNow,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { MAX_TIMESTAMPS } from '../../src/trust/cms-signer.js';
import { config, evaluateFile } from './helpers.js';

/**
 * Several timestamps on one Authenticode signer (src/trust/cms-signer.ts). Every stamp is made by
 * osslsigncode 2.9's built-in TSA (`sign`/`add -TSA-certs -TSA-key -TSA-time`) on one signed file, so all
 * copies share one signature value; combineTimestamps joins their stamp attributes onto one SignerInfo
 * (the join is hand-made: no tool writes two stamps, `osslsigncode add` replaces the existing one).
 *
 * osslsigncode 2.9 (osslsigncode.c time_t_timestamp_get_attributes / verify_timestamp) reads the first
 * value of each stamp attribute and keeps the LAST readable one; when that stamp fails (e.g. a TSA not in
 * -TSA-CAfile) its time is dropped and the signature is judged at -time. Our rule: every stamp checked;
 * a broken one is `invalid TIMESTAMP_INVALID`; the time comes only from a trusted stamp, the earliest.
 *
 * The signer certificate is valid for 365 days from today, so `--at` = now + 400 days (osslsigncode
 * `-time`) makes the stamp the only way to verify.
 */

const DAY = 86_400;
let dir: string;
let pki: TestPki;
let foreign: TestPki;
let signed: string;
let now: number;
let longTsa: { chain: string; key: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-countersigs-'));
  pki = await makeTestPki(join(dir, 'pki'));
  foreign = await makeTestPki(join(dir, 'foreign'));
  // A TSA of the trusted CA that outlives the signer certificate: its stamp can date a time the signer
  // certificate no longer covers.
  longTsa = await issueTsaCertificate(pki.dir, 'long-tsa', 3650);
  // The day's fixture clock, not Date.now(): the stamped files and osslsigncode's answers are cached by content.
  now = await fixtureNow();
  const exe = await compileTinyPe(dir);
  signed = await makeSignedPe(pki, exe, join(dir, 'signed.exe'), { timestampUnixTime: now + 3600 });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The signed file re-stamped by a TSA: trusted (test TSA), late (long TSA) or forged (another CA's TSA). */
function stamp(name: string, by: 'trusted' | 'late' | 'forged', unixTime: number): Promise<string> {
  const tsa =
    by === 'trusted'
      ? { chain: pki.tsaChainPem, key: pki.tsaKey }
      : by === 'late'
        ? longTsa
        : { chain: foreign.tsaChainPem, key: foreign.tsaKey };
  return restamp({
    input: signed,
    output: join(dir, `${name}.exe`),
    tsaChainPem: tsa.chain,
    tsaKey: tsa.key,
    unixTime,
  });
}

async function ours(file: string, atUnix = now + 400 * DAY) {
  const cfg = await config({
    roots: [pki.caPem],
    tsaRoots: [pki.caPem],
    at: new Date(atUnix * 1000).toISOString(),
  });
  const [outcome, ...rest] = await evaluateFile(file, 'pe', cfg);
  expect(rest).toHaveLength(0);
  return { status: outcome!.verdict.status, code: outcome!.verdict.code, message: outcome!.verdict.message };
}

async function oracle(file: string, atUnix = now + 400 * DAY): Promise<boolean> {
  return (await osslsigncodeVerifyWith(file, { caFile: pki.caPem, tsaCaFile: pki.caPem, time: atUnix }))
    .passed;
}

describe('several timestamps on one Authenticode signer', () => {
  it('baseline: one trusted stamp inside the signer validity verifies after expiry (both tools)', async () => {
    expect(await ours(signed)).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(await oracle(signed)).toBe(true);
  });

  it('two trusted stamps inside the validity: verified, the other stamp named (osslsigncode: passes)', async () => {
    const second = await stamp('trusted-2h', 'trusted', now + 7200);
    const file = combineTimestamps([signed, second], join(dir, 'two-trusted.exe'));
    const v = await ours(file);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain(`at the timestamp ${new Date((now + 3600) * 1000).toISOString()}`);
    expect(v.message).toContain('1 other timestamp(s) not used');
    expect(await oracle(file)).toBe(true);
  });

  it('two trusted stamps, one after the signer expired: the earliest trusted one counts in either order (osslsigncode reads the last)', async () => {
    const late = await stamp('late', 'late', now + 370 * DAY);
    const early = new Date((now + 3600) * 1000).toISOString();
    for (const [name, order, osslPasses] of [
      ['early-late', [signed, late], false],
      ['late-early', [late, signed], true],
    ] as const) {
      const file = combineTimestamps([...order], join(dir, `${name}.exe`));
      const v = await ours(file);
      expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
      expect(v.message).toContain(`at the timestamp ${early}`);
      // osslsigncode keeps the last stamp: after the late one the signer certificate had expired.
      expect(await oracle(file)).toBe(osslPasses);
    }
  });

  it('a trusted late stamp plus a forged earlier one (another CA): the forged time is never used → untrusted CERT_EXPIRED (osslsigncode fails too)', async () => {
    const late = await stamp('late-only', 'late', now + 370 * DAY);
    const forged = await stamp('forged-early', 'forged', now + 3600);
    for (const order of [
      [late, forged],
      [forged, late],
    ]) {
      const file = combineTimestamps(order, join(dir, `late-forged-${order[0] === late ? 1 : 2}.exe`));
      const v = await ours(file);
      expect(v).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
      // The other CA copies the trusted CA's name: its TSA path fails on the real key.
      expect(v.message).toContain('TSA_CERT_BAD_SIGNATURE');
      expect(await oracle(file)).toBe(false);
    }
  });

  it('the forged stamp as a second value of the same attribute (osslsigncode reads only the first value)', async () => {
    const late = await stamp('late-1attr', 'late', now + 370 * DAY);
    const forged = await stamp('forged-1attr', 'forged', now + 3600);
    const file = combineTimestamps([late, forged], join(dir, 'one-attribute.exe'), { oneAttribute: true });
    expect(await ours(file)).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
    expect(await oracle(file)).toBe(false);
  });

  it('a forged stamp only: untrusted CERT_EXPIRED after expiry (osslsigncode fails), verified today without using it', async () => {
    const forged = await stamp('forged-only', 'forged', now + 3600);
    expect(await ours(forged)).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
    expect(await oracle(forged)).toBe(false);
    const today = await ours(forged, now + 7200);
    expect(today).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(today.message).toContain('timestamp not used (TSA_CERT_BAD_SIGNATURE');
    expect(await oracle(forged, now + 7200)).toBe(true);
  });

  it('a stamp over another signature beside a trusted one: invalid TIMESTAMP_INVALID in either order (osslsigncode passes when the good one is last)', async () => {
    const exe = await compileTinyPe(dir, 'other.exe');
    const other = await makeSignedPe(pki, exe, join(dir, 'other-signed.exe'), {
      programName: 'another program',
      timestampUnixTime: now + 1800,
    });
    // The other file's stamp covers another signature value; combineTimestamps joins it on request.
    for (const [name, order, base, position, osslPasses] of [
      ['broken-good', [other, signed], 1, 1, true],
      ['good-broken', [signed, other], 0, 2, false],
    ] as const) {
      const file = combineTimestamps([...order], join(dir, `${name}.exe`), { base, allowForeign: true });
      const v = await ours(file);
      expect(v).toMatchObject({ status: 'invalid', code: 'TIMESTAMP_INVALID' });
      expect(v.message).toContain(`timestamp ${position} of 2`);
      expect(await oracle(file)).toBe(osslPasses);
    }
  });

  it('a PKCS #9 countersignature beside an RFC 3161 stamp: trusted (our TSA) it dates the signature; forged (another CA) it is never used', async () => {
    const unstamped = await makeSignedPe(pki, await compileTinyPe(dir, 'p9.exe'), join(dir, 'p9-signed.exe'));
    const late = await restamp({
      input: unstamped,
      output: join(dir, 'p9-late.exe'),
      tsaChainPem: longTsa.chain,
      tsaKey: longTsa.key,
      unixTime: now + 370 * DAY,
    });
    const pkcs9 = async (name: string, tsa: TestPki) =>
      addPkcs9Countersignature({
        input: unstamped,
        output: join(dir, `${name}.exe`),
        certPem: join(tsa.dir, 'tsa.pem'),
        keyPem: tsa.tsaKey,
        dir: tsa.dir,
      });
    // openssl cms -sign writes signingTime = now: inside the signer's validity.
    const trusted = combineTimestamps(
      [late, await pkcs9('p9-trusted', pki)],
      join(dir, 'p9-trusted-late.exe'),
    );
    const v = await ours(trusted);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('1 other timestamp(s) not used');
    // osslsigncode keeps the last attribute, here the trusted countersignature.
    expect(await oracle(trusted)).toBe(true);
    const forged = combineTimestamps(
      [late, await pkcs9('p9-forged', foreign)],
      join(dir, 'p9-forged-late.exe'),
    );
    expect(await ours(forged)).toMatchObject({ status: 'untrusted', code: 'CERT_EXPIRED' });
    expect(await oracle(forged)).toBe(false);
  });

  it(`more than MAX_TIMESTAMPS stamps on one signer: invalid TIMESTAMP_AMBIGUOUS, none checked one by one`, async () => {
    const copies = Array.from({ length: MAX_TIMESTAMPS + 1 }, () => signed);
    const file = combineTimestamps(copies, join(dir, 'many-stamps.exe'));
    const v = await ours(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'TIMESTAMP_AMBIGUOUS' });
    expect(v.message).toContain(`carries ${MAX_TIMESTAMPS + 1} timestamps`);
    // At the limit every stamp is read and the file verifies.
    const atLimit = combineTimestamps(copies.slice(1), join(dir, 'eight-stamps.exe'));
    expect(await ours(atLimit)).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });
});
