/**
 * The JAR digest rules (src/formats/jar/digest.ts) on what jarsigner writes: the algorithm names of
 * `<ALG>-Digest` attributes in any spelling and case java.util.jar accepts, their base64 values, and the
 * digests themselves against `openssl dgst`. Each answer is asserted exactly (mutation survivors of
 * digest.ts, reports/mutation-log.md, h8/mut8). Inputs: fixtures/jar/hello-signed.jar (jar + jarsigner),
 * its MANIFEST.MF and .SF, and changes of their attribute lines.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  canonicalDigest,
  decodeDigest,
  digestAttributes,
  digestBytes,
  equalBytes,
  isDisabledDigest,
  isWeakDigest,
  newHash,
  strongest,
} from '../../../src/formats/jar/digest.js';
import { parseManifest } from '../../../src/formats/jar/index.js';
import { PROJECT_ROOT } from '../../helpers/tools.js';

const SIGNED = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
const entry = (name: string): Buffer => execFileSync('unzip', ['-p', SIGNED, name]);
const hello = new Uint8Array(entry('com/example/hello.txt'));
const manifest = entry('META-INF/MANIFEST.MF');
const sf = entry('META-INF/RELEASE.SF');

/** openssl's digest of `data`, as hex. */
function openssl(algorithm: string, data: Uint8Array): string {
  return execFileSync('openssl', ['dgst', `-${algorithm}`, '-binary'], { input: data }).toString('hex');
}
const hex = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString('hex') : b);
/** The attributes of a section made of these lines, as parseManifest reads them. */
const attributesOf = (...lines: string[]) =>
  parseManifest(new Uint8Array(Buffer.from(`Manifest-Version: 1.0\r\n${lines.join('\r\n')}\r\n\r\n`))).main
    .attributes;

describe('canonicalDigest: the spellings java.util.jar accepts, in any case', () => {
  it('every alias, upper, lower and mixed case', () => {
    const cases: Record<string, string> = {
      MD5: 'MD5',
      md5: 'MD5',
      SHA: 'SHA-1',
      sha: 'SHA-1',
      SHA1: 'SHA-1',
      'sha-1': 'SHA-1',
      'SHA-224': 'SHA-224',
      sha224: 'SHA-224',
      'SHA-256': 'SHA-256',
      'Sha-256': 'SHA-256',
      sha256: 'SHA-256',
      'SHA-384': 'SHA-384',
      sha384: 'SHA-384',
      'SHA-512': 'SHA-512',
      Sha512: 'SHA-512',
    };
    for (const [name, canonical] of Object.entries(cases))
      expect(canonicalDigest(name), name).toBe(canonical);
  });

  it('names it cannot compute are undefined', () => {
    for (const name of ['MD2', 'SHA3-256', 'SHA-3', 'SHA-0', 'SHA512/256', '', 'toString', 'constructor'])
      expect(canonicalDigest(name), name).toBeUndefined();
  });
});

describe('digestBytes and newHash agree with openssl dgst', () => {
  it('for every supported algorithm, on the JAR entry and on the manifest', () => {
    const node: Record<string, string> = {
      MD5: 'md5',
      'SHA-1': 'sha1',
      'SHA-224': 'sha224',
      'SHA-256': 'sha256',
      'SHA-384': 'sha384',
      'SHA-512': 'sha512',
    };
    for (const [algorithm, name] of Object.entries(node)) {
      for (const data of [hello, new Uint8Array(manifest)]) {
        const want = openssl(name, data);
        expect(hex(digestBytes(algorithm, data)), algorithm).toBe(want);
        const h = newHash(algorithm);
        h.update(data.subarray(0, 5));
        h.update(data.subarray(5));
        expect(h.digest('hex'), algorithm).toBe(want);
      }
    }
  });

  it('the manifest digest jarsigner wrote is the SHA-256 of the MANIFEST.MF', () => {
    const [whole] = digestAttributes(parseManifest(new Uint8Array(sf)).main.attributes, '-Digest-Manifest');
    expect(whole!.algorithm).toBe('SHA-256');
    expect(hex(whole!.expected)).toBe(openssl('sha256', new Uint8Array(manifest)));
    expect(equalBytes(digestBytes('SHA-256', new Uint8Array(manifest)), whole!.expected)).toBe(true);
  });

  it('an algorithm without a Node name is refused by name, never hashed as another', () => {
    for (const algorithm of ['MD2', 'SHA', 'sha-256', 'SHA3-256']) {
      expect(() => digestBytes(algorithm, hello), algorithm).toThrow(
        `unsupported digest algorithm ${algorithm}`,
      );
      expect(() => newHash(algorithm), algorithm).toThrow(`unsupported digest algorithm ${algorithm}`);
    }
  });
});

