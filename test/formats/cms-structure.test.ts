/**
 * The CMS reader's structure rules (src/formats/cms.ts), one element of real tool output changed at a time
 * (test/helpers/cms-surgery.ts): what is refused is refused with MALFORMED_CMS, what the platform readers
 * accept is read, and the fields read are the ones CMS names. OpenSSL's verdict on the same bytes is noted
 * per case (openssl 3.0, `openssl cms -verify -inform DER`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  OID,
  parseSignedData,
  parseTimeStampToken,
  parseTstInfo,
  signerTimestamps,
  unsignedAttributeValues,
} from '../../src/formats/cms.js';
import { elementBytes } from '../../src/formats/der-reader.js';
import {
  bytes,
  cmsWith,
  countersigned,
  encapContentInfo,
  fieldWithId,
  firstSignerInfo,
  helloSigned,
  kids,
  OID_DATA,
  signingTimeValue,
} from '../helpers/cms-surgery.js';
import { derRebuilt, latin1, type DerNode } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { run } from '../helpers/tools.js';

const malformed = expect.objectContaining({ code: 'MALFORMED_CMS' });
const hex = (b: Uint8Array | undefined): string | undefined =>
  b ? Buffer.from(b).toString('hex') : undefined;

/** openssl cms -sign output: plain, `-keyid` (a subjectKeyIdentifier sid), `-noattr` (no signed attributes). */
let plain: Uint8Array;
let ski: Uint8Array;
let noattr: Uint8Array;
/** The signer certificate (DER, hex) and a second self-signed one without a subjectKeyIdentifier. */
let signerCert: string;
let otherCert: string;

beforeAll(async () => {
  const dir = await cachedFixtureDir('cms-structure-v1', async (d) => {
    const o = (...args: string[]) => run('openssl', args, { cwd: d });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30'];
    await o(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
      '-subj',
      '/CN=cms structure signer',
      '-addext',
      'subjectKeyIdentifier=hash',
    );
    // Listed first in the certificate set, so "the first certificate" is never the signer's.
    await o(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'k2.pem',
      '-out',
      'c2.pem',
      '-subj',
      '/CN=cms structure other',
      '-addext',
      'subjectKeyIdentifier=none',
    );
    await o('x509', '-in', 'c.pem', '-outform', 'DER', '-out', 'c.der');
    await o('x509', '-in', 'c2.pem', '-outform', 'DER', '-out', 'c2.der');
    await run('sh', ['-c', 'printf hello > m.txt'], { cwd: d });
    const sign = (out: string, ...extra: string[]) =>
      o(
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-in',
        'm.txt',
        '-signer',
        'c.pem',
        '-inkey',
        'k.pem',
        '-certfile',
        'c2.pem',
        '-outform',
        'DER',
        '-out',
        out,
        ...extra,
      );
    await sign('plain.der');
    await sign('ski.der', '-keyid');
    await sign('noattr.der', '-noattr');
  });
  const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
  [plain, ski, noattr] = [read('plain.der'), read('ski.der'), read('noattr.der')];
  [signerCert, otherCert] = [hex(read('c.der'))!, hex(read('c2.der'))!];
});

