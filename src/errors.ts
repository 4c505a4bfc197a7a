/** Typed errors with a stable code. One bad target never stops a scan: these become error entries. */

export type ErrorCode =
  | 'USAGE'
  | 'REGISTRY_UNREACHABLE'
  | 'REGISTRY_UNAUTHORIZED'
  | 'REGISTRY_DENIED'
  | 'REGISTRY_ERROR'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'DIGEST_MISMATCH'
  | 'TOO_LARGE'
  | 'TLS_ERROR'
  | 'TOKEN_ERROR'
  | 'CREDENTIALS_ERROR'
  | 'MALFORMED_MANIFEST'
  | 'MALFORMED_PE'
  | 'MALFORMED_ZIP'
  | 'MALFORMED_JAR'
  | 'MALFORMED_CMS'
  | 'MALFORMED_CERTIFICATE'
  | 'MALFORMED_CRL'
  | 'MALFORMED_ENVELOPE'
  | 'MALFORMED_SIGNATURE'
  | 'MALFORMED_MSI'
  | 'MALFORMED_CAB'
  | 'MALFORMED_SCRIPT'
  | 'MALFORMED_APK'
  | 'MALFORMED_RPM'
  | 'MALFORMED_DEB'
  | 'MALFORMED_APPX'
  | 'FORMAT_MISMATCH'
  | 'FILE_UNREADABLE'
  | 'FILE_TOO_LARGE'
  /** The file's size or modification time changed while it was read: its bytes may be torn. */
  | 'FILE_CHANGED'
  /** An archive nested deeper than limits.maxNestingDepth: reported, not read. */
  | 'NESTING_TOO_DEEP'
  | 'UNSUPPORTED'
  /** The digest a registry would give this image cannot be known from what was read (a legacy docker save archive). */
  | 'DIGEST_UNKNOWABLE'
  /** A plugin threw, returned something that is not a verdict or evidence, or broke its contract. */
  | 'PLUGIN_ERROR'
  /** A plugin's detection or verification exceeded --plugin-timeout. */
  | 'PLUGIN_TIMEOUT'
  /** The worker thread checking this file crashed or exited (`--jobs`): the file was not checked. */
  | 'WORKER_FAILED'
  | 'INTERNAL';

export class SigscanError extends Error {
  readonly code: ErrorCode;
  override readonly cause?: unknown;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message);
    this.name = 'SigscanError';
    this.code = code;
    this.cause = options?.cause;
  }
}

/** Sentinel for "the thing does not exist" (404), distinct from failures that mean "could not tell". */
export class NotFoundError extends SigscanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

export class RateLimitedError extends SigscanError {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super('RATE_LIMITED', message);
    this.name = 'RateLimitedError';
  }
}

export function isNotFound(err: unknown): err is NotFoundError {
  return err instanceof NotFoundError;
}

/** Turns anything thrown into a code and a one-line message fit for a report. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof SigscanError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const sys = (err as NodeJS.ErrnoException).code;
    if (sys === 'EACCES' || sys === 'EPERM') return { code: 'FILE_UNREADABLE', message: err.message };
    return { code: 'INTERNAL', message: err.message };
  }
  return { code: 'INTERNAL', message: String(err) };
}
