import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { canonicalJsonString, computeKeyId, parseTufMetadata } from '../../../src/formats/tuf/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const TUF = join(CORPUS_DIR, 'notary-v1-tuf');

describe('docker/go canonical JSON', () => {
  it('sorts keys by UTF-8 bytes and drops whitespace', () => {
    expect(canonicalJsonString({ b: 1, a: [true, null, 'x'], A: {} })).toBe(
      '{"A":{},"a":[true,null,"x"],"b":1}',
    );
    // U+FFFD sorts before U+1F600 in UTF-8 byte order; JS's UTF-16 sort puts the emoji first.
    expect(canonicalJsonString({ '😀': 1, '\ufffd': 2 })).toBe('{"\ufffd":2,"😀":1}');
  });

  it('escapes only quote and backslash; control characters and non-ASCII stay raw', () => {
    expect(canonicalJsonString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(canonicalJsonString('tab\there\nnl<&>\u2028é漢')).toBe('"tab\there\nnl<&>\u2028é漢"');
    expect(Buffer.from(canonicalJsonString({ k: 'é' }), 'utf8')).toEqual(
      Buffer.from([0x7b, 0x22, 0x6b, 0x22, 0x3a, 0x22, 0xc3, 0xa9, 0x22, 0x7d]),
    );
  });

  it('accepts integers only', () => {
    expect(canonicalJsonString({ v: 2, n: -3, z: 0 })).toBe('{"n":-3,"v":2,"z":0}');
    expect(() => canonicalJsonString({ v: 1.5 })).toThrow(/integers only/);
    expect(() => canonicalJsonString({ v: 2 ** 60 })).toThrow(/out of range/);
  });

  it('re-encodes the on-the-wire notary signed object byte for byte', () => {
    const raw = readFileSync(join(TUF, 'notary/notary0.1/timestamp.json'));
    const md = parseTufMetadata(new Uint8Array(raw));
    const doc = JSON.parse(raw.toString('utf8')) as { signed: unknown };
    expect(Buffer.from(md.signedBytes).toString('utf8')).toBe(canonicalJsonString(doc.signed));
    expect(raw.toString('utf8')).toContain(Buffer.from(md.signedBytes).toString('utf8'));
  });
});

describe('TUF key ids', () => {
  const files = [
    'notary/notary0.1/root.json',
    'notary/notary0.3/root.json',
    'notary/notary0.3/targets.json',
    'python-tuf/metadata/root.json',
    'python-tuf/metadata/targets.json',
    'sigstore-tuf-root/production.root.json',
    'sigstore-tuf-root/staging.root.json',
  ];
  for (const f of files) {
    it(`every key id in ${f} is the hash of its key`, () => {
      const md = parseTufMetadata(new Uint8Array(readFileSync(join(TUF, f))));
      const keys = md.root?.keys ?? md.targets!.delegationKeys;
      expect(keys.size).toBeGreaterThan(0);
      for (const k of keys.values()) expect(k.computedId).toBe(k.declaredId);
    });
  }

  it('notary ids ignore everything but keytype and keyval.public', () => {
    const key = { keytype: 'ecdsa', keyval: { private: null, public: 'AAAA' } };
    expect(computeKeyId({ ...key, extra: 1 }, 'notary')).toBe(computeKeyId(key, 'notary'));
    expect(computeKeyId(key, 'notary')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the notary0.1 root key id is the one the pinned certificate file is named after', () => {
    const md = parseTufMetadata(new Uint8Array(readFileSync(join(TUF, 'notary/notary0.1/root.json'))));
    expect(md.root!.roles['root']!.keyids).toEqual([
      '4ff57dc987163053a12c066f2dd36b1ae6037a92f5416d381fe311a3db1868d8',
    ]);
    expect(md.flavour).toBe('notary');
    expect(md.expires.toISOString()).toBe('2116-01-12T00:58:57.119Z');
  });
});

describe('canonical JSON limits', () => {
  const nestArrays = (n: number): unknown => (n === 0 ? 0 : [nestArrays(n - 1)]);
  const nestObjects = (n: number): unknown => (n === 0 ? 0 : { k: nestObjects(n - 1) });

  it('nesting: a value 128 levels down is written, 129 is refused (arrays and objects)', () => {
    expect(canonicalJsonString(nestArrays(128))).toBe(`${'['.repeat(128)}0${']'.repeat(128)}`);
    expect(() => canonicalJsonString(nestArrays(129))).toThrow('canonical JSON: nesting too deep');
    expect(canonicalJsonString(nestObjects(128))).toBe(`${'{"k":'.repeat(128)}0${'}'.repeat(128)}`);
    expect(() => canonicalJsonString(nestObjects(129))).toThrow('canonical JSON: nesting too deep');
  });

  it('-0 is written as 0', () => {
    expect(canonicalJsonString([-0])).toBe('[0]');
  });

  it('values JSON cannot hold are refused by type', () => {
    expect(() => canonicalJsonString({ v: undefined })).toThrow('canonical JSON cannot encode a undefined');
    expect(() => canonicalJsonString(1n)).toThrow('canonical JSON cannot encode a bigint');
  });
});
