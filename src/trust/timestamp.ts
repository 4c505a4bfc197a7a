import {
  findSignerCertificate,
  parseTimeStampToken,
  type SignerInfoView,
  type TimestampInfo,
} from '../formats/cms.js';
import { oidName } from '../formats/der.js';
import type { ParsedCertificate } from '../formats/x509.js';
import { describeError } from '../errors.js';
import { digest, hashNameForOid, verifySignerInfo } from './cms-verify.js';
import type { RevocationOptions } from './revocation/check.js';
import { validateChain } from './x509-chain.js';

const TIME_STAMPING_EKU = '1.3.6.1.5.5.7.3.8';

export type TimestampCheckCode =
  | 'TIMESTAMP_VALID'
  | 'TIMESTAMP_MALFORMED'
  | 'TIMESTAMP_IMPRINT_MISMATCH'
  | 'TIMESTAMP_SIGNATURE_INVALID'
  | 'TSA_CERTIFICATE_MISSING'
  | 'TSA_EKU_NOT_ALLOWED'
  | 'TSA_NO_TRUST_ROOT'
  | 'TSA_CHAIN_UNTRUSTED'
  | 'TSA_CERT_EXPIRED'
  | 'TSA_CERT_NOT_YET_VALID'
  | 'TSA_CERT_BAD_SIGNATURE'
  | 'TSA_CA_CONSTRAINT_VIOLATED'
  | 'TSA_EKU_NOT_ALLOWED'
  | 'TSA_CERT_UNHANDLED_EXTENSION'
  | 'TSA_CERT_REVOKED'
  | 'TSA_REVOCATION_UNKNOWN'
  | 'TIMESTAMP_AFTER_VERIFICATION_TIME'
  | 'UNSUPPORTED_ALGORITHM';

export interface TimestampCheck {
  /** The stamp is intact: it covers `stampedBytes` and its signature verifies with the TSA certificate. */
  ok: boolean;
  /** ok, and the TSA certificate (EKU timeStamping) chains to one of `tsaRoots`, valid at the stamped time. */
  trusted: boolean;
  code: TimestampCheckCode | string;
  message: string;
  /** The asserted time (genTime / signingTime), once the stamp parsed. */
  time?: Date;
  tsa?: ParsedCertificate;
  kind?: 'rfc3161' | 'pkcs9';
  /** MD5/SHA-1 in the stamp or the TSA chain. */
  weakAlgorithms?: string[];
  /** The validated TSA path (TSA certificate first, anchor last) when trusted. */
  path?: ParsedCertificate[];
}

/**
 * RFC 3161 token (DER ContentInfo) or PKCS#9 countersignature view: imprint must hash `stampedBytes`;
 * token signature valid; TSA cert EKU timeStamping; TSA chain to tsaRoots (trusted=false when no
 * tsaRoots match, ok may still be true for integrity).
 *
 * The TSA chain is checked at the stamped time itself: a TSA certificate that has since expired still
 * vouches for stamps it made while valid (what jarsigner and osslsigncode do).
 */
