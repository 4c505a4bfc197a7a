/**
 * The hand-written CMS reader against pkijs, the library it replaced on the hot path: on every signed
 * PE and JAR of the fixtures and the corpus (nested signatures and timestamp tokens included), both must
 * read the same structure, the same bytes and the same signer certificate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { describe, expect, it } from 'vitest';

import {
  clearSignedDataCache,
  OID,
  parseSignedData,
  parseTstInfo,
  unsignedAttributeValues,
  type SignedDataInfo,
} from '../../src/formats/cms.js';
import { elementBytes } from '../../src/formats/der-reader.js';
import { toArrayBuffer } from '../../src/formats/der.js';
import { analyzeJar } from '../../src/formats/jar/index.js';
import { parsePeLayout, readCertificateTable } from '../../src/formats/pe/index.js';
import { CORPUS_DIR, filesUnder as files } from '../helpers/corpus.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const hex = (b: ArrayBuffer | Uint8Array): string =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

async function blobs(): Promise<Array<[string, Uint8Array]>> {
  const out: Array<[string, Uint8Array]> = [];
  for (const path of [
    ...files(join(PROJECT_ROOT, 'fixtures'), /\.exe$/),
    ...files(join(CORPUS_DIR, 'authenticode'), /\.(exe|dll|sys)$/),
  ]) {
    const bytes = new Uint8Array(readFileSync(path));
    try {
      for (const r of readCertificateTable(bytes, parsePeLayout(bytes)).records) {
        if (r.certificateType === 2) out.push([`${path}#${r.index}`, r.content]);
      }
    } catch {
      // not a signed PE
    }
  }
  for (const path of [
    ...files(join(PROJECT_ROOT, 'fixtures'), /\.jar$/),
    ...files(join(CORPUS_DIR, 'jar'), /\.jar$/),
  ]) {
    for (const sig of (await analyzeJar(new Uint8Array(readFileSync(path)))).signatures) {
      out.push([`${path}!${sig.blockName}`, sig.blockDer]);
    }
  }
  const cat = files(join(CORPUS_DIR, 'authenticode'), /\.cat$/);
  for (const path of cat) out.push([path, new Uint8Array(readFileSync(path))]);
  return out;
}

/** Compares one SignedData both ways, then every nested signature and timestamp token inside it. */
function compare(
  name: string,
  der: Uint8Array,
  seen: { count: number; tokens: number; nested: number },
): void {
  seen.count++;
  const ours: SignedDataInfo = parseSignedData(der);
  const ci = pkijs.ContentInfo.fromBER(toArrayBuffer(der));
  const sd = new pkijs.SignedData({ schema: ci.content });
  expect(ours.contentType, name).toBe(sd.encapContentInfo.eContentType);
  expect(ours.digestAlgorithms, name).toEqual(sd.digestAlgorithms.map((a) => a.algorithmId));
  const theirCerts = (sd.certificates ?? []).filter((c) => c instanceof pkijs.Certificate);
  expect(
    ours.certificates.map((c) => hex(c.der)),
    name,
  ).toEqual(theirCerts.map((c) => hex((c as pkijs.Certificate).toSchema(true).toBER())));
  expect(ours.signers, name).toHaveLength(sd.signerInfos.length);
  sd.signerInfos.forEach((si, i) => {
    const view = ours.signers[i]!;
    const s = view.signerInfo;
    expect(s.version).toBe(si.version);
    expect(s.digestAlgorithm.oid).toBe(si.digestAlgorithm.algorithmId);
    expect(s.signatureAlgorithm.oid).toBe(si.signatureAlgorithm.algorithmId);
    expect(hex(s.signature)).toBe(hex(si.signature.valueBlock.valueHexView));
    // pkijs keeps the stored bytes already re-tagged as SET (0x31); ours keep the stored [0] tag.
    expect(s.signedAttrs ? `31${hex(s.signedAttrs.der.subarray(1))}` : undefined).toBe(
      si.signedAttrs ? hex(si.signedAttrs.encodedValue) : undefined,
    );
    expect(s.signedAttrs?.attributes.map((a) => a.type)).toEqual(
      si.signedAttrs?.attributes.map((a) => a.type),
    );
    expect(s.unsignedAttrs?.attributes.map((a) => [a.type, a.values.length])).toEqual(
      si.unsignedAttrs?.attributes.map((a) => [a.type, a.values.length]),
    );
    // The signer certificate the old pkijs lookup found (issuer Name match + serial).
    const sid = si.sid;
    const expected =
      sid instanceof pkijs.IssuerAndSerialNumber
        ? theirCerts.find(
            (c) =>
              (c as pkijs.Certificate).issuer.isEqual(sid.issuer) &&
              (c as pkijs.Certificate).serialNumber.isEqual(sid.serialNumber),
          )
        : undefined;
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      expect(view.certificate ? hex(view.certificate.der) : undefined, name).toBe(
        expected ? hex((expected as pkijs.Certificate).toSchema(true).toBER()) : undefined,
      );
    }
    const st = si.signedAttrs?.attributes.find((a) => a.type === OID.signingTime)?.values[0] as
      asn1js.UTCTime | undefined;
    expect(view.signingTime?.getTime()).toBe(st && 'toDate' in st ? st.toDate().getTime() : undefined);

    for (const oid of [OID.timeStampToken, OID.msRfc3161Timestamp]) {
      for (const token of unsignedAttributeValues(s, oid)) {
        seen.tokens++;
        compare(`${name}/tst`, elementBytes(token), seen);
        const info = parseSignedData(elementBytes(token));
        const tst = pkijs.TSTInfo.fromBER(toArrayBuffer(info.content!));
        const mine = parseTstInfo(info.content!);
        expect(mine.genTime.getTime()).toBe(tst.genTime.getTime());
        expect(mine.imprintAlgorithm).toBe(tst.messageImprint.hashAlgorithm.algorithmId);
        expect(hex(mine.imprint)).toBe(hex(tst.messageImprint.hashedMessage.valueBlock.valueHexView));
      }
    }
    for (const nested of unsignedAttributeValues(s, OID.msNestedSignature)) {
      seen.nested++;
      compare(`${name}/nested`, elementBytes(nested), seen);
    }
  });
}

