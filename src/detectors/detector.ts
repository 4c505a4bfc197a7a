import type { JarAnalysis } from '../formats/jar/index.js';
import type { PeAuthenticode } from '../formats/pe/index.js';
import type { Evidence, SignatureFamily, Target } from '../model/index.js';
import type { Descriptor, OciStore } from '../oci/types.js';
import type { Limits } from '../util/limits.js';
import type { Logger } from '../util/logger.js';

/**
 * A signature family's finder. Adding a family means one file here, its entry in `index.ts`, a parser
 * in `formats/` and a verifier in `trust/`; nothing else changes. Detectors never print; a thrown
 * error becomes an error entry on the target and the scan goes on.
 */
export interface Detector {
  readonly name: string;
  readonly family: SignatureFamily;
  applies(target: Target): boolean;
  detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence>;
}

/** Shared discovery for one repository: the tag list is read once and referrers listed once per digest. */
export interface RepositoryDiscovery {
  readonly repository: string;
  hasTag(tag: string): Promise<boolean>;
  /** Referrers of a digest via the API, or the `sha256-<hex>` fallback index when the API is missing. */
  referrers(digest: string): Promise<Descriptor[]>;
}

export interface FileInput {
  /** Path on this machine, for opening. */
  absolutePath: string;
  /**
   * Whole file contents, read once and shared with the hashing. For a file over the streaming threshold
   * (see `large`), for a PE image (see `authenticode`) and for a JAR (see `jar`) this is read only when a
   * detector asks for it, under the file-size limit.
   */
  bytes: Uint8Array;
  /**
   * A PE image (fs scans): its headers and certificate table, read by ranges, and its image hashes (by
   * algorithm) from the one pass that hashed the whole file.
   */
  authenticode?: { pe?: PeAuthenticode; error?: unknown; imageHashes: Map<string, Uint8Array> };
  /**
   * A JAR (fs scans): analysed while its bytes were read (they are not kept past that job), or the error
   * analysing it threw, which the JAR detector throws in turn.
   */
  jar?: { analysis?: JarAnalysis; error?: unknown };
  /**
   * Set when the file was not held whole (over the streaming threshold): its size and modification time
   * when it was hashed. A detector that reads it in place checks them, so it reads the bytes reported.
   */
  large?: { size: number; mtimeNs: bigint };
  /** Detached signature files found beside this file (fs scans); they are never targets themselves. */
  sidecars?: Sidecar[];
}

/** A signature file beside the file it signs: `<file>.sigstore.json`, `<file>.sig` (+ `.pem`), ... */
export interface Sidecar {
  /**
   * `bundle`: one JSON document (Sigstore bundle, or cosign's own `sign-blob --bundle` JSON);
   * `jsonl`: JSON Lines of bundles or DSSE envelopes (`*.intoto.jsonl`, `gh attestation download`);
   * `signature`: a base64 signature (`cosign sign-blob --output-signature`), maybe with a certificate.
   */
  kind: 'bundle' | 'jsonl' | 'signature' | 'plugin';
  /** For `plugin`: the plugin family whose sidecarSuffixes named it (only that family reads it). */
  family?: string;
  /** Path on this machine, for opening. */
  absolutePath: string;
  /** Path as reports show it. */
  displayPath: string;
  /** Not named after the file: a standalone attestation file whose statements name it. */
  standalone?: boolean;
  /** For `signature`: the certificate written beside it (`<file>.pem`, `.crt` or `.cert`). */
  certificate?: { absolutePath: string; displayPath: string };
}

/**
 * Clients some detectors need beyond the target's own store (a lookaside server, a notary server).
 * Each is optional: a detector whose service is missing finds nothing rather than guessing.
 */
export interface DetectServices {
  [name: string]: unknown;
}

export interface DetectContext {
  oci?: OciStore;
  discovery?: RepositoryDiscovery;
  file?: FileInput;
  limits: Limits;
  log: Logger;
  services?: DetectServices;
}
