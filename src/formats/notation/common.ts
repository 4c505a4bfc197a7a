import { SigscanError } from '../../errors.js';
import { wallClockExists } from '../../util/time.js';
import type { Finding } from '../../model/index.js';
import { parseTimeStampToken, type TimestampInfo } from '../cms.js';
import { parseCertificate, type ParsedCertificate } from '../x509.js';
import { NOTATION_PAYLOAD_MEDIA_TYPE, type NotationPayload } from './payload.js';

/** Header names shared by the JWS and COSE envelopes (formats.md §3.3, §3.4). */
export const NotaryHeader = {
  signingScheme: 'io.cncf.notary.signingScheme',
  signingTime: 'io.cncf.notary.signingTime',
  authenticSigningTime: 'io.cncf.notary.authenticSigningTime',
  expiry: 'io.cncf.notary.expiry',
  signingAgent: 'io.cncf.notary.signingAgent',
  timestampSignature: 'io.cncf.notary.timestampSignature',
  /** The spec's envelope example spells it this way; notation-core-go uses `timestampSignature`. */
  timestampLegacy: 'io.cncf.notary.timestamp',
  verificationPlugin: 'io.cncf.notary.verificationPlugin',
  verificationPluginMinVersion: 'io.cncf.notary.verificationPluginMinVersion',
} as const;

export const SIGNING_SCHEMES = ['notary.x509', 'notary.x509.signingAuthority'] as const;
export const NOTATION_ALGORITHMS = ['PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'] as const;

/** A time from the envelope: the instant, and the value exactly as written (RFC 3339 text or epoch seconds). */
export interface NotationTime {
  date: Date;
  text: string;
}

export interface NotationEnvelope {
  envelopeType: 'jws' | 'cose';
  /** `PS256`...; a COSE label we do not know is kept as `COSE(<label>)`. */
  alg: string;
  cty?: string;
  crit: string[];
  signingScheme: string;
  /** Signer's clock, untrusted (`notary.x509`). */
  signingTime?: NotationTime;
  /** Asserted by the signing authority (`notary.x509.signingAuthority`). */
  authenticSigningTime?: NotationTime;
  expiry?: NotationTime;
  signingAgent?: string;
  /** Leaf first, as the envelope orders them. */
  certificates: ParsedCertificate[];
  /** RFC 3161 countersignature over `signature`, when present and readable. */
  timestamp?: TimestampInfo;
  timestampToken?: Uint8Array;
  /** The exact payload bytes (JSON), as signed. */
  payloadBytes: Uint8Array;
  payload: NotationPayload;
  /** What the signature covers: JWS `protected.payload` ASCII, or the COSE Sig_structure encoding. */
  signedBytes: Uint8Array;
  /** Raw signature value (`r‖s` for ECDSA). */
  signature: Uint8Array;
  /**
   * Deviations found while reading that do not stop parsing (unknown `crit` entries, wrong `cty`,
   * missing signing time, ...). `integrity` ones fail the signature whatever the trust roots say.
   */
  issues: Finding[];
}

export interface ParseOptions {
  /** Certificates accepted from one envelope (golden rule 3); default 64. */
  maxCertificates?: number;
}

export function malformed(message: string, cause?: unknown): SigscanError {
  return new SigscanError('MALFORMED_ENVELOPE', message, cause === undefined ? undefined : { cause });
}

/** Parses RFC 3339 in full (offsets, fractional seconds, lowercase `t`/`z`); anything else is malformed. */
export function parseRfc3339(text: unknown, what: string): NotationTime {
  if (typeof text !== 'string') throw malformed(`${what} is not a string`);
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) throw malformed(`${what} is not an RFC 3339 time: ${JSON.stringify(text)}`);
  // Date.parse only takes millisecond precision reliably; extra digits cannot change the second.
  const fraction = m[3] ? m[3].slice(0, 4) : '';
  const zone = m[4]!.toUpperCase();
  const date = new Date(`${m[1]}T${m[2]}${fraction}${zone}`);
  if (Number.isNaN(date.getTime()) || !wallClockExists(m[1]!, m[2]!)) {
    throw malformed(`${what} is not a valid time: ${JSON.stringify(text)}`);
  }
  return { date, text };
}

export function epochTime(seconds: number, what: string): NotationTime {
  if (!Number.isSafeInteger(seconds)) throw malformed(`${what} is not an integer epoch time: ${seconds}`);
  return { date: new Date(seconds * 1000), text: String(seconds) };
}

export function parseChain(ders: Uint8Array[], options: ParseOptions): ParsedCertificate[] {
  const max = options.maxCertificates ?? 64;
  if (ders.length === 0) throw malformed('envelope carries no signing certificate (x5c/x5chain is empty)');
  if (ders.length > max)
    throw malformed(`envelope carries ${ders.length} certificates, more than the limit ${max}`);
  return ders.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (cause) {
      throw malformed(
        `certificate ${i} of the envelope chain is not valid X.509: ${(cause as Error).message}`,
        cause,
      );
    }
  });
}

