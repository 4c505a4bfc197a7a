import { describeError } from '../errors.js';
import {
  parseClaim,
  parseExtensionSignatures,
  parseSimpleSigningMessage,
  sniffSignatureBlob,
  type SimpleSigningClaim,
  type SimpleSigningImageSignatures,
  type SimpleSigningMaterial,
} from '../formats/simple-signing/index.js';
import type { Evidence, Finding, ImageTarget, SignerIdentity, Target } from '../model/index.js';
import { DIR_STORE_PREFIX, SkopeoDirStore } from '../oci/layout/skopeo-dir.js';
import { RegistryClient } from '../oci/registry/client.js';
import type { DetectContext, Detector } from './detector.js';
import {
  simpleSigningService,
  type FetchedSignature,
  type SimpleSigningService,
} from './simple-signing-service.js';

export type SimpleSigningSource = 'lookaside' | 'extension' | 'dir';

/**
 * containers/image "simple signing" (formats.md §4): OpenPGP-signed JSON claims stored outside the
 * image, on a lookaside server chosen by registries.d, or behind the registry's
 * `X-Registry-Supports-Signatures` extension API. Without a SimpleSigningService in `ctx.services`
 * only the extension API is asked.
 */
export const simpleSigningDetector: Detector = {
  name: 'simple-signing',
  family: 'simple-signing',
  // OCI layouts carry no repository name: there is no lookaside path for them. A `dir:` layout keeps its
  // signatures beside the manifest.
  applies: (target: Target) =>
    target.kind === 'image' &&
    (target.repository !== '' || target.registry.startsWith(DIR_STORE_PREFIX)) &&
    Boolean(target.digest),
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  const image = target as ImageTarget;
  const service = simpleSigningService(ctx.services);
  const found: Array<FetchedSignature & { source: SimpleSigningSource; scope?: string }> = [];

  if (ctx.oci instanceof SkopeoDirStore) {
    for (const sig of await ctx.oci.signatures(image.digest, ctx.limits.maxSignatureBlobBytes)) {
      found.push({ location: sig.path, blob: sig.blob, source: 'dir' });
    }
  }
  const lookaside = image.repository === '' ? undefined : service?.lookasideFor(image);
  if (service && lookaside) {
    for await (const sig of service.fetchLookaside(
      lookaside.base,
      image.repository,
      image.digest,
      ctx.limits.maxSignatureBlobBytes,
      ctx.log,
    )) {
      found.push({ ...sig, source: 'lookaside', scope: lookaside.scope });
    }
  }
  if (ctx.oci instanceof RegistryClient && (service?.useExtensionApi ?? true)) {
    const body = await ctx.oci.getSignatureExtension(
      image.repository,
      image.digest,
      ctx.limits.maxSignatureBlobBytes,
    );
    if (body) {
      const { signatures } = parseExtensionSignatures(body);
      for (const s of signatures)
        found.push({ location: `extension:${s.name}`, blob: s.blob, source: 'extension' });
    }
  }

  const shared: SimpleSigningImageSignatures = { blobs: [] };
  const evidence: Evidence[] = [];
  for (const sig of found) {
    const sniffed = sniffSignatureBlob(sig.blob);
    // sigstore-json files in a lookaside are cosign signatures (formats.md §2), not this family.
    if (sniffed.format === 'sigstore-json') continue;
    shared.blobs.push(sig.blob);
    const ev = await simpleSigningEvidence(image, sig.location, sig.blob, sig.source, shared, service);
    if (sig.scope) ev.details = { ...ev.details, registriesDScope: sig.scope };
    evidence.push(ev);
  }
  // All blobs are known before the first verdict, so the per-image policy sees every signature.
  yield* evidence;
}

/**
 * Evidence for one signature blob. Everything read here is unauthenticated and for display only:
 * the trust layer re-parses the exact blob, verifies it, and only then trusts the claim.
 */
export async function simpleSigningEvidence(
  image: ImageTarget,
  location: string,
  blob: Uint8Array,
  source: SimpleSigningSource,
  shared: SimpleSigningImageSignatures = { blobs: [blob] },
  service?: SimpleSigningService,
): Promise<Evidence> {
  const findings: Finding[] = [];
  const signer: SignerIdentity = {};
  const details: Record<string, unknown> = { source };
  const evidence: Evidence = {
    family: 'simple-signing',
    location,
    signer,
    details,
    findings,
    material: { blob, image: shared } satisfies SimpleSigningMaterial,
  };
  const sniffed = sniffSignatureBlob(blob);
  if (sniffed.format !== 'simple-signing') {
    const reason = sniffed.format === 'unknown' ? sniffed.reason : 'not a simple signature';
    findings.push({ code: 'NOT_A_SIGNATURE', severity: 'integrity', message: reason });
    return evidence;
  }
  let parsed;
  try {
    parsed = await parseSimpleSigningMessage(sniffed.openpgp);
  } catch (err) {
    findings.push({ code: 'NOT_A_SIGNATURE', severity: 'integrity', message: describeError(err).message });
    return evidence;
  }
  details.packets = parsed.structure;
  const sig = parsed.signatures[0]!;
  details.keyId = sig.keyId;
  if (sig.issuerFingerprint) details.issuerFingerprint = sig.issuerFingerprint;
  if (sig.expires) details.signatureExpires = sig.expires.toISOString();
  if (parsed.signatures.length > 1) details.signatureCount = parsed.signatures.length;
  const known = service?.describeKey(sig.keyId);
  if (known) {
    details.signingKeyFingerprint = known.signingKeyFingerprint;
    details.primaryFingerprint = known.primaryFingerprint;
    details.userIds = known.userIds;
    signer.keyId = known.primaryFingerprint;
    if (known.userIds[0]) signer.subject = known.userIds[0];
  } else {
    signer.keyId = sig.issuerFingerprint ?? sig.keyId;
  }
  if (sig.publicKeyAlgorithm) signer.publicKeyAlgorithm = sig.publicKeyAlgorithm;
  evidence.algorithm =
    [sig.publicKeyAlgorithm, sig.hashAlgorithm].filter(Boolean).join(' with ') || undefined;
  if (sig.hashAlgorithm) evidence.digestAlgorithm = sig.hashAlgorithm;
  if (sig.created) evidence.signingTime = sig.created.toISOString();

  let claim: SimpleSigningClaim | undefined;
  try {
    claim = parseClaim(parsed.literal);
  } catch (err) {
    // Not an integrity finding: the verifier checks the signature first and reports the claim after.
    findings.push({ code: 'MALFORMED_CLAIM', severity: 'warning', message: describeError(err).message });
  }
  if (claim) {
    evidence.claims = { subjectDigest: claim.manifestDigest, identity: claim.dockerReference };
    if (claim.creator !== undefined) details.creator = claim.creator;
    if (claim.timestamp !== undefined) {
      details.timestamp = new Date(claim.timestamp * 1000).toISOString();
    }
    if (claim.manifestDigest !== image.digest) {
      findings.push({
        code: 'CLAIM_DIGEST_MISMATCH',
        severity: 'warning',
        message: `the claim names ${claim.manifestDigest}, not this image (${image.digest})`,
      });
    }
  }
  return evidence;
}
