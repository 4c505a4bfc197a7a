import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { analyzeJar, isSignatureRelated, looksLikeJar } from '../../../src/formats/jar/index.js';
import { readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

describe('isSignatureRelated (JDK JarFile rule)', () => {
  it.each([
    ['META-INF/MANIFEST.MF', true],
    ['meta-inf/manifest.mf', true],
    ['META-INF/CERT.SF', true],
    ['META-INF/cert.rsa', true],
    ['META-INF/KEY.EC', true],
    ['META-INF/KEY.DSA', true],
    ['META-INF/SIG-FOO', true],
    ['META-INF/SIG-FOO.P7', true],
    ['META-INF/SIG-Test.file', false],
    ['META-INF/sub/CERT.RSA', false],
    ['META-INF/services/x.Y', false],
    ['META-INF/maven/pom.xml', false],
    ['CERT.RSA', false],
  ])('%s → %s', (name, want) => {
    expect(isSignatureRelated(name)).toBe(want);
  });
});

describe('looksLikeJar / analyzeJar on plain archives', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('sigscan-jarfmt-');
  });
  afterAll(() => removeDir(dir));

  it('a ZIP without a manifest is not a JAR; random bytes are not either', async () => {
    writeFileSync(join(dir, 'a.txt'), 'a');
    execFileSync('zip', ['-q', '-j', join(dir, 'plain.zip'), join(dir, 'a.txt')]);
    expect(await looksLikeJar(readBytes(join(dir, 'plain.zip')))).toBe(false);
    expect(await looksLikeJar(new Uint8Array(1000).fill(0x50))).toBe(false);
    expect(await looksLikeJar(new Uint8Array(0))).toBe(false);
    const a = await analyzeJar(readBytes(join(dir, 'plain.zip')));
    expect(a.signatures).toEqual([]);
    expect(a.entriesTotal).toBe(1);
  });

  it('a block file without its .SF and without a manifest is still reported', async () => {
    const der = execFileSync('unzip', [
      '-p',
      `${CORPUS_DIR}/jar/equinox/signed.jar`,
      'META-INF/CA1_LEAF.RSA',
    ]);
    const src = join(dir, 'src');
    execFileSync('mkdir', ['-p', join(src, 'META-INF')]);
    writeFileSync(join(src, 'META-INF', 'CA1_LEAF.RSA'), der);
    writeFileSync(join(src, 'x.txt'), 'x');
    execFileSync('zip', ['-q', '-r', join(dir, 'orphan.zip'), 'META-INF', 'x.txt'], { cwd: src });
    const a = await analyzeJar(readBytes(join(dir, 'orphan.zip')));
    expect(a.signatures).toHaveLength(1);
    const codes = [...a.findings, ...a.signatures[0]!.findings].map((f) => f.code);
    expect(codes).toEqual(
      expect.arrayContaining(['MANIFEST_MISSING', 'SIGNATURE_FILE_MISSING', 'UNSIGNED_ENTRIES']),
    );
    expect(a.signatures[0]!.signerCertificate!.summary.subject).toBe(
      'CN=CA1 LeafA,O=CA1,L=Boston,ST=Massachusetts,C=US',
    );
  });
});
