import { SigscanError } from '../../errors.js';

/**
 * Canonical JSON as notary's vendored `docker/go/canonical/json` and securesystemslib (OLPC style)
 * write it (formats.md §0.4 flavour 1): keys sorted by their UTF-8 bytes, no whitespace, strings
 * escaping only `"` and `\` (control characters and non-ASCII are written raw), integers only.
 *
 * Hand-written on purpose: the npm canonical-JSON packages implement RFC 8785 (JCS: UTF-16 key order,
 * `\uXXXX` escapes for control characters, ECMAScript number formatting) or OLPC variants that escape
 * differently, and any of those differences changes the signed bytes.
 */
export function canonicalJson(value: unknown): Uint8Array {
  return Buffer.from(canonicalJsonString(value), 'utf8');
}

/**
 * The canonical text. Encoding it as UTF-8 gives the signed bytes; lone surrogates (possible only
 * through `\ud8xx` escapes) become U+FFFD, as Go's decoder makes them.
 */
export function canonicalJsonString(value: unknown): string {
  const out: string[] = [];
  write(value, out, 0);
  return out.join('');
}

const MAX_DEPTH = 128;

function write(value: unknown, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) throw new SigscanError('MALFORMED_ENVELOPE', 'canonical JSON: nesting too deep');
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value) || !Number.isInteger(value)) {
        throw new SigscanError('MALFORMED_ENVELOPE', `canonical JSON allows integers only, got ${value}`);
      }
      if (!Number.isSafeInteger(value)) {
        // Go and Python would print the exact integer; a JS number has already lost it.
        throw new SigscanError('MALFORMED_ENVELOPE', `canonical JSON: integer ${value} is out of range`);
      }
      out.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'string':
      out.push(quote(value));
      return;
    case 'object':
      if (Array.isArray(value)) {
        out.push('[');
        value.forEach((v, i) => {
          if (i > 0) out.push(',');
          write(v, out, depth + 1);
        });
        out.push(']');
        return;
      }
      {
        const obj = value as Record<string, unknown>;
        const keys = Object.keys(obj).sort(compareUtf8);
        out.push('{');
        keys.forEach((k, i) => {
          if (i > 0) out.push(',');
          out.push(quote(k), ':');
          write(obj[k], out, depth + 1);
        });
        out.push('}');
      }
      return;
    default:
      throw new SigscanError('MALFORMED_ENVELOPE', `canonical JSON cannot encode a ${typeof value}`);
  }
}

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** Byte order of the UTF-8 encodings (= code point order, which differs from JS's UTF-16 order). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
