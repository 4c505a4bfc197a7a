import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { SigscanError } from '../../errors.js';

/**
 * Notary Project trust policy (`trustpolicy.oci.json`, legacy `trustpolicy.json`) with the semantics of
 * formats.md §3.6 and notation-go's `trustpolicy` package: version 1.0, registry scopes matched exactly
 * or through the one global `*` statement, verification levels with per-check overrides, trust stores
 * as `type:name`, and trusted identities as `*` or `x509.subject:` RDN subsets.
 */

export type VerificationLevelName = 'strict' | 'permissive' | 'audit' | 'skip';
export type CheckName = 'integrity' | 'authenticity' | 'authenticTimestamp' | 'expiry' | 'revocation';
/** What a failed check does: `enforce` fails the signature, `log` reports it, `skip` does not run it. */
export type CheckAction = 'enforce' | 'log' | 'skip';
export type TrustStoreType = 'ca' | 'signingAuthority' | 'tsa';
export type VerifyTimestampOption = 'always' | 'afterCertExpiry';

export interface TrustStoreRef {
  type: TrustStoreType;
  name: string;
}

/** One `x509.subject:` entry: upper-cased attribute type (`S` read as `ST`) to value. */
export interface TrustedIdentity {
  raw: string;
  attributes: Map<string, string>;
}

export interface TrustPolicyStatement {
  name: string;
  registryScopes: string[];
  level: VerificationLevelName;
  /** The action of every check after level and overrides are applied. */
  actions: Record<CheckName, CheckAction>;
  verifyTimestamp: VerifyTimestampOption;
  trustStores: TrustStoreRef[];
  /** `any` for `["*"]`. */
  trustedIdentities: 'any' | TrustedIdentity[];
}

export interface TrustPolicyDocument {
  version: '1.0';
  statements: TrustPolicyStatement[];
  /** Where it was read from (for messages). */
  source: string;
}

/** An invalid trust policy: a configuration error, reported as such (never as a signature verdict). */
export class TrustPolicyError extends SigscanError {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super('USAGE', `trust policy ${source}: ${message}`);
    this.name = 'TrustPolicyError';
  }
}

export const LEVELS: Record<VerificationLevelName, Record<CheckName, CheckAction>> = {
  strict: {
    integrity: 'enforce',
    authenticity: 'enforce',
    authenticTimestamp: 'enforce',
    expiry: 'enforce',
    revocation: 'enforce',
  },
  permissive: {
    integrity: 'enforce',
    authenticity: 'enforce',
    authenticTimestamp: 'log',
    expiry: 'log',
    revocation: 'log',
  },
  audit: {
    integrity: 'enforce',
    authenticity: 'log',
    authenticTimestamp: 'log',
    expiry: 'log',
    revocation: 'log',
  },
  skip: {
    integrity: 'skip',
    authenticity: 'skip',
    authenticTimestamp: 'skip',
    expiry: 'skip',
    revocation: 'skip',
  },
};

/** Values each override key accepts (formats.md §3.6); integrity cannot be overridden at all. */
const OVERRIDE_VALUES: Record<Exclude<CheckName, 'integrity'>, CheckAction[]> = {
  authenticity: ['enforce', 'log'],
  authenticTimestamp: ['enforce', 'log'],
  expiry: ['enforce', 'log'],
  revocation: ['enforce', 'log', 'skip'],
};

const STORE_TYPES: TrustStoreType[] = ['ca', 'signingAuthority', 'tsa'];
const STORE_NAME = /^[a-zA-Z0-9_.-]+$/;
const IDENTITY_PREFIX = 'x509.subject';

/** Reads `trustpolicy.oci.json`, else the legacy `trustpolicy.json`, from a notation directory. */
export async function loadTrustPolicy(notationDir: string): Promise<TrustPolicyDocument> {
  for (const name of ['trustpolicy.oci.json', 'trustpolicy.json']) {
    const path = join(notationDir, name);
    let info;
    try {
      info = await lstat(path);
    } catch {
      continue;
    }
    if (info.isSymbolicLink() || !info.isFile()) {
      throw new TrustPolicyError(path, 'is not a regular file (symlinks are not accepted)');
    }
    const text = await readFile(path, 'utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new TrustPolicyError(path, `is not valid JSON: ${(err as Error).message}`);
    }
    return parseTrustPolicy(json, path);
  }
  throw new TrustPolicyError(
    notationDir,
    'no trustpolicy.oci.json (or legacy trustpolicy.json) in the notation directory',
  );
}

