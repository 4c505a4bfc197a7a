import { SigscanError } from '../../errors.js';
import { decodeBase64 } from '../cosign/index.js';

/** One sigstore attachment as containers/image stores it in `dir:` and lookaside storage. */
export interface ContainersSigstoreSignature {
  mimeType: string;
  payload: Uint8Array;
  annotations: Record<string, string>;
}

const PREFIX = Buffer.from('\x00sigstore-json\n', 'latin1');

/** Whether bytes start with the containers/image sigstore marker (byte 0x00, `sigstore-json`, `\n`). */
export function isContainersSigstoreSignature(bytes: Uint8Array): boolean {
  return bytes.length > PREFIX.length && Buffer.from(bytes.subarray(0, PREFIX.length)).equals(PREFIX);
}

/**
 * Parses `\x00sigstore-json\n{"mimeType":…,"payload":"<base64>","annotations":{…}}` (formats.md §2.2):
 * the layer media type, the payload blob bytes and the layer annotations.
 */
export function parseContainersSigstoreSignature(bytes: Uint8Array): ContainersSigstoreSignature {
  if (!isContainersSigstoreSignature(bytes)) {
    throw new SigscanError('FORMAT_MISMATCH', 'not a containers/image sigstore-json signature');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.subarray(PREFIX.length)).toString('utf8'));
  } catch {
    throw new SigscanError('MALFORMED_SIGNATURE', 'containers/image sigstore-json signature is not JSON');
  }
  const d = doc as { mimeType?: unknown; payload?: unknown; annotations?: unknown };
  if (!d || typeof d !== 'object' || typeof d.mimeType !== 'string' || typeof d.payload !== 'string') {
    throw new SigscanError('MALFORMED_SIGNATURE', 'sigstore-json signature lacks mimeType or payload');
  }
  const annotations: Record<string, string> = {};
  if (d.annotations !== undefined && d.annotations !== null) {
    if (typeof d.annotations !== 'object' || Array.isArray(d.annotations)) {
      throw new SigscanError('MALFORMED_SIGNATURE', 'sigstore-json annotations is not an object');
    }
    for (const [k, v] of Object.entries(d.annotations as Record<string, unknown>)) {
      if (typeof v !== 'string')
        throw new SigscanError('MALFORMED_SIGNATURE', `annotation ${k} is not a string`);
      annotations[k] = v;
    }
  }
  return { mimeType: d.mimeType, payload: decodeBase64(d.payload, 'sigstore-json payload'), annotations };
}
