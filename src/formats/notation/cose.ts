import { decode, encode, Tagged } from 'cborg';

import type { Finding } from '../../model/index.js';
import {
  checkProtectedHeader,
  epochTime,
  malformed,
  NotaryHeader,
  parseChain,
  readTimestamp,
  type NotationEnvelope,
  type NotationTime,
  type ParseOptions,
} from './common.js';
import { parseNotationPayload } from './payload.js';

export const COSE_MEDIA_TYPE = 'application/cose';

const COSE_SIGN1_TAG = 18;
const EPOCH_TIME_TAG = 1;
const LABEL_ALG = 1;
const LABEL_CRIT = 2;
const LABEL_CONTENT_TYPE = 3;
const LABEL_X5CHAIN = 33;

/** COSE algorithm labels notation uses (RFC 9053 / RFC 8230). */
export const COSE_ALGORITHMS: ReadonlyMap<number, string> = new Map([
  [-37, 'PS256'],
  [-38, 'PS384'],
  [-39, 'PS512'],
  [-7, 'ES256'],
  [-35, 'ES384'],
  [-36, 'ES512'],
]);

/** Header labels COSE itself registers (RFC 9052 §3.1), which `crit` must not list. */
const REGISTERED_COSE_LABELS = ['1', '2', '3', '4', '5', '6', '33'];

/**
 * Definite lengths only and no duplicate keys, as go-cose (notation's library) decodes; tags are
 * accepted only where COSE/notation put them, so a surprise tag is a malformed envelope.
 */
const OUTER_OPTIONS = {
  useMaps: true,
  allowIndefinite: false,
  rejectDuplicateMapKeys: true,
  tags: { [COSE_SIGN1_TAG]: Tagged.decoder(COSE_SIGN1_TAG) },
};
const HEADER_OPTIONS = {
  useMaps: true,
  allowIndefinite: false,
  rejectDuplicateMapKeys: true,
  tags: { [EPOCH_TIME_TAG]: Tagged.decoder(EPOCH_TIME_TAG) },
};

