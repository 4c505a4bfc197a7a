import { signerTimestamps, type SignerInfoView } from '../formats/cms.js';
import type { ParsedCertificate } from '../formats/x509.js';
import type { Verdict } from '../model/index.js';
import { verifySignerInfo } from './cms-verify.js';
import { verifyTimestamp, type TimestampCheck } from './timestamp.js';
import { invalid, untrusted, unverified, verificationError, verified } from './verdicts.js';
import type { TrustContext } from './verifier.js';
import { revocationOptions } from './revocation/options.js';
import { validateChain } from './x509-chain.js';

export const CODE_SIGNING_EKU = '1.3.6.1.5.5.7.3.3';
/** Timestamps read on one signer; more is refused rather than checked one by one. */
export const MAX_TIMESTAMPS = 8;

export interface CmsSignerDecision {
  /** "JAR signature", "Authenticode signature": how messages name what was checked. */
  what: string;
  signer: SignerInfoView;
  /** What the SignerInfo signs: the .SF bytes, or the SpcIndirectDataContent contents octets. */
  content: Uint8Array;
  /** Every certificate the signature carries (chain building pool; the TSA certificate may be here too). */
  certificates: ParsedCertificate[];
  ctx: TrustContext;
  requiredEku?: string;
  /** Critical extensions the platform processes beyond validateChain's own, for the signer and TSA chains. */
  platformExtensions?: readonly string[];
  /** False when a timestamp must not move the validity instant (Authenticode lifetime signing). */
  timestampExtendsValidity: boolean;
  /** Why a timestamp does not extend validity, for messages. */
  timestampLimitation?: string;
  /**
   * A present timestamp must be trusted for `verified` even when the signer certificate is valid now
   * (jarsigner -strict fails a jar whose TSA chain it cannot validate).
   */
  requireTrustedTimestamp?: boolean;
  /**
   * Whether a PKCS #9 countersignature may stand for a timestamp (default true: Authenticode uses them).
   * JAR passes false: jarsigner reads only RFC 3161 tokens, so a PKCS #9 attribute there is ignored.
   */
  acceptPkcs9Countersignature?: boolean;
  /** Anchors for the TSA chain; ctx.config.tsaRoots when absent. */
  tsaAnchors?: ParsedCertificate[];
  /** Family integrity checks that need the signature to be known good first (e.g. JAR entry coverage). */
  afterSignature?: () => Verdict | undefined;
  /** Weak algorithms the family already knows about (manifest digests, image hash). */
  weakAlgorithms?: string[];
  /**
   * Weak algorithms the platform's verifier refuses (matched against every weak name collected: the
   * signature, the chain, the timestamp). A match makes the verdict untrusted/WEAK_ALGORITHM unless
   * `--allow-weak-algorithms`, in which case the message says the flag accepted it.
   */
  refusedWeakAlgorithms?: RegExp;
}

/**
 * The decision every CMS-signed family shares, in the order that keeps verdicts honest:
 * 1. the SignerInfo signature (bad ⇒ `invalid`, even without trust roots);
 * 2. family integrity checks (`afterSignature`);
 * 3. every timestamp's own integrity (a forged or mismatching stamp ⇒ `invalid`);
 * 4. only then trust: no roots ⇒ `unverified`/NO_TRUST_ROOT; chain to the roots at the trusted timestamp
 *    time, else at ctx.now. `verified` only when every one of these ran and passed.
 *
 * An intact timestamp whose TSA is not trusted is not used for the validity instant; when the signer
 * certificate is valid at ctx.now anyway the timestamp was not needed (as osslsigncode and the corpus'
 * kdbazis.dll case), and the message says the stamp was not trusted.
 */
