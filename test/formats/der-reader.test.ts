import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';

import {
  checkTree,
  childrenOf,
  contentBytes,
  elementBytes,
  joinedContents,
  octetStringValue,
  readElement,
  readOid,
  readTime,
  type DerReadOptions,
} from '../../src/formats/der-reader.js';
import { SigscanError } from '../../src/errors.js';

const DER: DerReadOptions = { code: 'MALFORMED_CERTIFICATE' };
const BER: DerReadOptions = { code: 'MALFORMED_CMS', ber: true };
const h = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));

function malformed(fn: () => unknown, code = 'MALFORMED_CERTIFICATE'): void {
  expect(fn).toThrow(expect.objectContaining({ name: 'SigscanError', code }) as SigscanError);
}

describe('der-reader', () => {
  it('reads short and long lengths, high tag numbers, and ignores bytes after the element', () => {
    const el = readElement(h('30 03 02 01 05 00 00'), DER);
    expect(el).toMatchObject({
      tagClass: 0,
      constructed: true,
      tagNumber: 16,
      start: 0,
      contentStart: 2,
      end: 5,
    });
    expect(childrenOf(el, DER).map((c) => Buffer.from(contentBytes(c)).toString('hex'))).toEqual(['05']);

    const long = new Uint8Array([0x04, 0x82, 0x01, 0x00, ...new Uint8Array(256).fill(7)]);
    expect(contentBytes(readElement(long, DER))).toHaveLength(256);

    const highTag = readElement(h('9f 81 01 01 ff'), DER);
    expect(highTag).toMatchObject({ tagClass: 2, constructed: false, tagNumber: 129, end: 5 });
  });

  it('refuses truncation, overlong lengths and missing data with the caller’s code', () => {
    malformed(() => readElement(h(''), DER));
    malformed(() => readElement(h('30'), DER));
    malformed(() => readElement(h('30 05 02 01'), DER));
    malformed(() => readElement(h('04 85 01 00 00 00 00'), DER));
    malformed(() => readElement(h('04 ff'), DER));
    malformed(() => readElement(h('1f 81'), DER));
    malformed(() => childrenOf(readElement(h('30 03 02 05 00'), DER), DER));
  });

  it('accepts indefinite lengths only on constructed elements and only when BER is allowed', () => {
    const bytes = h('30 80 04 01 aa 24 80 04 01 bb 00 00 00 00');
    malformed(() => readElement(bytes, DER));
    const el = readElement(bytes, BER);
    expect(el).toMatchObject({ indefinite: true, contentEnd: 12, end: 14 });
    const [first, second] = childrenOf(el, BER);
    expect(octetStringValue(first, BER, 'x')).toEqual(h('aa'));
    // A constructed OCTET STRING has no value of its own (asn1js' valueHexView); content joins the pieces.
    expect(octetStringValue(second, BER, 'x')).toHaveLength(0);
    expect(joinedContents(second!, BER, 'x')).toEqual(h('bb'));
    malformed(() => readElement(h('04 80 00 00'), BER), 'MALFORMED_CMS');
    malformed(() => readElement(h('30 80 04 01 aa'), BER), 'MALFORMED_CMS');
  });

  it('refuses constructed OCTET STRINGs whose pieces are not OCTET STRINGs', () => {
    const el = readElement(h('24 03 02 01 01'), BER);
    malformed(() => joinedContents(el, BER, 'x'), 'MALFORMED_CMS');
    malformed(() => checkTree(el, BER), 'MALFORMED_CMS');
  });

  it('bounds nesting depth instead of overflowing the stack', () => {
    const deep = new Uint8Array(200_000);
    for (let i = 0; i < deep.length; i += 2) deep.set([0x30, 0x80], i);
    malformed(() => readElement(deep, BER), 'MALFORMED_CMS');
    const definite = h('30 0a 30 08 30 06 30 04 30 02 30 00');
    malformed(() => checkTree(readElement(definite, { ...DER, maxDepth: 3 }), { ...DER, maxDepth: 3 }));
    expect(() => checkTree(readElement(definite, DER), DER)).not.toThrow();
  });

  it('decodes OBJECT IDENTIFIERs as asn1js does, big arcs included', () => {
    for (const oid of [
      '1.2.840.113549.1.7.2',
      '2.5.29.14',
      '0.9.2342.19200300.100.1.25',
      '2.999.3',
      '1.3.6.1.4.1.311.2.1.4',
      '1.2.18446744073709551617',
    ]) {
      const bytes = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER());
      expect(readOid(readElement(bytes, DER), DER, 'oid')).toBe(oid);
    }
    malformed(() => readOid(readElement(h('06 00'), DER), DER, 'oid'));
    malformed(() => readOid(readElement(h('06 02 2a 86'), DER), DER, 'oid'));
    malformed(() => readOid(readElement(h('02 01 00'), DER), DER, 'oid'));
  });

  it('reads UTCTime and GeneralizedTime exactly as asn1js does, odd forms included', () => {
    const cases: Array<[number, string]> = [
      [23, '190601120000Z'],
      [23, '500101000000Z'],
      [23, '491231235959Z'],
      [23, '1906011200Z'],
      [23, '190601120000+0100'],
      [24, '20190601120000Z'],
      [24, '20191211084017.75Z'],
      [24, '20191211084017.579Z'],
      [24, '20191211084017.1234567Z'],
      [24, '20190601120000'],
      [24, '20190601120000+0130'],
      [24, '201906011200Z'],
      [24, '2019060112.5Z'],
    ];
    for (const [tag, text] of cases) {
      const encoded = new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')]);
      const reference = asn1js.fromBER(encoded.slice().buffer);
      expect(reference.offset, text).not.toBe(-1);
      const expected = (reference.result as asn1js.UTCTime).toDate().getTime();
      const actual = readTime(readElement(encoded, DER), DER, 'time').getTime();
      expect(Number.isNaN(actual) ? 'NaN' : actual, text).toBe(Number.isNaN(expected) ? 'NaN' : expected);
    }
    malformed(() => readTime(readElement(h('02 01 00'), DER), DER, 'time'));
  });

  it('slices without copying', () => {
    const bytes = h('30 03 04 01 aa');
    const el = childrenOf(readElement(bytes, DER), DER)[0]!;
    expect(elementBytes(el).buffer).toBe(bytes.buffer);
    expect(elementBytes(el)).toEqual(h('04 01 aa'));
  });
});
