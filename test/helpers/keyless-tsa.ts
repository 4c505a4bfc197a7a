/**
 * The PKI of a keyless cosign signature dated by an RFC 3161 timestamp instead of a Rekor entry: a
 * Fulcio-like openssl CA, a leaf for the cosign key with the Fulcio OIDC-issuer extensions and an email
 * SAN, the same leaf with an embedded SCT from a test CT log, and trusted_root.json files naming the CA,
 * the CT log and (or not) the TSA. Shared by the integration test (real cosign against a registry) and
 * the unit test of the same verdicts in the trust layer.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { CosignKeypair } from './cosign.js';
import { makeEcCa } from './cosign-pki.js';
import { issueWithSct, makeCtLog } from './ct-log.js';
import { run } from './tools.js';
import type { TestTsa } from './tsa-server.js';

export const ISSUER = 'https://issuer.example.com';
export const IDENTITY = 'alice@example.com';

export interface KeylessTsaPki {
  /** The CA (PEM path; its key beside it as .key). */
  ca: string;
  /** The leaf without an SCT (PEM path). */
  leaf: string;
  /** The leaf with an embedded SCT (PEM path). */
  sctLeaf: string;
  /** trusted_root.json naming the CA, the CT log and the TSA. */
  trustedRoot: string;
  /** The same without the TSA. */
  rootWithoutTsa: string;
  /** The TSA chain, leaf then root (PEM path), for cosign's --timestamp-certificate-chain. */
  tsaChain: string;
  /** The CT log's public key (PEM path), for SIGSTORE_CT_LOG_PUBLIC_KEY_FILE. */
  ctPub: string;
}

export async function makeKeylessTsaPki(
  work: string,
  tsa: TestTsa,
  keys: CosignKeypair,
): Promise<KeylessTsaPki> {
  const ca = `${await makeEcCa(work, 'fulcio', '/CN=fulcio-like test CA/O=Example Corp')}.pem`;
  const leaf = await issueFulcioLikeLeaf(work, ca, keys.pub);
  await run('openssl', ['x509', '-in', ca, '-outform', 'DER', '-out', join(work, 'ca.der')]);
  const caDer = await readFile(join(work, 'ca.der'));
  const ct = await makeCtLog(work);
  const sctLeaf = await issueWithSct(work, 'sct-leaf', {
    ca,
    pub: keys.pub,
    ext: join(work, 'leaf.ext'),
    ct,
  });
  const fulcio = {
    subject: { organization: 'Example Corp', commonName: 'fulcio-like test CA' },
    uri: 'https://fulcio.example.com',
    certChain: { certificates: [{ rawBytes: caDer.toString('base64') }] },
    validFor: { start: '2020-01-01T00:00:00Z' },
  };
  const trusted = (timestampAuthorities: unknown[]) =>
    JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [],
      certificateAuthorities: [fulcio],
      ctlogs: [
        {
          baseUrl: 'https://ct.example.com',
          hashAlgorithm: 'SHA2_256',
          publicKey: {
            rawBytes: ct.spkiDer.toString('base64'),
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
            validFor: { start: '2020-01-01T00:00:00Z' },
          },
          logId: { keyId: ct.logId.toString('base64') },
        },
      ],
      timestampAuthorities,
    });
  const trustedRoot = join(work, 'trusted_root.json');
  await writeFile(
    trustedRoot,
    trusted([
      {
        subject: { organization: 'Example Corp', commonName: 'test TSA' },
        uri: tsa.url,
        // Leaf first, then its root: sigstore's trusted_root.json order.
        certChain: {
          certificates: [
            { rawBytes: tsa.tsaDer.toString('base64') },
            { rawBytes: tsa.rootDer.toString('base64') },
          ],
        },
        validFor: { start: '2020-01-01T00:00:00Z' },
      },
    ]),
  );
  const rootWithoutTsa = join(work, 'trusted_root_no_tsa.json');
  await writeFile(rootWithoutTsa, trusted([]));
  const tsaChain = join(work, 'tsa-chain.pem');
  await writeFile(tsaChain, (await readFile(tsa.tsaPem, 'utf8')) + (await readFile(tsa.rootPem, 'utf8')));
  return { ca, leaf, sctLeaf, trustedRoot, rootWithoutTsa, tsaChain, ctPub: ct.pubPem };
}

/**
 * A leaf for the cosign key (`pub`) from the Fulcio-like CA (`ca`, its key beside it as .key): code
 * signing, email SAN IDENTITY, and the Fulcio OIDC-issuer extensions (v1 and v2) naming ISSUER. Also
 * leaves `leaf.csr` and `leaf.ext` in `work`, from which issueWithSct issues the SCT variant.
 */
export async function issueFulcioLikeLeaf(work: string, ca: string, pub: string): Promise<string> {
  const leaf = join(work, 'leaf.pem');
  await run('openssl', [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', join(work, 'tmp.key'), '-out', join(work, 'leaf.csr'), '-subj', '/O=sigstore.dev',
  ]); // prettier-ignore
  await writeFile(
    join(work, 'leaf.ext'),
    [
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=codeSigning',
      `subjectAltName=critical,email:${IDENTITY}`,
      `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(ISSUER).toString('hex')}`,
      `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${ISSUER}`,
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'x509', '-req', '-in', join(work, 'leaf.csr'), '-force_pubkey', pub, '-CA', ca,
    '-CAkey', ca.replace(/\.pem$/, '.key'), '-CAcreateserial', '-out', leaf, '-days', '10',
    '-extfile', join(work, 'leaf.ext'),
  ]); // prettier-ignore
  return leaf;
}
