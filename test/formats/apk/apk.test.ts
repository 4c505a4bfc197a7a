import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import {
  analyzeApk,
  APK_SIGNATURE_SCHEME_V2_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V31_BLOCK_ID,
  APK_SIGNATURE_SCHEME_V3_BLOCK_ID,
  contentDigest,
  findZipSections,
  hasApkSigningBlock,
  parseLineage,
  readSigningBlock,
  signingBlockStart,
} from '../../../src/formats/apk/index.js';
import { openZip } from '../../../src/formats/zip/index.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import {
  apkFixtures,
  apkLayout,
  apksignerVerify,
  rawPairs,
  readBytes,
  removeDir,
  tempDir,
  withPairs,
  type ApkFixtures,
} from '../../helpers/apk/index.js';

const codes = (a: ReturnType<typeof analyzeApk>): string[] => [
  ...a.findings.map((f) => f.code),
  ...a.signers.flatMap((s) => s.findings.map((f) => f.code)),
];

describe('APK Signature Scheme v2/v3 reading, on APKs signed by apksigner', () => {
  let dir: string;
  let fx: ApkFixtures;
  let v2: Uint8Array;
  let v3: Uint8Array;
  let v2v3: Uint8Array;
  let rotated: Uint8Array;
  let v1: Uint8Array;

  beforeAll(() => {
    dir = tempDir('sigscan-apk-');
    fx = apkFixtures();
    v2 = readBytes(fx.apk['v2']!);
    v3 = readBytes(fx.apk['v3']!);
    v2v3 = readBytes(fx.apk['v2v3']!);
    v1 = readBytes(fx.apk['v1']!);
    rotated = readBytes(fx.apk['rotated']!);
  }, 180_000);

  afterAll(() => removeDir(dir));

  it('reads the algorithms apksigner picks by key: RSA-4096 and P-384 sign with SHA-512, DSA with SHA-256', () => {
    const ids = (name: string) =>
      analyzeApk(readBytes(fx.apk[name]!)).signers[0]!.record.signatures.map((s) => s.algorithmId);
    expect(ids('rsa4096')).toEqual([0x0104]);
    expect(ids('ec384')).toEqual([0x0202]);
    expect(ids('dsa')).toEqual([0x0301]);
    expect(ids('v2')).toEqual([0x0103]);
    expect(analyzeApk(readBytes(fx.apk['rsa4096']!)).signers[0]!.checkedDigests).toEqual(['CHUNKED_SHA512']);
    for (const name of ['rsa4096', 'ec384', 'dsa'])
      expect(codes(analyzeApk(readBytes(fx.apk[name]!)))).toEqual([]);
  });

  it('reads a v2 signer: one RSA signer, its content digest checked and matching', () => {
    const a = analyzeApk(v2);
    expect(a.schemes).toEqual(['v2']);
    expect(a.signers).toHaveLength(1);
    const s = a.signers[0]!;
    expect(s.record.scheme).toBe('v2');
    expect(s.record.index).toBe(1);
    expect(s.record.certificates).toHaveLength(1);
    expect(s.record.signatures.map((x) => x.algorithmId)).toEqual(s.record.digests.map((x) => x.algorithmId));
    expect(s.checkedDigests.length).toBeGreaterThan(0);
    expect(codes(a)).toEqual([]);
    expect(a.block!.offset % 4096).toBe(0);
    expect(hasApkSigningBlock(v2)).toBe(true);
  });

  it('reads a v3 signer with its SDK range, inside and outside the signed data', () => {
    const a = analyzeApk(v3);
    expect(a.schemes).toEqual(['v3']);
    const r = a.signers[0]!.record;
    expect(r.scheme).toBe('v3');
    expect(r.minSdk).toBe(24);
    expect(r.signedMinSdk).toBe(24);
    expect(r.maxSdk).toBe(2147483647);
    expect(r.signedMaxSdk).toBe(2147483647);
    expect(r.signatures.map((x) => x.algorithmId)).toContain(0x0201);
    expect(codes(a)).toEqual([]);
  });

  it('reads a rotated APK: v2 by the old key, v3 by the new one with a two-certificate lineage', () => {
    const a = analyzeApk(rotated);
    expect(a.schemes).toEqual(['v2', 'v3']);
    const v31 = a.signers.find((s) => s.record.scheme === 'v3')!;
    expect(v31.lineage).toHaveLength(2);
    expect(v31.lineage![1]!.certificate).toEqual(v31.record.certificates[0]);
    expect(v31.lineage![1]!.parentAlgorithmId).toBe(v31.lineage![0]!.algorithmId);
    expect(codes(a)).toEqual([]);
    expect(apksignerVerify(fx.apk['rotated']!).verifies).toBe(true);
    expect(a.signers[0]!.lineage).toBeUndefined();
  });

  it('reads a v3.1 block (the v3 format under its own id; the apksigner of Debian 12 cannot write one)', () => {
    const pairs = rawPairs(v3).map((p) => {
      if (p.id !== APK_SIGNATURE_SCHEME_V3_BLOCK_ID) return p.raw;
      const raw = Buffer.from(p.raw);
      raw.writeUInt32LE(APK_SIGNATURE_SCHEME_V31_BLOCK_ID, 8);
      return raw;
    });
    const a = analyzeApk(withPairs(v3, pairs));
    expect(a.schemes).toEqual(['v3.1']);
    expect(a.signers[0]!.record.scheme).toBe('v3.1');
    expect(a.signers[0]!.record.minSdk).toBe(24);
    expect(codes(a)).toEqual([]);
  });

  it('finds no block in a v1-only APK', () => {
    const a = analyzeApk(v1);
    expect(a.block).toBeUndefined();
    expect(a.signers).toEqual([]);
    expect(hasApkSigningBlock(v1)).toBe(false);
    expect(hasApkSigningBlock(new Uint8Array(10))).toBe(false);
  });

  it('content digest: a changed entry byte, central directory byte or end record byte is a mismatch (apksigner agrees)', () => {
    const { blockOffset, cdOffset, eocd } = apkLayout(v2);
    const head = Buffer.from(v2);
    // The first entry's data: after its local header, name and extra field.
    const entryData = 30 + head.readUInt16LE(26) + head.readUInt16LE(28) + 1;
    for (const [name, at] of [
      ['entry', entryData],
      ['cd', cdOffset + 12],
      // the end record's total entry count (its directory offset is the one field the digest replaces)
      ['eocd', eocd + 10],
    ] as const) {
      const bad = v2.slice();
      bad[at]! ^= 0x01;
      expect(at).toBeLessThan(bad.length);
      const a = analyzeApk(bad);
      expect(codes(a), name).toEqual(['APK_DIGEST_MISMATCH']);
      const path = join(dir, `tampered-${name}.apk`);
      writeFileSync(path, bad);
      expect(apksignerVerify(path).verifies, name).toBe(false);
    }
    expect(blockOffset).toBeLessThan(cdOffset);
  });

  it('the chunked digest is computed over 1 MiB chunks with the 0x5a/0xa5 prefixes', () => {
    const sections = findZipSections(v2);
    const block = readSigningBlock(v2, sections)!;
    const ours = contentDigest(v2, sections, block.offset, 'CHUNKED_SHA256');
    const recorded = analyzeApk(v2).signers[0]!.record.digests.find(
      (d) => d.algorithmId === 0x0103 || d.algorithmId === 0x0101,
    )!;
    expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(recorded.digest).toString('hex'));
    expect(contentDigest(v2, sections, block.offset, 'CHUNKED_SHA512')).toHaveLength(64);
    // The end record's offset field is replaced by the block offset: a wrong one gives another digest.
    expect(
      Buffer.from(contentDigest(v2, sections, block.offset + 1, 'CHUNKED_SHA256')).toString('hex'),
    ).not.toBe(Buffer.from(ours).toString('hex'));
  });

  it('a v3 signer whose unsigned SDK range was changed is APK_SDK_MISMATCH', () => {
    const pair = apkLayout(v3).pairs.find((p) => p.id === APK_SIGNATURE_SCHEME_V3_BLOCK_ID)!;
    const b = Buffer.from(v3.slice());
    // value: u32 signers length, u32 signer length, u32 signed data length, signed data, u32 minSdk ...
    const signedDataLength = b.readUInt32LE(pair.valueStart + 8);
    const minSdkAt = pair.valueStart + 12 + signedDataLength;
    expect(b.readUInt32LE(minSdkAt)).toBe(24);
    b.writeUInt32LE(21, minSdkAt);
    expect(codes(analyzeApk(b))).toEqual(['APK_SDK_MISMATCH']);
    b.writeUInt32LE(24, minSdkAt);
    b.writeUInt32LE(30, minSdkAt + 4);
    expect(codes(analyzeApk(b))).toEqual(['APK_SDK_MISMATCH']);
  });

  it('stripping protection: v2 naming v3 without the v3 block (apksigner agrees)', () => {
    const pairs = rawPairs(v2v3);
    const noV3 = withPairs(
      v2v3,
      pairs.filter((p) => p.id !== APK_SIGNATURE_SCHEME_V3_BLOCK_ID).map((p) => p.raw),
    );
    expect(codes(analyzeApk(noV3))).toEqual(['APK_SCHEME_STRIPPED']);
    const path = join(dir, 'stripped.apk');
    writeFileSync(path, noV3);
    expect(apksignerVerify(path).verifies).toBe(false);
    // Unchanged rebuild: the surgery itself breaks nothing.
    expect(
      codes(
        analyzeApk(
          withPairs(
            v2v3,
            pairs.map((p) => p.raw),
          ),
        ),
      ),
    ).toEqual([]);
  });

  it('two copies of the v2 pair in one block is APK_DUPLICATE_BLOCK', () => {
    const pairs = rawPairs(v2);
    const v2pair = pairs.find((p) => p.id === APK_SIGNATURE_SCHEME_V2_BLOCK_ID)!.raw;
    const twice = withPairs(v2, [v2pair, ...pairs.map((p) => p.raw)]);
    expect(codes(analyzeApk(twice))).toEqual(['APK_DUPLICATE_BLOCK']);
  });

  it('digest and signature records naming different algorithms is APK_ALGORITHMS_MISMATCH', () => {
    const a = analyzeApk(v2);
    const id = a.signers[0]!.record.digests[0]!.algorithmId;
    const b = Buffer.from(v2.slice());
    const pair = apkLayout(v2).pairs.find((p) => p.id === APK_SIGNATURE_SCHEME_V2_BLOCK_ID)!;
    // signers len, signer len, signed data len, digests len, digest len, algorithm id
    const at = pair.valueStart + 20;
    expect(b.readUInt32LE(at)).toBe(id);
    b.writeUInt32LE(0x0104, at);
    // The SHA-512 digest computed for the renamed record cannot match the SHA-256 one either.
    expect(codes(analyzeApk(b))).toEqual(['APK_ALGORITHMS_MISMATCH', 'APK_DIGEST_MISMATCH']);
  });

  it('refuses malformed blocks: sizes that disagree, pairs that overrun, ZIP64', () => {
    const { blockOffset, pairs } = apkLayout(v2);
    const sizes = Buffer.from(v2.slice());
    sizes.writeBigUInt64LE(sizes.readBigUInt64LE(blockOffset) + 8n, blockOffset);
    expect(() => analyzeApk(sizes)).toThrow(/sizes disagree/);
    const overrun = Buffer.from(v2.slice());
    overrun.writeBigUInt64LE(1n << 20n, pairs[0]!.start);
    expect(() => analyzeApk(overrun)).toThrow(/out of range/);
    const short = Buffer.from(v2.slice());
    short.writeBigUInt64LE(3n, pairs[0]!.start);
    expect(() => analyzeApk(short)).toThrow(SigscanError);
    expect(() => findZipSections(new Uint8Array(100))).toThrow(/no ZIP end/);
  });

  it('refuses a central directory not followed by the end record', () => {
    const { eocd } = apkLayout(v2);
    const b = Buffer.from(v2.slice());
    b.writeUInt32LE(b.readUInt32LE(eocd + 12) - 1, eocd + 12);
    expect(() => findZipSections(b)).toThrow(/not immediately followed/);
  });

  it('parseLineage refuses unknown versions, empty lineages and left-over bytes', () => {
    expect(() => parseLineage(Buffer.from([2, 0, 0, 0]))).toThrow(/version 2/);
    expect(() => parseLineage(Buffer.from([1, 0, 0, 0]))).toThrow(/no nodes/);
    expect(() => parseLineage(Buffer.from([1, 0, 0, 0, 1]))).toThrow(/truncated/);
  });
});

