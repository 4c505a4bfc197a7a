/**
 * Manifest lines java.util.jar.Manifest refuses, in a jar jarsigner signed: a section appended to the signed
 * manifest by byte surgery (for an entry the jar does not hold) leaves every signed entry's .SF section digest
 * intact, so only the manifest's own syntax decides. keytool, jar, jarsigner and jarsigner -verify -strict run
 * once per UTC day into the fixture cache; jarsigner's answer is stored beside each jar.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  caSignedGoodJar,
  jarsignerVerifyStrict,
  putEntries,
  type StrictVerifyResult,
} from '../../helpers/jar/index.js';
import { config, evaluateFile } from '../helpers.js';

/** Sections appended to the signed manifest. */
const APPENDED = {
  // Control: a well-formed section for an absent entry; both accept the jar.
  control: 'Name: extra/absent.txt\r\nX-Note: fine\r\n\r\n',
  // 600 content bytes on one line: the JDK's 512-byte line buffer overflows ("line too long").
  'long-line': `Name: extra/absent.txt\r\nX-Note: ${'a'.repeat(592)}\r\n\r\n`,
  // 511 content bytes, then CRLF and a header: the JDK reads the LF as a blank line, then wants `Name:`.
  'crlf-511': `Name: extra/absent.txt\r\nX-Note: ${'a'.repeat(503)}\r\nX-More: 1\r\n\r\n`,
  // The section's Name is not its first line ("invalid manifest format").
  'name-not-first': 'X-Note: first\r\nName: extra/absent.txt\r\n\r\n',
} as const;
type Case = keyof typeof APPENDED;
const CASES = Object.keys(APPENDED) as Case[];

let dir: string;
let caPem: string;
let reference: Record<Case, StrictVerifyResult>;

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-manifest-lines-v1', async (d) => {
    const { trust } = caSignedGoodJar(d, 'Jar Lines');
    const manifest = Buffer.from(execFileSync('unzip', ['-p', join(d, 'good.jar'), 'META-INF/MANIFEST.MF']));
    for (const name of CASES) {
      const path = join(d, `${name}.jar`);
      copyFileSync(join(d, 'good.jar'), path);
      putEntries(path, {
        'META-INF/MANIFEST.MF': Buffer.concat([manifest, Buffer.from(APPENDED[name], 'latin1')]),
      });
    }
    const answers = Object.fromEntries(
      CASES.map((n) => [n, jarsignerVerifyStrict(join(d, `${n}.jar`), trust)]),
    );
    writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(answers));
  });
  caPem = join(dir, 'ca.pem');
  reference = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reference;
}, 300_000);

const verdict = async (name: Case) =>
  (await evaluateFile(join(dir, `${name}.jar`), 'jar', await config({ roots: [caPem] })))[0]!.verdict;

describe('manifest lines the JDK refuses, in a jarsigner-signed jar', () => {
  it('control: a well-formed section appended for an absent entry is accepted by both', async () => {
    expect(reference.control.passed, reference.control.output).toBe(true);
    expect(await verdict('control')).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('a 600-byte manifest line: invalid/MANIFEST_MALFORMED (jarsigner: line too long)', async () => {
    expect(reference['long-line'].passed).toBe(false);
    expect(reference['long-line'].output).toContain('line too long');
    expect(await verdict('long-line')).toMatchObject({ status: 'invalid', code: 'MANIFEST_MALFORMED' });
  });

  it('511 bytes before CRLF and a header: invalid/MANIFEST_MALFORMED (jarsigner: invalid manifest format)', async () => {
    expect(reference['crlf-511'].passed).toBe(false);
    expect(reference['crlf-511'].output).toContain('invalid manifest format');
    expect(await verdict('crlf-511')).toMatchObject({ status: 'invalid', code: 'MANIFEST_MALFORMED' });
  });

  it('a section whose Name is not its first line: invalid/MANIFEST_MALFORMED (jarsigner: invalid manifest format)', async () => {
    expect(reference['name-not-first'].passed).toBe(false);
    expect(reference['name-not-first'].output).toContain('invalid manifest format');
    expect(await verdict('name-not-first')).toMatchObject({ status: 'invalid', code: 'MANIFEST_MALFORMED' });
  });
});
