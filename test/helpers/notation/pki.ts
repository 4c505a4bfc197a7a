import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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

/** Made once per test process in a temp dir that is removed when the process exits. */
export function testPki(): TestPki {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'sigscan-notation-pki-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
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
  const root = {
    ...certificate(readFileSync(join(dir, 'root.crt'), 'utf8')),
    privateKey: key(dir, 'root.key'),
  };

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
  const leaves = {} as Record<TestKeyKind, TestLeaf>;
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
    leaves[kind] = {
      ...certificate(readFileSync(join(dir, `${kind}.crt`), 'utf8')),
      kind,
      privateKey: key(dir, `${kind}.key`),
      alg: spec.alg,
    };
  }
  cached = { dir, root, leaves };
  return cached;
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
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] });
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
    'x509', '-req', '-in', `${name}.csr`, '-CA', 'root.crt', '-CAkey', 'root.key', '-sha256',
    '-days', '365', '-set_serial', serial(), '-extfile', 'leaf.ext', '-out', `${name}.crt`,
  ); // prettier-ignore
  return {
    ...certificate(readFileSync(join(pki.dir, `${name}.crt`), 'utf8')),
    kind: 'p256',
    privateKey: key(pki.dir, `${name}.key`),
    alg: 'ES256',
  };
}
