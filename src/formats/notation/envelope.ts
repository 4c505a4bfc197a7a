import { MediaType, type OciManifest } from '../../oci/types.js';
import { malformed, type NotationEnvelope, type ParseOptions } from './common.js';
import { COSE_MEDIA_TYPE, parseCoseEnvelope } from './cose.js';
import { JWS_MEDIA_TYPE, parseJwsEnvelope } from './jws.js';

/** Picks the parser from the layer media type (formats.md §3.5 step 1), never by sniffing the bytes. */
export function parseNotationEnvelope(
  bytes: Uint8Array,
  mediaType: string,
  options: ParseOptions = {},
): NotationEnvelope {
  switch (mediaType) {
    case JWS_MEDIA_TYPE:
      return parseJwsEnvelope(bytes, options);
    case COSE_MEDIA_TYPE:
      return parseCoseEnvelope(bytes, options);
    default:
      throw malformed(`unknown notation envelope media type ${JSON.stringify(mediaType)}`);
  }
}

export const NOTATION_ENVELOPE_MEDIA_TYPES: readonly string[] = [JWS_MEDIA_TYPE, COSE_MEDIA_TYPE];

export type LegacyNotationEra = 'nv2-prototype' | 'notation-go-2021' | 'notation-0.x' | 'notation-1.0-rc';

export type SignatureManifestKind =
  /** Current format; `form` tells which of the two accepted manifest shapes carries it. */
  | { kind: 'notation'; form: 'artifactType' | 'config' }
  /** Pre-1.0 shapes: reported as "legacy Notary v2 prototype", never verified. */
  | { kind: 'legacy'; era: LegacyNotationEra; description: string };

const LEGACY_DESCRIPTIONS: Record<LegacyNotationEra, string> = {
  'nv2-prototype': 'nv2 prototype (2020) JWT signature in the config blob',
  'notation-go-2021': 'notation-go 2021 ORAS artifact signature (JWT)',
  'notation-0.x': 'notation 0.x ORAS artifact manifest signature',
  'notation-1.0-rc': 'notation 1.0-rc OCI artifact manifest signature (image-spec 1.1-rc, withdrawn)',
};

/**
 * Classifies a manifest as a Notary Project signature (formats.md §3.1). Both current shapes are
 * accepted: `artifactType` notary with the empty config (OCI 1.1), or no `artifactType` and the config
 * media type notary (OCI 1.0 registries; notation's own e2e fixtures). Returns undefined otherwise.
 */
export function signatureManifestKind(manifest: OciManifest): SignatureManifestKind | undefined {
  const configType = manifest.config?.mediaType;
  const legacy = (era: LegacyNotationEra): SignatureManifestKind => ({
    kind: 'legacy',
    era,
    description: LEGACY_DESCRIPTIONS[era],
  });
  if (
    manifest.mediaType === MediaType.ociArtifactManifest &&
    manifest.artifactType === MediaType.notarySignature
  ) {
    return legacy('notation-1.0-rc');
  }
  if (manifest.artifactType === 'application/vnd.cncf.notary.v2.signature') return legacy('notation-0.x');
  if (manifest.artifactType === 'application/vnd.cncf.notary.v2') return legacy('notation-go-2021');
  if (configType === 'application/vnd.cncf.notary.config.v2+jwt') return legacy('nv2-prototype');
  if (manifest.mediaType !== undefined && manifest.mediaType !== MediaType.ociManifest) return undefined;
  if (manifest.artifactType === MediaType.notarySignature && configType === MediaType.ociEmpty) {
    return { kind: 'notation', form: 'artifactType' };
  }
  if (manifest.artifactType === undefined && configType === MediaType.notarySignature) {
    return { kind: 'notation', form: 'config' };
  }
  return undefined;
}
