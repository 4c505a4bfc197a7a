/** The multi-signature rule (README "Verdicts") decides --fail-on, the summary and SARIF levels alike. */
import { describe, expect, it } from 'vitest';

import type { SignatureResult, TargetResult, VerdictStatus } from '../../src/model/index.js';
import { renderSarif } from '../../src/report/sarif.js';
import { exitCodeFor, matchesFailOn, type FailOnCondition } from '../../src/scan/exit-code.js';
import { summarize, targetVerdict, type ScanReport } from '../../src/scan/report-model.js';

const sig = (status: VerdictStatus, key: string): SignatureResult => ({
  evidence: { family: 'cosign', location: `sha256-abc.sig#${key}`, signer: { keyId: key.repeat(16) } },
  verdict: { status, code: status.toUpperCase(), message: `${status} because` },
});

const target = (...signatures: SignatureResult[]): TargetResult => ({
  target: {
    kind: 'image',
    registry: 'reg.example',
    repository: 'team/app',
    tag: 'v1',
    digest: `sha256:${'1'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
  },
  status: signatures.length ? 'signed' : 'unsigned',
  signatures,
  errors: [],
});

const report = (...results: TargetResult[]): ScanReport => ({
  command: 'repo',
  inputs: ['reg.example/team'],
  startedAt: new Date('2026-01-01T00:00:00Z'),
  finishedAt: new Date('2026-01-01T00:00:01Z'),
  results,
  scanErrors: [],
});

const fails = (r: TargetResult, ...c: FailOnCondition[]) => matchesFailOn(r, new Set(c));

describe('target verdict rule', () => {
  it('invalid outranks everything, else the best signature counts', () => {
    expect(targetVerdict([sig('verified', 'a'), sig('invalid', 'b')])).toBe('invalid');
    expect(targetVerdict([sig('untrusted', 'a'), sig('verified', 'b')])).toBe('verified');
    expect(targetVerdict([sig('error', 'a'), sig('unverified', 'b')])).toBe('unverified');
    expect(targetVerdict([sig('error', 'a')])).toBe('error');
    expect(targetVerdict([])).toBeNull();
  });

  it('--fail-on follows it: a verified target with an untrusted co-signature passes --fail-on untrusted', () => {
    const cosigned = target(sig('verified', 'a'), sig('untrusted', 'b'));
    expect(fails(cosigned, 'untrusted')).toBe(false);
    expect(exitCodeFor(report(cosigned), ['untrusted'])).toBe(0);
    const tampered = target(sig('verified', 'a'), sig('invalid', 'b'));
    expect(fails(tampered, 'invalid')).toBe(true);
    expect(exitCodeFor(report(tampered), ['invalid'])).toBe(1);
    const onlyUntrusted = target(sig('untrusted', 'a'), sig('unverified', 'b'));
    expect(fails(onlyUntrusted, 'untrusted')).toBe(true);
    expect(fails(onlyUntrusted, 'unverified')).toBe(false);
    expect(fails(target(sig('error', 'a')), 'error')).toBe(true);
  });

  it('scan-level errors (NO_MATCH) match unknown and error', () => {
    const r = { ...report(), scanErrors: [{ code: 'NO_MATCH', message: 'no repository under x' }] };
    expect(exitCodeFor(r, [])).toBe(3);
    expect(exitCodeFor(r, ['unsigned'])).toBe(3);
    expect(exitCodeFor(r, ['unknown'])).toBe(1);
    expect(exitCodeFor(r, ['error'])).toBe(1);
  });

  it('the summary counts the co-signed target as verified, and SARIF reports the co-signature as a note', () => {
    const r = report(target(sig('verified', 'a'), sig('untrusted', 'b')));
    expect(summarize(r).targetVerdicts.verified).toBe(1);
    expect(summarize(r).targetVerdicts.untrusted).toBe(0);
    const sarif = JSON.parse(renderSarif(r)) as {
      runs: Array<{ results: Array<{ ruleId: string; level: string; message: { text: string } }> }>;
    };
    const results = sarif.runs[0]!.results;
    expect(results).toHaveLength(1);
    expect(results[0]!.ruleId).toBe('SIG003');
    expect(results[0]!.level).toBe('note');
    expect(results[0]!.message.text).toContain('verified by another signature');
    // Without the verified signature, the same untrusted signature is an error on the target.
    const alone = JSON.parse(renderSarif(report(target(sig('untrusted', 'b'))))) as typeof sarif;
    expect(alone.runs[0]!.results[0]!.level).toBe('error');
  });
});