describe('strongest, weak and disabled algorithms', () => {
  it('strongest: by the order MD5 < SHA-1 < SHA-224 < SHA-256 < SHA-384 < SHA-512, first on a tie', () => {
    expect(strongest([])).toBeUndefined();
    expect(strongest(['SHA-1'])).toBe('SHA-1');
    expect(strongest(['SHA-1', 'SHA-256'])).toBe('SHA-256');
    expect(strongest(['SHA-256', 'SHA-1'])).toBe('SHA-256');
    expect(strongest(['MD5', 'SHA-512', 'SHA-384'])).toBe('SHA-512');
    expect(strongest(['SHA-224', 'MD5'])).toBe('SHA-224');
    expect(strongest(new Set(['SHA-384', 'SHA-256']))).toBe('SHA-384');
    // Names outside the order rank below all of them; between two such, the first stays.
    expect(strongest(['X-1', 'MD5'])).toBe('MD5');
    expect(strongest(['MD5', 'X-1'])).toBe('MD5');
    expect(strongest(['X-1', 'X-2'])).toBe('X-1');
  });

  it('weak: MD2, MD5, SHA-1; disabled for JARs (jdk.jar.disabledAlgorithms): MD2, MD5', () => {
    const all = ['MD2', 'MD5', 'SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512', 'SHA1', 'md5'];
    expect(all.filter(isWeakDigest)).toEqual(['MD2', 'MD5', 'SHA-1']);
    expect(all.filter(isDisabledDigest)).toEqual(['MD2', 'MD5']);
  });
});

describe('decodeDigest: standard base64, whitespace tolerated, anything else undecodable', () => {
  const value = '6NnDzDyC3UzmHUHZEup00dxzQaKciPdosG2KcZIeLg8=';
  const sha256 = () => openssl('sha256', hello);

  it("jarsigner's value is the SHA-256 of the entry", () => {
    expect(manifest.toString('latin1')).toContain(`SHA-256-Digest: ${value}`);
    expect(hex(decodeDigest(value))).toBe(sha256());
  });

  it('spaces, tabs and line breaks anywhere are dropped, one or many', () => {
    for (const spaced of [
      ` ${value}`,
      `${value}\r\n`,
      value.replace('Eup00', 'Eup 00'),
      value.replace('dxz', 'd \t\r\n xz'),
      value.replace('dxz', 'd\nx  z'),
    ])
      expect(hex(decodeDigest(spaced)), JSON.stringify(spaced)).toBe(sha256());
  });

  it('a length that is not a multiple of 4, a character outside the alphabet, padding out of place', () => {
    for (const bad of [
      value.slice(0, -1), // 43 characters
      `${value}A`,
      `${value}====`.slice(0, 48), // more than two '='
      `A${value.slice(1, -1)}*`, // '*' at the end
      `*${value.slice(1)}`, // '*' at the start
      value.replace('dxz', 'd-z'), // base64url
      value.replace('dxz', 'd_z'),
      value.replace('dxz', 'd=z'), // '=' inside
      'AA=A',
      'A===',
    ])
      expect(decodeDigest(bad), bad).toBeUndefined();
  });

  it('one and two padding characters, and the empty value', () => {
    expect(hex(decodeDigest('AAE='))).toBe('0001');
    expect(hex(decodeDigest('AQ=='))).toBe('01');
    expect(hex(decodeDigest('+/+/'))).toBe('fbffbf');
    expect(hex(decodeDigest(''))).toBe('');
    expect(hex(decodeDigest(' '))).toBe('');
  });
});

