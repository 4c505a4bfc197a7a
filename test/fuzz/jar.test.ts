/**
 * ZIP reader, JAR manifest parser, JAR analysis and the JAR detector, over mutated real signed JARs
 * (Equinox corpus, fixtures) with targeted central-directory / EOCD / local-header field tweaks.
 */
import { describe, expect, it } from 'vitest';

import { jarDetector } from '../../src/detectors/jar.js';
import type { DetectContext } from '../../src/detectors/detector.js';
import { analyzeJar, looksLikeJar, parseManifest } from '../../src/formats/jar/index.js';
import { openZip } from '../../src/formats/zip/index.js';
import type { Target } from '../../src/model/index.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/util/limits.js';
import { zipOutcome } from '../formats/zip/outcome.js';
import { openZipWithYauzl } from '../formats/zip/yauzl-reader.js';
import {
  asn1LengthTweak,
  corpus,
  describeMutated,
  ext,
  fixtures,
  fuzz,
  fuzzBytes,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  writeInt,
  type Seed,
  type Tweak,
} from './harness.js';

reportStats('jar');

const seeds = [...fixtures('jar', ext('.jar')), ...corpus('jar', ext('.jar'))];

/** Bounded so a successful zip bomb shows up as an error, not as memory pressure on the CI box. */
const limits: Limits = { ...DEFAULT_LIMITS, maxArchiveUncompressedBytes: 64 * 1024 * 1024 };

function findAll(b: Uint8Array, sig: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= b.length; i++) {
    if (b[i] === sig[0] && b[i + 1] === sig[1] && b[i + 2] === sig[2] && b[i + 3] === sig[3]) out.push(i);
  }
  return out;
}

const EOCD_FIELDS: Array<[number, 2 | 4]> = [
  [4, 2],
  [6, 2],
  [8, 2],
  [10, 2],
  [12, 4],
  [16, 4],
  [20, 2],
];
const CDH_FIELDS: Array<[number, 2 | 4]> = [
  [8, 2],
  [10, 2],
  [16, 4],
  [20, 4],
  [24, 4],
  [28, 2],
  [30, 2],
  [32, 2],
  [34, 2],
  [42, 4],
];
const LFH_FIELDS: Array<[number, 2 | 4]> = [
  [6, 2],
  [8, 2],
  [14, 4],
  [18, 4],
  [22, 4],
  [26, 2],
  [28, 2],
];

function fieldTweak(sig: number[], fields: Array<[number, 2 | 4]>): Tweak {
  return (b, pick, value) => {
    const hits = findAll(b, sig);
    if (hits.length === 0) return undefined;
    const at = hits[pick % hits.length]!;
    const [off, width] = fields[Math.floor(pick / hits.length) % fields.length]!;
    const out = b.slice();
    // Small deltas around the real value as often as absolute values.
    const view = new DataView(out.buffer);
    const cur =
      at + off + width <= out.length
        ? width === 2
          ? view.getUint16(at + off, true)
          : view.getUint32(at + off, true)
        : 0;
    writeInt(out, at + off, width, true, value % 3 === 0 ? cur + ((value % 17) - 8) : value);
    return out;
  };
}

/** ASN.1 length tweaks inside a stored (uncompressed) .RSA/.DSA/.EC entry. */
const blockAsn1Tweak: Tweak = (b, pick, value) => {
  const starts = findAll(b, [0x30, 0x82]).filter((i) => i > 30);
  if (starts.length === 0) return undefined;
  const at = starts[pick % starts.length]!;
  const inner = asn1LengthTweak(b.subarray(at), pick >>> 3, value);
  if (!inner) return undefined;
  const out = new Uint8Array(at + inner.length);
  out.set(b.subarray(0, at));
  out.set(inner, at);
  return out;
};

