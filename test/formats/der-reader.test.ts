import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';

import {
  checkTree,
  childrenOf,
  contentBytes,
  elementBytes,
  equalBytes,
  integerBytes,
  isContext,
  isUniversal,
  joinedContents,
  octetStringValue,
  readElement,
  readOid,
  readTime,
  sequenceOf,
  smallInteger,
  TAG,
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

  it('reads the two DER time forms exactly as asn1js does', () => {
    const cases: Array<[number, string, string]> = [
      [23, '190601120000Z', '2019-06-01T12:00:00.000Z'],
      [23, '500101000000Z', '1950-01-01T00:00:00.000Z'],
      [23, '491231235959Z', '2049-12-31T23:59:59.000Z'],
      [24, '20190601120000Z', '2019-06-01T12:00:00.000Z'],
      [24, '19500101000000Z', '1950-01-01T00:00:00.000Z'],
      [24, '20491231235959Z', '2049-12-31T23:59:59.000Z'],
      [24, '20191211084017.75Z', '2019-12-11T08:40:17.750Z'],
      [24, '20191211084017.5Z', '2019-12-11T08:40:17.500Z'],
      [24, '20191211084017.05Z', '2019-12-11T08:40:17.050Z'],
      [24, '20191211084017.999Z', '2019-12-11T08:40:17.999Z'],
      [24, '20191211084017.579Z', '2019-12-11T08:40:17.579Z'],
      // Both truncate to whole milliseconds, never round.
      [24, '20191211084017.9999Z', '2019-12-11T08:40:17.999Z'],
      [24, '20191211084017.1234567Z', '2019-12-11T08:40:17.123Z'],
    ];
    for (const [tag, text, iso] of cases) {
      const encoded = new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')]);
      expect(readTime(readElement(encoded, DER), DER, 'time').toISOString(), text).toBe(iso);
      expect(asn1jsTime(encoded).toISOString(), text).toBe(iso);
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

describe('der-reader edges (mutation survivors, issue #18)', () => {
  it('reads a four-octet tag number and refuses a fifth octet', () => {
    // 0x10204 = 1·128² + 2·128 + 4, written as three subsequent octets; four are the most accepted.
    expect(readElement(h('9f 84 84 04 00'), DER)).toMatchObject({ tagNumber: 0x10204, end: 5 });
    expect(readElement(h('9f 81 80 80 01 00'), DER)).toMatchObject({ tagNumber: 128 ** 3 + 1, end: 6 });
    malformed(() => readElement(h('9f 81 80 80 80 01 00'), DER));
  });

  it('refuses a long-form tag for a number below 31, or with a leading zero septet (X.690 8.1.2)', () => {
    // openssl asn1parse and asn1js read these as NULL, SEQUENCE and [5]; Go's encoding/asn1 refuses them.
    malformed(() => readElement(h('1f 05 00'), DER));
    malformed(() => readElement(h('3f 10 00'), BER), 'MALFORMED_CMS');
    malformed(() => readElement(h('9f 80 05 00'), DER));
    malformed(() => readElement(h('9f 80 81 01 00'), DER));
    // The smallest long-form number, and a zero septet after the first one, are fine.
    expect(readElement(h('9f 1f 00'), DER)).toMatchObject({ tagClass: 2, tagNumber: 31, end: 3 });
    expect(readElement(h('5f 81 00 00'), DER)).toMatchObject({ tagClass: 1, tagNumber: 128, end: 4 });
  });

  it('refuses a long-form length whose octets run past the limit, accepts one that just fits', () => {
    expect(readElement(h('04 81 00'), BER)).toMatchObject({ contentStart: 3, end: 3 });
    malformed(() => readElement(h('04 82 01'), DER));
    // The length octets exist in the buffer, but past the parent's end.
    malformed(() => childrenOf(readElement(h('30 02 04 82 00 00'), DER), DER));
    // Four length octets are the most accepted (BER allows the leading zeros).
    expect(readElement(h('04 84 00 00 00 01 aa'), BER)).toMatchObject({ contentStart: 6, end: 7 });
  });

  it('ends an indefinite length at the first end-of-contents pair only, inside the parent', () => {
    // An empty OCTET STRING (04 00) is not an end-of-contents pair.
    expect(readElement(h('30 80 04 00 00 00'), BER)).toMatchObject({ contentEnd: 4, end: 6 });
    expect(readElement(h('30 80 00 00 05 00'), BER)).toMatchObject({
      contentStart: 2,
      contentEnd: 2,
      end: 4,
    });
    // The end-of-contents octets sit in the buffer, but after the definite-length parent's end.
    const straddling = readElement(h('30 04 30 80 05 00 00 00'), BER);
    malformed(() => childrenOf(straddling, BER), 'MALFORMED_CMS');
  });

  it('accepts nesting down to maxDepth exactly, not one level more', () => {
    // Six SEQUENCEs: the innermost is read at depth 5.
    const six = h('30 0a 30 08 30 06 30 04 30 02 30 00');
    expect(() => checkTree(readElement(six, { ...DER, maxDepth: 5 }), { ...DER, maxDepth: 5 })).not.toThrow();
    malformed(() => checkTree(readElement(six, { ...DER, maxDepth: 4 }), { ...DER, maxDepth: 4 }));
    const indefinite = h('30 80 30 80 30 80 00 00 00 00 00 00');
    expect(readElement(indefinite, { ...BER, maxDepth: 2 }).end).toBe(12);
    malformed(() => readElement(indefinite, { ...BER, maxDepth: 1 }), 'MALFORMED_CMS');
  });

  it('refuses five length octets even when the length fits, and marks definite elements', () => {
    malformed(() => readElement(h('04 85 00 00 00 00 01 aa'), BER), 'MALFORMED_CMS');
    expect(readElement(h('04 01 aa'), DER)).toMatchObject({ indefinite: false, contentEnd: 3, end: 3 });
  });

  it('takes end-of-contents only as two zero octets: a universal [0] with contents is a child', () => {
    expect(readElement(h('30 80 00 01 aa 00 00'), BER)).toMatchObject({ contentEnd: 5, end: 7 });
  });

  it('bounds the depth of joinedContents, octetStringValue and checkTree walks', () => {
    const opts = { ...BER, maxDepth: 3 };
    // Five [0] levels around an empty OCTET STRING: joinedContents reads the innermost at depth 5.
    const wrapped = readElement(h('a0 0a a0 08 a0 06 a0 04 a0 02 04 00'), opts);
    malformed(() => joinedContents(wrapped, opts, 'x'), 'MALFORMED_CMS');
    expect(joinedContents(wrapped, BER, 'x')).toHaveLength(0);
    const pieces = readElement(h('24 0a 24 08 24 06 24 04 24 02 04 00'), opts);
    malformed(() => octetStringValue(pieces, opts, 'x'), 'MALFORMED_CMS');
    expect(octetStringValue(pieces, BER, 'x')).toHaveLength(0);
    expect(() => checkTree(readElement(h('30 03 02 01 05'), DER), DER)).not.toThrow();
  });

  it('has no children for a primitive element', () => {
    // The contents would read as a NULL.
    malformed(() => childrenOf(readElement(h('04 02 05 00'), DER), DER));
  });

  it('tells universal from context-specific tags, and an absent element from both', () => {
    const ctx = readElement(h('a0 00'), DER);
    const seq = readElement(h('30 00'), DER);
    expect([isContext(ctx, 0), isUniversal(ctx, 0), isContext(ctx, 1)]).toEqual([true, false, false]);
    expect([isUniversal(seq, 16), isContext(seq, 16), isUniversal(seq, 17)]).toEqual([true, false, false]);
    expect([isUniversal(undefined, 16), isContext(undefined, 0)]).toEqual([false, false]);
  });

  it('sequenceOf refuses a primitive element with the SEQUENCE tag, a SET, and nothing', () => {
    expect(sequenceOf(readElement(h('30 03 02 01 05'), DER), TAG.SEQUENCE, DER, 'x')).toHaveLength(1);
    expect(sequenceOf(readElement(h('31 00'), DER), TAG.SET, DER, 'x')).toHaveLength(0);
    malformed(() => sequenceOf(readElement(h('10 00'), DER), TAG.SEQUENCE, DER, 'x'));
    malformed(() => sequenceOf(readElement(h('31 00'), DER), TAG.SEQUENCE, DER, 'x'));
    malformed(() => sequenceOf(undefined, TAG.SET, DER, 'x'));
  });

  it('decodes first arcs at the 40 and 80 boundaries and a big first-pair value', () => {
    // 2^64 − 1 has every septet set: the octet that crosses 2^45 adds bits, not zeros.
    for (const oid of [
      '0.39',
      '1.0',
      '1.39.5',
      '2.0',
      '2.47',
      '2.100000000000000.3',
      '2.5.18446744073709551615',
    ]) {
      const bytes = new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER());
      expect(readOid(readElement(bytes, DER), DER, 'oid')).toBe(oid);
    }
    // asn1js cannot encode a first pair past 2^53; this encoding is openssl asn1parse's
    // 2.18446744073709551617.1 (the first subidentifier is 2^64 + 1 + 80).
    expect(readOid(readElement(h('06 0b 82 80 80 80 80 80 80 80 80 51 01'), DER), DER, 'oid')).toBe(
      '2.18446744073709551617.1',
    );
    malformed(() => readOid(readElement(h('26 00'), DER), DER, 'oid'));
    malformed(() => readOid(undefined, DER, 'oid'));
  });

  it('octetStringValue and checkTree refuse a non-OCTET STRING piece nested two levels down', () => {
    const nested = readElement(h('24 80 24 03 02 01 01 00 00'), BER);
    malformed(() => octetStringValue(nested, BER, 'x'), 'MALFORMED_CMS');
    malformed(() => checkTree(nested, BER), 'MALFORMED_CMS');
    const good = readElement(h('24 80 24 03 04 01 01 04 01 02 00 00'), BER);
    expect(octetStringValue(good, BER, 'x')).toHaveLength(0);
    expect(joinedContents(good, BER, 'x')).toEqual(h('01 02'));
    malformed(() => octetStringValue(readElement(h('02 01 01'), DER), DER, 'x'));
    malformed(() => octetStringValue(undefined, DER, 'x'));
  });

  it('joinedContents keeps a single piece as a view and joins the contents of any constructed element', () => {
    const bytes = h('24 80 04 02 aa bb 00 00');
    const one = joinedContents(readElement(bytes, BER), BER, 'x');
    expect(one).toEqual(h('aa bb'));
    expect(one.buffer).toBe(bytes.buffer);
    // [0] EXPLICIT content is not an OCTET STRING: its pieces need not be either.
    expect(joinedContents(readElement(h('a0 06 04 01 aa 02 01 bb'), BER), BER, 'x')).toEqual(h('aa bb'));
  });

  it('integerBytes and smallInteger: empty, negative and over-four-octet INTEGERs', () => {
    malformed(() => integerBytes(readElement(h('02 00'), DER), DER, 'x'));
    malformed(() => integerBytes(readElement(h('22 03 02 01 01'), DER), DER, 'x'));
    malformed(() => integerBytes(undefined, DER, 'x'));
    expect(integerBytes(readElement(h('02 02 00 ff'), DER), DER, 'x')).toEqual(h('00 ff'));
    const small = (hex: string) => smallInteger(readElement(h(hex), DER), DER, 'x');
    expect(small('02 01 02')).toBe(2);
    expect(small('02 04 7f ff ff ff')).toBe(0x7fffffff);
    expect(small('02 02 01 00')).toBe(256);
    expect(small('02 05 00 80 00 00 00')).toBe(-1);
    expect(small('02 01 ff')).toBe(-1);
    expect(small('02 01 80')).toBe(-1);
  });

  it('equalBytes compares length and every octet', () => {
    expect(equalBytes(h('01 02'), h('01 02'))).toBe(true);
    expect(equalBytes(h(''), h(''))).toBe(true);
    expect(equalBytes(h('01 02'), h('01 02 03'))).toBe(false);
    expect(equalBytes(h('01 02 03'), h('01 02'))).toBe(false);
    expect(equalBytes(h('01 02'), h('01 03'))).toBe(false);
    expect(equalBytes(h('02 02'), h('01 02'))).toBe(false);
  });

  it('readTime refuses constructed and non-universal times', () => {
    const text = Buffer.from('190601120000Z', 'latin1').toString('hex');
    expect(readTime(readElement(h(`17 0d ${text}`), DER), DER, 't').toISOString()).toBe(
      '2019-06-01T12:00:00.000Z',
    );
    malformed(() => readTime(readElement(h(`97 0d ${text}`), DER), DER, 't'));
    malformed(() => readTime(readElement(h(`37 0f 04 0d ${text}`), DER), DER, 't'));
  });

  it('readTime refuses fields asn1js and Date.UTC would roll over, and reads the last valid value of each', () => {
    const t = (tag: number, text: string) =>
      timeOutcome(() =>
        readTime(
          readElement(new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')]), DER),
          DER,
          't',
        ),
      );
    for (const [tag, text] of [
      [23, '191301000000Z'], // month 13
      [23, '190001000000Z'], // month 0
      [23, '190600120000Z'], // day 0
      [23, '190431120000Z'], // 31 April
      [23, '190229120000Z'], // 29 February 2019
      [24, '21000229120000Z'], // 2100 is not a leap year
      [23, '190601240000Z'], // hour 24
      [23, '190601126000Z'], // minute 60
      [23, '190601120060Z'], // second 60 (OpenSSL, Go and the JDK refuse a leap second too)
      [24, '20191301000000.5Z'], // month 13 with a fraction
    ] as const)
      expect(t(tag, text), text).toBe('refused');
    expect(t(23, '191231235959Z')).toBe(Date.UTC(2019, 11, 31, 23, 59, 59));
    expect(t(23, '200229000000Z')).toBe(Date.UTC(2020, 1, 29));
    expect(t(24, '20000229000000Z')).toBe(Date.UTC(2000, 1, 29));
    expect(t(24, '20190430000000Z')).toBe(Date.UTC(2019, 3, 30));
    expect(t(23, '190101000000Z')).toBe(Date.UTC(2019, 0, 1));
  });

  // readTime sent these to asn1js, which read some as another instant than OpenSSL 3 (node's
  // X509Certificate.validFrom on a certificate carrying the text: ASN1_TIME_print) and Go's encoding/asn1
  // read, and accepted others both refuse. Every one is refused now.
  it('refuses the times asn1js reads as another instant than OpenSSL and Go', () => {
    const asn1js = (tag: number, text: string) =>
      asn1jsTime(new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')])).toISOString();
    // An offset is added instead of subtracted, and the day is getUTCDay() (a weekday) of a date a month on.
    expect(asn1js(24, '20190615120000+0000')).toBe('2019-06-01T12:00:00.000Z'); // OpenSSL: Jun 15 12:00:00
    expect(asn1js(24, '20190601120000+0130')).toBe('2019-06-01T13:30:00.000Z'); // OpenSSL: Jun  1 10:30:00
    expect(asn1js(24, '20190601120000-0130')).toBe('2019-06-01T10:30:00.000Z'); // OpenSSL: Jun  1 13:30:00
    // The UTCTime pattern is not anchored: it finds a time inside other text (OpenSSL: Bad time value).
    expect(asn1js(23, 'x190601120000Z')).toBe('2019-06-01T12:00:00.000Z');
    expect(asn1js(23, '190601120000ZZ')).toBe('2019-06-01T12:00:00.000Z');
    // A fraction goes through Number() (OpenSSL: Bad time value).
    expect(asn1js(24, '20190601120000.5e1Z')).toBe('2019-06-01T12:00:05.000Z');
    for (const [tag, text] of [
      [24, '20190615120000+0000'],
      [24, '20190601120000+0130'],
      [24, '20190601120000-0130'],
      [23, 'x190601120000Z'],
      [23, '99190601120000Z'],
      [23, '190601120000ZZ'],
      [23, '190601120000Z+0100'],
      [23, '190601120000Z0'],
      [24, '20190601120000.5e1Z'],
      [24, '20190601120000.Z'],
      [24, '20190601120000.5 Z'],
    ] as const)
      expect(outcome(tag, text), `${tag} ${text}`).toBe('refused');
  });

  it('refuses near-miss forms: no seconds, fractions of an hour or minute, wrong tag, no Z', () => {
    for (const [tag, text] of [
      // Forms OpenSSL reads but RFC 5280, 5652 and 3161 forbid and Go refuses.
      [24, '201906011200Z'],
      [23, '1906011200Z'],
      [23, '190601120000+0100'],
      // Forms no reader agrees on (OpenSSL: Bad time value).
      [24, '2019060112.5Z'],
      [24, '201906011200.5Z'],
      [24, '2019060112Z'],
      [24, '20190601Z'],
      [24, '20190601120000,5Z'],
      // A UTCTime's text under the GeneralizedTime tag (OpenSSL: Jan 12 00:00:00 1906) and the reverse.
      [24, '190601120000Z'],
      [23, '20190601120000Z'],
      [23, '20190601120000.5Z'],
      // A time's text under another universal tag (UTF8String, PrintableString).
      [12, '190601120000Z'],
      [19, '20190601120000Z'],
      [23, '190601120000X'],
      [23, '1906011200a0Z'],
      [23, '19060112000Z'],
      [23, '1906011200000Z'],
      [23, '190601120000'],
      [23, '1906011200000'],
      [24, '20190601120000X'],
      [24, '2019060112000aZ'],
      [24, '20190601120000'],
      [24, '20190601120000.5'],
      [24, '20190601120000.55'],
      [24, '20190601120000a.5Z'],
      [24, '20190601120000.5aZ'],
      [24, '20190601120000.a5Z'],
      [24, '20190601120000.aZ'],
      [24, '20190601120000Z0'],
      [23, ''],
      [24, 'Z'],
    ] as const)
      expect(outcome(tag, text), `${tag} ${text}`).toBe('refused');
  });

  it('refuses a constructed time even when its contents are the text of one', () => {
    const text = Buffer.from('190601120000Z', 'latin1').toString('hex');
    expect(readTime(readElement(h(`17 0d ${text}`), DER), DER, 't').toISOString()).toBe(
      '2019-06-01T12:00:00.000Z',
    );
    malformed(() => readTime(readElement(h(`37 0d ${text}`), DER), DER, 't'));
  });
});

/** readTime's answer for a time's text under a universal tag: the ISO instant or 'refused' (with DER's code). */
function outcome(tag: number, text: string): string {
  try {
    return readTime(
      readElement(new Uint8Array([tag, text.length, ...Buffer.from(text, 'latin1')]), DER),
      DER,
      't',
    ).toISOString();
  } catch (err) {
    expect(err).toMatchObject({ name: 'SigscanError', code: 'MALFORMED_CERTIFICATE' });
    return 'refused';
  }
}

/** The instant asn1js 4 reads from an encoded time (fromBER, then toDate), which readTime matches. */
function asn1jsTime(encoded: Uint8Array): Date {
  const reference = asn1js.fromBER(encoded.slice().buffer);
  if (!(reference.result instanceof asn1js.UTCTime) || reference.result.error !== '')
    throw new Error('asn1js reads no time');
  return reference.result.toDate();
}

/** A time decoder's answer as a comparable value: the instant, NaN, or a refusal. */
function timeOutcome(decode: () => Date): string | number {
  try {
    const t = decode().getTime();
    return Number.isNaN(t) ? 'NaN' : t;
  } catch {
    return 'refused';
  }
}
