import { describe, expect, it } from 'vitest';

import { dnUnits, packUnits, sizeColumns, wrap, wrapDn, wrapList } from '../../src/report/pretty-layout.js';

describe('sizeColumns', () => {
  it('gives fixed columns their natural width and flexible ones their natural width when it fits', () => {
    // 4 columns: 5 borders; 20 + 10 + 30 + 15 = 75 + 5 = 80.
    expect(
      sizeColumns(
        [
          { natural: 20, min: 12 },
          { natural: 10, min: 10, fixed: true },
          { natural: 30, min: 12 },
          { natural: 15, min: 10, tier: 1 },
        ],
        200,
      ),
    ).toEqual([20, 10, 30, 15]);
  });

  it('shares the spare space by weight, never past the natural width, and fills later tiers last', () => {
    const cols = [
      { natural: 19, min: 12, weight: 2 },
      { natural: 10, min: 10, fixed: true },
      { natural: 63, min: 12, weight: 3 },
      { natural: 29, min: 21, tier: 1 },
    ];
    // 80 - 5 borders - (12 + 10 + 12 + 21) = 20 spare: target +7 (to natural), signer the other 13.
    expect(sizeColumns(cols, 80)).toEqual([19, 10, 25, 21]);
    // Enough for every tier-0 column: the verdict column grows only with what is left.
    expect(sizeColumns(cols, 125)).toEqual([19, 10, 63, 28]);
    expect(sizeColumns(cols, 126)).toEqual([19, 10, 63, 29]);
    expect(sizeColumns(cols, 400)).toEqual([19, 10, 63, 29]);
  });

  it('splits by weight while both columns still grow', () => {
    const cols = [
      { natural: 100, min: 10, weight: 2 },
      { natural: 100, min: 10, weight: 3 },
    ];
    // 3 borders; 10 + 10 + 50 spare = 20 + 30.
    expect(sizeColumns(cols, 73)).toEqual([30, 40]);
  });

  it('keeps minimums when there is no room at all', () => {
    expect(
      sizeColumns(
        [
          { natural: 50, min: 12 },
          { natural: 40, min: 40, fixed: true },
        ],
        30,
      ),
    ).toEqual([12, 40]);
  });
});

describe('wrapping', () => {
  it('wraps at words and cuts only words longer than a line', () => {
    expect(wrap('a bb ccc dddd', 6)).toEqual(['a bb', 'ccc', 'dddd']);
    expect(wrap('abcdefghij k', 4)).toEqual(['abcd', 'efgh', 'ij k']);
    expect(wrap('', 5)).toEqual(['']);
  });

  it('packs units with their glue, breaking a long unit by words or by cutting', () => {
    expect(packUnits(['one,', 'two,', 'three'], 9, ' ', 'cut')).toEqual(['one, two,', 'three']);
    expect(packUnits(['x,', 'long unit here'], 9, ' ', 'words')).toEqual(['x,', 'long unit', 'here']);
    expect(packUnits(['x,', 'long unit here'], 9, ' ', 'cut')).toEqual(['x,', 'long unit', ' here']);
  });

  it('splits a DN into RDNs at unescaped commas only, keeping multi-valued RDNs whole', () => {
    expect(dnUnits('CN=Old Builder "legacy",O=Acme\\, Inc.,OU=a+OU=b,C=US')).toEqual([
      'CN=Old Builder "legacy",',
      'O=Acme\\, Inc.,',
      'OU=a+OU=b,',
      'C=US',
    ]);
    expect(dnUnits('CN=a\\\\,O=b')).toEqual(['CN=a\\\\,', 'O=b']);
  });

  it('wraps DNs after an RDN, never inside one that fits, and hard-wraps one wider than the column', () => {
    const dn = 'CN=Sigscan Fixture Code Signing,OU=Release Engineering,O=Sigscan Fixtures,C=US';
    expect(wrapDn(dn, 40)).toEqual([
      'CN=Sigscan Fixture Code Signing,',
      'OU=Release Engineering,',
      'O=Sigscan Fixtures,C=US',
    ]);
    expect(wrapDn(dn, 20)).toEqual([
      'CN=Sigscan Fixture C',
      'ode Signing,',
      'OU=Release Engineeri',
      'ng,',
      'O=Sigscan Fixtures,',
      'C=US',
    ]);
    expect(wrapDn('CN=Acme Release,O=Acme\\, Inc.,C=US', 20)).toEqual([
      'CN=Acme Release,',
      'O=Acme\\, Inc.,C=US',
    ]);
    for (const width of [8, 13, 25, 60]) expect(wrapDn(dn, width).join(''), `${width}`).toBe(dn);
  });

  it('wraps lists between entries, then between words', () => {
    expect(wrapList(['authenticode 1', 'jar 1', 'simple-signing 12'], 20)).toEqual([
      'authenticode 1,',
      'jar 1,',
      'simple-signing 12',
    ]);
    expect(wrapList(['authenticode 1', 'jar 1'], 21)).toEqual(['authenticode 1, jar 1']);
    expect(wrapList(['a (x y z)', 'b'], 6, ';')).toEqual(['a (x y', 'z); b']);
  });
});
