/**
 * readCertificateFields' own answers on the encodings it leaves to pkijs (`unmodelled`), one rule at a
 * time. x509-fields.test.ts compares the final certificate with pkijs, which cannot tell "read here" from
 * "left to pkijs" when both give the same fields: these rules are what keeps an encoding asn1js reads
 * differently away from the fast path, so each is asserted by its exact reason here (mutation survivors
 * of src/formats/x509-fields.ts:79-180, reports/mutation-log.md). Inputs: an openssl certificate, rebuilt
 * element by element with one change (lengths re-encoded, so only the change decides).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { childrenOf, readElement } from '../../src/formats/der-reader.js';
import { isPkijsName, readCertificateFields } from '../../src/formats/x509-fields.js';
import { concatBytes, derAll, derEncode, derRebuilt, derTree, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { selfSignedDer } from '../helpers/openssl-cert.js';

const READ = { code: 'MALFORMED_CERTIFICATE' } as const;

let cert: Uint8Array;

beforeAll(async () => {
  const dir = await cachedFixtureDir('x509-fields-unmodelled-2', (out) =>
    selfSignedDer(out, 'cert', '/C=US/O=Unmodelled/CN=fields', {
      keyArgs: ['-newkey', 'rsa:1024'],
      extensions: ['basicConstraints=critical,CA:TRUE'],
    }),
  );
  cert = new Uint8Array(readFileSync(join(dir, 'cert.der')));
});

const tbs = (root: DerNode): DerNode[] => root.children![0]!.children!;
/** v3 tbsCertificate: [0] version, serial, signature, issuer, validity, subject, spki, [3] extensions. */
const SUBJECT = 5;
const VALIDITY = 4;
/** n NULLs in one SEQUENCE: n + 1 nodes once asn1js reads it. */
const manyNulls = (n: number): Uint8Array =>
  derEncode({
    id: 0x30,
    children: Array.from({ length: n }, () => ({ id: 0x05, content: new Uint8Array() })),
  });
/** signatureValue with this unused-bits octet and contents. */
const signatureValue = (unused: number, contents: Uint8Array) => (root: DerNode) => {
  root.children![2] = { id: 0x03, content: concatBytes([new Uint8Array([unused]), contents]) };
};

const reading = (der: Uint8Array) => readCertificateFields(der);

