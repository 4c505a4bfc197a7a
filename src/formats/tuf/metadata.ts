import { createHash } from 'node:crypto';

import { SigscanError } from '../../errors.js';
import { wallClockExists } from '../../util/time.js';
import { canonicalJson } from './canonical.js';
import { parseTufKey, type TufFlavour, type TufKey } from './keys.js';

export type TufRoleType = 'root' | 'targets' | 'snapshot' | 'timestamp';

export interface TufSignature {
  keyid: string;
  /** Notary's `method` (`ecdsa`, `rsapss`, `eddsa`, ...); TUF 1.0 leaves it out (the key's scheme decides). */
  method?: string;
  /** Decoded signature bytes (base64 for notary, hex for TUF 1.0). */
  sig: Uint8Array;
}

export interface RoleKeys {
  keyids: string[];
  threshold: number;
}

export interface MetaFileInfo {
  /** Hash algorithm → lowercase hex digest (notary's base64 is converted). */
  hashes: Record<string, string>;
  length?: number;
  version?: number;
}

export interface TufTargetInfo {
  hashes: Record<string, string>;
  length: number;
  custom?: unknown;
}

export interface DelegatedRole extends RoleKeys {
  name: string;
  paths?: string[];
  pathHashPrefixes?: string[];
  terminating: boolean;
}

/** One metadata file, parsed, with the exact bytes received and the bytes its signatures cover. */
export interface TufMetadata {
  raw: Uint8Array;
  /** Canonical JSON of `signed` (formats.md §5.3): what the signatures cover. */
  signedBytes: Uint8Array;
  flavour: TufFlavour;
  type: TufRoleType;
  version: number;
  expiresText: string;
  expires: Date;
  signatures: TufSignature[];
  signed: Record<string, unknown>;
  /** Root only. */
  root?: { keys: Map<string, TufKey>; roles: Record<string, RoleKeys>; consistentSnapshot: boolean };
  /** Targets and delegations. */
  targets?: {
    targets: Map<string, TufTargetInfo>;
    delegationKeys: Map<string, TufKey>;
    delegations: DelegatedRole[];
  };
  /** Snapshot / timestamp: the files they describe, by role name (notary) or file name (TUF 1.0). */
  meta?: Map<string, MetaFileInfo>;
}

const MAX_KEYS = 1024;
const MAX_TARGETS = 1_000_000;
const MAX_DELEGATIONS = 1024;

/** Parses a role file. Nothing here is trusted: signatures are checked in `trust/tuf`. */
export function parseTufMetadata(raw: Uint8Array): TufMetadata {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (err) {
    throw malformed(`not JSON (${(err as Error).message})`);
  }
  const env = doc as { signed?: unknown; signatures?: unknown };
  if (!isObject(env) || !isObject(env.signed) || !Array.isArray(env.signatures)) {
    throw malformed('expected {"signed":{…},"signatures":[…]}');
  }
  const signed = env.signed;
  const typeText = signed['_type'];
  if (typeof typeText !== 'string') throw malformed('signed._type is missing');
  const type = typeText.toLowerCase();
  if (type !== 'root' && type !== 'targets' && type !== 'snapshot' && type !== 'timestamp') {
    throw malformed(`unknown _type "${typeText}"`);
  }
  // Notary capitalises `_type` and writes base64; TUF 1.0 writes lowercase and hex.
  const flavour: TufFlavour = typeText === type ? 'tuf' : 'notary';
  const version = signed['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw malformed('signed.version must be a non-negative integer');
  }
  const expiresText = signed['expires'];
  if (typeof expiresText !== 'string') throw malformed('signed.expires is missing');
  const expires = parseRfc3339(expiresText);

  const signatures = env.signatures.map((s, i): TufSignature => {
    if (!isObject(s) || typeof s['keyid'] !== 'string' || typeof s['sig'] !== 'string') {
      throw malformed(`signature ${i} has no keyid or sig`);
    }
    const sigText = s['sig'];
    const sig = flavour === 'notary' ? decodeBase64(sigText) : decodeHex(sigText);
    return {
      keyid: s['keyid'],
      method: typeof s['method'] === 'string' ? s['method'] : undefined,
      sig,
    };
  });

  const md: TufMetadata = {
    raw,
    signedBytes: canonicalJson(signed),
    flavour,
    type,
    version,
    expiresText,
    expires,
    signatures,
    signed,
  };
  if (type === 'root') md.root = parseRoot(signed, flavour);
  else if (type === 'targets') md.targets = parseTargets(signed, flavour);
  else md.meta = parseMeta(signed, flavour);
  return md;
}

function parseRoot(signed: Record<string, unknown>, flavour: TufFlavour): NonNullable<TufMetadata['root']> {
  const keys = parseKeys(signed['keys'], flavour, 'root');
  const rolesRaw = signed['roles'];
  if (!isObject(rolesRaw)) throw malformed('root has no roles');
  const roles: Record<string, RoleKeys> = {};
  for (const [name, r] of Object.entries(rolesRaw)) roles[name] = parseRoleKeys(r, `root role ${name}`);
  return { keys, roles, consistentSnapshot: signed['consistent_snapshot'] === true };
}

