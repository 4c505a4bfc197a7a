import { createHash } from 'node:crypto';
import { isAbsolute, relative, sep } from 'node:path';

import type { SignatureResult, Target, TargetResult } from '../model/index.js';
import { targetRef } from '../model/index.js';
import { signerLabel, sortResults, targetVerdict, type ScanReport } from '../scan/report-model.js';
import { TOOL_NAME, TOOL_VERSION } from '../version.js';

/** GitHub code scanning rejects runs with more results than this. */
export const GITHUB_MAX_RESULTS = 25_000;
export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const INFORMATION_URI = 'https://github.com/sigscan/sigscan';

export interface SarifRule {
  id: string;
  name: string;
  short: string;
  full: string;
  help: string;
  level: 'note' | 'warning' | 'error';
  /** GitHub's security-severity (0.1-10.0); rules with it are security rules. */
  severity?: string;
}

/** Stable rule ids: never renumber, only add. */
export const SCAN_RULES: readonly SarifRule[] = [
  {
    id: 'SIG001',
    name: 'UnsignedArtifact',
    short: 'Artifact is not signed',
    full: 'No signature of any supported kind (cosign, Notary Project, JAR, Authenticode) was found on the artifact.',
    help: 'Sign the artifact in the release pipeline (cosign sign, notation sign, jarsigner, signtool/osslsigncode) and scan again. sigscan reports unsigned only when every lookup succeeded.',
    level: 'warning',
    severity: '5.0',
  },
  {
    id: 'SIG002',
    name: 'InvalidSignature',
    short: 'Signature does not verify',
    full: 'A signature attached to the artifact failed cryptographic verification or does not cover the artifact (tampering, digest mismatch).',
    help: 'Treat the artifact as tampered with until proven otherwise: rebuild it from source and sign it again. The verdict code names the failed check.',
    level: 'error',
    severity: '8.0',
  },
  {
    id: 'SIG003',
    name: 'UntrustedSigner',
    short: 'Signer is not trusted',
    full: 'The signature is cryptographically valid, but its signer does not chain to the supplied trust roots or keys.',
    help: 'Check who signed the artifact. If the signer is legitimate, add its root with --trust-root, --key or --config; otherwise remove the artifact.',
    level: 'error',
    severity: '7.0',
  },
  {
    id: 'SIG004',
    name: 'ExpiredOrWeakCertificate',
    short: 'Signing certificate expired, not yet valid, or weak',
    full: 'The signing certificate is outside its validity period without a trusted timestamp, or the signature uses a weak algorithm (SHA-1, MD5, RSA below 2048 bits).',
    help: 'Re-sign with a current certificate and SHA-256 or stronger, and add an RFC 3161 timestamp so that signatures outlive the certificate.',
    level: 'warning',
    severity: '5.5',
  },
  {
    id: 'SIG005',
    name: 'PolicyViolation',
    short: 'Signature violates the trust policy',
    full: 'The signature does not satisfy the configured policy (containers-policy.json, notation trust policy, expected identity or OIDC issuer, key usage constraints).',
    help: 'Compare the signer identity in the message with the policy given by --policy, --notation-dir, --certificate-identity or --config.',
    level: 'error',
    severity: '7.5',
  },
  {
    id: 'SIG006',
    name: 'CouldNotCheck',
    short: 'Artifact could not be checked',
    full: 'A lookup or parse failed (network, authorization, rate limit, malformed file), so the artifact is neither known to be signed nor known to be unsigned.',
    help: 'Read the error code in the message, fix access or retry; the artifact is reported as unknown, never as unsigned.',
    level: 'warning',
    severity: '4.0',
  },
  {
    id: 'SIG099',
    name: 'ResultsTruncated',
    short: 'More results than GitHub accepts in one run',
    full: 'GitHub code scanning accepts at most 25000 results per run; the most severe ones are listed and this result counts the rest.',
    help: 'Use the JSON report for the complete list, or scan smaller scopes (--repos, --include) and upload each with its own category.',
    level: 'note',
  },
];

