import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PROJECT_ROOT } from '../tools.js';

/**
 * A root CA and leaves made with the openssl CLI, shaped as the Notary Project certificate profile asks
 * (formats.md §3.5 item 8), so envelopes signed with them are ones notation itself would accept.
 */
export type TestKeyKind = 'rsa3072' | 'rsa2048' | 'p256';

export interface TestCertificate {
  pem: string;
  der: Uint8Array;
  /** Go-style subject, as sigscan prints it. */
  subject: string;
  sha256Fingerprint: string;
}

export interface TestLeaf extends TestCertificate {
  kind: TestKeyKind;
  privateKey: KeyObject;
  /** Algorithm notation derives from this key (§3.5 item 3). */
  alg: 'PS256' | 'PS384' | 'ES256';
}

export interface TestPki {
  dir: string;
  root: TestCertificate & { privateKey: KeyObject };
  leaves: Record<TestKeyKind, TestLeaf>;
}

const SUBJECT_BASE = '/C=US/ST=WA/L=Seattle/O=sigscan test';
const LEAF_SPECS: Record<TestKeyKind, { genpkey: string[]; alg: TestLeaf['alg']; cn: string }> = {
  rsa3072: {
    genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'],
    alg: 'PS384',
    cn: 'sigscan leaf rsa3072',
  },
  rsa2048: {
    genpkey: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    alg: 'PS256',
    cn: 'sigscan leaf rsa2048',
  },
  p256: {
    genpkey: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    alg: 'ES256',
    cn: 'sigscan leaf p256',
  },
};

let cached: TestPki | undefined;
let extraDir: string | undefined;

/** Bump when the recipe below changes: the cache directory is keyed by it and by the day. */
const PKI_RECIPE = 'notation-pki-v1';

/**
 * Made once a day into .cache/test-fixtures/ and read back by every later test process: the RSA 3072
 * key generation takes seconds, and Stryker reruns the files that use it for every mutant they cover.
 * Keyed by the UTC day so certificates are always days away from their notAfter.
 */
export function testPki(): TestPki {
  if (cached) return cached;
  const dir = join(
    PROJECT_ROOT,
    '.cache',
    'test-fixtures',
    `${PKI_RECIPE}-${new Date().toISOString().slice(0, 10)}`,
  );
  if (!existsSync(join(dir, 'done'))) {
    // Built aside and renamed into place, so a concurrent process never reads a half-made PKI.
    mkdirSync(join(dir, '..'), { recursive: true });
    const building = mkdtempSync(`${dir}.building-`);
    makePki(building);
    writeFileSync(join(building, 'done'), '');
    try {
      renameSync(building, dir);
    } catch {
      // Another process got there first; its PKI is as good.
      rmSync(building, { recursive: true, force: true });
    }
  }
  cached = loadPki(dir);
  return cached;
}

function loadPki(dir: string): TestPki {
  const root = {
    ...certificate(readFileSync(join(dir, 'root.crt'), 'utf8')),
    privateKey: key(dir, 'root.key'),
  };
  const leaves = {} as Record<TestKeyKind, TestLeaf>;
  for (const [kind, spec] of Object.entries(LEAF_SPECS) as Array<
    [TestKeyKind, (typeof LEAF_SPECS)[TestKeyKind]]
  >) {
    leaves[kind] = {
      ...certificate(readFileSync(join(dir, `${kind}.crt`), 'utf8')),
      kind,
      privateKey: key(dir, `${kind}.key`),
      alg: spec.alg,
    };
  }
  return { dir, root, leaves };
}

function makePki(dir: string): void {
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072', '-out', 'root.key');
  writeFileSync(
    join(dir, 'root.ext'),
    [
      'basicConstraints=critical,CA:true',
      'keyUsage=critical,keyCertSign',
      'subjectKeyIdentifier=hash',
      '',
    ].join('\n'),
  );
  openssl(
    'req',
    '-new',
    '-key',
    'root.key',
    '-subj',
    `${SUBJECT_BASE}/CN=sigscan test root`,
    '-out',
    'root.csr',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'root.csr',
    '-signkey',
    'root.key',
    '-sha256',
    '-days',
    '3650',
    '-set_serial',
    serial(),
    '-extfile',
    'root.ext',
    '-out',
    'root.crt',
  );
  writeFileSync(
    join(dir, 'leaf.ext'),
    [
      'basicConstraints=critical,CA:false',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=codeSigning',
      'subjectKeyIdentifier=hash',
      'authorityKeyIdentifier=keyid',
      '',
    ].join('\n'),
  );
  for (const [kind, spec] of Object.entries(LEAF_SPECS) as Array<
    [TestKeyKind, (typeof LEAF_SPECS)[TestKeyKind]]
  >) {
    openssl('genpkey', ...spec.genpkey, '-out', `${kind}.key`);
    openssl(
      'req',
      '-new',
      '-key',
      `${kind}.key`,
      '-subj',
      `${SUBJECT_BASE}/CN=${spec.cn}`,
      '-out',
      `${kind}.csr`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${kind}.csr`,
      '-CA',
      'root.crt',
      '-CAkey',
      'root.key',
      '-sha256',
      '-days',
      '365',
      '-set_serial',
      serial(),
      '-extfile',
      'leaf.ext',
      '-out',
      `${kind}.crt`,
    );
  }
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return `0x${bytes.toString('hex')}`;
}

function key(dir: string, file: string): KeyObject {
  return createPrivateKey(readFileSync(join(dir, file), 'utf8'));
}

function certificate(pem: string): TestCertificate {
  const x509 = new X509Certificate(pem);
  const der = new Uint8Array(x509.raw);
  // node prints one RDN per line, least specific first; sigscan prints Go's comma form, most specific first.
  const subject = x509.subject.split('\n').reverse().join(',');
  return { pem, der, subject, sha256Fingerprint: createHash('sha256').update(der).digest('hex') };
}

/**
 * An extra P-256 leaf of the test root with a subject written in openssl's `-subj` form (`/O=a/O=b`
 * repeats an attribute; with `multivalue`, `+` joins attributes into one multi-valued RDN).
 */
export function testLeafWithSubject(subj: string, opts: { multivalue?: boolean } = {}): TestLeaf {
  const pki = testPki();
  const name = `extra-${createHash('sha256').update(subj).digest('hex').slice(0, 12)}`;
  // Made in this process's own directory: the PKI directory is shared by every test process.
  if (!extraDir) {
    const made = mkdtempSync(join(tmpdir(), 'sigscan-notation-extra-'));
    process.once('exit', () => rmSync(made, { recursive: true, force: true }));
    extraDir = made;
  }
  const dir = extraDir;
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const inPki = (file: string) => join(pki.dir, file);
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  openssl(
    'req',
    '-new',
    ...(opts.multivalue ? ['-multivalue-rdn'] : []),
    '-key',
    `${name}.key`,
    '-subj',
    subj,
    '-out',
    `${name}.csr`,
  );
  openssl(
    'x509', '-req', '-in', `${name}.csr`, '-CA', inPki('root.crt'), '-CAkey', inPki('root.key'), '-sha256',
    '-days', '365', '-set_serial', serial(), '-extfile', inPki('leaf.ext'), '-out', `${name}.crt`,
  ); // prettier-ignore
  return {
    ...certificate(readFileSync(join(dir, `${name}.crt`), 'utf8')),
    kind: 'p256',
    privateKey: key(dir, `${name}.key`),
    alg: 'ES256',
  };
}
