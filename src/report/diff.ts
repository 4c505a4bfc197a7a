import type { SignatureResult, Target, TargetResult, TargetStatus, VerdictStatus } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { signerKey, signerLabel, sortResults, type ScanReport } from '../scan/report-model.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';
import { sarifLog, sentence, type SarifFinding, type SarifRule } from './sarif.js';

export const CHANGE_KINDS = [
  'newly-unsigned',
  'signature-removed',
  'new-signer',
  'signer-changed',
  'verdict-changed',
  'status-changed',
  'target-added',
  'target-removed',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface Change {
  kind: ChangeKind;
  ref: string;
  /** True when the change makes things worse (the CI question). */
  regression: boolean;
  family?: string;
  signer?: string;
  before?: string | null;
  after?: string | null;
  message: string;
  /** Not serialised: the target (new side when present) for SARIF locations. */
  target: Target;
}

export interface ReportDiff {
  old: ScanReport;
  new: ScanReport;
  changes: Change[];
}

/** Worst first: a verdict moving right is a regression. */
const VERDICT_RANK: Record<VerdictStatus, number> = {
  verified: 0,
  unverified: 1,
  untrusted: 2,
  error: 3,
  invalid: 4,
};

/** The same image across scans is the same repository, tag (or digest) and platform; a file is its path. */
export function diffKey(r: TargetResult): string {
  const t = r.target;
  if (t.kind === 'file') return `file\0${t.path}`;
  return `image\0${t.registry}/${t.repository}\0${t.tag ?? t.digest}\0${t.platform ?? ''}`;
}

function displayRef(r: TargetResult): string {
  const t = r.target;
  return targetRef(t) + (t.kind === 'image' && t.platform ? ` (${t.platform})` : '');
}

function sigKey(s: SignatureResult): string {
  return `${s.evidence.family}\0${signerKey(s.evidence.signer)}`;
}

export function diffReports(oldReport: ScanReport, newReport: ScanReport): ReportDiff {
  const before = new Map(oldReport.results.map((r) => [diffKey(r), r]));
  const after = new Map(newReport.results.map((r) => [diffKey(r), r]));
  const changes: Change[] = [];
  for (const n of sortResults(newReport.results)) {
    const o = before.get(diffKey(n));
    const ref = displayRef(n);
    const base = { ref, target: n.target };
    if (!o) {
      changes.push(
        n.status === 'unsigned'
          ? {
              ...base,
              kind: 'newly-unsigned',
              regression: true,
              before: null,
              after: 'unsigned',
              message: `${ref} is new and not signed`,
            }
          : {
              ...base,
              kind: 'target-added',
              regression: false,
              before: null,
              after: n.status,
              message: `${ref} is new (${n.status})`,
            },
      );
      continue;
    }
    if (n.status === 'unsigned' && o.status === 'signed') {
      const gone = [...new Set(o.signatures.map((s) => signerLabel(s.evidence.signer)))].join('; ');
      changes.push({
        ...base,
        kind: 'newly-unsigned',
        regression: true,
        before: 'signed',
        after: 'unsigned',
        message: `${ref} was signed (by ${gone}) and is not any more`,
      });
      continue;
    }
    // unsigned -> signed is reported as new-signer below.
    if (n.status !== o.status && !(o.status === 'unsigned' && n.status === 'signed')) {
      changes.push({
        ...base,
        kind: 'status-changed',
        regression: n.status === 'unknown' || n.status === 'unsigned',
        before: o.status,
        after: n.status,
        message: `${ref} changed from ${o.status} to ${n.status}`,
      });
    }
    const oldSigs = new Map(o.signatures.map((s) => [sigKey(s), s]));
    const newSigs = new Map(n.signatures.map((s) => [sigKey(s), s]));
    if (n.status !== 'unknown') {
      for (const [k, s] of oldSigs) {
        if (newSigs.has(k)) continue;
        const who = signerLabel(s.evidence.signer);
        changes.push({
          ...base,
          kind: 'signature-removed',
          regression: true,
          family: s.evidence.family,
          signer: who,
          message: `the ${s.evidence.family} signature by ${who} on ${ref} is gone`,
        });
      }
    }
    for (const [k, s] of newSigs) {
      const who = signerLabel(s.evidence.signer);
      const was = oldSigs.get(k);
      if (!was) {
        const fresh = o.signatures.length === 0;
        changes.push({
          ...base,
          kind: fresh ? 'new-signer' : 'signer-changed',
          regression: !fresh,
          family: s.evidence.family,
          signer: who,
          message: fresh
            ? `${ref} is now signed by ${who} (${s.evidence.family})`
            : `${ref} has a ${s.evidence.family} signature by a signer not seen before: ${who}`,
        });
        continue;
      }
      if (was.verdict.status !== s.verdict.status) {
        changes.push({
          ...base,
          kind: 'verdict-changed',
          regression: VERDICT_RANK[s.verdict.status] > VERDICT_RANK[was.verdict.status],
          family: s.evidence.family,
          signer: who,
          before: was.verdict.status,
          after: s.verdict.status,
          message: `the ${s.evidence.family} signature by ${who} on ${ref} went from ${was.verdict.status} to ${s.verdict.status} (${s.verdict.code})`,
        });
      }
    }
  }
  for (const o of sortResults(oldReport.results)) {
    if (after.has(diffKey(o))) continue;
    const ref = displayRef(o);
    changes.push({
      kind: 'target-removed',
      ref,
      target: o.target,
      regression: false,
      before: o.status as TargetStatus,
      after: null,
      message: `${ref} is no longer in the scan`,
    });
  }
  changes.sort(
    (a, b) =>
      (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0) ||
      CHANGE_KINDS.indexOf(a.kind) - CHANGE_KINDS.indexOf(b.kind) ||
      (a.signer ?? '').localeCompare(b.signer ?? ''),
  );
  return { old: oldReport, new: newReport, changes };
}

export function diffJsonDocument(d: ReportDiff): Record<string, unknown> {
  const scan = (r: ScanReport) => ({
    command: r.command,
    inputs: r.inputs,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
  });
  const byKind = Object.fromEntries(
    CHANGE_KINDS.map((k) => [k, d.changes.filter((c) => c.kind === k).length]),
  );
  return {
    schemaVersion: '1.0',
    kind: 'sigscan-diff',
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    old: scan(d.old),
    new: scan(d.new),
    summary: { changes: d.changes.length, regressions: d.changes.filter((c) => c.regression).length, byKind },
    changes: d.changes.map(({ target: _target, ...c }) => ({
      kind: c.kind,
      ref: c.ref,
      regression: c.regression,
      ...(c.family !== undefined ? { family: c.family } : {}),
      ...(c.signer !== undefined ? { signer: c.signer } : {}),
      ...(c.before !== undefined ? { before: c.before } : {}),
      ...(c.after !== undefined ? { after: c.after } : {}),
      message: c.message,
    })),
  };
}

export function renderDiffJson(d: ReportDiff): string {
  return `${JSON.stringify(diffJsonDocument(d), null, 2)}\n`;
}

export function renderDiffPretty(d: ReportDiff, opts: { color?: boolean } = {}): string {
  const paint = (code: number, s: string) => (opts.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const lines = [
    `sigscan diff: ${d.old.inputs.join(' ')} (${d.old.startedAt.toISOString()}) -> ${d.new.inputs.join(' ')} (${d.new.startedAt.toISOString()})`,
  ];
  if (!d.changes.length) return `${lines[0]}\nno changes\n`;
  for (const kind of CHANGE_KINDS) {
    const list = d.changes.filter((c) => c.kind === kind);
    if (!list.length) continue;
    lines.push('', `${kind} (${list.length})`);
    for (const c of list) lines.push(`  ${c.regression ? paint(31, '!') : ' '} ${c.message}`);
  }
  const regressions = d.changes.filter((c) => c.regression).length;
  lines.push(
    '',
    `${d.changes.length} change${d.changes.length === 1 ? '' : 's'}, ${regressions} regression${regressions === 1 ? '' : 's'}`,
  );
  return `${lines.join('\n')}\n`;
}

export const DIFF_RULES: readonly SarifRule[] = [
  {
    id: 'SIG101',
    name: 'NewlyUnsigned',
    short: 'Artifact lost its signature or is new and unsigned',
    full: 'The artifact was signed in the previous scan and is not now, or it appeared unsigned.',
    help: 'Find out why the release pipeline stopped signing, and sign the artifact.',
    level: 'error',
    severity: '7.0',
  },
  {
    id: 'SIG102',
    name: 'SignatureRemoved',
    short: 'A signature disappeared',
    full: 'A signature present in the previous scan is gone while the artifact is still there.',
    help: 'Check whether the signature was deleted on purpose (key rotation) or lost.',
    level: 'warning',
    severity: '6.0',
  },
  {
    id: 'SIG103',
    name: 'NewSigner',
    short: 'Artifact newly signed',
    full: 'The artifact had no signature before and has one now.',
    help: 'Informational: confirm the signer is the expected one.',
    level: 'note',
  },
  {
    id: 'SIG104',
    name: 'SignerChanged',
    short: 'Signer not seen before on this artifact',
    full: 'The artifact carries a signature by a signer that did not sign it in the previous scan.',
    help: 'Confirm the new signer (key or certificate rotation) or investigate a substituted artifact.',
    level: 'warning',
    severity: '6.5',
  },
  {
    id: 'SIG105',
    name: 'VerdictChanged',
    short: 'Signature verdict changed',
    full: 'The verdict of a signature changed between scans (for example verified to invalid).',
    help: 'A worse verdict means the artifact, the trust roots or the certificates changed; read the verdict code.',
    level: 'warning',
    severity: '6.0',
  },
  {
    id: 'SIG106',
    name: 'StatusChanged',
    short: 'Artifact status changed',
    full: 'The artifact changed between signed, unsigned and unknown.',
    help: 'unknown means the artifact could not be checked in the new scan; see its errors.',
    level: 'warning',
    severity: '4.0',
  },
  {
    id: 'SIG107',
    name: 'TargetAdded',
    short: 'Artifact new in this scan',
    full: 'The artifact was not in the previous scan.',
    help: 'Informational.',
    level: 'note',
  },
  {
    id: 'SIG108',
    name: 'TargetRemoved',
    short: 'Artifact gone from this scan',
    full: 'The artifact was in the previous scan and is not in this one.',
    help: 'Informational.',
    level: 'note',
  },
  {
    id: 'SIG099',
    name: 'ResultsTruncated',
    short: 'More results than GitHub accepts in one run',
    full: 'GitHub code scanning accepts at most 25000 results per run; the most severe ones are listed and this result counts the rest.',
    help: 'Use the JSON diff for the complete list.',
    level: 'note',
  },
];

const RULE_OF: Record<ChangeKind, string> = {
  'newly-unsigned': 'SIG101',
  'signature-removed': 'SIG102',
  'new-signer': 'SIG103',
  'signer-changed': 'SIG104',
  'verdict-changed': 'SIG105',
  'status-changed': 'SIG106',
  'target-added': 'SIG107',
  'target-removed': 'SIG108',
};

export function renderDiffSarif(d: ReportDiff, opts: { cwd?: string } = {}): string {
  const findings: SarifFinding[] = d.changes.map((c) => ({
    ruleId: RULE_OF[c.kind],
    target: c.target,
    message: sentence(c.message),
    identity: `${c.kind}|${c.family ?? ''}|${c.signer ?? ''}|${c.before ?? ''}|${c.after ?? ''}`,
    ...(c.kind === 'verdict-changed' && !c.regression ? { level: 'note' as const } : {}),
  }));
  return sarifLog(d.new, findings, DIFF_RULES, {
    cwd: opts.cwd,
    automationId: `sigscan/diff-${d.new.command}/${d.new.startedAt.toISOString()}`,
  });
}

export function renderDiff(
  d: ReportDiff,
  format: 'pretty' | 'json' | 'sarif',
  opts: { color?: boolean; cwd?: string } = {},
): string {
  if (format === 'json') return renderDiffJson(d);
  if (format === 'sarif') return renderDiffSarif(d, { cwd: opts.cwd });
  return renderDiffPretty(d, opts);
}
