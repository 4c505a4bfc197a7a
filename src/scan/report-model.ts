import type {
  ErrorEntry,
  SignatureFamily,
  SignatureResult,
  SignerIdentity,
  TargetResult,
  VerdictStatus,
} from '../model/index.js';

/** One trust input the scan read: a flag's file or directory, or a system default that was present. */
export interface TrustInputRecord {
  /** The flag (without dashes) or default it came from: `key`, `trust-root`, `registries-d`, `policy`, ... */
  kind: string;
  path: string;
  /** SHA-256 of the file, or of a directory's files (relative name and bytes, sorted); null if unreadable. */
  sha256: string | null;
  /** True when nobody named it: a system default the reference tool also reads. */
  default?: boolean;
}

/** A signature family that was not looked up, and why (what to pass to look it up). */
export interface NotChecked {
  family: SignatureFamily;
  reason: string;
}

/** A signature tag whose subject manifest does not exist. */
export interface OrphanSignature {
  registry: string;
  repository: string;
  /** The tag that holds the signature (`sha256-<hex>.sig`, `.att`, referrer fallback). */
  tag: string;
  /** The digest it claims to sign. */
  subject: string;
}

/** A finished scan: everything a reporter may read. */
export interface ScanReport {
  command: string;
  inputs: string[];
  startedAt: Date;
  finishedAt: Date;
  /** Unique per scan run; every ndjson line carries it so that lines of concurrent scans can be told apart. */
  scanId?: string;
  /** The sigscan version that ran the scan (a merged report keeps the newest). */
  toolVersion?: string;
  /** `--at`: the time signatures were verified as of; absent means the time of the scan. */
  at?: Date;
  /** Trust inputs read, with their hashes: what a verdict was relative to. */
  trust?: TrustInputRecord[];
  /** How revocation was checked: `--revocation` mode and how many `--crl` CRLs were read. */
  revocation?: { mode: string; crls: number };
  /** `--insecure-ignore-tlog`: key and private-PKI cosign/Sigstore signatures were accepted without a Rekor entry. */
  insecureIgnoreTlog?: true;
  /** Families that were looked up for every target they apply to. */
  checked?: SignatureFamily[];
  /** Families that were not looked up (a target "unsigned" says nothing about them). */
  notChecked?: NotChecked[];
  /** SIGINT/SIGTERM stopped the scan: results cover only what finished. */
  interrupted?: boolean;
  /** Signature tags whose subject manifest is missing. */
  orphans?: OrphanSignature[];
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
  /** Registry scans: targets found only through a signature or referrer tag. */
  untagged?: number;
  /** Registry scans: signature tags whose subject manifest is gone. */
  orphans?: number;
  /** `images -` with kubectl JSON: compliance per Kubernetes namespace, by name. */
  namespaces?: NamespaceCount[];
}

/** The targets that workloads of one namespace run, and how many of them are verified. */
export interface NamespaceCount {
  namespace: string;
  /** Targets (an index and each of its platform manifests count apart, as in `targets`). */
  targets: number;
  /** Of those, the targets whose target verdict is verified. */
  verified: number;
}

/**
 * The verdict of a signed target as a whole (README "Verdicts": the one place this rule is documented):
 * invalid if any signature is invalid (tampering outranks everything), else the best of the rest
 * (verified > untrusted > unverified > error), as a consumer that needs one good signature sees it.
 * `--fail-on`, SARIF levels, the summary and the HTML charts all use this rule. Null when unsigned.
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
  private untagged = 0;
  private readonly namespaces = new Map<string, NamespaceCount>();

  add(r: TargetResult): void {
    const summary = this.summary;
    summary.targets++;
    summary[r.status]++;
    summary.errors += r.errors.length;
    if (r.target.kind === 'image' && r.target.untagged) this.untagged++;
    const tv = targetVerdict(r.signatures);
    if (tv) summary.targetVerdicts[tv]++;
    // A target run in two namespaces counts in each, once however many workloads there run it.
    const namespaces = r.target.kind === 'image' ? new Set(r.target.workloads?.map((w) => w.namespace)) : [];
    for (const namespace of namespaces) {
      const entry = this.namespaces.get(namespace) ?? { namespace, targets: 0, verified: 0 };
      entry.targets++;
      if (tv === 'verified') entry.verified++;
      this.namespaces.set(namespace, entry);
    }
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

  finish(
    scanErrors: readonly ErrorEntry[],
    filesSkipped?: number,
    orphans?: readonly OrphanSignature[],
  ): ScanSummary {
    const families = Object.fromEntries(
      Object.entries(this.summary.families).sort(([a], [b]) => byCodeUnits(a, b)),
    );
    const signers = [...this.signers.values()].sort(
      (a, b) =>
        b.targets - a.targets ||
        byCodeUnits(a.signer, b.signer) ||
        signerKeyOf(a).localeCompare(signerKeyOf(b)),
    );
    const summary: ScanSummary = {
      ...this.summary,
      families,
      signers: signers.map((s) => ({ ...s })),
      errors: this.summary.errors + scanErrors.length,
    };
    if (filesSkipped !== undefined) summary.filesSkipped = filesSkipped;
    // Only registry scans look for them; other reports keep their summary as before.
    if (orphans !== undefined || this.untagged) {
      summary.untagged = this.untagged;
      summary.orphans = orphans?.length ?? 0;
    }
    if (this.namespaces.size)
      summary.namespaces = [...this.namespaces.values()]
        .sort((a, b) => byCodeUnits(a.namespace, b.namespace))
        .map((n) => ({ ...n }));
    return summary;
  }
}

/**
 * The order of a report's sorted lists (families, signer names, namespaces, targets): by UTF-16 code units,
 * the same on every machine, and 0 for equal strings so that the sort keeps their input order.
 */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function signerKeyOf(s: SignerCount): string {
  return s.sha256Fingerprint ?? s.keyId ?? '';
}

export function summarize(report: ScanReport): ScanSummary {
  const acc = new SummaryAccumulator();
  for (const r of report.results) acc.add(r);
  return acc.finish(report.scanErrors, report.filesSkipped, report.orphans);
}

/** Stable order for every format: by reference, then platform. */
export function sortResults(results: TargetResult[]): TargetResult[] {
  const key = (r: TargetResult) =>
    r.target.kind === 'file'
      ? r.target.path
      : `${r.target.registry}/${r.target.repository}:${r.target.tag ?? ''}@${r.target.platform ? `~${r.target.platform}` : ''}${r.target.digest}`;
  return [...results].sort((a, b) => byCodeUnits(key(a), key(b)));
}
