/**
 * Sigstore bundles and detached cosign signatures beside files (`sigscan fs`), and bundles attached to
 * images as OCI 1.1 referrers (`sigscan repo`), against the shared corpus and the real cosign 2.5.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonReport, type JsonTarget } from '../helpers/cli.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import {
  cosign,
  cosignKeypair,
  cosignRegistryFlags,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents, getManifest, listTags, pushReferrer } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

const BUNDLES = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python');
const STAGING = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'staging.trusted_root.json');
const PRODUCTION = join(CORPUS_DIR, 'sigstore-bundle', 'trust', 'production.trusted_root.json');
const SIGN_BLOB = join(CORPUS_DIR, 'cosign', 'sign-blob-sigstore-python');

interface ExpectedArtifact {
  id: string;
  kind: string;
  files: Record<string, string>;
  signer?: { san?: string | string[]; oidcIssuer?: string };
  expected: {
    verifies: boolean | null;
    trustRoot?: string[];
    policy?: { identity?: string; issuer?: string };
  };
}

async function expectedArtifacts(): Promise<ExpectedArtifact[]> {
  const doc = JSON.parse(await readFile(join(CORPUS_DIR, 'expected.json'), 'utf8')) as {
    artifacts: ExpectedArtifact[];
  };
  return doc.artifacts;
}

function byName(report: JsonReport, name: string): JsonTarget {
  const t = report.targets.find((x) => x.path?.endsWith(`/${name}`));
  if (!t) throw new Error(`no target ${name}: ${report.targets.map((x) => x.path).join(', ')}`);
  return t;
}

const SIGNATURE_FILE = /\.(sig|sigstore|sigstore\.json|crt|pem|intoto\.jsonl)$/;

/**
 * expected.verifies = false: the exact verdict, naming the fault expected.json's reason names.
 */
const FALSE_OUTCOMES: Record<string, [status: string, code: string]> = {
  // "transparency log entry is inconsistent with the other bundle materials (CVE-2022-36056 regression)"
  'sigstore-python/bundle_cve_2022_36056.txt': ['invalid', 'TLOG_ENTRY_MISMATCH'],
  // bundle mediaType "this is completely wrong": rejected at parse time
  'sigstore-python/bundle_invalid_version.txt': ['invalid', 'MALFORMED_BUNDLE'],
  // "a fiddled with input": the signature does not verify over the modified artifact
  'cosign/sign-blob/bad.txt': ['invalid', 'SIGNATURE_INVALID'],
};

