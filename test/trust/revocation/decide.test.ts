import { describe, expect, it } from 'vitest';

import { decideNotationRevocation, decideRevocation } from '../../../src/trust/revocation/decide.js';

const REVOKED_AT = new Date('2026-06-01T00:00:00Z');
const BEFORE = new Date('2026-05-01T00:00:00Z');
const AFTER = new Date('2026-07-01T00:00:00Z');
const NOW = new Date('2026-12-01T00:00:00Z');

describe('decideRevocation (the timestamp rule)', () => {
  const entry = (reason?: string) => ({ revokedAt: REVOKED_AT, ...(reason ? { reason } : {}) });

  it('without a trusted timestamp every revocation applies', () => {
    expect(decideRevocation('CN=S', entry('superseded'), undefined, NOW)).toEqual({
      revoked: true,
      message:
        'CN=S was revoked 2026-06-01T00:00:00.000Z (superseded); the signature has no trusted timestamp',
    });
  });

  it('a timestamp after (or at) the revocation does not help', () => {
    expect(decideRevocation('CN=S', entry('superseded'), AFTER, NOW)).toEqual({
      revoked: true,
      message:
        'CN=S was revoked 2026-06-01T00:00:00.000Z (superseded), before the trusted timestamp 2026-07-01T00:00:00.000Z',
    });
    expect(decideRevocation('CN=S', entry('superseded'), REVOKED_AT, NOW).revoked).toBe(true);
  });

  it.each([
    'superseded',
    'cessationOfOperation',
    'affiliationChanged',
    'privilegeWithdrawn',
    'certificateHold',
  ])('a timestamp before a %s revocation keeps the signature', (reason) => {
    expect(decideRevocation('CN=S', entry(reason), BEFORE, NOW)).toEqual({
      revoked: false,
      message: `CN=S was revoked 2026-06-01T00:00:00.000Z (${reason}), after the trusted timestamp 2026-05-01T00:00:00.000Z, for a reason that leaves earlier signatures valid`,
    });
  });

  it.each(['keyCompromise', 'cACompromise', 'aACompromise', 'unspecified'])(
    'a timestamp before a %s revocation does not keep the signature',
    (reason) => {
      expect(decideRevocation('CN=S', entry(reason), BEFORE, NOW)).toEqual({
        revoked: true,
        message: `CN=S was revoked 2026-06-01T00:00:00.000Z (${reason}); the trusted timestamp 2026-05-01T00:00:00.000Z is earlier, but a ${reason} revocation voids earlier signatures too`,
      });
    },
  );

  it('an entry without a reason counts as a compromise', () => {
    expect(decideRevocation('CN=S', entry(), BEFORE, NOW)).toEqual({
      revoked: true,
      message:
        'CN=S was revoked 2026-06-01T00:00:00.000Z (no reason given); the trusted timestamp 2026-05-01T00:00:00.000Z is earlier, but a reasonless revocation voids earlier signatures too',
    });
  });

  it('a revocation after the verification time had not happened yet (--at)', () => {
    expect(decideRevocation('CN=S', entry('keyCompromise'), undefined, BEFORE)).toEqual({
      revoked: false,
      message:
        'CN=S was revoked 2026-06-01T00:00:00.000Z (keyCompromise), after the verification time 2026-05-01T00:00:00.000Z',
    });
    // At the very instant of the revocation it applies.
    expect(decideRevocation('CN=S', entry('keyCompromise'), undefined, REVOKED_AT).revoked).toBe(true);
  });
});

// notation-core-go revocation/internal/crl checkRevocation and internal/ocsp: revoked unless the authentic
// signing time is strictly before the entry's invalidityDate; the reason and the revocation date do not count.
describe('decideNotationRevocation (notation-core-go)', () => {
  const INVALID = new Date('2026-05-15T00:00:00Z');
  const entry = { revokedAt: REVOKED_AT, reason: 'keyCompromise', invalidityDate: INVALID };
  const revoked = (e: typeof entry | { revokedAt: Date; reason?: string }, at?: Date, check = NOW) =>
    decideNotationRevocation('CN=S', e, at, check).revoked;

  it('keeps the certificate only for a signing time before the invalidityDate, the bound excluded', () => {
    expect(revoked(entry, BEFORE)).toBe(false);
    expect(revoked(entry, new Date(INVALID.getTime() - 1))).toBe(false);
    expect(revoked(entry, INVALID)).toBe(true);
    expect(revoked(entry, AFTER)).toBe(true);
  });

  it('without an invalidityDate or a signing time, any revocation applies, whatever its reason', () => {
    expect(revoked({ revokedAt: REVOKED_AT, reason: 'superseded' }, BEFORE)).toBe(true);
    expect(revoked(entry, undefined)).toBe(true);
  });

  it('a revocation after the verification time has not happened yet', () => {
    expect(revoked(entry, AFTER, new Date(REVOKED_AT.getTime() - 1))).toBe(false);
    expect(revoked(entry, AFTER, REVOKED_AT)).toBe(true);
  });
});
