/**
 * verifyRawSignature: a raw cosign signature (an image `.sig` layer, or one made with a keyless leaf) checked
 * with a key, by the rule cosign 2.5 applies to a `--key` or a certificate key (sigstore LoadVerifier with
 * crypto.SHA256): ECDSA of any curve over SHA-256 in ASN.1 DER, RSA PKCS#1 v1.5 over SHA-256, Ed25519 over
 * the data. Keys and signatures are made by openssl once a day, and cosign's own `verify-blob --key
 * --signature --offline --insecure-ignore-tlog` verdict on each case is recorded beside them.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { verifyRawSignature } from '../../../src/trust/sigstore/signature.js';
import { cosign } from '../../helpers/cosign.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { run } from '../../helpers/tools.js';

const DATA = '{"critical":{"identity":{"docker-reference":"registry.test/app"}},"optional":null}';

/** Key recipes: name → openssl genpkey arguments. */
const KEYS: Record<string, string[]> = {
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
  rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  rsapss: ['-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ed25519'],
  ed448: ['-algorithm', 'ed448'],
};

/** Signature recipes: name → [key, openssl pkeyutl/dgst arguments after -sign/-inkey]. */
const SIGS: Record<string, [key: string, args: string[]]> = {
  'p256-sha256': ['p256', ['dgst', '-sha256']],
  'p256-sha384': ['p256', ['dgst', '-sha384']],
  'p384-sha256': ['p384', ['dgst', '-sha256']],
  'p384-sha384': ['p384', ['dgst', '-sha384']],
  'p384-sha512': ['p384', ['dgst', '-sha512']],
  'p521-sha256': ['p521', ['dgst', '-sha256']],
  'p521-sha512': ['p521', ['dgst', '-sha512']],
  'rsa-pkcs1-sha256': ['rsa', ['dgst', '-sha256']],
  'rsa-pkcs1-sha512': ['rsa', ['dgst', '-sha512']],
  'rsa-pss-sha256': [
    'rsa',
    ['dgst', '-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
  ],
  'rsapss-key-sha256': ['rsapss', ['dgst', '-sha256']],
  ed25519: ['ed25519', ['pkeyutl', '-rawin']],
  ed448: ['ed448', ['pkeyutl', '-rawin']],
};

async function build(dir: string): Promise<void> {
  const data = join(dir, 'data.json');
  writeFileSync(data, DATA);
  for (const [name, args] of Object.entries(KEYS)) {
    await run('openssl', ['genpkey', ...args, '-out', join(dir, `${name}.key`)]);
    await run('openssl', [
      'pkey',
      '-in',
      join(dir, `${name}.key`),
      '-pubout',
      '-out',
      join(dir, `${name}.pub`),
    ]);
  }
  const cosignSays: Record<string, number> = {};
  for (const [name, [key, args]] of Object.entries(SIGS)) {
    await breathe();
    const out = join(dir, `${name}.sig`);
    const priv = join(dir, `${key}.key`);
    await run(
      'openssl',
      args[0] === 'dgst'
        ? [...args, '-sign', priv, '-out', out, data]
        : [...args, '-sign', '-inkey', priv, '-in', data, '-out', out],
    );
    writeFileSync(join(dir, `${name}.sig.b64`), readFileSync(out).toString('base64'));
    const res = await cosign(
      [
        'verify-blob',
        '--key',
        join(dir, `${key}.pub`),
        '--signature',
        join(dir, `${name}.sig.b64`),
        '--offline',
        '--insecure-ignore-tlog',
        data,
      ],
      { check: false },
    );
    cosignSays[name] = res.code ?? -1;
  }
  writeFileSync(join(dir, 'cosign.json'), JSON.stringify(cosignSays));
}

describe('verifyRawSignature, beside cosign verify-blob --key', () => {
  let dir: string;
  let cosignSays: Record<string, number>;
  const data = new Uint8Array(Buffer.from(DATA));
  const key = (name: string): KeyObject => createPublicKey(readFileSync(join(dir, `${name}.pub`)));
  const sig = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.sig`)));
  const ours = (name: string) => verifyRawSignature(data, sig(name), key(SIGS[name]![0]));

  beforeAll(async () => {
    dir = await cachedFixtureDir('sigstore-raw-signatures-v1', build);
    cosignSays = JSON.parse(readFileSync(join(dir, 'cosign.json'), 'utf8')) as Record<string, number>;
  }, 240_000);

  // cosign's verdict on every case: 0 is "Verified OK".
  it.each([
    ['p256-sha256', true],
    ['p256-sha384', false],
    ['p384-sha256', true],
    ['p384-sha384', false],
    ['p384-sha512', false],
    ['p521-sha256', true],
    ['p521-sha512', false],
    ['rsa-pkcs1-sha256', true],
    ['rsa-pkcs1-sha512', false],
    ['rsa-pss-sha256', false],
    ['rsapss-key-sha256', false],
    ['ed25519', true],
    ['ed448', false],
  ])('%s: verifies = %s, as cosign says', (name, expected) => {
    expect(cosignSays[name] === 0, `cosign exit ${cosignSays[name]}`).toBe(expected);
    expect(ours(name)).toBe(expected);
  });

  it('the same signatures over other data do not verify', () => {
    const other = new Uint8Array(Buffer.from(DATA.replace('app', 'evil')));
    for (const name of ['p256-sha256', 'p384-sha256', 'rsa-pkcs1-sha256', 'ed25519']) {
      expect(verifyRawSignature(other, sig(name), key(SIGS[name]![0])), name).toBe(false);
    }
  });

  it('an ECDSA signature as raw r||s (not DER) is refused, as cosign does', () => {
    const der = Buffer.from(sig('p256-sha256'));
    // SEQUENCE { INTEGER r, INTEGER s }: each integer left-padded or stripped to 32 bytes.
    const ints: Buffer[] = [];
    let at = 2;
    for (let i = 0; i < 2; i++) {
      const len = der[at + 1]!;
      const v = der.subarray(at + 2, at + 2 + len);
      ints.push(Buffer.concat([Buffer.alloc(32), v]).subarray(-32));
      at += 2 + len;
    }
    expect(verifyRawSignature(data, new Uint8Array(Buffer.concat(ints)), key('p256'))).toBe(false);
  });

  it('an empty signature is refused for every key type', () => {
    for (const k of Object.keys(KEYS))
      expect(verifyRawSignature(data, new Uint8Array(), key(k)), k).toBe(false);
  });
});
