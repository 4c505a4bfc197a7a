/**
 * Identity policy in every cosign family (issue #11) and cosign's SAN rules (issue #16 item 7), as a
 * matrix: family (`.sig`, `.att`, blob sidecar) × policy flag, for a private-PKI certificate under
 * `--trust-root`. One leaf (made by openssl for cosign's own key) carries every SAN type: an otherName
 * with a foreign OID first, then email, URI, DNS and IP. cosign 2.5 (`verify`, `verify-attestation`,
 * `verify-blob`, all with `--ca-roots`) gives its verdict on the same inputs in every row.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeEcCa } from '../helpers/cosign-pki.js';
import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import {
  cosign,
  cosignAttest,
  cosignKeypair,
  cosignRegistryFlags,
  cosignSign,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

type Verdict = JsonTarget['signatures'][number]['verdict'];

const SANS = [
  // First otherName with a foreign OID: cosign's UnmarshalOtherNameSAN gives up on it, so it is no identity.
  'otherName:1.2.3.4;UTF8:mallory@example.com',
  'email:alice@example.com',
  'URI:https://ci.example.com/workflows/release',
  'DNS:build.example.com',
  'IP:10.0.0.1',
].join(',');

interface Row {
  name: string;
  /** sigscan flags. */
  flags: string[];
  /** The same policy for cosign, which insists on both sides (`.*` matches "" in Go). */
  cosign: string[];
  verified: boolean;
  code: string;
}

const ANY_ISSUER = '--certificate-oidc-issuer-regexp=.*';
const ANY_ID = '--certificate-identity-regexp=.*';
const ROWS: Row[] = [
  ...[
    ['email SAN', 'alice@example.com'],
    ['URI SAN', 'https://ci.example.com/workflows/release'],
    ['DNS SAN', 'build.example.com'],
    ['IP SAN', '10.0.0.1'],
  ].map(([what, id]) => ({
    name: `--certificate-identity matches the ${what}`,
    flags: ['--certificate-identity', id!],
    cosign: [`--certificate-identity=${id}`, ANY_ISSUER],
    verified: true,
    code: 'CHAIN_VALID',
  })),
  {
    name: '--certificate-identity does not match a foreign-OID otherName',
    flags: ['--certificate-identity', 'mallory@example.com'],
    cosign: ['--certificate-identity=mallory@example.com', ANY_ISSUER],
    verified: false,
    code: 'IDENTITY_MISMATCH',
  },
  {
    name: '--certificate-identity with another identity',
    flags: ['--certificate-identity', 'bob@example.com'],
    cosign: ['--certificate-identity=bob@example.com', ANY_ISSUER],
    verified: false,
    code: 'IDENTITY_MISMATCH',
  },
  {
    name: '--certificate-identity-regexp matching the email',
    flags: ['--certificate-identity-regexp', '.*@example\\.com'],
    cosign: ['--certificate-identity-regexp=^.*@example\\.com$', ANY_ISSUER],
    verified: true,
    code: 'CHAIN_VALID',
  },
  {
    name: '--certificate-identity-regexp matching only the otherName',
    flags: ['--certificate-identity-regexp', 'mallory@.*'],
    cosign: ['--certificate-identity-regexp=^mallory@.*$', ANY_ISSUER],
    verified: false,
    code: 'IDENTITY_MISMATCH',
  },
  {
    name: '--certificate-oidc-issuer (the certificate records none)',
    flags: ['--certificate-oidc-issuer', 'https://issuer.example.com'],
    cosign: [ANY_ID, '--certificate-oidc-issuer=https://issuer.example.com'],
    verified: false,
    code: 'ISSUER_MISMATCH',
  },
  {
    name: '--certificate-oidc-issuer-regexp (the certificate records none)',
    flags: ['--certificate-oidc-issuer-regexp', 'https://.*'],
    cosign: [ANY_ID, '--certificate-oidc-issuer-regexp=^https://.*$'],
    verified: false,
    code: 'ISSUER_MISMATCH',
  },
];