describe('CMS reader agrees with pkijs on real signatures', () => {
  it('fixtures and corpus: PE, catalog and JAR blocks, nested signatures and timestamp tokens', async () => {
    const all = await blobs();
    expect(all.length).toBeGreaterThan(10);
    const seen = { count: 0, tokens: 0, nested: 0 };
    for (const [name, der] of all) compare(name, der, seen);
    expect(seen.tokens).toBeGreaterThan(3);
    expect(seen.nested).toBeGreaterThan(0);
  });
});

describe('CMS parse cache', () => {
  it('keeps no view into the scanned file: cached entries never pin a large buffer', () => {
    const pe = new Uint8Array(readFileSync(join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe')));
    const record = readCertificateTable(pe, parsePeLayout(pe)).records[0]!;
    const big = new Uint8Array(4 * 1024 * 1024);
    big.set(record.content, 1000);
    // The corpus test above parsed this record already: an uncached parse is what is measured here.
    clearSignedDataCache();
    const info = parseSignedData(big.subarray(1000, 1000 + record.content.length));
    expect(info.signers[0]!.certificate).toBeDefined();
    for (const view of [
      info.signers[0]!.signatureValue,
      info.signers[0]!.signerInfo.signedAttrs!.der,
      ...info.certificates.map((c) => c.der),
    ]) {
      expect(view.buffer.byteLength).toBeLessThan(64 * 1024);
    }
  });
});

describe('clearSignedDataCache', () => {
  it('empties the cache: the same bytes parse to the cached object before it, a new one after', () => {
    const pe = new Uint8Array(readFileSync(join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe')));
    const record = readCertificateTable(pe, parsePeLayout(pe)).records[0]!.content;
    const first = parseSignedData(record);
    expect(parseSignedData(record.slice())).toBe(first);
    clearSignedDataCache();
    const second = parseSignedData(record);
    expect(second).not.toBe(first);
    expect(hex(second.signers[0]!.signatureValue)).toBe(hex(first.signers[0]!.signatureValue));
  });
});

describe('a certificate in the SignedData that does not parse', () => {
  it('makes the SignedData MALFORMED_CMS rather than being skipped (which would read as a missing signer)', () => {
    const pe = new Uint8Array(readFileSync(join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-signed.exe')));
    const record = readCertificateTable(pe, parsePeLayout(pe)).records[0]!.content;
    const pkcs7 = Buffer.from(record);
    const cert = parseSignedData(pkcs7).certificates[0]!.der;
    const at = pkcs7.indexOf(Buffer.from(cert));
    expect(at).toBeGreaterThan(0);
    // The TBSCertificate's SEQUENCE tag becomes a SET: still well-formed DER, no longer a certificate.
    const tbsTag = at + (cert[1]! & 0x80 ? 2 + (cert[1]! & 0x7f) : 2);
    expect(pkcs7[tbsTag]).toBe(0x30);
    const broken = Buffer.from(pkcs7);
    broken[tbsTag] = 0x31;
    expect(() => parseSignedData(broken)).toThrow(
      expect.objectContaining({ code: 'MALFORMED_CMS', message: expect.stringContaining('certificate [0]') }),
    );
  });
});
