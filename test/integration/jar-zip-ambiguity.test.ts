/**
 * Issue #11, "one archive, one reading": a jarsigner-signed JAR, then byte surgery that makes
 * java.util.zip.ZipFile (jarsigner, `java -jar`, class loaders), JarInputStream (streaming tools) and an
 * offset-based reader (yauzl, ours) see different archives. Each case asserts what the JDK's own readers
 * see (a compiled Java program), jarsigner -verify -strict's verdict, and ours: invalid/ZIP_AMBIGUOUS
 * with the message naming the structure at fault, so that each case fails when its own defence in
 * src/formats/zip/structure.ts is removed (the other defences would name something else).
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeSignedJar,
  makeTruststore,
  putEntries,
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

beforeAll(async () => {
  dir = tempDir('sigscan-jar-zip-');
  const keystore = join(dir, 'keys.p12');
  genKey(keystore, { alias: 'ca', keyalg: 'RSA', dname: 'CN=Zip Ambiguity CA, O=Sigscan Tests' });
  genKey(keystore, {
    alias: 'signer',
    keyalg: 'RSA',
    dname: 'CN=Zip Ambiguity Signer, O=Sigscan Tests',
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

async function verdictOf(path: string): Promise<{ status: string; code: string; message: string }> {
  const outcomes = await evaluateFile(path, 'jar', await config({ roots: [caPem] }));
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!.verdict;
}

interface EndRecord {
  at: number;
  count: number;
  cenSize: number;
  cenOffset: number;
}

function endRecord(bytes: Buffer): EndRecord {
  const at = bytes.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  expect(at).toBeGreaterThan(0);
  return {
    at,
    count: bytes.readUInt16LE(at + 10),
    cenSize: bytes.readUInt32LE(at + 12),
    cenOffset: bytes.readUInt32LE(at + 16),
  };
}

/** Inserts `data` at `at` and moves every local-header offset (and the directory offset) behind it. */
function insertAt(bytes: Buffer, at: number, data: Buffer): Buffer {
  const out = Buffer.concat([bytes.subarray(0, at), data, bytes.subarray(at)]);
  const end = endRecord(out);
  expect(end.cenOffset).toBeGreaterThanOrEqual(at);
  const cen = end.cenOffset + data.length;
  out.writeUInt32LE(cen, end.at + 16);
  for (let p = cen, i = 0; i < end.count; i++) {
    const offset = out.readUInt32LE(p + 42);
    if (offset >= at) out.writeUInt32LE(offset + data.length, p + 42);
    p += 46 + out.readUInt16LE(p + 28) + out.readUInt16LE(p + 30) + out.readUInt16LE(p + 32);
  }
  return out;
}

/** Offset of the local header of `name`, from the central directory. */
function localHeaderOf(bytes: Buffer, name: string): number {
  const end = endRecord(bytes);
  for (let p = end.cenOffset, i = 0; i < end.count; i++) {
    const n = bytes.readUInt16LE(p + 28);
    if (bytes.subarray(p + 46, p + 46 + n).toString('utf8') === name) return bytes.readUInt32LE(p + 42);
    p += 46 + n + bytes.readUInt16LE(p + 30) + bytes.readUInt16LE(p + 32);
  }
  throw new Error(`no entry ${name}`);
}

/** A complete local header + data for `hello/Evil.txt`, made by Info-ZIP. */
async function evilLocalEntry(): Promise<Buffer> {
  const src = join(dir, 'evil-src');
  await run('mkdir', ['-p', join(src, 'hello')]);
  writeFileSync(join(src, 'hello', 'Evil.txt'), 'evil\n');
  const zip = join(dir, `evil-${Date.now()}.zip`);
  await run('zip', ['-q', '-X', zip, 'hello/Evil.txt'], { cwd: src });
  const bytes = readFileSync(zip);
  return bytes.subarray(0, endRecord(bytes).cenOffset);
}