/** Validates a parsed policy document; throws TrustPolicyError with the first rule it breaks. */
export function parseTrustPolicy(json: unknown, source = 'trustpolicy.oci.json'): TrustPolicyDocument {
  const fail = (message: string): never => {
    throw new TrustPolicyError(source, message);
  };
  if (!isObject(json)) fail('the document is not a JSON object');
  const doc = json as Record<string, unknown>;
  if (doc['version'] === undefined) fail('"version" is missing; it must be "1.0"');
  if (doc['version'] !== '1.0') fail(`version ${JSON.stringify(doc['version'])} is not supported; use "1.0"`);
  const list = doc['trustPolicies'];
  if (!Array.isArray(list) || list.length === 0) fail('"trustPolicies" must be a non-empty list');

  const statements: TrustPolicyStatement[] = [];
  const names = new Set<string>();
  const scopeOwner = new Map<string, string>();
  let globalStatement: string | undefined;
  for (const [i, raw] of (list as unknown[]).entries()) {
    const statement = parseStatement(raw, i, fail);
    if (names.has(statement.name)) fail(`more than one trust policy statement is named "${statement.name}"`);
    names.add(statement.name);
    for (const scope of statement.registryScopes) {
      if (scope === '*') {
        if (globalStatement) {
          fail(
            `statements "${globalStatement}" and "${statement.name}" both use the global scope "*"; only one may`,
          );
        }
        globalStatement = statement.name;
        if (statement.level === 'skip') {
          fail(`statement "${statement.name}" is the global policy ("*") and may not use level "skip"`);
        }
        continue;
      }
      const owner = scopeOwner.get(scope);
      if (owner !== undefined) {
        fail(
          owner === statement.name
            ? `statement "${statement.name}" lists registry scope "${scope}" twice`
            : `registry scope "${scope}" appears in statements "${owner}" and "${statement.name}"; a repository may belong to only one`,
        );
      }
      scopeOwner.set(scope, statement.name);
    }
    statements.push(statement);
  }
  return { version: '1.0', statements, source };
}

