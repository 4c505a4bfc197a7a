import { execFileSync } from 'node:child_process';
import { createHmac, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as asn1js from 'asn1js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nv2Evidence, parseNv2Jwt } from '../../../src/detectors/nv2.js';
import { parseCertificate } from '../../../src/formats/x509.js';
import type { ImageTarget, Verdict } from '../../../src/model/index.js';
import { emptyTrustConfig, readCertificates, type TrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { libtrustKeyId } from '../../../src/trust/families/notation-legacy.js';
import { cachedFixtureDir, workingCopy } from '../../helpers/fixture-cache.js';
import { testPki } from '../../helpers/notation/pki.js';
import { signNotation } from '../../helpers/notation/sign.js';
import { evidenceFor, sampleImage } from '../notation/support.js';

/**
 * nv2 prototype (2020) JWTs verified against --trust-root the way nv2's x509 scheme did: its own two
 * examples, and JWTs signed here by `openssl dgst -sign` with leaves of an openssl CA. openssl is the
 * oracle for the chain (`openssl verify`) and the signature (`openssl dgst -verify`).
 */
const EXAMPLES = join(import.meta.dirname, 'nv2-examples');
const EXAMPLE_DIGEST = 'sha256:c4516b8a311e85f1f2a60573abf4c6b740ca3ade4127e29b05616848de487d34';
const EXAMPLE_AT = new Date('2020-08-11T00:00:00Z');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const target = (digest: string, size = 528): ImageTarget => ({
  kind: 'image',
  registry: 'registry.example.com',
  repository: 'example',
  digest,
  size,
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
});

let dir: string;
const opensslIn = (cwd: string, ...args: string[]): Buffer =>
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
const openssl = (...args: string[]): Buffer => opensslIn(dir, ...args);

async function decide(jwt: string, config: Partial<TrustConfig>, digest = DIGEST): Promise<Verdict> {
  const t = target(digest);
  const evidence = nv2Evidence(t, parseNv2Jwt(Buffer.from(jwt)), { location: 'test', layers: 0 });
  return new TrustEvaluator({ ...emptyTrustConfig(), ...config }).evaluate(evidence, t);
}

const b64u = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** openssl's DER ECDSA signature as JWS wants it: r || s, each padded to the curve size. */
function p1363(der: Buffer, size: number): Buffer {
  const seq = asn1js.fromBER(new Uint8Array(der)).result as asn1js.Sequence;
  const part = (i: number) => {
    const v = Buffer.from((seq.valueBlock.value[i] as asn1js.Integer).valueBlock.valueHexView);
    const trimmed = v[0] === 0 ? v.subarray(1) : v;
    return Buffer.concat([Buffer.alloc(size - trimmed.length), trimmed]);
  };
  return Buffer.concat([part(0), part(1)]);
}

type Leaf = 'es256' | 'rs256' | 'es384' | 'es512';
const EC_SIZE: Record<string, number> = { es256: 32, es384: 48, es512: 66 };

/** A JWT signed with `key` (a file in dir) by the openssl CLI. */
function sign(
  key: Leaf,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  hash = 'sha256',
): string {
  const input = `${b64u(header)}.${b64u(claims)}`;
  writeFileSync(join(dir, 'input'), input);
  const der = openssl('dgst', `-${hash}`, '-sign', `${key}.key`, 'input');
  const size = EC_SIZE[key];
  const sig = size ? p1363(der, size) : der;
  return `${input}.${sig.toString('base64url')}`;
}

const certB64 = (name: string): string =>
  new X509Certificate(readFileSync(join(dir, `${name}.crt`))).raw.toString('base64');
const header = (leaf: Leaf, extra: Record<string, unknown> = {}) => ({
  typ: 'x509',
  alg: leaf.toUpperCase(),
  x5c: [certB64(leaf), certB64('ca')],
  ...extra,
});
const claims = (extra: Record<string, unknown> = {}) => ({
  mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
  digest: DIGEST,
  size: 528,
  references: ['registry.example.com/example:v1'],
  iat: 1_700_000_000,
  ...extra,
});

let roots: TrustConfig['roots'];
let otherRoots: TrustConfig['roots'];
let exampleRoots: TrustConfig['roots'];

// Keys, certificates (3650 days; the tests check them now or a day ahead) and the example's certificate are
// made once a day (.cache/test-fixtures): Stryker reruns this hook for every mutant. The tests run openssl
// in the directory and write beside them (input, ex.sig, example.pub), so each run works in its own copy;
// readCertificates stays here.
beforeAll(async () => {
  const cached = await cachedFixtureDir('nv2-openssl-ca-v2', async (d) => {
    writeFileSync(join(d, 'ca.ext'), 'basicConstraints=critical,CA:true\nkeyUsage=critical,keyCertSign\n');
    writeFileSync(join(d, 'leaf.ext'), 'subjectAltName=DNS:registry.example.com\n');
    for (const ca of ['root', 'ca', 'other']) {
      opensslIn(d, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${ca}.key`);
    }
    for (const ca of ['root', 'other']) {
      opensslIn(
        d,
        'req',
        '-x509',
        '-new',
        '-key',
        `${ca}.key`,
        '-subj',
        `/CN=nv2 ${ca}`,
        '-days',
        '3650',
        '-sha256',
        '-addext',
        'basicConstraints=critical,CA:true',
        '-addext',
        'keyUsage=critical,keyCertSign',
        '-out',
        `${ca}.crt`,
      );
    }
    opensslIn(d, 'req', '-new', '-key', 'ca.key', '-subj', '/CN=nv2 intermediate', '-out', 'ca.csr');
    opensslIn(
      d,
      'x509',
      '-req',
      '-in',
      'ca.csr',
      '-CA',
      'root.crt',
      '-CAkey',
      'root.key',
      '-set_serial',
      '2',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      'ca.ext',
      '-out',
      'ca.crt',
    );
    opensslIn(d, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'es256.key');
    opensslIn(d, 'genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rs256.key');
    opensslIn(d, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', 'es384.key');
    opensslIn(d, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521', '-out', 'es512.key');
    for (const leaf of ['es256', 'rs256', 'es384', 'es512']) {
      opensslIn(
        d,
        'req',
        '-new',
        '-key',
        `${leaf}.key`,
        '-subj',
        `/CN=nv2 leaf ${leaf}`,
        '-out',
        `${leaf}.csr`,
      );
      opensslIn(
        d,
        'x509',
        '-req',
        '-in',
        `${leaf}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        '3',
        '-days',
        '3650',
        '-sha256',
        '-extfile',
        'leaf.ext',
        '-out',
        `${leaf}.crt`,
      );
    }
    // The es256 key again, under names Go's VerifyHostname (nv2's reference check) does not read: a URI
    // SAN only, and no SAN with the host in O (only the CN stands in for absent SANs).
    writeFileSync(join(d, 'urisan.ext'), 'subjectAltName=URI:registry.example.com\n');
    writeFileSync(join(d, 'nosan.ext'), 'basicConstraints=CA:false\n');
    for (const [name, subj] of [
      ['urisan', '/CN=nv2 leaf urisan'],
      ['onlyo', '/O=registry.example.com/CN=nv2 leaf onlyo'],
    ] as const) {
      opensslIn(d, 'req', '-new', '-key', 'es256.key', '-subj', subj, '-out', `${name}.csr`);
      opensslIn(
        d, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '4',
        '-days', '3650', '-sha256', '-extfile', name === 'urisan' ? 'urisan.ext' : 'nosan.ext', '-out', `${name}.crt`,
      ); // prettier-ignore
    }
    // The oracle agrees the leaves chain to the root (checked as they are made: a failure leaves no cache).
    expect(
      opensslIn(
        d,
        'verify',
        '-CAfile',
        'root.crt',
        '-untrusted',
        'ca.crt',
        'es256.crt',
        'rs256.crt',
      ).toString(),
    ).toBe('es256.crt: OK\nrs256.crt: OK\n');

    const x5c = readFileSync(join(EXAMPLES, 'x509_x5c.nv2.jwt'), 'utf8').trim();
    const h = JSON.parse(Buffer.from(x5c.split('.')[0]!, 'base64url').toString()) as { x5c: string[] };
    writeFileSync(join(d, 'example.der'), Buffer.from(h.x5c[0]!, 'base64'));
    opensslIn(d, 'x509', '-inform', 'der', '-in', 'example.der', '-out', 'example.crt');
  });
  dir = workingCopy(cached, 'sigscan-nv2-');
  roots = await readCertificates(join(dir, 'root.crt'), 'root');
  otherRoots = await readCertificates(join(dir, 'other.crt'), 'root');
  exampleRoots = await readCertificates(join(dir, 'example.crt'), 'root');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('nv2 prototype examples (notaryproject/nv2 docs/signature/examples)', () => {
  const example = (name: string) => readFileSync(join(EXAMPLES, `${name}.nv2.jwt`), 'utf8');

  it('verifies the x5c example against its certificate as root, at a time it was valid', async () => {
    const jwt = example('x509_x5c').trim();
    // Oracle: openssl accepts the RS256 signature over header.claims with the certificate's key.
    const [h, c, s] = jwt.split('.');
    writeFileSync(join(dir, 'ex.input'), `${h}.${c}`);
    writeFileSync(join(dir, 'ex.sig'), Buffer.from(s!, 'base64url'));
    openssl('x509', '-in', 'example.crt', '-pubkey', '-noout', '-out', 'example.pub');
    expect(
      openssl('dgst', '-sha256', '-verify', 'example.pub', '-signature', 'ex.sig', 'ex.input').toString(),
    ).toBe('Verified OK\n');
    const v = await decide(jwt, { roots: exampleRoots, at: EXAMPLE_AT }, EXAMPLE_DIGEST);
    expect(v).toMatchObject({ status: 'verified', code: 'NV2_SIGNATURE_VERIFIED' });
    expect(v.message).toContain('CN=registry.example.com,O=example inc');
  });

  it('verifies the kid example: its kid is the libtrust key id of the same certificate', async () => {
    expect(libtrustKeyId(exampleRoots[0]!)).toBe(
      'XP5O:Y7W2:PRB6:O355:56CC:P3A6:CBDV:EDMN:QZCK:W5PO:QMV3:T2LX',
    );
    const v = await decide(example('x509_kid'), { roots: exampleRoots, at: EXAMPLE_AT }, EXAMPLE_DIGEST);
    expect(v).toMatchObject({ status: 'verified', code: 'NV2_SIGNATURE_VERIFIED' });
    expect(v.message).toContain('key id XP5O:Y7W2');
  });

  it('reports the expired certificate and the expired claims today', async () => {
    const at = new Date('2026-01-01T00:00:00Z');
    expect(await decide(example('x509_x5c'), { roots: exampleRoots, at }, EXAMPLE_DIGEST)).toMatchObject({
      status: 'untrusted',
      code: 'CERT_EXPIRED',
    });
    // kid names a trusted key directly (no chain, so no certificate validity, as in nv2): the claims expire.
    expect(await decide(example('x509_kid'), { roots: exampleRoots, at }, EXAMPLE_DIGEST)).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_EXPIRED',
    });
  });

  it('stays unverified and legacy without --trust-root, and untrusted under another root', async () => {
    expect(await decide(example('x509_x5c'), { at: EXAMPLE_AT }, EXAMPLE_DIGEST)).toMatchObject({
      status: 'unverified',
      code: 'LEGACY_NV2',
    });
    expect(await decide(example('x509_kid'), { roots, at: EXAMPLE_AT }, EXAMPLE_DIGEST)).toMatchObject({
      status: 'untrusted',
      code: 'NV2_KID_UNKNOWN',
    });
  });

  it('keeps the family and the legacy label', () => {
    const e = nv2Evidence(target(EXAMPLE_DIGEST), parseNv2Jwt(Buffer.from(example('x509_x5c'))), {
      location: 'x',
      layers: 0,
    });
    expect(e.family).toBe('notation');
    expect(e.details?.['legacy']).toBe('nv2-prototype-2020');
    expect(e.findings).toEqual([]);
  });
});

describe('nv2 JWTs signed with openssl', () => {
  it('verifies ES256 and RS256 leaves chained through an intermediate in x5c', async () => {
    for (const leaf of ['es256', 'rs256'] as const) {
      const v = await decide(sign(leaf, header(leaf), claims()), { roots });
      expect(v, leaf).toMatchObject({ status: 'verified', code: 'NV2_SIGNATURE_VERIFIED' });
      expect(v.message).toContain(`CN=nv2 leaf ${leaf}`);
      expect(v.message).toContain('chains to trusted CN=nv2 root');
    }
  });

  it('verifies RS384, RS512 (same RSA key), ES384 (P-384) and ES512 (P-521)', async () => {
    for (const [leaf, alg, hash] of [
      ['rs256', 'RS384', 'sha384'],
      ['rs256', 'RS512', 'sha512'],
      ['es384', 'ES384', 'sha384'],
      ['es512', 'ES512', 'sha512'],
    ] as const) {
      const jwt = sign(leaf, header(leaf, { alg }), claims(), hash);
      expect((await decide(jwt, { roots })).code, alg).toBe('NV2_SIGNATURE_VERIFIED');
      // The same bytes under the neighbouring hash do not verify.
      const other = alg.endsWith('384')
        ? alg.startsWith('RS')
          ? 'RS512'
          : 'ES512'
        : alg.startsWith('RS')
          ? 'RS384'
          : 'ES384';
      const swapped = sign(leaf, header(leaf, { alg: other }), claims(), hash);
      expect((await decide(swapped, { roots })).status, `${alg} as ${other}`).toBe('invalid');
    }
  });

  it('treats exp and nbf of 0 as absent (nv2 omitempty)', async () => {
    const jwt = sign('es256', header('es256'), claims({ exp: 0, nbf: 0 }));
    expect((await decide(jwt, { roots })).code).toBe('NV2_SIGNATURE_VERIFIED');
  });

  it('stays legacy-unverified for evidence without material, and names a missing typ/alg', async () => {
    const t = target(DIGEST);
    const e = nv2Evidence(t, parseNv2Jwt(Buffer.from(sign('es256', header('es256'), claims()))), {
      location: 'x',
      layers: 0,
    });
    delete e.material;
    expect(await new TrustEvaluator({ ...emptyTrustConfig(), roots }).evaluate(e, t)).toMatchObject({
      status: 'unverified',
      code: 'LEGACY_NV2',
    });
    const noTyp = sign('es256', { alg: 'ES256', x5c: header('es256').x5c }, claims());
    expect((await decide(noTyp, { roots })).message).toBe('nv2 JWT typ (none) is not the x509 scheme');
    const noAlg = sign('es256', { typ: 'x509', x5c: header('es256').x5c }, claims());
    expect((await decide(noAlg, { roots })).message).toBe(
      'nv2 JWT alg (none) is not an RS*/ES* signature algorithm',
    );
  });

  it('refuses claims changed after signing', async () => {
    const [h, , s] = sign('es256', header('es256'), claims()).split('.');
    const forged = `${h}.${b64u(claims({ digest: `sha256:${'cd'.repeat(32)}` }))}.${s}`;
    expect(await decide(forged, { roots }, `sha256:${'cd'.repeat(32)}`)).toMatchObject({
      status: 'invalid',
      code: 'SIGNATURE_INVALID',
    });
  });

  it('refuses a signature for another manifest or size', async () => {
    const jwt = sign('rs256', header('rs256'), claims());
    expect(await decide(jwt, { roots }, `sha256:${'ef'.repeat(32)}`)).toMatchObject({
      status: 'invalid',
      code: 'TARGET_DIGEST_MISMATCH',
    });
    const t = target(DIGEST, 999);
    const e = nv2Evidence(t, parseNv2Jwt(Buffer.from(jwt)), { location: 'x', layers: 0 });
    expect(await new TrustEvaluator({ ...emptyTrustConfig(), roots }).evaluate(e, t)).toMatchObject({
      status: 'invalid',
      code: 'TARGET_SIZE_MISMATCH',
    });
  });

  it('is untrusted under a root that did not issue the chain', async () => {
    expect(await decide(sign('es256', header('es256'), claims()), { roots: otherRoots })).toMatchObject({
      status: 'untrusted',
      code: 'CHAIN_UNTRUSTED',
    });
  });

  it('refuses alg none and HS256 keyed with the public certificate (algorithm confusion)', async () => {
    const input = `${b64u(header('es256', { alg: 'none' }))}.${b64u(claims())}`;
    expect(await decide(`${input}.`, { roots })).toMatchObject({
      status: 'invalid',
      code: 'NV2_ALG_NOT_ALLOWED',
    });
    const hsInput = `${b64u(header('rs256', { alg: 'HS256' }))}.${b64u(claims())}`;
    const mac = createHmac('sha256', readFileSync(join(dir, 'rs256.crt')))
      .update(hsInput)
      .digest('base64url');
    const v = await decide(`${hsInput}.${mac}`, { roots });
    expect(v).toMatchObject({ status: 'invalid', code: 'NV2_ALG_NOT_ALLOWED' });
    expect(v.message).toBe('nv2 JWT alg HS256 is not an RS*/ES* signature algorithm');
  });

  it('refuses an alg that does not fit the key (RS256 on an EC leaf, ES384 on P-256)', async () => {
    const rsOnEc = sign('es256', header('es256', { alg: 'RS256' }), claims());
    expect(await decide(rsOnEc, { roots })).toMatchObject({
      status: 'invalid',
      code: 'NV2_ALG_KEY_MISMATCH',
    });
    const es384 = sign('es256', header('es256', { alg: 'ES384' }), claims());
    expect(await decide(es384, { roots })).toMatchObject({ status: 'invalid', code: 'NV2_ALG_KEY_MISMATCH' });
    const esOnRsa = sign('rs256', header('rs256', { alg: 'ES256' }), claims());
    expect(await decide(esOnRsa, { roots })).toMatchObject({
      status: 'invalid',
      code: 'NV2_ALG_KEY_MISMATCH',
    });
  });

  it('refuses a JWT with case-variant keys Go would read as the digest', async () => {
    const jwt = sign('es256', header('es256'), { ...claims(), Digest: `sha256:${'cd'.repeat(32)}` });
    const v = await decide(jwt, { roots });
    expect(v).toMatchObject({ status: 'invalid', code: 'NV2_AMBIGUOUS_JSON' });
    expect(v.message).toContain('Digest');
    const alg = sign('es256', { ...header('es256'), ALG: 'none' }, claims());
    expect(await decide(alg, { roots })).toMatchObject({ status: 'invalid', code: 'NV2_AMBIGUOUS_JSON' });
  });

  it('is untrusted when a reference names a host the certificate does not', async () => {
    const jwt = sign(
      'es256',
      header('es256'),
      claims({ references: ['registry.example.com/a:1', 'evil.example/a:1'] }),
    );
    const v = await decide(jwt, { roots });
    expect(v).toMatchObject({ status: 'untrusted', code: 'NV2_REFERENCE_NOT_CERTIFIED' });
    expect(v.message).toContain('evil.example/a:1, whose');
    expect(v.message).not.toContain('registry.example.com/a:1,');
    const upper = sign('es256', header('es256'), claims({ references: ['REGISTRY.example.com/a:1'] }));
    expect((await decide(upper, { roots })).code).toBe('NV2_SIGNATURE_VERIFIED');
  });

  it('certifies a reference host only by a dNSName SAN, or by the CN when there is no SAN (Go 1.14 VerifyHostname)', async () => {
    const withLeaf = (leaf: string) => ({ ...header('es256'), x5c: [certB64(leaf), certB64('ca')] });
    // A URI SAN naming the host is not a dNSName: nothing certifies it.
    const uri = await decide(sign('es256', withLeaf('urisan'), claims()), { roots });
    expect(uri).toMatchObject({ status: 'untrusted', code: 'NV2_REFERENCE_NOT_CERTIFIED' });
    // No SAN: only the CN stands in, not the O that holds the host.
    const onlyO = await decide(sign('es256', withLeaf('onlyo'), claims()), { roots });
    expect(onlyO).toMatchObject({ status: 'untrusted', code: 'NV2_REFERENCE_NOT_CERTIFIED' });
    const cn = await decide(
      sign('es256', withLeaf('onlyo'), claims({ references: ['NV2 leaf onlyo/example:v1'] })),
      { roots },
    );
    expect(cn.code).toBe('NV2_SIGNATURE_VERIFIED');
  });

  it('has nothing to certify when the JWT claims no references', async () => {
    const { references: _omitted, ...rest } = claims();
    expect((await decide(sign('es256', header('es256'), rest), { roots })).code).toBe(
      'NV2_SIGNATURE_VERIFIED',
    );
  });

  it('refuses other typ, no key, and claims outside exp/nbf', async () => {
    expect(await decide(sign('es256', header('es256', { typ: 'JWT' }), claims()), { roots })).toMatchObject({
      status: 'invalid',
      code: 'NV2_TYPE_UNSUPPORTED',
    });
    expect(await decide(sign('es256', { typ: 'x509', alg: 'ES256' }, claims()), { roots })).toMatchObject({
      status: 'invalid',
      code: 'NV2_KEY_MISSING',
    });
    const at = new Date(Date.now() + 86_400_000);
    const t = Math.floor(at.getTime() / 1000);
    const past = sign('es256', header('es256'), claims({ exp: t - 1 }));
    expect(await decide(past, { roots, at })).toMatchObject({ status: 'invalid', code: 'SIGNATURE_EXPIRED' });
    expect((await decide(sign('es256', header('es256'), claims({ exp: t })), { roots, at })).code).toBe(
      'NV2_SIGNATURE_VERIFIED',
    );
    const future = sign('es256', header('es256'), claims({ nbf: t + 1 }));
    expect(await decide(future, { roots, at })).toMatchObject({
      status: 'invalid',
      code: 'NV2_NOT_YET_VALID',
    });
    expect((await decide(sign('es256', header('es256'), claims({ nbf: t })), { roots, at })).code).toBe(
      'NV2_SIGNATURE_VERIFIED',
    );
  });
});

describe('the notation family verifier', () => {
  it('sends a current Notary Project signature (no legacy detail) to the notation verifier, not the nv2 path', async () => {
    const { descriptor, target: t } = sampleImage('not-legacy');
    const sig = signNotation(descriptor);
    const evidence = evidenceFor(sig.envelopeBytes, sig.envelopeMediaType, t);
    const trustRoots = await readCertificates(join(testPki().dir, 'root.crt'), 'root');
    const v = await new TrustEvaluator({ ...emptyTrustConfig(), roots: trustRoots }).evaluate(evidence, t);
    expect([v.status, v.code]).toEqual(['verified', 'VERIFIED']);
  });
});

describe('libtrustKeyId', () => {
  it('is twelve groups of four base32 characters', async () => {
    const id = libtrustKeyId(parseCertificate(new X509Certificate(readFileSync(join(dir, 'es256.crt'))).raw));
    expect(id).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
  });
});
