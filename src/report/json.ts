import type { CertificateSummary, ErrorEntry, SignatureResult, TargetResult } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { sortResults, summarize, targetVerdict, type ScanReport } from '../scan/report-model.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** Bumped on any incompatible change to the JSON document; additive fields keep the major. */
export const JSON_SCHEMA_VERSION = '1.2';

/**
 * The versioned JSON document. Built field by field so that raw signature material and anything not in
 * the contract never leaks into the output.
 */
export function toJsonDocument(report: ScanReport): Record<string, unknown> {
  return {
    schemaVersion: JSON_SCHEMA_VERSION,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scan: scanJson(report),
    targets: sortResults(report.results).map(targetJson),
    errors: report.scanErrors.map(errorJson),
    summary: summarize(report),
    ...(report.stats ? { stats: report.stats } : {}),
  };
}

export function scanJson(report: ScanReport): Record<string, unknown> {
  return {
    command: report.command,
    inputs: report.inputs,
    startedAt: report.startedAt.toISOString(),
    finishedAt: report.finishedAt.toISOString(),
    durationMs: report.finishedAt.getTime() - report.startedAt.getTime(),
    // Optional (1.2): reports saved by older versions, and merged ones, may lack them.
    ...(report.scanId ? { scanId: report.scanId } : {}),
    ...(report.toolVersion ? { sigscanVersion: report.toolVersion } : {}),
    ...(report.scanId ? { at: report.at ? report.at.toISOString() : null } : {}),
    ...(report.trust ? { trust: report.trust.map((t) => ({ ...t })) } : {}),
    ...(report.revocation ? { revocation: { ...report.revocation } } : {}),
    ...(report.insecureIgnoreTlog ? { insecureIgnoreTlog: true } : {}),
    ...(report.checked ? { checked: [...report.checked] } : {}),
    ...(report.notChecked ? { notChecked: report.notChecked.map((n) => ({ ...n })) } : {}),
    ...(report.interrupted !== undefined ? { interrupted: report.interrupted } : {}),
    ...(report.orphans ? { orphans: report.orphans.map((o) => ({ ...o })) } : {}),
    ...(report.plugins?.length ? { plugins: report.plugins } : {}),
  };
}

export function errorJson(e: ErrorEntry): Record<string, unknown> {
  return { code: e.code, message: e.message, ...(e.source !== undefined ? { source: e.source } : {}) };
}

export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(toJsonDocument(report), null, 2)}\n`;
}

export function targetJson(r: TargetResult): Record<string, unknown> {
  const t = r.target;
  const base: Record<string, unknown> = { kind: t.kind, ref: targetRef(t) };
  if (t.kind === 'image') {
    Object.assign(base, {
      registry: t.registry,
      repository: t.repository,
      tag: t.tag ?? null,
      platform: t.platform ?? null,
      parent: t.parent ?? null,
      digest: t.digest || null,
      mediaType: t.mediaType || null,
      size: t.size ?? null,
      ...(t.untagged ? { untagged: true } : {}),
      ...(t.workloads ? { workloads: t.workloads.map((w) => ({ ...w })) } : {}),
      ...(t.findings?.length ? { findings: t.findings.map((f) => ({ ...f })) } : {}),
    });
  } else {
    Object.assign(base, {
      path: t.path,
      ...(t.container ? { container: t.container } : {}),
      digest: t.digest || null,
      size: t.size,
      format: t.format,
    });
  }
  return {
    ...base,
    status: r.status,
    verdict: targetVerdict(r.signatures),
    signatures: r.signatures.map(signatureJson),
    errors: r.errors.map(errorJson),
  };
}

export function signatureJson(s: SignatureResult): Record<string, unknown> {
  const e = s.evidence;
  const signer = e.signer;
  return {
    family: e.family,
    location: e.location,
    signer: compact({
      subject: signer.subject,
      issuer: signer.issuer,
      sha256Fingerprint: signer.sha256Fingerprint,
      keyId: signer.keyId,
      keySource: signer.keySource,
      publicKeyAlgorithm: signer.publicKeyAlgorithm,
      subjectAlternativeNames: signer.subjectAlternativeNames,
      oidcIssuer: signer.oidcIssuer,
      serialNumber: signer.certificate?.serialNumber,
      notBefore: signer.certificate?.notBefore,
      notAfter: signer.certificate?.notAfter,
      extendedKeyUsages: signer.certificate?.extendedKeyUsages,
      chain: signer.chain?.map(chainJson),
    }),
    countersigner: e.countersigner ? compact({ ...e.countersigner }) : null,
    algorithm: e.algorithm ?? null,
    digestAlgorithm: e.digestAlgorithm ?? null,
    signingTime: e.signingTime ?? null,
    claims: e.claims ? compact({ ...e.claims }) : null,
    details: e.details ?? {},
    findings: (e.findings ?? []).map((f) => ({ code: f.code, severity: f.severity, message: f.message })),
    verdict: {
      status: s.verdict.status,
      code: s.verdict.code,
      message: s.verdict.message,
      ...(s.verdict.by ? { by: s.verdict.by } : {}),
    },
  };
}

function chainJson(c: CertificateSummary): Record<string, unknown> {
  return {
    subject: c.subject,
    issuer: c.issuer,
    sha256Fingerprint: c.sha256Fingerprint,
    notAfter: c.notAfter,
  };
}

function compact(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
