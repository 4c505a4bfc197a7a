/**
 * The TSA certificate path of an RFC 3161 timestamp, one fault at a time: tokens made by `openssl ts -reply`
 * with TSA chains made by `openssl x509` (and `faketime` for certificates whose validity starts or ends
 * elsewhere). Each fault yields exactly its TSA_* code, and `openssl ts -verify` agrees where it checks
 * the same thing. These also drive the chain checks of src/trust/x509-chain.ts (CA constraints, notBefore,
 * notAfter, signatures) through a second caller.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import type { ParsedCertificate } from '../../src/formats/x509.js';
import { readCertificates } from '../../src/trust/config.js';
import { verifyTimestamp } from '../../src/trust/timestamp.js';
import { cachedRunInDirSync } from '../helpers/tool-answers.js';
import { run } from '../helpers/tools.js';

const CONFIG = `
[req]
distinguished_name = dn
[dn]
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[v3_no_bc]
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
[ca_pathlen0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
[not_ca]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyCertSign,cRLSign
[no_cert_sign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
[tsa]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
[tsa_config]
serial = SERIAL_FILE
default_policy = 1.2.3.4.1
digests = sha256
signer_digest = sha256
ess_cert_id_alg = sha256
`;

/**
 * The PKI and tokens are built once per day and recipe and kept in the temp directory: Stryker reruns this
 * file's hooks for every mutant it covers, and 20 openssl runs per mutant would be most of the run.
 */
const CACHE = join(
  tmpdir(),
  // Keyed by this file's text: any change to the recipe builds afresh.
  `sigscan-tsa-chain-${new Date().toISOString().slice(0, 10)}-${createHash('sha256')
    .update(readFileSync(import.meta.filename))
    .digest('hex')
    .slice(0, 12)}`,
);
let dir = CACHE;
const p = (name: string) => join(dir, name);
// faketime -f with an absolute time freezes the clock there: a stamp and a certificate made at that time
// get exactly that second however long openssl takes.
const openssl = (args: string[], time?: string) =>
  time ? run('faketime', ['-f', time, 'openssl', ...args]) : run('openssl', args);

async function key(name: string, subject: string): Promise<void> {
  await openssl([
    'req',
    '-new',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p(`${name}.key`),
    '-out',
    p(`${name}.csr`),
    '-subj',
    subject,
    '-config',
    p('o.cnf'),
  ]);
}

async function selfSigned(name: string, subject: string, extensions = 'root', time?: string): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-days',
      '3650',
      '-subj',
      subject,
      '-config',
      p('o.cnf'),
      '-extensions',
      extensions,
    ],
    time,
  );
}

/**
 * Issues <name>.pem from <name>.csr by <issuer>; `time` runs openssl under faketime (validity starts then).
 * Extensions null makes an X.509 v1 certificate (openssl writes v1 when it adds no extension).
 */
async function issue(
  name: string,
  issuer: string,
  extensions: string | null,
  days = 365,
  time?: string,
): Promise<void> {
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p(`${issuer}.pem`),
      '-CAkey',
      p(`${issuer}.key`),
      '-set_serial',
      String(Math.floor(Math.random() * 1e9)),
      '-out',
      p(`${name}.pem`),
      '-days',
      String(days),
      ...(extensions === null ? [] : ['-extfile', p('o.cnf'), '-extensions', extensions]),
    ],
    time,
  );
}

/** An RFC 3161 token over data.bin, signed by <tsa>, carrying <chain> (or no certificates at all). */
async function token(
  tsa: string,
  chain: string[],
  opts: { certs?: boolean; id?: string; time?: string } = {},
): Promise<Uint8Array> {
  const id = opts.id ?? tsa;
  const query = p(`${id}.tsq`);
  await openssl([
    'ts',
    '-query',
    '-data',
    p('data.bin'),
    '-sha256',
    ...(opts.certs === false ? [] : ['-cert']),
    '-out',
    query,
  ]);
  writeFileSync(p(`${id}-chain.pem`), chain.map((c) => readFileSync(p(`${c}.pem`), 'utf8')).join(''));
  const out = p(`${id}.tsr`);
  await openssl(
    [
      'ts',
      '-reply',
      '-queryfile',
      query,
      '-signer',
      p(`${tsa}.pem`),
      '-inkey',
      p(`${tsa}.key`),
      ...(chain.length ? ['-chain', p(`${id}-chain.pem`)] : []),
      '-config',
      p('o.cnf'),
      '-section',
      'tsa_config',
      '-token_out',
      '-out',
      out,
    ],
    opts.time,
  );
  return new Uint8Array(readFileSync(out));
}

