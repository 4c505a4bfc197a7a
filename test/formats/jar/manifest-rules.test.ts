/**
 * parseManifest against the JDK's own reader on the same bytes: java.util.jar.Manifest (JDK 17), run once
 * per UTC day over every case into the fixture cache (javac and one JVM; Stryker reruns this file's hook for
 * every mutant it covers). Each case asserts sigscan's exact result (errors, byte offsets, flags) and what
 * the JDK made of the bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { mainSectionBytes, parseManifest, sectionBytes } from '../../../src/formats/jar/index.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { run } from '../../helpers/tools.js';

const CASES: Record<string, string> = {
  // A header line with no ": " at all, its name made of valid header characters.
  'no-colon': 'Manifest-Version: 1.0\r\nNoColonHere\r\n\r\n',
  // A colon and a space, but a name with a character a header name may not hold.
  'bad-name': 'Manifest-Version: 1.0\r\nBad Name: x\r\n\r\n',
  'name-too-long': `Manifest-Version: 1.0\r\n${'A'.repeat(71)}: x\r\n\r\n`,
  'name-70': `Manifest-Version: 1.0\r\n${'A'.repeat(70)}: x\r\n\r\n`,
  // The last named section ends at EOF, with no line break at all.
  'no-final-newline': 'Manifest-Version: 1.0\r\n\r\nName: a.txt\r\nX-Y: z',
  terminated: 'Manifest-Version: 1.0\r\n\r\nName: a.txt\r\nX-Y: z\r\n\r\n',
  empty: '',
  // A blank line before the first header.
  'leading-blank': '\r\nManifest-Version: 1.0\r\n\r\nName: a.txt\r\nX-Y: z\r\n\r\n',
  // A named section whose first line is not its Name (the Name further down).
  'name-not-first': 'Manifest-Version: 1.0\r\n\r\nX-Y: z\r\nName: a.txt\r\nX-D: 1\r\n\r\n',
  // Any case of `Name`, first line; a second name-like header is an attribute.
  'name-upper': 'Manifest-Version: 1.0\r\n\r\nNAME: a.txt\r\nname: b\r\n\r\n',
  // Lines against the JDK's 512-byte line buffer: `X-L: ` + n - 5 bytes is a line of n content bytes.
  'lf-511': `Manifest-Version: 1.0\nX-L: ${'a'.repeat(506)}\nX-B: 1\n\n`,
  'lf-512': `Manifest-Version: 1.0\nX-L: ${'a'.repeat(507)}\nX-B: 1\n\n`,
  'cr-512': `Manifest-Version: 1.0\rX-L: ${'a'.repeat(507)}\rX-B: 1\r\r`,
  'eof-511': `Manifest-Version: 1.0\r\n\r\nName: a.txt\r\nX-L: ${'a'.repeat(506)}`,
  'eof-512': `Manifest-Version: 1.0\r\n\r\nName: a.txt\r\nX-L: ${'a'.repeat(507)}`,
  'name-512': `Manifest-Version: 1.0\r\n\r\nName: ${'b'.repeat(506)}\r\nX-B: 1\r\n\r\n`,
  'crlf-510': `Manifest-Version: 1.0\r\nX-L: ${'a'.repeat(505)}\r\nX-B: 1\r\n\r\n`,
  // 511 content bytes and CRLF: the CR is the buffer's last byte and the LF is read as a blank line.
  'crlf-511': `Manifest-Version: 1.0\r\nX-L: ${'a'.repeat(506)}\r\nX-B: 1\r\n\r\n`,
  'crlf-511-name': `Manifest-Version: 1.0\r\nX-L: ${'a'.repeat(506)}\r\nName: c\r\nX: y\r\n\r\n`,
  'crlf-511-blank': `Manifest-Version: 1.0\r\nX-L: ${'a'.repeat(506)}\r\n\r\nName: c\r\nX: y\r\n\r\n`,
  'crlf-511-lf': `Manifest-Version: 1.0\r\nX-L: ${'a'.repeat(506)}\r\n\nName: c\r\nX: y\r\n\r\n`,
  // A continuation line with no header before it, as the first line.
  'continuation-first': ' Manifest-Version: 1.0\r\n\r\n',
  'crlf-511-eof': `Manifest-Version: 1.0\r\n\r\nName: c\r\nX-L: ${'a'.repeat(506)}\r\n`,
};

const SOURCE = `
import java.io.*;
import java.nio.file.*;
import java.util.*;
import java.util.jar.*;
public class ManifestReader {
  public static void main(String[] args) throws Exception {
    for (int i = 0; i < args.length; i++) {
      StringBuilder out = new StringBuilder();
      try (InputStream in = new FileInputStream(args[i])) {
        Manifest m = new Manifest(in);
        List<String> main = new ArrayList<>();
        for (Map.Entry<Object, Object> e : m.getMainAttributes().entrySet()) main.add(e.getKey() + "=" + e.getValue());
        Collections.sort(main);
        List<String> names = new ArrayList<>(m.getEntries().keySet());
        Collections.sort(names);
        out.append("OK main=").append(String.join(";", main)).append(" entries=").append(String.join(";", names));
      } catch (Exception ex) {
        out.append("EXCEPTION ").append(ex.getClass().getSimpleName()).append(": ").append(ex.getMessage());
      }
      System.out.println(new File(args[i]).getName() + "\\t" + out);
    }
  }
}
`;

let jdk: Record<string, string>;

beforeAll(async () => {
  const dir = await cachedFixtureDir('jar-manifest-rules-v4', async (d) => {
    const files = Object.entries(CASES).map(([name, text]) => {
      const path = join(d, `${name}.mf`);
      writeFileSync(path, text, 'latin1');
      return path;
    });
    writeFileSync(join(d, 'ManifestReader.java'), SOURCE);
    await run('javac', ['-d', d, join(d, 'ManifestReader.java')]);
    const { stdout } = await run('java', ['-cp', d, 'ManifestReader', ...files]);
    const answers = Object.fromEntries(
      stdout
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => {
          const [file, answer] = l.split('\t');
          return [file!.replace(/\.mf$/, ''), answer!];
        }),
    );
    writeFileSync(join(d, 'jdk.json'), JSON.stringify(answers));
  });
  jdk = JSON.parse(readFileSync(join(dir, 'jdk.json'), 'utf8')) as Record<string, string>;
}, 120_000);

const parse = (name: string) => parseManifest(new Uint8Array(Buffer.from(CASES[name]!, 'latin1')));

describe('parseManifest header lines, as java.util.jar.Manifest reads them', () => {
  it('a line without ": " is an invalid header field, even when its characters could form a name', () => {
    expect(parse('no-colon').errors).toEqual([{ line: 2, message: 'invalid header field (line 2)' }]);
    expect(parse('no-colon').main.attributes.map((a) => a.name)).toEqual(['Manifest-Version']);
    expect(jdk['no-colon']).toBe('EXCEPTION IOException: invalid header field (line 2)');
  });

  it('a name with a space before ": " is refused (Attributes.Name allows letters, digits, "_" and "-")', () => {
    expect(parse('bad-name').errors).toEqual([{ line: 2, message: 'invalid header field (line 2)' }]);
    expect(jdk['bad-name']).toBe('EXCEPTION IOException: invalid header field name: Bad Name (line 2)');
  });

  it('a header name is at most 70 characters', () => {
    expect(parse('name-too-long').errors).toEqual([{ line: 2, message: 'invalid header field (line 2)' }]);
    expect(jdk['name-too-long']).toBe(
      `EXCEPTION IOException: invalid header field name: ${'A'.repeat(71)} (line 2)`,
    );
    const ok = parse('name-70');
    expect(ok.errors).toEqual([]);
    expect(ok.main.attributes.map((a) => a.name)).toEqual(['Manifest-Version', 'A'.repeat(70)]);
    expect(jdk['name-70']).toBe(`OK main=${'A'.repeat(70)}=x;Manifest-Version=1.0 entries=`);
  });
});

describe('parseManifest section ranges and flags', () => {
  it('a section that runs to EOF without a line break ends exactly at the last byte', () => {
    const bytes = CASES['no-final-newline']!;
    const m = parse('no-final-newline');
    expect(m.errors).toEqual([]);
    const s = m.sections[0]!;
    expect(s).toMatchObject({ name: 'a.txt', start: 25, endOfAttributes: bytes.length, end: bytes.length });
    expect(s.terminated).toBe(false);
    expect(m.main).toMatchObject({ start: 0, endOfAttributes: 23, end: 25, terminated: true });
    // The JDK reads the unterminated last line as well.
    expect(jdk['no-final-newline']).toBe('OK main=Manifest-Version=1.0 entries=a.txt');
  });

  it('a blank line marks the section terminated; the main section too', () => {
    const m = parse('terminated');
    expect(m.main.terminated).toBe(true);
    expect(m.sections[0]).toMatchObject({
      name: 'a.txt',
      terminated: true,
      end: CASES['terminated']!.length,
    });
    expect(jdk['terminated']).toBe('OK main=Manifest-Version=1.0 entries=a.txt');
  });

  it('an empty manifest has an empty, unterminated main section and no sections', () => {
    const m = parse('empty');
    expect(m.main).toEqual({ attributes: [], start: 0, endOfAttributes: 0, end: 0, terminated: false });
    expect(m.sections).toEqual([]);
    expect(m.errors).toEqual([]);
    expect(jdk['empty']).toBe('OK main= entries=');
  });

  it('leading blank line: refused as the JDK refuses it; the main section (and its digest) still starts at byte 0', () => {
    const m = parse('leading-blank');
    // Fixed here: sigscan used to accept this file silently (MANIFEST_MALFORMED / SIGNATURE_FILE_MALFORMED now).
    expect(m.errors).toEqual([{ line: 2, message: 'invalid manifest format (line 2)' }]);
    expect(m.main.start).toBe(0);
    expect(Buffer.from(mainSectionBytes(m)).toString('latin1')).toBe('\r\nManifest-Version: 1.0\r\n\r\n');
    expect(Buffer.from(sectionBytes(m, m.sections[0]!)).toString('latin1')).toBe(
      'Name: a.txt\r\nX-Y: z\r\n\r\n',
    );
    expect(jdk['leading-blank']).toBe('EXCEPTION IOException: invalid manifest format (line 2)');
  });
});

describe('parseManifest continuation lines', () => {
  it('a continuation line with no header before it is an error and adds nothing', () => {
    const m = parse('continuation-first');
    expect(m.errors).toEqual([{ line: 1, message: 'continuation line without a header (line 1)' }]);
    expect(m.main.attributes).toEqual([]);
    expect(jdk['continuation-first']).toBe('EXCEPTION IOException: misplaced continuation line (line 1)');
  });
});

describe('parseManifest section names, as java.util.jar.Manifest reads them', () => {
  it("a section's first line must be its Name: one with the Name further down is refused", () => {
    // Fixed here: sigscan used to take the later Name as the section's, where the JDK throws.
    const m = parse('name-not-first');
    expect(m.errors).toEqual([{ line: 3, message: 'invalid manifest format (line 3)' }]);
    expect(jdk['name-not-first']).toBe('EXCEPTION IOException: invalid manifest format (line 3)');
  });

  it('the first line names the section in any case; a later name-like header does not', () => {
    const m = parse('name-upper');
    expect(m.errors).toEqual([]);
    expect(m.sections.map((s) => s.name)).toEqual(['a.txt']);
    expect(jdk['name-upper']).toBe('OK main=Manifest-Version=1.0 entries=a.txt');
  });
});

describe('parseManifest and the JDK 512-byte line buffer', () => {
  const ok = (name: string) => jdk[name]!.startsWith('OK ');
  const lineErrors = (name: string) => parse(name).errors;

  it('a line of 512 content bytes or more is refused, whatever its terminator, and at EOF', () => {
    // Fixed here: sigscan used to read such a manifest (or .SF) whole, where the JDK throws and never verifies.
    expect(lineErrors('lf-512')).toEqual([{ line: 2, message: 'line too long (line 2)' }]);
    expect(lineErrors('cr-512')).toEqual([{ line: 2, message: 'line too long (line 2)' }]);
    expect(lineErrors('eof-512')).toEqual([{ line: 4, message: 'line too long (line 4)' }]);
    expect(lineErrors('name-512')).toEqual([{ line: 3, message: 'line too long (line 3)' }]);
    expect(jdk['lf-512']).toBe('EXCEPTION IOException: line too long (line 2)');
    expect(jdk['cr-512']).toBe('EXCEPTION IOException: line too long (line 2)');
    expect(jdk['eof-512']).toBe('EXCEPTION IOException: line too long (line 4)');
    expect(jdk['name-512']).toBe('EXCEPTION IOException: manifest line too long (line 3)');
  });

  it('511 content bytes fit, and so do 510 before a CRLF', () => {
    for (const name of ['lf-511', 'eof-511', 'crlf-510']) {
      expect(lineErrors(name), name).toEqual([]);
      expect(ok(name), name).toBe(true);
    }
    expect(parse('lf-511').main.attributes.map((a) => [a.name, a.value.length])).toEqual([
      ['Manifest-Version', 3],
      ['X-L', 506],
      ['X-B', 1],
    ]);
    expect(parse('eof-511').sections[0]).toMatchObject({ name: 'a.txt', terminated: false });
  });

  it('511 content bytes before a CRLF: the JDK reads the LF as a blank line, so a header after it is refused', () => {
    expect(lineErrors('crlf-511')).toEqual([{ line: 3, message: 'invalid manifest format (line 3)' }]);
    expect(jdk['crlf-511']).toBe('EXCEPTION IOException: invalid manifest format (line 4)');
    // The JDK reads a new section `c` here where sigscan's byte ranges see one main section: refused, not
    // read two ways (the JDK would accept it).
    expect(lineErrors('crlf-511-name')).toEqual([{ line: 3, message: 'invalid manifest format (line 3)' }]);
    expect(jdk['crlf-511-name']).toBe(`OK main=Manifest-Version=1.0;X-L=${'a'.repeat(506)} entries=c`);
    // A blank line (or EOF) after it: both read the same sections.
    const blank = parse('crlf-511-blank');
    expect(blank.errors).toEqual([]);
    expect(blank.sections.map((s) => s.name)).toEqual(['c']);
    expect(jdk['crlf-511-blank']).toBe(`OK main=Manifest-Version=1.0;X-L=${'a'.repeat(506)} entries=c`);
    const lf = parse('crlf-511-lf');
    expect(lf.errors).toEqual([]);
    expect(lf.sections.map((s) => s.name)).toEqual(['c']);
    expect(jdk['crlf-511-lf']).toBe(`OK main=Manifest-Version=1.0;X-L=${'a'.repeat(506)} entries=c`);
    expect(lineErrors('crlf-511-eof')).toEqual([]);
    expect(jdk['crlf-511-eof']).toBe('OK main=Manifest-Version=1.0 entries=c');
  });
});
