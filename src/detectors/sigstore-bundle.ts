import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';

import { describeError, isNotFound, SigscanError } from '../errors.js';
import {
  envelopeAsBundles,
  isLegacyCosignBundle,
  isSigstoreBundleJson,
  isSigstoreBundleMediaType,
  summarizeBundle,
  type BundleSummary,
} from '../formats/sigstore/index.js';
import type { Evidence, FileTarget, Finding, ImageTarget, SignerIdentity, Target } from '../model/index.js';
import { MediaType, type Descriptor, type FetchedManifest } from '../oci/types.js';
import { certificateSigner } from './certificate-signer.js';
import type { DetectContext, Detector } from './detector.js';

/** Bounds on the walk over referrers (and referrers of referrers) of one image. */
const MAX_REFERRERS = 64;
const MAX_NESTED_PARENTS = 16;
const MAX_SUBJECTS_REPORTED = 20;
const ANNOTATION_PREDICATE = 'dev.sigstore.bundle.predicateType';
const ANNOTATION_CONTENT = 'dev.sigstore.bundle.content';

/** What the trust layer needs to verify one Sigstore bundle (Evidence.material). */
export interface SigstoreBundleMaterial {
  kind: 'sigstore-bundle';
  /** The bundle as parsed JSON (verification re-parses it strictly). */
  bundle: unknown;
  /** The artifact the bundle must be about: `sha256:<hex>` of the file or manifest. */
  artifactDigest: string;
  /** The artifact bytes, when a message signature needs them (files, fetched manifests). */
  artifactBytes?: Uint8Array;
}

export function isSigstoreBundleMaterial(value: unknown): value is SigstoreBundleMaterial {
  const m = value as Partial<SigstoreBundleMaterial> | undefined;
  return m?.kind === 'sigstore-bundle' && typeof m.artifactDigest === 'string';
}

/**
 * Sigstore bundles (formats.md §2.9): attached to images as OCI 1.1 referrers (artifactType
 * `application/vnd.dev.sigstore.bundle…`, found through the referrers API or the `sha256-<hex>` fallback
 * index, one level of referrers of referrers for signed SBOMs/attestations), and beside files on disk
 * (`<file>.sigstore.json`, `<file>.sigstore`, `*.intoto.jsonl`).
 */
export const sigstoreBundleDetector: Detector = {
  name: 'sigstore-bundle',
  family: 'sigstore-bundle',
  applies: (target: Target) => target.kind === 'image' || target.kind === 'file',
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  if (target.kind === 'image') yield* detectImage(target, ctx);
  else yield* detectFile(target, ctx);
}

// ---------------------------------------------------------------------------------------------- images

async function* detectImage(image: ImageTarget, ctx: DetectContext): AsyncIterable<Evidence> {
  if (!ctx.oci || !ctx.discovery || !image.digest) return;
  const referrers = (await ctx.discovery.referrers(image.digest)).slice(0, MAX_REFERRERS);
  const parents: Descriptor[] = [];
  for (const d of referrers) {
    const found = await classify(image, d, ctx);
    if (found === 'gone') continue;
    if (found) {
      yield await referrerEvidence(image, d, found, image.digest, d.digest, ctx);
    } else if (d.artifactType !== MediaType.notarySignature) {
      parents.push(d);
    }
  }
  // Referrers of referrers: a bundle signing an SBOM or attestation that is attached to the image.
  for (const parent of parents.slice(0, MAX_NESTED_PARENTS)) {
    const children = (await ctx.discovery.referrers(parent.digest)).slice(0, MAX_REFERRERS);
    for (const d of children) {
      const found = await classify(image, d, ctx);
      if (!found || found === 'gone') continue;
      const evidence = await referrerEvidence(
        image,
        d,
        found,
        parent.digest,
        `${parent.digest} > ${d.digest}`,
        ctx,
      );
      evidence.details = {
        ...evidence.details,
        attachedTo: { digest: parent.digest, artifactType: parent.artifactType ?? null },
      };
      yield evidence;
    }
  }
}

/**
 * Is this referrer a Sigstore bundle? The listed artifactType usually says; when it is missing or the
 * empty type (cosign 2.5 writes the config media type into the fallback index), the manifest decides.
 */
async function classify(
  image: ImageTarget,
  d: Descriptor,
  ctx: DetectContext,
): Promise<FetchedManifest | 'gone' | undefined> {
  const listed = d.artifactType;
  if (listed && listed !== MediaType.ociEmpty && !isSigstoreBundleMediaType(listed)) return undefined;
  if (d.mediaType && d.mediaType !== MediaType.ociManifest) return undefined;
  let m: FetchedManifest;
  try {
    m = await ctx.oci!.getManifest(image.repository, d.digest);
  } catch (err) {
    // A stale fallback index may list a manifest that was deleted since (formats.md §1.5).
    if (isNotFound(err)) return 'gone';
    throw err;
  }
  const type = m.manifest.artifactType ?? m.manifest.config?.mediaType;
  return isSigstoreBundleMediaType(type) ? m : undefined;
}

