/**
 * PE / Authenticode: the PE layout, the certificate table, the PKCS #7 signatures in it and the
 * detector's evidence (image hash included), over mutated real signed and unsigned images.
 */
import { describe, expect, it } from 'vitest';

import { authenticodeEvidence } from '../../src/detectors/authenticode.js';
import { computeImageHash, parsePeLayout, readPeAuthenticode } from '../../src/formats/pe/index.js';
import {
  corpus,
  describeMutated,
  ext,
  fixtures,
  fuzz,
  fuzzBytes,
  asn1LengthTweak,
  PROPERTY_TIMEOUT_MS,
  reportStats,
  writeInt,
  type Tweak,
} from './harness.js';

reportStats('pe');

// The 1.4 MB 7-Zip installer is left out: copying it per input would dominate the budget.
const seeds = [
  ...fixtures('pe', ext('.exe')),
  ...corpus('authenticode', ext('.exe', '.dll', '.sys'), 600 * 1024),
];

function u32(b: Uint8Array, at: number): number {
  return at + 4 <= b.length ? new DataView(b.buffer, b.byteOffset).getUint32(at, true) : -1;
}
function u16(b: Uint8Array, at: number): number {
  return at + 2 <= b.length ? new DataView(b.buffer, b.byteOffset).getUint16(at, true) : -1;
}

/** Header fields Authenticode parsing depends on, located in the (unmutated) structure of the seed. */
function peFields(b: Uint8Array): Array<{ at: number; width: 1 | 2 | 4; name?: string }> {
  const out: Array<{ at: number; width: 1 | 2 | 4; name?: string }> = [{ at: 0x3c, width: 4 }];
  const pe = u32(b, 0x3c);
  if (pe < 0 || pe + 24 > b.length) return out;
  const opt = pe + 24;
  const magic = u16(b, opt);
  const plus = magic === 0x20b;
  const dd = opt + (plus ? 112 : 96);
  out.push(
    { at: pe + 6, width: 2 }, // NumberOfSections
    { at: pe + 20, width: 2 }, // SizeOfOptionalHeader
    { at: opt, width: 2 }, // magic
    { at: opt + (plus ? 108 : 92), width: 4 }, // NumberOfRvaAndSizes
    { at: dd + 32, width: 4, name: 'certOffset' },
    { at: dd + 36, width: 4, name: 'certSize' },
  );
  const certOffset = u32(b, dd + 32);
  if (certOffset > 0) {
    out.push(
      { at: certOffset, width: 4 },
      { at: certOffset + 4, width: 2 },
      { at: certOffset + 6, width: 2 },
    );
  }
  const sections = opt + u16(b, pe + 20);
  const n = Math.min(u16(b, pe + 6), 16);
  for (let i = 0; i < n; i++) {
    out.push({ at: sections + i * 40 + 16, width: 4 }, { at: sections + i * 40 + 20, width: 4 });
  }
  return out.filter((f) => f.at >= 0 && f.at + f.width <= b.length);
}

const peFieldTweak: Tweak = (b, pick, value) => {
  const fields = peFields(b);
  const f = fields[pick % fields.length]!;
  const out = b.slice();
  writeInt(out, f.at, f.width, true, value);
  return out;
};

/** Makes the certificate-table size consistent with a shortened or grown file (trailing bytes). */
const certTableResizeTweak: Tweak = (b, _pick, value) => {
  const fields = peFields(b);
  const size = fields.find((f) => f.name === 'certSize');
  if (!size) return undefined;
  const out = b.slice();
  writeInt(out, size.at, 4, true, Math.max(0, u32(b, size.at) + ((value % 64) - 32)));
  return out;
};

/** ASN.1 length tweaks inside the PKCS #7 blob of the certificate table. */
const innerAsn1Tweak: Tweak = (b, pick, value) => {
  const fields = peFields(b);
  const offField = fields.find((f) => f.name === 'certOffset');
  if (!offField) return undefined;
  const start = u32(b, offField.at) + 8;
  if (start <= 8 || start >= b.length) return undefined;
  const inner = asn1LengthTweak(b.subarray(start), pick, value);
  if (!inner) return undefined;
  const out = new Uint8Array(start + inner.length);
  out.set(b.subarray(0, start));
  out.set(inner, start);
  return out;
};

const arb = fuzzBytes(seeds, [peFieldTweak, peFieldTweak, certTableResizeTweak, innerAsn1Tweak]);

describe('fuzz: PE / Authenticode', () => {
  it('has seeds', () => {
    expect(seeds.length).toBeGreaterThan(3);
  });

  it(
    'parsePeLayout + computeImageHash',
    async () => {
      await fuzz(
        'pe.layout',
        arb,
        ({ bytes }) => {
          const layout = parsePeLayout(bytes);
          computeImageHash(bytes, layout, 'SHA-256');
        },
        { describe: describeMutated },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'readPeAuthenticode',
    async () => {
      await fuzz('pe.authenticode', arb, ({ bytes }) => readPeAuthenticode(bytes), {
        describe: describeMutated,
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'authenticodeEvidence (detector)',
    async () => {
      await fuzz('detector.authenticode', arb, ({ bytes }) => authenticodeEvidence(bytes), {
        describe: describeMutated,
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
