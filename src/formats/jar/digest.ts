import { createHash, hash } from 'node:crypto';

/**
 * Digest algorithm names as they appear in `<ALG>-Digest` attributes, folded to one spelling. Legacy
 * spellings (`SHA`, `SHA1`) occur in JARs signed before JDK 1.5.
 */
const ALIASES: Record<string, string> = {
  MD5: 'MD5',
  SHA: 'SHA-1',
  SHA1: 'SHA-1',
  'SHA-1': 'SHA-1',
  'SHA-224': 'SHA-224',
  SHA224: 'SHA-224',
  'SHA-256': 'SHA-256',
  SHA256: 'SHA-256',
  'SHA-384': 'SHA-384',
  SHA384: 'SHA-384',
  'SHA-512': 'SHA-512',
  SHA512: 'SHA-512',
};

const NODE_NAMES: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

const STRENGTH = ['MD5', 'SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512'];

/** Canonical name for a supported algorithm, undefined for one we cannot compute. */
export function canonicalDigest(name: string): string | undefined {
  return ALIASES[name.toUpperCase()];
}

/** One-shot (crypto.hash): no Hash object per call, which showed on JARs of thousands of small entries. */
export function digestBytes(algorithm: string, data: Uint8Array): Uint8Array {
  return hash(nodeName(algorithm), data, 'buffer');
}

export function newHash(algorithm: string): ReturnType<typeof createHash> {
  return createHash(nodeName(algorithm));
}

function nodeName(algorithm: string): string {
  const n = NODE_NAMES[algorithm];
  if (!n) throw new Error(`unsupported digest algorithm ${algorithm}`);
  return n;
}

export function strongest(algorithms: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const a of algorithms) if (!best || STRENGTH.indexOf(a) > STRENGTH.indexOf(best)) best = a;
  return best;
}

export function isWeakDigest(algorithm: string): boolean {
  return algorithm === 'MD5' || algorithm === 'SHA-1' || algorithm === 'MD2';
}

/** MD2/MD5 are in the JDK's jdk.jar.disabledAlgorithms: such signatures count as absent there. */
export function isDisabledDigest(algorithm: string): boolean {
  return algorithm === 'MD5' || algorithm === 'MD2';
}

const WHITESPACE = /\s/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Manifest digests are standard base64; tolerate stray whitespace, reject anything undecodable. The
 * bytes are only compared, so the decoded Buffer is returned as is (one per entry of a large JAR).
 */
export function decodeDigest(value: string): Uint8Array | undefined {
  const compact = WHITESPACE.test(value) ? value.replace(/\s+/g, '') : value;
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

export interface DigestAttribute {
  /** Canonical algorithm name, or the raw prefix when unsupported. */
  algorithm: string;
  supported: boolean;
  expected: Uint8Array | undefined;
}

/**
 * `<ALG><suffix>` attributes of a section, e.g. suffix `-Digest` for entries or `-Digest-Manifest` for
 * the .SF main section. Matching is case-insensitive, as java.util.jar.Attributes is.
 */
export function digestAttributes(
  attributes: Array<{ name: string; value: string }>,
  suffix: string,
): DigestAttribute[] {
  const out: DigestAttribute[] = [];
  const lowerSuffix = suffix.toLowerCase();
  for (const a of attributes) {
    const lower = a.name.toLowerCase();
    if (!lower.endsWith(lowerSuffix) || lower.length === lowerSuffix.length) continue;
    const prefix = a.name.slice(0, a.name.length - suffix.length);
    const canonical = canonicalDigest(prefix);
    out.push({
      algorithm: canonical ?? prefix,
      supported: Boolean(canonical),
      expected: decodeDigest(a.value),
    });
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  if (b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
