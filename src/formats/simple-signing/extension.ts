import { SigscanError } from '../../errors.js';

export interface ExtensionSignature {
  /** `sha256:<hex>@<unique-name>` as the registry names it. */
  name: string;
  blob: Uint8Array;
}

/**
 * The body of `GET /extensions/v2/<name>/signatures/<digest>` (formats.md §4.6). Only entries with
 * version 2 (`schemaVersion`, or `version` as the docs spell it) and type `atomic` are kept.
 */
export function parseExtensionSignatures(body: Uint8Array): {
  signatures: ExtensionSignature[];
  skipped: number;
} {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch {
    throw new SigscanError('MALFORMED_ENVELOPE', 'signature extension answer is not JSON');
  }
  const list = (doc as { signatures?: unknown })?.signatures;
  if (list === undefined || list === null) return { signatures: [], skipped: 0 };
  if (!Array.isArray(list)) throw new SigscanError('MALFORMED_ENVELOPE', '"signatures" is not an array');
  const signatures: ExtensionSignature[] = [];
  let skipped = 0;
  for (const [i, entry] of list.entries()) {
    const e = (entry ?? {}) as Record<string, unknown>;
    const version = e.schemaVersion ?? e.version;
    if (version !== 2 || e.type !== 'atomic' || typeof e.content !== 'string') {
      skipped++;
      continue;
    }
    const content = e.content.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(content)) {
      throw new SigscanError('MALFORMED_ENVELOPE', `signature ${i}: content is not base64`);
    }
    signatures.push({
      name: typeof e.name === 'string' ? e.name : `#${i}`,
      blob: new Uint8Array(Buffer.from(content, 'base64')),
    });
  }
  return { signatures, skipped };
}
