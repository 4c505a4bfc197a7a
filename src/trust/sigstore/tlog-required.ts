import type { Verdict } from '../../model/index.js';
import type { TrustConfig } from '../config.js';
import { untrusted } from '../verdicts.js';

/** What a verdict says when `--insecure-ignore-tlog` is all that let a signature without a log entry through. */
export const TLOG_NOT_REQUIRED = 'transparency log not required (--insecure-ignore-tlog)';

/**
 * The transparency-log requirement for signatures whose signer is trusted without Sigstore's CAs: a
 * supplied `--key`, or a certificate chaining to a private `--trust-root`. cosign 2.x refuses both
 * without a verified Rekor entry (pkg/cosign/verify.go, verifyInternal: unless `co.IgnoreTlog`, a
 * signature without a Rekor bundle must be found in Rekor online, and `--offline` fails it), so a
 * signature stripped of its Rekor bundle, or never logged, does not stay `verified` here either.
 * Returns undefined when the requirement is met or waived.
 */
export function tlogMissing(config: TrustConfig, what: string): Verdict | undefined {
  if (config.insecureIgnoreTlog) return undefined;
  return untrusted(
    'TLOG_MISSING',
    `${what}, but carries no transparency-log (Rekor) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one`,
  );
}
