import type { NotationMaterial } from '../../detectors/notation.js';
import type { ParsedCertificate } from '../../formats/x509.js';
import type { Evidence, Target } from '../../model/index.js';
import type { TrustConfig } from '../config.js';
import {
  LEVELS,
  loadTrustPolicy,
  selectStatement,
  TrustPolicyError,
  type TrustPolicyDocument,
  type TrustPolicyStatement,
  type TrustStoreRef,
} from '../notation/trustpolicy.js';
import {
  storeLabel,
  TrustStoreCache,
  TrustStoreError,
  trustStoreRoot,
  type NotationTrustStore,
} from '../notation/truststore.js';
import {
  checkIntegrity,
  NotationCode,
  verifyUnderPolicy,
  type NotationSignatureInput,
} from '../notation/verify.js';
import { revocationOptions } from '../revocation/options.js';
import type { FamilyVerifier } from '../verifier.js';
import { unverified, verificationError } from '../verdicts.js';

/**
 * Notary Project signatures (formats.md §3.5–3.6).
 *
 * With `--notation-dir`: the directory's `trustpolicy.oci.json` (or legacy `trustpolicy.json`) selects
 * the statement for the image's `registry/repository`, and its `truststore/x509/...` stores anchor it.
 *
 * Without `--notation-dir` (documented fallback): `--trust-root` certificates act as one trust store
 * named `trust-root`, usable as `ca` (notary.x509) and as `signingAuthority` (signing-authority scheme),
 * under an implicit global policy: level strict, verifyTimestamp always, trustedIdentities `*`, and
 * `--tsa-root` certificates as the `tsa:tsa-root` store when any were given (with no TSA roots there is
 * no tsa store, so, as in notation, no timestamp is required and the chain must be valid "now").
 * With neither, an intact signature is `unverified`/NO_TRUST_ROOT; a broken one is still `invalid`.
 */
export const notationVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  const material = evidence.material as NotationMaterial | undefined;
  if (!material) {
    return verificationError('NO_MATERIAL', 'the notation detector handed over no signature material');
  }
  const input = signatureInput(material, evidence);
  const integrity = await checkIntegrity(input, target);
  if (!integrity.ok) return integrity.verdict!;
  const chain = integrity.chain!;

  let trust: NotationTrust;
  try {
    trust = await trustFor(ctx.config);
  } catch (err) {
    return configurationError(err);
  }
  if (trust.kind === 'none') {
    return unverified(
      NotationCode.noTrustRoot,
      `notation signature by ${chain[0]!.summary.subject} is intact, but no trust root was given; pass --notation-dir (trust policy and stores) or --trust-root to verify it`,
    );
  }
  const scope = scopeOf(target);
  const statement = trust.kind === 'fallback' ? trust.statement : selectStatement(trust.doc, scope);
  if (!statement) {
    return unverified(
      NotationCode.noPolicyForScope,
      `notation signature is intact, but no trust policy statement in ${trust.source} covers ${scope ?? 'this artifact'} and there is no global ("*") statement`,
    );
  }
  try {
    const { verdict } = await verifyUnderPolicy(
      input,
      chain,
      { statement, source: trust.source, stores: (ref) => trust.stores.get(ref) },
      ctx.now,
      revocationOptions(ctx),
    );
    const warnings = await storeWarnings(trust.stores, statement.trustStores);
    evidence.details = {
      ...evidence.details,
      trustPolicy: { name: statement.name, level: statement.level, source: trust.source },
      ...(warnings.length ? { trustStoreWarnings: warnings } : {}),
    };
    return verdict;
  } catch (err) {
    return configurationError(err);
  }
};

type NotationTrust =
  | { kind: 'none' }
  | { kind: 'policy'; doc: TrustPolicyDocument; stores: TrustStoreCache; source: string }
  | { kind: 'fallback'; statement: TrustPolicyStatement; stores: TrustStoreCache; source: string };