async function referrerEvidence(
  image: ImageTarget,
  d: Descriptor,
  m: FetchedManifest,
  subjectDigest: string,
  location: string,
  ctx: DetectContext,
): Promise<Evidence> {
  const annotations = { ...m.manifest.annotations, ...d.annotations };
  const details: Record<string, unknown> = {
    referrer: d.digest,
    artifactType: m.manifest.artifactType ?? d.artifactType,
  };
  if (annotations[ANNOTATION_PREDICATE]) details.predicateTypeAnnotation = annotations[ANNOTATION_PREDICATE];
  if (annotations[ANNOTATION_CONTENT]) details.contentAnnotation = annotations[ANNOTATION_CONTENT];

  const findings: Finding[] = [];
  if (m.manifest.subject?.digest !== subjectDigest) {
    findings.push({
      code: 'REFERRER_SUBJECT_MISMATCH',
      severity: 'integrity',
      message: `the bundle manifest's subject is ${m.manifest.subject?.digest ?? 'missing'}, not ${subjectDigest}`,
    });
    return { family: 'sigstore-bundle', location, signer: {}, details, findings };
  }
  const layer = (m.manifest.layers ?? []).find((l) => isSigstoreBundleMediaType(l.mediaType));
  if (!layer) {
    findings.push({
      code: 'MALFORMED_BUNDLE',
      severity: 'integrity',
      message: 'the bundle referrer has no layer with a Sigstore bundle media type',
    });
    return { family: 'sigstore-bundle', location, signer: {}, details, findings };
  }
  const bytes = await ctx.oci!.getBlob(image.repository, layer, ctx.limits.maxSignatureBlobBytes);
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return malformed(location, 'the bundle layer is not JSON', details);
  }
  const evidence = bundleEvidence(doc, { location, artifactDigest: subjectDigest, details });
  const material = evidence.material as SigstoreBundleMaterial | undefined;
  if (material && evidence.details?.['content'] === 'messageSignature') {
    // A message signature covers the manifest bytes themselves: fetch them (checked against the digest).
    const subject = await ctx.oci!.getManifest(image.repository, subjectDigest);
    material.artifactBytes = subject.bytes;
  }
  return evidence;
}

// ----------------------------------------------------------------------------------------------- files

async function* detectFile(target: FileTarget, ctx: DetectContext): AsyncIterable<Evidence> {
  for (const sidecar of ctx.file?.sidecars ?? []) {
    if (sidecar.kind !== 'bundle' && sidecar.kind !== 'jsonl') continue; // cosign .sig, plugin sidecars
    const text = Buffer.from(
      await readSidecar(sidecar.absolutePath, ctx.limits.maxSignatureBlobBytes),
    ).toString('utf8');
    const docs =
      sidecar.kind === 'jsonl'
        ? text.split('\n').map((line, i) => ({ line, at: `${sidecar.displayPath}#line${i + 1}` }))
        : [{ line: text, at: sidecar.displayPath }];
    for (const { line, at } of docs) {
      if (!line.trim()) continue;
      let doc: unknown;
      try {
        doc = JSON.parse(line);
      } catch {
        yield malformed(at, `${basename(sidecar.displayPath)} is not JSON`);
        continue;
      }
      const base = { artifactDigest: target.digest, artifactBytes: ctx.file!.bytes };
      if (isLegacyCosignBundle(doc)) continue; // cosign's own sign-blob bundle: the cosign-blob detector
      if (isSigstoreBundleJson(doc)) {
        if (sidecar.standalone && !namesFile(doc, target)) continue;
        yield bundleEvidence(doc, { ...base, location: at });
        continue;
      }
      const wrapped = envelopeAsBundles(doc);
      if (!wrapped.length) {
        if (sidecar.kind === 'bundle') yield malformed(at, 'neither a Sigstore bundle nor a DSSE envelope');
        continue;
      }
      if (sidecar.standalone && !namesFile(wrapped[0], target)) continue;
      for (const [i, bundle] of wrapped.entries()) {
        const evidence = bundleEvidence(bundle, {
          ...base,
          location: wrapped.length > 1 ? `${at}#signature${i}` : at,
        });
        evidence.details = { ...evidence.details, bareDsseEnvelope: true };
        yield evidence;
      }
    }
  }
}

