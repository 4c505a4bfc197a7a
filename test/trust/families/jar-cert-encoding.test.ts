/**
 * A signed JAR whose signer certificate was changed outside its signed tbsCertificate after jarsigner
 * signed: the signature value's length padded with a zero octet, or the NULL parameters dropped from
 * the outer signatureAlgorithm. The JDK accepts both (jarsigner -verify -strict passes: its DER reader
 * takes the padded length, and AlgorithmId compares absent and NULL parameters alike). sigscan refuses
 * the certificate, as Go's crypto/x509 would, and OpenSSL for the second (test/formats/x509-encoding):
 * one certificate parser must not see a certificate another refuses. This is stricter than jarsigner on
 * purpose, and the verdict says why. keytool, jarsigner and jarsigner -verify -strict run once per UTC
 * day into the fixture cache; the reference tool's answer is stored beside the bytes.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate } from '../../../src/formats/x509.js';
import { derEncode, derRebuilt, type DerNode } from '../../helpers/der-tree.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  caSignedGoodJar,
  jarsignerVerifyStrict,
  putEntries,
  type StrictVerifyResult,
} from '../../helpers/jar/index.js';
import { config, evaluateFile } from '../helpers.js';

const BLOCK = 'META-INF/SIGNER.RSA';
const CHANGES = {
  padded: (cert: DerNode) => void (cert.children![2]!.paddedLength = true),
  withoutNull: (cert: DerNode) => void cert.children![1]!.children!.splice(1),
} as const;
type Change = keyof typeof CHANGES;
let dir: string;
let reference: Record<Change, StrictVerifyResult>;

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-cert-encoding-v2', async (d) => {
    const { trust } = caSignedGoodJar(d, 'Jar Cert Encoding');
    const block = new Uint8Array(execFileSync('unzip', ['-p', join(d, 'good.jar'), BLOCK]));
    const answers: Record<string, StrictVerifyResult> = {};
    for (const [name, change] of Object.entries(CHANGES)) {
      // ContentInfo { contentType, [0] { SignedData { ..., [0] certificates, ... } } }
      const changed = derRebuilt(block, (root) => {
        const signedData = root.children![1]!.children![0]!;
        const certificates = signedData.children!.find((c) => c.id === 0xa0)!.children!;
        const signer = certificates.find((c) =>
          parseCertificate(derEncode(c)).summary.subject.startsWith('CN=Jar Cert Encoding Signer'),
        )!;
        change(signer);
      });
      copyFileSync(join(d, 'good.jar'), join(d, `${name}.jar`));
      putEntries(join(d, `${name}.jar`), { [BLOCK]: changed });
      answers[name] = jarsignerVerifyStrict(join(d, `${name}.jar`), trust);
    }
    writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(answers));
  });
  reference = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as typeof reference;
}, 300_000);

describe('a signer certificate changed outside its signed bytes', () => {
  it.each([
    ['padded', /^the length at offset \d+ is not in the shortest form DER requires$/],
    ['withoutNull', /^signatureAlgorithm differs from the signature field of tbsCertificate$/],
  ] as const)(
    '%s: jarsigner -strict accepts it, sigscan does not verify it and names the certificate fault',
    async (name, why) => {
      const tool = reference[name];
      expect(tool.passed, tool.output).toBe(true);
      const [o] = await evaluateFile(
        join(dir, `${name}.jar`),
        'jar',
        await config({ roots: [join(dir, 'ca.pem')] }),
      );
      expect(o!.verdict.status).not.toBe('verified');
      expect(o!.verdict.code).toBe('SIGNATURE_BLOCK_MALFORMED');
      expect(o!.verdict.message.replace(/^.*not a valid X\.509 certificate: /, '')).toMatch(why);
    },
  );
});
