import { describe, expect, it } from 'vitest';

import { editDistance, nearest } from '../../src/cli/suggest.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and adjacent swaps as one edit each', () => {
    expect(editDistance('--trust-root', '--trust-root')).toBe(0);
    expect(editDistance('--trust-rot', '--trust-root')).toBe(1);
    expect(editDistance('--trsut-root', '--trust-root')).toBe(1);
    expect(editDistance('--ky', '--key')).toBe(1);
    expect(editDistance('fs', 'repo')).toBe(4);
  });
});

describe('nearest', () => {
  const flags = ['--trust-root', '--tsa-root', '--key', '--tuf-root', '--output'];
  it('finds the flag a typo meant', () => {
    expect(nearest('--trust-rot', flags)).toBe('--trust-root');
    expect(nearest('--tsa-rot', flags)).toBe('--tsa-root');
    expect(nearest('--ky', flags)).toBe('--key');
  });
  it('an abbreviation finds the flag it starts', () => {
    expect(nearest('--outp', flags)).toBe('--output');
  });
  it('suggests nothing for a word that is not close to any', () => {
    expect(nearest('--frobnicate', flags)).toBeUndefined();
    expect(nearest('x', ['fs', 'repo'])).toBeUndefined();
  });
});