describe('readCertificateFields leaves to pkijs what asn1js may read differently', () => {
  it('the openssl certificate itself, and its exact rebuild, are read here', () => {
    expect(reading(cert).kind).toBe('fields');
    expect(Buffer.from(derRebuilt(cert, () => {})).equals(Buffer.from(cert))).toBe(true);
  });

  it('more than 1 MiB (and exactly 1 MiB is not "larger": refused for the bytes after the certificate)', () => {
    const big = new Uint8Array((1 << 20) + 1);
    big.set(cert);
    expect(reading(big)).toEqual({ kind: 'unmodelled', reason: 'certificate larger than 1 MiB' });
    expect(reading(big.subarray(0, 1 << 20))).toEqual({
      kind: 'refused',
      message: `bytes after the certificate (${(1 << 20) - cert.length})`,
    });
  });

  it('a primitive SEQUENCE and a constructed OCTET STRING', () => {
    const primitive = derRebuilt(cert, (root) => {
      const validity = tbs(root)[VALIDITY]!;
      tbs(root)[VALIDITY] = { id: 0x10, content: derEncode({ ...validity, id: 0x30 }).subarray(2) };
    });
    expect(reading(primitive)).toEqual({ kind: 'unmodelled', reason: 'primitive SEQUENCE/SET' });
    const constructed = derRebuilt(cert, (root) => {
      const ext = derAll(root).find((n) => n.id === 0x04)!;
      Object.assign(ext, { id: 0x24, children: [{ id: 0x04, content: ext.content }], content: undefined });
    });
    expect(reading(constructed)).toEqual({ kind: 'unmodelled', reason: 'constructed universal 4' });
  });

  it('BOOLEAN, INTEGER, NULL and OBJECT IDENTIFIER contents asn1js reads its own way', () => {
    const boolean = derRebuilt(cert, (root) => {
      const flag = derAll(root).find((n) => n.id === 0x01)!;
      flag.content = new Uint8Array([0xff, 0xff]);
    });
    expect(reading(boolean)).toEqual({ kind: 'unmodelled', reason: 'BOOLEAN not one octet' });
    const integer = derRebuilt(cert, (root) => void (tbs(root)[1]!.content = new Uint8Array()));
    expect(reading(integer)).toEqual({ kind: 'unmodelled', reason: 'empty INTEGER' });
    const nullWithContents = derRebuilt(cert, (root) => {
      derAll(root).find((n) => n.id === 0x05)!.content = new Uint8Array([0]);
    });
    expect(reading(nullWithContents)).toEqual({ kind: 'unmodelled', reason: 'NULL with contents' });
    const oid = derRebuilt(cert, (root) => {
      // The RDN type 2.5.4.6 (countryName): 55 04 06 -> 55 80 04 06, a sub-identifier with a leading 0x80.
      const countryName = derAll(tbs(root)[SUBJECT]!).find((n) => n.id === 0x06)!;
      countryName.content = new Uint8Array([0x55, 0x80, 0x04, 0x06]);
    });
    expect(reading(oid)).toEqual({
      kind: 'unmodelled',
      reason: 'OBJECT IDENTIFIER not in its minimal form',
    });
  });

  it('BIT STRING unused bits: 8 is left to pkijs, 7 is read here', () => {
    const sig = readElement(cert, READ);
    const value = childrenOf(sig, READ)[2]!;
    const contents = cert.slice(value.contentStart + 1, value.contentEnd);
    expect(reading(derRebuilt(cert, signatureValue(8, contents)))).toEqual({
      kind: 'unmodelled',
      reason: 'BIT STRING unused bits',
    });
    const seven = reading(derRebuilt(cert, signatureValue(7, contents)));
    expect(seven.kind).toBe('fields');
    expect(
      seven.kind === 'fields' && Buffer.from(seven.fields.signatureValue).equals(Buffer.from(contents)),
    ).toBe(true);
  });

  it('a length of exactly 128 takes two length octets (81 80), and is read here', () => {
    // One unused bit: asn1js does not read the contents as ASN.1, so only the length form decides.
    const at128 = derRebuilt(cert, signatureValue(1, new Uint8Array(127).fill(0x5a)));
    const value = childrenOf(readElement(at128, READ), READ)[2]!;
    expect([value.contentEnd - value.contentStart, value.contentStart - value.start]).toEqual([128, 3]);
    const read = reading(at128);
    expect(read.kind).toBe('fields');
    expect(read.kind === 'fields' && read.fields.signatureValue.length).toBe(127);
  });

  it('ASN.1 inside a BIT STRING (no unused bits) or an OCTET STRING counts toward the node limit', () => {
    // 9,000 NULLs and their SEQUENCE: with the certificate's own nodes, over the 9,000 this reader allows.
    const nulls = manyNulls(9000);
    expect(reading(derRebuilt(cert, signatureValue(0, nulls)))).toEqual({
      kind: 'unmodelled',
      reason: 'too many ASN.1 nodes',
    });
    // With unused bits asn1js does not read the contents as ASN.1: nothing to count.
    expect(reading(derRebuilt(cert, signatureValue(1, nulls))).kind).toBe('fields');
    const inExtension = derRebuilt(cert, (root) => {
      derAll(root).find((n) => n.id === 0x04)!.content = nulls;
    });
    expect(reading(inExtension)).toEqual({ kind: 'unmodelled', reason: 'too many ASN.1 nodes' });
  });

  it('UniversalString and BMPString lengths asn1js cannot decode; a BMPString it can', () => {
    const withValue = (id: number, bytes: number[]) =>
      derRebuilt(cert, (root) => {
        // The CN value (last RDN of the subject).
        const value = tbs(root)[SUBJECT]!.children!.at(-1)!.children![0]!.children![1]!;
        Object.assign(value, { id, content: new Uint8Array(bytes) });
      });
    expect(reading(withValue(0x1c, [0, 0, 0, 0x41, 0]))).toEqual({
      kind: 'unmodelled',
      reason: 'UniversalString length',
    });
    expect(reading(withValue(0x1e, [0, 0x41, 0]))).toEqual({
      kind: 'unmodelled',
      reason: 'BMPString length',
    });
    expect(reading(withValue(0x1c, [0, 0, 0, 0x41])).kind).toBe('fields');
    expect(reading(withValue(0x1e, [0, 0x41])).kind).toBe('fields');
  });

  it('a time not in its DER form, and a universal type this reader does not model', () => {
    // A time outside the validity (the subject's PrintableString made a UTCTime, 'Z' -> '+'); a validity
    // time not in its DER form is refused (x509-fields-shape.test.ts).
    const time = derRebuilt(cert, (root) => {
      const value = derAll(tbs(root)[SUBJECT]!).find((n) => n.id === 0x13)!;
      Object.assign(value, { id: 0x17, content: new Uint8Array(Buffer.from('261205101112+', 'latin1')) });
    });
    expect(reading(time)).toEqual({ kind: 'unmodelled', reason: 'time not in its DER form' });
    const enumerated = derRebuilt(cert, (root) => {
      derAll(tbs(root)[SUBJECT]!).find((n) => n.id === 0x13)!.id = 0x0a; // PrintableString -> ENUMERATED
    });
    expect(reading(enumerated)).toEqual({ kind: 'unmodelled', reason: 'universal type 10' });
  });

  it('an empty BIT STRING is left to pkijs even where the next octet would pass as an unused-bits count', () => {
    // The CN value becomes SEQUENCE { BIT STRING (empty), NULL }: the octet after the empty BIT STRING is
    // the NULL's tag, 5.
    const der = derRebuilt(cert, (root) => {
      const value = tbs(root)[SUBJECT]!.children!.at(-1)!.children![0]!.children![1]!;
      Object.assign(value, {
        id: 0x30,
        content: undefined,
        children: [
          { id: 0x03, content: new Uint8Array() },
          { id: 0x05, content: new Uint8Array() },
        ],
      });
    });
    expect(reading(der)).toEqual({ kind: 'unmodelled', reason: 'BIT STRING unused bits' });
  });

  it('a primitive context-specific field (issuerUniqueID) is read as it is, not as children', () => {
    const der = derRebuilt(
      cert,
      (root) => void tbs(root).splice(7, 0, { id: 0x81, content: new Uint8Array([0, 0xab]) }),
    );
    const result = reading(der);
    expect(result.kind).toBe('fields');
    expect(result.kind === 'fields' && result.fields.extensions.map((e) => e.oid)).toContain('2.5.29.19');
  });

  it('the node limit counts one node per element, and nothing inside an empty OCTET STRING or a bare BIT STRING', () => {
    // No extensions and unused bits in both BIT STRINGs: nothing is read as embedded ASN.1, so the count
    // is the number of elements in the tree. The CN value is padded with NULLs to exactly 9,000 of them.
    const padded = (nulls: number, extra: DerNode[]) =>
      derRebuilt(cert, (root) => {
        root.children![0]!.children = tbs(root).slice(0, 7);
        const spki = tbs(root)[6]!;
        spki.children![1]!.content = new Uint8Array([1, 0x80]);
        signatureValue(1, new Uint8Array([0x80]))(root);
        const value = tbs(root)[SUBJECT]!.children!.at(-1)!.children![0]!.children![1]!;
        Object.assign(value, {
          id: 0x30,
          content: undefined,
          children: [
            ...extra,
            ...Array.from({ length: nulls }, () => ({ id: 0x05, content: new Uint8Array() })),
          ],
        });
      });
    const elements = (der: Uint8Array) => derAll(derTree(der)).length;
    // An empty OCTET STRING and a BIT STRING of just its unused-bits octet: one node each.
    const extra = [
      { id: 0x04, content: new Uint8Array() },
      { id: 0x03, content: new Uint8Array([0]) },
    ];
    const probe = padded(0, extra);
    const fill = 9000 - elements(probe);
    const atLimit = padded(fill, extra);
    expect(elements(atLimit)).toBe(9000);
    expect(reading(atLimit).kind).toBe('fields');
    expect(reading(padded(fill + 1, extra))).toEqual({ kind: 'unmodelled', reason: 'too many ASN.1 nodes' });
  });

  it('isPkijsName: a Name is one, an element that is no Name is not', () => {
    const root = readElement(cert, READ);
    const fields = childrenOf(childrenOf(root, READ)[0]!, READ);
    expect(isPkijsName(fields[SUBJECT]!)).toBe(true);
    expect(isPkijsName(fields[1]!)).toBe(false); // the serial number INTEGER
    expect(isPkijsName(fields[VALIDITY]!)).toBe(false); // a SEQUENCE of times, not of SETs
  });
});

