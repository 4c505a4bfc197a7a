import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isDockerArchive, readDockerArchiveManifest } from '../../../src/oci/layout/docker-archive.js';
import { DirectoryFiles } from '../../../src/oci/layout/files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-da-unit-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function files(manifest: string, extra: Record<string, string> = {}): Promise<DirectoryFiles> {
  const d = await mkdtemp(join(dir, 'x-'));
  await writeFile(join(d, 'manifest.json'), manifest);
  for (const [name, body] of Object.entries(extra)) await writeFile(join(d, name), body);
  return new DirectoryFiles(d);
}

describe('docker save manifest.json', () => {
  it('is told apart from a skopeo dir: manifest and from a Docker 25+ archive', async () => {
    expect(await isDockerArchive(await files(' [{"Config":"a.json","Layers":[]}]'), 1024)).toBe(true);
    expect(await isDockerArchive(await files('{"schemaVersion":2}'), 1024)).toBe(false);
    expect(await isDockerArchive(await files('[]', { 'index.json': '{}' }), 1024)).toBe(false);
    expect(await isDockerArchive(await files(`[${' '.repeat(2000)}]`), 1024)).toBe(false);
    expect(await isDockerArchive(new DirectoryFiles(join(dir, 'missing')), 1024)).toBe(false);
  });

  it('reads Config, RepoTags (null or absent: saved by ID) and Layers', async () => {
    const f = await files(
      JSON.stringify([
        { Config: 'c.json', RepoTags: ['a:1'], Layers: ['l/layer.tar'] },
        { Config: 'd.json', RepoTags: null, Layers: [] },
        { Config: 'e.json', Layers: ['x.tar', 'y.tar'] },
      ]),
    );
    expect(await readDockerArchiveManifest(f, 1024)).toEqual([
      { config: 'c.json', repoTags: ['a:1'], layers: ['l/layer.tar'] },
      { config: 'd.json', repoTags: [], layers: [] },
      { config: 'e.json', repoTags: [], layers: ['x.tar', 'y.tar'] },
    ]);
  });

  it('refuses anything else', async () => {
    for (const bad of [
      '{"Config":"c.json"}',
      'not json',
      '[1]',
      '[null]',
      '[{"RepoTags":[],"Layers":[]}]',
      '[{"Config":"c","RepoTags":"a:1","Layers":[]}]',
      '[{"Config":"c","RepoTags":[1],"Layers":[]}]',
      '[{"Config":"c","Layers":"l.tar"}]',
      '[{"Config":"c","Layers":[{}]}]',
    ]) {
      await expect(readDockerArchiveManifest(await files(bad), 1024), bad).rejects.toMatchObject({
        code: 'MALFORMED_MANIFEST',
      });
    }
  });
});
