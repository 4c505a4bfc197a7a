import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  canonicalJson,
  inTotoKeyId,
  looksLikeInToto,
  parseInTotoMetadata,
} from '../../../src/formats/in-toto/index.js';
import { trustedKeyVerifiers } from '../../../src/trust/in-toto/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const GO = join(CORPUS_DIR, 'dsse', 'in-toto-golang');
const PY = join(CORPUS_DIR, 'dsse', 'in-toto-python');
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('securesystemslib canonical JSON', () => {
  it('sorts keys, drops whitespace, escapes only " and \\', () => {
    expect(text(canonicalJson({ b: 1, a: [true, null, 'x"y\\z\n\u00e9'], c: { z: -3, y: 0 } }))).toBe(
      '{"a":[true,null,"x\\"y\\\\z\n\u00e9"],"b":1,"c":{"y":0,"z":-3}}',
    );
  });
  it('orders keys by code point, as Python sorts str', () => {
    expect(text(canonicalJson({ '\u{1F600}': 1, '\uFF21': 2 }))).toBe('{"\uFF21":2,"\u{1F600}":1}');
  });
  it('refuses non-integers', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/integers only/);
  });
});

describe('in-toto key ids', () => {
  it('layout keys hash to their ids', () => {
    const m = parseInTotoMetadata(read(join(GO, 'demo.layout')));
    if (m.body.type !== 'layout') throw new Error('not a layout');
    for (const k of Object.values(m.body.keys)) expect(inTotoKeyId(k.raw)).toBe(k.keyid);
  });
  it.each([
    [join(GO, 'alice.pub'), '70ca5750c2eda80b18f41f4ec5f92146789b5d68dd09577be422a0159bd13680'],
    [join(GO, 'dan.pub'), 'b7d643dec0a051096ee5d87221b5d91a33daa658699d30903e1cefb90c418401'],
    [join(PY, 'bob.pub'), '776a00e29f3559e0141b3b096f696abc6cfb0c657ab40f441132b345b08453f5'],
    [join(PY, 'carl.pub'), '2f89b9272acfc8f4a0a0f094d789fdb0ba798b0fe41f2f5f417c12f0085ff498'],
  ])('%s has key id %s for rsassa-pss-sha256', (path, id) => {
    const [pss] = trustedKeyVerifiers(createPublicKey(readFileSync(path)), path);
    expect(pss!.scheme).toBe('rsassa-pss-sha256');
    expect(pss!.keyids[0]).toBe(id);
  });
});

describe('parseInTotoMetadata', () => {
  it('reads a classic layout', () => {
    const m = parseInTotoMetadata(read(join(GO, 'demo.layout')));
    expect(m.wrapper).toBe('metablock');
    if (m.body.type !== 'layout') throw new Error('not a layout');
    expect(m.body.expires).toBe('2030-11-18T16:06:36Z');
    expect(m.body.steps.map((s) => [s.name, s.threshold, s.pubkeys.map((k) => k.slice(0, 8))])).toEqual([
      ['write-code', 1, ['b7d643de']],
      ['package', 1, ['d3ffd108']],
    ]);
    expect(m.body.steps[1]!.expectedMaterials).toEqual([
      ['MATCH', 'foo.py', 'WITH', 'PRODUCTS', 'FROM', 'write-code'],
      ['DISALLOW', '*'],
    ]);
    expect(m.body.steps[1]!.expectedCommand).toEqual(['tar', 'zcvf', 'foo.tar.gz', 'foo.py']);
    expect(m.body.inspections.map((i) => i.name)).toEqual(['untar']);
    expect(m.signatures[0]!.keyid).toBe('70ca5750c2eda80b18f41f4ec5f92146789b5d68dd09577be422a0159bd13680');
    expect(m.signatures[0]!.sig.length).toBe(256);
    // The signed bytes are the canonical form, not the pretty-printed file.
    expect(text(m.signedBytes).startsWith('{"_type":"layout","expires":"2030-11-18T16:06:36Z"')).toBe(true);
  });

  it('reads a DSSE-wrapped layout: same content, PAE as signed bytes', () => {
    const classic = parseInTotoMetadata(read(join(GO, 'demo.layout')));
    const dsse = parseInTotoMetadata(read(join(GO, 'demo.dsse.layout')));
    expect(dsse.wrapper).toBe('dsse');
    expect(text(dsse.signedBytes).startsWith('DSSEv1 28 application/vnd.in-toto+json ')).toBe(true);
    expect(dsse.body).toEqual(classic.body);
  });

  it('reads links, classic and DSSE', () => {
    const link = parseInTotoMetadata(read(join(GO, 'package.d3ffd108.link')));
    expect(link.body).toMatchObject({
      type: 'link',
      name: 'package',
      command: ['tar', 'zcvf', 'foo.tar.gz', 'foo.py'],
      products: {
        'foo.tar.gz': { sha256: '52947cb78b91ad01fe81cd6aef42d1f6817e92b9e6936c1e5aabb7c98514f355' },
      },
      byproducts: { 'return-value': 0 },
    });
    const dsse = parseInTotoMetadata(read(join(PY, 'dsse_package.2f89b927.link')));
    expect(dsse.wrapper).toBe('dsse');
    expect(dsse.body.type).toBe('link');
  });

  it('a layout stored under a .link name is a layout', () => {
    expect(parseInTotoMetadata(read(join(GO, 'sub_layout.70ca5750.link'))).body.type).toBe('layout');
  });

  it('rejects other JSON', () => {
    expect(() =>
      parseInTotoMetadata(new TextEncoder().encode('{"signed":{"_type":"root"},"signatures":[]}')),
    ).toThrow(/neither "layout" nor "link"/);
    const env = { payloadType: 'text/plain', payload: Buffer.from('{}').toString('base64'), signatures: [] };
    expect(() => parseInTotoMetadata(new TextEncoder().encode(JSON.stringify(env)))).toThrow(/payloadType/);
  });
});

describe('looksLikeInToto', () => {
  it('accepts layouts and links by name and content', () => {
    expect(looksLikeInToto(read(join(GO, 'demo.layout')), 'demo.layout')).toBe(true);
    expect(looksLikeInToto(read(join(GO, 'clone-dsse.776a00e2.link')), 'clone-dsse.776a00e2.link')).toBe(
      true,
    );
  });
  it('refuses other names and other content', () => {
    expect(looksLikeInToto(read(join(GO, 'demo.layout')), 'demo.json')).toBe(false);
    expect(looksLikeInToto(read(join(GO, 'foo.tar.gz')), 'foo.link')).toBe(false);
    expect(looksLikeInToto(new TextEncoder().encode('{"a":1}'), 'x.layout')).toBe(false);
  });
});
