import { SigscanError } from '../../errors.js';

/**
 * securesystemslib / OLPC canonical JSON (formats.md §0.4 flavour 1), the bytes classic in-toto
 * metadata signatures cover: object keys sorted by code point, no insignificant whitespace, strings
 * escape only `"` and `\` (everything else, control characters and non-ASCII included, is written
 * raw as UTF-8), numbers must be integers, `true`/`false`/`null` as usual.
 *
 * Hand-written on purpose: no maintained npm package implements this flavour. `canonicalize` and
 * `json-canonicalize` are RFC 8785 JCS (ECMAScript escaping of control characters, UTF-16 key order,
 * float formatting), and `canonical-json`/`olpc-json` are unmaintained; a byte of difference breaks
 * every signature, so the rules live here, next to the tests that pin them to in-toto's own output.
 */
export function canonicalJson(value: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(encode(value, 0), 'utf8'));
}

/** Code-point order, as Python's `sorted()` orders `str` keys (JS `sort()` compares UTF-16 units). */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

const MAX_DEPTH = 64;

function encode(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new SigscanError('MALFORMED_ENVELOPE', 'canonical JSON: nesting too deep');
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new SigscanError('MALFORMED_ENVELOPE', `canonical JSON allows integers only, got ${value}`);
    }
    return String(Object.is(value, -0) ? 0 : value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => encode(v, depth + 1)).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).sort(compareCodePoints);
    return `{${keys.map((k) => `${encode(k, depth + 1)}:${encode(obj[k], depth + 1)}`).join(',')}}`;
  }
  throw new SigscanError('MALFORMED_ENVELOPE', `canonical JSON cannot encode a ${typeof value}`);
}
