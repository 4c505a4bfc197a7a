import { createPublicKey, type KeyObject } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { SigscanError } from '../errors.js';
import { sha256Hex } from '../formats/der.js';
// Types only: pkijs and asn1js (under x509 and the CRL and revocation modules) load when a trust root,
// a CRL or --revocation is given, not for every scan (an empty tree loaded them for nothing).
import type { ParsedCertificate } from '../formats/x509.js';
import type { RevocationMode } from './revocation/check.js';
import type { LoadedCrl } from './revocation/crl.js';
import { defaultTufCacheDir } from './tuf/state.js';
import { defaultContainersPolicy } from './policy/default-path.js';

/** A public key the user trusts (`--key`), with the id reports use for it. */
export interface TrustedKey {
  path: string;
  key: KeyObject;
  /** SHA-256 of the DER SubjectPublicKeyInfo. */
  spkiSha256: string;
  /** `ECDSA-P-256`, `RSA-2048`, `Ed25519`... */
  algorithm: string;
}

/**
 * Everything the user supplied to decide trust. Loaded once per scan from flags and the optional
 * `--config` file; the trust layer reads files only here, never from the network.
 */
export interface TrustConfig {
  /** CA certificates for X.509-based families (`--trust-root`): JAR, Authenticode, cosign PKI, notation without a notation dir. */
  roots: ParsedCertificate[];
  /** Timestamp authority roots (`--tsa-root`). */
  tsaRoots: ParsedCertificate[];
  keys: TrustedKey[];
  /** Keyless Sigstore identity policy. */
  certificateIdentity?: string;
  certificateIdentityRegexp?: RegExp;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: RegExp;
  /** Paths of Sigstore `trusted_root.json` files (`--trusted-root`). */
  trustedRoots: string[];
  /** A notation configuration directory (truststore + trustpolicy). */
  notationDir?: string;
  gpgKeyrings: string[];
  /** Pinned TUF root.json files for Docker Content Trust (`--tuf-root`). */
  tufRoots: string[];
  /** containers-policy.json. */
  policyFile?: string;
  /** True when policyFile is the default one (no --policy): see trust/policy/default-path.ts. */
  policyIsDefault?: boolean;
  /** containers registries.d directories (`--registries-d`); empty = the containers default location. */
  registriesDirs: string[];
  /** Verification time (`--at`); "now" when absent. */
  at?: Date;
  /** `--allow-weak-algorithms`: accept algorithms the platform's verifier disables (reported per signature). */
  allowWeakAlgorithms: boolean;
  /** in-toto layout keys (`--in-toto-layout-key`): the only keys that may sign a layout. */
  inTotoLayoutKeys: TrustedKey[];
  /** TUF state cache directory (`--tuf-cache`, default in the user's cache dir; `none`: no cache). */
  tufCache?: string;
  /** CRLs read from `--crl` files (not yet trusted: each is checked against its issuer when used). */
  crls: LoadedCrl[];
  /** `--revocation`: which sources are consulted (default `offline`: only the `--crl` files). */
  revocation: RevocationMode;
  /**
   * `--signed-identity`: the docker reference a signature must claim for an image that has no name of its
   * own (a skopeo `dir:` layout), compared as `skopeo standalone-verify` compares its expected reference.
   */
  signedIdentity?: string;
  /**
   * `--insecure-ignore-tlog` (as cosign's): key-signed and private-PKI cosign/Sigstore signatures need no
   * transparency-log entry; the verdict message and the report's scan record say so.
   */
  insecureIgnoreTlog?: boolean;
  /** Every path given (flags and --config merged), by flag name, so that reports can name their trust inputs. */
  sources?: Array<{ kind: string; path: string; default?: boolean }>;
  /** The flags this was loaded from: a worker thread (`--jobs`) loads the same config from them. */
  input?: TrustInput;
}