/** One trust setup per TrustConfig (one scan): the policy is parsed and stores are read once. */
const TRUST = new WeakMap<TrustConfig, Promise<NotationTrust>>();

function trustFor(config: TrustConfig): Promise<NotationTrust> {
  let p = TRUST.get(config);
  if (!p) {
    p = buildTrust(config);
    TRUST.set(config, p);
  }
  return p;
}

export const FALLBACK_POLICY_NAME = 'sigscan --trust-root';

async function buildTrust(config: TrustConfig): Promise<NotationTrust> {
  if (config.notationDir) {
    const dir = config.notationDir;
    const doc = await loadTrustPolicy(dir);
    return { kind: 'policy', doc, stores: new TrustStoreCache(trustStoreRoot(dir)), source: doc.source };
  }
  if (config.roots.length === 0) return { kind: 'none' };
  const memory = new Map<string, NotationTrustStore>();
  const add = (ref: TrustStoreRef, certificates: ParsedCertificate[]) =>
    memory.set(storeLabel(ref), { ...ref, path: '(command line)', certificates, warnings: [] });
  const refs: TrustStoreRef[] = [
    { type: 'ca', name: 'trust-root' },
    { type: 'signingAuthority', name: 'trust-root' },
  ];
  for (const ref of refs) add(ref, config.roots);
  if (config.tsaRoots.length) {
    const tsa: TrustStoreRef = { type: 'tsa', name: 'tsa-root' };
    add(tsa, config.tsaRoots);
    refs.push(tsa);
  }
  const statement: TrustPolicyStatement = {
    name: FALLBACK_POLICY_NAME,
    registryScopes: ['*'],
    level: 'strict',
    actions: { ...LEVELS.strict },
    verifyTimestamp: 'always',
    trustStores: refs,
    trustedIdentities: 'any',
  };
  return {
    kind: 'fallback',
    statement,
    stores: new TrustStoreCache(undefined, memory),
    source: 'implicit policy from --trust-root',
  };
}

function signatureInput(material: NotationMaterial, evidence: Evidence): NotationSignatureInput {
  const details = evidence.details ?? {};
  const input: NotationSignatureInput = {
    alg: material.alg,
    signedBytes: material.signedBytes,
    signature: material.signature,
    certificatesDer: material.certificatesDer,
    payloadBytes: material.payloadBytes,
    crit: material.crit ?? [],
  };
  const scheme = material.signingScheme ?? details['signingScheme'];
  if (typeof scheme === 'string') input.signingScheme = scheme;
  if (material.timestampTokenDer) input.timestampTokenDer = material.timestampTokenDer;
  const expiry = material.expiry ?? dateOf(details['expiry']);
  if (expiry) input.expiry = expiry;
  const ast = material.authenticSigningTime ?? dateOf(details['authenticSigningTime']);
  if (ast) input.authenticSigningTime = ast;
  return input;
}

function dateOf(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * The repository a trust policy scope names: `registry/repository`, with Docker Hub spelled as notation
 * users write it (`docker.io/library/x`). File targets have no scope; only the global statement applies.
 */
export function scopeOf(target: Target): string | undefined {
  if (target.kind !== 'image') return undefined;
  let registry = target.registry;
  let repository = target.repository;
  if (['registry-1.docker.io', 'index.docker.io'].includes(registry)) registry = 'docker.io';
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  return `${registry}/${repository}`;
}

async function storeWarnings(stores: TrustStoreCache, refs: TrustStoreRef[]): Promise<string[]> {
  const out: string[] = [];
  for (const ref of refs) {
    try {
      out.push(...(await stores.get(ref)).warnings);
    } catch {
      // A store that failed to load already produced the verdict.
    }
  }
  return out;
}

function configurationError(err: unknown) {
  if (err instanceof TrustPolicyError) return verificationError('TRUST_POLICY_INVALID', err.message);
  if (err instanceof TrustStoreError) return verificationError('TRUST_STORE_INVALID', err.message);
  throw err;
}
