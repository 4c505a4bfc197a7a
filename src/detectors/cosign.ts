import { describeError } from '../errors.js';
import {
  COSIGN_PAYLOAD_TYPE,
  fulcioIssuer,
  parseCosignPayload,
  readLayerAnnotations,
} from '../formats/cosign/index.js';
import { parseCertificate } from '../formats/x509.js';
import type { Evidence, Finding, ImageTarget, SignerIdentity, Target } from '../model/index.js';
import { digestTag, MediaType } from '../oci/types.js';
import type { DetectContext, Detector } from './detector.js';
import { rekorCountersigner, rekorKeySigner } from './certificate-signer.js';

/**
 * cosign "classic" signatures: the `sha256-<hex>.sig` tag, one manifest, one layer per signature
 * (formats.md §2.1–2.3). The tag list already says whether the tag exists, so unsigned images cost
 * nothing here.
 */
export const cosignDetector: Detector = {
  name: 'cosign',
  family: 'cosign',
  applies: (target: Target) => target.kind === 'image',
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  const image = target as ImageTarget;
  if (!ctx.oci || !ctx.discovery || !image.digest) return;
  const tag = `${digestTag(image.digest)}.sig`;
  if (!(await ctx.discovery.hasTag(tag))) return;
  const sig = await ctx.oci.getManifest(image.repository, tag);
  const layers = sig.manifest.layers ?? [];
  for (const [i, layer] of layers.entries()) {
    if (layer.mediaType !== MediaType.cosignSimpleSigning) continue;
    const location = `${tag}#layer${i}`;
    const payload = await ctx.oci.getBlob(image.repository, layer, ctx.limits.maxSignatureBlobBytes);
    yield layerEvidence(image, location, layer.annotations, payload);
  }
}

/** Evidence for one `.sig` layer (also used for containers/image sigstore-json files). */
export function layerEvidence(
  image: ImageTarget,
  location: string,
  annotations: Record<string, string> | undefined,
  payloadBytes: Uint8Array,
): Evidence {
  const layer = readLayerAnnotations(annotations);
  const findings: Finding[] = [];
  const signer: SignerIdentity = {};
  const details: Record<string, unknown> = { keyless: false };

  let claims: Evidence['claims'];
  try {
    const payload = parseCosignPayload(payloadBytes);
    claims = { subjectDigest: payload.manifestDigest, identity: payload.dockerReference };
    details.payloadType = payload.type;
    // containers/image (signature/internal/sigstore_payload.go) refuses any other critical.type, and a
    // signature over a payload of another kind is not a statement about this image; cosign 2.5's
    // SimpleClaimVerifier (pkg/cosign/verifiers.go) never reads the type, so cosign alone would accept it.
    if (payload.type !== COSIGN_PAYLOAD_TYPE) {
      findings.push({
        code: 'PAYLOAD_TYPE_MISMATCH',
        severity: 'integrity',
        message: `the signed payload's critical.type is "${payload.type}", not "${COSIGN_PAYLOAD_TYPE}"`,
      });
    }
    if (payload.optional) details.annotations = payload.optional;
    if (payload.manifestDigest !== image.digest) {
      findings.push({
        code: 'PAYLOAD_DIGEST_MISMATCH',
        severity: 'integrity',
        message: `the signed payload names ${payload.manifestDigest}, not this image (${image.digest})`,
      });
    }
  } catch (err) {
    findings.push({ code: 'MALFORMED_PAYLOAD', severity: 'integrity', message: describeError(err).message });
  }

  if (layer.certificateDer) {
    const leaf = parseCertificate(layer.certificateDer);
    const chain = layer.chainDer.map((der) => parseCertificate(der).summary);
    const oidc = fulcioIssuer(leaf.cert);
    Object.assign(signer, {
      subject: leaf.summary.subject,
      issuer: leaf.summary.issuer,
      sha256Fingerprint: leaf.summary.sha256Fingerprint,
      publicKeyAlgorithm: leaf.summary.publicKeyAlgorithm,
      subjectAlternativeNames: leaf.summary.subjectAlternativeNames,
      oidcIssuer: oidc?.issuer,
      certificate: leaf.summary,
      chain,
    } satisfies SignerIdentity);
    details.keyless = Boolean(oidc);
    if (oidc?.deprecated) details.oidcIssuerExtension = 'deprecated 1.3.6.1.4.1.57264.1.1';
    if (layer.certificateKeySpelling) details.certificateAnnotation = layer.certificateKeySpelling;
  } else {
    // Key-based: the key is not in the signature. Name it only if the Rekor entry carries it.
    const key = layer.rekorBundle ? rekorKeySigner(layer.rekorBundle) : undefined;
    if (key) {
      signer.keyId = key.keyId;
      signer.publicKeyAlgorithm = key.algorithm;
    }
    details.signedWith = 'public key (no certificate attached)';
  }

  const evidence: Evidence = {
    family: 'cosign',
    location,
    signer,
    algorithm: signer.publicKeyAlgorithm,
    digestAlgorithm: 'SHA-256',
    claims,
    details,
    findings,
    material: {
      payload: payloadBytes,
      signature: layer.signature,
      certificateDer: layer.certificateDer,
      chainDer: layer.chainDer,
      rekorBundle: layer.rekorBundle,
      rfc3161Timestamp: layer.rfc3161Timestamp,
    },
  };
  if (layer.rekorBundle) {
    evidence.countersigner = rekorCountersigner(layer.rekorBundle);
    details.rekorLogIndex = layer.rekorBundle.logIndex;
  }
  return evidence;
}
