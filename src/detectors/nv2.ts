import { isNotFound, SigscanError } from '../errors.js';
import { parseCertificate } from '../formats/x509.js';
import type { Evidence, Finding, ImageTarget, SignerIdentity, Target } from '../model/index.js';
import type { Descriptor } from '../oci/types.js';
import type { DetectContext, Detector } from './detector.js';

export const NV2_CONFIG_MEDIA_TYPE = 'application/vnd.cncf.notary.config.v2+jwt';
export const NV2_LEGACY = 'nv2-prototype-2020';

export interface Nv2Jwt {
  header: { alg?: string; typ?: string; kid?: string; x5c?: string[] };
  claims: {
    mediaType?: string;
    digest?: string;
    size?: number;
    references?: string[];
    iat?: number;
    nbf?: number;
    exp?: number;
  };
  signingInput: Uint8Array;
  signature: Uint8Array;
  /**
   * Keys that differ from a field name only in case (`Digest`, `ALG`). nv2 decoded with Go's
   * encoding/json, which matches field names case-insensitively and lets the last match win, so such a key
   * could make nv2 read another digest or algorithm than this parser does.
   */
  caseVariantKeys: string[];
}

const HEADER_FIELDS = ['typ', 'alg', 'kid', 'x5c'];
const CLAIM_FIELDS = ['mediaType', 'digest', 'size', 'references', 'iat', 'nbf', 'exp'];

function caseVariants(object: Record<string, unknown>, fields: string[]): string[] {
  const lower = new Map(fields.map((f) => [f.toLowerCase(), f]));
  return Object.keys(object).filter((k) => lower.has(k.toLowerCase()) && lower.get(k.toLowerCase()) !== k);
}

const B64URL = /^[A-Za-z0-9_-]*$/;

/** Compact JWT `header.claims.signature` (formats.md §3.1 "Historical formats"). */
export function parseNv2Jwt(bytes: Uint8Array): Nv2Jwt {
  const text = Buffer.from(bytes).toString('utf8').trim();
  const parts = text.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) {
    throw new SigscanError('MALFORMED_SIGNATURE', 'nv2 signature is not a compact JWT');
  }
  const json = (part: string, what: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      value = undefined;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new SigscanError('MALFORMED_SIGNATURE', `nv2 JWT ${what} is not a JSON object`);
    }
    return value as Record<string, unknown>;
  };
  const h = json(parts[0]!, 'header');
  const c = json(parts[1]!, 'claims');
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const header: Nv2Jwt['header'] = {};
  if (str(h['alg'])) header.alg = str(h['alg']);
  if (str(h['typ'])) header.typ = str(h['typ']);
  if (str(h['kid'])) header.kid = str(h['kid']);
  if (Array.isArray(h['x5c'])) {
    if (!h['x5c'].every((x) => typeof x === 'string')) {
      throw new SigscanError('MALFORMED_SIGNATURE', 'nv2 JWT header x5c is not a list of strings');
    }
    header.x5c = h['x5c'] as string[];
  }
  const claims: Nv2Jwt['claims'] = {};
  if (str(c['mediaType'])) claims.mediaType = str(c['mediaType']);
  if (str(c['digest'])) claims.digest = str(c['digest']);
  if (num(c['size']) !== undefined) claims.size = num(c['size']);
  if (Array.isArray(c['references']))
    claims.references = c['references'].filter((r) => typeof r === 'string');
  for (const k of ['iat', 'nbf', 'exp'] as const) if (num(c[k]) !== undefined) claims[k] = num(c[k]);
  return {
    header,
    claims,
    signingInput: Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'),
    signature: Buffer.from(parts[2]!, 'base64url'),
    caseVariantKeys: [...caseVariants(h, HEADER_FIELDS), ...caseVariants(c, CLAIM_FIELDS)],
  };
}

/** What the trust layer needs to verify an nv2 JWT (evidence.material). */
export interface Nv2Material {
  header: Nv2Jwt['header'];
  claims: Nv2Jwt['claims'];
  signingInput: Uint8Array;
  signature: Uint8Array;
  /** DER of each x5c entry, leaf first. */
  x5c: Uint8Array[];
}

/**
 * Legacy nv2 prototype (2020) signatures: a manifest with empty layers whose config blob is a compact JWT.
 * Reported under `notation` with `details.legacy`; never accepted by a current notation trust policy.
 * The notation detector skips these manifests; this one reads them.
 */
export const nv2Detector: Detector = {
  name: 'nv2',
  family: 'notation',
  applies: (target: Target) => target.kind === 'image',
  detect: detectNv2,
};

async function* detectNv2(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  if (target.kind !== 'image') return;
  if (!ctx.oci || !ctx.discovery) {
    throw new SigscanError('INTERNAL', 'the nv2 detector needs an OCI store and repository discovery');
  }
  const referrers = await ctx.discovery.referrers(target.digest);
  const seen = new Set<string>();
  for (const descriptor of referrers) {
    // Registries and fallback indexes copy the config media type into artifactType when it is absent.
    if (descriptor.artifactType !== undefined && descriptor.artifactType !== NV2_CONFIG_MEDIA_TYPE) continue;
    if (seen.has(descriptor.digest)) continue;
    seen.add(descriptor.digest);
    const evidence = await inspect(target, descriptor, ctx);
    if (evidence) yield evidence;
  }
}