describe('ContentInfo and SignedData structure', () => {
  it('reads the unchanged tool output (the baseline every case below differs from by one element)', () => {
    const info = parseSignedData(plain);
    expect(info.contentType).toBe(OID.data);
    expect(Buffer.from(info.content!).toString()).toBe('hello');
    expect(info.certificates.map((c) => hex(c.der)).sort()).toEqual([signerCert, otherCert].sort());
    expect(hex(info.signers[0]!.certificate!.der)).toBe(signerCert);
  });

  it('refuses a ContentInfo whose contentType is id-data around a SignedData (openssl: ASN.1 "wrong tag", it reads [0] as the id-data OCTET STRING)', () => {
    expect(() => parseSignedData(cmsWith(plain, 'contentTypeData'))).toThrow(malformed);
    expect(() => parseSignedData(cmsWith(helloSigned(), 'contentTypeData'))).toThrow(malformed);
  });

  it('refuses a ContentInfo content tagged [1] instead of [0] (openssl: ASN.1 "wrong tag")', () => {
    expect(() => parseSignedData(cmsWith(plain, 'contentTaggedOne'))).toThrow(malformed);
  });

  it('refuses an eContent tagged [1] instead of [0] (openssl: ASN.1 decode error)', () => {
    expect(() => parseSignedData(cmsWith(plain, 'eContentTaggedOne'))).toThrow(malformed);
  });

  it('reads past an empty crls [1], which openssl also verifies: same signer, certificate and content', () => {
    for (const der of [plain, helloSigned()]) {
      const before = parseSignedData(der);
      const after = parseSignedData(cmsWith(der, 'emptyCrls'));
      expect(after.signers).toHaveLength(1);
      expect(hex(after.signers[0]!.signatureValue)).toBe(hex(before.signers[0]!.signatureValue));
      expect(hex(after.signers[0]!.certificate!.der)).toBe(hex(before.signers[0]!.certificate!.der));
      expect(hex(after.content)).toBe(hex(before.content));
      expect(after.certificateSetSize).toBe(before.certificateSetSize);
    }
  });

  it('refuses a SignerInfo with a field after its last one (openssl: ASN.1 decode error)', () => {
    expect(() => parseSignedData(cmsWith(plain, 'signerInfoTrailingNull'))).toThrow(malformed);
    expect(() => parseSignedData(cmsWith(helloSigned(), 'signerInfoTrailingNull'))).toThrow(malformed);
  });
});

describe('the signer identifier and the certificate it names', () => {
  it('refuses an issuer Name whose attribute has no value (openssl: ASN.1 decode error), never "no signer certificate"', () => {
    expect(() => parseSignedData(cmsWith(plain, 'sidIssuerAtvWithoutValue'))).toThrow(malformed);
  });

  it('refuses an issuer attribute with a third field, as openssl does ("sequence length mismatch")', () => {
    expect(() => parseSignedData(cmsWith(plain, 'sidIssuerAtvExtraField'))).toThrow(malformed);
  });

  it('finds the signer when the sid issuer differs from the certificate only in case or string type (openssl verifies both)', () => {
    for (const change of ['sidIssuerUpperCase', 'sidIssuerPrintableString'] as const) {
      const view = parseSignedData(cmsWith(plain, change)).signers[0]!;
      expect(
        view.signerInfo.sid.kind === 'issuerAndSerialNumber' && hex(view.signerInfo.sid.issuer),
      ).not.toBe(hex(view.certificate!.issuerDer));
      expect(hex(view.certificate!.der)).toBe(signerCert);
    }
  });

  it('finds no certificate when the sid serial or the sid issuer differs (serial and issuer must both match)', () => {
    for (const der of [plain, helloSigned()]) {
      expect(parseSignedData(cmsWith(der, 'sidSerialChanged')).signers[0]!.certificate).toBeUndefined();
      expect(parseSignedData(cmsWith(der, 'sidIssuerChanged')).signers[0]!.certificate).toBeUndefined();
    }
  });

  it('finds the signer by subjectKeyIdentifier [0] IMPLICIT, past a certificate that has no SKI', () => {
    const info = parseSignedData(ski);
    const sid = info.signers[0]!.signerInfo.sid;
    expect(sid.kind).toBe('subjectKeyIdentifier');
    expect(info.certificates.some((c) => c.subjectKeyIdentifier === undefined)).toBe(true);
    expect(hex(info.signers[0]!.certificate!.der)).toBe(signerCert);
    expect(hex(info.certificates.find((c) => hex(c.der) === signerCert)!.subjectKeyIdentifier)).toBe(
      hex(sid.kind === 'subjectKeyIdentifier' ? sid.keyIdentifier : undefined),
    );
  });

  it('reads the EXPLICIT subjectKeyIdentifier some encoders write, and refuses other sid shapes', () => {
    const sidOf = (root: DerNode): DerNode => kids(firstSignerInfo(root))[1]!;
    const explicit = cmsWith(ski, (root) => {
      const sid = sidOf(root);
      sid.id = 0xa0;
      sid.children = [{ id: 0x04, content: sid.content! }];
      delete sid.content;
    });
    expect(hex(parseSignedData(explicit).signers[0]!.certificate!.der)).toBe(signerCert);
    // [0] around an INTEGER, and the IMPLICIT octets under [1]: neither is a SignerIdentifier.
    const integer = cmsWith(ski, (root) => {
      const sid = sidOf(root);
      sid.id = 0xa0;
      sid.children = [{ id: 0x02, content: sid.content! }];
      delete sid.content;
    });
    expect(() => parseSignedData(integer)).toThrow(malformed);
    expect(() => parseSignedData(cmsWith(ski, (root) => void (sidOf(root).id = 0x81)))).toThrow(malformed);
  });
});