export async function verifyTimestamp(args: {
  tokenDer?: Uint8Array;
  timestamp?: TimestampInfo;
  stampedBytes: Uint8Array;
  tsaRoots: ParsedCertificate[];
  extraCertificates?: ParsedCertificate[];
  /**
   * The verification instant (`--at`, else now). A stamp that claims a later time did not exist yet as of
   * that instant: it stays intact (ok) but is never trusted, whatever its TSA.
   */
  verificationTime?: Date;
  /**
   * Revocation of the TSA chain. The stamp's own time stands in as the signing time: a TSA certificate
   * revoked later for a benign reason still vouches for earlier stamps; one revoked for key compromise
   * vouches for none, whatever time it wrote.
   */
  revocation?: RevocationOptions;
  /** false where the platform is the JDK, which reads only the TSA certificate's own EKU (x509-chain.ts). */
  requiredEkuOnIssuers?: boolean;
  /** Critical extensions the platform processes beyond validateChain's own (x509-chain.ts). */
  platformExtensions?: readonly string[];
}): Promise<TimestampCheck> {
  let ts: TimestampInfo;
  try {
    if (args.tokenDer) ts = parseTimeStampToken(args.tokenDer);
    else if (args.timestamp) ts = args.timestamp;
    else return fail('TIMESTAMP_MALFORMED', 'no timestamp token or countersignature was supplied');
  } catch (err) {
    return fail('TIMESTAMP_MALFORMED', `the timestamp token cannot be read: ${describeError(err).message}`);
  }
  const kind = ts.kind;
  const time = Number.isNaN(ts.time.getTime()) ? undefined : ts.time;
  if (!time) {
    return fail('TIMESTAMP_MALFORMED', `the ${label(kind)} carries no usable time`, { kind });
  }
  const weak = new Set<string>();
  const common = { kind, time };

  // 1. What the stamp covers. RFC 3161: the message imprint. PKCS #9: the countersignature's
  //    messageDigest attribute, which verifySignerInfo checks below with stampedBytes as content.
  if (kind === 'rfc3161') {
    const hash = ts.imprintAlgorithm ? hashNameForOid(oidOf(ts.imprintAlgorithm)) : undefined;
    if (!hash || !ts.imprint) {
      return fail(
        'UNSUPPORTED_ALGORITHM',
        `timestamp imprint algorithm ${ts.imprintAlgorithm ?? '(none)'} is not supported`,
        common,
      );
    }
    if (hash === 'md5' || hash === 'sha1') weak.add(oidName(oidOf(ts.imprintAlgorithm!)));
    if (!Buffer.from(ts.imprint).equals(digest(hash, args.stampedBytes))) {
      return fail(
        'TIMESTAMP_IMPRINT_MISMATCH',
        'the timestamp message imprint does not match the signature it claims to stamp',
        common,
      );
    }
    if (!ts.content) return fail('TIMESTAMP_MALFORMED', 'the timestamp token holds no TSTInfo', common);
  }

  // 2. The TSA's signature, with its certificate found by sid among the token's (or the parent's) certs.
  if (!ts.signer) return fail('TIMESTAMP_MALFORMED', `the ${label(kind)} has no SignerInfo`, common);
  const pool = [...ts.certificates, ...(args.extraCertificates ?? [])];
  const tsa = ts.signer.certificate ?? findSignerCertificate(ts.signer.signerInfo.sid, pool);
  if (!tsa) {
    return fail(
      'TSA_CERTIFICATE_MISSING',
      `the certificate of the ${label(kind)} signer is not included, so the stamp cannot be checked`,
      common,
    );
  }
  const signer: SignerInfoView = { ...ts.signer, certificate: tsa };
  const cms = await verifySignerInfo({
    signer,
    content: kind === 'rfc3161' ? ts.content! : args.stampedBytes,
  });
  if (cms.weakAlgorithm) weak.add(cms.weakAlgorithm);
  if (!cms.ok) {
    const code =
      cms.code === 'CMS_DIGEST_MISMATCH'
        ? kind === 'pkcs9'
          ? 'TIMESTAMP_IMPRINT_MISMATCH'
          : 'TIMESTAMP_SIGNATURE_INVALID'
        : cms.code === 'UNSUPPORTED_ALGORITHM'
          ? 'UNSUPPORTED_ALGORITHM'
          : 'TIMESTAMP_SIGNATURE_INVALID';
    return fail(code, `${label(kind)} by ${tsa.summary.subject}: ${cms.message}`, { ...common, tsa });
  }

  // 3. From here the stamp is intact (ok); what remains decides whether it is trusted.
  const intact = { ok: true, ...common, tsa };
  if (args.verificationTime && time > args.verificationTime) {
    return {
      ...intact,
      trusted: false,
      code: 'TIMESTAMP_AFTER_VERIFICATION_TIME',
      message: `the ${label(kind)} claims ${time.toISOString()}, later than the verification time ${args.verificationTime.toISOString()}`,
      weakAlgorithms: [...weak],
    };
  }
  // RFC 3161 §2.3 requires the timeStamping EKU on the TSA certificate. A PKCS #9 countersigner is held
  // to the same rule: without it any code-signing key could countersign its own signature with a time of
  // its choosing. (Every real countersigner in the corpus carries it: VeriSign's and Microsoft's.)
  if (!tsa.summary.extendedKeyUsages?.includes('timeStamping')) {
    return {
      ...intact,
      trusted: false,
      code: 'TSA_EKU_NOT_ALLOWED',
      message: `the TSA certificate ${tsa.summary.subject} lacks the timeStamping extended key usage`,
      weakAlgorithms: [...weak],
    };
  }
  if (args.tsaRoots.length === 0) {
    return {
      ...intact,
      trusted: false,
      code: 'TSA_NO_TRUST_ROOT',
      message: `timestamp by ${tsa.summary.subject} at ${time.toISOString()} is intact, but no TSA trust root was supplied`,
      weakAlgorithms: [...weak],
    };
  }
  const chain = await validateChain({
    leaf: tsa,
    intermediates: pool,
    anchors: args.tsaRoots,
    at: time,
    requiredEku: TIME_STAMPING_EKU,
    requiredEkuOnIssuers: args.requiredEkuOnIssuers,
    platformExtensions: args.platformExtensions,
    ...(args.revocation ? { revocation: { ...args.revocation, signingTime: time } } : {}),
  });
  for (const w of chain.weakAlgorithms) weak.add(w);
  if (!chain.ok) {
    return {
      ...intact,
      trusted: false,
      code: `TSA_${chain.code}`,
      message: `timestamp by ${tsa.summary.subject} is intact but not trusted: ${chain.message}`,
      weakAlgorithms: [...weak],
    };
  }
  return {
    ...intact,
    trusted: true,
    code: 'TIMESTAMP_VALID',
    message: `timestamped ${time.toISOString()} by ${tsa.summary.subject}, ${chain.message}`,
    weakAlgorithms: [...weak],
    path: chain.path,
  };
}

function fail(code: string, message: string, extra: Partial<TimestampCheck> = {}): TimestampCheck {
  return { ok: false, trusted: false, code, message, ...extra };
}

function label(kind: 'rfc3161' | 'pkcs9'): string {
  return kind === 'rfc3161' ? 'RFC 3161 timestamp' : 'PKCS #9 countersignature';
}

/**
 * TimestampInfo stores algorithm names (oidName); map the names we print back to OIDs. An OID oidName did
 * not know is no key of the table, so it comes back as it is.
 */
function oidOf(nameOrOid: string): string {
  const table: Record<string, string> = {
    MD5: '1.2.840.113549.2.5',
    'SHA-1': '1.3.14.3.2.26',
    'SHA-256': '2.16.840.1.101.3.4.2.1',
    'SHA-384': '2.16.840.1.101.3.4.2.2',
    'SHA-512': '2.16.840.1.101.3.4.2.3',
  };
  return table[nameOrOid] ?? nameOrOid;
}
