import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseCertificate, type ParsedCertificate } from '../../src/formats/x509.js';
import { nodeCertificateSignature } from '../../src/trust/cert-signature.js';
import { cachedFixtureDir } from '../helpers/fixture-cache.js';

/**
 * The node:crypto certificate signature check against pkijs' Certificate.verify (WebCrypto), which it
 * replaces on the chain path: the same answer on every pair openssl makes, and undefined (pkijs decides)
 * for the schemes it leaves alone. Certificates come from openssl; only the corrupted signature is
 * hand-made (one flipped byte), since no tool writes a certificate with a bad signature.
 */

const run = promisify(execFile);

/** A self-signed root and a leaf it signs, with the given key algorithm and digest, as DER files in `d`. */
async function pair(
  d: string,
  name: string,
  keyArgs: string[],
  digest: string[],
  sigopt: string[] = [],
): Promise<void> {
  const [root, rootKey, leafKey, csr, leaf, rootDer] = [
    'root.pem',
    'root.key',
    'leaf.key',
    'leaf.csr',
    'leaf.der',
    'root.der',
  ].map((f) => join(d, `${name}-${f}`)) as [string, string, string, string, string, string];
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    ...keyArgs,
    '-nodes',
    '-keyout',
    rootKey,
    '-out',
    root,
    '-subj',
    `/CN=${name} root`,
    '-days',
    '30',
    ...digest,
  ]);
  await run('openssl', [
    'req',
    '-new',
    ...keyArgs,
    '-nodes',
    '-keyout',
    leafKey,
    '-out',
    csr,
    '-subj',
    `/CN=${name} leaf`,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    root,
    '-CAkey',
    rootKey,
    '-set_serial',
    '7',
    '-days',
    '30',
    ...digest,
    ...sigopt,
    '-outform',
    'DER',
    '-out',
    leaf,
  ]);
  await run('openssl', ['x509', '-in', root, '-outform', 'DER', '-out', rootDer]);
}

async function pkijsVerdict(child: ParsedCertificate, issuer: ParsedCertificate): Promise<boolean> {
  try {
    return await child.cert.verify(issuer.cert);
  } catch {
    return false;
  }
}

const pairs: Record<string, { root: ParsedCertificate; leaf: ParsedCertificate }> = {};

const ec = (curve: string) => ['-newkey', 'ec', '-pkeyopt', `ec_paramgen_curve:${curve}`];
const RECIPES: [name: string, keyArgs: string[], digest: string[], sigopt?: string[]][] = [
  ['rsa-sha256', ['-newkey', 'rsa:2048'], ['-sha256']],
  ['rsa-sha1', ['-newkey', 'rsa:2048'], ['-sha1']],
  ['rsa-sha512', ['-newkey', 'rsa:3072'], ['-sha512']],
  ['p256-sha256', ec('P-256'), ['-sha256']],
  ['p384-sha384', ec('P-384'), ['-sha384']],
  ['p521-sha512', ec('P-521'), ['-sha512']],
  ['p256-sha1', ec('P-256'), ['-sha1']],
  ['rsa-pss', ['-newkey', 'rsa:2048'], ['-sha256'], ['-sigopt', 'rsa_padding_mode:pss']],
  ['ed25519', ['-newkey', 'ed25519'], []],
  ['secp256k1', ec('secp256k1'), ['-sha256']],
];

// The openssl pairs are made once a day (.cache/test-fixtures; 30-day certificates, and no test compares
// their validity with the current time): Stryker reruns this hook for every mutant. Parsing stays here.
beforeAll(async () => {
  const dir = await cachedFixtureDir('cert-signature-pairs-v1', (d) =>
    Promise.all(RECIPES.map(([name, keyArgs, digest, sigopt]) => pair(d, name, keyArgs, digest, sigopt))),
  );
  for (const [name] of RECIPES) {
    const m = {
      root: parseCertificate(new Uint8Array(readFileSync(join(dir, `${name}-root.der`)))),
      leaf: parseCertificate(readFileSync(join(dir, `${name}-leaf.der`))),
    };
    pairs[m.leaf.summary.subject.replace(/^CN=| leaf$/g, '')] = m;
  }
}, 120_000);

describe('nodeCertificateSignature decides as pkijs Certificate.verify', () => {
  const handled = [
    'rsa-sha256',
    'rsa-sha1',
    'rsa-sha512',
    'p256-sha256',
    'p384-sha384',
    'p521-sha512',
    'p256-sha1',
  ];

  it.each(handled)('%s: a genuine signature is true, as pkijs says', async (name) => {
    const { root, leaf } = pairs[name]!;
    expect(nodeCertificateSignature(leaf, root)).toBe(true);
    expect(await pkijsVerdict(leaf, root)).toBe(true);
  });

  it.each(handled)('%s: another key of the same kind is false, as pkijs says', async (name) => {
    const { leaf } = pairs[name]!;
    // The leaf's own key did not sign the leaf: a same-algorithm key that is not the issuer's.
    expect(nodeCertificateSignature(leaf, leaf)).toBe(false);
    expect(await pkijsVerdict(leaf, leaf)).toBe(false);
  });

  it.each(handled)('%s: one flipped byte in the signature is false, as pkijs says', async (name) => {
    const { root, leaf } = pairs[name]!;
    const der = new Uint8Array(leaf.der);
    // The signature BIT STRING ends the certificate; its last byte is signature (or s) material.
    der[der.length - 1]! ^= 0x01;
    const bad = parseCertificate(der);
    expect(nodeCertificateSignature(bad, root)).toBe(false);
    expect(await pkijsVerdict(bad, root)).toBe(false);
  });

  it.each(['rsa-pss', 'ed25519', 'secp256k1'])('%s: left to pkijs (undefined)', async (name) => {
    const { root, leaf } = pairs[name]!;
    expect(nodeCertificateSignature(leaf, root)).toBeUndefined();
  });

  it('an ECDSA key checking an RSA-signed certificate is false, as pkijs says (scheme from the key)', async () => {
    const leaf = pairs['rsa-sha256']!.leaf;
    const ecRoot = pairs['p256-sha256']!.root;
    expect(nodeCertificateSignature(leaf, ecRoot)).toBe(false);
    expect(await pkijsVerdict(leaf, ecRoot)).toBe(false);
  });

  it('an RSA issuer whose key node:crypto cannot import: false, not a throw', () => {
    const { root, leaf } = pairs['rsa-sha256']!;
    // RSAPublicKey's SEQUENCE (30 82 01 0a, a 2048-bit key) made a SET inside the key's BIT STRING.
    const der = Buffer.from(root.der);
    const at = der.indexOf(Buffer.from([0x00, 0x30, 0x82, 0x01, 0x0a, 0x02, 0x82, 0x01, 0x01]));
    expect(at).toBeGreaterThan(0);
    const bad = new Uint8Array(der);
    bad[at + 1] = 0x31;
    const badKey = parseCertificate(bad);
    expect(badKey.spkiAlgorithm).toBe('1.2.840.113549.1.1.1');
    expect(nodeCertificateSignature(leaf, badKey)).toBe(false);
  });

  it('an RSA key checking an ECDSA-signed certificate is false, as pkijs says', async () => {
    const leaf = pairs['p256-sha256']!.leaf;
    const rsaRoot = pairs['rsa-sha256']!.root;
    expect(nodeCertificateSignature(leaf, rsaRoot)).toBe(false);
    expect(await pkijsVerdict(leaf, rsaRoot)).toBe(false);
  });
});
