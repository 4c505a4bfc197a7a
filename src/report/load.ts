import { readFile } from 'node:fs/promises';

import { SigscanError } from '../errors.js';
import type {
  CertificateSummary,
  Countersigner,
  ErrorEntry,
  Evidence,
  FileFormat,
  SignatureFamily,
  SignatureResult,
  SignerIdentity,
  Target,
  TargetFinding,
  TargetResult,
  TargetStatus,
  VerdictStatus,
} from '../model/index.js';
import type { NotChecked, OrphanSignature, ScanReport, TrustInputRecord } from '../scan/report-model.js';
import { validateReportDocument } from './schema.js';

/* The JSON document's shapes, as the schema guarantees them. */
interface JsonError {
  code: string;
  message: string;
  source?: string;
}
interface JsonSigner {
  subject?: string;
  issuer?: string;
  sha256Fingerprint?: string;
  keyId?: string;
  keySource?: string;
  publicKeyAlgorithm?: string;
  subjectAlternativeNames?: string[];
  oidcIssuer?: string;
  serialNumber?: string;
  notBefore?: string;
  notAfter?: string;
  extendedKeyUsages?: string[];
  chain?: Array<{ subject: string; issuer: string; sha256Fingerprint: string; notAfter: string }>;
}
interface JsonSignature {
  family: SignatureFamily;
  location: string;
  signer: JsonSigner;
  countersigner: Countersigner | null;
  algorithm: string | null;
  digestAlgorithm: string | null;
  signingTime: string | null;
  claims: { subjectDigest?: string; identity?: string } | null;
  details: Record<string, unknown>;
  findings: Array<{ code: string; severity: 'integrity' | 'warning' | 'info'; message: string }>;
  verdict: { status: VerdictStatus; code: string; message: string };
}
interface JsonTargetBase {
  ref: string;
  digest: string | null;
  status: TargetStatus;
  signatures: JsonSignature[];
  errors: JsonError[];
}
interface JsonImage extends JsonTargetBase {
  kind: 'image';
  registry: string;
  repository: string;
  tag: string | null;
  platform: string | null;
  parent: string | null;
  mediaType: string | null;
  size: number | null;
  untagged?: true;
  workloads?: Array<{ namespace: string; kind: string; name: string; container: string }>;
  findings?: TargetFinding[];
}
interface JsonFile extends JsonTargetBase {
  kind: 'file';
  path: string;
  container?: string;
  size: number;
  format: FileFormat;
}
export interface JsonReportDocument {
  schemaVersion: string;
  tool: { name: string; version: string };
  scan: {
    command: string;
    inputs: string[];
    startedAt: string;
    finishedAt: string;
    durationMs: number;
    scanId?: string;
    sigscanVersion?: string;
    at?: string | null;
    trust?: TrustInputRecord[];
    revocation?: { mode: string; crls: number };
    insecureIgnoreTlog?: boolean;
    checked?: SignatureFamily[];
    notChecked?: NotChecked[];
    interrupted?: boolean;
    orphans?: OrphanSignature[];
  };
  targets: Array<JsonImage | JsonFile>;
  errors: JsonError[];
  summary: { filesSkipped?: number } & Record<string, unknown>;
  stats?: unknown;
}

/** Reads a saved `-o json` report (a file path, or `-` for stdin) back into the report model. */
export async function loadReportFile(path: string): Promise<ScanReport> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    throw new SigscanError('USAGE', `cannot read report ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseReport(text, path);
}

/** Parses and validates (schema first) a JSON report document; the error names the file and the problem. */
export async function parseReport(text: string, name = 'report'): Promise<ScanReport> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SigscanError('USAGE', `${name} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const check = await validateReportDocument(doc);
  if (!check.valid) {
    const hint =
      doc && typeof doc === 'object' && 'registry' in doc
        ? ' (this looks like a legacy -o sigscan-json report, which cannot be read back)'
        : '';
    throw new SigscanError(
      'USAGE',
      `${name} is not a sigscan JSON report (-o json, schema ${'sigscan-report.schema.json'})${hint}:\n  ${check.errors.join('\n  ')}`,
    );
  }
  return fromJsonDocument(doc as JsonReportDocument);
}