describe('ZIP layout check around the APK Signing Block', () => {
  let dir: string;
  let v2: Uint8Array;

  beforeAll(() => {
    dir = tempDir('sigscan-apk-zip-');
    v2 = readBytes(apkFixtures().apk['v2']!);
  }, 180_000);

  afterAll(() => removeDir(dir));

  it("accepts apksigner's zero padding and the block itself", async () => {
    const zip = await openZip(v2.slice(), DEFAULT_LIMITS);
    expect(zip.ambiguities).toEqual([]);
    const { blockOffset, cdOffset } = apkLayout(v2);
    expect(signingBlockStart(v2, cdOffset)).toBe(blockOffset);
  });

  it('reports a non-zero byte in the padding before the block (extra data a streaming reader parses)', async () => {
    const { blockOffset } = apkLayout(v2);
    const b = v2.slice();
    b[blockOffset - 1] = 0x50;
    const zip = await openZip(b, DEFAULT_LIMITS);
    expect(zip.ambiguities).toHaveLength(1);
    expect(zip.ambiguities[0]).toMatch(
      /bytes between the data of .* and the APK Signing Block belong to no entry/,
    );
    // The v2 digest covers those bytes too, so apksigner fails it as well.
    const path = join(dir, 'gap.apk');
    writeFileSync(path, b);
    expect(apksignerVerify(path).verifies).toBe(false);
  });

  it('reports a block that is not 4096-aligned after padding, and a block whose size reads as a local header', async () => {
    const pairs = rawPairs(v2).map((p) => p.raw);
    // Moving the block 8 bytes on (8 zero bytes more) breaks the alignment: the zeros are a gap then.
    const moved = withPairs(v2, pairs, 8);
    expect((await openZip(moved, DEFAULT_LIMITS)).ambiguities[0]).toMatch(/belong to no entry/);
    const { cdOffset } = apkLayout(v2);
    const b = Buffer.from(v2.slice());
    const start = signingBlockStart(b, cdOffset)!;
    // Not a real block (sizes no longer agree), so not excused.
    b.writeUInt32LE(0x04034b50, start);
    expect(signingBlockStart(b, cdOffset)).toBeUndefined();
    expect(signingBlockStart(b, 10)).toBeUndefined();
  });
});
