/**
 * The pretty report at every width from 60 to 200 columns: nothing wider than the width, every family
 * name and verdict code whole on one line, reasons under the rows. The sample (test/report/wide-sample.ts)
 * has one signature of each family, long DNs and the longest verdict codes in src/.
 */
import { describe, expect, it } from 'vitest';

import { fromJsonDocument } from '../../src/report/load.js';
import { renderPretty } from '../../src/report/pretty.js';
import { dnUnits } from '../../src/report/pretty-layout.js';
import { layoutProblems, LONG_DN, WIDE_FAMILIES, wideSampleDocument } from './wide-sample.js';

const report = () => fromJsonDocument(wideSampleDocument());
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pretty layout at any width', () => {
  it.each([60, 64, 72, 80, 100, 119, 120, 132, 160, 200, 240])('%i columns', (width) => {
    const text = renderPretty(report(), { width });
    expect(layoutProblems(text, width)).toEqual([]);
  });

  it('keeps the codes at 80 columns: short ones in the verdict column, long ones leading the reason', () => {
    const text = renderPretty(report(), { width: 80 });
    expect(text).toMatch(/│ \(CHAIN_UNTRUSTED\) +│/);
    expect(text).not.toContain('(DATA_AFTER_SIGNATURE_IN_CERTIFICATE)');
    expect(text).toMatch(/^│ ↳ DATA_AFTER_SIGNATURE_IN_CERTIFICATE: cosign says/m);
    // Ten of the eleven signatures are not verified: a reason row for each, and one for the unknown target.
    expect(text.match(/^│ ↳ /gm)).toHaveLength(11);
    expect(text).toMatch(/^│ ↳ simple-signing says CHAIN_UNTRUSTED: by/m);
    expect(text).not.toContain('Verdict reasons');
  });

  it('keeps every code in the verdict column of the registry sample at 80 columns', async () => {
    const { parseReport } = await import('../../src/report/load.js');
    const { readFileSync } = await import('node:fs');
    const { GOLDEN } = await import('./helpers.js');
    const sample = await parseReport(readFileSync(`${GOLDEN}/registry-sample.json`, 'utf8'));
    const text = renderPretty(sample, { width: 80 });
    for (const code of [
      'VERIFIED',
      'CHAIN_UNTRUSTED',
      'DIGEST_MISMATCH',
      'NO_TRUST_ROOT',
      'REKOR_UNREACHABLE',
      'IDENTITY_MISMATCH',
    ])
      expect(text).toMatch(new RegExp(`\\(${code}\\) +│$`, 'm'));
    expect(text.match(/^│ ↳ /gm)).toHaveLength(6);
  });

  it('puts even the short codes under the row when the verdict column cannot hold them', () => {
    const text = renderPretty(report(), { width: 60 });
    const verdictCells = text
      .split('\n')
      .map((l) => l.split('│'))
      .filter((cells) => cells.length === 6)
      .map((cells) => cells[4]!.trim());
    // Only a code as narrow as the column (10) stays: "(VERIFIED)".
    expect(verdictCells.filter(Boolean).sort()).toEqual([
      '(VERIFIED)',
      'VERDICT',
      'VERDICT',
      'error',
      ...Array(6).fill('invalid'),
      'unknown',
      'untrusted',
      'untrusted',
      'unverified',
      'verified',
    ]);
    expect(text).toMatch(/^│ ↳ DATA_AFTER_SIGNATURE_IN_CERTIFICATE: cosign says/m);
    expect(text).toMatch(/^│ ↳ CHAIN_UNTRUSTED: simple-signing says/m);
    expect(text).toMatch(/^│ ↳ REGISTRY_DENIED: denied/m);
  });

  it('sizes columns to content: a short table is narrower than a wide terminal', () => {
    const text = renderPretty(report(), { width: 600 });
    const border = text.split('\n').find((l) => l.startsWith('┌'))!;
    expect(border.length).toBeLessThan(600);
    // The whole DN on one line once there is room for it.
    expect(text).toContain(`│ ${LONG_DN} │`);
  });

  it.each([100, 160, 200])(
    'breaks DNs in the table between RDNs at %i columns, inside one only when it is wider than the column',
    (width) => {
      const lines = renderPretty(report(), { width }).split('\n');
      const start = lines.findIndex((l) => l.startsWith('│ :release-c'));
      const end = lines.findIndex((l, i) => i > start && /^[├└]/.test(l));
      const column = width >= 120 ? 4 : 3;
      const cell = lines.slice(start, end).map((l) => l.split('│')[column]!.slice(1).trimEnd());
      const columnWidth = lines[start]!.split('│')[column]!.length - 2;
      if (width >= 120) {
        expect(cell.join('')).toBe(LONG_DN);
        for (const rdn of dnUnits(LONG_DN))
          if (rdn.length <= columnWidth)
            expect(
              cell.some((l) => l.includes(rdn)),
              rdn,
            ).toBe(true);
        expect(cell.filter((l) => l.endsWith(',')).length).toBeGreaterThanOrEqual(3);
      } else {
        // Below 120 columns the signer is its CN and O, broken between them and between words.
        expect(cell.join(' ')).toBe(
          'Sigscan Extraordinarily Long Code Signing Certificate Name For Layout Tests, Example Widgets\\, Gadgets and Gizmos\\, Incorporated',
        );
      }
    },
  );

  it('wraps the summary lines at entries and words instead of cutting them', () => {
    const text = renderPretty(report(), { width: 60 });
    const summary = text.slice(text.indexOf('Summary'));
    expect(summary).not.toContain('…');
    const families = summary.slice(summary.indexOf('  families'), summary.indexOf('  signers'));
    for (const family of WIDE_FAMILIES)
      expect(families).toMatch(new RegExp(`(^|\\s)${escape(family)} 1(,|\\s|$)`));
    expect(summary).toContain('$DOCKER_CONTENT_TRUST_SERVER))');
  });
});
