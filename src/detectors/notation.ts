import { isNotFound, SigscanError } from '../errors.js';
import type { Evidence, Finding, ImageTarget, Target } from '../model/index.js';
import {
  NOTATION_ENVELOPE_MEDIA_TYPES,
  parseNotationEnvelope,
  signatureManifestKind,
  type NotationEnvelope,
} from '../formats/notation/index.js';
import { MediaType, type Descriptor, type FetchedManifest } from '../oci/types.js';
import type { DetectContext, Detector } from './detector.js';

export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';

/** What the trust layer needs to verify a notation signature; never serialised. */
export interface NotationMaterial {
  envelopeType: 'jws' | 'cose';
  alg: string;
  /** The exact bytes the signature covers. */
  signedBytes: Uint8Array;
  signature: Uint8Array;
  /** Leaf first, as in the envelope. */
  certificatesDer: Uint8Array[];
  /** RFC 3161 token whose imprint must hash `signature`. */
  timestampTokenDer?: Uint8Array;
  payloadBytes: Uint8Array;
  /** Protected-header facts the verifier re-checks (the signature covers them). */
  signingScheme?: string;
  crit?: string[];
  expiry?: Date;
  authenticSigningTime?: Date;
  signingTime?: Date;
}

const DIGEST_ALGORITHMS: Record<string, string> = {
  PS256: 'SHA-256',
  PS384: 'SHA-384',
  PS512: 'SHA-512',
  ES256: 'SHA-256',
  ES384: 'SHA-384',
  ES512: 'SHA-512',
};

/**
 * Notary Project signatures: OCI manifests whose `subject` is the image, found through the referrers
 * API or its fallback tag (formats.md §3.1). Extracts evidence only; verdicts belong to the trust layer.
 */
export const notationDetector: Detector = {
  name: 'notation',
  family: 'notation',
  applies: (target: Target) => target.kind === 'image',
  detect: detectNotation,
};

async function* detectNotation(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  if (target.kind !== 'image') return;
  if (!ctx.oci || !ctx.discovery) {
    throw new SigscanError('INTERNAL', 'the notation detector needs an OCI store and repository discovery');
  }
  const referrers = await ctx.discovery.referrers(target.digest);
  const seen = new Set<string>();
  // One bad signature must not hide the others: failures are kept and raised after every good one is out.
  const failures: Array<{ digest: string; error: unknown }> = [];
  for (const descriptor of referrers) {
    if (descriptor.artifactType !== MediaType.notarySignature || seen.has(descriptor.digest)) continue;
    seen.add(descriptor.digest);
    let evidence: Evidence | undefined;
    try {
      evidence = await inspectReferrer(target, descriptor, ctx);
    } catch (error) {
      failures.push({ digest: descriptor.digest, error });
      continue;
    }
    if (evidence) yield evidence;
  }
  if (failures.length) throw combinedFailure(failures);
}

async function inspectReferrer(
  target: ImageTarget,
  descriptor: Descriptor,
  ctx: DetectContext,
): Promise<Evidence | undefined> {
  const oci = ctx.oci!;
  const repository = target.repository;
  let fetched: FetchedManifest;
  try {
    fetched = await oci.getManifest(repository, descriptor.digest);
  } catch (err) {
    // Fallback indexes are maintained read-modify-write and outlive deleted referrers (§1.5).
    if (isNotFound(err)) {
      ctx.log.warn(
        `notation: referrer ${descriptor.digest} of ${target.digest} is listed but missing; skipped`,
      );
      return undefined;
    }
    throw err;
  }
  const { manifest } = fetched;
  const kind = signatureManifestKind(manifest);
  if (!kind) {
    ctx.log.warn(
      `notation: referrer ${descriptor.digest} is listed as a notation signature but its manifest is not one; skipped`,
    );
    return undefined;
  }
  if (kind.kind === 'legacy') {
    ctx.log.warn(
      `notation: referrer ${descriptor.digest} is a legacy Notary v2 prototype signature (${kind.description}); not read`,
    );
    return undefined;
  }
  // The referrers list is only an index: a signature is attributed only if it names this target itself.
  if (manifest.subject?.digest !== target.digest) {
    ctx.log.warn(
      `notation: signature ${descriptor.digest} was listed for ${target.digest} but its subject is ` +
        `${manifest.subject?.digest ?? 'absent'}; not attributed`,
    );
    return undefined;
  }
  const layers = manifest.layers ?? [];
  if (layers.length !== 1) {
    throw new SigscanError(
      'MALFORMED_MANIFEST',
      `notation signature manifest ${descriptor.digest} has ${layers.length} layers; exactly one is required`,
    );
  }
  const layer = layers[0]!;
  if (!NOTATION_ENVELOPE_MEDIA_TYPES.includes(layer.mediaType)) {
    throw new SigscanError(
      'MALFORMED_MANIFEST',
      `notation signature manifest ${descriptor.digest} has a layer of type ${layer.mediaType}, not a JWS or COSE envelope`,
    );
  }
  const bytes = await oci.getBlob(repository, layer, ctx.limits.maxSignatureBlobBytes);
  const envelope = parseNotationEnvelope(bytes, layer.mediaType, {
    maxCertificates: ctx.limits.maxCertificates,
  });
  return buildEvidence(target, fetched, envelope, kind.form);
}

