import { execFileSync } from 'node:child_process';
import {
  constants,
  createHash,
  sign as cryptoSign,
  type KeyObject,
  createPrivateKey,
  X509Certificate,
} from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildEvidence } from '../../../src/detectors/notation.js';
import { parseNotationEnvelope } from '../../../src/formats/notation/index.js';
import type { Evidence, ImageTarget } from '../../../src/model/index.js';
import type { Descriptor, FetchedManifest, OciManifest } from '../../../src/oci/types.js';
import { emptyTrustConfig, readCertificates, type TrustConfig } from '../../../src/trust/config.js';
import { TrustEvaluator } from '../../../src/trust/evaluator.js';
import { notationVerifier } from '../../../src/trust/families/notation.js';
import type { Verdict } from '../../../src/model/index.js';
import { PROJECT_ROOT } from '../../helpers/tools.js';

/** Test support for the notation trust tests: evidence from envelopes, notation dirs, extra PKI. */

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const REGISTRY = 'registry.example';
export const REPOSITORY = 'team/app';

export function imageTarget(
  descriptor: Descriptor,
  repository = REPOSITORY,
  registry = REGISTRY,
): ImageTarget {
  return {
    kind: 'image',
    registry,
    repository,
    digest: descriptor.digest,
    mediaType: descriptor.mediaType,
    size: descriptor.size,
  };
}

/** A made-up image manifest to sign. */
export function sampleImage(seed = 'app'): { descriptor: Descriptor; target: ImageTarget } {
  const bytes = new TextEncoder().encode(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { seed }, layers: [] }),
  );
  const descriptor: Descriptor = {
    mediaType: OCI_MANIFEST,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    size: bytes.length,
  };
  return { descriptor, target: imageTarget(descriptor) };
}

/** Evidence exactly as the detector builds it from an envelope found as a referrer of `target`. */
export function evidenceFor(
  envelopeBytes: Uint8Array,
  mediaType: string,
  target: ImageTarget,
  manifestAnnotations: Record<string, string> = {},
): Evidence {
  const env = parseNotationEnvelope(envelopeBytes, mediaType);
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: 'application/vnd.cncf.notary.signature',
    config: {
      mediaType: 'application/vnd.oci.empty.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    },
    layers: [
      {
        mediaType,
        digest: 'sha256:' + createHash('sha256').update(envelopeBytes).digest('hex'),
        size: envelopeBytes.length,
      },
    ],
    subject: { mediaType: target.mediaType, digest: target.digest, size: target.size ?? 0 },
    annotations: manifestAnnotations,
  };
  const manifestBytes = new TextEncoder().encode(JSON.stringify(manifest));
  const fetched: FetchedManifest = {
    descriptor: {
      mediaType: OCI_MANIFEST,
      digest: 'sha256:' + createHash('sha256').update(manifestBytes).digest('hex'),
      size: manifestBytes.length,
    },
    bytes: manifestBytes,
    manifest,
  };
  return buildEvidence(target, fetched, env, 'artifactType');
}

export async function evaluate(
  evidence: Evidence,
  target: ImageTarget,
  config: TrustConfig,
): Promise<Verdict> {
  return new TrustEvaluator(config, { notation: notationVerifier }).evaluate(evidence, target);
}

export function config(partial: Partial<TrustConfig> = {}): TrustConfig {
  return { ...emptyTrustConfig(), ...partial };
}

export async function rootsFrom(...paths: string[]) {
  const out = [];
  for (const p of paths) out.push(...(await readCertificates(p, '--trust-root')));
  return out;
}

const tempDirs: string[] = [];
process.on('exit', () => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'sigscan-notation-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(d);
  return d;
}

export interface NotationDirSpec {
  /** `type/name` -> files (name -> bytes or text). */
  stores: Record<string, Record<string, string | Uint8Array>>;
  policy: unknown;
  policyFile?: string;
}

