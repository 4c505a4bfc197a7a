/**
 * src/trust/families/authenticode.ts beyond the corpus: the weak image-hash algorithm when the SignerInfo
 * digest is strong (osslsigncode uses one -h for both, so the SignerInfo is re-signed here with SHA-256 over
 * osslsigncode's own SpcIndirectDataContent), a signer certificate without any EKU extension (not lifetime
 * signing: its timestamp extends validity), the guards, and the BER forms contentsOctets reads.
 * (Mutation survivors of families/authenticode.ts, reports/mutation-log.md, session 13, h13/tst.)
 */
import { createHash, sign } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { beforeAll, describe, expect, it } from 'vitest';

import type { AuthenticodeMaterial } from '../../src/detectors/authenticode.js';
import { parseSignedData } from '../../src/formats/cms.js';
import { loadTrustConfig, readCertificates } from '../../src/trust/config.js';
import { authenticodeVerifier, contentsOctets } from '../../src/trust/families/authenticode.js';
import { kids, signerInfos } from '../helpers/cms-surgery.js';
import { derRebuilt } from '../helpers/der-tree.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';
import { editPrimarySignedData, issueNoEkuCertificate } from '../helpers/pe/countersign.js';
import {
  compileTinyPe,
  makeSignedPe,
  makeTestPki,
  osslsigncodeVerifyWith,
  type TestPki,
} from '../helpers/pe/signed-pe.js';
import { config, detectFile, evaluateFile, fileTarget } from './helpers.js';

const SHA256 = '2.16.840.1.101.3.4.2.1';
const MESSAGE_DIGEST = '1.2.840.113549.1.9.4';

/**
 * The primary SignerInfo of an osslsigncode-signed PE re-signed with SHA-256 (digest algorithm, messageDigest
 * and the RSA signature over the signed attributes), by the same key; the SpcIndirectDataContent, and so the
 * image hash and its algorithm, stay osslsigncode's.
 */
async function resignWithSha256(input: string, output: string, keyPem: string): Promise<string> {
  const [e] = await detectFile(input, 'pe');
  const m = e!.material as AuthenticodeMaterial;
  const messageDigest = createHash('sha256').update(contentsOctets(m.spcIndirectDataDer)).digest();
  return editPrimarySignedData(input, output, (sd) => {
    const algorithm = () =>
      new pkijs.AlgorithmIdentifier({ algorithmId: SHA256, algorithmParams: new asn1js.Null() });
    sd.digestAlgorithms = [algorithm()];
    const si = sd.signerInfos[0]!;
    si.digestAlgorithm = algorithm();
    const md = si.signedAttrs!.attributes.find((a) => a.type === MESSAGE_DIGEST)!;
    md.values = [new asn1js.OctetString({ valueHex: messageDigest })];
    const encoded = new Uint8Array(si.signedAttrs!.toSchema().toBER());
    encoded[0] = 0x31; // signed over as a SET OF, not the [0] IMPLICIT field (RFC 5652 §5.4)
    si.signature = new asn1js.OctetString({ valueHex: sign('sha256', encoded, readFileSync(keyPem)) });
  });
}

let pki: TestPki;
let work: string;
/** MD5 / SHA-1 image hash, SHA-256 SignerInfo. */
let md5Image: string;
let sha1Image: string;
/** Signed by a certificate with no EKU extension, stamped by the test TSA a minute after it was issued. */
let noEku: string;
let noEkuBorn: number;

