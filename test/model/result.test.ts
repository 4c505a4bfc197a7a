import { describe, expect, it } from 'vitest';

import { targetStatus, type ErrorEntry, type SignatureResult } from '../../src/model/index.js';

const signature = {
  verdict: { status: 'invalid', code: 'ENTRY_DIGEST_MISMATCH', message: 'm' },
} as SignatureResult;
const error: ErrorEntry = { code: 'REGISTRY_UNAUTHORIZED', message: 'denied' };

describe('targetStatus', () => {
  it('signed when a signature was found, even beside errors (a bad signature is still a signature)', () => {
    expect(targetStatus([signature], [])).toBe('signed');
    expect(targetStatus([signature], [error])).toBe('signed');
  });

  it('a failed lookup is unknown, never unsigned; unsigned only when fully checked', () => {
    expect(targetStatus([], [error])).toBe('unknown');
    expect(targetStatus([], [])).toBe('unsigned');
  });
});
