import { readFile, stat } from 'node:fs/promises';

import { describeError, SigscanError } from '../errors.js';
import { ANNOTATION, readLayerAnnotations, type RekorBundle } from '../formats/cosign/index.js';
import {
  certificatePemText,
  isLegacyCosignBundle,
  parseLegacyCosignBundle,
} from '../formats/sigstore/index.js';
import type { Evidence, FileTarget, Finding, SignerIdentity, Target } from '../model/index.js';
import { certificateSigner, rekorCountersigner } from './certificate-signer.js';
import type { DetectContext, Detector, Sidecar } from './detector.js';

/**
 * What the trust layer needs for a detached cosign blob signature: the classic cosign material
 * (payload = the file bytes, which is what `cosign sign-blob` signs) tagged as a blob signature.
 */
export interface BlobSignatureMaterial {
  kind: 'blob-signature';
  payload: Uint8Array;
  signature: Uint8Array;
  certificateDer?: Uint8Array;
  chainDer: Uint8Array[];
  rekorBundle?: RekorBundle;
  rfc3161Timestamp?: Uint8Array;
}

export function isBlobSignatureMaterial(value: unknown): value is BlobSignatureMaterial {
  const m = value as Partial<BlobSignatureMaterial> | undefined;
  return m?.kind === 'blob-signature' && m.payload instanceof Uint8Array && m.signature instanceof Uint8Array;
}

/**
 * `cosign sign-blob` output beside a file: `<file>.sig` (base64 signature) with an optional
 * `<file>.pem`/`.crt` certificate (PEM, or base64 of the PEM as cosign writes it), or cosign's own
 * `--bundle` JSON (`{base64Signature, cert, rekorBundle}`) named `<file>.sigstore.json`/`.sigstore`.
 * Family `cosign`: the signature covers the file bytes, verified by the cosign family's blob branch.
 */
export const cosignBlobDetector: Detector = {
  name: 'cosign-blob',
  family: 'cosign',
  applies: (target: Target) => target.kind === 'file',
  detect,
};

async function* detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  const file = target as FileTarget;
  const max = ctx.limits.maxSignatureBlobBytes;
  for (const sidecar of ctx.file?.sidecars ?? []) {
    if (sidecar.kind === 'signature') {
      yield await signatureFileEvidence(file, sidecar, ctx.file!.bytes, max);
    } else if (sidecar.kind === 'bundle' && !sidecar.standalone) {
      let doc: unknown;
      try {
        doc = JSON.parse(Buffer.from(await readBounded(sidecar.absolutePath, max)).toString('utf8'));
      } catch {
        continue; // not JSON: the sigstore-bundle detector reports it
      }
      if (!isLegacyCosignBundle(doc)) continue;
      yield legacyBundleEvidence(file, sidecar, doc, ctx.file!.bytes);
    }
  }
}

async function signatureFileEvidence(
  file: FileTarget,
  sidecar: Sidecar,
  payload: Uint8Array,
  max: number,
): Promise<Evidence> {
  const location = sidecar.certificate
    ? `${sidecar.displayPath} + ${sidecar.certificate.displayPath}`
    : sidecar.displayPath;
  const annotations: Record<string, string> = {
    [ANNOTATION.signature]: Buffer.from(await readBounded(sidecar.absolutePath, max)).toString('latin1'),
  };
  try {
    if (sidecar.certificate) {
      annotations[ANNOTATION.certificate[0]] = certificatePemText(
        await readBounded(sidecar.certificate.absolutePath, max),
      );
    }
  } catch (err) {
    return broken(location, 'MALFORMED_CERTIFICATE', describeError(err).message);
  }
  return blobEvidence(file, location, annotations, payload, { signatureFile: sidecar.displayPath });
}

function legacyBundleEvidence(
  file: FileTarget,
  sidecar: Sidecar,
  doc: unknown,
  payload: Uint8Array,
): Evidence {
  try {
    const b = parseLegacyCosignBundle(doc);
    const annotations: Record<string, string> = {
      [ANNOTATION.signature]: Buffer.from(b.signature).toString('base64'),
    };
    if (b.certificatePem) annotations[ANNOTATION.certificate[0]] = b.certificatePem;
    if (b.rekorBundleJson) annotations[ANNOTATION.bundle] = b.rekorBundleJson;
    return blobEvidence(file, sidecar.displayPath, annotations, payload, { cosignBundle: true });
  } catch (err) {
    return broken(sidecar.displayPath, 'MALFORMED_SIGNATURE', describeError(err).message);
  }
}

function blobEvidence(
  file: FileTarget,
  location: string,
  annotations: Record<string, string>,
  payload: Uint8Array,
  extra: Record<string, unknown>,
): Evidence {
  let layer;
  try {
    layer = readLayerAnnotations(annotations);
  } catch (err) {
    const e = describeError(err);
    return broken(location, e.code, e.message);
  }
  const details: Record<string, unknown> = { ...extra, detached: true, keyless: false };
  let signer: SignerIdentity = {};
  if (layer.certificateDer) {
    signer = certificateSigner(layer.certificateDer, layer.chainDer);
    details.keyless = Boolean(signer.oidcIssuer);
  } else {
    details.signedWith = 'public key (no certificate beside the signature)';
  }
  const evidence: Evidence = {
    family: 'cosign',
    location,
    signer,
    algorithm: signer.publicKeyAlgorithm,
    digestAlgorithm: 'SHA-256',
    claims: { subjectDigest: file.digest },
    details,
    findings: [],
    material: {
      kind: 'blob-signature',
      payload,
      signature: layer.signature,
      certificateDer: layer.certificateDer,
      chainDer: layer.chainDer,
      rekorBundle: layer.rekorBundle,
      rfc3161Timestamp: layer.rfc3161Timestamp,
    } satisfies BlobSignatureMaterial,
  };
  if (layer.rekorBundle) {
    evidence.countersigner = rekorCountersigner(layer.rekorBundle);
    details.rekorLogIndex = layer.rekorBundle.logIndex;
  }
  return evidence;
}

function broken(location: string, code: string, message: string): Evidence {
  const finding: Finding = { code, message, severity: 'integrity' };
  return { family: 'cosign', location, signer: {}, details: { detached: true }, findings: [finding] };
}

async function readBounded(path: string, max: number): Promise<Uint8Array> {
  const { size } = await stat(path);
  if (size > max) {
    throw new SigscanError(
      'TOO_LARGE',
      `signature file ${path} is ${size} bytes, over the ${max}-byte limit`,
    );
  }
  return new Uint8Array(await readFile(path));
}