/**
 * The node count the reader gives one element embedded in a BIT STRING, made observable by the limit: the
 * element goes last in a SEQUENCE after k NULLs (so an element where counting stops still has the NULLs
 * counted), and the largest k still read here is found by bisection. One fewer node for the element, one
 * more NULL fits. `countEmbedded`'s survivors (reports/mutation-log.md, xf1).
 */
function embeddedCount(element: Uint8Array): number {
  const fits = (k: number, last: Uint8Array[]) => {
    const nulls = Array.from({ length: k }, () => new Uint8Array([0x05, 0x00]));
    const body = concatBytes([...nulls, ...last]);
    const seq = concatBytes([
      new Uint8Array([0x30, 0x83, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]),
      body,
    ]);
    return reading(derRebuilt(cert, signatureValue(0, seq))).kind === 'fields';
  };
  const most = (last: Uint8Array[]) => {
    // The certificate's own nodes are far fewer than 1,000.
    let lo = 8000;
    let hi = 9000;
    expect(fits(lo, last)).toBe(true);
    expect(fits(hi, last)).toBe(false);
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fits(mid, last)) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  nullsAlone ??= most([]);
  return nullsAlone - most([element]);
}
let nullsAlone: number | undefined;

const bytes = (...b: number[]) => new Uint8Array(b);

