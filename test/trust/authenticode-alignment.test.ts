/**
 * A certificate table whose size is not a multiple of 8 (PE/COFF: each attribute certificate is padded
 * to a quadword). osslsigncode 2.9 fails it ("Corrupted attribute certificate table"); we follow it:
 * `invalid` `CERTIFICATE_TABLE_MISALIGNED`. Inputs: osslsigncode-signed tiny PEs whose ContentInfo
 * length is not a multiple of 8 (program names of different lengths shift it), with the padding cut.
 */
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
import { unpadCertificateTable } from '../helpers/pe/surgery.js';
import { config, evaluateFile } from './helpers.js';

let dir: string;
let pki: TestPki;
const cases: Array<{ name: string; signed: string; cut: string; size: number }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sigscan-pealign-'));
  pki = await makeTestPki(dir);
  const exe = await compileTinyPe(dir);
  for (const name of ['A', 'AB', 'ABC', 'ABCD', 'ABCDE', 'ABCDEF', 'ABCDEFG', 'ABCDEFGH']) {
    const signed = await makeSignedPe(pki, exe, join(dir, `${name}.exe`), { programName: name });
    const cut = join(dir, `${name}-cut.exe`);
    const size = unpadCertificateTable(signed, cut);
    cases.push({ name, signed, cut, size });
  }
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function ours(file: string) {
  const outcomes = await evaluateFile(file, 'pe', await config({ roots: [pki.caPem] }));
  return outcomes.map((o) => ({ status: o.verdict.status, code: o.verdict.code }));
}

async function ossl(file: string) {
  return osslsigncodeVerifyWith(file, { caFile: pki.caPem });
}

describe('certificate table size must be a multiple of 8', () => {
  it('the program names give both aligned and misaligned ContentInfo lengths', () => {
    expect(cases.some((c) => c.size % 8 === 0)).toBe(true);
    expect(cases.filter((c) => c.size % 8 !== 0).length).toBeGreaterThanOrEqual(4);
  });

  it('each signed file verifies with both tools before the cut', async () => {
    for (const c of cases) {
      expect(await ours(c.signed), c.name).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
      expect((await ossl(c.signed)).passed, c.name).toBe(true);
    }
  });

  it('padding cut: misaligned tables fail osslsigncode and are invalid CERTIFICATE_TABLE_MISALIGNED; aligned ones still verify', async () => {
    for (const c of cases) {
      const tool = await ossl(c.cut);
      if (c.size % 8 === 0) {
        expect(tool.passed, c.name).toBe(true);
        expect(await ours(c.cut), c.name).toEqual([{ status: 'verified', code: 'CHAIN_VALID' }]);
      } else {
        expect(tool.passed, c.name).toBe(false);
        expect(tool.output, c.name).toContain('Corrupted attribute certificate table');
        expect(await ours(c.cut), c.name).toEqual([
          { status: 'invalid', code: 'CERTIFICATE_TABLE_MISALIGNED' },
        ]);
      }
    }
  });
});
