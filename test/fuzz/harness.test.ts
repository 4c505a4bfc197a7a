/** The fuzz harness itself must notice untyped errors and hangs, or every other suite proves nothing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../src/errors.js';
import {
  checkOne,
  cborLengthTweak,
  asn1LengthTweak,
  mutatedJsonText,
  textSeed,
  tlvStarts,
} from './harness.js';

describe('fuzz harness', () => {
  it('accepts a return and a typed error', async () => {
    await checkOne('self', 1, () => 1);
    await checkOne('self', 1, () => {
      throw new SigscanError('MALFORMED_PE', 'x');
    });
  });

  it('rejects an untyped error', async () => {
    await expect(
      checkOne(
        'self',
        1,
        () => {
          throw new TypeError('boom');
        },
        [],
        String,
        false,
      ),
    ).rejects.toThrow(/untyped TypeError: boom/);
  });

  it('rejects an async hang', async () => {
    await expect(checkOne('self', 1, () => new Promise(() => {}), [], String, false)).rejects.toThrow(
      /no answer within/,
    );
  }, 10_000);

  it('mutators produce changed inputs', () => {
    const der = Uint8Array.of(0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0x00);
    expect(tlvStarts(der, 10)).toEqual([0, 2, 5]);
    expect(asn1LengthTweak(der, 1, 2)).not.toEqual(der);
    expect(cborLengthTweak(Uint8Array.of(0x84, 1, 2, 3, 4), 0, 9)).not.toEqual(
      Uint8Array.of(0x84, 1, 2, 3, 4),
    );
    const samples = fc.sample(mutatedJsonText([textSeed('s', '{"a":[1,2],"b":{"c":"d"}}')]), {
      numRuns: 20,
      seed: 1,
    });
    expect(new Set(samples.map((s) => Buffer.from(s.bytes).toString())).size).toBeGreaterThan(5);
  });
});
