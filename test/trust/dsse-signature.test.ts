/**
 * verifyWithKey / certificateKey (issue #18): each key type checked in its native scheme, as sigstore
 * signs. Keys and signatures are made by openssl (cached per day): ECDSA with the curve's hash (SHA-256
 * for P-256, SHA-384 for P-384, SHA-512 for P-521), RSA PKCS #1 v1.5 with SHA-256, Ed25519 over the
 * raw message (`pkeyutl -rawin`). A signature made with another hash than the curve's is refused, and a
 * key that cannot sign at all (X25519) gives false, not an exception.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { certificateKey, verifyWithKey } from '../../src/trust/dsse-signature.js';
import { breathe, cachedFixtureDir } from '../helpers/fixture-cache.js';
import { run } from '../helpers/tools.js';

const MESSAGE = 'DSSEv1 28 application/vnd.in-toto+json 2 {}';
const KEYS: Array<[name: string, genpkey: string[], hash: string | undefined]> = [
  ['p256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'sha256'],
  ['p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], 'sha384'],
  ['p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], 'sha512'],
  ['rsa', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'sha256'],
  ['ed25519', ['-algorithm', 'ED25519'], undefined],
];

let dir: string;
const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const pub = (name: string) => createPublicKey(readFileSync(join(dir, `${name}.pub.pem`)));

beforeAll(async () => {
  dir = await cachedFixtureDir('csn-dsse-signature-v1', async (d) => {
    const msg = join(d, 'message.bin');
    writeFileSync(msg, MESSAGE);
    for (const [name, genpkey, hash] of KEYS) {
      const key = join(d, `${name}.key.pem`);
      await run('openssl', ['genpkey', ...genpkey, '-out', key]);
      await run('openssl', ['pkey', '-in', key, '-pubout', '-out', join(d, `${name}.pub.pem`)]);
      if (hash) {
        await run('openssl', ['dgst', `-${hash}`, '-sign', key, '-out', join(d, `${name}.sig`), msg]);
        // The same key over the same message with SHA-256 (or SHA-384): not this curve's scheme.
        const other = hash === 'sha256' ? 'sha384' : 'sha256';
        await run('openssl', [
          'dgst',
          `-${other}`,
          '-sign',
          key,
          '-out',
          join(d, `${name}.other-hash.sig`),
          msg,
        ]);
      } else {
        await run('openssl', [
          'pkeyutl',
          '-sign',
          '-rawin',
          '-inkey',
          key,
          '-in',
          msg,
          '-out',
          join(d, `${name}.sig`),
        ]);
      }
      await breathe();
    }
    await run('openssl', ['genpkey', '-algorithm', 'X25519', '-out', join(d, 'x25519.key.pem')]);
    await run('openssl', [
      'pkey',
      '-in',
      join(d, 'x25519.key.pem'),
      '-pubout',
      '-out',
      join(d, 'x25519.pub.pem'),
    ]);
    await run('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      join(d, 'p384.key.pem'),
      '-subj',
      '/CN=dsse-signature test',
      '-days',
      '30',
      '-outform',
      'DER',
      '-out',
      join(d, 'p384.cert.der'),
    ]);
  });
}, 120_000);

describe('verifyWithKey', () => {
  it.each(KEYS.map(([name]) => name))(
    '%s: the openssl signature verifies over the message, not over another',
    (name) => {
      const sig = file(`${name}.sig`);
      expect(verifyWithKey(pub(name), Buffer.from(MESSAGE), sig)).toBe(true);
      expect(verifyWithKey(pub(name), Buffer.from(`${MESSAGE} `), sig)).toBe(false);
    },
  );

  it.each(['p256', 'p384', 'p521', 'rsa'])(
    '%s: a signature over another hash of the message is refused',
    (name) => {
      expect(verifyWithKey(pub(name), Buffer.from(MESSAGE), file(`${name}.other-hash.sig`))).toBe(false);
    },
  );

  it("one key's signature does not verify with another key", () => {
    expect(verifyWithKey(pub('p256'), Buffer.from(MESSAGE), file('p384.sig'))).toBe(false);
    expect(verifyWithKey(pub('ed25519'), Buffer.from(MESSAGE), file('p256.sig'))).toBe(false);
  });

  it('a key that cannot sign (X25519) or a truncated signature: false, never an exception', () => {
    expect(verifyWithKey(pub('x25519'), Buffer.from(MESSAGE), file('p256.sig'))).toBe(false);
    expect(verifyWithKey(pub('ed25519'), Buffer.from(MESSAGE), file('ed25519.sig').subarray(0, 10))).toBe(
      false,
    );
    expect(verifyWithKey(pub('p256'), Buffer.from(MESSAGE), new Uint8Array())).toBe(false);
  });
});

describe('certificateKey', () => {
  it("is the certificate's public key: it verifies what the certificate's key signed", () => {
    const key = certificateKey(file('p384.cert.der'));
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
    expect(key.export({ type: 'spki', format: 'pem' })).toBe(
      pub('p384').export({ type: 'spki', format: 'pem' }),
    );
    expect(verifyWithKey(key, Buffer.from(MESSAGE), file('p384.sig'))).toBe(true);
  });
});
