/**
 * ASN.1 parsers: CMS SignedData, RFC 3161 timestamp tokens, Authenticode PKCS #7, X.509 (DER and PEM),
 * seeded with the PKCS #7 blobs of the corpus' signed PE files, the catalog file and its certificates.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { SigscanError } from '../../src/errors.js';

import { parseSignedData, parseTimeStampToken } from '../../src/formats/cms.js';
import {
  checkTree,
  childrenOf,
  readElement,
  readOid,
  readTime,
  TAG,
  type DerElement,
  type DerReadOptions,
} from '../../src/formats/der-reader.js';
import { parseAuthenticodeSignature, readPeAuthenticode } from '../../src/formats/pe/index.js';
import { parseCertificate, pemCertificates } from '../../src/formats/x509.js';
import {
  asn1LengthTweak,
  corpus,
  describeMutated,
  ext,
  fixtures,
  fuzz,
  fuzzBytes,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  type Seed,
} from './harness.js';

reportStats('asn1');

const pkcs7: Seed[] = [...corpus('authenticode', ext('.cat'))];
for (const pe of [
  ...fixtures('pe', ext('.exe')),
  ...corpus('authenticode', ext('.dll', '.sys', '.exe'), 600 * 1024),
]) {
  try {
    for (const r of readPeAuthenticode(pe.bytes).table.records) {
      pkcs7.push({ name: `${pe.name}#cert[${r.index}]`, bytes: r.content.slice() });
    }
  } catch {
    // An unsigned or odd seed contributes nothing.
  }
}

const pemSeeds: Seed[] = [
  ...corpus('authenticode', ext('.pem', '.crt')),
  ...corpus('jar', ext('.pem')),
  ...corpus('notation', ext('.pem', '.crt', '.cer')),
  ...corpus('cosign', ext('.pem', '.crt')),
  ...fixtures('', ext('.pem')),
];
const certDer: Seed[] = [...corpus('notation', ext('.der', '.cer'))];
for (const s of pemSeeds) {
  pemCertificates(new TextDecoder().decode(s.bytes)).forEach((der, i) =>
    certDer.push({ name: `${s.name}[${i}]`, bytes: der }),
  );
}

const cmsArb = fuzzBytes(pkcs7, [asn1LengthTweak, asn1LengthTweak]);
const certArb = fuzzBytes(certDer, [asn1LengthTweak, asn1LengthTweak]);

describe('fuzz: ASN.1 (CMS, X.509, timestamps)', () => {
  it('has seeds', () => {
    expect(pkcs7.length).toBeGreaterThan(3);
    expect(certDer.length).toBeGreaterThan(5);
  });

  it('parseSignedData', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('cms.signedData', cmsArb, ({ bytes }) => parseSignedData(bytes), {
      describe: describeMutated,
    });
  });

  it('parseTimeStampToken', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('cms.timestamp', cmsArb, ({ bytes }) => parseTimeStampToken(bytes), {
      describe: describeMutated,
    });
  });

  it('parseAuthenticodeSignature', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('pe.pkcs7', cmsArb, ({ bytes }) => parseAuthenticodeSignature(bytes, 'fuzz'), {
      describe: describeMutated,
    });
  });

  it(
    'der-reader: every accepted tree is well formed, and the values read are typed or refused',
    {
      timeout: PROPERTY_TIMEOUT_MS,
    },
    async () => {
      const ber: DerReadOptions = { code: 'MALFORMED_CMS', ber: true };
      const der: DerReadOptions = { code: 'MALFORMED_CERTIFICATE' };
      const walk = (el: DerElement, opts: DerReadOptions, lo: number, hi: number, depth: number): void => {
        // Offsets nest: identifier <= contents <= end, inside the parent; children tile the contents.
        if (!(lo <= el.start && el.start < el.contentStart && el.contentStart <= el.contentEnd))
          throw new Error(`bad offsets ${JSON.stringify(el)}`);
        if (!(el.contentEnd <= el.end && el.end <= hi)) throw new Error(`element overruns its parent`);
        if (el.indefinite && (!opts.ber || !el.constructed || el.end !== el.contentEnd + 2))
          throw new Error('indefinite length where it is not allowed');
        if (!el.constructed) {
          if (el.tagClass === 0 && el.tagNumber === TAG.OID) readOid(el, opts, 'fuzz');
          if (el.tagClass === 0 && (el.tagNumber === TAG.UTC_TIME || el.tagNumber === TAG.GENERALIZED_TIME))
            readTime(el, opts, 'fuzz');
          return;
        }
        let pos = el.contentStart;
        for (const child of childrenOf(el, opts, depth)) {
          if (child.start !== pos) throw new Error('children do not tile the contents');
          walk(child, opts, el.contentStart, el.contentEnd, depth + 1);
          pos = child.end;
        }
        if (pos !== el.contentEnd) throw new Error('children do not end with the contents');
      };
      await fuzz(
        'der.reader',
        fc.oneof(cmsArb, certArb),
        ({ bytes }) => {
          for (const opts of [ber, der]) {
            try {
              const root = readElement(bytes, opts);
              checkTree(root, opts);
              walk(root, opts, 0, bytes.length, 0);
            } catch (err) {
              if (!(err instanceof SigscanError && err.code === opts.code)) throw err;
            }
          }
        },
        { describe: describeMutated },
      );
    },
  );

  it('parseCertificate', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('x509.der', certArb, ({ bytes }) => parseCertificate(bytes), { describe: describeMutated });
  });

  it('pemCertificates', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'x509.pem',
      fuzzBytes(pemSeeds),
      ({ bytes }) => {
        for (const der of pemCertificates(new TextDecoder().decode(bytes))) {
          try {
            parseCertificate(der);
          } catch (err) {
            if (!(err instanceof Error && 'code' in err)) throw err;
          }
        }
      },
      { describe: describeMutated },
    );
  });
});
