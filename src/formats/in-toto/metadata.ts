import { createHash } from 'node:crypto';

import { SigscanError } from '../../errors.js';
import { pae, parseDsseEnvelope } from '../dsse/index.js';
import { canonicalJson } from './canonical.js';

/** DSSE payload type of in-toto layouts and links wrapped in an envelope (in-toto-golang, in-toto 2.x). */
export const IN_TOTO_DSSE_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** A securesystemslib public key as a layout lists it (`keys`), keeping the fields the key id covers. */
export interface InTotoKey {
  keyid: string;
  keytype: string;
  scheme: string;
  /** PEM for rsa/ecdsa, lower-case hex of the 32 raw bytes for ed25519. */
  publicKey: string;
  /** The key object as written (without `keyid`), for recomputing the key id. */
  raw: Record<string, unknown>;
}

/** An artifact rule as written, e.g. `["MATCH", "foo.py", "WITH", "PRODUCTS", "FROM", "write-code"]`. */
export type ArtifactRule = string[];

export interface InTotoStep {
  name: string;
  pubkeys: string[];
  threshold: number;
  expectedMaterials: ArtifactRule[];
  expectedProducts: ArtifactRule[];
  expectedCommand: string[];
}

export interface InTotoInspection {
  name: string;
  /** The command the layout wants run; sigscan reports it and never executes it. */
  run: string[];
  expectedMaterials: ArtifactRule[];
  expectedProducts: ArtifactRule[];
}

export interface InTotoLayout {
  type: 'layout';
  expires: string;
  keys: Record<string, InTotoKey>;
  steps: InTotoStep[];
  inspections: InTotoInspection[];
  readme?: string;
}

/** `{path: {algorithm: hexdigest}}`. */
export type ArtifactMap = Record<string, Record<string, string>>;

export interface InTotoLink {
  type: 'link';
  name: string;
  materials: ArtifactMap;
  products: ArtifactMap;
  byproducts: Record<string, unknown>;
  command: string[];
}

export interface InTotoSignature {
  /** Unauthenticated hint; for DSSE optional. */
  keyid?: string;
  sig: Uint8Array;
}

/** A classic Metablock (`{"signed","signatures"}`) or a DSSE envelope whose payload is the `signed` object. */
export interface InTotoMetadata {
  wrapper: 'metablock' | 'dsse';
  /** The `signed` object as parsed, kept whole for canonical re-encoding. */
  signed: Record<string, unknown>;
  /** What every signature covers: canonical JSON of `signed`, or the DSSE PAE. */
  signedBytes: Uint8Array;
  signatures: InTotoSignature[];
  body: InTotoLayout | InTotoLink;
}

const fail = (message: string): never => {
  throw new SigscanError('MALFORMED_ENVELOPE', message);
};

function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return fail(`${what} is not JSON`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses in-toto layout or link metadata, classic or DSSE-wrapped. Throws MALFORMED_ENVELOPE. */
export function parseInTotoMetadata(bytes: Uint8Array): InTotoMetadata {
  const doc = parseJson(bytes, 'in-toto metadata');
  if (!isObject(doc)) return fail('in-toto metadata is not a JSON object');
  if ('payload' in doc && 'payloadType' in doc) {
    const env = parseDsseEnvelope(bytes);
    if (env.payloadType !== IN_TOTO_DSSE_PAYLOAD_TYPE) {
      fail(`DSSE payloadType "${env.payloadType}" is not ${IN_TOTO_DSSE_PAYLOAD_TYPE}`);
    }
    const signed = parseJson(env.payload, 'DSSE payload');
    if (!isObject(signed)) return fail('DSSE payload is not a JSON object');
    return {
      wrapper: 'dsse',
      signed,
      signedBytes: pae(env.payloadType, env.payload),
      signatures: env.signatures,
      body: parseSigned(signed),
    };
  }
  if (!isObject(doc['signed']) || !Array.isArray(doc['signatures'])) {
    return fail('in-toto metadata needs "signed" and "signatures"');
  }
  const signed = doc['signed'];
  const signatures = (doc['signatures'] as unknown[]).map((s, i) => {
    if (!isObject(s) || typeof s['sig'] !== 'string') return fail(`signature ${i} has no "sig"`);
    const hex = s['sig'];
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) fail(`signature ${i} is not hex`);
    return {
      keyid: typeof s['keyid'] === 'string' ? s['keyid'] : undefined,
      sig: new Uint8Array(Buffer.from(hex, 'hex')),
    };
  });
  const body = parseSigned(signed);
  return { wrapper: 'metablock', signed, signedBytes: canonicalJson(signed), signatures, body };
}

function parseSigned(signed: Record<string, unknown>): InTotoLayout | InTotoLink {
  const type = signed['_type'];
  if (type === 'layout') return parseLayout(signed);
  if (type === 'link') return parseLink(signed);
  return fail(`"_type" ${JSON.stringify(type)} is neither "layout" nor "link"`);
}

function strings(v: unknown, what: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    return fail(`${what} is not a list of strings`);
  return v as string[];
}

function rules(v: unknown, what: string): ArtifactRule[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return fail(`${what} is not a list of rules`);
  return v.map((r, i) => strings(r, `${what}[${i}]`));
}

