import type { ParsedCertificate } from '../../formats/x509.js';
import type { Finding } from '../../model/index.js';
import { crlCovers, crlProblem, serialKey, type CrlEntry, type LoadedCrl } from './crl.js';
import { decideNotationRevocation, decideRevocation } from './decide.js';

/**
 * `off`: nothing is checked. `offline` (the default): only the `--crl` files. `online`: also the CRL
 * distribution points and OCSP responders the certificates name; an unreachable source is a finding.
 * `online-strict`: as online, and a certificate whose status stays unknown fails (REVOCATION_UNKNOWN).
 */
export type RevocationMode = 'off' | 'offline' | 'online' | 'online-strict';
export const REVOCATION_MODES: readonly RevocationMode[] = ['off', 'offline', 'online', 'online-strict'];

/** What one revocation source said about one certificate. */
export type SourceAnswer =
  | { status: 'good'; source: string }
  | { status: 'revoked'; entry: CrlEntry; source: string }
  | { status: 'unavailable'; source: string; problem: string };

/** Asks the sources a certificate names (OCSP in its AIA, its CRL distribution points). */
export interface OnlineRevocation {
  /** One answer per source tried, in the order tried; empty when the certificate names none. */
  check(cert: ParsedCertificate, issuer: ParsedCertificate, checkTime: Date): Promise<SourceAnswer[]>;
}

export interface RevocationOptions {
  mode: RevocationMode;
  crls: LoadedCrl[];
  online?: OnlineRevocation;
  /** When validity is judged: `--at` or now. CRLs and OCSP answers must be current at this instant. */
  checkTime: Date;
  /** The trusted timestamp's time, when the signature has one that counts (see decideRevocation). */
  signingTime?: Date;
  /** `notation`: decideNotationRevocation (notation-core-go) instead of the Authenticode rule. */
  rule?: 'notation';
  /** Receives what did not decide the verdict but a reader must know (a CRL not used, a source down). */
  findings?: Finding[];
}

export type RevocationCode = 'NOT_REVOKED' | 'CERT_REVOKED' | 'REVOCATION_UNKNOWN' | 'REVOCATION_NOT_CHECKED';

export interface RevocationResult {
  ok: boolean;
  code: RevocationCode;
  message: string;
}

/**
 * Checks every certificate of a validated path except the anchor (a trust anchor is trusted by being
 * supplied, RFC 5280 §6.1) against the CRLs of its issuer, then, online, against the sources it names.
 * A revoked certificate anywhere fails the path; a certificate nothing vouches for is unknown.
 */
export async function checkPathRevocation(
  path: ParsedCertificate[],
  opts: RevocationOptions,
): Promise<RevocationResult> {
  if (opts.mode === 'off') {
    return { ok: true, code: 'REVOCATION_NOT_CHECKED', message: 'revocation not checked (--revocation off)' };
  }
  const unknown: string[] = [];
  let checked = 0;
  let sourceless = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    const answers = offlineAnswers(cert, issuer, opts);
    if (opts.online && opts.mode !== 'offline' && !answers.some((a) => a.status !== 'unavailable')) {
      const online = await opts.online.check(cert, issuer, opts.checkTime);
      // notation-go's "non-revokable": a certificate naming no CRL or OCSP source cannot be revoked
      // through one, so there is nothing unknown about it.
      if (online.length === 0 && answers.length === 0) {
        sourceless++;
        continue;
      }
      answers.push(...online);
    }
    let good = false;
    for (const answer of answers) {
      if (answer.status === 'unavailable') {
        opts.findings?.push({
          code: 'REVOCATION_SOURCE_NOT_USED',
          severity: 'warning',
          message: `${answer.source} was not used to check ${cert.summary.subject}: ${answer.problem}`,
        });
        continue;
      }
      if (answer.status === 'good') {
        good = true;
        continue;
      }
      const decide = opts.rule === 'notation' ? decideNotationRevocation : decideRevocation;
      const decision = decide(cert.summary.subject, answer.entry, opts.signingTime, opts.checkTime);
      if (decision.revoked) {
        return { ok: false, code: 'CERT_REVOKED', message: `${decision.message} (${answer.source})` };
      }
      opts.findings?.push({ code: 'CERT_REVOKED_LATER', severity: 'info', message: decision.message });
      good = true;
    }
    if (good) checked++;
    else unknown.push(cert.summary.subject);
  }
  if (unknown.length === 0) {
    return {
      ok: true,
      code: 'NOT_REVOKED',
      message:
        `revocation checked (${opts.mode}): ${checked} certificate(s) not revoked` +
        (sourceless ? `, ${sourceless} naming no revocation source` : ''),
    };
  }
  const what = `the revocation status of ${unknown.join(', ')} is unknown`;
  if (opts.mode === 'online-strict') {
    return {
      ok: false,
      code: 'REVOCATION_UNKNOWN',
      message: `${what}, and --revocation online-strict requires it`,
    };
  }
  const hint = opts.mode === 'offline' ? ' (offline: only --crl files are read)' : '';
  return { ok: true, code: 'REVOCATION_UNKNOWN', message: `${what}${hint}` };
}

function offlineAnswers(
  cert: ParsedCertificate,
  issuer: ParsedCertificate,
  opts: RevocationOptions,
): SourceAnswer[] {
  const out: SourceAnswer[] = [];
  for (const crl of opts.crls) {
    if (!crlCovers(crl, cert)) continue;
    const problem = crlProblem(crl, issuer, opts.checkTime);
    if (problem) {
      out.push({ status: 'unavailable', source: `CRL ${crl.source}`, problem });
      continue;
    }
    out.push(answerFromCrl(crl, cert));
  }
  return out;
}

/** The CRL's word on the certificate; the CRL must already be known usable for its issuer. */
export function answerFromCrl(crl: LoadedCrl, cert: ParsedCertificate): SourceAnswer {
  const entry = crl.entries.get(serialKey(cert.serialNumber));
  const source = `CRL ${crl.source}`;
  return entry ? { status: 'revoked', entry, source } : { status: 'good', source };
}