function parseStatement(raw: unknown, index: number, fail: (m: string) => never): TrustPolicyStatement {
  if (!isObject(raw)) fail(`trustPolicies[${index}] is not an object`);
  const s = raw as Record<string, unknown>;
  const name = s['name'];
  if (typeof name !== 'string' || name.trim() === '') fail(`trustPolicies[${index}] has no "name"`);
  const label = `statement "${name as string}"`;

  const scopes = s['registryScopes'];
  if (!Array.isArray(scopes) || scopes.length === 0) {
    fail(`${label}: "registryScopes" must be a non-empty list`);
  }
  const registryScopes: string[] = [];
  for (const scope of scopes as unknown[]) {
    if (typeof scope !== 'string') fail(`${label}: registry scopes must be strings`);
    const value = scope as string;
    if (value === '*') {
      if ((scopes as unknown[]).length > 1) {
        fail(`${label}: the global scope "*" must be the only registry scope of its statement`);
      }
    } else {
      const problem = scopeProblem(value);
      if (problem) fail(`${label}: registry scope "${value}" is not valid: ${problem}`);
    }
    registryScopes.push(value);
  }

  const sv = s['signatureVerification'];
  if (!isObject(sv)) fail(`${label}: "signatureVerification" is missing`);
  const verification = sv as Record<string, unknown>;
  const level = verification['level'];
  if (typeof level !== 'string' || !(level in LEVELS)) {
    fail(
      `${label}: signature verification level ${JSON.stringify(level)} is not one of strict, permissive, audit, skip`,
    );
  }
  const levelName = level as VerificationLevelName;
  const actions: Record<CheckName, CheckAction> = { ...LEVELS[levelName] };
  const override = verification['override'];
  if (override !== undefined) {
    if (!isObject(override)) fail(`${label}: "override" must be an object`);
    const entries = Object.entries(override as Record<string, unknown>);
    if (levelName === 'skip' && entries.length > 0) {
      fail(`${label}: level "skip" cannot be customised with "override"`);
    }
    for (const [check, action] of entries) {
      if (check === 'integrity') fail(`${label}: the integrity check cannot be overridden`);
      // Own keys only: `__proto__` or `constructor` must not reach the prototype's members.
      const allowed = Object.hasOwn(OVERRIDE_VALUES, check)
        ? OVERRIDE_VALUES[check as Exclude<CheckName, 'integrity'>]
        : undefined;
      if (!allowed) {
        fail(
          `${label}: "${check}" is not a check that can be overridden (authenticity, authenticTimestamp, expiry, revocation)`,
        );
      }
      if (typeof action !== 'string' || !allowed.includes(action as CheckAction)) {
        fail(
          `${label}: override ${check}=${JSON.stringify(action)} is not allowed; use ${allowed.join(' or ')}`,
        );
      }
      actions[check as CheckName] = action as CheckAction;
    }
  }
  const vt = verification['verifyTimestamp'] ?? 'always';
  if (vt !== 'always' && vt !== 'afterCertExpiry') {
    fail(`${label}: verifyTimestamp ${JSON.stringify(vt)} must be "always" or "afterCertExpiry"`);
  }

  const storesRaw = s['trustStores'] ?? [];
  const identitiesRaw = s['trustedIdentities'] ?? [];
  if (!Array.isArray(storesRaw)) fail(`${label}: "trustStores" must be a list`);
  if (!Array.isArray(identitiesRaw)) fail(`${label}: "trustedIdentities" must be a list`);
  const storeList = storesRaw as unknown[];
  const identityList = identitiesRaw as unknown[];
  if (levelName === 'skip') {
    if (storeList.length || identityList.length) {
      fail(`${label}: level "skip" verifies nothing, so it must not list trust stores or trusted identities`);
    }
  } else if (storeList.length === 0 || identityList.length === 0) {
    fail(`${label}: both "trustStores" and "trustedIdentities" must be given (non-empty)`);
  }

  const trustStores: TrustStoreRef[] = [];
  const seenStores = new Set<string>();
  for (const entry of storeList) {
    if (typeof entry !== 'string') fail(`${label}: trust stores must be strings "type:name"`);
    const text = entry as string;
    const colon = text.indexOf(':');
    const type = text.slice(0, colon);
    const storeName = text.slice(colon + 1);
    if (colon < 0 || !STORE_TYPES.includes(type as TrustStoreType)) {
      fail(`${label}: trust store "${text}" must be "<type>:<name>" with type ca, signingAuthority or tsa`);
    }
    if (!STORE_NAME.test(storeName)) {
      fail(`${label}: trust store name "${storeName}" may contain only letters, digits, "_", "." and "-"`);
    }
    if (seenStores.has(text)) fail(`${label}: trust store "${text}" is listed twice`);
    seenStores.add(text);
    trustStores.push({ type: type as TrustStoreType, name: storeName });
  }

  let trustedIdentities: TrustPolicyStatement['trustedIdentities'] = [];
  if (identityList.includes('*')) {
    if (identityList.length > 1) {
      fail(`${label}: the wildcard trusted identity "*" must be the only entry of its list`);
    }
    trustedIdentities = 'any';
  } else {
    const parsed: TrustedIdentity[] = [];
    for (const entry of identityList) {
      if (typeof entry !== 'string') fail(`${label}: trusted identities must be strings`);
      const text = entry as string;
      const colon = text.indexOf(':');
      if (colon < 0 || text.slice(0, colon).trim() !== IDENTITY_PREFIX) {
        fail(`${label}: trusted identity "${text}" must be "*" or start with "${IDENTITY_PREFIX}:"`);
      }
      let attributes: Map<string, string>;
      try {
        attributes = parseDistinguishedName(text.slice(colon + 1));
      } catch (err) {
        return fail(`${label}: trusted identity "${text}": ${(err as Error).message}`);
      }
      for (const required of ['C', 'ST', 'O']) {
        if (!attributes.has(required)) {
          fail(
            `${label}: trusted identity "${text}" lacks ${required}; an x509.subject identity needs at least C, ST (or S) and O`,
          );
        }
      }
      parsed.push({ raw: text, attributes });
    }
    for (let a = 0; a < parsed.length; a++) {
      for (let b = a + 1; b < parsed.length; b++) {
        if (
          isSubset(parsed[a]!.attributes, parsed[b]!.attributes) ||
          isSubset(parsed[b]!.attributes, parsed[a]!.attributes)
        ) {
          fail(
            `${label}: trusted identities "${parsed[a]!.raw}" and "${parsed[b]!.raw}" overlap (one is a subset of the other)`,
          );
        }
      }
    }
    trustedIdentities = parsed;
  }

  return {
    name: name as string,
    registryScopes,
    level: levelName,
    actions,
    verifyTimestamp: vt,
    trustStores,
    trustedIdentities,
  };
}

/** A fully qualified repository, without tag, digest or wildcard (`docker.io/library/registry`). */
function scopeProblem(scope: string): string | undefined {
  if (/[*?[\]]/.test(scope)) return 'wildcards are not allowed (only a lone "*" as the global scope)';
  if (scope.includes('@')) return 'a digest is not allowed';
  const slash = scope.indexOf('/');
  if (slash <= 0 || slash === scope.length - 1) {
    return 'it must be a fully qualified repository, host/namespace/repository';
  }
  const path = scope.slice(slash + 1);
  if (path.includes(':')) return 'a tag is not allowed';
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path)) {
    return 'the repository path is not a valid (lowercase) OCI repository name';
  }
  return undefined;
}

/**
 * The statement for a repository (`host/repository`): the one listing it exactly, else the global
 * `*` statement, else none. No prefix matching and no reference expansion.
 */
