import type { CrlEntry } from './crl.js';

/**
 * Reasons after which no earlier signature can be believed: the key (or its CA's) was compromised, and
 * "unspecified" or no reason at all might mean exactly that. A timestamp only proves when a signature
 * existed, not that its maker was the key's owner, once the key is known to have leaked.
 */
const COMPROMISE_REASONS = new Set(['keyCompromise', 'cACompromise', 'aACompromise', 'unspecified']);

export interface RevocationDecision {
  /** The revocation makes the signature fail. */
  revoked: boolean;
  /** Why, in words, for the verdict or a note. */
  message: string;
}

/**
 * The timestamp rule, after Windows Authenticode (WinVerifyTrust with a countersignature): a signature
 * with a trusted timestamp before the revocation time stays valid, unless the reason is keyCompromise
 * (or a CA/AA compromise), unspecified, or absent: a leaked key can sign at any time it likes, and a TSA
 * will stamp it. Notation signatures follow notation-core-go instead (decideNotationRevocation).
 *
 * `checkTime` is the verification instant (`--at` or now): a revocation that lies after it had not
 * happened yet as of that instant.
 */
export function decideRevocation(
  subject: string,
  entry: CrlEntry,
  signingTime: Date | undefined,
  checkTime: Date,
): RevocationDecision {
  const { when, notYet } = revocationAsOf(subject, entry, checkTime);
  if (notYet) return notYet;
  if (!signingTime) return { revoked: true, message: `${when}; the signature has no trusted timestamp` };
  if (signingTime >= entry.revokedAt) {
    return {
      revoked: true,
      message: `${when}, before the trusted timestamp ${signingTime.toISOString()}`,
    };
  }
  if (entry.reason === undefined || COMPROMISE_REASONS.has(entry.reason)) {
    return {
      revoked: true,
      message: `${when}; the trusted timestamp ${signingTime.toISOString()} is earlier, but a ${entry.reason ?? 'reasonless'} revocation voids earlier signatures too`,
    };
  }
  return {
    revoked: false,
    message: `${when}, after the trusted timestamp ${signingTime.toISOString()}, for a reason that leaves earlier signatures valid`,
  };
}

/**
 * notation-core-go's rule (revocation/internal/crl checkRevocation, internal/ocsp): a revoked certificate
 * is revoked, whatever the reason and the revocation date, unless the entry carries an invalidityDate
 * and the authentic signing time is before it. notation-go passes that time only for
 * notary.x509.signingAuthority signatures (verifier.go verifyRevocation); an RFC 3161 timestamp of a
 * notary.x509 signature never reaches it. `checkTime` is read as in decideRevocation.
 */
export function decideNotationRevocation(
  subject: string,
  entry: CrlEntry,
  signingTime: Date | undefined,
  checkTime: Date,
): RevocationDecision {
  const { when, notYet } = revocationAsOf(subject, entry, checkTime);
  if (notYet) return notYet;
  if (signingTime && entry.invalidityDate && signingTime < entry.invalidityDate) {
    return {
      revoked: false,
      message: `${when}, invalid from ${entry.invalidityDate.toISOString()}, after the authentic signing time ${signingTime.toISOString()}`,
    };
  }
  return {
    revoked: true,
    message: `${when}; ${signingTime ? `the authentic signing time ${signingTime.toISOString()} is not before an invalidityDate` : 'no authentic signing time applies'}`,
  };
}

/**
 * What both rules start from: the revocation in words, and their shared first answer, that a revocation
 * after the verification instant had not happened yet as of that instant.
 */
function revocationAsOf(
  subject: string,
  entry: CrlEntry,
  checkTime: Date,
): { when: string; notYet?: RevocationDecision } {
  const when = `${subject} was revoked ${entry.revokedAt.toISOString()} (${entry.reason ?? 'no reason given'})`;
  if (entry.revokedAt <= checkTime) return { when };
  return {
    when,
    notYet: { revoked: false, message: `${when}, after the verification time ${checkTime.toISOString()}` },
  };
}
