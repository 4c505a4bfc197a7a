import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import {
  checkProtectedHeader,
  malformed,
  parseChain,
  parseRfc3339,
  type HeaderFacts,
} from '../../../src/formats/notation/common.js';
import type { Finding } from '../../../src/model/index.js';
import type { Descriptor } from '../../../src/oci/types.js';
import { signNotation } from '../../helpers/notation/sign.js';

const target: Descriptor = {
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${'01'.repeat(32)}`,
  size: 7,
};
const SCHEME = 'io.cncf.notary.signingScheme';
const AUTHENTIC = 'io.cncf.notary.authenticSigningTime';

function rejects(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    expect((err as SigscanError).code).toBe('MALFORMED_ENVELOPE');
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected MALFORMED_ENVELOPE');
}

describe('malformed', () => {
  it('keeps a cause only when one is given', () => {
    const cause = new Error('inner');
    expect(malformed('m', cause).cause).toBe(cause);
    expect(malformed('m').cause).toBeUndefined();
  });
});

describe('parseRfc3339', () => {
  it('anchors the whole text', () => {
    rejects(() => parseRfc3339('x2024-01-01T00:00:00Z', 't'), /t is not an RFC 3339 time/);
    rejects(() => parseRfc3339('2024-01-01T00:00:00Zjunk', 't'), /t is not an RFC 3339 time/);
  });

  it('rejects a well-shaped but impossible time', () => {
    rejects(() => parseRfc3339('2024-13-45T00:00:00Z', 't'), /t is not a valid time/);
    rejects(() => parseRfc3339('2024-01-01T25:00:00Z', 't'), /t is not a valid time/);
  });

  it('rejects days and hours that Date would roll over, as Go time.Parse (notation-core-go) does', () => {
    // Date reads these as 2023-03-01, 2024-05-01 and 2024-01-02; Go fails them "day/hour out of range".
    rejects(() => parseRfc3339('2023-02-29T00:00:00Z', 't'), /t is not a valid time/);
    rejects(() => parseRfc3339('2024-04-31T00:00:00Z', 't'), /t is not a valid time/);
    rejects(() => parseRfc3339('2024-01-01T24:00:00Z', 't'), /t is not a valid time/);
    // The leap day of a leap year and the last day of a long month are real.
    expect(parseRfc3339('2024-02-29T23:59:59Z', 't').date.toISOString()).toBe('2024-02-29T23:59:59.000Z');
    expect(parseRfc3339('2024-12-31T00:00:00+01:00', 't').date.toISOString()).toBe(
      '2024-12-30T23:00:00.000Z',
    );
  });

  it('reads lowercase separators and keeps the text as written', () => {
    expect(parseRfc3339('2024-05-06t07:08:09.5z', 't')).toEqual({
      date: new Date('2024-05-06T07:08:09.500Z'),
      text: '2024-05-06t07:08:09.5z',
    });
  });
});

describe('parseChain', () => {
  const ders = signNotation(target, { envelope: 'jws', key: 'p256' }).certificates.map((c) => c.der);

  it('rejects an empty chain', () => {
    rejects(() => parseChain([], {}), /carries no signing certificate/);
  });

  it('applies maxCertificates as an inclusive limit', () => {
    expect(ders.length).toBeGreaterThan(1);
    expect(parseChain(ders, { maxCertificates: ders.length })).toHaveLength(ders.length);
    rejects(
      () => parseChain(ders, { maxCertificates: ders.length - 1 }),
      new RegExp(`carries ${ders.length} certificates, more than the limit ${ders.length - 1}`),
    );
  });
});

describe('checkProtectedHeader', () => {
  const t = parseRfc3339('2024-01-01T00:00:00Z', 't');
  const facts = (over: Partial<HeaderFacts>): HeaderFacts => ({
    alg: 'ES256',
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    crit: [SCHEME],
    signingScheme: 'notary.x509',
    signingTime: t,
    registeredHeaders: ['alg'],
    ...over,
  });
  const run = (h: HeaderFacts) => {
    const issues: Finding[] = [];
    checkProtectedHeader(h, issues);
    return issues.map((i) => i.code);
  };

  it('no crit at all: only the missing signing-scheme entry', () => {
    const { crit: _c, ...noCrit } = facts({});
    expect(run(noCrit)).toEqual(['CRIT_MISSING_SIGNING_SCHEME']);
  });

  it('signingAuthority requires the authentic signing time, and the signer time is not enough', () => {
    expect(run(facts({ signingScheme: 'notary.x509.signingAuthority' }))).toEqual(['MISSING_SIGNING_TIME']);
    expect(
      run(
        facts({
          signingScheme: 'notary.x509.signingAuthority',
          signingTime: undefined,
          authenticSigningTime: t,
          crit: [SCHEME, AUTHENTIC],
        }),
      ),
    ).toEqual([]);
  });

  it('a verification-plugin entry in crit is a warning, not an unknown critical header', () => {
    const issues: Finding[] = [];
    checkProtectedHeader(facts({ crit: [SCHEME, 'io.cncf.notary.verificationPlugin'] }), issues);
    expect(issues.map((i) => [i.code, i.severity])).toEqual([['VERIFICATION_PLUGIN_REQUIRED', 'warning']]);
  });
});
