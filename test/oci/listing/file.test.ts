import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { openRepositoryListing, parseRepositoryList } from '../../../src/oci/listing/index.js';
import { HttpTransport } from '../../../src/oci/registry/transport.js';

describe('parseRepositoryList', () => {
  it('skips blanks and comments and drops duplicates', () => {
    const text = '# repositories\nteam/app\n\n  other/tool   # trailing comment\r\nteam/app\nlib\n';
    expect(parseRepositoryList(text, 'f')).toEqual(['team/app', 'other/tool', 'lib']);
  });

  it('names the line of a malformed entry', () => {
    expect(() => parseRepositoryList('ok\nTeam/App\n', 'repos.txt')).toThrow(/repos\.txt:2: "Team\/App"/);
    expect(() => parseRepositoryList('reg.example.com:5000/app\n', 'f')).toThrow(SigscanError);
  });
});

describe('openRepositoryListing', () => {
  let dir: string;
  const transport = new HttpTransport({ concurrency: 1 });
  const deps = { transport, credential: async () => undefined, maxPages: 10, env: {} };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-listing-'));
  });
  afterAll(async () => {
    await transport.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uses the catalog when nothing is asked', async () => {
    expect(await openRepositoryListing('r.example', {}, deps)).toBeUndefined();
  });

  it('reads the file up front', async () => {
    const file = join(dir, 'repos.txt');
    await writeFile(file, 'a/b\nc\n');
    const out: string[] = [];
    for await (const r of (await openRepositoryListing('r.example', { reposFromFile: file }, deps))!)
      out.push(r);
    expect(out).toEqual(['a/b', 'c']);
    await expect(
      openRepositoryListing('r.example', { reposFromFile: join(dir, 'missing') }, deps),
    ).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('refuses --org on registries without a known API, and bad API URLs', async () => {
    await expect(openRepositoryListing('quay.io', { org: 'x' }, deps)).rejects.toMatchObject({
      code: 'USAGE',
    });
    await expect(
      openRepositoryListing('ghcr.io', { org: 'x', githubApi: 'ftp://nope' }, deps),
    ).rejects.toMatchObject({ code: 'USAGE' });
    expect(await openRepositoryListing('docker.io', { org: 'x' }, deps)).toBeDefined();
  });
});