describe('the node count of ASN.1 embedded in a BIT STRING, one form at a time', () => {
  it.each([
    ['NULL', bytes(0x05, 0x00), 1],
    ['SEQUENCE of two NULLs', bytes(0x30, 0x04, 0x05, 0x00, 0x05, 0x00), 3],
    [
      'OCTET STRING holding a SEQUENCE of two NULLs',
      bytes(0x04, 0x06, 0x30, 0x04, 0x05, 0x00, 0x05, 0x00),
      4,
    ],
    ['empty OCTET STRING', bytes(0x04, 0x00), 1],
    [
      'OCTET STRING holding non-ASN.1 bytes (cut short: counted, then stops)',
      bytes(0x04, 0x02, 0x30, 0x05),
      2,
    ],
    ['BIT STRING, no unused bits, holding a NULL', bytes(0x03, 0x03, 0x00, 0x05, 0x00), 2],
    ['BIT STRING, one unused bit', bytes(0x03, 0x03, 0x01, 0x05, 0x00), 1],
    ['BIT STRING of the unused-bits octet alone', bytes(0x03, 0x01, 0x00), 1],
    ['BIT STRING with 8 unused bits (asn1js stops)', bytes(0x03, 0x03, 0x08, 0x05, 0x00), 1],
    ['context [0] constructed holding a NULL', bytes(0xa0, 0x02, 0x05, 0x00), 2],
    ['context [4] primitive (not read as an OCTET STRING)', bytes(0x84, 0x02, 0x05, 0x00), 1],
    ['application [4] primitive', bytes(0x44, 0x02, 0x05, 0x00), 1],
    ['private [3] primitive (not read as a BIT STRING)', bytes(0xc3, 0x03, 0x00, 0x05, 0x00), 1],
    ['long-form tag, empty', bytes(0x1f, 0x81, 0x00, 0x00), 1],
    ['long-form tag cut short', bytes(0x1f, 0x81), 1],
    ['SEQUENCE, long-form length 81 02', bytes(0x30, 0x81, 0x02, 0x05, 0x00), 2],
    ['SEQUENCE, eight length octets', bytes(0x30, 0x88, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x05, 0x00), 2],
    [
      'SEQUENCE, nine length octets (asn1js stops)',
      bytes(0x30, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x05, 0x00),
      1,
    ],
    ['SEQUENCE, length octets past the end', bytes(0x30, 0x82, 0x00), 1],
    ['SEQUENCE, length 0xff', bytes(0x30, 0xff, 0x05, 0x00), 1],
    ['SEQUENCE longer than what is left', bytes(0x30, 0x05, 0x05, 0x00), 1],
    ['primitive, indefinite length', bytes(0x05, 0x80, 0x00, 0x00), 1],
    ['a tag with no length octet', bytes(0x05), 1],
    // Followed by a NULL: whether counting goes on after the element.
    ['BIT STRING with 7 unused bits, then a NULL', bytes(0x03, 0x02, 0x07, 0x80, 0x05, 0x00), 2],
    ['BIT STRING with 8 unused bits, then a NULL (stops)', bytes(0x03, 0x02, 0x08, 0x80, 0x05, 0x00), 1],
    ['OCTET STRING of cut-short ASN.1, then a NULL (goes on)', bytes(0x04, 0x02, 0x30, 0x05, 0x05, 0x00), 3],
    ['primitive of indefinite length, then a NULL (stops)', bytes(0x05, 0x80, 0x05, 0x00), 1],
    ['context [0] holding a NULL, then a NULL', bytes(0xa0, 0x02, 0x05, 0x00, 0x05, 0x00), 3],
    // An empty BIT STRING has no unused-bits octet to read: the SEQUENCE after it (0x30, above 7) is counted.
    ['empty BIT STRING, then an empty SEQUENCE', bytes(0x03, 0x00, 0x30, 0x00), 2],
    ['long-form tag, empty, then a NULL', bytes(0x1f, 0x81, 0x00, 0x00, 0x05, 0x00), 2],
  ])('%s', (_name, element, count) => {
    expect(embeddedCount(element)).toBe(count);
  });

  it('a constructed element of indefinite length is left to pkijs', () => {
    const seq = concatBytes([bytes(0x30, 0x80, 0x05, 0x00, 0x00, 0x00)]);
    expect(reading(derRebuilt(cert, signatureValue(0, seq)))).toEqual({
      kind: 'unmodelled',
      reason: 'indefinite length in embedded contents',
    });
  });
});
