/**
 * `docker save` archives on disk. There is no docker daemon here: the legacy format is written for real by
 * `skopeo copy … docker-archive:` and, for the Docker < 25 layout skopeo does not use (`<id>/layer.tar`,
 * `<id>/json`, `VERSION`, several images, an image saved by ID), built by hand to the format and packed by
 * `tar`. Docker 25+ archives (OCI layout + index.json beside manifest.json) are read as OCI layouts.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson } from '../helpers/cli.js';
import { makeOciLayout, tarOneFile, type LayoutImage } from '../helpers/images.js';
import { run } from '../helpers/tools.js';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('sigscan layout on docker save archives', () => {
  let work: string;
  let layout: string;
  let image: LayoutImage;
  let configDigest: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sigscan-docker-archive-'));
    layout = join(work, 'layout');
    image = await makeOciLayout(layout, { seed: 'docker-archive', tag: 'v1' });
    const manifest = JSON.parse(
      await readFile(join(layout, 'blobs', 'sha256', image.digest.slice(7)), 'utf8'),
    ) as { config: { digest: string } };
    configDigest = manifest.config.digest;
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('reports a skopeo docker-archive as unknown: its registry digest cannot be known', async () => {
    const tar = join(work, 'skopeo.tar');
    await run('skopeo', [
      '--insecure-policy',
      'copy',
      '--quiet',
      `oci:${layout}:v1`,
      `docker-archive:${tar}:gx/app:v1`,
    ]);
    // The legacy format for real: manifest.json, no index.json.
    const listing = (await run('tar', ['tf', tar])).stdout.split('\n');
    expect(listing).toContain('manifest.json');
    expect(listing).not.toContain('index.json');

    const { code, report } = await sigscanJson(['layout', tar]);
    expect(code).toBe(3);
    expect(report.targets).toHaveLength(1);
    const [t] = report.targets;
    expect(t!.ref).toBe(`docker-archive:${tar}:docker.io/gx/app:v1`);
    expect(t!.digest).toBeNull();
    expect(t!.status).toBe('unknown');
    expect(t!.signatures).toEqual([]);
    expect(t!.errors.map((e) => e.code)).toEqual(['DIGEST_UNKNOWABLE']);
    expect(t!.errors[0]!.message).toContain(`config ${configDigest}, 1 uncompressed layers`);
  });

  /** The Docker < 25 layout: one directory per layer id, config `<hex>.json`, manifest.json, repositories. */
  async function dockerSaveDir(dir: string, configBytes?: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const config =
      configBytes ?? (await readFile(join(layout, 'blobs', 'sha256', configDigest.slice(7)), 'utf8'));
    const configName = `${configDigest.slice(7)}.json`;
    await writeFile(join(dir, configName), config);
    const layer = tarOneFile('hello.txt', 'hello');
    const id = sha256(`layer-${sha256(layer)}`);
    await mkdir(join(dir, id));
    await writeFile(join(dir, id, 'layer.tar'), layer);
    await writeFile(join(dir, id, 'VERSION'), '1.0');
    await writeFile(join(dir, id, 'json'), JSON.stringify({ id, created: '2020-01-01T00:00:00Z' }));
    const entry = { Config: configName, Layers: [`${id}/layer.tar`] };
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify([
        { ...entry, RepoTags: ['registry.example/team/app:v1', 'registry.example/team/app:latest'] },
        { ...entry, RepoTags: null },
      ]),
    );
    await writeFile(
      join(dir, 'repositories'),
      JSON.stringify({ 'registry.example/team/app': { v1: id, latest: id } }),
    );
  }

  it('reads a Docker < 25 save archive: one unknown target per RepoTag and per image saved by ID', async () => {
    const dir = join(work, 'docker-save');
    await dockerSaveDir(dir);
    const tar = join(work, 'docker-save.tar');
    await run('tar', ['-C', dir, '-cf', tar, '.']);
    for (const input of [tar, dir]) {
      const { report } = await sigscanJson(['layout', input]);
      expect(report.targets.map((t) => t.ref).sort()).toEqual([
        `docker-archive:${input}:@1`,
        `docker-archive:${input}:registry.example/team/app:latest`,
        `docker-archive:${input}:registry.example/team/app:v1`,
      ]);
      for (const t of report.targets) {
        expect(t.status).toBe('unknown');
        expect(t.errors.map((e) => e.code)).toEqual(['DIGEST_UNKNOWABLE']);
      }
    }
  });

  it('reports a config whose bytes do not hash to its name', async () => {
    const dir = join(work, 'docker-save-bad');
    await dockerSaveDir(
      dir,
      '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
    );
    const { report } = await sigscanJson(['layout', dir]);
    expect(report.targets[0]!.errors.map((e) => e.code)).toEqual(['DIGEST_MISMATCH', 'DIGEST_UNKNOWABLE']);
  });

  it('reads a Docker 25+ archive (OCI layout + index.json + manifest.json) by its manifest digest', async () => {
    const dir = join(work, 'docker25');
    await cp(layout, dir, { recursive: true });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
      manifests: Array<{ annotations?: Record<string, string> }>;
    };
    index.manifests[0]!.annotations = {
      'io.containerd.image.name': 'docker.io/gx/app:v1',
      'org.opencontainers.image.ref.name': 'v1',
    };
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    const m = JSON.parse(await readFile(join(dir, 'blobs', 'sha256', image.digest.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string }>;
    };
    await writeFile(
      join(dir, 'manifest.json'),
      JSON.stringify([
        {
          Config: `blobs/sha256/${configDigest.slice(7)}`,
          RepoTags: ['gx/app:v1'],
          Layers: m.layers.map((l) => `blobs/sha256/${l.digest.slice(7)}`),
        },
      ]),
    );
    await writeFile(
      join(dir, 'repositories'),
      JSON.stringify({ 'gx/app': { v1: m.layers[0]!.digest.slice(7) } }),
    );
    const tar = join(work, 'docker25.tar');
    await run('tar', ['-C', dir, '-cf', tar, '.']);
    const { code, report } = await sigscanJson(['layout', tar]);
    expect(code).toBe(0);
    expect(report.targets).toHaveLength(1);
    expect(report.targets[0]!).toMatchObject({
      ref: `oci:${tar}:v1`,
      digest: image.digest,
      status: 'unsigned',
    });
  });
});
