import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeMsiDetector } from '../../src/detectors/authenticode-msi.js';
import { readCompoundFile } from '../../src/formats/cfb.js';
import { readMsiSignature } from '../../src/formats/msi.js';
import {
  containerMatrix,
  detectWith,
  evaluateWith,
  trustConfig,
} from '../helpers/authenticode/containers.js';
import { osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';

const MARKER = 'SIGSCAN-MSI-MARKER-CONTENT';

/** An MSI made by msitools' msibuild: summary information, an empty database and one binary stream. */
function makeMsi(dir: string, name = 'unsigned.msi'): string {
  const path = join(dir, name);
  const payload = join(dir, 'payload.txt');
  writeFileSync(payload, `${MARKER}\n`.repeat(4));
  execFileSync('msibuild', [
    path,
    '-s',
    'Sigscan test',
    'Sigscan',
    'Intel;1033',
    '{5D0E0A4C-8C47-4E8B-9D5E-1A2B3C4D5E6F}',
  ]);
  execFileSync('msibuild', [path, '-a', 'Binary.payload', payload]);
  return path;
}

function flipInMarker(bytes: Uint8Array): Uint8Array {
  const at = Buffer.from(bytes).indexOf(MARKER);
  expect(at).toBeGreaterThan(0);
  bytes[at] = bytes[at]! ^ 0x01;
  return bytes;
}

const { fixtures } = containerMatrix({
  format: 'msi',
  detector: authenticodeMsiDetector,
  extension: '.msi',
  makeUnsigned: async (dir) => makeMsi(dir),
  tamper: flipInMarker,
});

const ownRoot = async () => trustConfig({ roots: [fixtures().pki.caPem] });

/** The byte offset of a root entry's directory record, found by its stored name. */
function entryOffset(
  bytes: Uint8Array,
  predicate: (name: string) => boolean,
): { at: number; raw: Uint8Array } {
  const entry = readCompoundFile(bytes).root.children.find((c) => predicate(c.name))!;
  const at = Buffer.from(bytes).indexOf(Buffer.from(entry.rawName));
  expect(at).toBeGreaterThan(0);
  return { at, raw: entry.rawName };
}

describe('msi: MsiDigitalSignatureEx and names', () => {
  let dsePath: Promise<string> | undefined;
  const withDse = () => (dsePath ??= fixtures().sign(fixtures().unsigned, 'dse', { msiDse: true }));

  it('with MsiDigitalSignatureEx: verified like osslsigncode, metadata signed', async () => {
    const f = fixtures();
    const signed = await withDse();
    const tool = await osslsigncodeVerifyWith(signed, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeMsiDetector, signed, 'msi', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect(o!.evidence.details).toMatchObject({ msiDigitalSignatureEx: true, streamsHashed: 3 });
    expect(o!.evidence.findings).toEqual([]);
    expect(tool.passed, tool.output).toBe(true);
    expect(tool.output).toMatch(/Calculated DigitalSignature\s*: ([0-9A-F]+)/);
    expect(/Calculated DigitalSignature\s*: ([0-9A-F]+)/.exec(tool.output)![1]!.toLowerCase()).toBe(
      o!.evidence.details?.['imageHash'],
    );
  });

  it('without it the evidence says names and sizes are unsigned', async () => {
    const [e] = await detectWith(authenticodeMsiDetector, fixtures().signed, 'msi');
    expect(e!.findings?.map((x) => [x.code, x.severity])).toEqual([['MSI_METADATA_UNSIGNED', 'warning']]);
  });

  it('a stored MsiDigitalSignatureEx that is not the pre-hash: osslsigncode checks only its length, we refuse', async () => {
    const f = fixtures();
    const bytes = new Uint8Array(readFileSync(await withDse()));
    const dse = readMsiSignature(bytes).digitalSignatureEx!;
    const at = Buffer.from(bytes).indexOf(Buffer.from(dse));
    bytes[at] = bytes[at]! ^ 0xff;
    const path = join(f.dir, 'dse-altered.msi');
    writeFileSync(path, bytes);
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeMsiDetector, path, 'msi', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'MSI_DSE_MISMATCH' });
    expect(tool.passed, tool.output).toBe(true);
  });

  it('renaming a stream: unsigned without MsiDigitalSignatureEx (both tools accept), caught with it', async () => {
    const f = fixtures();
    const rename = (input: string, name: string) => {
      const bytes = new Uint8Array(readFileSync(input));
      const { at } = entryOffset(bytes, (n) => n === '\u0005SummaryInformation');
      // "\u0005SummaryInformation" -> "\u0005SummaryInformatioo": same length, same place in the hash order.
      bytes[at + 2 * 18] = 'o'.charCodeAt(0);
      const path = join(f.dir, name);
      writeFileSync(path, bytes);
      return path;
    };
    const plain = rename(f.signed, 'renamed.msi');
    const [p] = await evaluateWith(authenticodeMsiDetector, plain, 'msi', await ownRoot());
    expect(p!.verdict).toMatchObject({ status: 'verified', code: 'CHAIN_VALID' });
    expect((await osslsigncodeVerifyWith(plain, { caFile: f.pki.caPem })).passed).toBe(true);

    const dse = rename(await withDse(), 'renamed-dse.msi');
    const [d] = await evaluateWith(authenticodeMsiDetector, dse, 'msi', await ownRoot());
    // The stored pre-hash no longer matches the names, and the signed hash (which starts with it) neither.
    expect(d!.verdict).toMatchObject({ status: 'invalid', code: 'MSI_DSE_MISMATCH' });
    expect(d!.evidence.findings?.map((x) => x.code)).toEqual(['MSI_DSE_MISMATCH', 'IMAGE_HASH_MISMATCH']);
    expect((await osslsigncodeVerifyWith(dse, { caFile: f.pki.caPem })).passed).toBe(false);
  });

  it('two entries of one storage with the same name are refused', async () => {
    const f = fixtures();
    const bytes = new Uint8Array(readFileSync(f.signed));
    // An empty table stream renamed after another of the same name length: the hash is unchanged.
    const kids = readCompoundFile(bytes).root.children;
    const sameLength = (c: (typeof kids)[0]) =>
      kids.find((o) => o !== c && o.rawName.length === c.rawName.length);
    const empty = kids.find((c) => c.size === 0 && sameLength(c))!;
    const target = entryOffset(bytes, (n) => n === empty.name);
    const source = entryOffset(bytes, (n) => n === sameLength(empty)!.name);
    bytes.fill(0, target.at, target.at + 64);
    bytes.set(source.raw, target.at);
    new DataView(bytes.buffer).setUint16(target.at + 0x40, source.raw.length, true);
    const path = join(f.dir, 'duplicate.msi');
    writeFileSync(path, bytes);
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeMsiDetector, path, 'msi', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'MSI_DUPLICATE_NAME' });
    expect(o!.evidence.details?.['imageHashMatches']).toBe(true);
    expect(tool.passed, tool.output).toBe(true);
  });

  it('a name with a NUL inside is refused', async () => {
    const f = fixtures();
    const bytes = new Uint8Array(readFileSync(f.signed));
    const { at } = entryOffset(bytes, (n) => n === '\u0005SummaryInformation');
    bytes[at + 2 * 3] = 0;
    bytes[at + 2 * 3 + 1] = 0;
    const path = join(f.dir, 'nul-name.msi');
    writeFileSync(path, bytes);
    const [o] = await evaluateWith(authenticodeMsiDetector, path, 'msi', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'MSI_STREAM_NAME_AMBIGUOUS' });
  });

  /** The signed package's directory: where each entry's 128-byte record sits (osslsigncode writes it in one run). */
  function directory(bytes: Uint8Array) {
    const root = Buffer.from(bytes).indexOf(Buffer.from('Root Entry', 'utf16le'));
    const kids = readCompoundFile(bytes).root.children;
    return { record: (id: number) => root + id * 128, kids, free: kids.length + 1 };
  }

  it('a signature stream name below the root is refused (osslsigncode leaves such a stream out of the hash)', async () => {
    const f = fixtures();
    const bytes = new Uint8Array(readFileSync(f.signed));
    const view = new DataView(bytes.buffer);
    const dir = directory(bytes);
    // An empty table stream becomes a storage whose one child is a new "\u0005DigitalSignature" stream,
    // written into the free directory record after the last entry.
    const empty = dir.kids.find((c) => c.size === 0)!;
    const free = dir.record(dir.free);
    expect(bytes[free + 0x42]).toBe(0);
    const name = Buffer.from('\u0005DigitalSignature\u0000', 'utf16le');
    bytes.set(name, free);
    view.setUint16(free + 0x40, name.length, true);
    bytes[free + 0x42] = 2;
    for (const o of [0x44, 0x48, 0x4c]) view.setUint32(free + o, 0xffffffff, true);
    bytes[dir.record(empty.id) + 0x42] = 1;
    view.setUint32(dir.record(empty.id) + 0x4c, dir.free, true);
    const path = join(f.dir, 'nested-signature-name.msi');
    writeFileSync(path, bytes);
    const [o] = await evaluateWith(authenticodeMsiDetector, path, 'msi', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'MSI_SIGNATURE_STREAM_OUTSIDE_ROOT' });
  });

  it('a directory that reaches one entry twice cannot be read one way: malformed', () => {
    const bytes = new Uint8Array(readFileSync(fixtures().signed));
    const dir = directory(bytes);
    const last = dir.kids.find((c) => c.id === dir.kids.length)!;
    new DataView(bytes.buffer).setUint32(dir.record(last.id) + 0x48, 1, true);
    expect(() => readMsiSignature(bytes)).toThrow(/reached twice/);
  });

  it('not a compound file, or a broken header: malformed', () => {
    const bytes = new Uint8Array(readFileSync(fixtures().signed));
    expect(() => readMsiSignature(bytes.subarray(0, 100))).toThrow(/no OLE header/);
    const copy = bytes.slice();
    copy[0x1e] = 10;
    expect(() => readMsiSignature(copy)).toThrow(/sector shift/);
  });
});
