import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { Evidence, ImageTarget } from '../../../src/model/index.js';
import { pemCertificates } from '../../../src/formats/x509.js';
import { loadTrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { cosignVerifier } from '../../../src/trust/families/cosign.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import {
  type IssuedCert,
  issuedIn,
  makeRevocationCa,
  type RevocationCa,
} from '../../helpers/revocation-pki.js';

/**
 * cosign signatures with a private PKI (`--trust-root`): a simple-signing payload for an image, signed
 * with the key of an `openssl ca` leaf (RSA PKCS #1 v1.5 SHA-256, as cosign signs with an RSA key), the
 * leaf and CA attached as cosign attaches them. The cosign binary needs a registry to sign; here the
 * bytes are what it would attach, and only the revocation outcome is under test.
 */
describe('revocation of cosign private-PKI signers', () => {
  let ca: Pick<RevocationCa, 'caPem'>;
  let crl: string;
  const leaves: Record<string, IssuedCert> = {};
  const manifest = Buffer.from('{"schemaVersion":2}');
  const digest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  const target: ImageTarget = {
    kind: 'image',
    registry: 'r.example',
    repository: 'app',
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
  };

  const evidenceFor = (name: string): Evidence => {
    const leaf = leaves[name]!;
    const payload = Buffer.from(
      JSON.stringify({
        critical: {
          identity: { 'docker-reference': 'r.example/app' },
          image: { 'docker-manifest-digest': digest },
          type: 'cosign container image signature',
        },
        optional: null,
      }),
    );
    const [leafDer, caDer] = pemCertificates(readFileSync(leaf.chain, 'utf8'));
    return {
      family: 'cosign',
      location: `sha256-${digest.slice(7)}.sig`,
      signer: {},
      claims: { subjectDigest: digest },
      material: {
        payload: new Uint8Array(payload),
        signature: new Uint8Array(sign('sha256', payload, createPrivateKey(readFileSync(leaf.key)))),
        certificateDer: leafDer,
        chainDer: [caDer],
      },
    };
  };
  const verdictOf = async (name: string, crls: string[]) => {
    // Hand-signed layers carry no Rekor entry; revocation is the point, so the log is waived.
    const config = await loadTrustConfig({ trustRoot: [ca.caPem], crl: crls, insecureIgnoreTlog: true });
    return new TrustEvaluator(config, { cosign: cosignVerifier }).evaluate(evidenceFor(name), target);
  };

  // The CA, the leaves and the CRL are made once a day (.cache/test-fixtures): Stryker reruns this hook for
  // every mutant. Leaves valid for a year from the build, the CRL for 30 days: a day-old copy judges alike.
  beforeAll(async () => {
    const built = await cachedFixtureDir('cosign-revocation-v1', async (d) => {
      const builder = await makeRevocationCa(join(d, 'ca'));
      await builder.issue('good', 'Cosign Good');
      const revoked = await builder.issue('revoked', 'Cosign Revoked');
      await builder.revoke(revoked.cert, 'keyCompromise');
      await builder.crl(join(d, 'crl.pem'));
    });
    ca = { caPem: join(built, 'ca', 'ca.pem') };
    for (const name of ['good', 'revoked']) leaves[name] = issuedIn(join(built, 'ca'), name);
    crl = join(built, 'crl.pem');
  }, 60_000);

  it('a revoked signer is untrusted CERT_REVOKED; without the CRL it reads verified, the status unknown', async () => {
    const revoked = await verdictOf('revoked', [crl]);
    expect([revoked.status, revoked.code]).toEqual(['untrusted', 'CERT_REVOKED']);
    expect(revoked.message).toMatch(/^CN=Cosign Revoked,O=Sigscan Test was revoked \S+ \(keyCompromise\)/);
    const unknown = await verdictOf('revoked', []);
    expect([unknown.status, unknown.code]).toEqual(['verified', 'CHAIN_VALID']);
    expect(unknown.message).toContain('the revocation status of CN=Cosign Revoked,O=Sigscan Test is unknown');
  });

  it('a good signer is verified with the check named', async () => {
    const good = await verdictOf('good', [crl]);
    expect([good.status, good.code]).toEqual(['verified', 'CHAIN_VALID']);
    expect(good.message).toContain('; revocation checked (offline): 1 certificate(s) not revoked');
  });
});
