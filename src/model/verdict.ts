/**
 * verified: every check passed against the supplied trust roots.
 * invalid: cryptographically wrong or tampered.
 * untrusted: valid but not anchored in the supplied roots or policy.
 * unverified: no trust root was supplied for this family, so only detection happened.
 * error: could not be checked (network, throttling, malformed input).
 */
export type VerdictStatus = 'verified' | 'invalid' | 'untrusted' | 'unverified' | 'error';

export interface Verdict {
  status: VerdictStatus;
  /** Stable, machine-readable reason, e.g. `NO_TRUST_ROOT`, `DIGEST_MISMATCH`. */
  code: string;
  /** A sentence a person understands. */
  message: string;
  /** Who decided, when not sigscan itself: `plugin:<module>@<version>`. */
  by?: string;
}
