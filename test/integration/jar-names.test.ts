/**
 * Issue #11, entry names: a jarsigner-signed JAR, then entries added or removed with Info-ZIP or Python's
 * zipfile, so that the archive a JDK consumer reads differs from what was signed, or the JDK treats the
 * JAR as unsigned. Each case asserts jarsigner -verify -strict and, where it matters, what JarFile itself
 * returns (a compiled Java program), beside our verdict with its exact status and code.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan, type JsonTarget } from '../helpers/cli.js';
import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeSignedJar,
  makeTruststore,
  removeDir,
  tempDir,
} from '../helpers/jar/index.js';
import { compileJavaReaders, type JavaReaders } from '../helpers/jar/java-readers.js';
import { run } from '../helpers/tools.js';
import { config, evaluateFile } from '../trust/helpers.js';

let dir: string;
let caPem: string;
let trust: string;
let signed: string;
let java: JavaReaders;
let counter = 0;

beforeAll(async () => {
  dir = tempDir('sigscan-jar-names-');
  const keystore = join(dir, 'keys.p12');
  genKey(keystore, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Jar Names CA, O=Sigscan Tests' });
  genKey(keystore, {
    alias: 'signer',
    keyalg: 'RSA',
    dname: 'CN=Jar Names Signer, O=Sigscan Tests',
    issuerAlias: 'ca',
  });
  caPem = exportCertPem(keystore, 'ca', join(dir, 'ca.pem'));
  trust = makeTruststore(join(dir, 'trust.p12'), { ca: caPem });
  signed = makeSignedJar(dir, {
    name: 'signed.jar',
    alias: 'signer',
    keyalg: 'RSA',
    dname: '',
    keystore,
    skipKeygen: true,
  }).path;
  java = await compileJavaReaders(dir);
}, 120_000);

afterAll(() => removeDir(dir));

/** A copy of the signed JAR with entries appended by Python's zipfile (which writes any name given). */
async function withEntries(entries: Record<string, string | Buffer>): Promise<string> {
  const file = join(dir, `variant-${++counter}.jar`);
  copyFileSync(signed, file);
  const script = [
    'import json, sys, warnings, zipfile',
    'warnings.simplefilter("ignore")',
    'entries = json.loads(sys.argv[2])',
    'with zipfile.ZipFile(sys.argv[1], "a") as z:',
    '    for name, hexdata in entries.items(): z.writestr(name, bytes.fromhex(hexdata))',
  ].join('\n');
  const hex = Object.fromEntries(
    Object.entries(entries).map(([k, v]) => [k, Buffer.from(v).toString('hex')]),
  );
  await run('python3', ['-c', script, file, JSON.stringify(hex)]);
  return file;
}

function entryOf(name: string): Buffer {
  const script =
    'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))';
  return execFileSync('python3', ['-c', script, signed, name]);
}

async function verdictOf(path: string): Promise<{ status: string; code: string; message: string }> {
  const outcomes = await evaluateFile(path, 'jar', await config({ roots: [caPem] }));
  expect(outcomes.length).toBeGreaterThan(0);
  return outcomes[0]!.verdict;
}

