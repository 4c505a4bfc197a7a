import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import {
  attribute,
  mainSectionBytes,
  parseManifest,
  sectionBytes,
  sectionBytesWithoutBlankLine,
} from '../../../src/formats/jar/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const enc = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

describe('parseManifest', () => {
  for (const [label, eol] of [
    ['CRLF', '\r\n'],
    ['LF', '\n'],
    ['CR', '\r'],
  ] as const) {
    it(`splits sections and keeps raw ranges with ${label} line ends`, () => {
      const src = [
        'Manifest-Version: 1.0',
        'Created-By: test',
        '',
        'Name: a/b.txt',
        'SHA-256-Digest: AAAA',
        '',
        'Name: c',
        'X: y',
        '',
      ].join(eol);
      const m = parseManifest(enc(src));
      expect(m.errors).toEqual([]);
      expect(attribute(m.main, 'manifest-version')).toBe('1.0');
      expect(m.sections.map((s) => s.name)).toEqual(['a/b.txt', 'c']);
      expect(text(mainSectionBytes(m))).toBe(`Manifest-Version: 1.0${eol}Created-By: test${eol}${eol}`);
      expect(text(sectionBytes(m, m.sections[0]!))).toBe(
        `Name: a/b.txt${eol}SHA-256-Digest: AAAA${eol}${eol}`,
      );
      expect(text(sectionBytesWithoutBlankLine(m, m.sections[0]!))).toBe(
        `Name: a/b.txt${eol}SHA-256-Digest: AAAA${eol}`,
      );
      // The last section ends at EOF without a blank line.
      expect(m.sections[1]!.terminated).toBe(false);
      expect(text(sectionBytes(m, m.sections[1]!))).toBe(`Name: c${eol}X: y${eol}`);
    });
  }

  it('joins 72-byte continuation lines at the byte level (multi-byte UTF-8 split across lines)', () => {
    const name = `dir/${'x'.repeat(60)}-Grüße.txt`;
    const line = Buffer.from(`Name: ${name}`, 'utf8');
    // Cut inside the two-byte "ü" on purpose.
    const cut = line.indexOf(Buffer.from('ü')) + 1;
    const bytes = Buffer.concat([
      Buffer.from('Manifest-Version: 1.0\r\n\r\n'),
      line.subarray(0, cut),
      Buffer.from('\r\n '),
      line.subarray(cut),
      Buffer.from('\r\nSHA-256-Digest: AAAA\r\n\r\n'),
    ]);
    const m = parseManifest(new Uint8Array(bytes));
    expect(m.errors).toEqual([]);
    expect(m.sections[0]!.name).toBe(name);
    expect(text(sectionBytes(m, m.sections[0]!))).toContain('\r\n ');
  });

  it('decodes one-line attributes as UTF-8 in all-ASCII and other manifests alike', () => {
    const ascii = parseManifest(
      enc('Manifest-Version: 1.0\r\nCreated-By: 17 (Debian)\r\n\r\nName: a/B.class\r\n\r\n'),
    );
    expect(attribute(ascii.main, 'Created-By')).toBe('17 (Debian)');
    expect(ascii.sections[0]!.name).toBe('a/B.class');
    // Not ASCII: a two-byte character, and a byte that is no UTF-8 at all (U+FFFD, as TextDecoder reads it).
    const other = parseManifest(
      new Uint8Array(
        Buffer.concat([
          Buffer.from('Manifest-Version: 1.0\r\nCreated-By: Grüße\r\nX-Raw: a'),
          Buffer.from([0xff]),
          Buffer.from('b\r\n\r\nName: a/ü.class\r\n\r\n'),
        ]),
      ),
    );
    expect(attribute(other.main, 'Created-By')).toBe('Grüße');
    expect(attribute(other.main, 'X-Raw')).toBe('a\ufffdb');
    expect(other.sections[0]!.name).toBe('a/ü.class');
  });

  it('records invalid header lines instead of throwing', () => {
    const m = parseManifest(enc('Manifest-Version: 1.0\r\nthis is extra stuff\r\n\r\nX-Only: 1\r\n\r\n'));
    expect(m.errors.map((e) => e.message)).toEqual([
      'invalid header field (line 2)',
      'section without a Name attribute (line 4)',
    ]);
  });

  it('lets the main section run to EOF when no blank line ends it', () => {
    const m = parseManifest(enc('Manifest-Version: 1.0\nA: b'));
    expect(m.sections).toEqual([]);
    expect(text(mainSectionBytes(m))).toBe('Manifest-Version: 1.0\nA: b');
  });

  it('section byte ranges reproduce the .SF digests jarsigner wrote (corpus)', () => {
    const jar = `${CORPUS_DIR}/jar/equinox/signed_with_metadata.jar`;
    const mf = new Uint8Array(execFileSync('unzip', ['-p', jar, 'META-INF/MANIFEST.MF']));
    const sf = parseManifest(new Uint8Array(execFileSync('unzip', ['-p', jar, 'META-INF/CA1_LEAF.SF'])));
    const m = parseManifest(mf);
    const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('base64');
    expect(sha(mf)).toBe(attribute(sf.main, 'SHA-256-Digest-Manifest'));
    // This value is split over a continuation line in the .SF.
    expect(sha(mainSectionBytes(m))).toBe(attribute(sf.main, 'SHA-256-Digest-Manifest-Main-Attributes'));
    expect(sf.sections).toHaveLength(5);
    for (const s of sf.sections) {
      const section = m.sections.find((x) => x.name === s.name)!;
      expect(sha(sectionBytes(m, section))).toBe(attribute(s, 'SHA-256-Digest'));
    }
  });
});
