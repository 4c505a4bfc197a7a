import type { Finding } from '../../model/index.js';
import {
  checkProtectedHeader,
  malformed,
  NotaryHeader,
  parseChain,
  parseRfc3339,
  readTimestamp,
  type NotationEnvelope,
  type NotationTime,
  type ParseOptions,
} from './common.js';
import { parseNotationPayload } from './payload.js';
import { duplicateJsonKeys } from '../json-keys.js';

export const JWS_MEDIA_TYPE = 'application/jose+json';

const MEMBERS = ['payload', 'protected', 'header', 'signature'];
const REGISTERED_JWS_HEADERS = [
  'alg',
  'jku',
  'jwk',
  'kid',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'typ',
  'cty',
  'crit',
];

/**
 * Notation's JWS envelope: flattened JSON serialisation with exactly four members (formats.md §3.3).
 * The signing input is rebuilt from the base64url strings as received, never from decoded JSON.
 */
export function parseJwsEnvelope(bytes: Uint8Array, options: ParseOptions = {}): NotationEnvelope {
  const issues: Finding[] = [];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw malformed('JWS envelope is not UTF-8 text', cause);
  }
  const trimmed = text.trim();
  if (/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/.test(trimmed)) {
    throw malformed('JWS envelope uses the compact serialisation; notation requires flattened JSON');
  }
  const envelope = parseJsonObject(trimmed, 'JWS envelope');
  checkDuplicates(trimmed, 'JWS envelope', issues);

  const names = Object.keys(envelope);
  const extra = names.filter((n) => !MEMBERS.includes(n));
  if (extra.length) throw malformed(`JWS envelope has members notation does not allow: ${extra.join(', ')}`);
  const missing = MEMBERS.filter((n) => !(n in envelope));
  if (missing.length) throw malformed(`JWS envelope lacks ${missing.join(', ')}`);
  const { payload, protected: protectedB64, header, signature } = envelope;
  if (typeof payload !== 'string' || typeof protectedB64 !== 'string' || typeof signature !== 'string') {
    throw malformed('JWS envelope payload, protected and signature must be strings');
  }
  if (!isObject(header)) throw malformed('JWS envelope "header" is not an object');

  const protectedText = utf8(base64urlSegment(protectedB64, 'protected', issues), 'protected header');
  const protectedHeader = parseJsonObject(protectedText, 'JWS protected header');
  checkDuplicates(protectedText, 'JWS protected header', issues);
  const payloadBytes = base64urlSegment(payload, 'payload', issues);
  const signatureBytes = base64urlSegment(signature, 'signature', issues);
  if (signatureBytes.length === 0) throw malformed('JWS signature is empty');

  const alg = protectedHeader.alg;
  if (typeof alg !== 'string') throw malformed('JWS protected header "alg" is missing');
  const cty = protectedHeader.cty;
  if (cty !== undefined && typeof cty !== 'string')
    throw malformed('JWS protected header "cty" is not a string');
  const crit = protectedHeader.crit;
  if (crit !== undefined && !(Array.isArray(crit) && crit.every((c) => typeof c === 'string'))) {
    throw malformed('JWS protected header "crit" is not an array of strings');
  }
  const signingTime = optionalTime(protectedHeader, NotaryHeader.signingTime);
  const authenticSigningTime = optionalTime(protectedHeader, NotaryHeader.authenticSigningTime);
  const expiry = optionalTime(protectedHeader, NotaryHeader.expiry);
  const signingScheme = checkProtectedHeader(
    {
      alg,
      cty,
      crit,
      signingScheme: protectedHeader[NotaryHeader.signingScheme],
      signingTime,
      authenticSigningTime,
      expiry,
      registeredHeaders: REGISTERED_JWS_HEADERS,
    },
    issues,
  );

  const x5c = header.x5c;
  if (!Array.isArray(x5c) || !x5c.every((c) => typeof c === 'string')) {
    throw malformed('JWS unprotected header "x5c" is missing or not an array of strings');
  }
  const certificates = parseChain(
    x5c.map((c, i) => base64Standard(c, `x5c[${i}]`)),
    options,
  );
  const tsa = header[NotaryHeader.timestampSignature] ?? header[NotaryHeader.timestampLegacy];
  if (tsa !== undefined && typeof tsa !== 'string')
    throw malformed('JWS timestamp signature is not a base64 string');
  const timestampToken = tsa ? base64Standard(tsa, 'timestamp signature') : undefined;
  const agent = header[NotaryHeader.signingAgent];

  const env: NotationEnvelope = {
    envelopeType: 'jws',
    alg,
    crit: crit ?? [],
    signingScheme,
    certificates,
    payloadBytes,
    payload: parseNotationPayload(payloadBytes),
    // The signing input is ASCII by construction (both parts passed the base64url check).
    signedBytes: new TextEncoder().encode(`${protectedB64}.${payload}`),
    signature: signatureBytes,
    issues,
  };
  if (cty !== undefined) env.cty = cty;
  if (signingTime) env.signingTime = signingTime;
  if (authenticSigningTime) env.authenticSigningTime = authenticSigningTime;
  if (expiry) env.expiry = expiry;
  if (typeof agent === 'string') env.signingAgent = agent;
  if (timestampToken) {
    env.timestampToken = timestampToken;
    const ts = readTimestamp(timestampToken, issues);
    if (ts) env.timestamp = ts;
  }
  return env;
}

function optionalTime(header: Record<string, unknown>, name: string): NotationTime | undefined {
  return header[name] === undefined ? undefined : parseRfc3339(header[name], `protected header ${name}`);
}

/**
 * JWS segments must be unpadded base64url. Padding or the standard alphabet is still readable, so it is
 * accepted and reported (formats.md §0.3); the signing input keeps the text as received either way.
 */
function base64urlSegment(text: string, what: string, issues: Finding[]): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    if (!/^[A-Za-z0-9_+/-]*={0,2}$/.test(text)) throw malformed(`JWS ${what} is not base64url`);
    issues.push({
      code: 'NON_CANONICAL_BASE64',
      severity: 'warning',
      message: `JWS ${what} is not unpadded base64url as RFC 7515 requires`,
    });
  }
  return decodeBase64(text.replace(/=+$/, ''), `JWS ${what}`);
}

/** `x5c` and the timestamp token are standard base64 (RFC 7515 §4.1.6); url-safe input is tolerated. */
function base64Standard(text: string, what: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) throw malformed(`JWS ${what} is not base64`);
  return decodeBase64(clean.replace(/=+$/, ''), `JWS ${what}`);
}

function decodeBase64(unpadded: string, what: string): Uint8Array {
  if (unpadded.length % 4 === 1) throw malformed(`${what} has an impossible base64 length`);
  return new Uint8Array(Buffer.from(unpadded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw malformed(`JWS ${what} is not UTF-8`, cause);
  }
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw malformed(`${what} is not valid JSON: ${(cause as Error).message}`, cause);
  }
  if (!isObject(value)) throw malformed(`${what} is not a JSON object`);
  return value;
}

function checkDuplicates(text: string, what: string, issues: Finding[]): void {
  const dups = duplicateJsonKeys(text);
  if (dups.length) {
    issues.push({
      code: 'DUPLICATE_JSON_KEY',
      severity: 'integrity',
      message: `${what} repeats ${dups.map((d) => JSON.stringify(d)).join(', ')}; readers may disagree on its value`,
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
