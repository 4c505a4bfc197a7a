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
  const dir = await cachedFixtureDir('jar-manifest-rules-v1', async (d) => {
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
