/**
 * Devices never block or flood a scan: a character device read as a file never ends (/dev/zero) or is
 * unbounded noise (/dev/urandom). They are skipped inside trees (even through followed symlinks) and
 * refused with a clear error when named on the command line.
 */
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscan, type JsonReport } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-devices-'));
  await symlink('/dev/zero', join(dir, 'zero.jar'));
  await symlink('/dev/urandom', join(dir, 'random.exe'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('character devices', () => {
  it('are skipped inside a tree, even through --follow-symlinks', async () => {
    const res = await sigscan(['fs', dir, '--follow-symlinks', '-o', 'json']);
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout) as JsonReport;
    expect(doc.targets).toEqual([]);
    expect(doc.errors).toEqual([]);
  });

  it('named on the command line, are refused as not a file or directory (exit 3), never read', async () => {
    for (const path of ['/dev/zero', join(dir, 'zero.jar')]) {
      const res = await sigscan(['fs', path, '-o', 'json']);
      expect(res.code).toBe(3);
      const doc = JSON.parse(res.stdout) as JsonReport;
      expect(doc.targets).toEqual([]);
      expect(doc.errors).toEqual([
        expect.objectContaining({
          code: 'FILE_UNREADABLE',
          source: path,
          message: expect.stringContaining('device'),
        }),
      ]);
    }
  });
});