export function selectStatement(
  doc: TrustPolicyDocument,
  scope: string | undefined,
): TrustPolicyStatement | undefined {
  if (scope !== undefined) {
    const exact = doc.statements.find((s) => s.registryScopes.includes(scope));
    if (exact) return exact;
  }
  return doc.statements.find((s) => s.registryScopes.includes('*'));
}

const ATTRIBUTE_ALIASES: Record<string, string> = {
  S: 'ST',
  E: 'EMAILADDRESS',
  EMAIL: 'EMAILADDRESS',
};

/**
 * RFC 4514 distinguished name as trust policies write it (`C=US, ST=WA, O=acme\, inc`) into a map of
 * upper-cased attribute types to values. Separators `,` (or `;`); escapes `\,` `\;` `\+` `\\` `\"` `\<`
 * `\>` `\=` `\#`, `\ ` for a significant leading/trailing space, and `\XX` hex pairs. Multi-valued RDNs
 * (`+`) and repeated attribute types are rejected, as notation does.
 */
export function parseDistinguishedName(text: string): Map<string, string> {
  // notation-go internal/pkix ParseDistinguishedName refuses any "=#" before parsing (hex-encoded
  // values); so does this, found by running notation-go's own examples (test/trust/notation/identity-dn).
  if (text.includes('=#'))
    throw new Error('"=#" (a hex-encoded value) is not supported in trusted identities');
  const out = new Map<string, string>();
  const rdns: Array<{ type: string; value: string }> = [];
  let type = '';
  let value = '';
  let inValue = false;
  // Index in `value` after which trailing spaces are significant (escaped).
  let protectedLength = 0;
  const finish = () => {
    const t = type.trim();
    if (!inValue) throw new Error(`"${t || text}" is not an attribute=value pair`);
    let v = value;
    while (v.length > protectedLength && v.endsWith(' ')) v = v.slice(0, -1);
    if (!/^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/.test(t)) throw new Error(`"${t}" is not an attribute type`);
    if (v === '') throw new Error(`attribute ${t} has an empty value`);
    rdns.push({ type: t, value: v });
    type = '';
    value = '';
    inValue = false;
    protectedLength = 0;
  };
  const bytes: number[] = [];
  const flushHex = () => {
    if (bytes.length) {
      try {
        value += new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
      } catch {
        // Found by fuzzing: "\\aa" alone is a lone continuation byte, which TextDecoder rejects with a TypeError.
        throw new Error(
          `hex escapes ${bytes.map((b) => `\\${b.toString(16)}`).join('')} are not valid UTF-8`,
        );
      }
      bytes.length = 0;
      protectedLength = value.length;
    }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (!inValue) {
      if (c === '=') {
        inValue = true;
        // Skip unescaped spaces after "=".
        while (text[i + 1] === ' ') i++;
      } else if (c === ',' || c === ';' || c === '+') {
        throw new Error(`"${type.trim()}" has no value`);
      } else type += c;
      continue;
    }
    if (c === '\\') {
      const next = text[i + 1];
      if (next === undefined) throw new Error('the name ends with a lone "\\"');
      if (/[0-9a-fA-F]/.test(next) && /[0-9a-fA-F]/.test(text[i + 2] ?? '')) {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
        continue;
      }
      if (!',;+"\\<>=# '.includes(next)) throw new Error(`"\\${next}" is not a valid escape`);
      flushHex();
      value += next;
      protectedLength = value.length;
      i++;
      continue;
    }
    flushHex();
    if (c === '+') throw new Error('multi-valued RDNs ("+") are not supported in trusted identities');
    if (c === ',' || c === ';') {
      finish();
      while (text[i + 1] === ' ') i++;
      continue;
    }
    if (c === '"') throw new Error('quoted values are not supported; escape special characters with "\\"');
    value += c;
  }
  flushHex();
  if (type.trim() !== '' || inValue) finish();
  if (rdns.length === 0) throw new Error('the distinguished name is empty');
  for (const { type: t, value: v } of rdns) {
    const key = normaliseAttributeType(t);
    if (out.has(key)) throw new Error(`attribute ${key} appears more than once`);
    out.set(key, v);
  }
  return out;
}

export function normaliseAttributeType(type: string): string {
  const upper = type.toUpperCase();
  return ATTRIBUTE_ALIASES[upper] ?? upper;
}

/** True when every attribute of `subset` has the same value in `superset`. */
export function isSubset(subset: Map<string, string>, superset: Map<string, string>): boolean {
  for (const [k, v] of subset) if (superset.get(k) !== v) return false;
  return true;
}

/** Whether a leaf subject (attribute type -> values) matches a trusted identity. */
export function identityMatches(identity: TrustedIdentity, subject: Map<string, string[]>): boolean {
  for (const [k, v] of identity.attributes) if (!(subject.get(k) ?? []).includes(v)) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