async function inspect(
  target: ImageTarget,
  descriptor: Descriptor,
  ctx: DetectContext,
): Promise<Evidence | undefined> {
  const oci = ctx.oci!;
  let manifest;
  try {
    ({ manifest } = await oci.getManifest(target.repository, descriptor.digest));
  } catch (err) {
    if (isNotFound(err)) {
      ctx.log.warn(`nv2: referrer ${descriptor.digest} of ${target.digest} is listed but missing; skipped`);
      return undefined;
    }
    throw err;
  }
  const config = manifest.config;
  if (!config || config.mediaType !== NV2_CONFIG_MEDIA_TYPE) return undefined;
  if (manifest.subject && manifest.subject.digest !== target.digest) {
    ctx.log.warn(
      `nv2: signature ${descriptor.digest} was listed for ${target.digest} but its subject is ` +
        `${manifest.subject.digest}; not attributed`,
    );
    return undefined;
  }
  const jwt = parseNv2Jwt(await oci.getBlob(target.repository, config, ctx.limits.maxSignatureBlobBytes));
  return nv2Evidence(target, jwt, {
    location: `referrer ${descriptor.digest}`,
    layers: (manifest.layers ?? []).length,
  });
}

/** Evidence for one parsed nv2 JWT signing `target` (the detector's work after fetching). */
export function nv2Evidence(
  target: ImageTarget,
  jwt: Nv2Jwt,
  where: { location: string; layers: number },
): Evidence {
  const findings: Finding[] = [];
  if (jwt.caseVariantKeys.length) {
    findings.push({
      code: 'NV2_AMBIGUOUS_JSON',
      severity: 'integrity',
      message:
        `the nv2 JWT has keys ${jwt.caseVariantKeys.join(', ')} that Go's case-insensitive JSON decoding ` +
        'would read as the standard fields; refused',
    });
  }
  if (where.layers) {
    findings.push({
      code: 'NV2_LAYERS_PRESENT',
      severity: 'warning',
      message: 'nv2 signature manifests have empty layers; this one has some',
    });
  }
  if (jwt.claims.digest !== target.digest) {
    findings.push({
      code: 'TARGET_DIGEST_MISMATCH',
      severity: 'integrity',
      message: `the nv2 JWT names ${jwt.claims.digest ?? 'no digest'}, not this image ${target.digest}`,
    });
  }
  if (target.size !== undefined && jwt.claims.size !== undefined && jwt.claims.size !== target.size) {
    findings.push({
      code: 'TARGET_SIZE_MISMATCH',
      severity: 'integrity',
      message: `the nv2 JWT gives size ${jwt.claims.size}, the image manifest is ${target.size} bytes`,
    });
  }

  const signer: SignerIdentity = {};
  const details: Record<string, unknown> = {
    legacy: NV2_LEGACY,
    description: 'legacy Notary v2 prototype (2020) JWT signature in the config blob',
    typ: jwt.header.typ,
    references: jwt.claims.references,
    payloadTarget: { digest: jwt.claims.digest, mediaType: jwt.claims.mediaType, size: jwt.claims.size },
  };
  const [leafB64, ...rest] = jwt.header.x5c ?? [];
  if (leafB64 !== undefined) {
    const leaf = parseCertificate(Uint8Array.from(Buffer.from(leafB64, 'base64')));
    const s = leaf.summary;
    Object.assign(signer, {
      subject: s.subject,
      issuer: s.issuer,
      sha256Fingerprint: s.sha256Fingerprint,
      publicKeyAlgorithm: s.publicKeyAlgorithm,
      certificate: s,
    });
    if (s.subjectAlternativeNames) signer.subjectAlternativeNames = s.subjectAlternativeNames;
    if (rest.length)
      signer.chain = rest.map((c) => parseCertificate(Uint8Array.from(Buffer.from(c, 'base64'))).summary);
    details.chainLength = 1 + rest.length;
  } else if (jwt.header.kid) {
    signer.keyId = jwt.header.kid;
    details.kid = jwt.header.kid;
  }
  const evidence: Evidence = {
    family: 'notation',
    location: where.location,
    signer,
    claims: jwt.claims.digest ? { subjectDigest: jwt.claims.digest } : {},
    details,
    findings,
    material: {
      header: jwt.header,
      claims: jwt.claims,
      signingInput: jwt.signingInput,
      signature: jwt.signature,
      x5c: (jwt.header.x5c ?? []).map((c) => Uint8Array.from(Buffer.from(c, 'base64'))),
    } satisfies Nv2Material,
  };
  if (jwt.header.alg) evidence.algorithm = jwt.header.alg;
  if (jwt.claims.iat !== undefined) evidence.signingTime = new Date(jwt.claims.iat * 1000).toISOString();
  return evidence;
}