describe('entry names (issue #11)', () => {
  it('baseline: the signed JAR verifies, as jarsigner -strict', async () => {
    expect(jarsignerVerifyStrict(signed, trust).passed).toBe(true);
    expect(await verdictOf(signed)).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('a second manifest differing only in case: the JDK treats the JAR as unsigned', async () => {
    const file = await withEntries({ 'meta-inf/manifest.mf': 'Manifest-Version: 1.0\r\n\r\n' });
    expect(await java.zipFile(file)).toContain('hello/Hello.txt\tunsigned');
    const tool = jarsignerVerifyStrict(file, trust);
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('the jar will be treated as unsigned');
    expect(await verdictOf(file)).toMatchObject({ status: 'invalid', code: 'MULTIPLE_MANIFESTS' });
  });

  it("a second .SF differing only in case from the signer's: names one file for the JDK verifier", async () => {
    const file = await withEntries({ 'META-INF/signer.sf': entryOf('META-INF/SIGNER.SF') });
    // Same bytes under another case: the JDK's verifier keys .SF files by upper-cased name.
    const tool = jarsignerVerifyStrict(file, trust);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'DUPLICATE_ENTRY' });
    expect(v.message).toBe(
      "entries META-INF/SIGNER.SF, META-INF/signer.sf name the same file for the JDK's JAR verifier",
    );
    // jarsigner has no rule here; recorded so a change in the JDK shows up.
    expect(tool.passed).toBe(true);
  });

  it('signature files in a META-INF subdirectory are ordinary, unsigned entries', async () => {
    const file = await withEntries({
      'META-INF/sub/SIGNER.SF': entryOf('META-INF/SIGNER.SF'),
      'META-INF/sub/SIGNER.RSA': entryOf('META-INF/SIGNER.RSA'),
    });
    const tool = jarsignerVerifyStrict(file, trust);
    expect(tool.passed).toBe(false);
    expect(tool.output).toContain('unsigned entries');
    expect(await verdictOf(file)).toMatchObject({ status: 'invalid', code: 'UNSIGNED_ENTRIES' });
  });

  it('./hello/Hello.txt beside hello/Hello.txt: the JDK verifier maps both to one name', async () => {
    const file = await withEntries({ './hello/Hello.txt': 'hello, mallory\n' });
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(false);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'DUPLICATE_ENTRY' });
    expect(v.message).toContain('./hello/Hello.txt');
  });

  it('an entry named like a directory that carries data: JarFile.getEntry serves it, unsigned, for the name without /', async () => {
    const file = await withEntries({ 'hello/Evil.class/': 'not signed by anyone' });
    expect(await java.get(file, 'hello/Evil.class')).toBe(
      'hello/Evil.class/\tunsigned\tnot signed by anyone',
    );
    // jarsigner refuses the JAR too; a class loader asking for hello/Evil.class still gets the entry.
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(false);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'DIRECTORY_ENTRY_WITH_DATA' });
    expect(v.message).toContain('hello/Evil.class/');
  });

  it('a signed entry removed from the archive: invalid/ENTRY_MISSING (jarsigner only warns)', async () => {
    const file = join(dir, 'removed.jar');
    copyFileSync(signed, file);
    await run('zip', ['-q', '-d', file, 'hello/Hello.txt']);
    const tool = jarsignerVerifyStrict(file, trust);
    expect(tool.passed).toBe(true);
    const v = await verdictOf(file);
    expect(v).toMatchObject({
      status: 'invalid',
      code: 'ENTRY_MISSING',
      message: 'META-INF/SIGNER.SF signs hello/Hello.txt, which is not in the archive',
    });
  });

  it('nested: a JAR inside a WAR gets the same checks', async () => {
    const removed = join(dir, 'removed.jar');
    const evil = await withEntries({ 'hello/Evil.class/': 'not signed by anyone' });
    const tree = join(dir, 'war');
    await run('mkdir', ['-p', join(tree, 'WEB-INF', 'lib')]);
    copyFileSync(signed, join(tree, 'WEB-INF', 'lib', 'good.jar'));
    copyFileSync(removed, join(tree, 'WEB-INF', 'lib', 'removed.jar'));
    copyFileSync(evil, join(tree, 'WEB-INF', 'lib', 'evil.jar'));
    const war = join(dir, 'app.war');
    await run('zip', ['-q', '-r', war, 'WEB-INF'], { cwd: tree });
    expect(readFileSync(war).length).toBeGreaterThan(0);
    const res = await sigscan(['fs', war, '-o', 'json', '--trust-root', caPem]);
    const doc = JSON.parse(res.stdout) as { targets: JsonTarget[] };
    const verdicts = Object.fromEntries(
      doc.targets
        .filter((t) => t.signatures.length > 0)
        .map((t) => [String(t.path).split('!/').pop(), t.signatures.map((s) => s.verdict)]),
    );
    expect(verdicts['WEB-INF/lib/good.jar']).toMatchObject([{ status: 'verified', code: 'CHAIN_VALID' }]);
    expect(verdicts['WEB-INF/lib/removed.jar']).toMatchObject([{ status: 'invalid', code: 'ENTRY_MISSING' }]);
    expect(verdicts['WEB-INF/lib/evil.jar']).toMatchObject([
      { status: 'invalid', code: 'DIRECTORY_ENTRY_WITH_DATA' },
    ]);
  });
});