/** One thing to report: a rule, a message and the target it is about. */
export interface SarifFinding {
  ruleId: string;
  message: string;
  target: Target;
  /** Makes the fingerprint unique per signature (family/location/signer); empty for target-level findings. */
  identity?: string;
  /** Overrides the rule's level. */
  level?: 'note' | 'warning' | 'error';
}

export interface SarifOptions {
  /** Absolute file paths under this directory become relative URIs (GitHub wants repository-relative). */
  cwd?: string;
  /** `automationDetails.id`; default `sigscan/<command>/<startedAt>`. */
  automationId?: string;
  maxResults?: number;
}

const LEVEL_RANK = { error: 3, warning: 2, note: 1, none: 0 } as const;

export function scanFindings(report: ScanReport): SarifFinding[] {
  const findings: SarifFinding[] = [];
  const at = report.finishedAt;
  for (const r of sortResults(report.results)) {
    const ref = targetRef(r.target);
    if (r.status === 'unsigned') {
      findings.push({ ruleId: 'SIG001', target: r.target, message: `${ref} is not signed.` });
    }
    if (r.errors.length) {
      const codes = r.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
      findings.push({
        ruleId: 'SIG006',
        target: r.target,
        message: `${ref} could not be fully checked (${r.status}): ${sentence(codes)}`,
      });
    }
    for (const s of r.signatures) findings.push(...signatureFindings(r, s, at));
  }
  return findings;
}

function signatureFindings(r: TargetResult, s: SignatureResult, at: Date): SarifFinding[] {
  const e = s.evidence;
  const ref = targetRef(r.target);
  const who = signerLabel(e.signer);
  const identity = `${e.family}|${e.location}|${e.signer.sha256Fingerprint ?? e.signer.keyId ?? who}`;
  const what = `${e.family} signature (${e.location}) on ${ref} by ${who}`;
  const v = s.verdict;
  const out: SarifFinding[] = [];
  // The target verdict rule (README "Verdicts"): a verified target is verified, so an untrusted or
  // failed co-signature on it is reported, as a note, not as a problem with the target.
  const coSignature =
    v.status !== 'invalid' && v.status !== 'verified' && targetVerdict(r.signatures) === 'verified';
  const push = (ruleId: string, message: string) =>
    out.push({
      ruleId,
      target: r.target,
      identity: `${identity}|${ruleId}`,
      message: sentence(
        coSignature
          ? `${message.replace(/[.]$/, '')} (the target is verified by another signature)`
          : message,
      ),
      ...(coSignature ? { level: 'note' as const } : {}),
    });
  const expiredOrWeak = /EXPIRED|NOT_YET_VALID|WEAK/.test(v.code);
  if (v.status === 'invalid' && !expiredOrWeak) push('SIG002', `${what} is invalid: ${v.code}: ${v.message}`);
  else if (v.status === 'untrusted' && /POLICY|IDENTITY|ISSUER_MISMATCH|EKU|CONSTRAINT/.test(v.code))
    push('SIG005', `${what} violates the policy: ${v.code}: ${v.message}`);
  else if (v.status === 'untrusted' && !expiredOrWeak)
    push('SIG003', `${what} is not trusted: ${v.code}: ${v.message}`);
  else if (v.status === 'error') push('SIG006', `${what} could not be checked: ${v.code}: ${v.message}`);

  if (expiredOrWeak && (v.status === 'invalid' || v.status === 'untrusted'))
    push('SIG004', `${what}: ${v.code}: ${v.message}`);
  else {
    const problem = certificateProblem(s, at);
    if (problem) push('SIG004', `${what}: ${problem}`);
  }
  return out;
}

