import { beforeAll, describe, expect, it } from 'vitest';

import { analyzeDeb, looksLikeDeb, readAr } from '../../../src/formats/deb/index.js';
import { readBytes } from '../../helpers/jar/index.js';
import { debFixtures, type DebFixtures } from '../../helpers/deb/index.js';

const codes = (b: Uint8Array): string[] => analyzeDeb(b).findings.map((f) => f.code);

/** Renames the ar member at `index` (its 16-byte name field). */
function rename(bytes: Uint8Array, index: number, name: string): Uint8Array {
  const out = bytes.slice();
  const member = readAr(bytes)[index]!;
  out.set(Buffer.from(name.padEnd(16, ' '), 'latin1'), member.offset - 60);
  return out;
}

describe('Debian package reading, on packages made by dpkg-deb and signed by debsigs', () => {
  let fx: DebFixtures;

  beforeAll(() => {
    fx = debFixtures();
  }, 180_000);

  it('reads the members and the _gpgorigin signature; the signed bytes are the first three members', () => {
    const bytes = readBytes(fx.deb['sha256']!);
    expect(looksLikeDeb(bytes)).toBe(true);
    const a = analyzeDeb(bytes);
    expect(a.members.map((m) => m.name)).toEqual([
      'debian-binary',
      'control.tar.xz',
      'data.tar.xz',
      '_gpgorigin',
    ]);
    expect(a.signatures.map((s) => [s.role, s.member])).toEqual([['origin', '_gpgorigin']]);
    expect(a.findings).toEqual([]);
    const [b, c, d] = a.members;
    expect(a.signed.byteLength).toBe(b!.size + c!.size + d!.size);
    expect(Buffer.from(a.signed.subarray(0, 4)).toString()).toBe('2.0\n');
    expect(a.signatures[0]!.packet[0]).toBe(0x89);
  });

  it('an unsigned package has no signatures; an ar that is no deb is not one', () => {
    expect(analyzeDeb(readBytes(fx.deb['unsigned']!)).signatures).toEqual([]);
    expect(
      looksLikeDeb(Buffer.from('!<arch>\nfoo.o           0           0     0     644     0         `\n')),
    ).toBe(false);
    expect(looksLikeDeb(new Uint8Array(4))).toBe(false);
  });

  it('two _gpgorigin members is DEB_AMBIGUOUS', () => {
    expect(codes(readBytes(fx.deb['twice']!))).toEqual(['DEB_AMBIGUOUS']);
    expect(analyzeDeb(readBytes(fx.deb['twice']!)).signatures).toHaveLength(2);
  });

  it('members out of order, or an unsigned member after data, are DEB_AMBIGUOUS', () => {
    const bytes = readBytes(fx.deb['sha256']!);
    expect(codes(rename(bytes, 1, 'data.tar.xz'))).toEqual(['DEB_AMBIGUOUS', 'DEB_AMBIGUOUS']);
    expect(codes(rename(bytes, 0, 'debian-binarx'))).toEqual(['DEB_AMBIGUOUS']);
    expect(analyzeDeb(rename(bytes, 0, 'debian-binarx')).signed.byteLength).toBe(0);
    const extra = analyzeDeb(rename(bytes, 3, 'zzz'));
    expect(extra.findings.map((f) => f.message)).toEqual([
      'member zzz after data.tar is neither signed nor a signature',
    ]);
  });

  // dpkg reads control.tar[.<ext>] and data.tar[.<ext>] by exact name; a near name is another member.
  it('only exact control.tar[.ext] / data.tar[.ext] names make the signed layout', () => {
    const bytes = readBytes(fx.deb['sha256']!);
    expect(codes(rename(bytes, 1, 'control.tar'))).toEqual([]);
    expect(codes(rename(bytes, 2, 'data.tar'))).toEqual([]);
    for (const [index, name] of [
      [1, 'xcontrol.tar.xz'],
      [1, 'control.tarball'],
      [1, 'control.tar.xz.1'],
      [2, 'olddata.tar.xz'],
      [2, 'data.tar.xz.1'],
      [2, 'data.tarxz'],
    ] as const) {
      const a = analyzeDeb(rename(bytes, index, name));
      expect(
        a.findings.map((f) => f.code),
        name,
      ).toEqual(['DEB_AMBIGUOUS']);
      expect(a.signed.byteLength, name).toBe(0);
    }
  });

  it('a signature member is _gpg<role>: the role is what follows _gpg; other names are not signatures', () => {
    const bytes = readBytes(fx.deb['sha256']!);
    expect(analyzeDeb(rename(bytes, 3, '_gpgmaint')).signatures.map((s) => [s.role, s.member])).toEqual([
      ['maint', '_gpgmaint'],
    ]);
    // A bare _gpg has no role: neither a signature nor an unsigned member (it starts with _).
    expect(analyzeDeb(rename(bytes, 3, '_gpg'))).toMatchObject({ signatures: [], findings: [] });
    const stray = analyzeDeb(rename(bytes, 3, 'x_gpgorigin'));
    expect(stray.signatures).toEqual([]);
    expect(stray.findings.map((f) => f.code)).toEqual(['DEB_AMBIGUOUS']);
    expect(analyzeDeb(rename(bytes, 3, '_gpgorigin.x')).signatures).toEqual([]);
    expect(stray.findings.map((f) => f.message)).toEqual([
      'member x_gpgorigin after data.tar is neither signed nor a signature',
    ]);
  });

  it('refuses truncated and malformed ar archives', () => {
    const bytes = readBytes(fx.deb['sha256']!);
    expect(() => readAr(bytes.subarray(0, bytes.length - 10))).toThrow(/runs past the end/);
    expect(() => readAr(Buffer.from('garbage!'))).toThrow(/not an ar archive/);
    const bad = bytes.slice();
    bad[8 + 58] = 0x41;
    expect(() => readAr(bad)).toThrow(/bad ar member header/);
    const size = bytes.slice();
    size.set(Buffer.from('abc       '), 8 + 48);
    expect(() => readAr(size)).toThrow(/no decimal size/);
    expect(() => readAr(bytes.subarray(0, 8 + 30))).toThrow(/truncated ar member header/);
  });
});
