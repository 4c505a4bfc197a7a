import { describe, expect, it } from 'vitest';

import { parseChallenges } from '../../../src/oci/registry/challenge.js';

describe('parseChallenges', () => {
  it('keeps commas inside quoted values and splits several challenges', () => {
    const got = parseChallenges(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push", Basic realm="x"',
    );
    expect(got).toEqual([
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example.com/token',
          service: 'registry.example.com',
          scope: 'repository:a/b:pull,push',
        },
      },
      { scheme: 'basic', params: { realm: 'x' } },
    ]);
  });

  it('reads an insufficient_scope challenge and unquoted values', () => {
    expect(parseChallenges('Bearer realm=https://a/t,error="insufficient_scope"')[0]!.params).toEqual({
      realm: 'https://a/t',
      error: 'insufficient_scope',
    });
    expect(parseChallenges(undefined)).toEqual([]);
  });
});
