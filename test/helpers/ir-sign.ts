import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PROJECT_ROOT, run } from './tools.js';

/**
 * ir-sign material made with openssl exactly as ir-sign's README does (P-384 keys, DER SPKI, SHA-384
 * DER signatures), plus a P-256 key for the wrong-curve case and two roots ir-sign never uses (P-256 and
RSA, each signing the vendor key with SHA-384) for the root-key-type cases. Cached on disk by IR_SIGN_VERSION: Stryker
 * reruns a test file's beforeAll for every mutant.
 */
const IR_SIGN_VERSION = 'ir-sign-v2';
export const IR_SIGN_CONFIG = JSON.stringify({
  architecture: 'arm64',
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [] },
});

export interface IrSignMaterialFiles {
  dir: string;
  /** Root public key (DER SPKI), for --key. */
  rootPub: string;
  /** Hex annotation values. */
  signature: string;
  vendorPub: string;
  vendorPubSignature: string;
  /** A P-256 vendor key, signed by the root, that signed the config. */
  p256VendorPub: string;
  p256VendorPubSignature: string;
  p256Signature: string;
  /** Roots of the wrong type (DER SPKI paths) and their SHA-384 signatures over vendor.pub (hex). */
  p256RootPub: string;
  p256RootVendorPubSignature: string;
  rsaRootPub: string;
  rsaRootVendorPubSignature: string;
}

export async function irSignMaterial(): Promise<IrSignMaterialFiles> {
  const dir = join(PROJECT_ROOT, '.cache', 'test-fixtures', IR_SIGN_VERSION);
  const done = join(dir, 'material.json');
  // Paths are joined on read: the cache directory may be shared by several checkouts.
  if (existsSync(done)) {
    const cached = JSON.parse(readFileSync(done, 'utf8')) as IrSignMaterialFiles;
    return {
      ...cached,
      dir,
      rootPub: join(dir, 'root.pub'),
      p256RootPub: join(dir, 'p256root.pub'),
      rsaRootPub: join(dir, 'rsaroot.pub'),
    };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir, timeoutMs: 30_000 });
  const key = async (name: string, curve: string) => {
    await openssl(['ecparam', '-name', curve, '-genkey', '-noout', '-outform', 'DER', '-out', `${name}.key`]);
    await openssl([
      'ec',
      '-inform',
      'DER',
      '-in',
      `${name}.key`,
      '-pubout',
      '-outform',
      'DER',
      '-out',
      `${name}.pub`,
    ]);
  };
  const sign = async (k: string, file: string) => {
    await openssl([
      'dgst',
      '-sha384',
      '-keyform',
      'DER',
      '-sign',
      `${k}.key`,
      '-out',
      `${file}.${k}.sig`,
      file,
    ]);
    return readFileSync(join(dir, `${file}.${k}.sig`)).toString('hex');
  };
  writeFileSync(join(dir, 'config.json'), IR_SIGN_CONFIG);
  await key('root', 'secp384r1');
  await key('vendor', 'secp384r1');
  await key('p256', 'prime256v1');
  await key('p256root', 'prime256v1');
  await openssl([
    'genpkey',
    '-algorithm',
    'RSA',
    '-pkeyopt',
    'rsa_keygen_bits:3072',
    '-outform',
    'DER',
    '-out',
    'rsaroot.key',
  ]);
  await openssl([
    'pkey',
    '-inform',
    'DER',
    '-in',
    'rsaroot.key',
    '-pubout',
    '-outform',
    'DER',
    '-out',
    'rsaroot.pub',
  ]);
  const m: IrSignMaterialFiles = {
    dir,
    rootPub: join(dir, 'root.pub'),
    signature: await sign('vendor', 'config.json'),
    vendorPub: readFileSync(join(dir, 'vendor.pub')).toString('hex'),
    vendorPubSignature: await sign('root', 'vendor.pub'),
    p256VendorPub: readFileSync(join(dir, 'p256.pub')).toString('hex'),
    p256VendorPubSignature: await sign('root', 'p256.pub'),
    p256Signature: await sign('p256', 'config.json'),
    p256RootPub: join(dir, 'p256root.pub'),
    p256RootVendorPubSignature: await sign('p256root', 'vendor.pub'),
    rsaRootPub: join(dir, 'rsaroot.pub'),
    rsaRootVendorPubSignature: await sign('rsaroot', 'vendor.pub'),
  };
  writeFileSync(done, JSON.stringify(m));
  return m;
}