describe('digestAttributes: `<ALG><suffix>` attributes, matched without regard to case', () => {
  it("jarsigner's .SF: the whole-manifest digest and the main-attributes digest are told apart", () => {
    const main = parseManifest(new Uint8Array(sf)).main.attributes;
    const whole = digestAttributes(main, '-Digest-Manifest');
    expect(whole.map((d) => [d.algorithm, d.supported])).toEqual([['SHA-256', true]]);
    const mainAttributes = digestAttributes(main, '-Digest-Manifest-Main-Attributes');
    expect(mainAttributes.map((d) => [d.algorithm, d.supported])).toEqual([['SHA-256', true]]);
    // The continuation line joined: 32 bytes.
    expect(mainAttributes[0]!.expected!.length).toBe(32);
    const manifestMain = 'Manifest-Version: 1.0\r\nCreated-By: 17.0.21.1 (Debian)\r\n\r\n';
    expect(hex(mainAttributes[0]!.expected)).toBe(
      openssl('sha256', new Uint8Array(Buffer.from(manifestMain))),
    );
    // Neither is an entry digest.
    expect(digestAttributes(main, '-Digest').map((d) => d.algorithm)).toEqual([]);
  });

  it("jarsigner's manifest section: one SHA-256 entry digest", () => {
    const section = parseManifest(new Uint8Array(manifest)).sections[0]!;
    const [d, ...rest] = digestAttributes(section.attributes, '-Digest');
    expect(rest).toEqual([]);
    expect(d!.algorithm).toBe('SHA-256');
    expect(d!.supported).toBe(true);
    expect(hex(d!.expected)).toBe(openssl('sha256', hello));
  });

  it('legacy and lower-case spellings are canonical; unknown ones keep their own spelling, unsupported', () => {
    const value = '6NnDzDyC3UzmHUHZEup00dxzQaKciPdosG2KcZIeLg8=';
    const found = digestAttributes(
      attributesOf(
        `sha-256-digest: ${value}`,
        `SHA1-DIGEST: ${value}`,
        `Sha3-256-Digest: ${value}`,
        `MD2-Digest: AAAA`,
        `Digest: ${value}`,
        `-Digest: ${value}`,
        `SHA-256-Digest-Manifest: ${value}`,
        `X-Digested: ${value}`,
        `SHA-256-Digest: not base64!`,
      ),
      '-Digest',
    );
    expect(found.map((d) => [d.algorithm, d.supported, hex(d.expected)])).toEqual([
      ['SHA-256', true, openssl('sha256', hello)],
      ['SHA-1', true, openssl('sha256', hello)],
      ['Sha3-256', false, openssl('sha256', hello)],
      ['MD2', false, '000000'],
      ['SHA-256', true, undefined],
    ]);
  });

  it('a suffix given in another case matches the same attributes', () => {
    const attrs = attributesOf('SHA-256-Digest-Manifest: AAAA', 'md5-digest-manifest: AQ==');
    expect(digestAttributes(attrs, '-DIGEST-MANIFEST').map((d) => [d.algorithm, hex(d.expected)])).toEqual([
      ['SHA-256', '000000'],
      ['MD5', '01'],
    ]);
  });
});

describe('equalBytes', () => {
  it('equal only with the same length and every byte', () => {
    // Copies, not Buffer views: digestBytes answers a Buffer, whose slice() shares its memory.
    const a = new Uint8Array(digestBytes('SHA-256', hello));
    expect(equalBytes(a, new Uint8Array(a))).toBe(true);
    expect(equalBytes(a, undefined)).toBe(false);
    expect(equalBytes(a, a.subarray(0, 31))).toBe(false);
    expect(equalBytes(a.subarray(0, 31), a)).toBe(false);
    for (const i of [0, 17, 31]) {
      const b = new Uint8Array(a);
      b[i]! ^= 1;
      expect(equalBytes(a, b), String(i)).toBe(false);
    }
    expect(equalBytes(new Uint8Array(), new Uint8Array())).toBe(true);
  });
});
