import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { authenticodeDetector, type AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { sha256Hex } from '../../src/formats/der.js';
import { parsePeLayout } from '../../src/formats/pe/pe-file.js';
import type { Evidence, FileTarget } from '../../src/model/index.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { sameDn } from '../helpers/dn.js';
import {
  SIGNED_CORPUS_FILES,
  SIGNIFY_DIR,
  UNSIGNED_PE,
  dnMatchesExpected,
  expectedAuthenticodePe,
  sameSecond,
} from '../helpers/pe/corpus.js';
import {
  compileTinyPe,
  fixtureNow,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerify,
  osslsigncodeVerifyWith,
  type OsslsigncodeVerifyResult,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { firstRecordContent, replaceFirstRecordContent } from '../helpers/pe/surgery.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

function fileTarget(path: string, bytes: Uint8Array): FileTarget {
  return { kind: 'file', path, size: bytes.length, digest: `sha256:${sha256Hex(bytes)}`, format: 'pe' };
}

async function detect(bytes: Uint8Array, path = 'sample.exe'): Promise<Evidence[]> {
  const ctx = { file: { absolutePath: path, bytes }, limits: DEFAULT_LIMITS, log: silentLogger };
  const out: Evidence[] = [];
  for await (const evidence of authenticodeDetector.detect(fileTarget(path, bytes), ctx)) out.push(evidence);
  return out;
}

const readBytes = (path: string) => new Uint8Array(readFileSync(path));
const WEAK = new Set(['MD5', 'SHA-1']);
const codes = (e: Evidence) => (e.findings ?? []).map((f) => f.code);

describe('authenticodeDetector.applies', () => {
  it('applies to PE files only', () => {
    const bytes = readBytes(UNSIGNED_PE);
    expect(authenticodeDetector.family).toBe('authenticode');
    expect(authenticodeDetector.applies(fileTarget('a.exe', bytes))).toBe(true);
    expect(authenticodeDetector.applies({ ...fileTarget('a.jar', bytes), format: 'jar' })).toBe(false);
    expect(
      authenticodeDetector.applies({
        kind: 'image',
        registry: 'r',
        repository: 'x',
        digest: 'sha256:00',
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
      }),
    ).toBe(false);
  });
});

describe('authenticode evidence for the signify corpus (expected.json)', () => {
  it.each(SIGNED_CORPUS_FILES)('%s', async (name) => {
    const expected = expectedAuthenticodePe(name);
    const evidence = await detect(readBytes(expected.file), expected.file);

    expect(evidence).toHaveLength(expected.signers.length);
    expected.signers.forEach((want, i) => {
      const got = evidence[i]!;
      expect(got.family).toBe('authenticode');
      expect(got.location).toBe(i === 0 ? 'certificate-table[0]' : `certificate-table[0]/nested[${i - 1}]`);
      expect(
        dnMatchesExpected(got.signer.subject, want.subject),
        `${got.signer.subject} vs ${want.subject}`,
      ).toBe(true);
      if (want.issuer) expect(dnMatchesExpected(got.signer.issuer, want.issuer, true)).toBe(true);
      if (want.certSha256) expect(got.signer.sha256Fingerprint).toBe(want.certSha256);
      if (want.digest) expect(got.digestAlgorithm?.replace('-', '')).toBe(want.digest);
      expect(got.details?.imageHashMatches).toBe(true);
      expect(got.details?.imageHash).toBe(got.details?.signedImageHash);
      expect(codes(got)).not.toContain('IMAGE_HASH_MISMATCH');
      expect(codes(got)).not.toContain('DIGEST_ALGORITHM_DISAGREEMENT');
      expect(got.details?.certificateTableRecords).toBe(1);
      expect(got.details?.overlayAfterTable).toBe(false);
      expect(got.signer.certificate?.sha256Fingerprint).toBe(got.signer.sha256Fingerprint);
      expect(got.signer.chain?.map((c) => c.sha256Fingerprint)).not.toContain(got.signer.sha256Fingerprint);
      expect(WEAK.has(got.digestAlgorithm!)).toBe(codes(got).includes('WEAK_DIGEST'));
      const material = got.material as AuthenticodeMaterial;
      expect(sha256Hex(material.signerCertificateDer!)).toBe(got.signer.sha256Fingerprint);
      expect(material.certificatesDer.length).toBe((got.signer.chain?.length ?? 0) + 1);
      expect(material.signedDataDer[0]).toBe(0x30);
    });

    expected.countersignatures.forEach((want, i) => {
      const got = evidence[want.index ?? i]!.countersigner;
      expect(got).toBeDefined();
      if (want.tsaSubject) {
        expect(
          dnMatchesExpected(got!.subject, want.tsaSubject),
          `${got!.subject} vs ${want.tsaSubject}`,
        ).toBe(true);
      }
      if (want.tsaIssuer) expect(dnMatchesExpected(got!.issuer, want.tsaIssuer, true)).toBe(true);
      if (want.time) expect(sameSecond(got!.time, want.time), `${got!.time} vs ${want.time}`).toBe(true);
      if (want.type) expect(got!.kind).toBe(want.type.includes('RFC3161') ? 'rfc3161' : 'pkcs9');
    });
    if (expected.countersignatures.length === 0) expect(evidence[0]!.countersigner).toBeUndefined();
  });

  it('reports countersignature kinds: RFC 3161 for whois.exe and DXCore.dll, PKCS #9 for pciide.sys', async () => {
    const kind = async (name: string) =>
      (await detect(readBytes(join(SIGNIFY_DIR, name))))[0]!.countersigner?.kind;
    expect(await kind('whois.exe')).toBe('rfc3161');
    expect(await kind('DXCore.dll')).toBe('rfc3161');
    expect(await kind('pciide.sys')).toBe('pkcs9');
  });

  it('sigcheck.exe: a SHA-1 primary with PKCS #9 countersignature and a SHA-256 nested one with RFC 3161', async () => {
    const evidence = await detect(readBytes(join(SIGNIFY_DIR, 'sigcheck.exe')));
    expect(evidence.map((e) => [e.location, e.digestAlgorithm, e.countersigner?.kind])).toEqual([
      ['certificate-table[0]', 'SHA-1', 'pkcs9'],
      ['certificate-table[0]/nested[0]', 'SHA-256', 'rfc3161'],
    ]);
    expect(evidence[0]!.details?.nestedSignatures).toBe(1);
    expect(evidence[1]!.details?.nestingDepth).toBe(1);
    expect((evidence[1]!.material as AuthenticodeMaterial).timestampTokenDer).toBeInstanceOf(Uint8Array);
  });

  it('DXCore.dll carries v2 page hashes; whois.exe has its program name and URL', async () => {
    const [dx] = await detect(readBytes(join(SIGNIFY_DIR, 'DXCore.dll')));
    expect(dx!.details?.pageHashes).toBe('v2');
    const [whois] = await detect(readBytes(join(SIGNIFY_DIR, 'whois.exe')));
    expect(whois!.details).toMatchObject({
      programName: 'Whois',
      moreInfoUrl: 'https://www.sysinternals.com',
    });
    expect(whois!.algorithm).toBe('SHA256withRSA');
  });

  it('yields nothing for an unsigned PE', async () => {
    expect(await detect(readBytes(UNSIGNED_PE))).toEqual([]);
  });

  it('flags a second WIN_CERTIFICATE record and emits evidence for both', async () => {
    const original = readBytes(join(SIGNIFY_DIR, 'pciide.sys'));
    const { certificateTable, certificateDirectoryOffset } = parsePeLayout(original);
    const record = original.subarray(
      certificateTable.offset,
      certificateTable.offset + certificateTable.size,
    );
    const doubled = new Uint8Array(original.length + record.length);
    doubled.set(original);
    doubled.set(record, original.length);
    new DataView(doubled.buffer).setUint32(certificateDirectoryOffset + 4, certificateTable.size * 2, true);
    const evidence = await detect(doubled);
    expect(evidence.map((e) => e.location)).toEqual(['certificate-table[0]', 'certificate-table[1]']);
    for (const e of evidence) {
      expect(e.details).toMatchObject({ certificateTableRecords: 2, imageHashMatches: true });
      expect(codes(e)).toContain('MULTIPLE_CERTIFICATE_RECORDS');
    }
  });

  it('flags data appended after the table, which also changes the image hash', async () => {
    const original = readBytes(join(SIGNIFY_DIR, 'pciide.sys'));
    const appended = new Uint8Array(original.length + 16);
    appended.set(original);
    appended.fill(0x41, original.length);
    const [e] = await detect(appended);
    expect(e!.details).toMatchObject({ overlayAfterTable: true, imageHashMatches: false });
    expect(codes(e!)).toEqual(
      expect.arrayContaining(['DATA_AFTER_CERTIFICATE_TABLE', 'IMAGE_HASH_MISMATCH']),
    );
  });

  it('flags SignedData.digestAlgorithms that disagree with the SignerInfo (unsigned field, §7.3)', async () => {
    const bytes = readBytes(join(SIGNIFY_DIR, 'whois.exe'));
    const { certificateTable } = parsePeLayout(bytes);
    const sha256Oid = Buffer.from('0609608648016503040201', 'hex');
    // The first SHA-256 OID in the SignedData is its digestAlgorithms set.
    const at = Buffer.from(bytes).indexOf(sha256Oid, certificateTable.offset);
    bytes[at + sha256Oid.length - 1] = 0x03; // SHA-512
    const [e] = await detect(bytes);
    expect(e!.details?.imageHashMatches).toBe(true);
    const finding = e!.findings?.find((f) => f.code === 'DIGEST_ALGORITHM_DISAGREEMENT');
    expect(finding?.severity).toBe('integrity');
    expect(finding?.message).toContain('SignedData [SHA-512]');
  });

  it('throws MALFORMED_PE for the catalog file, random bytes and a truncated PE', async () => {
    const catalog = readBytes(
      join(SIGNIFY_DIR, '115fe8649854ad531fb7ecd1318fbee6b33c9cbd78f02ed582092a96d5eb5899.cat'),
    );
    const noise = new Uint8Array(randomBytes(2048));
    noise[0] = 0x00;
    for (const bytes of [catalog, noise, readBytes(join(SIGNIFY_DIR, 'whois.exe')).subarray(0, 300)]) {
      await expect(detect(bytes)).rejects.toMatchObject({ name: 'SigscanError', code: 'MALFORMED_PE' });
    }
  });
});

describe('authenticode evidence for PEs signed here with osslsigncode', () => {
  let dir: string;
  let pki: TestPki;
  const files: Record<string, string> = {};
  const verified: Record<string, OsslsigncodeVerifyResult> = {};
  let timestampTime: number;
  let fixtureTime: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sigscan-authenticode-'));
    pki = await makeTestPki(dir);
    const tiny = await compileTinyPe(dir);
    // The TSA certificate was issued before the day's fixture clock (a stamp before its notBefore would not
    // verify); the clock, not Date.now(), so the stamped file and osslsigncode's answer come from the day cache.
    fixtureTime = await fixtureNow();
    timestampTime = fixtureTime + 1;
    files.signed = await makeSignedPe(pki, tiny, join(dir, 'signed.exe'), {
      programName: 'Sigscan Tiny',
      url: 'https://sigscan.example/tiny',
    });
    files.timestamped = await makeSignedPe(pki, tiny, join(dir, 'timestamped.exe'), {
      timestampUnixTime: timestampTime,
    });
    files.nested = await makeSignedPe(pki, files.timestamped, join(dir, 'nested.exe'), {
      nest: true,
      signer: 'ec',
      hash: 'sha1',
    });
    files.pageHashes = await makeSignedPe(pki, tiny, join(dir, 'page-hashes.exe'), { pageHashes: true });

    // Flip one byte inside the first section's raw data after signing.
    const tampered = readBytes(files.signed);
    const text = parsePeLayout(tampered).sections.find((s) => s.sizeOfRawData > 0)!;
    tampered[text.pointerToRawData + 16] = tampered[text.pointerToRawData + 16]! ^ 0x01;
    files.tampered = join(dir, 'tampered.exe');
    writeFileSync(files.tampered, tampered);
    copyFileSync(tiny, join(dir, 'unsigned.exe'));
    files.unsigned = join(dir, 'unsigned.exe');

    for (const name of ['signed', 'timestamped', 'nested', 'tampered']) {
      verified[name] = await osslsigncodeVerify(files[name]!, pki);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches osslsigncode on an RSA SHA-256 signature', async () => {
    const evidence = await detect(readBytes(files.signed!));
    expect(evidence).toHaveLength(1);
    const [e] = evidence;
    const [theirs] = verified.signed!.signatures;
    expect(verified.signed!.exitCode).toBe(0);
    expect(sameDn(e!.signer.subject!, theirs!.signerSubject!)).toBe(true);
    expect(sameDn(e!.signer.issuer!, theirs!.signerIssuer!)).toBe(true);
    expect(e!.details?.imageHash).toBe(theirs!.calculatedDigest);
    expect(e!.details?.signedImageHash).toBe(theirs!.currentDigest);
    expect(e).toMatchObject({
      algorithm: 'SHA256withRSA',
      digestAlgorithm: 'SHA-256',
      details: {
        imageHashAlgorithm: 'SHA-256',
        imageHashMatches: true,
        programName: 'Sigscan Tiny',
        moreInfoUrl: 'https://sigscan.example/tiny',
        certificateTableRecords: 1,
        overlayAfterTable: false,
      },
    });
    expect(e!.findings).toEqual([]);
    expect(e!.countersigner).toBeUndefined();
    // osslsigncode adds a signingTime signed attribute (signed after the day's fixture clock was set).
    expect(Date.parse(e!.signingTime!)).toBeGreaterThan(fixtureTime * 1000 - 10 * 60_000);
    expect(e!.signer.certificate?.extendedKeyUsages).toEqual(['codeSigning']);
    expect(e!.signer.chain?.map((c) => c.subject)).toEqual(['CN=Sigscan Test CA,O=Sigscan Test,C=DE']);
  });

  it('matches osslsigncode on the RFC 3161 timestamp: TSA subject, issuer, serial and time', async () => {
    const [e] = await detect(readBytes(files.timestamped!));
    const [theirs] = verified.timestamped!.signatures;
    expect(verified.timestamped!.output).toContain('Timestamp Server Signature verification: ok');
    const counter = e!.countersigner!;
    expect(counter.kind).toBe('rfc3161');
    expect(sameDn(counter.subject!, theirs!.countersignerSubject!)).toBe(true);
    expect(sameDn(counter.issuer!, theirs!.countersignerIssuer!)).toBe(true);
    expect(e!.signer.chain).toBeDefined();
    expect(Date.parse(counter.time!)).toBe(theirs!.timestampTime!.getTime());
    expect(Date.parse(counter.time!)).toBe(timestampTime * 1000);
    const material = e!.material as AuthenticodeMaterial;
    expect(material.timestampTokenDer?.[0]).toBe(0x30);
  });

  it('matches osslsigncode on a nested EC SHA-1 signature under the timestamped RSA one', async () => {
    const evidence = await detect(readBytes(files.nested!));
    const theirs = verified.nested!.signatures;
    expect(verified.nested!.output).toContain('Number of verified signatures: 2');
    expect(evidence).toHaveLength(theirs.length);
    evidence.forEach((e, i) => {
      expect(sameDn(e.signer.subject!, theirs[i]!.signerSubject!)).toBe(true);
      expect(e.details?.imageHash).toBe(theirs[i]!.calculatedDigest);
      expect(e.details?.imageHashMatches).toBe(true);
    });
    expect(evidence.map((e) => [e.location, e.algorithm, e.digestAlgorithm, e.countersigner?.kind])).toEqual([
      ['certificate-table[0]', 'SHA256withRSA', 'SHA-256', 'rfc3161'],
      ['certificate-table[0]/nested[0]', 'SHA1withECDSA', 'SHA-1', undefined],
    ]);
    expect(evidence[1]!.signer.publicKeyAlgorithm).toBe('ECDSA-P-256');
    expect(evidence[1]!.findings?.map((f) => [f.code, f.severity])).toEqual([['WEAK_DIGEST', 'warning']]);
    expect(evidence[0]!.details?.nestedSignatures).toBe(1);
  });

  it('detects page hashes written by osslsigncode -ph', async () => {
    const [e] = await detect(readBytes(files.pageHashes!));
    expect(e!.details?.pageHashes).toBe('v2');
    expect(e!.details?.imageHashMatches).toBe(true);
  });

  it('reports a byte flipped after signing as IMAGE_HASH_MISMATCH, as osslsigncode does', async () => {
    const [e] = await detect(readBytes(files.tampered!));
    const [theirs] = verified.tampered!.signatures;
    expect(verified.tampered!.exitCode).not.toBe(0);
    expect(theirs!.calculatedDigest).not.toBe(theirs!.currentDigest);
    expect(e!.details).toMatchObject({
      imageHashMatches: false,
      imageHash: theirs!.calculatedDigest,
      signedImageHash: theirs!.currentDigest,
    });
    expect(e!.findings?.find((f) => f.code === 'IMAGE_HASH_MISMATCH')?.severity).toBe('integrity');
  });

  it('yields nothing for the unsigned build and MALFORMED_PE for its first 300 bytes', async () => {
    const bytes = readBytes(files.unsigned!);
    expect(await detect(bytes)).toEqual([]);
    await expect(detect(bytes.subarray(0, 300))).rejects.toMatchObject({ code: 'MALFORMED_PE' });
  });
});

/**
 * Byte surgery on the osslsigncode-signed fixture (fixtures/pe/hello-signed.exe), one fault per file
 * (issue #18); `osslsigncode verify` refuses both. The SignedData is rewritten with pkijs and put back
 * as the only certificate-table record.
 */
describe('authenticodeDetector on a signed PE after byte surgery (oracle: osslsigncode verify)', () => {
  const SIGNED = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe');
  const CA = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'sigscan-authenticode-surgery-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const signedData = () => {
    const content = firstRecordContent(SIGNED);
    const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(content).result });
    return new pkijs.SignedData({ schema: info.content });
  };
  const write = (name: string, sd: pkijs.SignedData) => {
    const info = new pkijs.ContentInfo({
      contentType: pkijs.ContentInfo.SIGNED_DATA,
      content: sd.toSchema(true),
    });
    return replaceFirstRecordContent(SIGNED, join(work, name), new Uint8Array(info.toSchema().toBER()));
  };
  const oracle = async (path: string) => (await osslsigncodeVerifyWith(path, { caFile: CA })).passed;
  const integrity = async (path: string) =>
    (await detect(readBytes(path), path)).flatMap((e) =>
      (e.findings ?? []).filter((f) => f.severity === 'integrity').map((f) => f.code),
    );

  it('the SignedData re-encoded unchanged: no integrity finding, osslsigncode accepts (the control)', async () => {
    const path = write('same.exe', signedData());
    expect(await integrity(path)).toEqual([]);
    expect(await oracle(path)).toBe(true);
  });

  it('the SignerInfo twice: MULTIPLE_SIGNER_INFOS', async () => {
    const sd = signedData();
    sd.signerInfos.push(sd.signerInfos[0]!);
    const path = write('two-signers.exe', sd);
    expect(await integrity(path)).toEqual(['MULTIPLE_SIGNER_INFOS']);
    expect(await oracle(path)).toBe(false);
  });

  it('SpcIndirectDataContent naming CAB data (1.3.6.1.4.1.311.2.1.25) instead of a PE image: NOT_PE_IMAGE_DATA', async () => {
    const bytes = readBytes(SIGNED);
    const pe = Buffer.from('060a2b0601040182370201' + '0f', 'hex');
    const at = Buffer.from(bytes).indexOf(pe);
    expect(at).toBeGreaterThan(0);
    expect(Buffer.from(bytes).indexOf(pe, at + 1)).toBe(-1);
    bytes[at + pe.length - 1] = 0x19;
    const path = join(work, 'cab-data.exe');
    writeFileSync(path, bytes);
    const codes = await integrity(path);
    expect(codes).toEqual(['NOT_PE_IMAGE_DATA']);
    expect(await oracle(path)).toBe(false);
  });
});