describe('signed attributes', () => {
  it('reads signingTime as a UTCTime and as a GeneralizedTime of the same instant (the structure only: re-encoding a signed attribute breaks the signature, which openssl then reports)', () => {
    const utc = parseSignedData(plain).signers[0]!.signingTime!;
    expect(utc.getTime()).toBeGreaterThan(Date.UTC(2020, 0, 1));
    const generalized = parseSignedData(cmsWith(plain, 'signingTimeGeneralized')).signers[0]!;
    expect(generalized.signingTime?.getTime()).toBe(utc.getTime());
  });

  // asn1js turns text it cannot convert into 1899-11-30 and rolls a month 13 into the next year; either
  // was the signingTime before. RFC 5652 11.3 requires YYMMDDHHMMSSZ; a time no reader agrees on is refused.
  it.each([
    ['Z replaced by X', 0x17, '261205101112X'],
    ['an offset asn1js cannot read', 0x17, '261205101112+0100'],
    // asn1js added the offset instead of subtracting it and took the day from a weekday: 2026-11-06T10:11:12Z
    // (OpenSSL and Go read 5 November). RFC 5652 requires Z.
    ['a GeneralizedTime offset asn1js read as another day', 0x18, '20261105101112+0000'],
    // asn1js' UTCTime pattern is not anchored and found the time inside (OpenSSL: Bad time value).
    ['text after the Z', 0x17, '261205101112ZZ'],
    ['text before the time', 0x17, 'x261205101112Z'],
    ['month 13', 0x17, '261305101112Z'],
    ['hour 24', 0x17, '261205241112Z'],
    ['31 April', 0x18, '20260431101112Z'],
    ['29 February 2100 (not a leap year)', 0x18, '21000229101112Z'],
  ])('refuses a signingTime with %s', (_, id, text) => {
    const bad = cmsWith(
      plain,
      (root) => void Object.assign(signingTimeValue(root), { id, content: latin1(text) }),
    );
    expect(() => parseSignedData(bad)).toThrow(malformed);
  });

  it('still reads 29 February of a leap year, and the last second of a day', () => {
    const at = (id: number, text: string) =>
      parseSignedData(
        cmsWith(plain, (root) => void Object.assign(signingTimeValue(root), { id, content: latin1(text) })),
      ).signers[0]!.signingTime!.toISOString();
    expect(at(0x17, '240229235959Z')).toBe('2024-02-29T23:59:59.000Z');
    expect(at(0x18, '20000229000000Z')).toBe('2000-02-29T00:00:00.000Z');
  });

  it('leaves a signingTime of another type unread, without refusing the SignedData', () => {
    const view = parseSignedData(cmsWith(plain, 'signingTimeOctetString')).signers[0]!;
    expect(view.signingTime).toBeUndefined();
    expect(hex(view.certificate!.der)).toBe(signerCert);
  });

  it('has no signed attributes under -noattr, and refuses an empty [0] set (which openssl hashes and fails, and we verified over the content)', () => {
    const none = parseSignedData(noattr).signers[0]!;
    expect(none.hasSignedAttributes).toBe(false);
    expect(none.signerInfo.signedAttrs).toBeUndefined();
    expect(none.signingTime).toBeUndefined();
    expect(parseSignedData(plain).signers[0]!.hasSignedAttributes).toBe(true);
    const empty = cmsWith(noattr, (root) => {
      const si = kids(firstSignerInfo(root));
      si.splice(3, 0, { id: 0xa0, children: [] });
    });
    expect(() => parseSignedData(empty)).toThrow(malformed);
  });
});