beforeAll(async () => {
  work = await cachedFixtureDir('authenticode-family-v1', async (d) => {
    const pki = await makeTestPki(join(d, 'pki'));
    const exe = await compileTinyPe(d);
    for (const hash of ['md5', 'sha1'] as const) {
      const signed = await makeSignedPe(pki, exe, join(d, `${hash}-all.exe`), { hash });
      await resignWithSha256(signed, join(d, `${hash}-image.exe`), pki.rsaKey);
    }
    const leaf = await issueNoEkuCertificate(pki.dir, 'no-eku-code-signer');
    const chain = join(pki.dir, 'no-eku-chain.pem');
    writeFileSync(chain, readFileSync(leaf.cert, 'utf8') + readFileSync(pki.caPem, 'utf8'));
    const [cert] = await readCertificates(leaf.cert, '--trust-root');
    const born = Math.floor(cert!.cert.notBefore.value.getTime() / 1000);
    writeFileSync(join(d, 'no-eku-born'), String(born));
    await makeSignedPe({ ...pki, rsaChainPem: chain, rsaKey: leaf.key }, exe, join(d, 'no-eku.exe'), {
      timestampUnixTime: born + 60,
    });
  });
  pki = {
    dir: join(work, 'pki'),
    caPem: join(work, 'pki', 'ca.pem'),
  } as TestPki;
  md5Image = join(work, 'md5-image.exe');
  sha1Image = join(work, 'sha1-image.exe');
  noEku = join(work, 'no-eku.exe');
  noEkuBorn = Number(readFileSync(join(work, 'no-eku-born'), 'utf8'));
}, 180_000);

const target = (file: string) => fileTarget(file, new Uint8Array(readFileSync(file)), 'pe');

async function verdict(file: string, opts: { allowWeakAlgorithms?: boolean; at?: number } = {}) {
  const cfg = await loadTrustConfig({
    trustRoot: [pki.caPem],
    tsaRoot: [pki.caPem],
    allowWeakAlgorithms: opts.allowWeakAlgorithms ?? false,
    ...(opts.at === undefined ? {} : { at: new Date(opts.at * 1000).toISOString() }),
  });
  const outcomes = await evaluateFile(file, 'pe', cfg);
  expect(outcomes).toHaveLength(1);
  return outcomes[0]!;
}

describe('a weak image hash under a SHA-256 SignerInfo', () => {
  it('the re-signed files carry what they claim: MD5 / SHA-1 image hash, SHA-256 digest', async () => {
    for (const [file, image] of [
      [md5Image, 'MD5'],
      [sha1Image, 'SHA-1'],
    ] as const) {
      const [e] = await detectFile(file, 'pe');
      expect(e!.details).toMatchObject({ imageHashAlgorithm: image, imageHashMatches: true });
      expect(e!.digestAlgorithm).toBe('SHA-256');
    }
  });

  it('in a scan the detector refuses the disagreement first: invalid DIGEST_ALGORITHM_DISAGREEMENT (osslsigncode accepts)', async () => {
    for (const file of [md5Image, sha1Image]) {
      expect((await osslsigncodeVerifyWith(file, { caFile: pki.caPem })).passed).toBe(true);
      const { verdict: v } = await verdict(file);
      expect(v).toMatchObject({ status: 'invalid', code: 'DIGEST_ALGORITHM_DISAGREEMENT' });
    }
  });

  // The family's own policy, without the detector's finding in front of it: the image hash algorithm is
  // judged by itself, not only through the SignerInfo digest.
  async function familyVerdict(file: string, allowWeakAlgorithms = false) {
    const [e] = await detectFile(file, 'pe');
    const cfg = await loadTrustConfig({ trustRoot: [pki.caPem], allowWeakAlgorithms });
    return authenticodeVerifier({ ...e!, findings: [] }, target(file), { config: cfg, now: new Date() });
  }

  it('MD5 image hash: untrusted WEAK_ALGORITHM, though the SignerInfo is SHA-256', async () => {
    const v = await familyVerdict(md5Image);
    expect(v).toMatchObject({ status: 'untrusted', code: 'WEAK_ALGORITHM' });
    expect(v.message).toContain('uses MD5,');
  });

  it('MD5 image hash with --allow-weak-algorithms: verified, MD5 named once', async () => {
    const v = await familyVerdict(md5Image, true);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain(
      '; weak algorithms: MD5; MD5 accepted only because of --allow-weak-algorithms;',
    );
  });

  it('SHA-1 image hash: verified, SHA-1 reported as weak', async () => {
    const v = await familyVerdict(sha1Image);
    expect(v).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain('; weak algorithms: SHA-1;');
  });
});

