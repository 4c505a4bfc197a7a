import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { openZip } from '../../../src/formats/zip/index.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { makeJar, readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';

/**
 * The reader's guards at their exact bounds (reports/mutation-log.md, jc1: `reader.ts` `admit` and `source`
 * survived with no test at the boundary): an entry may be read at exactly the caller's byte limit and not
 * one byte over, by every read path; a closed archive and an entry of another archive are refused.
 */

function refusal(read: () => unknown): { code: string; message: string } {
  try {
    read();
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return { code: (err as SigscanError).code, message: (err as Error).message };
  }
  throw new Error('expected a refusal');
}

async function rejection(read: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await read;
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return { code: (err as SigscanError).code, message: (err as Error).message };
  }
  throw new Error('expected a rejection');
}

describe('ZIP reader guards', () => {
  let dir: string;
  let jar: string;
  // 100 bytes, which jar cf deflates.
  const text = 'sigscan '.repeat(12) + 'four';
  beforeAll(() => {
    dir = tempDir('sigscan-zip-guards-');
    jar = makeJar(join(dir, 'guards.jar'), { 'a.txt': text });
  });
  afterAll(() => removeDir(dir));

  it('reads an entry at exactly the byte limit, and refuses it one byte under, naming both sizes', async () => {
    expect(text.length).toBe(100);
    const zip = await openZip(readBytes(jar), DEFAULT_LIMITS);
    const entry = zip.get('a.txt')!;
    expect(new TextDecoder().decode(await zip.read(entry, 100))).toBe(text);
    expect(new TextDecoder().decode(zip.readAtOnce(entry, 100)!)).toBe(text);
    const over = { code: 'TOO_LARGE', message: 'ZIP entry a.txt is 100 bytes, over 99' };
    expect(await rejection(zip.read(entry, 99))).toEqual(over);
    expect(refusal(() => zip.readAtOnce(entry, 99))).toEqual(over);
    const chunks: Uint8Array[] = [];
    const streamed = (async () => {
      for await (const chunk of zip.stream(entry, 99)) chunks.push(chunk);
    })();
    expect(await rejection(streamed)).toEqual(over);
    expect(chunks).toEqual([]);
  });

  it('refuses reads after close, and entries that belong to another archive', async () => {
    const bytes = readBytes(jar);
    const zip = await openZip(bytes, DEFAULT_LIMITS);
    // A copy is another archive (the structure cache is per byte array): its entries are not this one's.
    const other = await openZip(bytes.slice(), DEFAULT_LIMITS);
    const foreign = other.get('a.txt')!;
    expect(await rejection(zip.read(foreign))).toEqual({
      code: 'INTERNAL',
      message: 'entry a.txt does not belong to this archive',
    });
    const entry = zip.get('a.txt')!;
    expect(new TextDecoder().decode(await zip.read(entry))).toBe(text);
    zip.close();
    expect(await rejection(zip.read(entry))).toEqual({
      code: 'INTERNAL',
      message: 'ZIP archive already closed',
    });
    expect(refusal(() => zip.readAtOnce(entry))).toEqual({
      code: 'INTERNAL',
      message: 'ZIP archive already closed',
    });
  });
});
