import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { analyzeJar, isSignatureRelated, looksLikeJar } from '../../../src/formats/jar/index.js';
import { jarsignerVerify, putEntries, readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { PROJECT_ROOT } from '../../helpers/tools.js';

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

/**
 * Byte surgery on a jarsigner-signed JAR (fixtures/jar/hello-signed.jar), one fault per JAR, each
 * yielding exactly one integrity code (issue #18). The oracle is `jarsigner -verify -strict`, which must
 * refuse every one. The JARs and jarsigner's answers are cached on disk (keyed by SURGERY_VERSION): a
 * JVM per case is seconds, and Stryker reruns beforeAll for every mutant.
 */
describe('analyzeJar on a jarsigner-signed JAR after byte surgery (oracle: jarsigner -verify -strict)', () => {
  const SURGERY_VERSION = 'jar-surgery-v2';
  const cache = join(PROJECT_ROOT, '.cache', 'test-fixtures', SURGERY_VERSION);
  const SIGNED = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
  const MANIFEST =
    'Manifest-Version: 1.0\r\nCreated-By: 17.0.21.1 (Debian)\r\n\r\n' +
    'Name: com/example/hello.txt\r\nSHA-256-Digest: 6NnDzDyC3UzmHUHZEup00dxzQaKciPdosG2KcZIeLg8=\r\n\r\n';
  const SECTION =
    'Name: com/example/hello.txt\r\nSHA-256-Digest: 6NnDzDyC3UzmHUHZEup00dxzQaKciPdosG2KcZIeLg8=\r\n\r\n';
  const sf = () => execFileSync('unzip', ['-p', SIGNED, 'META-INF/RELEASE.SF'], { encoding: 'utf8' });

  /** Each case: the entries replaced or added with Info-ZIP zip. */
  const CASES: Record<string, () => Record<string, string | Uint8Array>> = {
    // The same Name: twice: which section a reader uses is its choice.
    'duplicate-section': () => ({ 'META-INF/MANIFEST.MF': MANIFEST + SECTION }),
    // A main attribute added after signing: whole-manifest and main-attributes digests both fail.
    'main-attributes': () => ({
      'META-INF/MANIFEST.MF': MANIFEST.replace('\r\n\r\n', '\r\nClass-Path: evil.jar\r\n\r\n'),
    }),
    // The .SF without its Signature-Version header.
    'sf-no-version': () => ({ 'META-INF/RELEASE.SF': sf().replace('Signature-Version: 1.0\r\n', '') }),
    // The block replaced by bytes that are not DER.
    'block-not-cms': () => ({ 'META-INF/RELEASE.RSA': 'not a PKCS#7 SignedData\n' }),
    // A second .SF differing only in case: which one a case-insensitive reader takes is its choice.
    'sf-case-twin': () => ({ 'META-INF/release.sf': sf().replace('Created-By', 'Created-by') }),
  };

  let oracle: Record<string, { verified: boolean; exitCode: number }>;
  beforeAll(() => {
    const answers = join(cache, 'jarsigner.json');
    if (!existsSync(answers)) {
      rmSync(cache, { recursive: true, force: true });
      mkdirSync(cache, { recursive: true });
      const found: typeof oracle = {};
      for (const [name, files] of Object.entries(CASES)) {
        const jar = join(cache, `${name}.jar`);
        copyFileSync(SIGNED, jar);
        putEntries(jar, files());
        const r = jarsignerVerify(jar);
        found[name] = { verified: r.verified, exitCode: r.exitCode };
      }
      const control = jarsignerVerify(SIGNED);
      found['control'] = { verified: control.verified, exitCode: control.exitCode };
      writeFileSync(answers, JSON.stringify(found));
    }
    oracle = JSON.parse(readFileSync(answers, 'utf8')) as typeof oracle;
  }, 180_000);

  const integrity = async (name: string) => {
    const a = await analyzeJar(new Uint8Array(readFileSync(join(cache, `${name}.jar`))));
    return [...a.findings, ...a.signatures.flatMap((s) => s.findings)]
      .filter((f) => f.severity === 'integrity')
      .map((f) => f.code)
      .sort();
  };

  it('the unmodified JAR: jarsigner verifies, no integrity finding (the control)', async () => {
    expect(oracle['control']!.verified).toBe(true);
    const a = await analyzeJar(readBytes(SIGNED));
    expect(
      [...a.findings, ...a.signatures.flatMap((s) => s.findings)].filter((f) => f.severity === 'integrity'),
    ).toEqual([]);
  });

  it('a manifest naming one entry twice: DUPLICATE_MANIFEST_SECTION', async () => {
    expect(oracle['duplicate-section']!.verified).toBe(false);
    expect(await integrity('duplicate-section')).toEqual(['DUPLICATE_MANIFEST_SECTION']);
  });

  it('a main attribute added after signing: SF_DIGEST_MISMATCH (main attributes)', async () => {
    expect(oracle['main-attributes']!.verified).toBe(false);
    expect(await integrity('main-attributes')).toEqual(['SF_DIGEST_MISMATCH']);
  });

  it('a .SF without Signature-Version: SIGNATURE_FILE_MALFORMED', async () => {
    expect(oracle['sf-no-version']!.verified).toBe(false);
    expect(await integrity('sf-no-version')).toEqual(['SIGNATURE_FILE_MALFORMED']);
  });

  it('a block that is not CMS: SIGNATURE_BLOCK_MALFORMED', async () => {
    expect(oracle['block-not-cms']!.verified).toBe(false);
    expect(await integrity('block-not-cms')).toEqual(['SIGNATURE_BLOCK_MALFORMED']);
  });

  it('two .SF files differing only in case: AMBIGUOUS_SIGNATURE_FILE', async () => {
    // The JDK's verifier names entries case-insensitively in META-INF, so the twin is also a collision.
    expect(await integrity('sf-case-twin')).toEqual(['AMBIGUOUS_SIGNATURE_FILE', 'DUPLICATE_ENTRY']);
    // jarsigner accepts it like the control (it reads whichever .SF its ZIP index returns); sigscan
    // refuses, since another reader could take the other one.
    expect(oracle['sf-case-twin']).toEqual(oracle['control']);
  });
});