describe('a signer certificate with no EKU extension is not lifetime signing', () => {
  it('two years on, expired: verified at its timestamp, as osslsigncode -time', async () => {
    const later = noEkuBorn + 2 * 365 * 86400;
    const { evidence, verdict: v } = await verdict(noEku, { at: later });
    expect(evidence.signer?.certificate?.extendedKeyUsages).toBeUndefined();
    expect(v, v.message).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(v.message).toContain(`at the timestamp ${new Date((noEkuBorn + 60) * 1000).toISOString()}`);
    const tool = await osslsigncodeVerifyWith(noEku, {
      caFile: pki.caPem,
      tsaCaFile: pki.caPem,
      time: later,
    });
    expect(tool.passed, tool.output).toBe(true);
  });
});

describe('authenticodeVerifier guards', () => {
  const ctx = async () => ({ config: await config({ roots: [pki.caPem] }), now: new Date() });

  it('evidence without the signature bytes: error INTERNAL', async () => {
    const [e] = await detectFile(sha1Image, 'pe');
    const v = await authenticodeVerifier({ ...e!, material: undefined }, target(sha1Image), await ctx());
    expect(v).toMatchObject({ status: 'error', code: 'INTERNAL' });
  });

  it('a SignedData whose SignerInfos SET is empty: invalid SIGNER_CERTIFICATE_MISSING', async () => {
    const [e] = await detectFile(sha1Image, 'pe');
    const m = e!.material as AuthenticodeMaterial;
    const empty = derRebuilt(m.signedDataDer, (root) => {
      kids(signerInfos(root)).length = 0;
    });
    expect(parseSignedData(empty).signers).toHaveLength(0);
    const v = await authenticodeVerifier(
      { ...e!, material: { ...m, signedDataDer: empty } },
      target(sha1Image),
      await ctx(),
    );
    expect(v).toMatchObject({ status: 'invalid', code: 'SIGNER_CERTIFICATE_MISSING' });
  });
});

describe('contentsOctets reads BER forms of a real SpcIndirectDataContent', () => {
  let der: Uint8Array;
  let inner: Uint8Array;
  const malformed = (bytes: number[] | Uint8Array) => {
    try {
      contentsOctets(new Uint8Array(bytes));
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return 'no error';
  };

  beforeAll(async () => {
    const [e] = await detectFile(sha1Image, 'pe');
    der = (e!.material as AuthenticodeMaterial).spcIndirectDataDer;
    // Short-form length: 30 len (no page hashes).
    expect(der[0]).toBe(0x30);
    expect(der[1]).toBe(der.length - 2);
    inner = der.subarray(2);
  });

  it('DER as osslsigncode wrote it: everything after the 2 header octets', () => {
    expect(contentsOctets(der)).toEqual(inner);
  });

  it('indefinite length (30 80 ... 00 00): the contents without the end-of-contents octets', () => {
    expect(contentsOctets(new Uint8Array([0x30, 0x80, ...inner, 0, 0]))).toEqual(inner);
  });

  it('a high tag number in three identifier octets (3f 82 00): the contents after them and the length', () => {
    const high = new Uint8Array([0x3f, 0x82, 0x00, ...der.subarray(1)]);
    expect(contentsOctets(high)).toEqual(inner);
  });

  it('a length past the end: MALFORMED_CMS, whatever the form', () => {
    expect(malformed(der.subarray(0, der.length - 1))).toBe('MALFORMED_CMS');
    expect(malformed([0x30, 0x05, 1, 2, 3, 4])).toBe('MALFORMED_CMS');
    expect(malformed([0x3f, 0x82, 0x00, 0x03, 1, 2])).toBe('MALFORMED_CMS');
    expect(malformed([0x3f, 0x82])).toBe('MALFORMED_CMS');
    expect(malformed([0x30, 0x03, 1, 2, 3])).toBe('no error');
  });
});