/** A notation configuration directory: trustpolicy.oci.json plus truststore/x509/<type>/<name>/. */
export function notationDir(spec: NotationDirSpec): string {
  const dir = tempDir();
  for (const [store, files] of Object.entries(spec.stores)) {
    const path = join(dir, 'truststore', 'x509', store);
    mkdirSync(path, { recursive: true });
    for (const [name, content] of Object.entries(files)) writeFileSync(join(path, name), content);
  }
  writeFileSync(join(dir, spec.policyFile ?? 'trustpolicy.oci.json'), JSON.stringify(spec.policy, null, 2));
  return dir;
}

export function statement(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test',
    registryScopes: ['*'],
    signatureVerification: { level: 'strict' },
    trustStores: ['ca:test'],
    trustedIdentities: ['*'],
    ...overrides,
  };
}

export function policy(...statements: Array<Record<string, unknown>>): unknown {
  return { version: '1.0', trustPolicies: statements };
}

// ---------------------------------------------------------------------------------------------------------
// A second, independent PKI made with openssl, with certificates the main test PKI does not offer.

export interface Cert {
  pem: string;
  der: Uint8Array;
  key: KeyObject;
  subject: string;
}

export interface ExtraPki {
  root: Cert;
  leaf: Cert;
  intermediate: Cert;
  /** Leaf issued by the intermediate. */
  subLeaf: Cert;
  /** Leaf with basicConstraints CA:true (profile violation). */
  caLeaf: Cert;
  /** Leaf whose keyUsage is not critical. */
  nonCriticalKuLeaf: Cert;
  /** Leaf with EKU serverAuth. */
  serverAuthLeaf: Cert;
  /** Leaf signed with SHA-1. */
  sha1Leaf: Cert;
  /** A self-signed leaf (pinned-certificate case). */
  selfSigned: Cert;
}

let extra: ExtraPki | undefined;

/** Bump when the recipe below changes: the cache directory is keyed by it and by the day. */
const EXTRA_PKI_RECIPE = 'notation-extra-pki-v1';

/**
 * Made once a day into .cache/test-fixtures/ (nine RSA keys: seconds), then read back by every later
 * test process; Stryker reruns the files that use it for every mutant they cover.
 */