export function buildEvidence(
  target: ImageTarget,
  fetched: FetchedManifest,
  env: NotationEnvelope,
  manifestForm: 'artifactType' | 'config',
): Evidence {
  const [leaf, ...rest] = env.certificates;
  const findings: Finding[] = [...env.issues];
  const claimed = env.payload.targetArtifact;
  if (claimed.digest !== target.digest) {
    findings.push({
      code: 'TARGET_DIGEST_MISMATCH',
      severity: 'integrity',
      message: `the signed payload names ${claimed.digest}, not this image ${target.digest}`,
    });
  }
  if (target.size !== undefined && claimed.size !== target.size) {
    findings.push({
      code: 'TARGET_SIZE_MISMATCH',
      severity: 'integrity',
      message: `the signed payload gives size ${claimed.size}, the image manifest is ${target.size} bytes`,
    });
  }
  if (target.mediaType && claimed.mediaType !== target.mediaType) {
    findings.push({
      code: 'TARGET_MEDIATYPE_MISMATCH',
      severity: 'integrity',
      message: `the signed payload gives media type ${claimed.mediaType}, the image manifest is ${target.mediaType}`,
    });
  }

  const chainThumbprints = env.certificates.map((c) => c.summary.sha256Fingerprint);
  const thumbprints = readThumbprintAnnotation(
    fetched.manifest.annotations?.[THUMBPRINT_ANNOTATION],
    chainThumbprints,
  );
  if (thumbprints.finding) findings.push(thumbprints.finding);

  const evidence: Evidence = {
    family: 'notation',
    location: `referrer ${fetched.descriptor.digest}`,
    signer: {
      subject: leaf!.summary.subject,
      issuer: leaf!.summary.issuer,
      sha256Fingerprint: leaf!.summary.sha256Fingerprint,
      publicKeyAlgorithm: leaf!.summary.publicKeyAlgorithm,
      certificate: leaf!.summary,
      chain: rest.map((c) => c.summary),
    },
    algorithm: env.alg,
    claims: { subjectDigest: claimed.digest },
    details: {
      envelope: env.envelopeType,
      signingScheme: env.signingScheme,
      signingAgent: env.signingAgent,
      expiry: env.expiry?.date.toISOString(),
      authenticSigningTime: env.authenticSigningTime?.date.toISOString(),
      chainLength: env.certificates.length,
      chainThumbprints,
      thumbprintAnnotation: thumbprints.list,
      thumbprintAnnotationMatches: thumbprints.matches,
      payloadTarget: { digest: claimed.digest, mediaType: claimed.mediaType, size: claimed.size },
      manifestForm,
    },
    findings,
  };
  if (leaf!.summary.subjectAlternativeNames)
    evidence.signer.subjectAlternativeNames = leaf!.summary.subjectAlternativeNames;
  const digestAlgorithm = DIGEST_ALGORITHMS[env.alg];
  if (digestAlgorithm) evidence.digestAlgorithm = digestAlgorithm;
  const claimedTime = env.signingTime ?? env.authenticSigningTime;
  if (claimedTime) evidence.signingTime = claimedTime.date.toISOString();
  if (env.timestamp) {
    const tsa = env.timestamp.signer?.certificate?.summary;
    evidence.countersigner = {
      kind: 'rfc3161',
      time: env.timestamp.time.toISOString(),
      ...(tsa ? { subject: tsa.subject, issuer: tsa.issuer, sha256Fingerprint: tsa.sha256Fingerprint } : {}),
    };
  }
  const material: NotationMaterial = {
    envelopeType: env.envelopeType,
    alg: env.alg,
    signedBytes: env.signedBytes,
    signature: env.signature,
    certificatesDer: env.certificates.map((c) => c.der),
    payloadBytes: env.payloadBytes,
    signingScheme: env.signingScheme,
    crit: [...env.crit],
  };
  if (env.expiry) material.expiry = env.expiry.date;
  if (env.authenticSigningTime) material.authenticSigningTime = env.authenticSigningTime.date;
  if (env.signingTime) material.signingTime = env.signingTime.date;
  if (env.timestampToken) material.timestampTokenDer = env.timestampToken;
  evidence.material = material;
  return evidence;
}

/**
 * The annotation lets a verifier pre-filter against its trust store; the envelope is authoritative, so
 * a disagreement is reported, never trusted. Notation emits lowercase hex, the spec shows uppercase.
 */
function readThumbprintAnnotation(
  value: string | undefined,
  chain: string[],
): { list?: string[]; matches?: boolean; finding?: Finding } {
  if (value === undefined) {
    return {
      finding: {
        code: 'THUMBPRINT_ANNOTATION_MISSING',
        severity: 'info',
        message: `the signature manifest has no ${THUMBPRINT_ANNOTATION} annotation`,
      },
    };
  }
  let list: unknown;
  try {
    list = JSON.parse(value);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || !list.every((t) => typeof t === 'string')) {
    return {
      matches: false,
      finding: {
        code: 'THUMBPRINT_ANNOTATION_MISMATCH',
        severity: 'warning',
        message: `the ${THUMBPRINT_ANNOTATION} annotation is not a JSON list of strings`,
      },
    };
  }
  const strings = list as string[];
  const matches = strings.length === chain.length && strings.every((t, i) => t.toLowerCase() === chain[i]);
  if (matches) return { list: strings, matches };
  return {
    list: strings,
    matches,
    finding: {
      code: 'THUMBPRINT_ANNOTATION_MISMATCH',
      severity: 'warning',
      message: `the ${THUMBPRINT_ANNOTATION} annotation does not list the envelope's certificate chain in order`,
    },
  };
}

function combinedFailure(failures: Array<{ digest: string; error: unknown }>): SigscanError {
  const [first] = failures;
  const err = first!.error;
  const code = err instanceof SigscanError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more notation signature(s) failed)` : '';
  return new SigscanError(code, `notation signature ${first!.digest}: ${message}${more}`, { cause: err });
}