export async function decideCmsSigner(d: CmsSignerDecision): Promise<Verdict> {
  const { signer, ctx } = d;
  const weak = new Set<string>(d.weakAlgorithms ?? []);

  const cms = await verifySignerInfo({ signer, content: d.content });
  if (cms.weakAlgorithm) weak.add(cms.weakAlgorithm);
  if (!cms.ok) {
    switch (cms.code) {
      case 'SIGNER_CERTIFICATE_MISSING':
        return invalid('SIGNER_CERTIFICATE_MISSING', `the ${d.what} cannot be checked: ${cms.message}`);
      case 'UNSUPPORTED_ALGORITHM':
        return verificationError(
          'UNSUPPORTED_ALGORITHM',
          `the ${d.what} could not be checked: ${cms.message}`,
        );
      default:
        return invalid(cms.code, `the ${d.what} is invalid: ${cms.message}`);
    }
  }
  const leaf = signer.certificate!;
  const who = leaf.summary.subject || '(empty subject)';

  const family = d.afterSignature?.();
  if (family) return family;

  const stamps = signerTimestamps(signer, d.certificates).filter(
    (s) => s.kind === 'rfc3161' || d.acceptPkcs9Countersignature !== false,
  );
  // Every stamp is checked, not only the first: a signer may carry several (PKCS #9 countersignatures,
  // RFC 3161 tokens under either OID, several values of one attribute). osslsigncode 2.9 reads only the
  // first value of each attribute and lets the last readable one win, dropping it (signature then judged
  // at the verification time) when it fails. Our rule: any broken stamp is tampering (`invalid`); the
  // validity instant comes only from a trusted stamp, the earliest trusted one (each is a TSA we trust
  // vouching that the signature existed then); intact stamps from TSAs not trusted are named, never used,
  // so a forged countersignature added beside a real one cannot date the signature earlier.
  if (stamps.length > MAX_TIMESTAMPS) {
    // Each stamp costs a signature check and a chain; no signer writes more than a couple.
    return invalid(
      'TIMESTAMP_AMBIGUOUS',
      `the ${d.what} by ${who} carries ${stamps.length} timestamps (at most ${MAX_TIMESTAMPS} are read)`,
    );
  }
  const checks: TimestampCheck[] = [];
  for (const [i, stamp] of stamps.entries()) {
    // As of ctx.now (`--at`): a stamp from after that instant is not used, at this layer or any below.
    const check = await verifyTimestamp({
      timestamp: stamp,
      stampedBytes: signer.signatureValue,
      tsaRoots: d.tsaAnchors ?? ctx.config.tsaRoots,
      extraCertificates: d.certificates,
      verificationTime: ctx.now,
      revocation: revocationOptions(ctx),
      platformExtensions: d.platformExtensions,
    });
    for (const w of check.weakAlgorithms ?? []) weak.add(w);
    if (
      !check.ok &&
      (check.code === 'TIMESTAMP_IMPRINT_MISMATCH' || check.code === 'TIMESTAMP_SIGNATURE_INVALID')
    ) {
      const which = stamps.length > 1 ? ` (timestamp ${i + 1} of ${stamps.length})` : '';
      return invalid(
        'TIMESTAMP_INVALID',
        `the ${d.what} by ${who} carries a broken timestamp${which}: ${check.message}`,
      );
    }
    checks.push(check);
  }
  const ts = chosenStamp(checks);
  if (ctx.config.roots.length === 0) {
    return unverified(
      'NO_TRUST_ROOT',
      `the ${d.what} by ${who} is cryptographically valid${stampNote(ts)}; no trust root was supplied to decide trust`,
    );
  }

  for (const check of checks) {
    const revokedTsa = revokedTimestamp(check, d.what, who);
    if (revokedTsa) return revokedTsa;
  }

  const distrusted = checks.find((c) => !(c.ok && c.trusted));
  if (distrusted && d.requireTrustedTimestamp) {
    return untrusted(
      distrusted.code,
      `signature by ${who} is valid but its timestamp could not be trusted: ${distrusted.message}`,
    );
  }

  const useStamp = Boolean(ts?.ok && ts.trusted && ts.time && d.timestampExtendsValidity);
  const at = useStamp ? ts!.time! : ctx.now;
  const chain = await validateChain({
    leaf,
    intermediates: d.certificates,
    anchors: ctx.config.roots,
    at,
    requiredEku: d.requiredEku,
    platformExtensions: d.platformExtensions,
    // Lifetime signing: the signature dies with the certificate, so a revocation applies whatever the stamp.
    revocation: revocationOptions(ctx, useStamp ? ts!.time : undefined),
  });
  for (const w of chain.weakAlgorithms) weak.add(w);
  const weakNote = weak.size ? `; weak algorithms: ${[...weak].join(', ')}` : '';

  const refused = d.refusedWeakAlgorithms ? [...weak].filter((w) => d.refusedWeakAlgorithms!.test(w)) : [];
  if (chain.ok && refused.length > 0 && !ctx.config.allowWeakAlgorithms) {
    return untrusted(
      'WEAK_ALGORITHM',
      `${d.what} by ${who} is valid and chains to trusted ${chain.anchor!.summary.subject}, but uses ${refused.join(', ')}, which the platform no longer accepts (--allow-weak-algorithms accepts it)`,
    );
  }
  const allowedNote =
    refused.length > 0 ? `; ${refused.join(', ')} accepted only because of --allow-weak-algorithms` : '';

  if (chain.ok) {
    const when = useStamp ? `at the timestamp ${at.toISOString()}` : `at ${at.toISOString()}`;
    return verified(
      'CHAIN_VALID',
      `${d.what} by ${who} is valid and chains to trusted ${chain.anchor!.summary.subject} (checked ${when})` +
        `${useStamp ? '' : stampNote(ts)}${otherStampsNote(checks, ts)}${weakNote}${allowedNote}${revocationNote(chain.revocation)}`,
    );
  }
  switch (chain.code) {
    case 'CHAIN_UNTRUSTED':
      return untrusted(
        'CHAIN_UNTRUSTED',
        `signature valid but signer ${who} does not chain to a supplied trust root${weakNote}`,
      );
    case 'CERT_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return untrusted(
        chain.code,
        `signature valid but ${chain.message}, checked at ${at.toISOString()}; ${validityNote(ts, useStamp, d)}${otherStampsNote(checks, ts)}${weakNote}`,
      );
    case 'CERT_REVOKED':
    case 'REVOCATION_UNKNOWN':
      return untrusted(chain.code, `the ${d.what} by ${who} is valid, but ${chain.message}`);
    default:
      return untrusted(
        chain.code,
        `signature valid but the chain of ${who} is not acceptable: ${chain.message}`,
      );
  }
}