/** What the evidence itself shows: an expired certificate without a timestamp inside its validity, weak algorithms. */
export function certificateProblem(s: SignatureResult, at: Date): string | undefined {
  const e = s.evidence;
  const cert = e.signer.certificate;
  const problems: string[] = [];
  if (cert?.notAfter) {
    const stamped = e.countersigner?.time ? new Date(e.countersigner.time) : undefined;
    const notBefore = cert.notBefore ? new Date(cert.notBefore) : undefined;
    const notAfter = new Date(cert.notAfter);
    const within = (t: Date) => (!notBefore || t >= notBefore) && t <= notAfter;
    if (!within(at) && !(stamped && within(stamped)))
      problems.push(
        at > notAfter
          ? `the signing certificate expired on ${cert.notAfter} and no timestamp proves signing before that`
          : `the signing certificate is not valid before ${cert.notBefore}`,
      );
  }
  const digest = (e.digestAlgorithm ?? '').toUpperCase().replace(/[-_]/g, '');
  if (digest === 'SHA1' || digest === 'MD5') problems.push(`weak digest algorithm ${e.digestAlgorithm}`);
  const rsa = /^RSA-(\d+)$/.exec(e.signer.publicKeyAlgorithm ?? '');
  if (rsa && Number(rsa[1]) < 2048) problems.push(`weak key ${e.signer.publicKeyAlgorithm}`);
  return problems.length ? problems.join('; ') : undefined;
}

/** The SARIF 2.1.0 log for a scan, with one run. */
export function renderSarif(report: ScanReport, opts: SarifOptions = {}): string {
  return sarifLog(report, scanFindings(report), SCAN_RULES, opts);
}

export function sarifLog(
  report: ScanReport,
  findings: SarifFinding[],
  rules: readonly SarifRule[],
  opts: SarifOptions = {},
): string {
  const max = opts.maxResults ?? GITHUB_MAX_RESULTS;
  const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
  const levelOf = (f: SarifFinding) => f.level ?? rules[ruleIndex.get(f.ruleId)!]!.level;
  let kept = findings;
  let dropped = 0;
  if (findings.length > max) {
    // Keep the most severe; stable among equals so that the same input gives the same file.
    const ranked = findings
      .map((f, i) => ({ f, i, rank: LEVEL_RANK[levelOf(f)] * 100 + severityOf(rules, ruleIndex, f) }))
      .sort((a, b) => b.rank - a.rank || a.i - b.i)
      .slice(0, max - 1)
      .sort((a, b) => a.i - b.i);
    kept = ranked.map((x) => x.f);
    dropped = findings.length - kept.length;
  }
  const results = kept.map((f) => sarifResult(f, ruleIndex, levelOf(f), opts));
  if (dropped > 0) {
    const truncated = rules.find((r) => r.id === 'SIG099') ?? SCAN_RULES[SCAN_RULES.length - 1]!;
    results.push({
      ruleId: truncated.id,
      ruleIndex: ruleIndex.get(truncated.id) ?? 0,
      level: 'note',
      message: {
        text: `${dropped} more results were left out (GitHub accepts ${max} per run); see the JSON report for all ${findings.length}.`,
      },
      locations: [location(summaryLocation(report), undefined)],
      partialFingerprints: { primaryLocationLineHash: fingerprint(`SIG099|${report.inputs.join('|')}`) },
    });
  }
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            semanticVersion: TOOL_VERSION,
            version: TOOL_VERSION,
            informationUri: INFORMATION_URI,
            rules: rules.map(ruleJson),
          },
        },
        automationDetails: {
          id: opts.automationId ?? `sigscan/${report.command}/${report.startedAt.toISOString()}`,
        },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: report.startedAt.toISOString(),
            endTimeUtc: report.finishedAt.toISOString(),
            ...(report.scanErrors.length
              ? {
                  toolExecutionNotifications: report.scanErrors.map((e) => ({
                    level: 'error',
                    message: { text: sentence(`${e.source ?? 'scan'}: ${e.code}: ${e.message}`) },
                  })),
                }
              : {}),
          },
        ],
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The directory the scan ran in.' } } },
        results,
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

function severityOf(rules: readonly SarifRule[], index: Map<string, number>, f: SarifFinding): number {
  return Number(rules[index.get(f.ruleId)!]?.severity ?? 0);
}