describe('sigscan fs: Sigstore bundles beside their artifacts (sigstore-python corpus)', () => {
  it('attaches every bundle to its artifact and agrees with expected.json per identity and trust root', async () => {
    const artifacts = (await expectedArtifacts()).filter(
      (a) =>
        a.kind === 'sigstore-bundle' && a.files['artifact']?.startsWith('sigstore-bundle/sigstore-python/'),
    );
    expect(artifacts.length).toBeGreaterThanOrEqual(6);
    let checkedFalse = 0;
    for (const a of artifacts) {
      const san = a.expected.policy?.identity ?? [a.signer?.san ?? []].flat()[0]!;
      const issuer = a.expected.policy?.issuer ?? a.signer!.oidcIssuer!;
      const root = join(CORPUS_DIR, a.expected.trustRoot![0]!);
      const { report } = await sigscanJson([
        'fs',
        BUNDLES,
        '--trusted-root',
        root,
        '--certificate-identity',
        san,
        '--certificate-oidc-issuer',
        issuer,
      ]);
      for (const t of report.targets)
        expect(t.path!, 'signature files are never targets').not.toMatch(SIGNATURE_FILE);
      const name = a.files['artifact']!.split('/').pop()!;
      const t = byName(report, name);
      expect(t.format).toBe('blob');
      expect(t.status).toBe('signed');
      const sig = t.signatures.find((s) => s.family === 'sigstore-bundle')!;
      expect(sig.location.endsWith(a.files['bundle']!.split('/').pop()!)).toBe(true);
      if (a.expected.verifies === true) {
        expect(sig.verdict, a.id).toMatchObject({ status: 'verified', code: 'KEYLESS_VERIFIED' });
        expect(sig.signer.subjectAlternativeNames?.some((s) => s.endsWith(san))).toBe(true);
      } else if (a.expected.verifies === false) {
        expect([sig.verdict.status, sig.verdict.code], sig.verdict.message).toEqual(FALSE_OUTCOMES[a.id]);
        checkedFalse++;
      }
    }
    expect(checkedFalse).toBe(2);
  }, 120_000);

  it('verifies the production GitHub Actions wheel signature, but not with the staging root', async () => {
    const args = [
      '--certificate-identity',
      'https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2',
      '--certificate-oidc-issuer',
      'https://token.actions.githubusercontent.com',
    ];
    const prod = await sigscanJson(['fs', BUNDLES, '--trusted-root', PRODUCTION, ...args]);
    const whl = byName(prod.report, 'bundle_v3_github.whl');
    expect(whl.signatures[0]!.verdict).toMatchObject({ status: 'verified' });
    expect(whl.signatures[0]!.countersigner).toMatchObject({
      kind: 'rekor',
      subject: 'Rekor log index 79605083',
    });
    const staging = await sigscanJson(['fs', BUNDLES, '--trusted-root', STAGING, ...args]);
    expect(byName(staging.report, 'bundle_v3_github.whl').signatures[0]!.verdict.status).toBe('untrusted');
  });

  it('reports a DSSE bundle whose statement does not name the file beside it as invalid', async () => {
    const { report } = await sigscanJson(['fs', BUNDLES]);
    const t = byName(report, 'a.dsse.staging-rekor-v2.txt');
    expect(t.signatures[0]!.details).toMatchObject({
      content: 'dsseEnvelope',
      predicateType: 'https://slsa.dev/provenance/v1',
    });
    expect(t.signatures[0]!.verdict).toMatchObject({ status: 'invalid', code: 'ARTIFACT_DIGEST_MISMATCH' });
    // Without trust roots the other bundles are found but not verified.
    expect(byName(report, 'bundle_v3.txt').signatures[0]!.verdict).toMatchObject({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
    });
  });
});