/**
 * A broken timestamp token does not make the signature unreadable: notation only consults it when a
 * timestamp must be checked, so it becomes a warning and the raw token is kept for the trust layer.
 */
export function readTimestamp(token: Uint8Array | undefined, issues: Finding[]): TimestampInfo | undefined {
  if (!token) return undefined;
  try {
    return parseTimeStampToken(token);
  } catch (err) {
    issues.push({
      code: 'MALFORMED_TIMESTAMP',
      severity: 'warning',
      message: `the RFC 3161 timestamp token cannot be read: ${(err as Error).message}`,
    });
    return undefined;
  }
}

const UNDERSTOOD_CRIT = new Set<string>([
  NotaryHeader.signingScheme,
  NotaryHeader.authenticSigningTime,
  NotaryHeader.expiry,
]);
const PLUGIN_CRIT = new Set<string>([
  NotaryHeader.verificationPlugin,
  NotaryHeader.verificationPluginMinVersion,
]);

export interface HeaderFacts {
  alg: string;
  cty?: string;
  crit?: string[];
  signingScheme: unknown;
  signingTime?: NotationTime;
  authenticSigningTime?: NotationTime;
  expiry?: NotationTime;
  /** Names of protected headers registered by JWS/COSE itself, which `crit` must not list. */
  registeredHeaders: string[];
}

/** The checks of formats.md §3.3/§3.5 that concern the protected header, as findings. */
export function checkProtectedHeader(h: HeaderFacts, issues: Finding[]): string {
  if (typeof h.signingScheme !== 'string')
    throw malformed(`protected header ${NotaryHeader.signingScheme} is missing`);
  const scheme = h.signingScheme;
  if (!(SIGNING_SCHEMES as readonly string[]).includes(scheme)) {
    issues.push({
      code: 'UNKNOWN_SIGNING_SCHEME',
      severity: 'integrity',
      message: `unknown signing scheme "${scheme}"`,
    });
  }
  if (!(NOTATION_ALGORITHMS as readonly string[]).includes(h.alg)) {
    issues.push({
      code: 'UNSUPPORTED_ALGORITHM',
      severity: 'integrity',
      message: `signature algorithm ${h.alg} is not one notation allows (${NOTATION_ALGORITHMS.join(', ')})`,
    });
  }
  if (h.cty !== NOTATION_PAYLOAD_MEDIA_TYPE) {
    issues.push({
      code: 'UNEXPECTED_CONTENT_TYPE',
      severity: 'integrity',
      message: `payload content type is ${h.cty === undefined ? 'missing' : `"${h.cty}"`}, expected ${NOTATION_PAYLOAD_MEDIA_TYPE}`,
    });
  }
  const crit = h.crit ?? [];
  if (!crit.includes(NotaryHeader.signingScheme)) {
    issues.push({
      code: 'CRIT_MISSING_SIGNING_SCHEME',
      severity: 'integrity',
      message: `"crit" does not list ${NotaryHeader.signingScheme}`,
    });
  }
  for (const [name, present] of [
    [NotaryHeader.authenticSigningTime, h.authenticSigningTime],
    [NotaryHeader.expiry, h.expiry],
  ] as const) {
    if (present && !crit.includes(name)) {
      issues.push({
        code: 'CRIT_MISSING_HEADER',
        severity: 'integrity',
        message: `"crit" does not list ${name}`,
      });
    }
  }
  for (const entry of crit) {
    if (UNDERSTOOD_CRIT.has(entry)) continue;
    if (PLUGIN_CRIT.has(entry)) {
      issues.push({
        code: 'VERIFICATION_PLUGIN_REQUIRED',
        severity: 'warning',
        message: `"crit" lists ${entry}: verification needs a notation plugin`,
      });
    } else if (h.registeredHeaders.includes(entry)) {
      issues.push({
        code: 'CRIT_REGISTERED_HEADER',
        severity: 'integrity',
        message: `"crit" lists registered header ${entry}`,
      });
    } else {
      issues.push({
        code: 'UNKNOWN_CRITICAL_HEADER',
        severity: 'integrity',
        message: `unknown critical header ${entry}`,
      });
    }
  }
  if (scheme === 'notary.x509' && !h.signingTime) {
    issues.push({
      code: 'MISSING_SIGNING_TIME',
      severity: 'integrity',
      message: `scheme notary.x509 requires ${NotaryHeader.signingTime}`,
    });
  }
  if (scheme === 'notary.x509.signingAuthority' && !h.authenticSigningTime) {
    issues.push({
      code: 'MISSING_SIGNING_TIME',
      severity: 'integrity',
      message: `scheme notary.x509.signingAuthority requires ${NotaryHeader.authenticSigningTime}`,
    });
  }
  return scheme;
}
