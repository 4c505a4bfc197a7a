import { SigscanError } from '../../errors.js';

/** The simple-signing payload cosign signs (formats.md §2.3). */
export interface CosignPayload {
  type: string;
  dockerReference?: string;
  manifestDigest: string;
  optional: Record<string, unknown> | null;
}

export const COSIGN_PAYLOAD_TYPE = 'cosign container image signature';

/**
 * Parsed strictly, as containers/image does: exactly `critical` and `optional` at the top, exactly
 * `identity`, `image` and `type` in `critical`. Parse for display only; the signature covers the bytes.
 */
export function parseCosignPayload(bytes: Uint8Array): CosignPayload {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new SigscanError('MALFORMED_SIGNATURE', 'cosign payload is not JSON');
  }
  const top = asObject(doc, 'payload');
  for (const key of Object.keys(top)) {
    if (key !== 'critical' && key !== 'optional') throw malformed(`unexpected top-level field "${key}"`);
  }
  const critical = asObject(top.critical, 'critical');
  for (const key of Object.keys(critical)) {
    if (key !== 'identity' && key !== 'image' && key !== 'type')
      throw malformed(`unexpected field critical.${key}`);
  }
  const image = asObject(critical.image, 'critical.image');
  // Go's encoding/json (cosign's payload.SimpleContainerImage) folds key case, and the last of two
  // case variants wins, while JSON.parse keeps the exact key: `Docker-Manifest-Digest` beside
  // `docker-manifest-digest` would name one image to cosign and another to us. containers/image
  // accepts exactly these keys, so anything else is refused.
  onlyKeys(image, ['docker-manifest-digest'], 'critical.image');
  const digest = image['docker-manifest-digest'];
  if (typeof digest !== 'string') throw malformed('critical.image.docker-manifest-digest is missing');
  const identity = critical.identity === undefined ? {} : asObject(critical.identity, 'critical.identity');
  onlyKeys(identity, ['docker-reference'], 'critical.identity');
  const ref = identity['docker-reference'];
  if (typeof critical.type !== 'string') throw malformed('critical.type is missing');
  const optional = top.optional;
  return {
    type: critical.type,
    dockerReference: typeof ref === 'string' ? ref : undefined,
    manifestDigest: digest,
    optional:
      optional && typeof optional === 'object' && !Array.isArray(optional)
        ? (optional as Record<string, unknown>)
        : null,
  };
}

function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw malformed(`unexpected field ${what}.${key}`);
  }
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw malformed(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function malformed(why: string): SigscanError {
  return new SigscanError('MALFORMED_SIGNATURE', `cosign payload: ${why}`);
}