/** Trust inputs as flags or the config file give them (paths, strings). */
export interface TrustInput {
  config?: string;
  trustRoot?: string[];
  tsaRoot?: string[];
  key?: string[];
  certificateIdentity?: string;
  certificateIdentityRegexp?: string;
  certificateOidcIssuer?: string;
  certificateOidcIssuerRegexp?: string;
  trustedRoot?: string[];
  notationDir?: string;
  gpgKeyring?: string[];
  tufRoot?: string[];
  policy?: string;
  registriesD?: string[];
  at?: string;
  allowWeakAlgorithms?: boolean;
  inTotoLayoutKey?: string[];
  tufCache?: string;
  crl?: string[];
  revocation?: string;
  signedIdentity?: string;
  insecureIgnoreTlog?: boolean;
}

export function emptyTrustConfig(): TrustConfig {
  return {
    roots: [],
    tsaRoots: [],
    keys: [],
    trustedRoots: [],
    gpgKeyrings: [],
    tufRoots: [],
    registriesDirs: [],
    allowWeakAlgorithms: false,
    inTotoLayoutKeys: [],
    crls: [],
    revocation: 'offline',
  };
}

const CONFIG_KEYS: Record<string, keyof TrustInput> = {
  'trust-root': 'trustRoot',
  trustRoot: 'trustRoot',
  'tsa-root': 'tsaRoot',
  tsaRoot: 'tsaRoot',
  key: 'key',
  keys: 'key',
  'certificate-identity': 'certificateIdentity',
  certificateIdentity: 'certificateIdentity',
  'certificate-identity-regexp': 'certificateIdentityRegexp',
  certificateIdentityRegexp: 'certificateIdentityRegexp',
  'certificate-oidc-issuer': 'certificateOidcIssuer',
  certificateOidcIssuer: 'certificateOidcIssuer',
  'certificate-oidc-issuer-regexp': 'certificateOidcIssuerRegexp',
  certificateOidcIssuerRegexp: 'certificateOidcIssuerRegexp',
  'trusted-root': 'trustedRoot',
  trustedRoot: 'trustedRoot',
  'notation-dir': 'notationDir',
  notationDir: 'notationDir',
  'gpg-keyring': 'gpgKeyring',
  gpgKeyring: 'gpgKeyring',
  policy: 'policy',
  'tuf-root': 'tufRoot',
  tufRoot: 'tufRoot',
  'registries-d': 'registriesD',
  registriesD: 'registriesD',
  at: 'at',
  'allow-weak-algorithms': 'allowWeakAlgorithms',
  allowWeakAlgorithms: 'allowWeakAlgorithms',
  'in-toto-layout-key': 'inTotoLayoutKey',
  inTotoLayoutKey: 'inTotoLayoutKey',
  'tuf-cache': 'tufCache',
  tufCache: 'tufCache',
  crl: 'crl',
  crls: 'crl',
  revocation: 'revocation',
  'signed-identity': 'signedIdentity',
  signedIdentity: 'signedIdentity',
  'insecure-ignore-tlog': 'insecureIgnoreTlog',
  insecureIgnoreTlog: 'insecureIgnoreTlog',
};
const LIST_KEYS = new Set<keyof TrustInput>([
  'trustRoot',
  'tsaRoot',
  'key',
  'trustedRoot',
  'gpgKeyring',
  'registriesD',
  'tufRoot',
  'inTotoLayoutKey',
  'crl',
]);

/** The inputs that are paths, with the flag that names them. */
const PATH_KEYS: Array<[keyof TrustInput, string]> = [
  ['trustRoot', 'trust-root'],
  ['tsaRoot', 'tsa-root'],
  ['key', 'key'],
  ['trustedRoot', 'trusted-root'],
  ['notationDir', 'notation-dir'],
  ['gpgKeyring', 'gpg-keyring'],
  ['tufRoot', 'tuf-root'],
  ['policy', 'policy'],
  ['registriesD', 'registries-d'],
  ['inTotoLayoutKey', 'in-toto-layout-key'],
  ['crl', 'crl'],
];