/** The inverse of toJsonDocument: toJsonDocument(fromJsonDocument(d)) equals d for every valid d. */
export function fromJsonDocument(doc: JsonReportDocument): ScanReport {
  const report: ScanReport = {
    command: doc.scan.command,
    inputs: [...doc.scan.inputs],
    startedAt: new Date(doc.scan.startedAt),
    finishedAt: new Date(doc.scan.finishedAt),
    results: doc.targets.map(targetResult),
    scanErrors: doc.errors.map(errorEntry),
  };
  if (doc.summary.filesSkipped !== undefined) report.filesSkipped = doc.summary.filesSkipped;
  const scan = doc.scan;
  if (scan.scanId !== undefined) report.scanId = scan.scanId;
  if (scan.sigscanVersion !== undefined) report.toolVersion = scan.sigscanVersion;
  if (scan.at) report.at = new Date(scan.at);
  if (scan.trust) report.trust = scan.trust.map((t) => ({ ...t }));
  if (scan.revocation) report.revocation = { ...scan.revocation };
  if (scan.insecureIgnoreTlog === true) report.insecureIgnoreTlog = true;
  if (scan.checked) report.checked = [...scan.checked];
  if (scan.notChecked) report.notChecked = scan.notChecked.map((n) => ({ ...n }));
  if (scan.interrupted !== undefined) report.interrupted = scan.interrupted;
  if (scan.orphans) report.orphans = scan.orphans.map((o) => ({ ...o }));
  if (doc.stats !== undefined) report.stats = doc.stats;
  return report;
}

function errorEntry(e: JsonError): ErrorEntry {
  return e.source !== undefined
    ? { code: e.code, message: e.message, source: e.source }
    : { code: e.code, message: e.message };
}

function targetResult(t: JsonImage | JsonFile): TargetResult {
  let target: Target;
  if (t.kind === 'image') {
    target = {
      kind: 'image',
      registry: t.registry,
      repository: t.repository,
      digest: t.digest ?? '',
      mediaType: t.mediaType ?? '',
    };
    if (t.tag !== null) target.tag = t.tag;
    if (t.size !== null) target.size = t.size;
    if (t.platform !== null) target.platform = t.platform;
    if (t.parent !== null) target.parent = t.parent;
    if (t.untagged) target.untagged = true;
    if (t.workloads) target.workloads = t.workloads.map((w) => ({ ...w }));
    if (t.findings) target.findings = t.findings.map((f) => ({ ...f }));
  } else {
    target = {
      kind: 'file',
      path: t.path,
      ...(t.container ? { container: t.container } : {}),
      size: t.size,
      digest: t.digest ?? '',
      format: t.format,
    };
  }
  return {
    target,
    status: t.status,
    signatures: t.signatures.map(signatureResult),
    errors: t.errors.map(errorEntry),
  };
}

function signatureResult(s: JsonSignature): SignatureResult {
  const evidence: Evidence = { family: s.family, location: s.location, signer: signerIdentity(s.signer) };
  if (s.countersigner) evidence.countersigner = { ...s.countersigner };
  if (s.algorithm !== null) evidence.algorithm = s.algorithm;
  if (s.digestAlgorithm !== null) evidence.digestAlgorithm = s.digestAlgorithm;
  if (s.signingTime !== null) evidence.signingTime = s.signingTime;
  if (s.claims) evidence.claims = { ...s.claims };
  evidence.details = s.details;
  if (s.findings.length) evidence.findings = s.findings.map((f) => ({ ...f }));
  return { evidence, verdict: { ...s.verdict } };
}

function signerIdentity(j: JsonSigner): SignerIdentity {
  const signer: SignerIdentity = {};
  for (const k of [
    'subject',
    'issuer',
    'sha256Fingerprint',
    'keyId',
    'keySource',
    'publicKeyAlgorithm',
    'oidcIssuer',
  ] as const) {
    if (j[k] !== undefined) signer[k] = j[k];
  }
  if (j.subjectAlternativeNames) signer.subjectAlternativeNames = [...j.subjectAlternativeNames];
  // The document flattens four certificate fields into the signer; keep them on a partial certificate.
  if (j.serialNumber ?? j.notBefore ?? j.notAfter ?? j.extendedKeyUsages) {
    const cert = partialCertificate({
      subject: j.subject ?? '',
      issuer: j.issuer ?? '',
      sha256Fingerprint: j.sha256Fingerprint ?? '',
      notAfter: j.notAfter ?? '',
    });
    cert.serialNumber = j.serialNumber as string;
    cert.notBefore = j.notBefore as string;
    cert.notAfter = j.notAfter as string;
    if (j.extendedKeyUsages) cert.extendedKeyUsages = [...j.extendedKeyUsages];
    signer.certificate = cert;
  }
  if (j.chain) signer.chain = j.chain.map(partialCertificate);
  return signer;
}

/** Fields the JSON does not carry stay empty; no reporter reads them. */
function partialCertificate(c: {
  subject: string;
  issuer: string;
  sha256Fingerprint: string;
  notAfter: string;
}): CertificateSummary {
  return {
    subject: c.subject,
    issuer: c.issuer,
    sha256Fingerprint: c.sha256Fingerprint,
    notAfter: c.notAfter,
    serialNumber: '',
    sha1Fingerprint: '',
    spkiSha256: '',
    notBefore: '',
    publicKeyAlgorithm: '',
  };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
