/**
 * Lookaside URLs and `dir:` layout signatures (formats.md §4.4; containers/image docker/registries_d.go
 * `lookasideStorageURL` and directory/directory_src.go: signature-1, signature-2, … until the first
 * missing file). The signatures are real `skopeo standalone-sign` / `gpg --sign` output.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import {
  lookasideSignatureUrl,
  MAX_SIGNATURES,
  readDirSignatures,
} from '../../../src/formats/simple-signing/lookaside.js';
import { simpleSigningFixtures } from '../../helpers/simple-signing-fixtures.js';

describe('lookasideSignatureUrl', () => {
  it('drops every trailing slash of the base and writes the digest colon as =', () => {
    expect(lookasideSignatureUrl('https://l.example//', 'ns/app', 'sha256:ab', 3)).toBe(
      'https://l.example/ns/app@sha256=ab/signature-3',
    );
    expect(lookasideSignatureUrl('file:///srv/sigs', 'a', 'sha512:cd', 1)).toBe(
      'file:///srv/sigs/a@sha512=cd/signature-1',
    );
  });
});

describe('readDirSignatures', () => {
  let work: string;
  let sigs: Uint8Array[];
  beforeAll(async () => {
    const f = await simpleSigningFixtures();
    sigs = [await f.file('standalone.sig'), await f.file('plain.sig')];
    work = await mkdtemp(join(tmpdir(), 'sigscan-ssf-dir-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function layout(name: string, files: Record<string, Uint8Array>): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir);
    for (const [n, b] of Object.entries(files)) await writeFile(join(dir, n), b);
    return dir;
  }

  it('reads signature-1, signature-2, … in order until the first missing one', async () => {
    const dir = await layout('gap', {
      'manifest.json': new Uint8Array([0x7b, 0x7d]),
      'signature-1': sigs[0]!,
      'signature-2': sigs[1]!,
      'signature-4': sigs[0]!,
    });
    const got = await readDirSignatures(dir, 1 << 20);
    expect(got.map((s) => s.path)).toEqual([join(dir, 'signature-1'), join(dir, 'signature-2')]);
    expect(Buffer.from(got[0]!.blob).equals(Buffer.from(sigs[0]!))).toBe(true);
    expect(Buffer.from(got[1]!.blob).equals(Buffer.from(sigs[1]!))).toBe(true);
  });

  it('no signature-1: none', async () => {
    const dir = await layout('none', { 'manifest.json': new Uint8Array([0x7b, 0x7d]) });
    expect(await readDirSignatures(dir, 1 << 20)).toEqual([]);
  });

  it(`stops after ${MAX_SIGNATURES} signatures`, async () => {
    const files: Record<string, Uint8Array> = {};
    for (let n = 1; n <= MAX_SIGNATURES + 1; n++) files[`signature-${n}`] = new Uint8Array([n & 0xff]);
    const dir = await layout('many', files);
    const got = await readDirSignatures(dir, 1);
    expect(MAX_SIGNATURES).toBe(128);
    expect(got).toHaveLength(128);
    expect(got[127]).toEqual({ path: join(dir, 'signature-128'), blob: new Uint8Array([128]) });
  });

  it('a signature of exactly maxBytes is read; one byte more is TOO_LARGE', async () => {
    const size = sigs[0]!.length;
    const dir = await layout('size', { 'signature-1': sigs[0]! });
    expect(await readDirSignatures(dir, size)).toHaveLength(1);
    const e = await readDirSignatures(dir, size - 1).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SigscanError);
    expect((e as SigscanError).code).toBe('TOO_LARGE');
    expect((e as Error).message).toBe(
      `${join(dir, 'signature-1')} is ${size} bytes, over the ${size - 1}-byte limit`,
    );
  });

  it('an error other than a missing file is not the end of the list: it is thrown', async () => {
    // The "layout" is a regular file: stat of file/signature-1 fails with ENOTDIR.
    const file = join(work, 'not-a-dir');
    await writeFile(file, 'x');
    const e = await readDirSignatures(file, 1 << 20).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((e as NodeJS.ErrnoException).code).toBe('ENOTDIR');
  });
});
