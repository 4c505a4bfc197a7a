import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import {
  analyzeRpm,
  looksLikeRpm,
  openPgpAlgorithmName,
  readHeader,
  signedBytes,
} from '../../../src/formats/rpm/index.js';
import { readBytes } from '../../helpers/jar/index.js';
import { rpmFixtures, type RpmFixtures } from '../../helpers/rpm/index.js';

const codes = (b: Uint8Array): string[] => analyzeRpm(b).findings.map((f) => f.code);

/** Byte offset in the file of the data of `tag` in the header starting at `start`. */
function tagData(bytes: Uint8Array, start: number, tag: number): number {
  const h = readHeader(bytes, start, 'test');
  const e = h.entries.find((x) => x.tag === tag)!;
  return h.data.byteOffset - bytes.byteOffset + e.offset;
}

function entryAt(bytes: Uint8Array, start: number, tag: number): number {
  const h = readHeader(bytes, start, 'test');
  return start + 16 + 16 * h.entries.findIndex((x) => x.tag === tag);
}

describe('RPM package reading, on packages made by rpmbuild and signed by rpmsign', () => {
  let fx: RpmFixtures;

  beforeAll(() => {
    fx = rpmFixtures();
  }, 180_000);

  it('reads the header-only RSA signature and checks every digest', () => {
    const bytes = readBytes(fx.rpm['rsa']!);
    expect(looksLikeRpm(bytes)).toBe(true);
    const a = analyzeRpm(bytes);
    expect(a.package).toEqual({ name: 'sigscan-test', version: '1.0', release: '1', arch: 'noarch' });
    expect(a.signatures.map((s) => [s.tagName, s.range])).toEqual([['RSAHEADER', 'header']]);
    expect(a.digestsChecked).toEqual([
      'header SHA256',
      'header SHA1',
      'payload SHA256',
      'header+payload MD5',
    ]);
    expect(a.payloadDigestChecked).toBe(true);
    expect(a.findings).toEqual([]);
    // The header signature covers the main header from its magic to the end of its data store.
    const header = signedBytes(bytes, a, 'header');
    expect([...header.subarray(0, 4)]).toEqual([0x8e, 0xad, 0xe8, 0x01]);
    expect(a.header.start % 8).toBe(0);
    expect(signedBytes(bytes, a, 'header+payload').byteLength).toBe(bytes.byteLength - a.header.start);
    expect(a.payloadOffset).toBe(a.header.end);
  });

  it('rpmsign --rpmv3 adds a header+payload signature beside the header one', () => {
    const a = analyzeRpm(readBytes(fx.rpm['rsav3']!));
    expect(a.signatures.map((s) => [s.tagName, s.range])).toEqual([
      ['RSAHEADER', 'header'],
      ['SIGPGP', 'header+payload'],
    ]);
    expect(a.findings).toEqual([]);
  });

  it('an unsigned package has digests but no signatures', () => {
    const a = analyzeRpm(readBytes(fx.rpm['unsigned']!));
    expect(a.signatures).toEqual([]);
    expect(a.digestsChecked).toHaveLength(4);
  });

  it('a changed payload byte breaks the payload digest and the MD5', () => {
    const bytes = readBytes(fx.rpm['rsa']!).slice();
    bytes[bytes.length - 20]! ^= 1;
    expect(codes(bytes)).toEqual(['RPM_PAYLOAD_DIGEST_MISMATCH', 'RPM_PAYLOAD_DIGEST_MISMATCH']);
    expect(analyzeRpm(bytes).payloadDigestChecked).toBe(false);
  });

  it('a changed header byte breaks the header digests (and the MD5 over header+payload)', () => {
    const bytes = readBytes(fx.rpm['rsa']!).slice();
    const at = Buffer.from(bytes).indexOf('sigscan test package');
    bytes[at]! ^= 0x20;
    expect(codes(bytes)).toEqual([
      'RPM_HEADER_DIGEST_MISMATCH',
      'RPM_HEADER_DIGEST_MISMATCH',
      'RPM_PAYLOAD_DIGEST_MISMATCH',
    ]);
    // The payload digest itself still matched: a header signature still binds the (unchanged) payload.
    expect(analyzeRpm(bytes).payloadDigestChecked).toBe(true);
  });

  // Hand-made (rpmbuild 4.18 always writes a payload digest): the tag renamed, or its algorithm unknown.
  it('without a payload digest, or with one in an unknown algorithm, the payload is not bound', () => {
    const bytes = readBytes(fx.rpm['rsa']!);
    const start = analyzeRpm(bytes).header.start;
    const renamed = bytes.slice();
    new DataView(renamed.buffer).setInt32(entryAt(renamed, start, 5092), 5999);
    const a = analyzeRpm(renamed);
    expect(a.payloadDigestChecked).toBe(false);
    expect(a.digestsChecked).not.toContain('payload SHA256');
    const unknown = bytes.slice();
    new DataView(unknown.buffer).setUint32(tagData(unknown, start, 5093), 99);
    const b = analyzeRpm(unknown);
    expect(b.payloadDigestChecked).toBe(false);
    expect(b.digestsChecked).toEqual(['header SHA256', 'header SHA1', 'header+payload MD5']);
  });

  it('a size that disagrees with the file is RPM_SIZE_MISMATCH', () => {
    const bytes = readBytes(fx.rpm['rsa']!).slice();
    const view = new DataView(bytes.buffer);
    const at = tagData(bytes, 96, 1000);
    view.setUint32(at, view.getUint32(at) + 1);
    expect(codes(bytes)).toEqual(['RPM_SIZE_MISMATCH']);
  });

  it('a tag twice in the signature header is RPM_AMBIGUOUS', () => {
    const bytes = readBytes(fx.rpm['rsa']!).slice();
    const view = new DataView(bytes.buffer);
    // The SHA-1 entry (listed first) now also claims to be the SHA-256 one: which is read decides the check.
    view.setInt32(entryAt(bytes, 96, 269), 273);
    expect(codes(bytes)).toEqual(['RPM_AMBIGUOUS', 'RPM_HEADER_DIGEST_MISMATCH']);
  });

  it('refuses what is not an RPM, and headers that run past the file', () => {
    expect(() => analyzeRpm(new Uint8Array(200))).toThrow(/no RPM lead/);
    const bytes = readBytes(fx.rpm['rsa']!);
    expect(() => analyzeRpm(bytes.subarray(0, 400))).toThrow(SigscanError);
    const broken = bytes.slice();
    broken[96] = 0;
    expect(() => analyzeRpm(broken)).toThrow(/no header magic/);
    const huge = bytes.slice();
    new DataView(huge.buffer).setUint32(96 + 8, 0x10000);
    expect(() => analyzeRpm(huge)).toThrow(/declares 65536 entries/);
  });

  it('names OpenPGP algorithms the way rpmkeys prints them', () => {
    expect(openPgpAlgorithmName(1, 10)).toBe('RSA/SHA512');
    expect(openPgpAlgorithmName(22, 8)).toBe('EdDSA/SHA256');
    expect(openPgpAlgorithmName(99, null)).toBe('pk99/hashnull');
  });
});
