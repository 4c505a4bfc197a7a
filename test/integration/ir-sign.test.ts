/**
 * ir-sign (ISLET) OCI-annotation signatures and legacy nv2 prototype JWTs against a real registry on
 * loopback. Keys and signatures are made with openssl exactly as ir-sign's README does (P-384, DER, hex);
 * the nv2 JWT is built with node:crypto over a self-signed openssl certificate.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import {
  addReferrerToFallbackIndex,
  closeAgents,
  OCI_MANIFEST,
  pushBlob,
  pushManifest,
  sha256Digest,
} from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

const SIG = 'com.samsung.islet.image.signature';
const VENDORPUB = 'com.samsung.islet.image.vendorpub';
const VENDORPUB_SIG = 'com.samsung.islet.image.vendorpub.signature';
const NV2_CONFIG = 'application/vnd.cncf.notary.config.v2+jwt';

describe('ir-sign annotations and nv2 prototype signatures', () => {
  let reg: TestRegistry;
  let work: string;
  const openssl = (args: string[]) => run('openssl', args, { cwd: work, timeoutMs: 30_000 });

  async function ecKey(name: string): Promise<void> {
    await openssl([
      'ecparam',
      '-name',
      'secp384r1',
      '-genkey',
      '-noout',
      '-outform',
      'DER',
      '-out',
      `${name}.key`,
    ]);
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
  }

  async function signFile(key: string, file: string): Promise<string> {
    const out = `${file}.sig`;
    await openssl(['dgst', '-sha384', '-keyform', 'DER', '-sign', key, '-out', out, file]);
    return (await readFile(join(work, out))).toString('hex');
  }

  /** Pushes a one-layer image whose manifest carries `annotations`; returns its digest. */
  async function pushImage(
    repo: string,
    tag: string,
    config: string,
    annotations: Record<string, string>,
  ): Promise<{ digest: string; size: number }> {
    const c = await pushBlob(reg, repo, config);
    const l = await pushBlob(reg, repo, `layer of ${tag}`);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }],
      annotations,
    });
    const digest = await pushManifest(reg, repo, tag, manifest, OCI_MANIFEST);
    return { digest, size: Buffer.byteLength(manifest) };
  }

  const scan = async (...extra: string[]): Promise<JsonReport> =>
    (await sigscanJson(['repo', reg.host, '--plain-http', '--annotation-signatures', ...extra])).report;

  function target(report: JsonReport, ref: string): JsonTarget {
    const t = report.targets.find((x) => x.ref === `${reg.host}/${ref}`);
    if (!t) throw new Error(`no target ${ref} in ${report.targets.map((x) => x.ref).join(', ')}`);
    return t;
  }
  const family = (t: JsonTarget, f: string) => t.signatures.filter((s) => s.family === f);

  let vendorKeyId: string;
  let signedDigest: string;
  let nv2Digest: string;
  let nv2Subject: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sigscan-irsign-'));
    reg = await startRegistry();
    await ecKey('root');
    await ecKey('vendor');
    await ecKey('other');
    const vendorPub = await readFile(join(work, 'vendor.pub'));
    vendorKeyId = sha256Digest(vendorPub).slice('sha256:'.length);
    const vendorPubSig = await signFile('root.key', 'vendor.pub');

    const config = JSON.stringify({
      architecture: 'arm64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [] },
    });
    await writeFile(join(work, 'config.json'), config);
    const configSig = await signFile('vendor.key', 'config.json');
    const signed = await pushImage('islet/app', 'signed', config, {
      [SIG]: configSig,
      [VENDORPUB]: vendorPub.toString('hex'),
      [VENDORPUB_SIG]: vendorPubSig,
    });
    signedDigest = signed.digest;

    // A well-formed signature over other bytes: the config signature no longer matches.
    const config2 = config.replace('arm64', 'amd64');
    await writeFile(join(work, 'other.json'), 'not the config');
    await pushImage('islet/app', 'tampered', config2, {
      [SIG]: await signFile('vendor.key', 'other.json'),
      [VENDORPUB]: vendorPub.toString('hex'),
      [VENDORPUB_SIG]: vendorPubSig,
    });
    await pushImage('islet/app', 'placeholder', config.replace('arm64', 'riscv64'), {
      [SIG]: 'TODO: signature',
      'com.samsung.islet.image.certificate': 'TODO: certificate',
    });

    // nv2 prototype: RS256 compact JWT with a self-signed certificate in x5c, in the config blob.
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'nv2.key',
      '-out',
      'nv2.crt',
      '-days',
      '30',
      '-subj',
      '/C=US/O=Example/CN=registry.example.com',
    ]);
    const cert = new X509Certificate(await readFile(join(work, 'nv2.crt')));
    const nv2Image = await pushImage('legacy/app', 'v1', config.replace('arm64', 's390x'), {});
    nv2Digest = nv2Image.digest;
    nv2Subject = 'CN=registry.example.com';
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${b64({ typ: 'x509', alg: 'RS256', x5c: [cert.raw.toString('base64')] })}.${b64({
      mediaType: OCI_MANIFEST,
      digest: nv2Image.digest,
      size: nv2Image.size,
      references: ['registry.example.com/legacy/app:v1'],
      iat: 1_600_000_000,
    })}`;
    const key = createPrivateKey(await readFile(join(work, 'nv2.key')));
    const jwt = `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
    const jwtBlob = await pushBlob(reg, 'legacy/app', jwt);
    const sigManifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: NV2_CONFIG, ...jwtBlob },
      layers: [],
    });
    const sigDigest = await pushManifest(
      reg,
      'legacy/app',
      sha256Digest(sigManifest),
      sigManifest,
      OCI_MANIFEST,
    );
    await addReferrerToFallbackIndex(reg, 'legacy/app', nv2Image.digest, {
      mediaType: OCI_MANIFEST,
      digest: sigDigest,
      size: Buffer.byteLength(sigManifest),
      artifactType: NV2_CONFIG,
    });
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('verifies the vendor key with the root key and the config with the vendor key', async () => {
    const report = await scan('--key', join(work, 'root.pub'));
    const signed = target(report, 'islet/app:signed');
    expect(signed.digest).toBe(signedDigest);
    const [sig, ...more] = family(signed, 'oci-annotation');
    expect(more).toHaveLength(0);
    expect(sig!.signer.keyId).toBe(vendorKeyId);
    expect(sig!.details).toMatchObject({
      annotations: expect.arrayContaining([SIG, VENDORPUB, VENDORPUB_SIG]),
      configDigest: expect.stringMatching(/^sha256:/),
      vendorKeyId,
    });
    expect(sig!.verdict).toMatchObject({ status: 'verified', code: 'VERIFIED' });

    const tampered = family(target(report, 'islet/app:tampered'), 'oci-annotation')[0]!;
    expect(tampered.verdict).toMatchObject({ status: 'invalid', code: 'CONFIG_SIGNATURE_INVALID' });

    const placeholder = family(target(report, 'islet/app:placeholder'), 'oci-annotation')[0]!;
    expect(placeholder.details['placeholder']).toBe(true);
    expect(placeholder.verdict.status).toBe('unverified');
  });

  it('reports another root as untrusted and no key as unverified', async () => {
    const other = family(
      target(await scan('--key', join(work, 'other.pub')), 'islet/app:signed'),
      'oci-annotation',
    );
    expect(other[0]!.verdict).toMatchObject({ status: 'untrusted', code: 'VENDOR_KEY_NOT_TRUSTED' });
    const none = family(target(await scan(), 'islet/app:signed'), 'oci-annotation');
    expect(none[0]!.verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
  });

  it('reports a legacy nv2 prototype JWT under notation, never verified', async () => {
    const t = target(await scan(), 'legacy/app:v1');
    expect(t.digest).toBe(nv2Digest);
    const [sig, ...more] = family(t, 'notation');
    expect(more).toHaveLength(0);
    expect(sig!.signer.subject).toContain(nv2Subject);
    expect(sig!.claims?.subjectDigest).toBe(nv2Digest);
    expect(sig!.details).toMatchObject({
      legacy: 'nv2-prototype-2020',
      references: ['registry.example.com/legacy/app:v1'],
    });
    expect(sig!.verdict).toMatchObject({ status: 'unverified', code: 'LEGACY_NV2' });
    // Not an ir-sign image.
    expect(family(t, 'oci-annotation')).toHaveLength(0);
  });

  it('does not read image manifests for ir-sign unless --annotation-signatures is given', async () => {
    const { report } = await sigscanJson(['repo', reg.host, '--plain-http']);
    expect(family(target(report, 'islet/app:signed'), 'oci-annotation')).toHaveLength(0);
  });
});