/** What `openssl ts -verify` says of a token, trusting only root.pem. */
async function opensslVerify(tsa: string): Promise<boolean> {
  const chain = p(`${tsa}-chain.pem`);
  // openssl's answer for these tokens, once a day (cachedRunInDirSync).
  const res = cachedRunInDirSync(
    'timestamp-chain-verify-v1',
    'openssl',
    dir,
    [
      'ts',
      '-verify',
      '-data',
      p('data.bin'),
      '-in',
      p(`${tsa}.tsr`),
      '-token_in',
      '-CAfile',
      p('root.pem'),
      // openssl refuses an empty -untrusted file; the token itself carries the TSA certificate.
      ...(readFileSync(chain, 'utf8') ? ['-untrusted', chain] : []),
    ],
    false,
  );
  return res.exitCode === 0 && /Verification: OK/.test(res.stdout);
}

const data = new TextEncoder().encode('stamped bytes\n');
const TOKENS = [
  ...['good', 'under_notca', 'under_nosign', 'too_deep', 'under_pathlen0', 'under_v1root', 'under_v1int'],
  ...['future', 'expired', 'forged', 'bare', 'under_v3nobc', 'starts_at_stamp', 'ends_at_stamp'],
];
const STAMP_TIME = '2025-03-01 12:00:00';
const tokens: Record<string, Uint8Array> = {};
let roots: ParsedCertificate[];

async function build(): Promise<void> {
  writeFileSync(p('o.cnf'), CONFIG.replace('SERIAL_FILE', p('serial.txt')));
  writeFileSync(p('serial.txt'), '01\n');
  writeFileSync(p('data.bin'), data);
  await selfSigned('root', '/CN=Sigscan TS Root');
  // Same name as the root, another key: what it issues names the root but is not signed by it.
  await selfSigned('impostor', '/CN=Sigscan TS Root');
  for (const [name, ext] of [
    ['ca', 'ca'],
    ['pathlen0', 'ca_pathlen0'],
    ['notca', 'not_ca'],
    ['nosign', 'no_cert_sign'],
  ] as const) {
    await key(name, `/CN=Sigscan TS Intermediate ${name}`);
    await issue(name, 'root', ext, 3650);
  }
  // An X.509 v1 root (no extensions at all), and a v1 certificate used as an intermediate.
  await key('v1root', '/CN=Sigscan TS V1 Root');
  await openssl([
    'x509',
    '-req',
    '-in',
    p('v1root.csr'),
    '-signkey',
    p('v1root.key'),
    '-days',
    '3650',
    '-out',
    p('v1root.pem'),
  ]);
  await key('v1int', '/CN=Sigscan TS V1 Intermediate');
  await issue('v1int', 'root', null, 3650);
  await key('sub', '/CN=Sigscan TS Sub-CA');
  await issue('sub', 'pathlen0', 'ca', 3650);
  const tsa = async (name: string, issuer: string, days?: number, time?: string) => {
    await key(name, `/CN=Sigscan TSA ${name}`);
    await issue(name, issuer, 'tsa', days, time);
  };
  await tsa('good', 'ca');
  await tsa('under_notca', 'notca');
  await tsa('under_nosign', 'nosign');
  await tsa('too_deep', 'sub');
  await tsa('under_pathlen0', 'pathlen0');
  await tsa('under_v1root', 'v1root');
  await tsa('under_v1int', 'v1int');
  // A v3 root without basicConstraints: only v1 roots are taken as CAs without it.
  await selfSigned('v3nobc', '/CN=Sigscan TS V3 Root without basicConstraints', 'v3_no_bc');
  await tsa('under_v3nobc', 'v3nobc');
  // Validity that starts, or ends, at the very second of the stamp (faketime runs openssl at that second).
  // Under a root made in 2024, so that only the TSA certificate's own validity is at its edge.
  await selfSigned('oldroot', '/CN=Sigscan TS 2024 Root', 'root', '2024-01-01 00:00:00');
  await tsa('starts_at_stamp', 'oldroot', 1, STAMP_TIME);
  await tsa('ends_at_stamp', 'oldroot', 1, '2025-02-28 12:00:00');
  await tsa('future', 'ca', 365, '2031-01-01 00:00:00');
  await tsa('expired', 'ca', 1, '2020-01-01 00:00:00');
  await tsa('forged', 'impostor');
  await token('good', ['ca']);
  await token('under_notca', ['notca']);
  await token('under_nosign', ['nosign']);
  await token('too_deep', ['sub', 'pathlen0']);
  await token('under_pathlen0', ['pathlen0']);
  await token('under_v1root', []);
  await token('under_v1int', ['v1int']);
  await token('under_v3nobc', []);
  await token('starts_at_stamp', [], { time: STAMP_TIME });
  await token('ends_at_stamp', [], { time: STAMP_TIME });
  await token('future', ['ca']);
  await token('expired', ['ca']);
  await token('forged', []);
  await token('good', [], { certs: false, id: 'bare' });
}