const zipTweaks = [
  fieldTweak([0x50, 0x4b, 0x05, 0x06], EOCD_FIELDS),
  fieldTweak([0x50, 0x4b, 0x01, 0x02], CDH_FIELDS),
  fieldTweak([0x50, 0x4b, 0x01, 0x02], CDH_FIELDS),
  fieldTweak([0x50, 0x4b, 0x03, 0x04], LFH_FIELDS),
  blockAsn1Tweak,
];
const arb = fuzzBytes(seeds, zipTweaks);

async function readEverything(bytes: Uint8Array): Promise<void> {
  const zip = await openZip(bytes, limits);
  try {
    for (const entry of zip.entries) {
      try {
        await zip.read(entry, 16 * 1024 * 1024);
      } catch (err) {
        // A bad entry must fail typed; keep reading the others so later entries get exercised too.
        if (!(
          err instanceof Error &&
          'code' in err &&
          typeof err.code === 'string' &&
          err.name === 'SigscanError'
        ))
          throw err;
      }
    }
  } finally {
    zip.close();
  }
}

const manifestSeeds: Seed[] = [];
for (const s of seeds) {
  try {
    const zip = await openZip(s.bytes, limits);
    for (const e of zip.entries) {
      if (/^META-INF\/[^/]+\.(MF|SF)$/i.test(e.name)) {
        manifestSeeds.push({ name: `${s.name}!${e.name}`, bytes: await zip.read(e) });
      }
    }
    zip.close();
  } catch {
    // seeds that are not readable ZIPs contribute nothing here
  }
}

const target: Target = {
  kind: 'file',
  path: 'fuzz.jar',
  size: 0,
  digest: 'sha256:' + '0'.repeat(64),
  format: 'jar',
};

describe('fuzz: ZIP / JAR', () => {
  it('has seeds', () => {
    expect(seeds.length).toBeGreaterThan(5);
    expect(manifestSeeds.length).toBeGreaterThan(5);
  });

  it('openZip + read every entry', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('zip.read', arb, ({ bytes }) => readEverything(bytes), { describe: describeMutated });
  });

  it(
    'openZip + read agrees with the yauzl reader it replaced',
    { timeout: PROPERTY_TIMEOUT_MS },
    async () => {
      await fuzz(
        'zip.differential',
        arb,
        async ({ bytes }) => {
          const expected = JSON.stringify(await zipOutcome(openZipWithYauzl, bytes, limits));
          for (const syncReadMaxBytes of [undefined, 0]) {
            const actual = JSON.stringify(
              await zipOutcome((b, l) => openZip(b, l, { syncReadMaxBytes }), bytes, limits),
            );
            // A plain Error: the harness counts it as a failure, as it does an untyped throw.
            if (actual !== expected) {
              throw new Error(`syncReadMaxBytes ${syncReadMaxBytes}: ${actual} != yauzl ${expected}`);
            }
          }
        },
        { describe: describeMutated },
      );
    },
  );

  it('looksLikeJar', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'jar.sniff',
      arb,
      async ({ bytes }) => {
        const r = await looksLikeJar(bytes);
        if (typeof r !== 'boolean') throw new Error('looksLikeJar must answer a boolean');
      },
      { describe: describeMutated },
    );
  });

  it('parseManifest (MANIFEST.MF / .SF)', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('jar.manifest', fuzzBytes(manifestSeeds), ({ bytes }) => parseManifest(bytes), {
      describe: describeMutated,
    });
  });

  it('analyzeJar', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz('jar.analyze', arb, ({ bytes }) => analyzeJar(bytes, limits), { describe: describeMutated });
  });

  it('JAR detector over ctx.file.bytes', { timeout: PROPERTY_TIMEOUT_MS }, async () => {
    await fuzz(
      'detector.jar',
      arb,
      async ({ bytes }) => {
        const ctx = { file: { bytes }, limits } as unknown as DetectContext;
        for await (const ev of jarDetector.detect({ ...target, size: bytes.length }, ctx)) void ev;
      },
      { describe: describeMutated },
    );
  });
});