/** Flags win over the config file for single values; lists are joined. */
export async function loadTrustConfig(flags: TrustInput): Promise<TrustConfig> {
  const fromFile = flags.config ? await readConfigFile(flags.config) : {};
  const merged: TrustInput = { ...fromFile };
  for (const [k, v] of Object.entries(flags) as Array<[keyof TrustInput, unknown]>) {
    if (v === undefined || k === 'config') continue;
    if (LIST_KEYS.has(k)) {
      (merged as Record<string, unknown>)[k] = [
        ...((merged[k] as string[] | undefined) ?? []),
        ...(v as string[]),
      ];
    } else (merged as Record<string, unknown>)[k] = v;
  }
  const config = emptyTrustConfig();
  for (const path of merged.trustRoot ?? [])
    config.roots.push(...(await readCertificates(path, '--trust-root')));
  for (const path of merged.tsaRoot ?? [])
    config.tsaRoots.push(...(await readCertificates(path, '--tsa-root')));
  for (const path of merged.key ?? []) config.keys.push(await readPublicKey(path));
  config.certificateIdentity = merged.certificateIdentity;
  config.certificateIdentityRegexp = regexp(
    merged.certificateIdentityRegexp,
    '--certificate-identity-regexp',
  );
  config.certificateOidcIssuer = merged.certificateOidcIssuer;
  config.certificateOidcIssuerRegexp = regexp(
    merged.certificateOidcIssuerRegexp,
    '--certificate-oidc-issuer-regexp',
  );
  config.trustedRoots = merged.trustedRoot ?? [];
  config.notationDir = merged.notationDir;
  config.gpgKeyrings = merged.gpgKeyring ?? [];
  config.tufRoots = merged.tufRoot ?? [];
  config.policyFile = merged.policy;
  if (config.policyFile === undefined) {
    config.policyFile = await defaultContainersPolicy();
    if (config.policyFile !== undefined) config.policyIsDefault = true;
  }
  config.registriesDirs = merged.registriesD ?? [];
  config.allowWeakAlgorithms = isTrue(merged.allowWeakAlgorithms);
  for (const path of merged.inTotoLayoutKey ?? []) config.inTotoLayoutKeys.push(await readPublicKey(path));
  for (const path of merged.crl ?? []) {
    const { readCrls } = await import('./revocation/crl.js');
    config.crls.push(...(await readCrls(path)));
  }
  if (merged.revocation !== undefined) {
    const { REVOCATION_MODES } = await import('./revocation/check.js');
    if (!REVOCATION_MODES.includes(merged.revocation as RevocationMode)) {
      throw new SigscanError(
        'USAGE',
        `--revocation "${merged.revocation}" is not one of ${REVOCATION_MODES.join(', ')}`,
      );
    }
    config.revocation = merged.revocation as RevocationMode;
  }
  config.tufCache = merged.tufCache === 'none' ? undefined : (merged.tufCache ?? defaultTufCacheDir());
  config.signedIdentity = merged.signedIdentity;
  if (isTrue(merged.insecureIgnoreTlog)) config.insecureIgnoreTlog = true;
  config.sources = [
    ...(flags.config ? [{ kind: 'config', path: flags.config }] : []),
    ...PATH_KEYS.flatMap(([key, kind]) => {
      const v = merged[key] as string | string[] | undefined;
      return (v === undefined ? [] : Array.isArray(v) ? v : [v]).map((path) => ({ kind, path }));
    }),
    ...(config.policyIsDefault ? [{ kind: 'policy', path: config.policyFile!, default: true }] : []),
  ];
  if (merged.at) {
    const at = new Date(merged.at);
    if (Number.isNaN(at.getTime()))
      throw new SigscanError('USAGE', `--at "${merged.at}" is not an RFC 3339 time`);
    config.at = at;
  }
  config.input = flags;
  return config;
}

