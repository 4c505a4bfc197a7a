/**
 * ZipArchive.read hands out arrays its callers may keep (nested archives are scanned from them), so each must
 * own exactly its bytes: never a view of the archive, of zlib's shared pool, or of the inflater buffer the
 * next small entry is expanded into (reports/mutation-log.md, jc1: `reader.ts` 562–566). Archives from
 * Info-ZIP zip, deflated (-6) and stored (-0), entries on both sides of the 64 KiB copy threshold.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openZip } from '../../../src/formats/zip/index.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';
import { repeatedLine } from './inputs.js';

function lines(seed: string, size: number): Buffer {
  return repeatedLine(`${seed}: a line of a class file constant pool, java/lang/Object\n`, size);
}

const CONTENT: Record<string, Buffer> = {
  'small-a.txt': lines('a', 1000),
  'small-b.txt': lines('b', 1000),
  'large.bin': lines('large', 300 * 1024),
};

describe('ZipArchive.read: every result owns exactly its bytes', () => {
  let dir: string;
  const archives: Record<'deflated' | 'stored', string> = { deflated: '', stored: '' };
  beforeAll(() => {
    dir = tempDir('sigscan-zip-copies-');
    const files = join(dir, 'files');
    mkdirSync(files);
    for (const [name, data] of Object.entries(CONTENT)) writeFileSync(join(files, name), data);
    for (const kind of ['deflated', 'stored'] as const) {
      archives[kind] = join(dir, `${kind}.zip`);
      const level = kind === 'stored' ? '-0' : '-6';
      execFileSync('zip', ['-q', '-X', level, archives[kind], ...Object.keys(CONTENT)], { cwd: files });
    }
  });
  afterAll(() => removeDir(dir));

  for (const kind of ['deflated', 'stored'] as const) {
    it(`${kind}: each result is its entry, exactly sized, and unchanged by the reads after it`, async () => {
      const bytes = readBytes(archives[kind]);
      const zip = await openZip(bytes, DEFAULT_LIMITS);
      const methods = zip.entries.map((e) => e.compressionMethod);
      expect(methods).toEqual(kind === 'stored' ? [0, 0, 0] : [8, 8, 8]);

      const got: Record<string, Uint8Array> = {};
      for (const name of Object.keys(CONTENT)) got[name] = await zip.read(zip.get(name)!);
      // More reads through the reused inflater and the archive's bytes.
      for (const name of Object.keys(CONTENT)) zip.readAtOnce(zip.get(name)!);
      await zip.read(zip.get('small-b.txt')!);

      for (const [name, data] of Object.entries(CONTENT)) {
        const result = got[name]!;
        expect([name, Buffer.from(result).equals(data)]).toEqual([name, true]);
        // Its own memory: not a window on a larger buffer that something else owns or reuses.
        expect([name, result.byteOffset, result.buffer.byteLength]).toEqual([name, 0, data.length]);
        expect(result.buffer).not.toBe(bytes.buffer);
      }
      // Results are independent of one another.
      expect(got['small-a.txt']!.buffer).not.toBe(got['small-b.txt']!.buffer);
    });
  }
});