/** Notation's COSE envelope: COSE_Sign1_Tagged (formats.md §3.4). */
export function parseCoseEnvelope(bytes: Uint8Array, options: ParseOptions = {}): NotationEnvelope {
  const issues: Finding[] = [];
  let outer: unknown;
  try {
    outer = decode(bytes, OUTER_OPTIONS);
  } catch (cause) {
    throw malformed(`COSE envelope is not valid CBOR: ${(cause as Error).message}`, cause);
  }
  if (!(outer instanceof Tagged) || outer.tag !== COSE_SIGN1_TAG) {
    throw malformed('COSE envelope is not a COSE_Sign1_Tagged (CBOR tag 18)');
  }
  const parts = outer.value as unknown;
  if (!Array.isArray(parts) || parts.length !== 4)
    throw malformed('COSE_Sign1 is not an array of four items');
  const [protectedBytes, unprotected, payloadBytes, signature] = parts as unknown[];
  if (!(protectedBytes instanceof Uint8Array))
    throw malformed('COSE_Sign1 protected header is not a byte string');
  if (!(unprotected instanceof Map)) throw malformed('COSE_Sign1 unprotected header is not a map');
  if (!(payloadBytes instanceof Uint8Array))
    throw malformed('COSE_Sign1 payload is missing (detached payloads are not used by notation)');
  if (!(signature instanceof Uint8Array) || signature.length === 0)
    throw malformed('COSE_Sign1 signature is not a byte string');

  let prot: unknown;
  try {
    prot = protectedBytes.length === 0 ? new Map() : decode(protectedBytes, HEADER_OPTIONS);
  } catch (cause) {
    throw malformed(`COSE protected header is not valid CBOR: ${(cause as Error).message}`, cause);
  }
  if (!(prot instanceof Map)) throw malformed('COSE protected header is not a map');
  const protectedMap = prot as Map<unknown, unknown>;
  const unprotectedMap = unprotected as Map<unknown, unknown>;

  const algLabel = protectedMap.get(LABEL_ALG);
  let alg: string;
  if (typeof algLabel === 'number') alg = COSE_ALGORITHMS.get(algLabel) ?? `COSE(${algLabel})`;
  else if (typeof algLabel === 'string') alg = `COSE(${algLabel})`;
  else throw malformed('COSE protected header has no algorithm (label 1)');

  const critValue = protectedMap.get(LABEL_CRIT);
  let crit: string[] | undefined;
  if (critValue !== undefined) {
    if (
      !Array.isArray(critValue) ||
      !critValue.every((c) => typeof c === 'string' || typeof c === 'number')
    ) {
      throw malformed('COSE protected header crit (label 2) is not an array of labels');
    }
    crit = critValue.map(String);
  }
  const cty = protectedMap.get(LABEL_CONTENT_TYPE);
  if (cty !== undefined && typeof cty !== 'string') {
    throw malformed('COSE content type (label 3) is not text; notation requires its payload media type');
  }
  const signingTime = optionalTime(protectedMap, NotaryHeader.signingTime);
  const authenticSigningTime = optionalTime(protectedMap, NotaryHeader.authenticSigningTime);
  const expiry = optionalTime(protectedMap, NotaryHeader.expiry);
  const signingScheme = checkProtectedHeader(
    {
      alg,
      cty,
      crit,
      signingScheme: protectedMap.get(NotaryHeader.signingScheme),
      signingTime,
      authenticSigningTime,
      expiry,
      registeredHeaders: REGISTERED_COSE_LABELS,
    },
    issues,
  );

  const chainValue = unprotectedMap.get(LABEL_X5CHAIN) ?? protectedMap.get(LABEL_X5CHAIN);
  let ders: Uint8Array[];
  // RFC 9360: a chain of one may be a bare bstr instead of an array.
  if (chainValue instanceof Uint8Array) ders = [chainValue];
  else if (Array.isArray(chainValue) && chainValue.every((c) => c instanceof Uint8Array)) ders = chainValue;
  else throw malformed('COSE x5chain (label 33) is missing or not byte strings');
  const certificates = parseChain(ders, options);

  const token =
    unprotectedMap.get(NotaryHeader.timestampSignature) ?? unprotectedMap.get(NotaryHeader.timestampLegacy);
  if (token !== undefined && !(token instanceof Uint8Array))
    throw malformed('COSE timestamp signature is not a byte string');
  const agent = unprotectedMap.get(NotaryHeader.signingAgent);

  const env: NotationEnvelope = {
    envelopeType: 'cose',
    alg,
    crit: crit ?? [],
    signingScheme,
    certificates,
    payloadBytes,
    payload: parseNotationPayload(payloadBytes),
    signedBytes: coseSign1SignedBytes(protectedBytes, payloadBytes),
    signature,
    issues,
  };
  if (cty !== undefined) env.cty = cty;
  if (signingTime) env.signingTime = signingTime;
  if (authenticSigningTime) env.authenticSigningTime = authenticSigningTime;
  if (expiry) env.expiry = expiry;
  if (typeof agent === 'string') env.signingAgent = agent;
  if (token && token.length > 0) {
    env.timestampToken = token;
    const ts = readTimestamp(token, issues);
    if (ts) env.timestamp = ts;
  }
  return env;
}

/**
 * Sig_structure for COSE_Sign1 (RFC 9052 §4.4): ["Signature1", protected as received, h'', payload],
 * every item with a definite length, which is all cborg encodes.
 */
export function coseSign1SignedBytes(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

/**
 * Notation writes times as tag 1 over an integer. cborg hands back a float with an integral value as
 * the same JS number, so only fractional and non-numeric times can be rejected here.
 */
function optionalTime(map: Map<unknown, unknown>, name: string): NotationTime | undefined {
  const value = map.get(name);
  if (value === undefined) return undefined;
  if (!(value instanceof Tagged) || value.tag !== EPOCH_TIME_TAG || typeof value.value !== 'number') {
    throw malformed(`COSE ${name} is not an epoch time (CBOR tag 1 over an integer)`);
  }
  return epochTime(value.value, `COSE ${name}`);
}
