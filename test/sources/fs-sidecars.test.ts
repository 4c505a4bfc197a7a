/** Detached signatures found beside files while walking: attached to the file, never targets. */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { PreparedTarget } from '../../src/scan/engine.js';
import { fsJobs, newFsCounters } from '../../src/sources/fs.js';
import { findSidecars } from '../../src/sources/sidecars.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { CORPUS_DIR } from '../helpers/corpus.js';

const SIGN_BLOB = join(CORPUS_DIR, 'cosign', 'sign-blob-sigstore-python');
const BUNDLES = join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python');

async function walk(root: string): Promise<{ prepared: PreparedTarget[]; skipped: number; files: number }> {
  const counters = newFsCounters();
  const prepared: PreparedTarget[] = [];
  for await (const job of fsJobs({ roots: [root], limits: DEFAULT_LIMITS, scanErrors: [], counters })) {
    prepared.push(...(await job.run()));
  }
  return { prepared, skipped: counters.skipped, files: counters.files };
}

describe('findSidecars', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-sidecars-'));
    for (const name of ['a.txt', 'b.txt', 'c.bin', 'orphan.sig', 'lonely.pem', 'gpg.tar', 'x.txt']) {
      await writeFile(join(dir, name), `content of ${name}\n`);
    }
    await copyFile(join(SIGN_BLOB, 'a.txt.sig'), join(dir, 'a.txt.sig'));
    await copyFile(join(SIGN_BLOB, 'a.txt.crt'), join(dir, 'a.txt.crt'));
    await copyFile(join(SIGN_BLOB, 'b.txt.sig'), join(dir, 'b.txt.sig'));
    await copyFile(join(BUNDLES, 'bundle_v3.txt.sigstore'), join(dir, 'c.bin.sigstore.json'));
    await writeFile(join(dir, 'x.txt.intoto.jsonl'), '{}\n');
    // An OpenPGP binary signature is not a cosign .sig: left alone.
    await writeFile(join(dir, 'gpg.tar.sig'), Buffer.from([0x89, 0x01, 0x33, 0x04, 0x00, 0x01, 0x08, 0x00]));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('pairs each signature file with the file it names, and claims the signature files', async () => {
    const names = [
      'a.txt',
      'a.txt.crt',
      'a.txt.sig',
      'b.txt',
      'b.txt.sig',
      'c.bin',
      'c.bin.sigstore.json',
      'gpg.tar',
      'gpg.tar.sig',
      'lonely.pem',
      'orphan.sig',
      'x.txt',
      'x.txt.intoto.jsonl',
    ];
    const { attached, claimed } = await findSidecars(dir, '/shown', names);
    expect([...claimed].sort()).toEqual([
      'a.txt.crt',
      'a.txt.sig',
      'b.txt.sig',
      'c.bin.sigstore.json',
      'x.txt.intoto.jsonl',
    ]);
    expect(attached.get('a.txt')).toEqual([
      {
        kind: 'signature',
        absolutePath: join(dir, 'a.txt.sig'),
        displayPath: '/shown/a.txt.sig',
        certificate: { absolutePath: join(dir, 'a.txt.crt'), displayPath: '/shown/a.txt.crt' },
      },
    ]);
    expect(attached.get('b.txt')?.[0]).toMatchObject({ kind: 'signature' });
    expect(attached.get('b.txt')?.[0]?.certificate).toBeUndefined();
    expect(attached.get('c.bin')).toEqual([
      {
        kind: 'bundle',
        absolutePath: join(dir, 'c.bin.sigstore.json'),
        displayPath: '/shown/c.bin.sigstore.json',
      },
    ]);
    expect(attached.get('x.txt')?.[0]).toMatchObject({ kind: 'jsonl' });
    expect(attached.has('gpg.tar')).toBe(false);
  });

  it('walks a directory: signed files become blob targets, signature files are neither targets nor skipped', async () => {
    const { prepared, skipped, files } = await walk(dir);
    const rows = prepared.map((p) => [
      p.target.kind === 'file' ? p.target.path.slice(dir.length + 1) : '',
      p.target.kind === 'file' ? p.target.format : '',
    ]);
    expect(rows).toEqual([
      ['a.txt', 'blob'],
      ['b.txt', 'blob'],
      ['c.bin', 'blob'],
      ['x.txt', 'blob'],
    ]);
    // gpg.tar, gpg.tar.sig, lonely.pem, orphan.sig: skipped exactly as before; the 5 sidecars are not counted.
    expect(skipped).toBe(4);
    expect(files).toBe(8);
    const a = prepared[0]!;
    expect(a.context?.file?.sidecars).toHaveLength(1);
    const { createHash } = await import('node:crypto');
    expect(a.target.kind === 'file' && a.target.digest).toBe(
      `sha256:${createHash('sha256').update(a.context!.file!.bytes).digest('hex')}`,
    );
  });

  it('attaches standalone attestation files to the siblings their statements name', async () => {
    const sub = join(dir, 'gh');
    await mkdir(sub);
    const { readFile } = await import('node:fs/promises');
    const bundle = JSON.parse(
      await readFile(
        join(CORPUS_DIR, 'sigstore-bundle', 'sigstore-python', 'a.dsse.staging-rekor-v2.txt.sigstore.json'),
        'utf8',
      ),
    ) as unknown;
    await writeFile(join(sub, 'a.txt'), 'named by the statement\n');
    await writeFile(join(sub, 'attestations.intoto.jsonl'), `${JSON.stringify(bundle)}\n`);
    const { attached, claimed } = await findSidecars(sub, sub, ['a.txt', 'attestations.intoto.jsonl']);
    expect([...claimed]).toEqual(['attestations.intoto.jsonl']);
    expect(attached.get('a.txt')?.[0]).toMatchObject({ kind: 'jsonl', standalone: true });
  });
});