/** The Microsoft RFC 3161 token of hello-signed.exe, as stored. */
function helloToken(): Uint8Array {
  const signer = parseSignedData(helloSigned()).signers[0]!.signerInfo;
  return elementBytes(unsignedAttributeValues(signer, OID.msRfc3161Timestamp)[0]!);
}

describe('RFC 3161 timestamp tokens', () => {
  it('reads the token osslsigncode attached: TSTInfo time and imprint', () => {
    const token = parseTimeStampToken(helloToken());
    expect(token.kind).toBe('rfc3161');
    expect(token.time.toISOString()).toBe('2026-11-21T22:44:52.000Z');
    expect(token.imprintAlgorithm).toBe('SHA-256');
    expect(token.imprint).toHaveLength(32);
    expect(hex(token.content)).toBe(hex(parseSignedData(helloToken()).content));
  });

  it('refuses a token whose eContentType is not id-ct-TSTInfo, or whose content is detached', () => {
    const otherType = derRebuilt(
      helloToken(),
      (root) => void (kids(encapContentInfo(root))[0]!.content = OID_DATA),
    );
    expect(parseSignedData(otherType).contentType).toBe(OID.data);
    expect(() => parseTimeStampToken(otherType)).toThrow(malformed);
    const detached = derRebuilt(helloToken(), (root) => void kids(encapContentInfo(root)).splice(1));
    expect(parseSignedData(detached).content).toBeUndefined();
    expect(() => parseTimeStampToken(detached)).toThrow(malformed);
  });

  // RFC 3161 2.4.2: YYYYMMDDhhmmss[.s...]Z. asn1js reads text without Z as local time (the machine's
  // zone), a month 13 as the next January, and an unconvertible text as 1899-11-30: refused instead.
  it.each([
    ['no Z (local time)', '20261121224452'],
    ['month 13', '20261321224452Z'],
    ['minute 60', '20261121226052Z'],
    ['a letter', '2026112122445aZ'],
    // asn1js read this as 2026-11-01T22:44:52Z (offset added, day from a weekday); OpenSSL and Go as the 21st.
    ['an offset', '20261121224452+0000'],
    // asn1js read the fraction with Number(): five seconds later (OpenSSL: Bad time value).
    ['an exponent in the fraction', '20261121224452.5e1Z'],
    // OpenSSL reads it; RFC 3161 requires seconds and Go refuses it.
    ['no seconds', '202611212244Z'],
  ])('refuses a TSTInfo genTime with %s', (_, text) => {
    const tst = parseSignedData(helloToken()).content!;
    const bad = derRebuilt(tst, (root) => void (kids(root)[4]!.content = latin1(text)));
    expect(() => parseTstInfo(bad)).toThrow(malformed);
  });

  it('reads a genTime with a fraction of a second (RFC 3161 allows one)', () => {
    const tst = parseSignedData(helloToken()).content!;
    const frac = derRebuilt(tst, (root) => void (kids(root)[4]!.content = latin1('20261121224452.25Z')));
    expect(parseTstInfo(frac).genTime.toISOString()).toBe('2026-11-21T22:44:52.250Z');
  });

  it('refuses a TSTInfo genTime written as a UTCTime (RFC 3161 requires GeneralizedTime)', () => {
    const tst = parseSignedData(helloToken()).content!;
    expect(parseTstInfo(tst).genTime.toISOString()).toBe('2026-11-21T22:44:52.000Z');
    const utc = derRebuilt(tst, (root) => {
      const genTime = kids(root)[4]!;
      expect(genTime.id).toBe(0x18);
      genTime.id = 0x17;
      genTime.content = genTime.content!.subarray(2);
    });
    expect(() => parseTstInfo(utc)).toThrow(malformed);
  });
});

