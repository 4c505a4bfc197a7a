import { describe, expect, it } from 'vitest';

import { decideRevocation } from '../../../src/trust/revocation/decide.js';

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