describe('identity policy: family × flag, private PKI, against cosign 2.5', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let image: PushedLayoutImage;
  let ca: string;
  let leaf: string;
  let blobDir: string;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-id-matrix-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);
    ca = `${await makeEcCa(work, 'ca', '/CN=matrix CA/O=Example Corp')}.pem`;
    leaf = join(work, 'leaf.pem');
    await run('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(work, 'tmp.key'), '-out', join(work, 'leaf.csr'), '-subj', '/O=Example Corp/CN=release',
    ]); // prettier-ignore
    await writeFile(
      join(work, 'leaf.ext'),
      `keyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=${SANS}\n`,
    );
    await run('openssl', [
      'x509', '-req', '-in', join(work, 'leaf.csr'), '-force_pubkey', keys.pub, '-CA', ca,
      '-CAkey', ca.replace(/\.pem$/, '.key'), '-CAcreateserial', '-out', leaf, '-days', '10',
      '-extfile', join(work, 'leaf.ext'),
    ]); // prettier-ignore

    image = await makeAndPushImage(reg, join(work, 'l'), 'idm/app', 'v1', { seed: 'id-matrix' });
    const certArgs = [`--certificate=${leaf}`, `--certificate-chain=${ca}`];
    await cosignSign(reg, `idm/app@${image.digest}`, keys.key, { extraArgs: certArgs });
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ built: true }));
    await cosignAttest(reg, `idm/app@${image.digest}`, keys.key, predicate, { extraArgs: certArgs });

    blobDir = join(work, 'blob');
    await run('mkdir', ['-p', blobDir]);
    const blob = join(blobDir, 'release.tar');
    await writeFile(blob, 'release bytes\n');
    await cosign([
      'sign-blob',
      `--key=${keys.key}`,
      '--tlog-upload=false',
      '--yes',
      `--output-signature=${blob}.sig`,
      blob,
    ]);
    await copyFile(leaf, `${blob}.crt`);
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function ours(flags: string[]): Promise<Record<'sig' | 'att' | 'blob', Verdict>> {
    // cosign runs with --insecure-ignore-tlog (theirs, below): the same waiver here, identity is the point.
    const trust = ['--trust-root', ca, '--insecure-ignore-tlog', ...flags];
    const repo = await sigscanJson(['repo', `${reg.host}/idm/app`, '--plain-http', ...trust]);
    const fs = await sigscanJson(['fs', blobDir, ...trust]);
    const sigs = repo.report.targets[0]!.signatures;
    return {
      sig: sigs.find((s) => s.family === 'cosign')!.verdict,
      att: sigs.find((s) => s.family === 'cosign-attestation')!.verdict,
      blob: fs.report.targets.find((t) => t.path?.endsWith('release.tar'))!.signatures[0]!.verdict,
    };
  }

  async function theirs(policy: string[]): Promise<Record<'sig' | 'att' | 'blob', number>> {
    const common = [
      `--ca-roots=${ca}`,
      '--insecure-ignore-tlog=true',
      '--insecure-ignore-sct=true',
      ...policy,
    ];
    const ref = `${reg.host}/idm/app@${image.digest}`;
    const reg_ = cosignRegistryFlags(reg);
    const [sig, att, blob] = await Promise.all([
      cosign(['verify', ...common, ...reg_, ref], { check: false }),
      cosign(['verify-attestation', '--type=custom', ...common, ...reg_, ref], { check: false }),
      cosign(
        [
          'verify-blob',
          `--certificate=${leaf}`,
          `--signature=${join(blobDir, 'release.tar.sig')}`,
          ...common,
          join(blobDir, 'release.tar'),
        ],
        { check: false },
      ),
    ]);
    return { sig: sig.code, att: att.code, blob: blob.code };
  }

  // A loop, not it.each: it.each shortens interpolated names, and these names are the matrix.
  for (const row of ROWS) {
    it(row.name, async () => {
      const [v, c] = await Promise.all([ours(row.flags), theirs(row.cosign)]);
      for (const family of ['sig', 'att', 'blob'] as const) {
        expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
          status: row.verified ? 'verified' : 'untrusted',
          code: row.code,
        });
        expect(c[family] === 0, `cosign ${family}`).toBe(row.verified);
      }
    });
  }

  it('the certificate really carries the foreign otherName first (the input the otherName row needs)', async () => {
    const text = (await run('openssl', ['x509', '-in', leaf, '-noout', '-ext', 'subjectAltName'])).stdout;
    expect(text).toMatch(/othername:\s*1\.2\.3\.4.*mallory@example\.com.*email:alice@example\.com/is);
    expect(await readFile(leaf, 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});
