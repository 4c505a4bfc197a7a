import { resolve, sep } from 'node:path';

import type { TargetResult, VerdictStatus } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { normalizeImageRef } from '../sources/image-list.js';
import { signerLabel, targetVerdict, type ScanReport } from './report-model.js';

/** One named artifact of `sigscan verify` and what became of it. */
export interface ArtifactOutcome {
  input: string;
  kind: 'file' | 'image';
  /** verified only when every target found for the input has the target verdict `verified`. */
  passed: boolean;
  /** The worst outcome among its targets: a verdict, `unsigned`, `unknown`, or `missing` (nothing found). */
  outcome: VerdictStatus | 'unsigned' | 'unknown' | 'missing';
  targets: Array<{ ref: string; outcome: ArtifactOutcome['outcome']; signer?: string; reason?: string }>;
}

const RANK: Record<ArtifactOutcome['outcome'], number> = {
  verified: 0,
  unverified: 1,
  untrusted: 2,
  unsigned: 3,
  error: 4,
  unknown: 5,
  invalid: 6,
  missing: 7,
};

/**
 * Pipeline-gate semantics, as `cosign verify` and `jarsigner -verify` have them: an artifact passes only
 * when something was found for it and each of its targets is `verified` under the target verdict rule
 * (targetVerdict). Unsigned, unknown and nothing-found all fail: a gate never passes on nothing.
 */
export function artifactOutcomes(
  inputs: Array<{ input: string; kind: 'file' | 'image' }>,
  report: ScanReport,
): ArtifactOutcome[] {
  return inputs.map(({ input, kind }) => {
    const mine = report.results.filter((r) => (kind === 'file' ? fileMatch(input, r) : imageMatch(input, r)));
    const targets = mine.map((r) => {
      const outcome = r.status === 'signed' ? targetVerdict(r.signatures)! : r.status;
      const best = r.signatures.find((s) => s.verdict.status === outcome) ?? r.signatures[0];
      const reason =
        outcome === 'verified'
          ? undefined
          : r.status === 'signed'
            ? best?.verdict.message
            : r.errors.map((e) => e.message).join('; ') || 'no signature found';
      return {
        ref: targetRef(r.target),
        outcome,
        signer: best && outcome === 'verified' ? signerLabel(best.evidence.signer) : undefined,
        reason,
      };
    });
    const outcome = targets.reduce<ArtifactOutcome['outcome']>(
      (worst, t) => (RANK[t.outcome] > RANK[worst] ? t.outcome : worst),
      targets.length ? 'verified' : 'missing',
    );
    return { input, kind, passed: outcome === 'verified', outcome, targets };
  });
}

function fileMatch(input: string, r: TargetResult): boolean {
  if (r.target.kind !== 'file') return false;
  const root = resolve(input);
  const path = resolve(r.target.container ?? r.target.path);
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function imageMatch(input: string, r: TargetResult): boolean {
  const t = r.target;
  if (t.kind !== 'image' || t.platform) return false;
  const scope = normalizeImageRef(input);
  if (t.registry !== scope.registry || t.repository !== scope.repository) return false;
  return scope.digest ? t.digest === scope.digest : t.tag === scope.tag;
}

/** One line per artifact for people and CI logs: `PASS verified  <ref>  <signer>` or `FAIL <why>  <ref>: <reason>`. */
export function renderOutcomeLines(outcomes: ArtifactOutcome[], opts: { color?: boolean } = {}): string {
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines: string[] = [];
  for (const o of outcomes) {
    if (o.targets.length === 0) {
      lines.push(`${paint(31, 'FAIL')} ${'missing'.padEnd(10)} ${o.input}: nothing signable found`);
      continue;
    }
    for (const t of o.targets) {
      const mark = t.outcome === 'verified' ? paint(32, 'PASS') : paint(31, 'FAIL');
      const tail = t.outcome === 'verified' ? `  ${t.signer ?? ''}` : `: ${t.reason ?? ''}`;
      lines.push(`${mark} ${t.outcome.padEnd(10)} ${t.ref}${tail}`.trimEnd());
    }
  }
  const failed = outcomes.filter((o) => !o.passed).length;
  lines.push(
    failed === 0
      ? `${outcomes.length} of ${outcomes.length} verified`
      : `${failed} of ${outcomes.length} not verified`,
  );
  return `${lines.join('\n')}\n`;
}
