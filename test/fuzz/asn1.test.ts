/**
 * ASN.1 parsers: CMS SignedData, RFC 3161 timestamp tokens, Authenticode PKCS #7, X.509 (DER and PEM),
 * seeded with the PKCS #7 blobs of the corpus' signed PE files, the catalog file and its certificates.
 */
import { describe, expect, it } from 'vitest';

import { parseSignedData, parseTimeStampToken } from '../../src/formats/cms.js';
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
