import { SigscanError } from '../../errors.js';
import type { Descriptor } from '../../oci/types.js';

/** Media type of the signed payload (`cty` in JWS, label 3 in COSE). */
export const NOTATION_PAYLOAD_MEDIA_TYPE = 'application/vnd.cncf.notary.payload.v1+json';

export interface NotationPayload {
  /** The OCI descriptor the signer claims to sign; compared with the target by the detector. */
  targetArtifact: Descriptor;
}

const DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Reads the payload as stored. The bytes are plain Go `encoding/json` output (formats.md §0.4), so they
 * are never re-encoded: callers hash and verify the original bytes and only read fields from this.
 */
export function parseNotationPayload(bytes: Uint8Array): NotationPayload {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw new SigscanError(
      'MALFORMED_ENVELOPE',
      `notation payload is not valid JSON: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  if (!isObject(json) || !isObject(json.targetArtifact)) {
    throw new SigscanError('MALFORMED_ENVELOPE', 'notation payload has no targetArtifact object');
  }
  const t = json.targetArtifact;
  if (typeof t.mediaType !== 'string' || t.mediaType === '') {
    throw new SigscanError('MALFORMED_ENVELOPE', 'notation payload targetArtifact.mediaType is missing');
  }
  if (typeof t.digest !== 'string' || !DIGEST_RE.test(t.digest)) {
    throw new SigscanError(
      'MALFORMED_ENVELOPE',
      `notation payload targetArtifact.digest is not a digest: ${(JSON.stringify(t.digest) ?? 'undefined').slice(0, 100)}`,
    );
  }
  if (typeof t.size !== 'number' || !Number.isSafeInteger(t.size) || t.size < 0) {
    throw new SigscanError(
      'MALFORMED_ENVELOPE',
      'notation payload targetArtifact.size is not a non-negative integer',
    );
  }
  const targetArtifact: Descriptor = { mediaType: t.mediaType, digest: t.digest, size: t.size };
  if (typeof t.artifactType === 'string') targetArtifact.artifactType = t.artifactType;
  if (isObject(t.annotations)) {
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(t.annotations)) if (typeof v === 'string') annotations[k] = v;
    targetArtifact.annotations = annotations;
  }
  return { targetArtifact };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