function parseLayout(s: Record<string, unknown>): InTotoLayout {
  if (typeof s['expires'] !== 'string') fail('layout has no "expires"');
  const keys: Record<string, InTotoKey> = {};
  if (s['keys'] !== undefined && !isObject(s['keys'])) fail('layout "keys" is not an object');
  for (const [id, k] of Object.entries((s['keys'] as Record<string, unknown> | undefined) ?? {})) {
    if (!isObject(k)) fail(`layout key ${id} is not an object`);
    const key = k as Record<string, unknown>;
    const keyval = key['keyval'];
    if (
      typeof key['keytype'] !== 'string' ||
      typeof key['scheme'] !== 'string' ||
      !isObject(keyval) ||
      typeof keyval['public'] !== 'string'
    ) {
      fail(`layout key ${id} lacks keytype, scheme or keyval.public`);
    }
    const raw = { ...key };
    delete raw['keyid'];
    keys[id] = {
      keyid: id,
      keytype: key['keytype'] as string,
      scheme: key['scheme'] as string,
      publicKey: (keyval as Record<string, string>)['public']!,
      raw,
    };
  }
  const steps = (Array.isArray(s['steps']) ? s['steps'] : []).map((st: unknown, i): InTotoStep => {
    if (!isObject(st) || typeof st['name'] !== 'string') return fail(`layout step ${i} has no name`);
    const threshold = st['threshold'] ?? 1;
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 1) {
      fail(`step ${st['name']}: threshold must be a positive integer`);
    }
    return {
      name: st['name'],
      pubkeys: strings(st['pubkeys'], `step ${st['name']} pubkeys`),
      threshold: threshold as number,
      expectedMaterials: rules(st['expected_materials'], `step ${st['name']} expected_materials`),
      expectedProducts: rules(st['expected_products'], `step ${st['name']} expected_products`),
      expectedCommand: strings(st['expected_command'], `step ${st['name']} expected_command`),
    };
  });
  const inspections = (Array.isArray(s['inspect']) ? s['inspect'] : []).map(
    (ins: unknown, i): InTotoInspection => {
      if (!isObject(ins) || typeof ins['name'] !== 'string') return fail(`inspection ${i} has no name`);
      return {
        name: ins['name'],
        run: strings(ins['run'], `inspection ${ins['name']} run`),
        expectedMaterials: rules(ins['expected_materials'], `inspection ${ins['name']} expected_materials`),
        expectedProducts: rules(ins['expected_products'], `inspection ${ins['name']} expected_products`),
      };
    },
  );
  const names = new Set<string>();
  for (const n of [...steps, ...inspections].map((x) => x.name)) {
    if (names.has(n)) fail(`layout names "${n}" twice`);
    names.add(n);
  }
  return {
    type: 'layout',
    expires: s['expires'] as string,
    keys,
    steps,
    inspections,
    readme: typeof s['readme'] === 'string' ? s['readme'] : undefined,
  };
}

function artifacts(v: unknown, what: string): ArtifactMap {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) return fail(`${what} is not an object`);
  const out: ArtifactMap = {};
  for (const [path, hashes] of Object.entries(v)) {
    if (!isObject(hashes)) fail(`${what} "${path}" has no hash object`);
    const h: Record<string, string> = {};
    for (const [alg, hex] of Object.entries(hashes as Record<string, unknown>)) {
      if (typeof hex !== 'string') fail(`${what} "${path}" ${alg} is not a string`);
      h[alg] = hex as string;
    }
    out[path] = h;
  }
  return out;
}

function parseLink(s: Record<string, unknown>): InTotoLink {
  if (typeof s['name'] !== 'string') fail('link has no "name"');
  return {
    type: 'link',
    name: s['name'] as string,
    materials: artifacts(s['materials'], 'link materials'),
    products: artifacts(s['products'], 'link products'),
    byproducts: isObject(s['byproducts']) ? s['byproducts'] : {},
    command: strings(s['command'], 'link command'),
  };
}

/**
 * The in-toto / securesystemslib key id: SHA-256 of the canonical JSON of the public key object
 * `{keyid_hash_algorithms, keytype, keyval: {public}, scheme}` (without `keyid`). Checked against
 * the corpus: alice.pub → 70ca5750…, bob.pub → 776a00e2…, carl.pub → 2f89b927….
 */
export function inTotoKeyId(key: Record<string, unknown>): string {
  const rest = { ...key };
  delete rest['keyid'];
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Link file name for a step and functionary: `<step>.<first 8 hex of keyid>.link`. */
export function linkFileName(step: string, keyid: string): string {
  return `${step}.${keyid.slice(0, 8)}.link`;
}

/**
 * For the fs walker: is this file in-toto layout or link metadata? Cheap checks first (name, size,
 * leading brace), then a real parse of the structure (signatures are not checked here).
 */
export function looksLikeInToto(bytes: Uint8Array, name: string): boolean {
  if (!/\.(?:layout|link)$/i.test(name)) return false;
  if (bytes.length === 0 || bytes.length > 16 * 1024 * 1024) return false;
  let i = 0;
  while (
    i < bytes.length &&
    (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)
  )
    i++;
  if (bytes[i] !== 0x7b) return false;
  try {
    parseInTotoMetadata(bytes);
    return true;
  } catch {
    return false;
  }
}
