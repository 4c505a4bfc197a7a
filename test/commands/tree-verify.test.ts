/**
 * `sigscan tree` and `sigscan verify` against a real registry with real cosign signatures, an
 * attestation and an SBOM attached, and real jarsigner-signed fixture files.
 */
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan } from '../helpers/cli.js';
import {
  cosign,
  cosignAttest,
  cosignKeypair,
  cosignRegistryFlags,
  cosignSign,
  ensureCosign,
  type CosignKeypair,
} from '../helpers/cosign.js';
import { LINUX_AMD64, LINUX_ARM64, makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

const ROOT_CA = join(PROJECT_ROOT, 'fixtures', 'fixture-root-ca.pem');
const SIGNED_JAR = join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar');
const UNSIGNED_EXE = join(PROJECT_ROOT, 'fixtures', 'pe', 'hello-unsigned.exe');

interface TreeJson {
  ref: string;
  digest: string;
  mediaType: string;
  signatures: Array<{
    family: string;
    location: string;
    predicateType?: string;
    signer: string;
    verdict: string;
  }>;
  attachments: Array<{ via: string; location: string }>;
  children: Array<{ platform: string; digest: string; signatures: unknown[]; attachments: unknown[] }>;
}

describe('tree and verify on a real registry', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let other: CosignKeypair;
  let multi: PushedLayoutImage;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-tree-verify-'));
    reg = await startRegistry();
    await run('mkdir', ['-p', join(work, 'k1'), join(work, 'k2')]);
    keys = await cosignKeypair(join(work, 'k1'));
    other = await cosignKeypair(join(work, 'k2'));
    multi = await makeAndPushImage(reg, join(work, 'l1'), 'tv/app', '1', {
      seed: 'tree-verify-multi',
      platforms: [LINUX_AMD64, LINUX_ARM64],
    });
    await makeAndPushImage(reg, join(work, 'l2'), 'tv/app', 'unsigned', {
      seed: 'tree-verify-plain',
    });
    await cosignSign(reg, `tv/app@${multi.digest}`, keys.key);
    const predicate = join(work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ builder: 'test' }));
    await cosignAttest(reg, `tv/app@${multi.digest}`, keys.key, predicate, {
      type: 'https://example.com/build/v1',
    });
    const sbom = join(work, 'sbom.spdx.json');
    await writeFile(sbom, JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'app' }));
    await cosign(
      [
        'attach',
        'sbom',
        `--sbom=${sbom}`,
        '--type=spdx',
        ...cosignRegistryFlags(reg),
        `${reg.host}/tv/app@${multi.digest}`,
      ],
      {},
    );
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('tree', () => {
    it('lists the index, both platforms, the signature, the attestation and the SBOM tag (JSON)', async () => {
      // Signed with --tlog-upload=false: the waiver lets the key alone verify it.
      const res = await sigscan([
        'tree',
        '--key',
        keys.pub,
        '--insecure-ignore-tlog',
        '--plain-http',
        `${reg.host}/tv/app:1`,
        '--json',
      ]);
      expect(res.code).toBe(0);
      const tree = JSON.parse(res.stdout) as TreeJson;
      const hex = multi.digest.slice(7);
      expect(tree.digest).toBe(multi.digest);
      expect(tree.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(tree.children.map((c) => [c.platform, c.digest]).sort()).toEqual(
        multi.children.map((c) => [`${c.platform!.os}/${c.platform!.architecture}`, c.digest]).sort(),
      );
      const sig = tree.signatures.find((s) => s.family === 'cosign');
      expect(sig).toMatchObject({ location: `sha256-${hex}.sig#layer0`, verdict: 'verified' });
      const att = tree.signatures.find((s) => s.family === 'cosign-attestation');
      expect(att).toMatchObject({ predicateType: 'https://example.com/build/v1', verdict: 'verified' });
      expect(tree.attachments.map((a) => `${a.via}:${a.location}`)).toEqual(
        expect.arrayContaining([`tag:sha256-${hex}.sig`, `tag:sha256-${hex}.att`, `tag:sha256-${hex}.sbom`]),
      );
    });

    it('draws a tree for people, the signer and verdict under each signature', async () => {
      const res = await sigscan(['tree', `${reg.host}/tv/app:1`, '--plain-http', '--key', other.pub]);
      expect(res.code).toBe(0);
      const lines = res.stdout.split('\n');
      expect(lines[0]).toBe(`${reg.host}/tv/app:1  ${multi.digest}  application/vnd.oci.image.index.v1+json`);
      expect(res.stdout).toMatch(/├── signature {2}cosign {2}sha256-[0-9a-f]{64}\.sig#layer0/);
      expect(res.stdout).toMatch(/verdict: untrusted/);
      expect(res.stdout).toMatch(/tag {2}sha256-[0-9a-f]{64}\.sbom/);
      expect(res.stdout).toMatch(/└── linux\/a(md|rm)64 {2}sha256:/);
    });

    it('a missing image exits 3 with one line', async () => {
      const res = await sigscan(['tree', '--plain-http', `${reg.host}/tv/app:nope`]);
      expect(res.code).toBe(3);
      expect(res.stderr).toMatch(/^sigscan: .*tv\/app:nope: not found/);
    });
  });

  describe('verify', () => {
    it('passes only when every named artifact verifies', async () => {
      const ok = await sigscan([
        'verify',
        '--key',
        keys.pub,
        '--insecure-ignore-tlog',
        '--trust-root',
        ROOT_CA,
        '--plain-http',
        `${reg.host}/tv/app:1`,
        SIGNED_JAR,
      ]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(
        new RegExp(`^PASS verified {3}${reg.host}/tv/app:1  (key [0-9a-f]{16}|public key)`, 'm'),
      );
      expect(ok.stdout).toMatch(/^PASS verified {3}.*hello-signed\.jar {2}CN=Sigscan Fixture Code Signing/m);
      expect(ok.stdout).toMatch(/^2 of 2 verified$/m);
    });

    it.each([
      ['the wrong key', () => ['--key', other.pub, `${reg.host}/tv/app:1`], /^FAIL untrusted/m],
      ['no trust input', () => [`${reg.host}/tv/app:1`], /^FAIL unverified/m],
      // cosign 2.x's rule: a key-signed image with no Rekor entry needs --insecure-ignore-tlog.
      ['no Rekor entry', () => ['--key', keys.pub, `${reg.host}/tv/app:1`], /^FAIL untrusted/m],
      ['an unsigned image', () => ['--key', keys.pub, `${reg.host}/tv/app:unsigned`], /^FAIL unsigned/m],
      ['a missing tag', () => ['--key', keys.pub, `${reg.host}/tv/app:nope`], /^FAIL (unknown|missing)/m],
      ['an unsigned file', () => ['--trust-root', ROOT_CA, UNSIGNED_EXE], /^FAIL unsigned/m],
      ['a missing file', () => ['--trust-root', ROOT_CA, 'no-such-file.jar'], /^FAIL missing/m],
    ])('fails with exit 1 on %s', async (_name, args, line) => {
      const res = await sigscan(['verify', '--plain-http', ...args()]);
      expect(res.code).toBe(1);
      expect(res.stdout).toMatch(line);
      expect(res.stdout).toMatch(/^1 of 1 not verified$/m);
    });

    it('a tampered JAR fails as invalid', async () => {
      const jar = join(work, 'tampered.jar');
      await copyFile(SIGNED_JAR, jar);
      // The signed entry replaced with zip(1): the archive is well formed, the entry is not what was signed.
      const dir = join(work, 'tamper');
      await run('mkdir', ['-p', join(dir, 'com', 'example')]);
      await writeFile(join(dir, 'com', 'example', 'hello.txt'), 'not what was signed\n');
      await run('zip', ['-q', jar, 'com/example/hello.txt'], { cwd: dir });
      const res = await sigscan(['verify', '--trust-root', ROOT_CA, jar]);
      expect(res.code).toBe(1);
      expect(res.stdout).toMatch(/^FAIL invalid/m);
    });

    it('-o json prints the full report and keeps the exit code', async () => {
      const res = await sigscan(['verify', '--trust-root', ROOT_CA, SIGNED_JAR, UNSIGNED_EXE, '-o', 'json']);
      expect(res.code).toBe(1);
      const doc = JSON.parse(res.stdout) as { scan: { command: string }; targets: Array<{ status: string }> };
      expect(doc.scan.command).toBe('verify');
      expect(doc.targets.map((t) => t.status).sort()).toEqual(['signed', 'unsigned']);
    });
  });
});
