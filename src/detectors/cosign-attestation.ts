import { describeError } from '../errors.js';
import { readLayerAnnotations, type RekorBundle } from '../formats/cosign/index.js';
import { pae, parseDsseEnvelope, parseInTotoStatement, IN_TOTO_PAYLOAD_TYPE } from '../formats/dsse/index.js';
import type { Evidence, Finding, ImageTarget, SignerIdentity, Target } from '../model/index.js';
import { digestTag } from '../oci/types.js';
import { certificateSigner, rekorCountersigner, rekorKeySigner } from './certificate-signer.js';
import type { DetectContext, Detector } from './detector.js';

export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
const MAX_SUBJECTS_REPORTED = 20;

/**
 * cosign attestations: the `sha256-<hex>.att` tag, one DSSE envelope per layer wrapping an in-toto
 * Statement (formats.md §2.7–2.8). Found from the tag list, so images without attestations cost nothing.
 */
export const cosignAttestationDetector: Detector = {
  name: 'cosign-attestation',
  family: 'cosign-attestation',
  applies: (target: Target) => target.kind === 'image',
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  const image = target as ImageTarget;
  if (!ctx.oci || !ctx.discovery || !image.digest) return;
  const tag = `${digestTag(image.digest)}.att`;
  if (!(await ctx.discovery.hasTag(tag))) return;
  const att = await ctx.oci.getManifest(image.repository, tag);
  for (const [i, layer] of (att.manifest.layers ?? []).entries()) {
    if (layer.mediaType !== DSSE_MEDIA_TYPE) continue;
    const envelope = await ctx.oci.getBlob(image.repository, layer, ctx.limits.maxSignatureBlobBytes);
    yield attestationEvidence(image, `${tag}#layer${i}`, layer.annotations, envelope);
  }
}

export function attestationEvidence(
  image: ImageTarget,
  location: string,
  annotations: Record<string, string> | undefined,
  envelopeBytes: Uint8Array,
): Evidence {
  const envelope = parseDsseEnvelope(envelopeBytes);
  const layer = readLayerAnnotations({ 'dev.cosignproject.cosign/signature': '', ...annotations });
  const findings: Finding[] = [];
  const details: Record<string, unknown> = {
    payloadType: envelope.payloadType,
    signatureCount: envelope.signatures.length,
  };
  let claims: Evidence['claims'];

  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    // cosign verify-attestation refuses it (pkg/cosign/verify.go, verifyImageAttestations: "invalid
    // payloadType ... on envelope"): a signed envelope of another type says nothing about this image.
    findings.push({
      code: 'PAYLOAD_TYPE_MISMATCH',
      severity: 'integrity',
      message: `DSSE payload type ${envelope.payloadType} is not ${IN_TOTO_PAYLOAD_TYPE}`,
    });
  } else {
    try {
      const statement = parseInTotoStatement(envelope.payload);
      details.statementType = statement.type;
      details.predicateType = statement.predicateType;
      details.predicateKind = statement.predicateKind;
      details.subjects = statement.subjects.slice(0, MAX_SUBJECTS_REPORTED);
      const hex = image.digest.split(':')[1];
      const match = statement.subjects.find((s) => s.digest.sha256 === hex);
      claims = { subjectDigest: match ? image.digest : statement.subjects[0]?.digest.sha256 };
      if (!match) {
        findings.push({
          code: 'SUBJECT_DIGEST_MISMATCH',
          severity: 'integrity',
          message: `no subject of the attestation names this image (${image.digest})`,
        });
      }
    } catch (err) {
      findings.push({
        code: 'MALFORMED_STATEMENT',
        severity: 'integrity',
        message: describeError(err).message,
      });
    }
  }
  if (envelope.signatures.length === 0) {
    findings.push({
      code: 'NO_SIGNATURES',
      severity: 'integrity',
      message: 'the DSSE envelope carries no signature',
    });
  }

  const signer: SignerIdentity = layer.certificateDer
    ? certificateSigner(layer.certificateDer, layer.chainDer)
    : {};
  if (!layer.certificateDer) {
    details.signedWith = 'public key (no certificate attached)';
    // Without --key, the key a Rekor entry recorded is the only name the signer has.
    const key = layer.rekorBundle ? rekorKeySigner(layer.rekorBundle) : undefined;
    if (key) Object.assign(signer, { keyId: key.keyId, publicKeyAlgorithm: key.algorithm });
  }
  const evidence: Evidence = {
    family: 'cosign-attestation',
    location,
    signer,
    algorithm: signer.publicKeyAlgorithm,
    claims,
    details,
    findings,
    material: {
      pae: pae(envelope.payloadType, envelope.payload),
      payloadType: envelope.payloadType,
      payload: envelope.payload,
      signatures: envelope.signatures.map((s) => s.sig),
      certificateDer: layer.certificateDer,
      chainDer: layer.chainDer,
      rekorBundle: layer.rekorBundle,
    } satisfies DsseMaterial,
  };
  if (layer.rekorBundle) {
    evidence.countersigner = rekorCountersigner(layer.rekorBundle);
  }
  return evidence;
}

/** What the trust layer needs to check a DSSE signature. */
export interface DsseMaterial {
  /** The exact bytes every signature covers. */
  pae: Uint8Array;
  payloadType: string;
  payload: Uint8Array;
  signatures: Uint8Array[];
  certificateDer?: Uint8Array;
  chainDer: Uint8Array[];
  rekorBundle?: RekorBundle;
}
