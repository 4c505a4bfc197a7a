import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadTrustConfig } from '../../src/trust/config.js';
import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { evaluateFile } from './helpers.js';

/**
 * Authenticode weak-algorithm policy (src/trust/families/authenticode.ts REFUSED_WEAK): MD5 refused as
 * Windows refuses it since KB2862973, unless --allow-weak-algorithms; SHA-1 accepted and reported.
 * osslsigncode 2.9 accepts both (asserted beside), so for MD5 we follow the stricter Windows rule.
 */

let dir: string;
let pki: TestPki;
let md5: string;
let sha1: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-weak-'));
  pki = await makeTestPki(dir);
  const exe = await compileTinyPe(dir);
  md5 = await makeSignedPe(pki, exe, join(dir, 'md5.exe'), { hash: 'md5' });
  sha1 = await makeSignedPe(pki, exe, join(dir, 'sha1.exe'), { hash: 'sha1' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function verdict(file: string, allowWeakAlgorithms: boolean) {
  const cfg = await loadTrustConfig({ trustRoot: [pki.caPem], allowWeakAlgorithms });
  const [o] = await evaluateFile(file, 'pe', cfg);
  return o!.verdict;
}

describe('Authenticode weak algorithms', () => {
  it('MD5 image hash and digest: untrusted WEAK_ALGORITHM (osslsigncode accepts; Windows does not)', async () => {
    expect((await osslsigncodeVerifyWith(md5, { caFile: pki.caPem })).passed).toBe(true);
    const v = await verdict(md5, false);
    expect(v).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
    expect(v.message).toContain('MD5');
  });

  it('MD5 with --allow-weak-algorithms: verified, and the message says the flag accepted it', async () => {
    const v = await verdict(md5, true);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('MD5 accepted only because of --allow-weak-algorithms');
  });

  it('SHA-1: verified without the flag, reported as weak (osslsigncode accepts)', async () => {
    expect((await osslsigncodeVerifyWith(sha1, { caFile: pki.caPem })).passed).toBe(true);
    const v = await verdict(sha1, false);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('weak algorithms: SHA-1');
  });
});
