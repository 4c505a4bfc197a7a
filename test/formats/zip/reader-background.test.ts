/**
 * sigscan asks yauzl for the end records only (reader.ts `endRecords`). Read eagerly (`lazyEntries: false`),
 * yauzl goes on reading central directory records in the background after the open, and a bad record becomes
 * an 'error' event nobody listens to: an uncaught exception that ends a scan of many files, raised by one
 * hostile archive after its own result was reported. yauzl 3's Promise functions, which reader.ts calls, force
 * `lazyEntries: true` whatever the options say (so the `reader.ts:217` option mutants are equivalent:
 * reports/mutation-log.md, session 16); this test holds the property if the call ever changes (checked by
 * switching to `yauzl.fromBuffer` with `lazyEntries: false`: it fails). Archives by `jar cf`, byte surgery.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import { ArchiveFile } from '../../../src/formats/zip/archive-file.js';
import { openZip } from '../../../src/formats/zip/reader.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { makeJar, readBytes, removeDir, tempDir } from '../../helpers/jar/index.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('sigscan-zip-background-');
});
afterAll(() => removeDir(dir));

/** jar cf's archive of three entries with the signature of its second central directory record broken. */
function brokenSecondRecord(): Buffer {
  const bytes = Buffer.from(readBytes(makeJar(join(dir, 'three.jar'), { 'a.txt': 'a', 'b.txt': 'b' })));
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const cen = bytes.readUInt32LE(end + 16);
  expect(bytes.readUInt32LE(cen)).toBe(0x02014b50);
  const second =
    cen + 46 + bytes.readUInt16LE(cen + 28) + bytes.readUInt16LE(cen + 30) + bytes.readUInt16LE(cen + 32);
  expect(bytes.readUInt32LE(second)).toBe(0x02014b50);
  bytes[second] = 0x51;
  return bytes;
}

/** Errors thrown where nothing catches them while `body` runs and for a few turns of the event loop after. */
async function uncaught(body: () => Promise<unknown>): Promise<Error[]> {
  const seen: Error[] = [];
  const listen = (err: Error) => seen.push(err);
  process.on('uncaughtException', listen);
  try {
    await body().catch(() => undefined);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  } finally {
    process.off('uncaughtException', listen);
  }
  return seen;
}

describe('yauzl reads nothing in the background', () => {
  it('a broken record in memory: MALFORMED_ZIP, and nothing raised after', async () => {
    const bytes = brokenSecondRecord();
    let refusal: unknown;
    const late = await uncaught(async () => {
      refusal = await openZip(new Uint8Array(bytes), DEFAULT_LIMITS).catch((err: unknown) => err);
    });
    expect(refusal).toBeInstanceOf(SigscanError);
    expect((refusal as SigscanError).code).toBe('MALFORMED_ZIP');
    expect(late.map((e) => e.message)).toEqual([]);
  });

  it('the same archive read from its file: MALFORMED_ZIP, and nothing raised after', async () => {
    const path = join(dir, 'broken.jar');
    writeFileSync(path, brokenSecondRecord());
    const file = ArchiveFile.open(path);
    let refusal: unknown;
    try {
      const late = await uncaught(async () => {
        refusal = await openZip(file, DEFAULT_LIMITS).catch((err: unknown) => err);
      });
      expect((refusal as SigscanError).code).toBe('MALFORMED_ZIP');
      expect(late.map((e) => e.message)).toEqual([]);
    } finally {
      file.close();
    }
  });
});
