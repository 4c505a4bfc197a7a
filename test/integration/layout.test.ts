/** OCI image layouts found during fs scans go through the same OCI interface as a registry. */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonReport } from '../helpers/cli.js';
import { cosignKeypair, cosignSign, ensureCosign } from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { signNotation } from '../helpers/notation/sign.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { PROJECT_ROOT, run } from '../helpers/tools.js';

describe('OCI layouts in fs scans', () => {
  let reg: TestRegistry;
  let work: string;
  let tree: string;
  let layout: string;
  let image: PushedLayoutImage;
  let notationDigest: string;
  let report: JsonReport;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-layout-'));
    reg = await startRegistry();
    const keys = await cosignKeypair(work);
    image = await makeAndPushImage(reg, join(work, 'src'), 'app', 'v1', { seed: 'layout' });
    await cosignSign(reg, `app@${image.digest}`, keys.key);

    // skopeo copies the image and its cosign signature tag into a layout, digests preserved.
    tree = join(work, 'tree');
    layout = join(tree, 'images', 'app-layout');
    await mkdir(join(tree, 'images'), { recursive: true });
    const sigTag = `sha256-${image.digest.slice(7)}.sig`;
    for (const tag of ['v1', sigTag]) {
      await run('skopeo', [
        '--insecure-policy',
        'copy',
        '--preserve-digests',
        '--src-tls-verify=false',
        `docker://${reg.host}/app:${tag}`,
        `oci:${layout}:${tag}`,
      ]);
    }
    // A Notary signature stored as a referrer blob (found by its subject, not by a tag).
    const sig = signNotation(
      { mediaType: image.mediaType, digest: image.digest, size: image.size },
      { envelope: 'cose' },
    );
    for (const blob of [
      ...sig.blobs,
      { bytes: sig.manifestBytes, descriptor: { digest: sig.manifestDigest } },
    ]) {
      await writeFile(join(layout, 'blobs', 'sha256', blob.descriptor.digest.slice(7)), blob.bytes);
    }
    notationDigest = sig.manifestDigest;
    await copyFile(join(PROJECT_ROOT, 'fixtures', 'jar', 'hello-signed.jar'), join(tree, 'app.jar'));

    ({ report } = await sigscanJson(['fs', tree]));
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reports the layout image by its oci: reference with both signatures, and nothing from blobs/', () => {
    const refs = report.targets.map((t) => t.ref).sort();
    expect(refs).toEqual([`oci:${layout}:v1`, join(tree, 'app.jar')].sort());
    const img = report.targets.find((t) => t.kind === 'image')!;
    expect(img).toMatchObject({ status: 'signed', digest: image.digest });
    expect(img.signatures.map((s) => [s.family, s.location]).sort()).toEqual([
      ['cosign', `sha256-${image.digest.slice(7)}.sig#layer0`],
      ['notation', `referrer ${notationDigest}`],
    ]);
    expect(img.signatures.every((s) => s.findings.every((f) => f.severity !== 'integrity'))).toBe(true);
  });

  it('scans the same layout as a directory and as an OCI archive tarball, read in place', async () => {
    const tarball = join(work, 'app.tar');
    await run('tar', ['-cf', tarball, '-C', layout, '.']);
    for (const path of [layout, tarball]) {
      const { code, report: r } = await sigscanJson(['layout', path]);
      expect(code).toBe(0);
      expect(r.targets.map((t) => [t.ref, t.status, t.digest])).toEqual([
        [`oci:${path}:v1`, 'signed', image.digest],
      ]);
      expect(r.targets[0]!.signatures.map((s) => s.family).sort()).toEqual(['cosign', 'notation']);
    }
  });

  it('reports a directory that is not a layout as an error', async () => {
    const { code, report: r } = await sigscanJson(['layout', tree]);
    expect(code).toBe(3);
    expect(r.errors[0]).toMatchObject({ code: 'FORMAT_MISMATCH' });
  });

  it('finds OCI archives during fs scans', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-archive-'));
    const tarball = join(dir, 'app.tar');
    await run('tar', ['-cf', tarball, '-C', layout, '.']);
    await writeFile(join(dir, 'other.tar'), Buffer.alloc(1024));
    const { report: r } = await sigscanJson(['fs', dir]);
    expect(r.targets.map((t) => [t.ref, t.status])).toEqual([[`oci:${tarball}:v1`, 'signed']]);
    await rm(dir, { recursive: true, force: true });
  });
});