function ruleJson(r: SarifRule): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    shortDescription: { text: sentence(r.short) },
    fullDescription: { text: r.full },
    help: { text: r.help, markdown: `**${r.name}**: ${r.help}` },
    helpUri: `${INFORMATION_URI}#sarif-rules`,
    defaultConfiguration: { level: r.level },
    properties: {
      tags: ['security', 'supply-chain', 'signatures'],
      precision: 'high',
      ...(r.severity ? { 'security-severity': r.severity, problem: { severity: problemSeverity(r) } } : {}),
    },
  };
}

function problemSeverity(r: SarifRule): string {
  return r.level === 'note' ? 'recommendation' : r.level;
}

function sarifResult(
  f: SarifFinding,
  ruleIndex: Map<string, number>,
  level: string,
  opts: SarifOptions,
): Record<string, unknown> {
  const t = f.target;
  return {
    ruleId: f.ruleId,
    ruleIndex: ruleIndex.get(f.ruleId),
    level,
    message: { text: sentence(f.message) },
    locations: [location(artifactUri(t, opts.cwd), t)],
    partialFingerprints: {
      primaryLocationLineHash: fingerprint(
        `${f.ruleId}|${fingerprintKey(t)}|${t.digest}|${f.identity ?? ''}`,
      ),
    },
    properties: {
      ref: targetRef(t),
      digest: t.digest || null,
      kind: t.kind,
      ...(t.kind === 'image' && t.platform ? { platform: t.platform } : {}),
    },
  };
}

function location(uri: { uri: string; uriBaseId?: string }, t: Target | undefined): Record<string, unknown> {
  return {
    physicalLocation: {
      artifactLocation: uri,
      region: { startLine: 1, startColumn: 1, endLine: 1, endColumn: 2 },
    },
    ...(t
      ? {
          logicalLocations: [
            {
              name: targetRef(t),
              fullyQualifiedName:
                t.kind === 'image' ? `${t.registry}/${t.repository}@${t.digest || '?'}` : targetRef(t),
              kind: t.kind === 'image' ? 'module' : 'resource',
            },
          ],
        }
      : {}),
  };
}

/** Files: the path (relative to the scan directory when under it). Images: `<registry>/<repository>`, a stable
 * synthetic path GitHub cannot annotate but can group by. */
export function artifactUri(t: Target, cwd?: string): { uri: string; uriBaseId?: string } {
  if (t.kind === 'image') {
    return {
      uri: [t.registry, ...t.repository.split('/')].map(encodeURIComponent).join('/'),
      uriBaseId: '%SRCROOT%',
    };
  }
  // A nested archive points at the file on disk that holds it (GitHub can only annotate real files);
  // the logical location keeps the full `app.war!/WEB-INF/lib/x.jar` path.
  let path = t.container ?? t.path;
  if (isAbsolute(path) && cwd) {
    const rel = relative(cwd, path);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) path = rel;
  }
  const encoded = path.split(sep).join('/').split('/').map(encodeURIComponent).join('/');
  if (isAbsolute(path)) return { uri: `file://${encoded}` };
  return { uri: encoded.replace(/^(\.\/)+/, ''), uriBaseId: '%SRCROOT%' };
}

function summaryLocation(report: ScanReport): { uri: string; uriBaseId?: string } {
  const first = report.inputs[0] ?? '.';
  return {
    uri: first.split('/').map(encodeURIComponent).join('/').replace(/^\/+/, '') || '.',
    uriBaseId: '%SRCROOT%',
  };
}

function fingerprintKey(t: Target): string {
  return t.kind === 'image' ? `${t.registry}/${t.repository}|${t.tag ?? ''}|${t.platform ?? ''}` : t.path;
}

/** Formatted like the upload-sarif action's own value: 16 hex digits, a colon, an occurrence number. */
function fingerprint(seed: string): string {
  return `${createHash('sha256').update(seed).digest('hex').slice(0, 16)}:1`;
}

/** SARIF messages should be sentences (the validator asks for a final period). */
export function sentence(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ');
  return /[.!?]$/.test(t) ? t : `${t}.`;
}