describe('PKCS #9 countersignatures', () => {
  const counterOf = (root: DerNode): DerNode => {
    const unsigned = fieldWithId(firstSignerInfo(root), 0xa1)!;
    const attr = kids(unsigned).find((a) => hex(kids(a)[0]!.content) === '2a864886f70d010906')!;
    return kids(kids(attr)[1]!)[0]!;
  };
  const counterAttr = (root: DerNode, oidHex: string): DerNode[] => {
    const signed = fieldWithId(counterOf(root), 0xa0)!;
    return kids(signed).filter((a) => hex(kids(a)[0]!.content) === oidHex);
  };
  const stamps = (der: Uint8Array) => {
    const info = parseSignedData(der);
    return signerTimestamps(info.signers[0]!, info.certificates);
  };
  const MESSAGE_DIGEST = '2a864886f70d010904';
  const SIGNING_TIME = '2a864886f70d010905';

  it('reads the vendor countersignature: its time, digest algorithm and messageDigest', () => {
    const [stamp] = stamps(countersigned());
    expect(stamp!.kind).toBe('pkcs9');
    expect(stamp!.time.toISOString()).toBe('2008-07-25T22:21:53.000Z');
    let digest: DerNode | undefined;
    derRebuilt(countersigned(), (root) => void (digest = kids(counterAttr(root, MESSAGE_DIGEST)[0]!)[1]!));
    expect(hex(stamp!.imprint)).toBe(hex(kids(digest!)[0]!.content));
    expect(stamp!.imprintAlgorithm).toBe(stamp!.signer!.digestAlgorithm);
    expect(stamp!.signer!.certificate).toBeDefined();
  });

  it('refuses a malformed countersignature SignerInfo, saying it is the countersignature', () => {
    const bad = cmsWith(
      countersigned(),
      (root) => void kids(counterOf(root)).push({ id: 0x05, content: bytes() }),
    );
    expect(() => stamps(bad)).toThrow(
      expect.objectContaining({
        code: 'MALFORMED_CMS',
        message: expect.stringContaining('PKCS #9 countersignature'),
        cause: expect.objectContaining({ code: 'MALFORMED_CMS' }),
      }),
    );
  });

  it('gives an invalid time without signingTime, no imprint without messageDigest, an empty one for a constructed one', () => {
    const drop = (oidHex: string) =>
      cmsWith(countersigned(), (root) => {
        const signed = kids(fieldWithId(counterOf(root), 0xa0)!);
        signed.splice(signed.indexOf(counterAttr(root, oidHex)[0]!), 1);
      });
    const noTime = stamps(drop(SIGNING_TIME))[0]!;
    expect(Number.isNaN(noTime.time.getTime())).toBe(true);
    expect(hex(noTime.imprint)).toBe(hex(stamps(countersigned())[0]!.imprint));
    expect(noTime.imprintAlgorithm).toBe('MD5');
    const noDigest = stamps(drop(MESSAGE_DIGEST))[0]!;
    expect(noDigest.imprint).toBeUndefined();
    expect(noDigest.time.toISOString()).toBe('2008-07-25T22:21:53.000Z');
    const constructed = cmsWith(countersigned(), (root) => {
      const value = kids(kids(counterAttr(root, MESSAGE_DIGEST)[0]!)[1]!);
      value[0] = { id: 0x24, children: [value[0]!] };
    });
    expect(stamps(constructed)[0]!.imprint).toEqual(new Uint8Array(0));
  });
});
