import { dirname, isAbsolute, resolve } from 'node:path';

import type { PublicKey } from 'openpgp';

import { parseKeyring, readKeyringFile } from '../../formats/simple-signing/keyring.js';
import { imageReference } from '../../formats/simple-signing/reference.js';
import { identityMatches, safeParse } from './identity.js';
import { requirementsFor, type ImageName } from './scope.js';
import { checkSimpleSignature, describeKey } from './signature.js';
import type { ContainersPolicy, PolicyDecision, PolicyRequirement } from './types.js';

export interface PolicyEvaluationOptions {
  now: Date;
  /** Reads a signedBy requirement's keys; the default reads keyPath(s)/keyData, cached per policy. */
  loadKeys?: (
    req: Extract<PolicyRequirement, { type: 'signedBy' }>,
    policy: ContainersPolicy,
  ) => Promise<PublicKey[]>;
}

type Outcome = { accept: boolean; reason: string };

/**
 * Would containers/image accept this registry image? The scope is chosen most-specific-first
 * (scope.ts); the image is accepted only if *every* requirement of that scope accepts it, and a
 * signature requirement accepts when *at least one* of the image's simple signatures satisfies it.
 * The first rejecting requirement decides a rejection; when all accept, the last signature
 * requirement (else the first requirement) is reported as deciding.
 */
export async function evaluatePolicy(
  policy: ContainersPolicy,
  image: ImageName,
  signatures: readonly Uint8Array[],
  opts: PolicyEvaluationOptions,
): Promise<PolicyDecision> {
  const { scope, requirements } = requirementsFor(policy, image);
  // containers/image refuses an empty list (policy_eval.go IsRunningImageAllowed) rather than accept an
  // image no requirement looked at; parsePolicy never makes one, a policy built in code can.
  if (requirements.length === 0)
    return { decision: 'reject', scope, reason: 'the list of requirements is empty' };
  let accepted: { requirement: PolicyRequirement; outcome: Outcome } | undefined;
  for (const requirement of requirements) {
    const outcome = await evaluateRequirement(policy, requirement, image, signatures, opts);
    if (!outcome.accept) {
      return {
        decision: 'reject',
        scope,
        requirement: describeRequirement(requirement),
        reason: outcome.reason,
      };
    }
    if (!accepted || requirement.type === 'signedBy') accepted = { requirement, outcome };
  }
  // Set by the first requirement at least: the list is not empty and every requirement accepted.
  const decided = accepted!;
  return {
    decision: 'accept',
    scope,
    requirement: describeRequirement(decided.requirement),
    reason: decided.outcome.reason,
  };
}

export function describeRequirement(req: PolicyRequirement): string {
  switch (req.type) {
    case 'signedBy': {
      const keys = req.keyPath ?? req.keyPaths?.join(', ') ?? (req.keyData ? 'keyData' : '');
      const identity = req.signedIdentity ? ` ${req.signedIdentity.type}` : '';
      return `signedBy ${req.keyType} ${keys}${identity}`;
    }
    case 'sigstoreSigned':
      return 'sigstoreSigned';
    default:
      return req.type;
  }
}

async function evaluateRequirement(
  policy: ContainersPolicy,
  req: PolicyRequirement,
  image: ImageName,
  signatures: readonly Uint8Array[],
  opts: PolicyEvaluationOptions,
): Promise<Outcome> {
  switch (req.type) {
    case 'insecureAcceptAnything':
      return { accept: true, reason: 'insecureAcceptAnything accepts any image' };
    case 'reject':
      return { accept: false, reason: 'the policy rejects every image in this scope' };
    case 'signedBaseLayer':
      return {
        accept: false,
        reason: 'signedBaseLayer is not implemented (containers/image rejects it too)',
      };
    case 'sigstoreSigned':
      // Sigstore signatures are the cosign family; this evaluation sees only simple signatures.
      return {
        accept: false,
        reason:
          'sigstoreSigned needs a sigstore signature; sigscan evaluates containers policy on simple signatures only',
      };
    case 'signedBy':
      return evaluateSignedBy(policy, req, image, signatures, opts);
  }
}

async function evaluateSignedBy(
  policy: ContainersPolicy,
  req: Extract<PolicyRequirement, { type: 'signedBy' }>,
  image: ImageName,
  signatures: readonly Uint8Array[],
  opts: PolicyEvaluationOptions,
): Promise<Outcome> {
  if (req.keyType !== 'GPGKeys') {
    return { accept: false, reason: `keyType ${req.keyType} is not supported (only GPGKeys)` };
  }
  if (signatures.length === 0)
    return { accept: false, reason: 'a signature was required, but the image has none' };
  let keys: PublicKey[];
  try {
    keys = await (opts.loadKeys ?? defaultLoadKeys)(req, policy);
  } catch (err) {
    return { accept: false, reason: `cannot read the requirement's keys: ${(err as Error).message}` };
  }
  const imageRef = imageReference(image);
  const reasons: string[] = [];
  for (const blob of signatures) {
    const check = await checkSimpleSignature(blob, keys, opts.now);
    if (!check.ok) {
      reasons.push(check.message);
      continue;
    }
    if (check.claim.manifestDigest !== image.digest) {
      reasons.push(`signature for ${check.claim.manifestDigest}, not ${image.digest}`);
      continue;
    }
    const signed = safeParse(check.claim.dockerReference);
    if (!signed) {
      reasons.push(`invalid docker-reference "${check.claim.dockerReference}" in the signature`);
      continue;
    }
    if (!identityMatches(req.signedIdentity, imageRef, signed)) {
      reasons.push(`signature is for "${check.claim.dockerReference}", which does not match the image`);
      continue;
    }
    return {
      accept: true,
      reason: `signed by ${describeKey(check.key)} for "${check.claim.dockerReference}"`,
    };
  }
  return { accept: false, reason: `no signature satisfies it: ${[...new Set(reasons)].join('; ')}` };
}

const keyCache = new WeakMap<ContainersPolicy, Map<string, Promise<PublicKey[]>>>();

/** keyPath / keyPaths (relative paths resolve against the policy file) or base64 keyData. */
export async function defaultLoadKeys(
  req: Extract<PolicyRequirement, { type: 'signedBy' }>,
  policy: ContainersPolicy,
): Promise<PublicKey[]> {
  let cache = keyCache.get(policy);
  if (!cache) keyCache.set(policy, (cache = new Map()));
  const base = policy.path ? dirname(policy.path) : process.cwd();
  const load = (key: string, fn: () => Promise<PublicKey[]>): Promise<PublicKey[]> => {
    let p = cache.get(key);
    if (!p) cache.set(key, (p = fn()));
    return p;
  };
  if (req.keyData !== undefined) {
    const data = req.keyData;
    return load(`data:${data}`, () =>
      parseKeyring(new Uint8Array(Buffer.from(data, 'base64')), 'policy keyData'),
    );
  }
  const paths = req.keyPath !== undefined ? [req.keyPath] : (req.keyPaths ?? []);
  const out: PublicKey[] = [];
  for (const p of paths) {
    const abs = isAbsolute(p) ? p : resolve(base, p);
    out.push(...(await load(abs, () => readKeyringFile(abs))));
  }
  return out;
}