export function extraPki(): ExtraPki {
  if (extra) return extra;
  const final = join(
    PROJECT_ROOT,
    '.cache',
    'test-fixtures',
    `${EXTRA_PKI_RECIPE}-${new Date().toISOString().slice(0, 10)}`,
  );
  const fresh = !existsSync(join(final, 'done'));
  let dir = final;
  if (fresh) {
    mkdirSync(join(final, '..'), { recursive: true });
    dir = mkdtempSync(`${final}.building-`);
  }
  const run = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ext = (name: string, lines: string[]) => writeFileSync(join(dir, name), [...lines, ''].join('\n'));
  if (fresh) {
    ext('ca.ext', [
      'basicConstraints=critical,CA:true',
      'keyUsage=critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier=hash',
    ]);
    ext('leaf.ext', [
      'basicConstraints=critical,CA:false',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=codeSigning',
    ]);
    ext('caleaf.ext', ['basicConstraints=critical,CA:true', 'keyUsage=critical,digitalSignature']);
    ext('noncrit.ext', ['keyUsage=digitalSignature']);
    ext('server.ext', ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth']);
  }
  const base = '/C=US/ST=WA/L=Seattle/O=other org';
  let serial = 1000;
  const make = (
    name: string,
    cn: string,
    issuer: string | undefined,
    extFile: string,
    digest = '-sha256',
  ) => {
    const s = serial++;
    if (!fresh) return;
    run('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${name}.key`);
    run('req', '-new', '-key', `${name}.key`, '-subj', `${base}/CN=${cn}`, '-out', `${name}.csr`);
    const signer = issuer ? ['-CA', `${issuer}.crt`, '-CAkey', `${issuer}.key`] : ['-signkey', `${name}.key`];
    run(
      'x509', '-req', '-in', `${name}.csr`, ...signer, digest, '-days', '365',
      '-set_serial', String(s), '-extfile', extFile, '-out', `${name}.crt`,
    ); // prettier-ignore
  };
  make('root', 'other root', undefined, 'ca.ext');
  make('leaf', 'other leaf', 'root', 'leaf.ext');
  make('inter', 'other intermediate', 'root', 'ca.ext');
  make('subleaf', 'other sub leaf', 'inter', 'leaf.ext');
  make('caleaf', 'ca leaf', 'root', 'caleaf.ext');
  make('noncrit', 'noncritical leaf', 'root', 'noncrit.ext');
  make('server', 'server leaf', 'root', 'server.ext');
  make('sha1', 'sha1 leaf', 'root', 'leaf.ext', '-sha1');
  make('self', 'self signed', undefined, 'leaf.ext');
  if (fresh) {
    writeFileSync(join(dir, 'done'), '');
    try {
      renameSync(dir, final);
    } catch {
      // Another process got there first; its PKI is as good.
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const load = (name: string): Cert => {
    const pem = readFileSync(join(final, `${name}.crt`), 'utf8');
    const x = new X509Certificate(pem);
    return {
      pem,
      der: new Uint8Array(x.raw),
      key: createPrivateKey(readFileSync(join(final, `${name}.key`), 'utf8')),
      subject: x.subject.split('\n').reverse().join(','),
    };
  };
  extra = {
    root: load('root'),
    leaf: load('leaf'),
    intermediate: load('inter'),
    subLeaf: load('subleaf'),
    caLeaf: load('caleaf'),
    nonCriticalKuLeaf: load('noncrit'),
    serverAuthLeaf: load('server'),
    sha1Leaf: load('sha1'),
    selfSigned: load('self'),
  };
  return extra;
}

/**
 * A JWS envelope signed with any key and carrying any chain, for the cases the test signer cannot make
 * (broken chains, profile violations, extra critical headers). RSA 2048 keys sign PS256.
 */
export function signJws(opts: {
  target: Descriptor;
  key: KeyObject;
  chain: Uint8Array[];
  alg?: string;
  scheme?: 'notary.x509' | 'notary.x509.signingAuthority';
  time?: Date;
  expiry?: Date;
  extraCrit?: Record<string, unknown>;
}): Uint8Array {
  const alg = opts.alg ?? 'PS256';
  const scheme = opts.scheme ?? 'notary.x509';
  const time = (opts.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const crit = ['io.cncf.notary.signingScheme'];
  const header: Record<string, unknown> = {
    alg,
    cty: 'application/vnd.cncf.notary.payload.v1+json',
    'io.cncf.notary.signingScheme': scheme,
  };
  if (scheme === 'notary.x509') header['io.cncf.notary.signingTime'] = time;
  else {
    header['io.cncf.notary.authenticSigningTime'] = time;
    crit.push('io.cncf.notary.authenticSigningTime');
  }
  if (opts.expiry) {
    header['io.cncf.notary.expiry'] = opts.expiry.toISOString().replace(/\.\d{3}Z$/, 'Z');
    crit.push('io.cncf.notary.expiry');
  }
  for (const [k, v] of Object.entries(opts.extraCrit ?? {})) {
    header[k] = v;
    crit.push(k);
  }
  header['crit'] = crit;
  const payload = Buffer.from(
    JSON.stringify({
      targetArtifact: {
        mediaType: opts.target.mediaType,
        digest: opts.target.digest,
        size: opts.target.size,
      },
    }),
  ).toString('base64url');
  const prot = Buffer.from(JSON.stringify(header)).toString('base64url');
  const hash = { PS256: 'sha256', PS384: 'sha384', PS512: 'sha512' }[alg] ?? 'sha256';
  const signature = cryptoSign(hash, Buffer.from(`${prot}.${payload}`), {
    key: opts.key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: createHash(hash).digest().length,
  });
  return new TextEncoder().encode(
    JSON.stringify({
      payload,
      protected: prot,
      header: { x5c: opts.chain.map((d) => Buffer.from(d).toString('base64')) },
      signature: signature.toString('base64url'),
    }),
  );
}
