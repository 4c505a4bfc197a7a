import type { PublicKey } from 'openpgp';

import { readKeyringFile } from '../../formats/simple-signing/keyring.js';
import type { SimpleSigningMaterial } from '../../formats/simple-signing/material.js';
import {
  imageReference,
  referenceString,
  type DockerReference,
} from '../../formats/simple-signing/reference.js';
import type { ImageTarget, Verdict } from '../../model/index.js';
import type { TrustConfig } from '../config.js';
import {
  checkSimpleSignature,
  defaultLoadKeys,
  describeKey,
  evaluatePolicy,
  identityMatches,
  readPolicyFile,
  requirementsFor,
  type ContainersPolicy,
  type PolicyDecision,
  type SignedIdentity,
} from '../policy/index.js';
import { safeParse } from '../policy/identity.js';
import { invalid, untrusted, unverified, verificationError, verified } from '../verdicts.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';

const keyringCache = new WeakMap<TrustConfig, Promise<PublicKey[]>>();
const policyCache = new WeakMap<TrustConfig, Promise<ContainersPolicy | undefined>>();
/** One policy decision per image: keyed by the signature list the detector shares across its evidence. */
const decisionCache = new WeakMap<object, Promise<PolicyDecision>>();

/** The `--gpg-keyring` keys, read once per trust configuration (simple signing, RPM and debsig share them). */
export function configKeyrings(config: TrustConfig): Promise<PublicKey[]> {
  let p = keyringCache.get(config);
  if (!p) {
    p = (async () => (await Promise.all(config.gpgKeyrings.map(readKeyringFile))).flat())();
    keyringCache.set(config, p);
  }
  return p;
}

function configPolicy(config: TrustConfig): Promise<ContainersPolicy | undefined> {
  let p = policyCache.get(config);
  if (!p) {
    p = config.policyFile ? readPolicyFile(config.policyFile) : Promise.resolve(undefined);
    policyCache.set(config, p);
  }
  return p;
}

/**
 * Simple signing (formats.md §4.3): the OpenPGP signature must verify with a key from `--gpg-keyring`
 * or from the signedBy requirements that containers-policy.json applies to this image; the key must
 * be valid (not expired, not revoked) at the verification time (`--at` or now, never the creation
 * time the signature declares: trust/policy/signature.ts `keyValidAt`) and the signature must not
 * have expired then; the claim must name this manifest digest and an identity that matches
 * the image under the policy's signedIdentity (default matchRepoDigestOrExact).
 *
 * With a policy, the per-image decision (evaluatePolicy, shared by every signature of the image) is
 * added to each verdict's message; a signature that verifies on an image the policy rejects is
 * `untrusted` (POLICY_REJECTED), since the user's policy does not anchor it.
 */
export const simpleSigningVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  if (target.kind !== 'image')
    return verificationError('UNSUPPORTED', 'simple signing applies to images only');
  const material = evidence.material as SimpleSigningMaterial | undefined;
  if (!material?.blob) return verificationError('INTERNAL', 'the detector handed over no signature blob');
  // containers-policy.json scopes a dir: image under the `dir` transport by path; only the docker
  // transport's scopes are implemented, so a policy is not applied to an image with no name.
  const unnamed = target.repository === '';
  const policy = unnamed ? undefined : await configPolicy(ctx.config);
  const scoped = policy ? requirementsFor(policy, target) : undefined;
  const keys = [...(await configKeyrings(ctx.config))];
  let signedIdentity: SignedIdentity | undefined;
  for (const req of scoped?.requirements ?? []) {
    if (req.type !== 'signedBy' || req.keyType !== 'GPGKeys') continue;
    signedIdentity ??= req.signedIdentity;
    try {
      keys.push(...(await defaultLoadKeys(req, policy!)));
    } catch {
      // Reported by the policy decision; the other trust roots still apply.
    }
  }
  const decision = policy ? await policyDecision(policy, target, material, ctx) : undefined;
  const verdict = await signatureVerdict(
    material.blob,
    keys,
    target,
    signedIdentity,
    ctx.now,
    ctx.config.signedIdentity,
  );
  if (unnamed && ctx.config.policyFile) {
    return {
      ...verdict,
      message: `${verdict.message}; --policy not applied (no docker name: dir transport scopes are not implemented)`,
    };
  }
  return withPolicy(verdict, decision);
};