beforeAll(async () => {
  if (!existsSync(CACHE)) {
    // Built aside and renamed into place, so a concurrent run never sees half a PKI.
    dir = mkdtempSync(`${CACHE}.building-`);
    await build();
    try {
      renameSync(dir, CACHE);
    } catch {
      rmSync(dir, { recursive: true, force: true }); // another run got there first
    }
    dir = CACHE;
  }
  for (const name of TOKENS) tokens[name] = new Uint8Array(readFileSync(p(`${name}.tsr`)));
  roots = await readCertificates(p('root.pem'), '--tsa-root');
}, 180_000);

const check = (name: string) =>
  verifyTimestamp({ tokenDer: tokens[name]!, stampedBytes: data, tsaRoots: roots });

describe('RFC 3161 TSA chains made by openssl', () => {
  it('a sound chain: TIMESTAMP_VALID, and openssl ts -verify agrees', async () => {
    const r = await check('good');
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID', kind: 'rfc3161' });
    expect(r.tsa!.summary.subject).toBe('CN=Sigscan TSA good');
    expect(await opensslVerify('good')).toBe(true);
  });

  it('issued by a certificate with basicConstraints CA:FALSE: TSA_CA_CONSTRAINT_VIOLATED, openssl refuses too', async () => {
    const r = await check('under_notca');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CA_CONSTRAINT_VIOLATED' });
    expect(r.message).toContain('CN=Sigscan TS Intermediate notca is not a CA certificate');
    expect(await opensslVerify('under_notca')).toBe(false);
  });

  it('issued by a CA whose keyUsage lacks keyCertSign: TSA_CA_CONSTRAINT_VIOLATED, openssl refuses too', async () => {
    const r = await check('under_nosign');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CA_CONSTRAINT_VIOLATED' });
    expect(r.message).toContain('may not sign certificates (keyUsage)');
    expect(await opensslVerify('under_nosign')).toBe(false);
  });

  it('one CA below a pathlen:0 CA: TSA_CA_CONSTRAINT_VIOLATED, openssl refuses too', async () => {
    const r = await check('too_deep');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CA_CONSTRAINT_VIOLATED' });
    expect(r.message).toContain('path length constraint of CN=Sigscan TS Intermediate pathlen0 exceeded');
    expect(await opensslVerify('too_deep')).toBe(false);
  });

  it('directly below a pathlen:0 CA (no CA between): TIMESTAMP_VALID, openssl agrees', async () => {
    const r = await check('under_pathlen0');
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
    expect(await opensslVerify('under_pathlen0')).toBe(true);
  });

  it('an X.509 v1 root (no basicConstraints) is accepted as the anchor: TIMESTAMP_VALID', async () => {
    const v1 = await readCertificates(p('v1root.pem'), '--tsa-root');
    expect(v1[0]!.cert.version).toBe(0);
    const r = await verifyTimestamp({ tokenDer: tokens['under_v1root']!, stampedBytes: data, tsaRoots: v1 });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
  });

  it('an X.509 v1 certificate as an intermediate is not a CA: TSA_CA_CONSTRAINT_VIOLATED', async () => {
    const r = await check('under_v1int');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CA_CONSTRAINT_VIOLATED' });
    expect(r.message).toContain('CN=Sigscan TS V1 Intermediate is not a CA certificate');
  });

  it('a v3 root without basicConstraints does not anchor a CA path: TSA_CA_CONSTRAINT_VIOLATED', async () => {
    const anchor = await readCertificates(p('v3nobc.pem'), '--tsa-root');
    expect(anchor[0]!.cert.version).toBe(2);
    const r = await verifyTimestamp({
      tokenDer: tokens['under_v3nobc']!,
      stampedBytes: data,
      tsaRoots: anchor,
    });
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CA_CONSTRAINT_VIOLATED' });
  });

  it('validity is inclusive (RFC 5280): a TSA certificate starting or ending at the stamp second verifies', async () => {
    const oldRoot = await readCertificates(p('oldroot.pem'), '--tsa-root');
    for (const name of ['starts_at_stamp', 'ends_at_stamp']) {
      const r = await verifyTimestamp({ tokenDer: tokens[name]!, stampedBytes: data, tsaRoots: oldRoot });
      expect(r.time!.toISOString(), name).toBe('2025-03-01T12:00:00.000Z');
      expect(r, `${name}: ${r.message}`).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
    }
    const bounds = (name: string) => readCertificates(p(`${name}.pem`), '--tsa-root');
    expect((await bounds('starts_at_stamp'))[0]!.cert.notBefore.value.toISOString()).toBe(
      '2025-03-01T12:00:00.000Z',
    );
    expect((await bounds('ends_at_stamp'))[0]!.cert.notAfter.value.toISOString()).toBe(
      '2025-03-01T12:00:00.000Z',
    );
  });

  it('a TSA certificate valid only from 2031, stamping now: TSA_CERT_NOT_YET_VALID', async () => {
    const r = await check('future');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CERT_NOT_YET_VALID' });
    expect(r.message).toContain('CN=Sigscan TSA future is not valid before');
    expect(await opensslVerify('future')).toBe(false);
  });

  it('a TSA certificate that expired in 2020, stamping now: TSA_CERT_EXPIRED', async () => {
    const r = await check('expired');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CERT_EXPIRED' });
    expect(r.message).toContain('CN=Sigscan TSA expired expired on');
    expect(await opensslVerify('expired')).toBe(false);
  });

  it('a TSA certificate naming the root but signed by another key: TSA_CERT_BAD_SIGNATURE', async () => {
    const r = await check('forged');
    expect(r).toMatchObject({ ok: true, trusted: false, code: 'TSA_CERT_BAD_SIGNATURE' });
    expect(r.message).toContain('is not signed by the key of trusted CN=Sigscan TS Root');
    expect(await opensslVerify('forged')).toBe(false);
    // The control: the same verification passes for a sound token, so it is the signature that fails.
    expect(await opensslVerify('good')).toBe(true);
  });

  it('a token without the TSA certificate: TSA_CERTIFICATE_MISSING (not ok: nothing checks the stamp)', async () => {
    const r = await check('bare');
    expect(r).toMatchObject({ ok: false, trusted: false, code: 'TSA_CERTIFICATE_MISSING' });
  });

  it('the same tokens with the TSA certificate known beside the token verify (the certificate was the only fault)', async () => {
    const tsa = await readCertificates(p('good.pem'), '--tsa-root');
    const ca = await readCertificates(p('ca.pem'), '--tsa-root');
    const r = await verifyTimestamp({
      tokenDer: tokens['bare']!,
      stampedBytes: data,
      tsaRoots: roots,
      extraCertificates: [...tsa, ...ca],
    });
    expect(r, r.message).toMatchObject({ ok: true, trusted: true, code: 'TIMESTAMP_VALID' });
  });
});
