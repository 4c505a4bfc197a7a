/**
 * A keyless cosign `.sig` and `.att` dated by an RFC 3161 timestamp but never logged in Rekor (issue
 * #11). The real cosign signs with a Fulcio-style certificate (OIDC issuer extensions, email SAN) from
 * an openssl test CA, `--tlog-upload=false`, and asks a TSA on 127.0.0.1 (`openssl ts -reply`, see
 * helpers/tsa-server.ts) for the `dev.sigstore.cosign/rfc3161timestamp` annotation. The timestamp
 * proves when it was signed, but not that it was logged: cosign 2.5 refuses it without
 * `--insecure-ignore-tlog`, and sigscan says `untrusted TLOG_MISSING` through a `--trusted-root`
 * naming the CA and the TSA.
 *
 * Two certificates: one without an SCT (tsa/app), and one with an embedded SCT from a test CT log key
 * (tsa/sct), the one that verified before issue #11. That SCT is the only hand-made input: no CT log
 * runs here (see issueWithSct); cosign checks it when signing and verifying.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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
import { makeEcCa } from '../helpers/cosign-pki.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';
import { startTsa, type TestTsa } from '../helpers/tsa-server.js';

type Verdict = JsonTarget['signatures'][number]['verdict'];

const ISSUER = 'https://issuer.example.com';
const IDENTITY = 'alice@example.com';
const POLICY = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];
const RFC3161 = 'dev.sigstore.cosign/rfc3161timestamp';

describe('keyless signatures dated only by an RFC 3161 timestamp still need their Rekor entry', () => {
  let reg: TestRegistry;
  let tsa: TestTsa;
  let work: string;
  let keys: CosignKeypair;
  let image: PushedLayoutImage;
  let ca: string;
  let trustedRoot: string;
  let rootWithoutTsa: string;
  let tsaChain: string;
  let sctImage: PushedLayoutImage;
  let ctPub: string;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-keyless-tsa-'));
    reg = await startRegistry();
    tsa = await startTsa(work);
    keys = await cosignKeypair(work);
    ca = `${await makeEcCa(work, 'fulcio', '/CN=fulcio-like test CA/O=Example Corp')}.pem`;
    const leaf = join(work, 'leaf.pem');
    await run('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(work, 'tmp.key'), '-out', join(work, 'leaf.csr'), '-subj', '/O=sigstore.dev',
    ]); // prettier-ignore
    await writeFile(
      join(work, 'leaf.ext'),
      [
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=codeSigning',
        `subjectAltName=critical,email:${IDENTITY}`,
        `1.3.6.1.4.1.57264.1.1=DER:${Buffer.from(ISSUER).toString('hex')}`,
        `1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:${ISSUER}`,
        '',
      ].join('\n'),
    );
    await run('openssl', [
      'x509', '-req', '-in', join(work, 'leaf.csr'), '-force_pubkey', keys.pub, '-CA', ca,
      '-CAkey', ca.replace(/\.pem$/, '.key'), '-CAcreateserial', '-out', leaf, '-days', '10',
      '-extfile', join(work, 'leaf.ext'),
    ]); // prettier-ignore
    await run('openssl', ['x509', '-in', ca, '-outform', 'DER', '-out', join(work, 'ca.der')]);
    const caDer = await readFile(join(work, 'ca.der'));
    const ct = await makeCtLog(work);
    ctPub = ct.pubPem;
    const sctLeaf = await issueWithSct(work, 'sct-leaf', {
      ca,
      pub: keys.pub,
      ext: join(work, 'leaf.ext'),
      ct,
    });
    const fulcio = {
      subject: { organization: 'Example Corp', commonName: 'fulcio-like test CA' },
      uri: 'https://fulcio.example.com',
      certChain: { certificates: [{ rawBytes: caDer.toString('base64') }] },
      validFor: { start: '2020-01-01T00:00:00Z' },
    };
    const trusted = (timestampAuthorities: unknown[]) =>
      JSON.stringify({
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        certificateAuthorities: [fulcio],
        ctlogs: [
          {
            baseUrl: 'https://ct.example.com',
            hashAlgorithm: 'SHA2_256',
            publicKey: {
              rawBytes: ct.spkiDer.toString('base64'),
              keyDetails: 'PKIX_ECDSA_P256_SHA_256',
              validFor: { start: '2020-01-01T00:00:00Z' },
            },
            logId: { keyId: ct.logId.toString('base64') },
          },
        ],
        timestampAuthorities,
      });
    trustedRoot = join(work, 'trusted_root.json');
    await writeFile(
      trustedRoot,
      trusted([
        {
          subject: { organization: 'Example Corp', commonName: 'test TSA' },
          uri: tsa.url,
          // Leaf first, then its root: sigstore's trusted_root.json order.
          certChain: {
            certificates: [
              { rawBytes: tsa.tsaDer.toString('base64') },
              { rawBytes: tsa.rootDer.toString('base64') },
            ],
          },
          validFor: { start: '2020-01-01T00:00:00Z' },
        },
      ]),
    );
    rootWithoutTsa = join(work, 'trusted_root_no_tsa.json');
    await writeFile(rootWithoutTsa, trusted([]));
    tsaChain = join(work, 'tsa-chain.pem');
    await writeFile(tsaChain, (await readFile(tsa.tsaPem, 'utf8')) + (await readFile(tsa.rootPem, 'utf8')));

    image = await makeAndPushImage(reg, join(work, 'l'), 'tsa/app', 'v1', { seed: 'keyless-tsa' });
    const signArgs = [
      `--certificate=${leaf}`,
      `--certificate-chain=${ca}`,
      `--timestamp-server-url=${tsa.url}`,
    ];
    await cosignSign(reg, `tsa/app@${image.digest}`, keys.key, { extraArgs: signArgs });
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ built: true }));
    await cosignAttest(reg, `tsa/app@${image.digest}`, keys.key, predicate, { extraArgs: signArgs });

    sctImage = await makeAndPushImage(reg, join(work, 's'), 'tsa/sct', 'v1', { seed: 'keyless-tsa-sct' });
    const sctArgs = [
      `--certificate=${sctLeaf}`,
      `--certificate-chain=${ca}`,
      `--timestamp-server-url=${tsa.url}`,
    ];
    // cosign checks an embedded SCT when it signs: it gets the CT log key from the environment.
    const sctRef = `${reg.host}/tsa/sct@${sctImage.digest}`;
    const common = [
      `--key=${keys.key}`,
      '--tlog-upload=false',
      '--yes',
      ...cosignRegistryFlags(reg),
      ...sctArgs,
    ];
    const env = { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: ctPub };
    await cosign(['sign', ...common, sctRef], { env });
    await cosign(['attest', `--predicate=${predicate}`, '--type=custom', ...common, sctRef], { env });
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await tsa?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function ours(extra: string[], repoName = 'tsa/app'): Promise<Record<'sig' | 'att', Verdict>> {
    const repo = await sigscanJson(['repo', `${reg.host}/${repoName}`, '--plain-http', ...POLICY, ...extra]);
    const sigs = repo.report.targets[0]!.signatures;
    return {
      sig: sigs.find((s) => s.family === 'cosign')!.verdict,
      att: sigs.find((s) => s.family === 'cosign-attestation')!.verdict,
    };
  }

  it('cosign asked the TSA and wrote the timestamp annotation, and no Rekor bundle, on the .sig and the .att', async () => {
    expect(tsa.answered).toBe(4);
    for (const suffix of ['sig', 'att']) {
      const tag = `${image.digest.replace(':', '-')}.${suffix}`;
      const res = await fetch(`${reg.url}/v2/tsa/app/manifests/${tag}`, {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
      });
      expect(res.status, tag).toBe(200);
      const manifest = (await res.json()) as {
        layers: Array<{ digest: string; annotations?: Record<string, string> }>;
      };
      const layer = manifest.layers[0]!;
      const annotations = layer.annotations ?? {};
      expect(Object.keys(annotations), tag).toContain(RFC3161);
      expect(Object.keys(annotations), tag).not.toContain('dev.sigstore.cosign/bundle');
      const token = JSON.parse(annotations[RFC3161]!) as { SignedRFC3161Timestamp: string };
      const tsr = join(work, `${suffix}.tsr`);
      await writeFile(tsr, Buffer.from(token.SignedRFC3161Timestamp, 'base64'));
      // What cosign 2.5 had stamped: the raw signature of a .sig, the whole envelope (layer) of a .att.
      const stamped = join(work, `${suffix}.stamped`);
      if (suffix === 'sig') {
        await writeFile(stamped, Buffer.from(annotations['dev.cosignproject.cosign/signature']!, 'base64'));
      } else {
        const blob = await fetch(`${reg.url}/v2/tsa/app/blobs/${layer.digest}`);
        await writeFile(stamped, new Uint8Array(await blob.arrayBuffer()));
      }
      // openssl verifies the TSA's reply over those bytes, trusting only the TSA root.
      const verify = await run('openssl', [
        'ts', '-verify', '-in', tsr, '-data', stamped, '-CAfile', tsa.rootPem, '-untrusted', tsa.tsaPem,
      ]); // prettier-ignore
      expect(verify.stdout).toContain('Verification: OK');
    }
  });

  it('--trusted-root naming the CA and the TSA: untrusted TLOG_MISSING on the .sig and the .att, naming the flag', async () => {
    const v = await ours(['--trusted-root', trustedRoot]);
    for (const family of ['sig', 'att'] as const) {
      expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
        status: 'untrusted',
        code: 'TLOG_MISSING',
      });
      expect(v[family].message).toContain('--insecure-ignore-tlog');
    }
  });

  it('with --insecure-ignore-tlog the .sig timestamp verifies, and the certificate then fails for lack of an SCT', async () => {
    const v = await ours(['--trusted-root', trustedRoot, '--insecure-ignore-tlog']);
    // sigstore-js checks timestamps before SCTs: reaching the SCT check means the TSA token verified.
    expect(v.sig, v.sig.message).toMatchObject({ status: 'untrusted', code: 'SCT_INVALID' });
    expect(v.sig.message).toContain('expected 1 SCTs, got 0');
    // Known gap: cosign 2.5 stamps a legacy .att over the whole envelope JSON, not over the DSSE
    // signature that sigstore-js checks, so sigscan does not use that timestamp: nothing dates the .att.
    expect(v.att, v.att.message).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
    expect(v.att.message).toContain('expected 1 timestamps, got 0');
  });

  it('with --insecure-ignore-tlog and a trusted root without the TSA, the .sig timestamp is what fails', async () => {
    const v = await ours(['--trusted-root', rootWithoutTsa, '--insecure-ignore-tlog']);
    expect(v.sig, v.sig.message).toMatchObject({ status: 'untrusted', code: 'TIMESTAMP_UNTRUSTED' });
  });

  it('a certificate with a valid SCT, dated by the TSA, no Rekor entry: untrusted TLOG_MISSING on the .sig and the .att', async () => {
    // Before issue #11 the .sig verified here (KEYLESS_VERIFIED): the timestamp alone was enough.
    const v = await ours(['--trusted-root', trustedRoot], 'tsa/sct');
    for (const family of ['sig', 'att'] as const) {
      expect(v[family], `${family}: ${v[family].message}`).toMatchObject({
        status: 'untrusted',
        code: 'TLOG_MISSING',
      });
      expect(v[family].message).toContain('--insecure-ignore-tlog');
    }
    // The log requirement is the only failure: sigstore-js itself asked for the entry.
    expect(v.sig.message).toContain('expected 1 tlog entries, got 0');
  });

  it('the same with --insecure-ignore-tlog: the .sig verifies at the TSA time and says the log was waived', async () => {
    const before = Date.now();
    const v = await ours(['--trusted-root', trustedRoot, '--insecure-ignore-tlog'], 'tsa/sct');
    expect(v.sig, v.sig.message).toMatchObject({ status: 'verified', code: 'KEYLESS_VERIFIED' });
    expect(v.sig.message).toContain('transparency log not required (--insecure-ignore-tlog)');
    const at = /at (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(v.sig.message)?.[1];
    expect(at, v.sig.message).toBeDefined();
    // The TSA's genTime, from this run (the image was signed minutes ago at most), not --at or now.
    expect(Date.parse(at!)).toBeLessThan(before);
    expect(before - Date.parse(at!)).toBeLessThan(10 * 60_000);
    // The .att timestamp is the known gap (see above): nothing dates it.
    expect(v.att, v.att.message).toMatchObject({ status: 'untrusted', code: 'TLOG_MISSING' });
  });

  it('cosign verify --offline with the TSA chain refuses both without --insecure-ignore-tlog and accepts both with it', async () => {
    const ref = `${reg.host}/tsa/app@${image.digest}`;
    const common = [
      `--ca-roots=${ca}`,
      '--insecure-ignore-sct=true',
      `--certificate-identity=${IDENTITY}`,
      `--certificate-oidc-issuer=${ISSUER}`,
      '--use-signed-timestamps=true',
      `--timestamp-certificate-chain=${tsaChain}`,
      '--offline=true',
      ...cosignRegistryFlags(reg),
    ];
    const verify = (waive: boolean) =>
      Promise.all([
        cosign(['verify', ...common, ...(waive ? ['--insecure-ignore-tlog=true'] : []), ref], {
          check: false,
        }),
        cosign(
          [
            'verify-attestation',
            '--type=custom',
            ...common,
            ...(waive ? ['--insecure-ignore-tlog=true'] : []),
            ref,
          ],
          { check: false },
        ),
      ]);
    for (const r of await verify(false)) {
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(/offline verification failed|Rekor/i);
    }
    for (const r of await verify(true)) expect(r.code, r.stderr).toBe(0);
  });

  it('cosign verify --offline checks the hand-made SCT with the CT log key, and still refuses without the waiver', async () => {
    const ref = `${reg.host}/tsa/sct@${sctImage.digest}`;
    const args = (waive: boolean) => [
      'verify',
      `--ca-roots=${ca}`,
      `--certificate-identity=${IDENTITY}`,
      `--certificate-oidc-issuer=${ISSUER}`,
      '--use-signed-timestamps=true',
      `--timestamp-certificate-chain=${tsaChain}`,
      '--offline=true',
      ...(waive ? ['--insecure-ignore-tlog=true'] : []),
      ...cosignRegistryFlags(reg),
      ref,
    ];
    const env = { SIGSTORE_CT_LOG_PUBLIC_KEY_FILE: ctPub };
    const refused = await cosign(args(false), { check: false, env });
    expect(refused.code, refused.stderr).not.toBe(0);
    expect(refused.stderr).toMatch(/offline verification failed|Rekor/i);
    const accepted = await cosign(args(true), { check: false, env });
    expect(accepted.code, accepted.stderr).toBe(0);
  });
});

/** A CT log's key pair (openssl), its SubjectPublicKeyInfo and RFC 6962 log ID. */
interface CtLog {
  key: KeyObject;
  pubPem: string;
  spkiDer: Buffer;
  logId: Buffer;
}