async function signatureVerdict(
  blob: Uint8Array,
  keys: PublicKey[],
  image: ImageTarget,
  signedIdentity: SignedIdentity | undefined,
  now: Date,
  expectedIdentity?: string,
): Promise<Verdict> {
  if (keys.length === 0) {
    // Still say whether it is a signature at all.
    const shape = await checkSimpleSignature(blob, [], now);
    if (!shape.ok && shape.code !== 'UNKNOWN_SIGNER')
      return { status: shape.status, code: shape.code, message: shape.message };
    return unverified(
      'NO_TRUST_ROOT',
      'no OpenPGP keyring given (--gpg-keyring or a signedBy policy requirement)',
    );
  }
  const check = await checkSimpleSignature(blob, keys, now);
  if (!check.ok) return { status: check.status, code: check.code, message: check.message };
  const who = describeKey(check.key);
  const { claim } = check;
  if (claim.manifestDigest !== image.digest) {
    return invalid(
      'CLAIM_DIGEST_MISMATCH',
      `good signature by ${who}, but it signs ${claim.manifestDigest}, not this image (${image.digest})`,
    );
  }
  const signed = safeParse(claim.dockerReference);
  if (!signed) {
    return invalid(
      'INVALID_REFERENCE',
      `good signature by ${who}, but its docker-reference "${claim.dockerReference}" is not a valid reference`,
    );
  }
  if (image.repository === '')
    return unnamedImageVerdict(who, claim.dockerReference, signed, expectedIdentity);
  let imageRef;
  try {
    imageRef = imageReference(image);
  } catch (err) {
    return verificationError(
      'INTERNAL',
      `cannot name the image as a docker reference: ${(err as Error).message}`,
    );
  }
  const rule = signedIdentity?.type ?? 'matchRepoDigestOrExact';
  if (!identityMatches(signedIdentity, imageRef, signed)) {
    return untrusted(
      'IDENTITY_MISMATCH',
      `good signature by ${who}, but it is for "${claim.dockerReference}", which does not match this image under ${rule}`,
    );
  }
  return verified('SIGNED_BY_TRUSTED_KEY', `signed by ${who} for "${claim.dockerReference}" (${rule})`);
}

/**
 * An image with no name of its own (a skopeo `dir:` layout): containers/image refuses every identity rule
 * that needs the image's reference, and `skopeo standalone-verify` takes the expected reference from the
 * user and compares it with the claimed one after normalizing both. So the claim is checked against
 * `--signed-identity`, and without it the good signature stays unverified with its claim reported.
 */
function unnamedImageVerdict(
  who: string,
  claimed: string,
  signed: DockerReference,
  expected: string | undefined,
): Verdict {
  if (expected === undefined) {
    return unverified(
      'IDENTITY_NOT_CHECKED',
      `good signature by ${who} for "${claimed}", but this image has no name to match it against ` +
        '(give --signed-identity, as skopeo standalone-verify takes the expected reference)',
    );
  }
  const want = safeParse(expected);
  if (!want) return verificationError('USAGE', `--signed-identity "${expected}" is not a docker reference`);
  if (referenceString(want) !== referenceString(signed)) {
    return untrusted(
      'IDENTITY_MISMATCH',
      `good signature by ${who}, but it is for "${claimed}", not --signed-identity "${expected}"`,
    );
  }
  return verified('SIGNED_BY_TRUSTED_KEY', `signed by ${who} for "${claimed}" (--signed-identity)`);
}

function policyDecision(
  policy: ContainersPolicy,
  image: ImageTarget,
  material: SimpleSigningMaterial,
  ctx: TrustContext,
): Promise<PolicyDecision> {
  const key = material.image ?? material;
  let p = decisionCache.get(key);
  if (!p) {
    p = evaluatePolicy(policy, image, material.image?.blobs ?? [material.blob], { now: ctx.now });
    decisionCache.set(key, p);
  }
  return p;
}

function withPolicy(verdict: Verdict, decision: PolicyDecision | undefined): Verdict {
  if (!decision) return verdict;
  const summary = `containers policy ${decision.decision}s the image (${decision.scope}${decision.requirement ? `, ${decision.requirement}` : ''}): ${decision.reason}`;
  if (verdict.status === 'verified' && decision.decision === 'reject') {
    return untrusted('POLICY_REJECTED', `${verdict.message}; but ${summary}`);
  }
  return { ...verdict, message: `${verdict.message}; ${summary}` };
}