function parseTargets(
  signed: Record<string, unknown>,
  flavour: TufFlavour,
): NonNullable<TufMetadata['targets']> {
  const targets = new Map<string, TufTargetInfo>();
  const raw = signed['targets'] ?? {};
  if (!isObject(raw)) throw malformed('targets.targets is not an object');
  const names = Object.keys(raw);
  if (names.length > MAX_TARGETS) throw malformed(`more than ${MAX_TARGETS} targets`);
  for (const name of names) {
    const t = raw[name];
    if (!isObject(t) || typeof t['length'] !== 'number') throw malformed(`target "${name}" has no length`);
    targets.set(name, {
      hashes: parseHashes(t['hashes'], flavour, `target "${name}"`),
      length: t['length'],
      custom: t['custom'],
    });
  }
  const del = signed['delegations'];
  let delegationKeys = new Map<string, TufKey>();
  const delegations: DelegatedRole[] = [];
  if (isObject(del)) {
    delegationKeys = parseKeys(del['keys'] ?? {}, flavour, 'delegation');
    const roles = del['roles'] ?? [];
    if (!Array.isArray(roles)) throw malformed('delegations.roles is not a list');
    if (roles.length > MAX_DELEGATIONS) throw malformed(`more than ${MAX_DELEGATIONS} delegations`);
    for (const r of roles) {
      if (!isObject(r) || typeof r['name'] !== 'string') throw malformed('a delegation has no name');
      const name = r['name'];
      const paths = r['paths'];
      const prefixes = r['path_hash_prefixes'];
      delegations.push({
        name,
        ...parseRoleKeys(r, `delegation ${name}`),
        paths: Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : undefined,
        pathHashPrefixes: Array.isArray(prefixes)
          ? prefixes.filter((p): p is string => typeof p === 'string')
          : undefined,
        terminating: r['terminating'] === true,
      });
    }
  }
  return { targets, delegationKeys, delegations };
}

function parseMeta(signed: Record<string, unknown>, flavour: TufFlavour): Map<string, MetaFileInfo> {
  const raw = signed['meta'];
  if (!isObject(raw)) throw malformed('meta is missing');
  const out = new Map<string, MetaFileInfo>();
  for (const [name, v] of Object.entries(raw)) {
    if (!isObject(v)) throw malformed(`meta "${name}" is not an object`);
    out.set(name, {
      hashes: v['hashes'] === undefined ? {} : parseHashes(v['hashes'], flavour, `meta "${name}"`),
      length: typeof v['length'] === 'number' ? v['length'] : undefined,
      version: typeof v['version'] === 'number' ? v['version'] : undefined,
    });
  }
  return out;
}

function parseKeys(raw: unknown, flavour: TufFlavour, what: string): Map<string, TufKey> {
  if (!isObject(raw)) throw malformed(`${what} keys is not an object`);
  const ids = Object.keys(raw);
  if (ids.length > MAX_KEYS) throw malformed(`more than ${MAX_KEYS} ${what} keys`);
  const out = new Map<string, TufKey>();
  for (const id of ids) out.set(id, parseTufKey(id, raw[id], flavour));
  return out;
}

function parseRoleKeys(raw: unknown, what: string): RoleKeys {
  if (!isObject(raw) || !Array.isArray(raw['keyids']) || typeof raw['threshold'] !== 'number') {
    throw malformed(`${what} needs keyids and threshold`);
  }
  return {
    keyids: raw['keyids'].filter((k): k is string => typeof k === 'string'),
    threshold: raw['threshold'],
  };
}

function parseHashes(raw: unknown, flavour: TufFlavour, what: string): Record<string, string> {
  if (!isObject(raw)) throw malformed(`${what} has no hashes`);
  const out: Record<string, string> = {};
  for (const [alg, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw malformed(`${what}: hash ${alg} is not a string`);
    out[alg] = flavour === 'notary' ? Buffer.from(decodeBase64(v)).toString('hex') : v.toLowerCase();
  }
  return out;
}

/** Hash names both flavours use, mapped to Node digest names. */
const HASHES: Record<string, string> = { sha256: 'sha256', sha384: 'sha384', sha512: 'sha512' };

/**
 * Compares bytes with a `{hashes,length}` description. Every known hash present must match; at least
 * one must be known (unless the description carries only a version, as TUF 1.0 snapshots may).
 */
export function checkFileInfo(
  bytes: Uint8Array,
  info: MetaFileInfo | TufTargetInfo,
): { ok: boolean; reason?: string; checked: string[] } {
  if (info.length !== undefined && info.length !== bytes.byteLength) {
    return { ok: false, reason: `length ${bytes.byteLength}, expected ${info.length}`, checked: [] };
  }
  const checked: string[] = [];
  for (const [alg, want] of Object.entries(info.hashes)) {
    const node = HASHES[alg];
    if (!node) continue;
    const got = createHash(node).update(bytes).digest('hex');
    if (got !== want) return { ok: false, reason: `${alg} ${got} ≠ ${want}`, checked };
    checked.push(alg);
  }
  return { ok: true, checked };
}

/** RFC 3339 with any number of fractional digits and any offset. */
export function parseRfc3339(text: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(text);
  if (!m) throw malformed(`expires "${text}" is not RFC 3339`);
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const d = new Date(`${m[1]}.${ms}${m[3]!.toUpperCase()}`);
  const [date, time] = m[1]!.toUpperCase().split('T') as [string, string];
  if (Number.isNaN(d.getTime()) || !wallClockExists(date, time)) {
    throw malformed(`expires "${text}" is not a valid time`);
  }
  return d;
}

function decodeBase64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text.replace(/\s+/g, ''))) throw malformed('invalid base64');
  return new Uint8Array(Buffer.from(text, 'base64'));
}

function decodeHex(text: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw malformed('invalid hex signature');
  return new Uint8Array(Buffer.from(text, 'hex'));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function malformed(message: string): SigscanError {
  return new SigscanError('MALFORMED_ENVELOPE', `TUF metadata: ${message}`);
}