describe('one archive, one reading (ZIP_AMBIGUOUS)', () => {
  it('the untouched JAR: every reader sees the same signed entries; verified, as jarsigner -strict', async () => {
    expect(jarsignerVerifyStrict(signed, trust).passed).toBe(true);
    // JarInputStream consumes the manifest itself; every other entry is the same, signed.
    const viaZipFile = (await java.zipFile(signed)).filter((l) => !l.startsWith('META-INF/MANIFEST.MF'));
    expect(viaZipFile).toContain('hello/Hello.txt\tsigned');
    expect(await java.stream(signed)).toEqual(viaZipFile);
    expect(await verdictOf(signed)).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
  });

  it('central directory at the end record offset differs from its position and size: the JDK reads the tampered copy', async () => {
    // The signed JAR's entries and directory first, then the whole tampered JAR. The tampered JAR's end
    // record, left as is, is the file's: its offset names where the signed directory now sits (what
    // offset-based readers use), its position minus size names the tampered directory (what ZipFile
    // uses, adding the prefix to every local offset).
    const tampered = join(dir, 'tampered.jar');
    copyFileSync(signed, tampered);
    // Incompressible, so that the tampered entries take more room than the signed ones.
    putEntries(tampered, { 'hello/Hello.txt': `hello, mallory ${randomBytes(3000).toString('base64')}\n` });
    const s = readFileSync(signed);
    const t = readFileSync(tampered);
    const sEnd = endRecord(s);
    const tEnd = endRecord(t);
    expect(sEnd.cenOffset).toBeLessThanOrEqual(tEnd.cenOffset);
    const file = join(dir, 'two-directories.jar');
    writeFileSync(
      file,
      Buffer.concat([
        s.subarray(0, sEnd.cenOffset),
        Buffer.alloc(tEnd.cenOffset - sEnd.cenOffset),
        s.subarray(sEnd.cenOffset, sEnd.cenOffset + sEnd.cenSize),
        t,
      ]),
    );
    // The JDK sees the tampered content and refuses it.
    expect(await java.get(file, 'hello/Hello.txt')).toMatch(/^EXCEPTION\tSecurityException\t.*digest error/);
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(false);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(v.message).toContain('by its position and size');
  });

  it('a ZIP64 end record that disagrees with the end record: the JDK uses the end record and refuses the file', async () => {
    const tree = join(dir, 'tree64');
    await run('mkdir', ['-p', tree]);
    await run('unzip', ['-q', '-o', signed, '-d', tree]);
    const file = join(dir, 'zip64.jar');
    await run('zip', ['-q', '-fz', '-r', file, 'META-INF', 'hello'], { cwd: tree });
    // As Info-ZIP wrote it, the two records agree, and every reader accepts it.
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(true);
    expect(await verdictOf(file)).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });

    const bytes = readFileSync(file);
    const end = endRecord(bytes);
    expect(bytes.lastIndexOf(Buffer.from('PK\x06\x06', 'latin1'))).toBeGreaterThan(0);
    expect(end.count).not.toBe(0xffff); // a real count, so the JDK's double-check compares it
    bytes.writeUInt16LE(end.count - 1, end.at + 8);
    bytes.writeUInt16LE(end.count - 1, end.at + 10);
    writeFileSync(file, bytes);
    expect((await java.zipFile(file))[0]).toMatch(/^EXCEPTION\tZipException\tinvalid END header/);
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(false);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(v.message).toContain('ZIP64 end record disagrees');
  });

  it('more central-directory headers than the end record declares: the JDK reads them all and sees an unsigned entry', async () => {
    const file = join(dir, 'hidden-header.jar');
    copyFileSync(signed, file);
    putEntries(file, { 'hello/Evil.txt': 'evil\n' }); // Info-ZIP appends its header last
    const bytes = readFileSync(file);
    const end = endRecord(bytes);
    bytes.writeUInt16LE(end.count - 1, end.at + 8);
    bytes.writeUInt16LE(end.count - 1, end.at + 10);
    writeFileSync(file, bytes);
    expect(await java.zipFile(file)).toContain('hello/Evil.txt\tunsigned');
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(false);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(v.message).toContain('headers but the end record declares');
  });

  it('a local entry hidden between two entries: ZipFile never sees it, JarInputStream does (unsigned)', async () => {
    const bytes = readFileSync(signed);
    const file = join(dir, 'between.jar');
    writeFileSync(file, insertAt(bytes, localHeaderOf(bytes, 'hello/Hello.txt'), await evilLocalEntry()));
    expect(await java.zipFile(file)).not.toContainEqual(expect.stringContaining('Evil'));
    expect(await java.stream(file)).toContain('hello/Evil.txt\tunsigned');
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(true); // the JDK's verifier is fooled
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(v.message).toMatch(
      /^\d+ bytes between the data of .* and the local header of hello\/Hello.txt belong to no entry$/,
    );
  });

  it('a local entry before the first one (offsets adjusted, as zip -A does): only streaming readers see it', async () => {
    const file = join(dir, 'prefix.jar');
    writeFileSync(file, insertAt(readFileSync(signed), 0, await evilLocalEntry()));
    expect(await java.zipFile(file)).not.toContainEqual(expect.stringContaining('Evil'));
    expect((await java.stream(file))[0]).toBe('hello/Evil.txt\tunsigned');
    expect(jarsignerVerifyStrict(file, trust).passed).toBe(true);
    const v = await verdictOf(file);
    expect(v).toMatchObject({ status: 'invalid', code: 'ZIP_AMBIGUOUS' });
    expect(v.message).toMatch(
      /^\d+ bytes between the start of the file and the local header of META-INF\/MANIFEST.MF belong to no entry$/,
    );
  });
});
