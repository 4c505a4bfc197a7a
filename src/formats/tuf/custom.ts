import { createHash, createPublicKey } from 'node:crypto';

/**
 * What a TUF target's `custom` field carries. DCT leaves it empty; Signy (formats.md §5.6) stores
 * in-toto metadata there as `{"key":<b64 PEM>,"layout":<b64 JSON>,"links":{"<name>.link":<b64 JSON>}}`,
 * and CNAB tooling may embed a bundle. Parsed for display only: nothing here is verified.
 */
export interface CustomSummary {
  kind: 'in-toto' | 'cnab-bundle' | 'other';
  /** in-toto: SHA-256 of the layout key's DER SPKI, when the PEM parses. */
  layoutKeySpkiSha256?: string;
  layoutKeyAlgorithm?: string;
  layoutType?: string;
  layoutExpires?: string;
  layoutSignatureKeyIds?: string[];
  layoutSteps?: string[];
  links?: Array<{ file: string; step?: string; keyIds?: string[] }>;
  /** CNAB bundle name/version. */
  bundleName?: string;
  bundleVersion?: string;
  schemaVersion?: string;
  invocationImages?: string[];
  /** `other`: the top-level keys. */
  keys?: string[];
  /** A plain statement for reports about what the field is worth. */
  note?: string;
  problems?: string[];
}

export const LAYOUT_KEY_NOTE =
  'the in-toto layout key travels inside the TUF custom field, so it is only as trustworthy as the ' +
  'targets signature that covers it; it is not an independent trust anchor';

const MAX_LINKS = 256;

export function parseCustom(custom: unknown): CustomSummary | undefined {
  if (custom === undefined || custom === null) return undefined;
  if (!isObject(custom)) return { kind: 'other' };
  if ('layout' in custom || 'links' in custom) return parseInToto(custom);
  if (typeof custom['schemaVersion'] === 'string' && ('invocationImages' in custom || 'name' in custom)) {
    const images = Array.isArray(custom['invocationImages'])
      ? custom['invocationImages']
          .map((i) => (isObject(i) && typeof i['image'] === 'string' ? i['image'] : undefined))
          .filter((s): s is string => s !== undefined)
      : undefined;
    return {
      kind: 'cnab-bundle',
      schemaVersion: custom['schemaVersion'],
      bundleName: str(custom['name']),
      bundleVersion: str(custom['version']),
      invocationImages: images,
    };
  }
  return { kind: 'other', keys: Object.keys(custom).sort().slice(0, 32) };
}

function parseInToto(custom: Record<string, unknown>): CustomSummary {
  const out: CustomSummary = { kind: 'in-toto', note: LAYOUT_KEY_NOTE, problems: [] };
  const keyPem = decodeB64(custom['key']);
  if (keyPem) {
    try {
      const key = createPublicKey(Buffer.from(keyPem).toString('latin1'));
      out.layoutKeySpkiSha256 = createHash('sha256')
        .update(key.export({ type: 'spki', format: 'der' }))
        .digest('hex');
      out.layoutKeyAlgorithm = key.asymmetricKeyType;
    } catch (err) {
      out.problems!.push(`layout key: ${(err as Error).message}`);
    }
  }
  const layout = jsonOf(decodeB64(custom['layout']));
  if (layout && isObject(layout['signed'])) {
    const signed = layout['signed'];
    out.layoutType = str(signed['_type']);
    out.layoutExpires = str(signed['expires']);
    out.layoutSteps = Array.isArray(signed['steps'])
      ? signed['steps'].map((s) => (isObject(s) ? str(s['name']) : undefined)).filter(isString)
      : undefined;
    out.layoutSignatureKeyIds = sigKeyIds(layout['signatures']);
  } else if (custom['layout'] !== undefined) out.problems!.push('layout is not base64 in-toto JSON');
  const links = custom['links'];
  if (isObject(links)) {
    out.links = Object.keys(links)
      .sort()
      .slice(0, MAX_LINKS)
      .map((file) => {
        const link = jsonOf(decodeB64(links[file]));
        const signed = link && isObject(link['signed']) ? link['signed'] : undefined;
        return {
          file,
          step: signed ? str(signed['name']) : undefined,
          keyIds: sigKeyIds(link?.['signatures']),
        };
      });
  }
  if (out.problems!.length === 0) delete out.problems;
  return out;
}

function sigKeyIds(sigs: unknown): string[] | undefined {
  if (!Array.isArray(sigs)) return undefined;
  return sigs.map((s) => (isObject(s) ? str(s['keyid']) : undefined)).filter(isString);
}

function decodeB64(v: unknown): Uint8Array | undefined {
  if (typeof v !== 'string') return undefined;
  return new Uint8Array(Buffer.from(v, 'base64'));
}

function jsonOf(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isString(v: string | undefined): v is string {
  return v !== undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
