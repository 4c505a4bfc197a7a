/**
 * The JAR family reads the signer's EKU only, as the JDK does (sun.security.validator.EndEntityChecker; its
 * PKIX validator ignores an issuer's EKU), where Go and Windows also read every issuer's
 * (test/trust/x509-chain-eku.test.ts): a signer under a CA whose EKU says serverAuth and clientAuth passes
 * `jarsigner -verify -strict`, and sigscan says verified. keytool issues the chain, jarsigner signs; both
 * and jarsigner's answer are made once a day.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, pemCertificates } from '../../../src/formats/x509.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  exportCertPem,
  genKey,
  jarsignerVerifyStrict,
  makeSignedJar,
  makeTruststore,
  type StrictVerifyResult,
} from '../../helpers/jar/index.js';
import { config, evaluateFile } from '../helpers.js';

let dir: string;
let jarsigner: StrictVerifyResult;

async function build(d: string): Promise<void> {
  const keystore = join(d, 'keys.p12');
  genKey(keystore, { alias: 'root', keyalg: 'EC', dname: 'CN=Issuer EKU Root, O=Sigscan Tests' });
  genKey(keystore, {
    alias: 'tlsca',
    keyalg: 'EC',
    dname: 'CN=Issuer EKU TLS CA, O=Sigscan Tests',
    issuerAlias: 'root',
    ca: true,
    eku: 'serverAuth,clientAuth',
  });
  const jar = makeSignedJar(d, {
    name: 'signed.jar',
    alias: 'signer',
    keyalg: 'EC',
    dname: 'CN=Issuer EKU Signer, O=Sigscan Tests',
    issuerAlias: 'tlsca',
    keystore,
  });
  exportCertPem(keystore, 'tlsca', join(d, 'tlsca.pem'));
  const trust = makeTruststore(join(d, 'trust.p12'), {
    root: exportCertPem(keystore, 'root', join(d, 'root.pem')),
  });
  writeFileSync(join(d, 'jarsigner.json'), JSON.stringify(jarsignerVerifyStrict(jar.path, trust)));
}

beforeAll(async () => {
  dir = await cachedFixtureDir('jar-issuer-eku-v1', build);
  jarsigner = JSON.parse(readFileSync(join(dir, 'jarsigner.json'), 'utf8')) as StrictVerifyResult;
}, 180_000);

describe('an issuer whose EKU excludes codeSigning, in a JAR', () => {
  it('verified with CHAIN_VALID, as jarsigner -verify -strict passes it', async () => {
    const tlsCa = parseCertificate(pemCertificates(readFileSync(join(dir, 'tlsca.pem'), 'utf8'))[0]!);
    expect(tlsCa.summary.extendedKeyUsages).toEqual(['serverAuth', 'clientAuth']);
    expect(jarsigner.passed, jarsigner.output).toBe(true);
    const outcomes = await evaluateFile(
      join(dir, 'signed.jar'),
      'jar',
      await config({ roots: [join(dir, 'root.pem')] }),
    );
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(outcomes[0]!.verdict.message).toContain('CN=Issuer EKU Root');
  });
});
