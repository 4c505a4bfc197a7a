import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { breathe, cachedFixtureDir } from './fixture-cache.js';
import { run } from './tools.js';

/** The public keys of {@link trustInputFixtures}, by file name under keys/, with openssl's key options. */
export const FIXTURE_KEYS = {
  'p256.pub': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'p384.pub': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  'p521.pub': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  'k256.pub': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'],
  'rsa.pub': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'rsa-pss.pub': ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
  'ed25519.pub': ['-algorithm', 'ed25519'],
  'ed448.pub': ['-algorithm', 'ed448'],
} as const;

/**
 * The certificate files of roots/ in JavaScript's order (UTF-16 code units; each one's CN is its name
 * without the extension). The last two are in the opposite order in bytes (UTF-8: U+FF21 is EF BC A1,
 * U+1F512 is F0 9F 94 92), the order libuv's scandir gives fs.readdir on Unix; Windows lists a directory
 * unsorted.
 */
export const ROOT_FILES = [
  'a.pem',
  'b.der',
  'k.crt',
  'm.pem',
  'x.pem',
  '\u{1F512}.pem',
  '\uFF21.pem',
] as const;

/**
 * Trust inputs made by openssl, once per UTC day:
 * - keys/<name>: a PEM SubjectPublicKeyInfo for each of {@link FIXTURE_KEYS}, keys/<name>.der its DER form
 *   (`openssl pkey -pubout -outform DER`);
 * - cert.pem: a self-signed P-256 certificate (a `--key` may be one: its key is meant);
 * - roots/: self-signed certificates named {@link ROOT_FILES}, written in the reverse order, and
 *   roots/nested/n.pem, a certificate in a subdirectory;
 * - not-a-cert.pem: a PEM certificate block whose base64 is not DER.
 */
export function trustInputFixtures(): Promise<string> {
  return cachedFixtureDir('trust-inputs-v2', async (dir) => {
    await mkdir(join(dir, 'keys'));
    for (const [name, opts] of Object.entries(FIXTURE_KEYS)) {
      const key = join(dir, `${name}.key`);
      await run('openssl', ['genpkey', ...opts, '-out', key]);
      await run('openssl', ['pkey', '-in', key, '-pubout', '-out', join(dir, 'keys', name)]);
      await run('openssl', [
        'pkey',
        '-in',
        key,
        '-pubout',
        '-outform',
        'DER',
        '-out',
        join(dir, 'keys', `${name}.der`),
      ]);
      await breathe();
    }
    await selfSigned(dir, 'cert', 'PEM', join(dir, 'cert.pem'));
    await mkdir(join(dir, 'roots', 'nested'), { recursive: true });
    for (const name of [...ROOT_FILES].reverse()) {
      await selfSigned(dir, rootName(name), name.endsWith('.der') ? 'DER' : 'PEM', join(dir, 'roots', name));
    }
    await selfSigned(dir, 'n', 'PEM', join(dir, 'roots', 'nested', 'n.pem'));
    await writeFile(
      join(dir, 'not-a-cert.pem'),
      '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n',
    );
  });
}

/** The CN of a root file: its name without the extension. */
export function rootName(file: string): string {
  return file.replace(/\.[a-z]+$/, '');
}

async function selfSigned(dir: string, cn: string, form: 'PEM' | 'DER', out: string): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    join(dir, 'self-signed.key'),
    '-utf8',
    '-subj',
    `/CN=${cn}`,
    '-days',
    '30',
    '-outform',
    form,
    '-out',
    out,
  ]);
}