/**
 * A TSA certificate on a CRL: the timestamp vouches for nothing, and a reader must learn why rather than
 * see the signature judged as if unstamped (the platform fails it: WinVerifyTrust checks the
 * countersigner's chain for revocation as it does the signer's).
 */
export function revokedTimestamp(
  ts: TimestampCheck | undefined,
  what: string,
  who: string,
): Verdict | undefined {
  if (ts?.code !== 'TSA_CERT_REVOKED') return undefined;
  return untrusted('CERT_REVOKED', `the ${what} by ${who} is timestamped by a revoked TSA: ${ts.message}`);
}

/** What the verdict says about revocation when the chain passed. */
export function revocationNote(result: { message: string } | undefined): string {
  return result ? `; ${result.message}` : '';
}

/** The stamp whose time may be used: the earliest trusted one, else the first (for messages only). */
function chosenStamp(checks: TimestampCheck[]): TimestampCheck | undefined {
  const trusted = checks.filter((c) => c.ok && c.trusted && c.time);
  trusted.sort((a, b) => a.time!.getTime() - b.time!.getTime());
  return trusted[0] ?? checks[0];
}

/** The stamps beside the chosen one, so a reader sees a second (possibly forged) stamp was not used. */
function otherStampsNote(checks: TimestampCheck[], chosen: TimestampCheck | undefined): string {
  const others = checks.filter((c) => c !== chosen);
  if (others.length === 0) return '';
  const list = others.map((c) => `${c.time?.toISOString() ?? 'no time'}: ${c.code}`).join('; ');
  return `; ${others.length} other timestamp(s) not used (${list})`;
}

function stampNote(ts: TimestampCheck | undefined): string {
  if (!ts) return '';
  if (ts.ok && ts.trusted) return `; ${ts.message}`;
  return `; timestamp not used (${ts.code}: ${ts.message})`;
}

function validityNote(ts: TimestampCheck | undefined, used: boolean, d: CmsSignerDecision): string {
  if (!ts) return 'the signature has no timestamp';
  if (used) return `the timestamp (${ts.time!.toISOString()}) was considered`;
  if (ts.ok && ts.trusted && !d.timestampExtendsValidity) {
    return `the timestamp (${ts.time!.toISOString()}) was considered but ${d.timestampLimitation ?? 'does not extend validity'}`;
  }
  return `a timestamp exists but could not be used (${ts.code}: ${ts.message})`;
}
