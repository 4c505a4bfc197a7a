/**
 * The HTML chart colours targets by verdict, checked on pixels: Chromium (headless) screenshots a report
 * with one target per verdict, and each verdict's colour covers about as much of the page as the others.
 * Counting "signed" targets green (what the charts once did) makes green four times larger and fails here.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SignatureResult, TargetResult, VerdictStatus } from '../../src/model/index.js';
import { renderHtml, VERDICT_COLORS } from '../../src/report/html.js';
import type { ScanReport } from '../../src/scan/report-model.js';
import { run } from '../helpers/tools.js';

const sig = (status: VerdictStatus): SignatureResult => ({
  evidence: { family: 'cosign', location: 'sha256-abc.sig', signer: { keyId: status.padEnd(32, '0') } },
  verdict: { status, code: status.toUpperCase(), message: `${status} because` },
});

function target(name: string, status: TargetResult['status'], verdict?: VerdictStatus): TargetResult {
  return {
    target: {
      kind: 'image',
      registry: 'reg.example',
      repository: 'team/app',
      tag: name,
      digest: `sha256:${'1'.repeat(64)}`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    },
    status,
    signatures: verdict ? [sig(verdict)] : [],
    errors: status === 'unknown' ? [{ code: 'NOT_FOUND', message: 'gone' }] : [],
  };
}

/** RGBA pixels of an 8-bit, non-interlaced PNG (what Chromium writes). */
function decodePng(png: Buffer): {
  width: number;
  height: number;
  pixel: (x: number, y: number) => number[];
} {
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = 0;
  const idat: Buffer[] = [];
  while (pos < png.length) {
    const len = png.readUInt32BE(pos);
    const type = png.toString('ascii', pos + 4, pos + 8);
    const data = png.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      colorType = data[9]!;
      expect(data[12]).toBe(0);
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const bpp = colorType === 6 ? 4 : colorType === 2 ? 3 : 0;
  expect(bpp).toBeGreaterThan(0);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? out[y * stride + i - bpp]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? out[(y - 1) * stride + i - bpp]! : 0;
      let v = x;
      if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      out[y * stride + i] = v & 0xff;
    }
  }
  return {
    width,
    height,
    pixel: (x, y) => [...out.subarray(y * stride + x * bpp, y * stride + x * bpp + 3)],
  };
}

const rgb = (hex: string) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

describe('HTML chart colours per verdict (Chromium screenshot)', () => {
  let dir: string;
  let counts: Record<string, number>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sigscan-html-colours-'));
    const report: ScanReport = {
      command: 'repo',
      inputs: ['reg.example/team'],
      startedAt: new Date('2026-01-01T00:00:00Z'),
      finishedAt: new Date('2026-01-01T00:00:01Z'),
      results: [
        target('verified', 'signed', 'verified'),
        target('invalid', 'signed', 'invalid'),
        target('untrusted', 'signed', 'untrusted'),
        target('unverified', 'signed', 'unverified'),
        target('unsigned', 'unsigned'),
        target('unknown', 'unknown'),
      ],
      scanErrors: [],
    };
    const html = join(dir, 'report.html');
    await writeFile(html, renderHtml(report));
    const png = join(dir, 'shot.png');
    await run(
      'chromium',
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-dev-shm-usage',
        '--force-color-profile=srgb',
        '--hide-scrollbars',
        `--user-data-dir=${join(dir, 'profile')}`,
        '--window-size=1000,1400',
        `--screenshot=${png}`,
        `file://${html}`,
      ],
      { check: false, timeoutMs: 90_000 },
    );
    const image = decodePng(await readFile(png));
    counts = {};
    for (const [verdict, hex] of Object.entries(VERDICT_COLORS)) {
      const want = rgb(hex);
      let n = 0;
      for (let y = 0; y < image.height; y++)
        for (let x = 0; x < image.width; x++) {
          const p = image.pixel(x, y);
          if (p.every((v, i) => Math.abs(v - want[i]!) <= 4)) n++;
        }
      counts[verdict] = n;
    }
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives every verdict, unsigned and unknown a colour of its own, in proportion', () => {
    // One bar segment of 50x16 px per target, plus a 10x10 legend square.
    for (const v of ['verified', 'invalid', 'untrusted', 'unverified', 'unsigned', 'unknown']) {
      expect(counts[v], `${v} pixels`).toBeGreaterThan(600);
      expect(counts[v], `${v} pixels`).toBeLessThan(2 * counts['verified']!);
    }
    // Green is verified only: invalid, untrusted and unverified targets are not counted as "signed".
    expect(counts['verified']).toBeLessThan(2 * counts['invalid']!);
  });
});
