import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { jarDetector, type JarEvidenceMaterial } from '../../src/detectors/jar.js';
import { SigscanError } from '../../src/errors.js';
import type { Evidence, FileTarget } from '../../src/model/index.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { sameDn } from '../helpers/dn.js';
import {
  genKey,
  jarsignerVerify,
  makeJar,
  makeSignedJar,
  makeZipWithDuplicate,
  putEntries,
  readBytes,
  removeDir,
  tempDir,
  type JarsignerReport,
  type SignedJar,
} from '../helpers/jar/index.js';
import { breathe, cachedFixtureDir } from '../helpers/fixture-cache.js';

const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;

async function detect(path: string, bytes = readBytes(path)): Promise<Evidence[]> {
  const target: FileTarget = { kind: 'file', path, size: bytes.length, digest: 'sha256:x', format: 'jar' };
  const out: Evidence[] = [];
  for await (const ev of jarDetector.detect(target, {
    file: { absolutePath: path, bytes },
    limits: DEFAULT_LIMITS,
    log: silent,
  })) {
    out.push(ev);
  }
  return out;
}

const codes = (ev: Evidence): string[] => (ev.findings ?? []).map((f) => f.code);

describe('jarDetector with jars made by keytool/jar/jarsigner', () => {
  let dir: string;
  let scratch: string;
  let rsa: SignedJar;
  let ec: SignedJar;
  let leaf: SignedJar;
  /** jarsigner -verify -verbose -certs -strict on each jar, run once on the cached bytes (see the build). */
  let reports: Record<string, JarsignerReport>;

  beforeAll(async () => {
    // keytool, jar, jarsigner, zip and jarsigner -verify (a JVM each, about 30 s in all) run once per UTC day
    // into the fixture cache, with each variant made after signing: Stryker reruns this hook for every mutant
    // the file's tests cover. jarsigner's report is a property of the bytes, so it is stored beside them and
    // each test compares the detector's live result with it. The certificates are valid for keytool's default
    // 90 days, so nothing changes within the cache's day.
    dir = await cachedFixtureDir('jar-detector-keytool-v1', async (d) => {
      const rsaJar = makeSignedJar(d, {
        name: 'rsa.jar',
        alias: 'rsasigner',
        keyalg: 'RSA',
        dname: 'CN=RSA Signer, OU=QA, O=Sigscan Tests, C=DE',
      });
      await breathe();
      makeSignedJar(d, {
        name: 'ec.jar',
        alias: 'ecsigner',
        keyalg: 'EC',
        dname: 'CN=EC Signer, O=Sigscan Tests',
        keystore: rsaJar.keystore,
      });
      genKey(rsaJar.keystore, {
        alias: 'testca',
        keyalg: 'RSA',
        dname: 'CN=Sigscan Test CA, O=Sigscan Tests',
      });
      await breathe();
      makeSignedJar(d, {
        name: 'leaf.jar',
        alias: 'leaf',
        keyalg: 'RSA',
        dname: 'CN=Leaf Signer, O=Sigscan Tests',
        issuerAlias: 'testca',
        keystore: rsaJar.keystore,
        sigalg: 'SHA384withRSA',
        digestalg: 'SHA-512',
      });
      copyFileSync(rsaJar.path, join(d, 'added.jar'));
      putEntries(join(d, 'added.jar'), { 'hello/Injected.txt': 'not signed\n' });
      copyFileSync(rsaJar.path, join(d, 'modified.jar'));
      putEntries(join(d, 'modified.jar'), { 'hello/Hello.txt': 'hello, tampered\n' });
      await breathe();
      makeZipWithDuplicate(join(d, 'dup.jar'), rsaJar.path, 'hello/Hello.txt', 'second copy\n');
      copyFileSync(rsaJar.path, join(d, 'nosf.jar'));
      execFileSync('zip', ['-q', '-d', join(d, 'nosf.jar'), 'META-INF/RSASIGNE.SF']);
      makeJar(join(d, 'unsigned.jar'), { 'a.txt': 'a' });
      const answers: Record<string, JarsignerReport> = {};
      for (const n of ['rsa', 'ec', 'leaf', 'added', 'modified', 'unsigned']) {
        await breathe();
        answers[n] = jarsignerVerify(join(d, `${n}.jar`));
      }
      writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(answers));
    });
    reports = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reports;
    const keystore = join(dir, 'keystore.p12');
    rsa = { path: join(dir, 'rsa.jar'), keystore, alias: 'rsasigner' };
    ec = { path: join(dir, 'ec.jar'), keystore, alias: 'ecsigner' };
    leaf = { path: join(dir, 'leaf.jar'), keystore, alias: 'leaf' };
    scratch = tempDir();
  });
  afterAll(() => removeDir(scratch));

  it('applies to jar files only', () => {
    expect(jarDetector.family).toBe('jar');
    expect(jarDetector.applies({ kind: 'file', path: 'x', size: 1, digest: '', format: 'jar' })).toBe(true);
    expect(jarDetector.applies({ kind: 'file', path: 'x', size: 1, digest: '', format: 'pe' })).toBe(false);
  });

  for (const which of ['rsa', 'ec', 'leaf'] as const) {
    it(`${which}: subject and algorithm agree with jarsigner -verify`, async () => {
      const jar = { rsa, ec, leaf }[which];
      const js = reports[which]!;
      expect(js.verified).toBe(true);
      expect(js.unsignedEntries).toBe(false);
      const [ev, ...more] = await detect(jar.path);
      expect(more).toEqual([]);
      expect(ev!.family).toBe('jar');
      expect(ev!.location).toMatch(
        new RegExp(`^META-INF/${jar.alias.toUpperCase().slice(0, 8)}\\.(RSA|EC)$`),
      );
      expect(js.signerSubjects).toHaveLength(1);
      expect(sameDn(ev!.signer.subject!, js.signerSubjects[0]!)).toBe(true);
      expect(ev!.algorithm).toBe(js.signatureAlgorithms[0]);
      expect(ev!.digestAlgorithm).toBe(js.digestAlgorithms[0]);
      expect(ev!.findings).toEqual([]);
      expect(ev!.countersigner).toBeUndefined();
      const d = ev!.details!;
      expect(d.signatureFile).toBe(ev!.location.replace(/\.(RSA|EC)$/, '.SF'));
      expect(d.manifestDigestMatches).toBe(true);
      expect(d.entriesTotal).toBe(3);
      expect(d.entriesSigned).toBe(3);
      expect(d.unsignedEntries).toEqual([]);
      expect(d.mismatchedEntries).toEqual([]);
      expect(String(d.createdBy)).toMatch(/17\./);
      const m = ev!.material as JarEvidenceMaterial;
      expect(m.blockDer.length).toBeGreaterThan(100);
      expect(Buffer.from(m.signatureFileBytes!).toString()).toMatch(/^Signature-Version: 1\.0/);
      expect(m.certificatesDer.length).toBe(which === 'leaf' ? 2 : 1);
    });
  }

  it('ec: EC key, .EC block', async () => {
    const [ev] = await detect(ec.path);
    expect(ev!.location).toBe('META-INF/ECSIGNER.EC');
    expect(ev!.algorithm).toBe('SHA256withECDSA');
    expect(ev!.signer.publicKeyAlgorithm).toBe('ECDSA-P-256');
  });

  it('leaf: CA-issued certificate comes with its chain', async () => {
    const [ev] = await detect(leaf.path);
    expect(ev!.algorithm).toBe('SHA384withRSA');
    expect(ev!.digestAlgorithm).toBe('SHA-512');
    expect(sameDn(ev!.signer.issuer!, 'CN=Sigscan Test CA, O=Sigscan Tests')).toBe(true);
    expect(ev!.signer.chain!.map((c) => c.subject)).toEqual(['CN=Sigscan Test CA,O=Sigscan Tests']);
    expect(ev!.signer.certificate!.extendedKeyUsages).toEqual(['codeSigning']);
  });

  it('entry added after signing: unsigned-entry warning, as jarsigner -strict reports', async () => {
    const path = join(dir, 'added.jar');
    const js = reports['added']!;
    expect(js.unsignedEntries).toBe(true);
    const [ev] = await detect(path);
    expect(codes(ev!)).toEqual(['UNSIGNED_ENTRIES']);
    expect(ev!.findings![0]!.severity).toBe('warning');
    expect(ev!.details!.unsignedEntries).toEqual(['hello/Injected.txt']);
    expect(ev!.details!.entriesSigned).toBe(3);
    expect(ev!.details!.entriesTotal).toBe(4);
  });

  it('entry modified after signing: ENTRY_DIGEST_MISMATCH, and jarsigner fails', async () => {
    const path = join(dir, 'modified.jar');
    const js = reports['modified']!;
    expect(js.verified).toBe(false);
    expect(js.output).toMatch(/digest error for hello\/Hello\.txt/);
    const [ev] = await detect(path);
    expect(codes(ev!)).toContain('ENTRY_DIGEST_MISMATCH');
    expect(ev!.findings!.find((f) => f.code === 'ENTRY_DIGEST_MISMATCH')!.severity).toBe('integrity');
    expect(ev!.details!.mismatchedEntries).toEqual(['hello/Hello.txt']);
  });

  it('duplicate entry name: DUPLICATE_ENTRY integrity finding and the bad copy is caught', async () => {
    const path = join(dir, 'dup.jar');
    const [ev] = await detect(path);
    expect(codes(ev!)).toEqual(expect.arrayContaining(['DUPLICATE_ENTRY', 'ENTRY_DIGEST_MISMATCH']));
    expect(ev!.details!.duplicateEntries).toEqual(['hello/Hello.txt']);
  });

  it('.SF removed: SIGNATURE_FILE_MISSING, signer still identified', async () => {
    const path = join(dir, 'nosf.jar');
    const [ev] = await detect(path);
    expect(codes(ev!)).toContain('SIGNATURE_FILE_MISSING');
    expect(sameDn(ev!.signer.subject!, 'CN=RSA Signer, OU=QA, O=Sigscan Tests, C=DE')).toBe(true);
    expect(ev!.details!.entriesSigned).toBe(0);
  });

  it('unsigned jar: no evidence', async () => {
    const path = join(dir, 'unsigned.jar');
    expect(reports['unsigned']!.output).toMatch(/jar is unsigned/);
    expect(await detect(path)).toEqual([]);
  });

  it('zero-length and random files throw MALFORMED_ZIP', async () => {
    const empty = join(scratch, 'empty.jar');
    writeFileSync(empty, '');
    const random = join(scratch, 'random.jar');
    writeFileSync(random, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 251)));
    const truncated = readBytes(rsa.path).subarray(0, 500);
    for (const [path, bytes] of [
      [empty, readBytes(empty)],
      [random, readBytes(random)],
      [rsa.path, truncated],
    ] as const) {
      const err = await detect(path, bytes).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SigscanError);
      expect((err as SigscanError).code).toBe('MALFORMED_ZIP');
      expect((err as SigscanError).message).toMatch(/ZIP/);
    }
  });
});
