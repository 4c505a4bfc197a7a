import type { SimpleSigningService } from '../detectors/simple-signing-service.js';
import { DIR_STORE_PREFIX } from '../oci/layout/skopeo-dir.js';
import type { ImageTarget, SignatureFamily, Target } from '../model/index.js';
import type { NotChecked } from './report-model.js';

/** Families found in a registry (tags, referrers, manifests) without any configuration. */
const REGISTRY_FAMILIES: SignatureFamily[] = ['cosign', 'cosign-attestation', 'notation', 'sigstore-bundle'];
/** Families of files on disk: each detector reads the file (and its sidecars) itself. */
const FILE_FAMILIES: SignatureFamily[] = [
  'jar',
  'authenticode',
  'cosign',
  'sigstore-bundle',
  'in-toto',
  'apk',
  'rpm',
  'debsig',
];

export interface CoverageInputs {
  /** Where the scan looked: a registry (tags, lookaside, notary) or files and layouts on disk. */
  source: 'registry' | 'layout' | 'fs';
  /** Whether a notary server was configured (flag, $DOCKER_CONTENT_TRUST_SERVER or the Docker Hub default). */
  notaryServer?: string;
  annotationSignatures?: boolean;
  simpleSigning?: SimpleSigningService;
}

export interface Coverage {
  checked: SignatureFamily[];
  notChecked: NotChecked[];
}

/**
 * Which signature families a scan looked up, and which it could not, with what to pass to look them up.
 * "unsigned" means "none of the checked families found a signature"; the report says which those were.
 * Simple signing is decided per image: an image without a lookaside (registries.d, or the local default
 * that exists) was not looked up there.
 */
export class CoverageTracker {
  private images = 0;
  /** Layout scans: images of skopeo `dir:` layouts (simple signatures beside the manifest) and the rest. */
  private dirImages = 0;
  private layoutImages = 0;
  private withoutLookaside = 0;
  private example: string | undefined;
  private readonly pending: Array<Promise<void>> = [];

  constructor(private readonly inputs: CoverageInputs) {}

  /** Called with every target the scan reached (resolved or not). */
  add(target: Target): void {
    if (this.inputs.source === 'layout' && target.kind === 'image' && !target.parent) {
      if (target.registry.startsWith(DIR_STORE_PREFIX)) this.dirImages++;
      else this.layoutImages++;
    }
    if (this.inputs.source !== 'registry' || target.kind !== 'image' || target.parent) return;
    this.images++;
    this.pending.push(this.lookaside(target));
  }

  private async lookaside(image: ImageTarget): Promise<void> {
    const service = this.inputs.simpleSigning;
    const choice = service?.lookasideFor(image);
    if (choice && (!choice.base.startsWith('file:') || (await service!.localRootExists(choice.base)))) return;
    this.withoutLookaside++;
    this.example ??= `${image.registry}/${image.repository}`;
  }

  async finish(): Promise<Coverage> {
    await Promise.all(this.pending);
    const { source } = this.inputs;
    if (source === 'fs') return { checked: [...FILE_FAMILIES], notChecked: [] };
    const checked = [...REGISTRY_FAMILIES];
    const notChecked: NotChecked[] = [];
    if (source === 'layout') {
      // A dir: layout keeps its simple signatures itself; OCI layouts and archives have none and no lookaside.
      if (this.dirImages && !this.layoutImages) checked.push('simple-signing');
      else
        notChecked.push({
          family: 'simple-signing',
          reason: 'an OCI layout has no lookaside: its images have no registry name',
        });
      notChecked.push({
        family: 'tuf',
        reason: 'Docker Content Trust lives on a notary server, not in a layout',
      });
      return { checked: checked.sort(), notChecked };
    }
    if (this.inputs.annotationSignatures) checked.push('oci-annotation');
    else
      notChecked.push({
        family: 'oci-annotation',
        reason:
          'manifest annotations were not read: pass --annotation-signatures (one manifest GET per image)',
      });
    if (this.withoutLookaside === 0) checked.push('simple-signing');
    else {
      const dirs = this.inputs.simpleSigning?.registries.files.length
        ? `registries.d files read: ${this.inputs.simpleSigning.registries.files.join(', ')}`
        : 'no registries.d file was found';
      const some =
        this.withoutLookaside === this.images
          ? ''
          : ` for ${this.withoutLookaside} of ${this.images} images (e.g. ${this.example})`;
      notChecked.push({
        family: 'simple-signing',
        reason: `no lookaside configured${some} (${dirs}): pass --registries-d; only registries with the signatures API were asked`,
      });
    }
    if (this.inputs.notaryServer) checked.push('tuf');
    else
      notChecked.push({
        family: 'tuf',
        reason:
          'Docker Content Trust was not looked up: no --notary-server (or $DOCKER_CONTENT_TRUST_SERVER)',
      });
    return { checked: checked.sort(), notChecked };
  }
}