/** For standalone attestation files: does some statement subject name this file (digest or name)? */
function namesFile(doc: unknown, target: FileTarget): boolean {
  try {
    const s = summarizeBundle(doc);
    const hex = target.digest.split(':')[1];
    const name = basename(target.path);
    return Boolean(
      s.statement?.subjects.some((x) => x.digest['sha256'] === hex || (x.name && basename(x.name) === name)),
    );
  } catch {
    return false;
  }
}

async function readSidecar(path: string, max: number): Promise<Uint8Array> {
  const { size } = await stat(path);
  if (size > max) {
    throw new SigscanError(
      'TOO_LARGE',
      `signature file ${path} is ${size} bytes, over the ${max}-byte limit`,
    );
  }
  return new Uint8Array(await readFile(path));
}

// -------------------------------------------------------------------------------------------- evidence

function malformed(location: string, message: string, details?: Record<string, unknown>): Evidence {
  return {
    family: 'sigstore-bundle',
    location,
    signer: {},
    details,
    findings: [{ code: 'MALFORMED_BUNDLE', severity: 'integrity', message }],
  };
}

/** Evidence for one Sigstore bundle about `artifactDigest` (a file or an image manifest). */
export function bundleEvidence(
  doc: unknown,
  opts: {
    location: string;
    artifactDigest: string;
    artifactBytes?: Uint8Array;
    details?: Record<string, unknown>;
  },
): Evidence {
  let s: BundleSummary;
  try {
    s = summarizeBundle(doc);
  } catch (err) {
    return malformed(opts.location, describeError(err).message, opts.details);
  }
  const details: Record<string, unknown> = {
    ...opts.details,
    bundleMediaType: s.mediaType,
    content: s.content,
  };
  const findings: Finding[] = [];
  let signer: SignerIdentity = {};
  if (s.certificateDer) {
    try {
      signer = certificateSigner(s.certificateDer, s.chainDer);
      details.keyless = Boolean(signer.oidcIssuer);
    } catch (err) {
      findings.push({
        code: 'MALFORMED_CERTIFICATE',
        severity: 'integrity',
        message: describeError(err).message,
      });
    }
  } else if (s.publicKeyHint !== undefined) {
    details.signedWith = 'public key';
    if (s.publicKeyHint) details.publicKeyHint = s.publicKeyHint;
  }

  let claims: Evidence['claims'];
  if (s.content === 'messageSignature') {
    claims = s.messageDigest ? { subjectDigest: s.messageDigest } : undefined;
  } else if (s.content === 'dsseEnvelope') {
    details.payloadType = s.payloadType;
    details.signatureCount = s.dsseSignatureCount;
    if (s.statement) {
      details.statementType = s.statement.type;
      details.predicateType = s.statement.predicateType;
      details.predicateKind = s.statement.predicateKind;
      details.subjects = s.statement.subjects.slice(0, MAX_SUBJECTS_REPORTED);
      const [alg, hex] = opts.artifactDigest.split(':') as [string, string];
      const match = s.statement.subjects.some((x) => x.digest[alg]?.toLowerCase() === hex);
      const first = s.statement.subjects[0]?.digest;
      const firstDigest = first ? Object.entries(first)[0] : undefined;
      claims = {
        subjectDigest: match
          ? opts.artifactDigest
          : firstDigest
            ? `${firstDigest[0]}:${firstDigest[1]}`
            : undefined,
      };
    }
  }

  const evidence: Evidence = {
    family: 'sigstore-bundle',
    location: opts.location,
    signer,
    algorithm: signer.publicKeyAlgorithm,
    claims,
    details,
    findings,
    material: {
      kind: 'sigstore-bundle',
      bundle: doc,
      artifactDigest: opts.artifactDigest,
      ...(opts.artifactBytes ? { artifactBytes: opts.artifactBytes } : {}),
    } satisfies SigstoreBundleMaterial,
  };
  if (s.tlogEntries.length) {
    const first = s.tlogEntries[0]!;
    details.tlogEntries = s.tlogEntries.map((e) => ({
      logIndex: e.logIndex,
      kind: e.kind && e.version ? `${e.kind}/${e.version}` : e.kind,
      ...(e.integratedTime ? { integratedTime: new Date(e.integratedTime * 1000).toISOString() } : {}),
    }));
    evidence.countersigner = {
      kind: 'rekor',
      subject: `Rekor log index ${first.logIndex ?? '?'}`,
      ...(first.integratedTime ? { time: new Date(first.integratedTime * 1000).toISOString() } : {}),
    };
  }
  if (s.rfc3161Count) details.rfc3161Timestamps = s.rfc3161Count;
  return evidence;
}
