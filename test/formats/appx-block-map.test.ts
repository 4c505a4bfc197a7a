import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { readBlockMap } from '../../src/formats/appx-block-map.js';
import { blockMapXml, payloadBytes } from '../helpers/authenticode/appx.js';

/**
 * The block map reader. Inputs are the generator's output (the same one the osslsigncode-signed fixtures
 * use) and small edits of it; every refusal is MALFORMED_APPX, since a looser reader could see other
 * hashes in the same signed bytes than the Windows installer does.
 */
const text = (s: string) => new Uint8Array(Buffer.from(s));
const SHA = 'http://www.w3.org/2001/04/xmlenc#sha256';
const H = createHash('sha256').update('x').digest('base64');

describe('readBlockMap', () => {
  it('reads names, sizes and 64 KiB block hashes', () => {
    const payload = payloadBytes();
    const map = readBlockMap(text(blockMapXml({ 'Assets\\a b.bin': payload, 'empty.txt': '' })));
    expect(map.hashAlgorithm).toBe('SHA-256');
    expect([...map.files.keys()]).toEqual(['Assets\\a b.bin', 'empty.txt']);
    const file = map.files.get('Assets\\a b.bin')!;
    expect(file.size).toBe(70_000);
    expect(file.blocks).toHaveLength(2);
    expect(Buffer.from(file.blocks[1]!).toString('hex')).toBe(
      createHash('sha256').update(payload.subarray(65536)).digest('hex'),
    );
    expect(map.files.get('empty.txt')).toEqual({ size: 0, blocks: [] });
  });

  it('decodes entities in names, and SHA-384/512 hash methods', () => {
    const h384 = createHash('sha384').update('x').digest('base64');
    const xml = `<BlockMap HashMethod="http://www.w3.org/2001/04/xmldsig-more#sha384"><File Name="a&amp;b&#x41;.txt" Size="1"><Block Hash="${h384}"/></File></BlockMap>`;
    const map = readBlockMap(text(xml));
    expect(map.hashAlgorithm).toBe('SHA-384');
    expect([...map.files.keys()]).toEqual(['a&bA.txt']);
  });

  const refused: Array<[string, string]> = [
    [
      'a comment (a reader that skips it differently sees other files)',
      `<BlockMap HashMethod="${SHA}"><!-- <File Name="x" Size="1"><Block Hash="${H}"/></File> --></BlockMap>`,
    ],
    ['CDATA', `<BlockMap HashMethod="${SHA}"><![CDATA[x]]></BlockMap>`],
    ['a DOCTYPE', `<!DOCTYPE x [<!ENTITY e "f">]><BlockMap HashMethod="${SHA}"></BlockMap>`],
    ['an unknown hash method', `<BlockMap HashMethod="http://www.w3.org/2000/09/xmldsig#sha1"></BlockMap>`],
    [
      'a file listed twice',
      `<BlockMap HashMethod="${SHA}"><File Name="a" Size="0"/><File Name="a" Size="0"/></BlockMap>`,
    ],
    [
      'a hash of the wrong length',
      `<BlockMap HashMethod="${SHA}"><File Name="a" Size="1"><Block Hash="AAAA"/></File></BlockMap>`,
    ],
    [
      'a hash that is not canonical base64',
      `<BlockMap HashMethod="${SHA}"><File Name="a" Size="1"><Block Hash="${H.replace('=', '')}"/></File></BlockMap>`,
    ],
    [
      'an attribute given twice',
      `<BlockMap HashMethod="${SHA}"><File Name="a" Name="b" Size="0"/></BlockMap>`,
    ],
    ['a size that is not a number', `<BlockMap HashMethod="${SHA}"><File Name="a" Size="0x10"/></BlockMap>`],
    ['an unknown element', `<BlockMap HashMethod="${SHA}"><Extra/></BlockMap>`],
    ['text between elements', `<BlockMap HashMethod="${SHA}">text</BlockMap>`],
    ['content after the root', `<BlockMap HashMethod="${SHA}"></BlockMap><File Name="a" Size="0"/>`],
    ['an unclosed root', `<BlockMap HashMethod="${SHA}">`],
    ['an unknown entity', `<BlockMap HashMethod="${SHA}"><File Name="&ent;" Size="0"/></BlockMap>`],
  ];
  it.each(refused)('refuses %s', (_name, xml) => {
    expect(() => readBlockMap(text(xml))).toThrow(expect.objectContaining({ code: 'MALFORMED_APPX' }));
  });

  it('refuses bytes that are not UTF-8', () => {
    const bytes = new Uint8Array([
      ...Buffer.from(`<BlockMap HashMethod="${SHA}">`),
      0xff,
      ...Buffer.from('</BlockMap>'),
    ]);
    expect(() => readBlockMap(bytes)).toThrow(expect.objectContaining({ code: 'MALFORMED_APPX' }));
  });
});
