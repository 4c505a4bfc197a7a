import { SigscanError } from '../errors.js';
import { sha256Hex } from '../formats/der.js';
import { readIrSignAnnotations } from '../formats/ir-sign.js';
import type { Evidence, Finding, Target } from '../model/index.js';
import { isIndexMediaType, MediaType } from '../oci/types.js';
import type { DetectContext, Detector } from './detector.js';

/** What the trust layer needs to verify an ir-sign signature; never serialised. */
export interface IrSignMaterial {
  placeholder: boolean;
  /** Raw config blob bytes, already checked against `config.digest`. */
  configBytes?: Uint8Array;
  signature?: Uint8Array;
  vendorPub?: Uint8Array;
  vendorPubSignature?: Uint8Array;
}

/**
 * Reading the annotations costs one manifest GET per image, which a plain registry scan otherwise never
 * makes (tags are resolved with HEAD). So it is opt-in: `--annotation-signatures` sets `services.irSign`.
 */
export function irSignEnabled(ctx: DetectContext): boolean {
  return ctx.services?.['irSign'] === true;
}

/**
 * ir-sign (ISLET) signatures live in the image manifest's own annotations (formats.md §8), so the
 * manifest of the target itself is read; indexes carry none.
 */
export const irSignDetector: Detector = {
  name: 'ir-sign',
  family: 'oci-annotation',
  applies: (target: Target) => target.kind === 'image' && !isIndexMediaType(target.mediaType),
  detect: detectIrSign,
};

async function* detectIrSign(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
  if (target.kind !== 'image' || isIndexMediaType(target.mediaType) || !irSignEnabled(ctx)) return;
  if (!ctx.oci) throw new SigscanError('INTERNAL', 'the ir-sign detector needs an OCI store');
  const fetched = await ctx.oci.getManifest(target.repository, target.digest);
  const { manifest } = fetched;
  if (isIndexMediaType(manifest.mediaType) || manifest.manifests) return;
  const parsed = readIrSignAnnotations(manifest.annotations);
  if (!parsed) return;

  const findings: Finding[] = [...parsed.findings];
  const config = manifest.config;
  const details: Record<string, unknown> = {
    scheme: 'ir-sign',
    annotations: parsed.present,
    placeholder: parsed.placeholder,
    configDigest: config?.digest,
    manifestDigest: target.digest,
    // §8.3: the signature covers the config blob only; layers are bound only through rootfs.diff_ids.
    layersCovered: false,
  };
  const material: IrSignMaterial = { placeholder: parsed.placeholder };
  const evidence: Evidence = {
    family: 'oci-annotation',
    location: `manifest annotations ${target.digest}`,
    signer: {},
    details,
    findings,
    material,
  };
  if (parsed.placeholder) {
    details.note = 'ir-sign placeholder (unsigned)';
    yield evidence;
    return;
  }
  evidence.algorithm = 'ECDSA-P384-SHA384';
  evidence.digestAlgorithm = 'SHA-384';
  if (parsed.vendorPub) {
    const keyId = sha256Hex(parsed.vendorPub);
    evidence.signer = { keyId };
    details.vendorKeyId = keyId;
    material.vendorPub = parsed.vendorPub;
  }
  if (parsed.signature) material.signature = parsed.signature;
  if (parsed.vendorPubSignature) material.vendorPubSignature = parsed.vendorPubSignature;

  if (!config?.digest) {
    findings.push({
      code: 'CONFIG_MISSING',
      severity: 'integrity',
      message: 'the manifest has no config descriptor; ir-sign signs the config blob',
    });
  } else if (
    manifest.mediaType !== undefined &&
    manifest.mediaType !== MediaType.ociManifest &&
    manifest.mediaType !== MediaType.dockerManifest
  ) {
    findings.push({
      code: 'NOT_AN_IMAGE_MANIFEST',
      severity: 'warning',
      message: `ir-sign annotations on a ${manifest.mediaType}`,
    });
  }
  if (config?.digest) {
    try {
      // The store checks the bytes against config.digest and size (§8.4 step 1).
      material.configBytes = await ctx.oci.getBlob(
        target.repository,
        config,
        ctx.limits.maxSignatureBlobBytes,
      );
    } catch (err) {
      if (err instanceof SigscanError && err.code === 'DIGEST_MISMATCH') {
        findings.push({
          code: 'CONFIG_DIGEST_MISMATCH',
          severity: 'integrity',
          message: `the config blob does not hash to ${config.digest}: ${err.message}`,
        });
      } else {
        throw err;
      }
    }
  }
  yield evidence;
}
