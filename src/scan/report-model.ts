import type {
  ErrorEntry,
  SignatureFamily,
  SignatureResult,
  SignerIdentity,
  TargetResult,
  VerdictStatus,
} from '../model/index.js';

/** A finished scan: everything a reporter may read. */
export interface ScanReport {
  command: string;
  inputs: string[];
  startedAt: Date;
  finishedAt: Date;
  results: TargetResult[];
  /** Problems not tied to one target: an unreachable registry, a denied catalog, an unreadable directory. */
  scanErrors: ErrorEntry[];
  /** Files seen but not reported (not a signable format), for fs scans. */
  filesSkipped?: number;
  stats?: unknown;
  /** The user's plugins (`--plugin`) that took part: module, name, version, SHA-256 of the entry file. */
  plugins?: Array<{ module: string; name: string; version: string; sha256: string; families: string[] }>;
}

/** One distinct signer and how many targets it signed. */
export interface SignerCount {
  /** Subject DN, SANs, or `key <id>` for bare keys: what a person reads. */
  signer: string;
  sha256Fingerprint?: string;
  keyId?: string;
  targets: number;
}

export interface ScanSummary {
  targets: number;
  signed: number;
  unsigned: number;
  unknown: number;
  signatures: number;
  /** Per signature. */
  verdicts: Record<VerdictStatus, number>;
  /** Per signed target, by its overall verdict (see targetVerdict). */
  targetVerdicts: Record<VerdictStatus, number>;
  families: Partial<Record<SignatureFamily, number>>;
  /** Distinct signers, most targets first. */
  signers: SignerCount[];
  /** Target-level error entries plus scan-level ones. */
  errors: number;
  filesSkipped?: number;
}

/**
 * The verdict of a signed target as a whole: invalid if any signature is invalid (tampering outranks
 * everything), else the best of the rest (verified > untrusted > unverified > error).
 */
export function targetVerdict(signatures: readonly SignatureResult[]): VerdictStatus | null {
  if (signatures.length === 0) return null;
  const has = (v: VerdictStatus) => signatures.some((s) => s.verdict.status === v);
  for (const v of ['invalid', 'verified', 'untrusted', 'unverified'] as const) if (has(v)) return v;
  return 'error';
}

/** The name a person reads for a signer. */
export function signerLabel(signer: SignerIdentity): string {
  return (
    signer.subject ||
    signer.subjectAlternativeNames?.join(', ') ||
    (signer.keyId ? `key ${signer.keyId.slice(0, 16)}` : 'public key (not in signature)')
  );
}

/** Two signatures have the same signer when the certificate (or key) is the same; else by name. */
export function signerKey(signer: SignerIdentity): string {
  return signer.sha256Fingerprint ?? (signer.keyId ? `key:${signer.keyId}` : `name:${signerLabel(signer)}`);
}

/** Folds results one at a time, so that streaming output can summarise in constant memory per target. */
export class SummaryAccumulator {
  private readonly summary: ScanSummary = {
    targets: 0,
    signed: 0,
    unsigned: 0,
    unknown: 0,
    signatures: 0,
    verdicts: { verified: 0, invalid: 0, untrusted: 0, unverified: 0, error: 0 },
    targetVerdicts: { verified: 0, invalid: 0, untrusted: 0, unverified: 0, error: 0 },
    families: {},
    signers: [],
    errors: 0,
  };
  private readonly signers = new Map<string, SignerCount>();

  add(r: TargetResult): void {
    const summary = this.summary;
    summary.targets++;
    summary[r.status]++;
    summary.errors += r.errors.length;
    const tv = targetVerdict(r.signatures);
    if (tv) summary.targetVerdicts[tv]++;
    const seen = new Set<string>();
    for (const s of r.signatures) {
      summary.signatures++;
      summary.verdicts[s.verdict.status]++;
      summary.families[s.evidence.family] = (summary.families[s.evidence.family] ?? 0) + 1;
      const key = signerKey(s.evidence.signer);
      if (seen.has(key)) continue;
      seen.add(key);
      let entry = this.signers.get(key);
      if (!entry) {
        const signer = s.evidence.signer;
        entry = { signer: signerLabel(signer), targets: 0 };
        if (signer.sha256Fingerprint) entry.sha256Fingerprint = signer.sha256Fingerprint;
        if (signer.keyId) entry.keyId = signer.keyId;
        this.signers.set(key, entry);
      }
      entry.targets++;
    }
  }

  finish(scanErrors: readonly ErrorEntry[], filesSkipped?: number): ScanSummary {
    const families = Object.fromEntries(
      Object.entries(this.summary.families).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    const signers = [...this.signers.values()].sort(
      (a, b) =>
        b.targets - a.targets ||
        (a.signer < b.signer ? -1 : a.signer > b.signer ? 1 : 0) ||
        signerKeyOf(a).localeCompare(signerKeyOf(b)),
    );
    const summary: ScanSummary = {
      ...this.summary,
      families,
      signers: signers.map((s) => ({ ...s })),
      errors: this.summary.errors + scanErrors.length,
    };
    if (filesSkipped !== undefined) summary.filesSkipped = filesSkipped;
    return summary;
  }
}

function signerKeyOf(s: SignerCount): string {
  return s.sha256Fingerprint ?? s.keyId ?? '';
}

export function summarize(report: ScanReport): ScanSummary {
  const acc = new SummaryAccumulator();
  for (const r of report.results) acc.add(r);
  return acc.finish(report.scanErrors, report.filesSkipped);
}

/** Stable order for every format: by reference, then platform. */
export function sortResults(results: TargetResult[]): TargetResult[] {
  const key = (r: TargetResult) =>
    r.target.kind === 'file'
      ? r.target.path
      : `${r.target.registry}/${r.target.repository}:${r.target.tag ?? ''}@${r.target.platform ? `~${r.target.platform}` : ''}${r.target.digest}`;
  return [...results].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}
