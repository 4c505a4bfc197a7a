/** Bounds on everything read from untrusted sources (formats.md golden rule 3). */
export interface Limits {
  /** Registries must accept 4 MiB manifests; larger ones are refused. */
  maxManifestBytes: number;
  /** Signature payloads, envelopes, bundles. */
  maxSignatureBlobBytes: number;
  /** Largest file read into memory for parsing. */
  maxFileBytes: number;
  /** ZIP entries examined per archive. */
  maxArchiveEntries: number;
  /** Total uncompressed bytes read from one archive. */
  maxArchiveUncompressedBytes: number;
  /** Largest compression ratio accepted for one entry (zip bombs). */
  maxCompressionRatio: number;
  /** Pages followed through a `Link` header. */
  maxPages: number;
  /** Certificates kept from one signature. */
  maxCertificates: number;
  /**
   * Levels of archives inside archives scanned as their own targets (a WAR's `WEB-INF/lib/x.jar` is level 1,
   * a JAR inside that one level 2); archives one level deeper are reported, not read. 0 turns nesting off.
   */
  maxNestingDepth: number;
  /** Largest nested archive inflated into memory (it is read whole, as a file is). */
  maxNestedEntryBytes: number;
  /** Inflated bytes of all nested archives of one file together: they are all in memory at once. */
  maxNestedBytes: number;
  /** Nested archives reported for one file, at every level together. */
  maxNestedArchives: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxManifestBytes: 4 * 1024 * 1024,
  maxSignatureBlobBytes: 8 * 1024 * 1024,
  maxFileBytes: 512 * 1024 * 1024,
  maxArchiveEntries: 100_000,
  maxArchiveUncompressedBytes: 2 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxPages: 10_000,
  maxCertificates: 64,
  maxNestingDepth: 3,
  maxNestedEntryBytes: 512 * 1024 * 1024,
  maxNestedBytes: 1024 * 1024 * 1024,
  maxNestedArchives: 10_000,
};
