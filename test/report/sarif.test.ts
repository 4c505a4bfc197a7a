import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { TargetResult } from '../../src/model/index.js';
import { parseReport } from '../../src/report/load.js';
import { GITHUB_MAX_RESULTS, renderSarif, SCAN_RULES } from '../../src/report/sarif.js';
import type { ScanReport } from '../../src/scan/report-model.js';
import { GOLDEN, sarifSchemaErrors, sarifValidate } from './helpers.js';

interface SarifLog {
  runs: Array<{
    tool: { driver: { rules: Array<{ id: string; name: string; properties: Record<string, unknown> }> } };
    automationDetails: { id: string };
    results: Array<{
      ruleId: string;
      level: string;
      message: { text: string };
      partialFingerprints: { primaryLocationLineHash: string };
      locations: Array<{
        physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> };
        logicalLocations?: Array<{ name: string; fullyQualifiedName: string }>;
      }>;
    }>;
  }>;
}

const sample = async () => parseReport(await readFile(join(GOLDEN, 'registry-sample.json'), 'utf8'));

describe('SARIF', () => {
  it('has the stable rule set with security-severity and help', () => {
    expect(SCAN_RULES.map((r) => `${r.id} ${r.name}`)).toEqual([
      'SIG001 UnsignedArtifact',
      'SIG002 InvalidSignature',
      'SIG003 UntrustedSigner',
      'SIG004 ExpiredOrWeakCertificate',
      'SIG005 PolicyViolation',
      'SIG006 CouldNotCheck',
      'SIG099 ResultsTruncated',
    ]);
    const log = JSON.parse(renderSarif({ ...emptyReport(), results: [] })) as SarifLog;
    for (const rule of log.runs[0]!.tool.driver.rules.slice(0, 6))
      expect(Number(rule.properties['security-severity'])).toBeGreaterThan(0);
  });

  it('maps every verdict of the registry sample to its rule, with image locations', async () => {
    const log = JSON.parse(renderSarif(await sample())) as SarifLog;
    expect(sarifSchemaErrors(log)).toEqual([]);
    const run = log.runs[0]!;
    expect(run.automationDetails.id).toBe('sigscan/repo/2026-01-10T12:00:00.000Z');
    expect(run.results.map((r) => r.ruleId).sort()).toEqual(
      ['SIG001', 'SIG002', 'SIG003', 'SIG004', 'SIG004', 'SIG004', 'SIG005', 'SIG006', 'SIG006'].sort(),
    );
    for (const r of run.results) {
      const loc = r.locations[0]!;
      expect(loc.physicalLocation.artifactLocation.uri).toMatch(/^registry\.example\.com\/team\//);
      expect(loc.physicalLocation.region).toEqual({ startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 });
      expect(loc.logicalLocations![0]!.name).toMatch(/^registry\.example\.com\/team\//);
      expect(r.partialFingerprints.primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
      expect(r.message.text).toMatch(/\.$/);
    }
    const fps = run.results.map((r) => r.partialFingerprints.primaryLocationLineHash);
    expect(new Set(fps).size).toBe(fps.length);
    // Expired, weak key and SHA-1 on the legacy image; the short-lived keyless cert without a log time.
    const legacy = run.results.find((r) => r.ruleId === 'SIG004' && r.message.text.includes('legacy'))!;
    expect(legacy.message.text).toMatch(/expired.*SHA-1.*RSA-1024/);
  });

  it('stops at GitHub’s 25,000 results per run with a summary result', () => {
    const n = GITHUB_MAX_RESULTS + 10;
    const results: TargetResult[] = Array.from({ length: n }, (_, i) => ({
      target: {
        kind: 'file',
        path: `bin/f${String(i).padStart(6, '0')}.exe`,
        size: 1,
        digest: `sha256:${'0'.repeat(64)}`,
        format: 'pe',
      },
      status: 'unsigned',
      signatures: [],
      errors: [],
    }));
    results.push({
      target: {
        kind: 'file',
        path: 'bin/tampered.exe',
        size: 1,
        digest: `sha256:${'1'.repeat(64)}`,
        format: 'pe',
      },
      status: 'signed',
      signatures: [
        {
          evidence: { family: 'authenticode', location: 'certificate-table[0]', signer: { subject: 'CN=x' } },
          verdict: { status: 'invalid', code: 'IMAGE_HASH_MISMATCH', message: 'modified' },
        },
      ],
      errors: [],
    });
    const log = JSON.parse(renderSarif({ ...emptyReport(), results })) as SarifLog;
    const out = log.runs[0]!.results;
    expect(out).toHaveLength(GITHUB_MAX_RESULTS);
    expect(out.at(-1)!.ruleId).toBe('SIG099');
    expect(out.at(-1)!.message.text).toContain('12 more results');
    // The invalid signature (level error) survives although it comes last: ranking is by level, then severity.
    expect(out.some((r) => r.ruleId === 'SIG002')).toBe(true);
  });

  it('passes sarif-multitool for the golden scan and diff files, and the validator does catch errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sigscan-sarif-'));
    for (const name of ['registry-sample.out.sarif', 'registry-diff.out.sarif', 'fs-fixtures.out.sarif']) {
      const text = await readFile(join(GOLDEN, name), 'utf8');
      expect(sarifSchemaErrors(JSON.parse(text)), name).toEqual([]);
      await writeFile(join(dir, name), text);
      const v = await sarifValidate(dir, name);
      expect(v.errors, `${name}: ${v.output}`).toEqual([]);
    }
    const bad = JSON.parse(await readFile(join(GOLDEN, 'fs-fixtures.out.sarif'), 'utf8')) as SarifLog;
    bad.runs[0]!.results[0]!.locations[0]!.physicalLocation.region = {};
    await writeFile(join(dir, 'bad.sarif'), JSON.stringify(bad));
    expect((await sarifValidate(dir, 'bad.sarif')).errors.join('\n')).toContain('SARIF1007');
  }, 300_000);
});

function emptyReport(): ScanReport {
  return {
    command: 'fs',
    inputs: ['bin'],
    startedAt: new Date('2026-01-01T00:00:00Z'),
    finishedAt: new Date('2026-01-01T00:00:01Z'),
    results: [],
    scanErrors: [],
  };
}