async function readConfigFile(path: string): Promise<TrustInput> {
  let doc: unknown;
  try {
    // Loaded only when a config file is read: most runs have none, and yaml costs start-up time.
    const { parse: parseYaml } = await import('yaml');
    doc = parseYaml(await readFile(path, 'utf8'), { logLevel: 'error' });
  } catch (err) {
    throw new SigscanError('USAGE', `cannot read --config ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  // An empty file (or one of comments) sets nothing.
  if (doc === null) return {};
  const section = (doc as { trust?: unknown }).trust ?? doc;
  // Anything but a mapping is refused, as the CLI's reader (cli/config-file.ts) refuses it: a file whose
  // colon was lost (`certificate-identity me@example.com`) is a scalar, and was read as no settings at all.
  if (typeof section !== 'object' || Array.isArray(section))
    throw new SigscanError('USAGE', `--config ${path}: expected a mapping of trust settings`);
  const out: TrustInput = {};
  for (const [k, v] of Object.entries(section as Record<string, unknown>)) {
    const key = CONFIG_KEYS[k];
    if (!key) throw new SigscanError('USAGE', `--config ${path}: unknown setting "${k}"`);
    (out as Record<string, unknown>)[key] = LIST_KEYS.has(key)
      ? Array.isArray(v)
        ? v.map(String)
        : [String(v)]
      : String(v);
  }
  return out;
}

/** Booleans come as `true` from flags and as true/"true" from YAML (read as strings above). */
function isTrue(v: unknown): boolean {
  return v === true || v === 'true';
}

/** PEM bundles, DER files, or a directory of them. */
export async function readCertificates(path: string, what: string): Promise<ParsedCertificate[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new SigscanError('USAGE', `${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (info.isDirectory()) {
    const out: ParsedCertificate[] = [];
    for (const name of (await readdir(path)).sort()) {
      const child = join(path, name);
      if ((await stat(child)).isFile()) out.push(...(await readCertificates(child, what)));
    }
    return out;
  }
  const bytes = new Uint8Array(await readFile(path));
  const text = Buffer.from(bytes).toString('latin1');
  const { parseCertificate, pemCertificates } = await import('../formats/x509.js');
  try {
    return text.includes('-----BEGIN CERTIFICATE-----')
      ? pemCertificates(text).map(parseCertificate)
      : [parseCertificate(bytes)];
  } catch (err) {
    throw new SigscanError('USAGE', `${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** PEM SPKI (cosign.pub), a PEM certificate (its key), or DER SPKI. */
export async function readPublicKey(path: string): Promise<TrustedKey> {
  let key: KeyObject;
  try {
    const bytes = await readFile(path);
    const text = bytes.toString('latin1');
    // A PEM certificate or a PEM key: createPublicKey takes both (a certificate gives its key).
    if (text.includes('-----BEGIN')) key = createPublicKey(text);
    else key = createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch (err) {
    throw new SigscanError('USAGE', `--key ${path}: not a public key (${(err as Error).message})`, {
      cause: err,
    });
  }
  const der = key.export({ type: 'spki', format: 'der' });
  return { path, key, spkiSha256: sha256Hex(der), algorithm: keyAlgorithm(key) };
}

export function keyAlgorithm(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  switch (key.asymmetricKeyType) {
    case 'ec':
      return `ECDSA-${d?.namedCurve === 'prime256v1' ? 'P-256' : d?.namedCurve === 'secp384r1' ? 'P-384' : d?.namedCurve === 'secp521r1' ? 'P-521' : (d?.namedCurve ?? 'unknown')}`;
    case 'rsa':
    case 'rsa-pss':
      return `RSA-${d?.modulusLength ?? 0}`;
    case 'ed25519':
      return 'Ed25519';
    default:
      return key.asymmetricKeyType ?? 'unknown';
  }
}

function regexp(source: string | undefined, what: string): RegExp | undefined {
  if (source === undefined) return undefined;
  try {
    // Anchored: an identity regexp that matches a substring is a classic policy hole.
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new SigscanError('USAGE', `${what}: ${(err as Error).message}`);
  }
}
