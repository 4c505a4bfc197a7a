import { readFile } from 'node:fs/promises';

import { SigscanError } from '../../errors.js';
// Its own module, not the JWS reader's: that one loads the CMS and X.509 code (pkijs) for a policy file.
import { duplicateJsonKeys } from '../../formats/json-keys.js';
import type { ContainersPolicy, PolicyRequirement, SignedIdentity } from './types.js';

function bad(where: string, message: string): SigscanError {
  return new SigscanError('USAGE', `containers policy ${where}: ${message}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(obj: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length) throw bad(where, `unknown field(s) ${extra.map((k) => `"${k}"`).join(', ')}`);
}

function str(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v === '') throw bad(where, `"${key}" must be a non-empty string`);
  return v;
}

export async function readPolicyFile(path: string): Promise<ContainersPolicy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SigscanError('USAGE', `--policy ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { ...parsePolicy(text, path), path };
}

/**
 * Strict, as containers/image reads it: unknown or duplicate fields reject the whole file, every
 * requirement list is non-empty, `default` is required.
 */
export function parsePolicy(text: string, where = 'policy.json'): ContainersPolicy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(where, `not JSON (${(err as Error).message})`);
  }
  const dups = duplicateJsonKeys(text);
  if (dups.length) throw bad(where, `duplicate field(s) ${dups.map((k) => `"${k}"`).join(', ')}`);
  if (!isObject(doc)) throw bad(where, 'not a JSON object');
  only(doc, ['default', 'transports'], where);
  if (!('default' in doc)) throw bad(where, '"default" is required');
  const policy: ContainersPolicy = { default: requirements(doc.default, `${where} default`), transports: {} };
  // containers/image refuses `"transports": null` ("JSON object expected").
  if (doc.transports !== undefined) {
    if (!isObject(doc.transports)) throw bad(where, '"transports" is not an object');
    for (const [transport, scopes] of Object.entries(doc.transports)) {
      if (!isObject(scopes)) throw bad(where, `transports.${transport} is not an object`);
      const out: Record<string, PolicyRequirement[]> = {};
      for (const [scope, reqs] of Object.entries(scopes)) {
        if (transport === 'docker' && scope !== '') validateDockerScope(scope, `${where} transports.docker`);
        out[scope] = requirements(reqs, `${where} transports.${transport}["${scope}"]`);
      }
      policy.transports[transport] = out;
    }
  }
  return policy;
}

function validateDockerScope(scope: string, where: string): void {
  if (scope.startsWith('*.')) {
    if (!/^\*(\.[a-zA-Z0-9-]+)+$/.test(scope)) throw bad(where, `invalid wildcard scope "${scope}"`);
    return;
  }
  if (/[A-Z]/.test(scope.split('/').slice(1).join('/')))
    throw bad(where, `scope "${scope}" is not lowercase`);
}

function requirements(value: unknown, where: string): PolicyRequirement[] {
  if (!Array.isArray(value)) throw bad(where, 'requirements must be an array');
  if (value.length === 0) throw bad(where, 'requirements must not be empty');
  return value.map((r, i) => requirement(r, `${where}[${i}]`));
}

const SIGSTORE_FIELDS = [
  'type',
  'keyPath',
  'keyPaths',
  'keyData',
  'keyDatas',
  'fulcio',
  'pki',
  'rekorPublicKeyPath',
  'rekorPublicKeyPaths',
  'rekorPublicKeyData',
  'rekorPublicKeyDatas',
  'signedIdentity',
];
const KEY_TYPES = ['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'];

function requirement(value: unknown, where: string): PolicyRequirement {
  if (!isObject(value)) throw bad(where, 'not an object');
  switch (value.type) {
    case 'insecureAcceptAnything':
    case 'reject':
      only(value, ['type'], where);
      return { type: value.type };
    case 'signedBy': {
      only(value, ['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'], where);
      const keyType = str(value, 'keyType', where);
      if (!KEY_TYPES.includes(keyType)) throw bad(where, `unknown keyType "${keyType}"`);
      const sources = ['keyPath', 'keyPaths', 'keyData'].filter((k) => value[k] !== undefined);
      if (sources.length !== 1) throw bad(where, 'exactly one of keyPath, keyPaths, keyData is required');
      const out: PolicyRequirement = { type: 'signedBy', keyType };
      if (value.keyPath !== undefined) out.keyPath = str(value, 'keyPath', where);
      if (value.keyPaths !== undefined) {
        const paths = value.keyPaths;
        if (!Array.isArray(paths) || paths.length === 0 || !paths.every((p) => typeof p === 'string' && p)) {
          throw bad(where, '"keyPaths" must be a non-empty array of strings');
        }
        out.keyPaths = paths as string[];
      }
      if (value.keyData !== undefined) {
        const data = str(value, 'keyData', where);
        // Go's encoding/json decodes it with base64.StdEncoding: padded, in whole 4-character groups.
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(data) || data.length % 4 !== 0)
          throw bad(where, '"keyData" is not base64');
        out.keyData = data;
      }
      if (value.signedIdentity !== undefined)
        out.signedIdentity = signedIdentity(value.signedIdentity, where);
      return out;
    }
    case 'sigstoreSigned': {
      only(value, SIGSTORE_FIELDS, where);
      const sources = ['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'].filter(
        (k) => value[k] !== undefined,
      );
      if (sources.length !== 1) {
        throw bad(where, 'exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki is required');
      }
      const out: PolicyRequirement = { type: 'sigstoreSigned', raw: value };
      if (value.signedIdentity !== undefined)
        out.signedIdentity = signedIdentity(value.signedIdentity, where);
      return out;
    }
    case 'signedBaseLayer':
      only(value, ['type', 'baseLayerIdentity'], where);
      return { type: 'signedBaseLayer', baseLayerIdentity: signedIdentity(value.baseLayerIdentity, where) };
    default:
      throw bad(where, `unknown requirement type ${JSON.stringify(value.type)}`);
  }
}

function signedIdentity(value: unknown, where: string): SignedIdentity {
  if (!isObject(value)) throw bad(where, 'signedIdentity is not an object');
  const w = `${where} signedIdentity`;
  switch (value.type) {
    case 'matchExact':
    case 'matchRepoDigestOrExact':
    case 'matchRepository':
      only(value, ['type'], w);
      return { type: value.type };
    case 'exactReference':
      only(value, ['type', 'dockerReference'], w);
      return { type: 'exactReference', dockerReference: str(value, 'dockerReference', w) };
    case 'exactRepository':
      only(value, ['type', 'dockerRepository'], w);
      return { type: 'exactRepository', dockerRepository: str(value, 'dockerRepository', w) };
    case 'remapIdentity':
      only(value, ['type', 'prefix', 'signedPrefix'], w);
      return {
        type: 'remapIdentity',
        prefix: str(value, 'prefix', w),
        signedPrefix: str(value, 'signedPrefix', w),
      };
    default:
      throw bad(w, `unknown type ${JSON.stringify(value.type)}`);
  }
}
