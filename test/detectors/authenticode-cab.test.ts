import { execFileSync } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { authenticodeCabDetector } from '../../src/detectors/authenticode-cab.js';
import { readCabSignature } from '../../src/formats/cab.js';
import {
  containerMatrix,
  detectWith,
  evaluateWith,
  trustConfig,
} from '../helpers/authenticode/containers.js';
import { osslsigncodeVerifyWith } from '../helpers/pe/signed-pe.js';

const MARKER = 'SIGSCAN-CAB-MARKER-CONTENT';
const FIXED_MTIME = new Date('2026-01-01T00:00:00Z');

/** A cabinet made by gcab (stored, uncompressed) holding one small file. */
function makeCab(dir: string): string {
  const payload = join(dir, 'payload.txt');
  writeFileSync(payload, `${MARKER}\n`.repeat(3));
  // gcab stores the file's mtime: a fixed one makes the same cabinet every run, so its signatures and
  // osslsigncode's answers come from the day cache (test/helpers/tool-answers.ts).
  utimesSync(payload, FIXED_MTIME, FIXED_MTIME);
  const path = join(dir, 'unsigned.cab');
  execFileSync('gcab', ['-c', '-n', path, payload]);
  return path;
}

const { fixtures } = containerMatrix({
  format: 'cab',
  detector: authenticodeCabDetector,
  extension: '.cab',
  makeUnsigned: async (dir) => makeCab(dir),
  tamper: (bytes) => {
    const at = Buffer.from(bytes).indexOf(MARKER);
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0x01;
    return bytes;
  },
});

const ownRoot = async () => trustConfig({ roots: [fixtures().pki.caPem] });
const write = (name: string, bytes: Uint8Array) => {
  const path = join(fixtures().dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('cab: bytes outside the signed region are refused', () => {
  it('data appended after the signature: both refuse', async () => {
    const f = fixtures();
    const bytes = Buffer.concat([readFileSync(f.signed), Buffer.from('MZ appended payload')]);
    const path = write('appended.cab', bytes);
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeCabDetector, path, 'cab', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'CAB_DATA_AFTER_SIGNATURE' });
    expect(tool.passed).toBe(false);
  });

  it('appended data taken into the (unsigned) signature size: osslsigncode accepts, we refuse', async () => {
    const f = fixtures();
    const bytes = new Uint8Array(Buffer.concat([readFileSync(f.signed), Buffer.alloc(8, 0x41)]));
    const view = new DataView(bytes.buffer);
    view.setUint32(48, view.getUint32(48, true) + 8, true);
    const path = write('grown.cab', bytes);
    const tool = await osslsigncodeVerifyWith(path, { caFile: f.pki.caPem });
    const [o] = await evaluateWith(authenticodeCabDetector, path, 'cab', await ownRoot());
    expect(o!.verdict).toMatchObject({ status: 'invalid', code: 'CAB_DATA_AFTER_SIGNATURE' });
    expect(o!.evidence.details?.['imageHashMatches']).toBe(true);
    expect(tool.passed, tool.output).toBe(true);
  });

  it('cbCabinet that does not end where the signature starts is refused', async () => {
    const bytes = new Uint8Array(readFileSync(fixtures().signed));
    const view = new DataView(bytes.buffer);
    view.setUint32(8, view.getUint32(8, true) + 16, true);
    const [e] = await detectWith(authenticodeCabDetector, write('size.cab', bytes), 'cab');
    expect(e!.findings?.map((x) => x.code)).toEqual(['CAB_SIZE_AMBIGUOUS', 'IMAGE_HASH_MISMATCH']);
  });

  it('reads the header fields', () => {
    const bytes = new Uint8Array(readFileSync(fixtures().signed));
    const view = new DataView(bytes.buffer);
    const cab = readCabSignature(bytes);
    expect(cab.signatureOffset).toBe(view.getUint32(44, true));
    expect(cab.signatureOffset! + view.getUint32(48, true)).toBe(bytes.length);
    expect(cab.problems).toEqual([]);
    expect(readCabSignature(new Uint8Array(readFileSync(fixtures().unsigned))).signatureDer).toBeUndefined();
  });

  it('malformed headers throw', () => {
    const bytes = new Uint8Array(readFileSync(fixtures().signed));
    const bad = (patch: (v: DataView) => void) => {
      const copy = bytes.slice();
      patch(new DataView(copy.buffer));
      return () => readCabSignature(copy);
    };
    expect(bad((v) => v.setUint32(4, 1, true))).toThrow(/reserved1/);
    expect(bad((v) => v.setUint16(30, v.getUint16(30, true) | 1, true))).toThrow(/multi-volume/);
    expect(bad((v) => v.setUint32(40, 0, true))).toThrow(/not an Authenticode/);
    expect(bad((v) => v.setUint32(44, bytes.length, true))).toThrow(/outside the file/);
    expect(bad((v) => v.setUint32(16, v.getUint32(16, true) + 8, true))).toThrow(/coffFiles/);
  });
});
