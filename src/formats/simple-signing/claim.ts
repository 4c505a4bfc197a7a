import { SigscanError } from '../../errors.js';
import { duplicateJsonKeys } from '../json-keys.js';

/** The signed JSON of a simple signature (formats.md §4.2). */
export interface SimpleSigningClaim {
  manifestDigest: string;
  dockerReference: string;
  creator?: string;
  /** Seconds since the epoch, as the signer claims it (untrusted). */
  timestamp?: number;
  /** Every member of `optional`, unknown ones included. */
  optional: Record<string, unknown>;
}

export const CLAIM_TYPE = 'atomic container signature';

function malformed(message: string): SigscanError {
  return new SigscanError('MALFORMED_SIGNATURE', `simple-signing claim: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactMembers(obj: Record<string, unknown>, names: string[], where: string): void {
  const keys = Object.keys(obj);
  const extra = keys.filter((k) => !names.includes(k));
  if (extra.length) throw malformed(`unknown member(s) ${extra.map((k) => `"${k}"`).join(', ')} in ${where}`);
  const missing = names.filter((k) => !(k in obj));
  if (missing.length) throw malformed(`${where} lacks ${missing.map((k) => `"${k}"`).join(', ')}`);
}

/**
 * Strict parse, as containers/image's `untrustedSignature.strictUnmarshalJSON`: exactly `critical`
 * and `optional` at the top, nothing unknown anywhere under `critical`, duplicate keys rejected.
 */
export function parseClaim(bytes: Uint8Array): SimpleSigningClaim {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw malformed('not UTF-8');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  const dups = duplicateJsonKeys(text);
  if (dups.length) throw malformed(`duplicate key(s) ${dups.map((k) => `"${k}"`).join(', ')}`);
  if (!isObject(doc)) throw malformed('not a JSON object');
  exactMembers(doc, ['critical', 'optional'], 'the top level');
  const { critical, optional } = doc;
  if (!isObject(critical)) throw malformed('"critical" is not an object');
  if (!isObject(optional)) throw malformed('"optional" is not an object');
  exactMembers(critical, ['type', 'image', 'identity'], '"critical"');
  if (critical.type !== CLAIM_TYPE) {
    throw malformed(`critical.type is ${JSON.stringify(critical.type)}, not "${CLAIM_TYPE}"`);
  }
  const { image, identity } = critical;
  if (!isObject(image)) throw malformed('critical.image is not an object');
  exactMembers(image, ['docker-manifest-digest'], 'critical.image');
  if (!isObject(identity)) throw malformed('critical.identity is not an object');
  exactMembers(identity, ['docker-reference'], 'critical.identity');
  const digest = image['docker-manifest-digest'];
  const reference = identity['docker-reference'];
  if (typeof digest !== 'string' || !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) {
    throw malformed(`critical.image.docker-manifest-digest ${JSON.stringify(digest)} is not a digest`);
  }
  if (typeof reference !== 'string') throw malformed('critical.identity.docker-reference is not a string');
  const claim: SimpleSigningClaim = { manifestDigest: digest, dockerReference: reference, optional };
  if ('creator' in optional) {
    if (typeof optional.creator !== 'string') throw malformed('optional.creator is not a string');
    claim.creator = optional.creator;
  }
  if ('timestamp' in optional) {
    const ts = optional.timestamp;
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || /"timestamp"\s*:\s*-?\d+[.eE]/.test(text)) {
      throw malformed('optional.timestamp is not an integer number of seconds');
    }
    claim.timestamp = ts;
  }
  return claim;
}
