/**
 * `sigscan repo` against a real Distribution 2.8 registry on loopback: images pushed with skopeo, signed
 * with the real cosign, multi-arch indexes, and Basic auth over TLS.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeCodeSigningCertForKey, makeEcCa } from '../helpers/cosign-pki.js';
import { sigscan, sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import { cosignKeypair, cosignSign, ensureCosign, type CosignKeypair } from '../helpers/cosign.js';
import { LINUX_AMD64, LINUX_ARM64, makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { testPki } from '../helpers/notation/pki.js';
import { signNotation, type NotationTestSignature } from '../helpers/notation/sign.js';
import { addReferrerToFallbackIndex, closeAgents, pushBlob, pushManifest } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const FIXTURES_ROOT = join(PROJECT_ROOT, 'fixtures');

function byRef(report: JsonReport, ref: string): JsonTarget {
  const t = report.targets.find((x) => x.ref === ref);
  if (!t) throw new Error(`no target ${ref} in ${report.targets.map((x) => x.ref).join(', ')}`);
  return t;
}

describe('sigscan repo on a plain-HTTP registry', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let signed: PushedLayoutImage;
  let unsigned: PushedLayoutImage;
  let pki: PushedLayoutImage;
  let multi: PushedLayoutImage;
  let notary: PushedLayoutImage;
  let jws: NotationTestSignature;
  let cose: NotationTestSignature;
  let report: JsonReport;
  let exitCode: number;
  const leafSubject = 'CN=release-bot,OU=Build,O=Example Corp,C=US';

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-repo-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);

    signed = await makeAndPushImage(reg, join(work, 'l1'), 'team/app', 'v1', { seed: 'app-v1' });
    await makeAndPushImage(reg, join(work, 'l1b'), 'team/app', 'v1-again', { seed: 'app-v1' });
    unsigned = await makeAndPushImage(reg, join(work, 'l2'), 'team/app', 'v2', { seed: 'app-v2' });
    await makeAndPushImage(reg, join(work, 'l3'), 'other/tool', 'latest', { seed: 'tool' });
    multi = await makeAndPushImage(reg, join(work, 'l4'), 'team/multi', '1.0', {
      seed: 'multi',
      platforms: [LINUX_AMD64, LINUX_ARM64],
    });
    pki = await makeAndPushImage(reg, join(work, 'l5'), 'team/pki', 'v1', { seed: 'pki' });

    await cosignSign(reg, `team/app@${signed.digest}`, keys.key);
    // The index and one child are signed; the other child is not.
    await cosignSign(reg, `team/multi@${multi.digest}`, keys.key);
    const arm = multi.children.find((c) => c.platform?.architecture === 'arm64')!;
    await cosignSign(reg, `team/multi@${arm.digest}`, keys.key);

    // cosign's own key gets a certificate from our CA, so the signer has a subject.
    const ca = await makeEcCa(work, 'ca', '/CN=Example Signing CA/O=Example Corp');
    const leafPem = await makeCodeSigningCertForKey(
      work,
      'leaf',
      '/C=US/O=Example Corp/OU=Build/CN=release-bot',
      keys.pub,
      ca,
    );
    await cosignSign(reg, `team/pki@${pki.digest}`, keys.key, {
      extraArgs: [`--certificate=${leafPem}`, `--certificate-chain=${ca}.pem`],
    });

    // Notary Project signatures as referrers, found through the tag-schema fallback (no referrers API here).
    notary = await makeAndPushImage(reg, join(work, 'l6'), 'team/notary', 'v1', { seed: 'notary' });
    jws = signNotation(
      { mediaType: notary.mediaType, digest: notary.digest, size: notary.size },
      { envelope: 'jws' },
    );
    await attachReferrer('team/notary', notary.digest, jws);
    const amd = multi.children.find((c) => c.platform?.architecture === 'amd64')!;
    cose = signNotation(
      { mediaType: amd.mediaType, digest: amd.digest, size: amd.size },
      { envelope: 'cose', key: 'p256', manifestForm: 'config' },
    );
    await attachReferrer('team/multi', amd.digest, cose);

    const res = await sigscanJson(['repo', reg.host, '--plain-http', '--stats']);
    report = res.report;
    exitCode = res.code;
  }, 240_000);

  async function attachReferrer(repo: string, subject: string, sig: NotationTestSignature): Promise<void> {
    for (const blob of sig.blobs) await pushBlob(reg, repo, blob.bytes);
    await pushManifest(reg, repo, sig.manifestDigest, sig.manifestBytes, sig.manifestDescriptor.mediaType);
    await addReferrerToFallbackIndex(
      reg,
      repo,
      subject,
      sig.manifestDescriptor as Parameters<typeof addReferrerToFallbackIndex>[3],
    );
  }

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reports every tag and platform, and no signature or referrer tags', () => {
    const refs = report.targets.map((t) => `${t.ref}${t.platform ? ` ${t.platform}` : ''}`).sort();
    expect(refs).toEqual(
      [
        `${reg.host}/other/tool:latest`,
        `${reg.host}/team/app:v1`,
        `${reg.host}/team/app:v1-again`,
        `${reg.host}/team/app:v2`,
        `${reg.host}/team/multi:1.0`,
        `${reg.host}/team/multi@${multi.children.find((c) => c.platform?.architecture === 'amd64')!.digest} linux/amd64`,
        `${reg.host}/team/multi@${multi.children.find((c) => c.platform?.architecture === 'arm64')!.digest} linux/arm64`,
        `${reg.host}/team/notary:v1`,
        `${reg.host}/team/pki:v1`,
      ].sort(),
    );
    expect(report.targets.some((t) => /sha256-/.test(t.ref))).toBe(false);
    expect(exitCode).toBe(0);
  });

  it('finds exactly the signed images, with correct digests', () => {
    const signedRefs = report.targets
      .filter((t) => t.status === 'signed')
      .map((t) => `${t.ref} ${t.platform ?? ''}`.trim());
    expect(signedRefs.sort()).toEqual(
      [
        `${reg.host}/team/app:v1`,
        `${reg.host}/team/app:v1-again`,
        `${reg.host}/team/multi:1.0`,
        `${reg.host}/team/multi@${multi.children.find((c) => c.platform?.architecture === 'amd64')!.digest} linux/amd64`,
        `${reg.host}/team/multi@${multi.children.find((c) => c.platform?.architecture === 'arm64')!.digest} linux/arm64`,
        `${reg.host}/team/notary:v1`,
        `${reg.host}/team/pki:v1`,
      ].sort(),
    );
    expect(byRef(report, `${reg.host}/team/app:v1`).digest).toBe(signed.digest);
    expect(byRef(report, `${reg.host}/team/app:v2`)).toMatchObject({
      status: 'unsigned',
      digest: unsigned.digest,
    });
    expect(byRef(report, `${reg.host}/other/tool:latest`).status).toBe('unsigned');
    const amd = report.targets.find((t) => t.platform === 'linux/amd64')!;
    expect(amd).toMatchObject({ status: 'signed', parent: multi.digest });
    expect(amd.signatures.map((x) => x.family)).toEqual(['notation']);
  });

  it('reads Notary Project JWS and COSE signatures through the referrers tag fallback', () => {
    const onTag = byRef(report, `${reg.host}/team/notary:v1`).signatures;
    expect(onTag).toHaveLength(1);
    expect(onTag[0]).toMatchObject({
      family: 'notation',
      location: `referrer ${jws.manifestDigest}`,
      signer: { subject: jws.certificates[0]!.subject, sha256Fingerprint: jws.thumbprints[0] },
      claims: { subjectDigest: notary.digest },
      details: { envelope: 'jws', manifestForm: 'artifactType', signingScheme: 'notary.x509' },
    });
    const child = report.targets.find((t) => t.platform === 'linux/amd64')!.signatures[0]!;
    expect(child).toMatchObject({
      location: `referrer ${cose.manifestDigest}`,
      signer: { subject: cose.certificates[0]!.subject, issuer: cose.certificates[1]!.subject },
      details: { envelope: 'cose', manifestForm: 'config' },
    });
    expect(child.findings.filter((f) => f.severity === 'integrity')).toEqual([]);
  });

  it('reports a key-based cosign signature honestly: no invented subject, payload bound to the digest', () => {
    const sig = byRef(report, `${reg.host}/team/app:v1`).signatures;
    expect(sig).toHaveLength(1);
    expect(sig[0]!.family).toBe('cosign');
    expect(sig[0]!.signer.subject).toBeUndefined();
    expect(sig[0]!.details.signedWith).toBe('public key (no certificate attached)');
    expect(sig[0]!.claims?.subjectDigest).toBe(signed.digest);
    expect(sig[0]!.location).toBe(`sha256-${signed.digest.slice(7)}.sig#layer0`);
    expect(sig[0]!.verdict).toMatchObject({ status: 'unverified', code: 'NO_TRUST_ROOT' });
  });

  it('reports the certificate subject and issuer when cosign attached a certificate', () => {
    const sig = byRef(report, `${reg.host}/team/pki:v1`).signatures[0]!;
    expect(sig.signer.subject).toBe(leafSubject);
    expect(sig.signer.issuer).toBe('O=Example Corp,CN=Example Signing CA'.split(',').reverse().join(','));
    expect(sig.signer.sha256Fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('narrows the scope to a namespace, to repository and tag globs, or to one reference', async () => {
    const refs = async (...args: string[]) =>
      (await sigscanJson(['repo', ...args, '--plain-http'])).report.targets.map((t) => t.ref).sort();
    expect(await refs(`${reg.host}/other`)).toEqual([`${reg.host}/other/tool:latest`]);
    expect(await refs(reg.host, '--repos', 'team/a*', '--tags', 'v1*')).toEqual([
      `${reg.host}/team/app:v1`,
      `${reg.host}/team/app:v1-again`,
    ]);
    expect(await refs(`${reg.host}/team/app@${unsigned.digest}`)).toEqual([
      `${reg.host}/team/app@${unsigned.digest}`,
    ]);
  });

  it('splits the registry into shards whose merged report equals the single run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-shards-'));
    const files: string[] = [];
    const counts: number[] = [];
    for (const i of [1, 2, 3]) {
      const { report: part } = await sigscanJson(['repo', reg.host, '--plain-http', '--shard', `${i}/3`]);
      counts.push(part.targets.length);
      const file = join(dir, `part${i}.json`);
      await writeFile(file, JSON.stringify(part));
      files.push(file);
    }
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(1);
    const merged = await sigscanJson(['report', 'merge', ...files]);
    const key = (r: JsonReport) =>
      r.targets.map((t) => [t.ref, t.platform, t.digest, t.status, t.signatures.map((x) => x.location)]);
    expect(key(merged.report)).toEqual(key(report));
    expect(merged.report.summary.targets).toBe(report.summary.targets);
    await rm(dir, { recursive: true, force: true });
  });

  it('scans an image list from kubectl JSON on stdin, marking an unreachable registry unknown', async () => {
    const pods = {
      items: [
        {
          spec: {
            containers: [
              { image: `${reg.host}/team/app:v1` },
              { image: `${reg.host}/team/app@${unsigned.digest}` },
            ],
            initContainers: [{ image: '127.0.0.1:1/gone/app:1' }],
          },
        },
      ],
    };
    const { code, report: r } = await sigscanJson(['images', '-', '--plain-http'], {
      input: JSON.stringify(pods),
    });
    expect(code).toBe(3);
    expect(r.targets.map((t) => [t.ref, t.status]).sort()).toEqual(
      [
        [`${reg.host}/team/app:v1`, 'signed'],
        [`${reg.host}/team/app@${unsigned.digest}`, 'unsigned'],
        ['127.0.0.1:1/gone/app:1', 'unknown'],
      ].sort(),
    );
  });

  it('costs one request per unsigned tag on a registry without the referrers API', () => {
    const total = (kind: string) =>
      Object.values(report.stats!.byKind[kind] ?? {}).reduce((a, b) => a + b, 0);
    // 7 tags in 5 repositories: one HEAD per tag, one tag list per repository, one referrers probe in all.
    expect(total('manifest-head')).toBe(7);
    expect(total('tags')).toBe(5);
    expect(total('referrers')).toBe(1);
    // GETs only where content is needed: the index; one .sig manifest per distinct signed digest (v1 and
    // v1-again share a digest, so it is fetched once) and its payload blob; for each Notary signature the
    // fallback index, the signature manifest and the envelope blob.
    expect(total('manifest')).toBe(1 + 4 + 2 * 2);
    expect(total('blob')).toBe(4 + 2);
    expect(report.stats!.requests).toBe(1 + 1 + 5 + 7 + 1 + 9 + 6);
  });

  // Last in this block: it adds images, which the whole-registry comparisons above must not see.
  it('verifies Notary signatures against the signer root and rejects registry tampering', async () => {
    // A signature whose payload names another image, attached to this one: invalid, not attributed silently.
    const other = await makeAndPushImage(reg, join(work, 'l7'), 'team/notary', 'tampered', {
      seed: 'notary-t',
    });
    const forged = signNotation(
      { mediaType: other.mediaType, digest: other.digest, size: other.size },
      {
        envelope: 'jws',
        payloadTarget: { mediaType: notary.mediaType, digest: notary.digest, size: notary.size },
      },
    );
    await attachReferrer('team/notary', other.digest, forged);
    // The valid signature of v1 re-listed under another image's fallback tag: its subject is v1, so it is ignored.
    const victim = await makeAndPushImage(reg, join(work, 'l8'), 'team/notary', 'victim', {
      seed: 'notary-v',
    });
    await addReferrerToFallbackIndex(
      reg,
      'team/notary',
      victim.digest,
      jws.manifestDescriptor as Parameters<typeof addReferrerToFallbackIndex>[3],
    );
    const root = join(testPki().dir, 'root.crt');
    const { report: r } = await sigscanJson([
      'repo',
      `${reg.host}/team/notary`,
      '--plain-http',
      '--trust-root',
      root,
    ]);
    const sigs = (tag: string) =>
      r.targets.find((t) => t.ref === `${reg.host}/team/notary:${tag}`)!.signatures;
    expect(sigs('v1')[0]!.verdict).toMatchObject({ status: 'verified' });
    expect(sigs('tampered')[0]!.verdict).toMatchObject({ status: 'invalid', code: 'TARGET_DIGEST_MISMATCH' });
    expect(sigs('victim')).toEqual([]);
    const unknownRoot = join(FIXTURES_ROOT, 'fixture-root-ca.pem');
    const { report: u } = await sigscanJson([
      'repo',
      `${reg.host}/team/notary:v1`,
      '--plain-http',
      '--trust-root',
      unknownRoot,
    ]);
    expect(u.targets[0]!.signatures[0]!.verdict.status).toBe('untrusted');
  });
});

describe('sigscan repo on a TLS registry with Basic auth', () => {
  let reg: TestRegistry;
  let work: string;
  let image: PushedLayoutImage;
  const user = 'scanner';
  const password = 'pa55-Word-for-tests';

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-auth-'));
    reg = await startRegistry({ tls: true, htpasswd: { user, password } });
    const keys = await cosignKeypair(work);
    image = await makeAndPushImage(reg, join(work, 'l1'), 'secure/app', 'v1', { seed: 'secure' });
    await cosignSign(reg, `secure/app@${image.digest}`, keys.key);
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('scans with -u/-p and the test CA', async () => {
    const { code, report } = await sigscanJson([
      'repo',
      reg.host,
      '--ca-file',
      reg.caFile!,
      '-u',
      user,
      '-p',
      password,
    ]);
    expect(code).toBe(0);
    expect(report.targets.map((t) => [t.ref, t.status])).toEqual([[`${reg.host}/secure/app:v1`, 'signed']]);
    expect(JSON.stringify(report)).not.toContain(password);
  });

  it('scans with credentials from a Docker config.json', async () => {
    const dir = join(work, 'docker');
    await run('mkdir', ['-p', dir]);
    const auth = Buffer.from(`${user}:${password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth } } }));
    const { code, report } = await sigscanJson(
      ['repo', `${reg.host}/secure/app:v1`, '--ca-file', reg.caFile!],
      {
        env: { DOCKER_CONFIG: dir },
      },
    );
    expect(code).toBe(0);
    expect(byRef(report, `${reg.host}/secure/app:v1`)).toMatchObject({
      status: 'signed',
      digest: image.digest,
    });
  });

  it('reads the password from stdin', async () => {
    const { code, report } = await sigscanJson(
      ['repo', reg.host, '--ca-file', reg.caFile!, '-u', user, '--password-stdin'],
      { input: `${password}\n` },
    );
    expect(code).toBe(0);
    expect(report.summary.signed).toBe(1);
  });

  it('never prints the password or a token, in any output, with or without errors', async () => {
    for (const args of [
      ['-o', 'json', '--stats', '--verbose'],
      ['-o', 'sarif'],
      ['-o', 'ndjson'],
      ['-o', 'pretty'],
    ]) {
      for (const pw of [password, `${password}-wrong`]) {
        const res = await sigscan([
          'repo',
          reg.host,
          '--ca-file',
          reg.caFile!,
          '-u',
          user,
          '-p',
          pw,
          ...args,
        ]);
        expect(`${res.stdout}${res.stderr}`).not.toContain(password);
        expect(`${res.stdout}${res.stderr}`).not.toMatch(/Bearer |Basic [A-Za-z0-9+/=]{8,}/);
      }
    }
  });

  it('turns wrong credentials into a clear error and exit code 3', async () => {
    const { code, report, stderr } = await sigscanJson([
      'repo',
      reg.host,
      '--ca-file',
      reg.caFile!,
      '-u',
      user,
      '-p',
      'wrong',
    ]);
    expect(code).toBe(3);
    expect(report.errors[0]).toMatchObject({ code: 'REGISTRY_UNAUTHORIZED' });
    expect(report.errors[0]!.message).toMatch(/rejected the credentials/);
    expect(`${stderr}${JSON.stringify(report)}`).not.toContain('wrong"');
  });

  it('refuses an unknown CA unless told otherwise', async () => {
    const { code, report } = await sigscanJson(['repo', reg.host, '-u', user, '-p', password]);
    expect(code).toBe(3);
    expect(report.errors[0]).toMatchObject({ code: 'TLS_ERROR' });
    const insecure = await sigscanJson(['repo', reg.host, '--insecure', '-u', user, '-p', password]);
    expect(insecure.code).toBe(0);
    expect(insecure.stderr).toMatch(/TLS certificate verification is OFF/);
  });
});