describe('sigscan fs: cosign sign-blob .sig + .crt (sigstore-python staging corpus)', () => {
  // Issue #16 item 6: these Fulcio certificates live ten minutes and nothing beside them (no Rekor
  // entry, no RFC 3161 timestamp) proves they signed inside that window. --at is the user's word, not
  // a proof: refused, as cosign refuses them.
  it('refuses a/b/c even at a time inside the certificate validity (--at), and bad.txt is invalid', async () => {
    const artifacts = (await expectedArtifacts()).filter((a) => a.kind === 'cosign-blob-signature');
    expect(artifacts.map((a) => a.id).sort()).toEqual([
      'cosign/sign-blob/a.txt',
      'cosign/sign-blob/b.txt',
      'cosign/sign-blob/bad.txt',
      'cosign/sign-blob/c.txt',
    ]);
    for (const a of artifacts) {
      const san = [a.signer!.san!].flat()[0]!;
      const name = a.files['artifact']!.split('/').pop()!;
      const notBefore = (a.signer as { notBefore?: string }).notBefore!;
      const at = new Date(Date.parse(notBefore) + 60_000).toISOString();
      const { report } = await sigscanJson([
        'fs',
        SIGN_BLOB,
        '--trusted-root',
        STAGING,
        '--certificate-identity',
        san,
        '--certificate-oidc-issuer',
        a.signer!.oidcIssuer!,
        '--at',
        at,
      ]);
      expect(report.summary.filesSkipped).toBe(0);
      const sig = byName(report, name).signatures[0]!;
      expect(sig.family).toBe('cosign');
      expect(sig.location).toBe(`${join(SIGN_BLOB, `${name}.sig`)} + ${join(SIGN_BLOB, `${name}.crt`)}`);
      expect(sig.signer.subjectAlternativeNames?.some((s) => s.endsWith(san))).toBe(true);
      // Keyless pairs beside a file carry no log entry and no signed timestamp: untrusted TLOG_MISSING
      // even where expected.json says the signature verifies (cosign refuses them too, see below).
      expect([sig.verdict.status, sig.verdict.code], `${a.id}: ${sig.verdict.message}`).toEqual(
        a.expected.verifies ? ['untrusted', 'TLOG_MISSING'] : FALSE_OUTCOMES[a.id],
      );
    }
  }, 180_000); // four CLI scans; a loaded 2-core machine needs more than a minute

  it('cosign verify-blob refuses the same pair even when told to skip the log and the SCT', async () => {
    const work = await mkdtemp(join(tmpdir(), 'sigscan-untimed-'));
    try {
      // The staging Fulcio intermediate and root, as cosign's classic --certificate-chain wants them.
      const root = JSON.parse(await readFile(STAGING, 'utf8')) as {
        certificateAuthorities: Array<{ certChain: { certificates: Array<{ rawBytes: string }> } }>;
      };
      const pem = root.certificateAuthorities
        .flatMap((c) => c.certChain.certificates)
        .map(
          (c) =>
            `-----BEGIN CERTIFICATE-----\n${c.rawBytes.replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE-----\n`,
        )
        .join('');
      await writeFile(join(work, 'chain.pem'), pem);
      const res = await cosign(
        [
          'verify-blob',
          `--certificate=${join(SIGN_BLOB, 'a.txt.crt')}`,
          `--certificate-chain=${join(work, 'chain.pem')}`,
          `--signature=${join(SIGN_BLOB, 'a.txt.sig')}`,
          '--certificate-identity=william@yossarian.net',
          '--certificate-oidc-issuer=https://github.com/login/oauth',
          '--insecure-ignore-tlog=true',
          '--insecure-ignore-sct=true',
          join(SIGN_BLOB, 'a.txt'),
        ],
        { check: false },
      );
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('expected a signed timestamp to verify an expired certificate');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('does not call an expired keyless certificate verified without --at (no log entry gives the time)', async () => {
    const { report } = await sigscanJson([
      'fs',
      SIGN_BLOB,
      '--trusted-root',
      STAGING,
      '--certificate-identity',
      'william@yossarian.net',
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
    ]);
    expect(byName(report, 'a.txt').signatures[0]!.verdict).toMatchObject({
      status: 'untrusted',
      code: 'TLOG_MISSING',
    });
  });
});

describe('sigscan fs: real cosign sign-blob', () => {
  let work: string;
  let keys: CosignKeypair;
  let other: CosignKeypair;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-blob-'));
    keys = await cosignKeypair(work);
    await mkdir(join(work, 'other'));
    other = await cosignKeypair(join(work, 'other'));
    await mkdir(join(work, 'rel'));
    await writeFile(join(work, 'rel', 'tool.tar.gz'), 'release artifact bytes\n');
    await writeFile(join(work, 'rel', 'notes.txt'), 'no signature here\n');
    await writeFile(join(work, 'rel', 'tampered.bin'), 'original bytes\n');
    await writeFile(join(work, 'rel', 'plain.bin'), 'key-signed, .sig only\n');
    const signBlob = (file: string, extra: string[]) =>
      cosign([
        'sign-blob',
        `--key=${keys.key}`,
        '--tlog-upload=false',
        '--yes',
        ...extra,
        join(work, 'rel', file),
      ]);
    await signBlob('tool.tar.gz', [
      '--new-bundle-format',
      `--bundle=${join(work, 'rel', 'tool.tar.gz.sigstore.json')}`,
    ]);
    await signBlob('tampered.bin', [
      '--new-bundle-format',
      `--bundle=${join(work, 'rel', 'tampered.bin.sigstore.json')}`,
    ]);
    await signBlob('plain.bin', [`--output-signature=${join(work, 'rel', 'plain.bin.sig')}`]);
    await writeFile(join(work, 'rel', 'tampered.bin'), 'modified bytes\n');
  }, 120_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('verifies a cosign --new-bundle-format bundle and a bare .sig with --key', async () => {
    // Signed with --tlog-upload=false (test/integration/cosign-tlog.test.ts has the strict verdicts).
    const { report } = await sigscanJson([
      'fs',
      join(work, 'rel'),
      '--key',
      keys.pub,
      '--insecure-ignore-tlog',
    ]);
    expect(report.targets.map((t) => [t.path!.split('/').pop(), t.format, t.status])).toEqual([
      ['plain.bin', 'blob', 'signed'],
      ['tampered.bin', 'blob', 'signed'],
      ['tool.tar.gz', 'blob', 'signed'],
    ]);
    expect(report.summary.filesSkipped).toBe(1); // notes.txt: no sidecar, skipped exactly as before
    const tool = byName(report, 'tool.tar.gz').signatures[0]!;
    expect(tool.family).toBe('sigstore-bundle');
    expect(tool.details).toMatchObject({ content: 'messageSignature', signedWith: 'public key' });
    const digest = byName(report, 'tool.tar.gz').digest;
    expect(tool.claims?.subjectDigest).toBe(digest);
    expect(tool.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    const plain = byName(report, 'plain.bin').signatures[0]!;
    expect(plain.family).toBe('cosign');
    expect(plain.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    expect(byName(report, 'tampered.bin').signatures[0]!.verdict).toMatchObject({
      status: 'invalid',
      code: 'ARTIFACT_DIGEST_MISMATCH',
    });
  });

  it('does not verify with another key, nor without one', async () => {
    const wrong = await sigscanJson(['fs', join(work, 'rel'), '--key', other.pub]);
    expect(byName(wrong.report, 'tool.tar.gz').signatures[0]!.verdict).toMatchObject({
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
    });
    expect(byName(wrong.report, 'plain.bin').signatures[0]!.verdict.status).toBe('untrusted');
    const none = await sigscanJson(['fs', join(work, 'rel')]);
    expect(byName(none.report, 'tool.tar.gz').signatures[0]!.verdict.status).toBe('unverified');
  });

  it('scans a single file with its sidecar, and ignores a signature file named directly', async () => {
    const one = await sigscanJson([
      'fs',
      join(work, 'rel', 'tool.tar.gz'),
      '--key',
      keys.pub,
      '--insecure-ignore-tlog',
    ]);
    expect(one.report.targets).toHaveLength(1);
    expect(one.report.targets[0]!.signatures[0]!.verdict.status).toBe('verified');
    const sig = await sigscanJson(['fs', join(work, 'rel', 'tool.tar.gz.sigstore.json')]);
    expect(sig.report.targets).toHaveLength(0);
  });
});

describe('sigscan repo: Sigstore bundles attached as OCI 1.1 referrers', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let other: CosignKeypair;
  let image: PushedLayoutImage;
  let sbomDigest: string;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-bundle-ref-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);
    await mkdir(join(work, 'other'));
    other = await cosignKeypair(join(work, 'other'));
    image = await makeAndPushImage(reg, join(work, 'l1'), 'app', 'v1', { seed: 'bundle-ref-1' });
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ scanner: 'none', result: 'ok' }));
    // cosign 2.5: `attest --new-bundle-format` pushes a bundle referrer; distribution 2.8 has no referrers
    // API, so cosign writes the `sha256-<hex>` fallback index (offline with --tlog-upload=false).
    await cosign([
      'attest',
      `--key=${keys.key}`,
      `--predicate=${predicate}`,
      '--type=custom',
      '--new-bundle-format',
      '--tlog-upload=false',
      '--yes',
      ...cosignRegistryFlags(reg),
      `${reg.host}/app@${image.digest}`,
    ]);
    // A signed SBOM attached to the image: the SBOM referrer, and a bundle (cosign sign-blob over the
    // SBOM manifest bytes, pushed with pushReferrer since cosign signs only images) referring to it.
    const sbom = await pushReferrer(
      reg,
      'app',
      { digest: image.digest, size: image.size, mediaType: image.mediaType },
      {
        artifactType: 'application/spdx+json',
        layers: [{ mediaType: 'application/spdx+json', bytes: '{"spdxVersion":"SPDX-2.3"}' }],
      },
    );
    sbomDigest = sbom.descriptor.digest;
    const sbomFile = join(work, 'sbom-manifest.json');
    await writeFile(sbomFile, sbom.manifest);
    const bundleFile = join(work, 'sbom.sigstore.json');
    await cosign([
      'sign-blob',
      `--key=${keys.key}`,
      '--tlog-upload=false',
      '--yes',
      '--new-bundle-format',
      `--bundle=${bundleFile}`,
      sbomFile,
    ]);
    await pushReferrer(
      reg,
      'app',
      { digest: sbomDigest, size: sbom.manifest.byteLength, mediaType: sbom.descriptor.mediaType },
      {
        artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
        layers: [
          { mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', bytes: await readFile(bundleFile) },
        ],
      },
    );
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('cosign wrote the bundle referrer into the fallback index', async () => {
    const tags = await listTags(reg, 'app');
    expect(tags).toContain(`sha256-${image.digest.slice(7)}`);
    const index = await getManifest(reg, 'app', `sha256-${image.digest.slice(7)}`);
    expect((index!.json as { manifests: unknown[] }).manifests.length).toBe(2);
  });

  it('finds the bundle through the fallback tag and verifies it with --key (and --insecure-ignore-tlog)', async () => {
    // Signed with --tlog-upload=false: without the waiver both bundles lack the entry cosign requires.
    const strict = await sigscanJson(['repo', `${reg.host}/app:v1`, '--plain-http', '--key', keys.pub]);
    const strictBundles = strict.report.targets[0]!.signatures.filter((s) => s.family === 'sigstore-bundle');
    expect(strictBundles.map((s) => [s.verdict.status, s.verdict.code])).toEqual([
      ['untrusted', 'TLOG_MISSING'],
      ['untrusted', 'TLOG_MISSING'],
    ]);
    const { report } = await sigscanJson([
      'repo',
      `${reg.host}/app:v1`,
      '--plain-http',
      '--key',
      keys.pub,
      '--insecure-ignore-tlog',
    ]);
    expect(report.targets).toHaveLength(1);
    const bundles = report.targets[0]!.signatures.filter((s) => s.family === 'sigstore-bundle');
    expect(bundles).toHaveLength(2);
    const direct = bundles.find((s) => !s.location.includes(' > '))!;
    expect(direct.details).toMatchObject({
      content: 'dsseEnvelope',
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      predicateType: 'https://cosign.sigstore.dev/attestation/v1',
      predicateTypeAnnotation: 'https://cosign.sigstore.dev/attestation/v1',
      signedWith: 'public key',
    });
    expect(direct.claims?.subjectDigest).toBe(image.digest);
    expect(direct.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    const nested = bundles.find((s) => s.location.startsWith(`${sbomDigest} > `))!;
    expect(nested.details).toMatchObject({
      content: 'messageSignature',
      attachedTo: { digest: sbomDigest, artifactType: 'application/spdx+json' },
    });
    expect(nested.claims?.subjectDigest).toBe(sbomDigest);
    expect(nested.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
  });

  it('does not verify with another key', async () => {
    const { report } = await sigscanJson(['repo', `${reg.host}/app:v1`, '--plain-http', '--key', other.pub]);
    for (const s of report.targets[0]!.signatures.filter((x) => x.family === 'sigstore-bundle')) {
      expect(s.verdict).toMatchObject({ status: 'untrusted', code: 'KEY_NOT_TRUSTED' });
    }
  });

  it('never lists bundle or SBOM manifests as images', async () => {
    const { report } = await sigscanJson(['repo', reg.host, '--plain-http']);
    expect(report.targets.map((t) => t.ref)).toEqual([`${reg.host}/app:v1`]);
  });
});