async function makeCtLog(dir: string): Promise<CtLog> {
  const keyPem = join(dir, 'ct.key');
  const pubPem = join(dir, 'ct.pub');
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyPem]);
  await run('openssl', ['ec', '-in', keyPem, '-pubout', '-out', pubPem]);
  const key = createPrivateKey(await readFile(keyPem));
  const spkiDer = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return { key, pubPem, spkiDer, logId: createHash('sha256').update(spkiDer).digest() };
}

/**
 * A leaf with an embedded SCT (RFC 6962 §3.3) over its own TBSCertificate minus the SCT extension. No CT
 * log runs here, so the SCT is hand-made: openssl issues the certificate twice under one frozen clock
 * (faketime) and serial, first without the SCT list, whose TBS the CT key signs, then with it appended.
 */
async function issueWithSct(
  dir: string,
  name: string,
  opts: { ca: string; pub: string; ext: string; ct: CtLog },
): Promise<string> {
  // Now, to the second (UTC, as faketime takes it): not before the CA, which cosign checks the chain at.
  const notBefore = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '');
  const issue = (ext: string, out: string) =>
    run('faketime', ['-f', notBefore, 'openssl',
      'x509', '-req', '-in', join(dir, 'leaf.csr'), '-force_pubkey', opts.pub, '-CA', opts.ca,
      '-CAkey', opts.ca.replace(/\.pem$/, '.key'), '-set_serial', '0x5c7', '-days', '10',
      '-extfile', ext, '-outform', 'DER', '-out', out,
    ]); // prettier-ignore
  const pre = join(dir, `${name}-pre.der`);
  await issue(opts.ext, pre);
  const tbs = firstElement(await readFile(pre));
  const caSpki = new X509Certificate(await readFile(opts.ca)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(Date.parse(`${notBefore.replace(' ', 'T')}Z`)));
  const signed = Buffer.concat([
    Buffer.from([0, 0]), // v1, certificate_timestamp
    timestamp,
    Buffer.from([0, 1]), // precert_entry
    createHash('sha256').update(caSpki).digest(),
    uint(tbs.length, 3),
    tbs,
    uint(0, 2), // no extensions
  ]);
  const signature = sign('sha256', signed, opts.ct.key);
  const sct = Buffer.concat([
    Buffer.from([0]),
    opts.ct.logId,
    timestamp,
    uint(0, 2),
    Buffer.from([4, 3]), // sha256, ecdsa
    uint(signature.length, 2),
    signature,
  ]);
  const list = Buffer.concat([uint(sct.length + 2, 2), uint(sct.length, 2), sct]);
  const octets = Buffer.concat([Buffer.from([0x04]), derLength(list.length), list]);
  const ext = join(dir, `${name}.ext`);
  await writeFile(
    ext,
    `${await readFile(opts.ext, 'utf8')}1.3.6.1.4.1.11129.2.4.2=DER:${octets.toString('hex')}\n`,
  );
  const der = join(dir, `${name}.der`);
  await issue(ext, der);
  const pem = join(dir, `${name}.pem`);
  await run('openssl', ['x509', '-inform', 'DER', '-in', der, '-out', pem]);
  return pem;
}

function uint(n: number, bytes: number): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUIntBE(n, 0, bytes);
  return b;
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = n < 0x100 ? 1 : n < 0x10000 ? 2 : 3;
  return Buffer.concat([Buffer.from([0x80 | bytes]), uint(n, bytes)]);
}

/** The first element (TLV) inside a DER SEQUENCE: a certificate's TBSCertificate. */
function firstElement(der: Buffer): Buffer {
  const header = (at: number): { start: number; end: number } => {
    const first = der[at + 1]!;
    if (first < 0x80) return { start: at + 2, end: at + 2 + first };
    const n = first & 0x7f;
    return { start: at + 2 + n, end: at + 2 + n + der.readUIntBE(at + 2, n) };
  };
  const inner = header(0).start;
  return der.subarray(inner, header(inner).end);
}
