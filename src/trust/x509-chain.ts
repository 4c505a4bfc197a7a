import * as asn1js from 'asn1js';
import { X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';

import { oidName } from '../formats/der.js';
import { namesEqual, type ParsedCertificate } from '../formats/x509.js';
import { nodeCertificateSignature } from './cert-signature.js';
import { pathSearches, signatureChecks, type PathSearch } from './chain-caches.js';
import { checkPathRevocation, type RevocationOptions, type RevocationResult } from './revocation/check.js';

export interface ChainOptions {
  leaf: ParsedCertificate;
  /** Certificates the signature carried (any order; may include the leaf and roots). */
  intermediates: ParsedCertificate[];
  /** Trust anchors from the user's stores. Only these can end a path. */
  anchors: ParsedCertificate[];
  /** Validity is checked at this instant (the trusted signing time, or now). */
  at: Date;
  /** EKU OID the leaf must allow when it has an EKU extension (e.g. codeSigning 1.3.6.1.5.5.7.3.3). */
  requiredEku?: string;
  /**
   * Whether every issuer's EKU extension must allow requiredEku too (the default): Go's Verify
   * (checkChainForKeyUsage) and Windows' chain engine intersect the usages of every certificate on the
   * path, anchor included, so a CA restricted to serverAuth issues no code signer. false where the
   * platform is the JDK, whose validators read the end entity's EKU only.
   */
  requiredEkuOnIssuers?: boolean;
  /**
   * Critical extensions the family's platform processes beyond UNDERSTOOD_EXTENSIONS (OIDs), so a
   * certificate carrying one is not refused for it (netscape-cert-type for Authenticode, below).
   */
  platformExtensions?: readonly string[];
  /**
   * When false, validity dates are not checked: Android's APK verifiers ignore certificate validity, and
   * apksigner accepts an expired signer.
   */
  checkValidity?: boolean;
  maxDepth?: number;
  /** Revocation sources and rules; absent: revocation is not looked at (the caller says so). */
  revocation?: RevocationOptions;
}

export type ChainFailure =
  | 'CHAIN_UNTRUSTED'
  | 'CERT_EXPIRED'
  | 'CERT_NOT_YET_VALID'
  | 'CERT_BAD_SIGNATURE'
  | 'CA_CONSTRAINT_VIOLATED'
  | 'EKU_NOT_ALLOWED'
  | 'CERT_UNHANDLED_EXTENSION'
  | 'CERT_REVOKED'
  | 'REVOCATION_UNKNOWN';

export interface ChainResult {
  ok: boolean;
  code: 'CHAIN_VALID' | ChainFailure;
  message: string;
  /** Leaf first, anchor last, when a path was found. */
  path?: ParsedCertificate[];
  anchor?: ParsedCertificate;
  /** Weak signature algorithms (MD5, SHA-1) used by certificates on the path, anchors excluded. */
  weakAlgorithms: string[];
  /** The revocation check of the path, when one ran (only once everything else passed). */
  revocation?: RevocationResult;
}

const WEAK = /MD2|MD5|SHA1with|SHA-1/;
/** SHA-256 of Microsoft Root Authority (1997, v3 without basicConstraints), osslsigncode's whitelist. */
const CA_WITHOUT_BASIC_CONSTRAINTS = new Set([
  'f38406e540d7a9d90cb4a9479299640ffb6df9e224ecc7a01c0d9558d8dad77d',
]);
const ANY_EKU = '2.5.29.37.0';
/**
 * The extensions a path is judged on here or by the families (identities from subjectAltName, revocation
 * from cRLDistributionPoints and authorityInfoAccess), or that restrict nothing when no policy is asked
 * for (certificatePolicies, as Go, OpenSSL and the JDK treat it by default). A critical extension outside
 * this set makes the certificate unusable (RFC 5280 4.2 "MUST reject"): Go's Verify refuses it
 * (UnhandledCriticalExtensions; cosign lifts only subjectAltName from that list), OpenSSL too
 * (X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION), and the JDK's PKIX validator ("Unrecognized critical
 * extension(s)").
 */
const UNDERSTOOD_EXTENSIONS = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.15', // keyUsage
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints
  '2.5.29.31', // cRLDistributionPoints
  '2.5.29.32', // certificatePolicies
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage
  '1.3.6.1.5.5.7.1.1', // authorityInfoAccess
]);
/**
 * Constraints on a path that Go, OpenSSL and the JDK apply, marked critical or not (Go enforces a
 * non-critical nameConstraints too), and that sigscan does not evaluate: a path carrying one is refused,
 * never called valid without them. Stricter than those verifiers when the constraint is met.
 */
const UNEVALUATED_CONSTRAINTS: Record<string, string> = {
  '2.5.29.30': 'nameConstraints',
  '2.5.29.33': 'policyMappings',
  '2.5.29.36': 'policyConstraints',
  '2.5.29.54': 'inhibitAnyPolicy',
};

/**
 * Builds a path from the leaf to one of the user's anchors and checks it: every signature with the
 * issuer's real key (so a certificate that merely copies a trusted root's name, as in CVE-2020-0601,
 * never ends a path), validity at `at`, CA constraints and the leaf EKU. Written here because pkijs'
 * chain engine stops at the first problem and does not say which, and reports need the reason.
 */
export async function validateChain(opts: ChainOptions): Promise<ChainResult> {
  const maxDepth = opts.maxDepth ?? 10;
  const pool = dedupe([...opts.intermediates]).filter((c) => c.der.length && !sameCert(c, opts.leaf));
  const anchors = dedupe(opts.anchors);

  const key = `${maxDepth};${opts.leaf.summary.sha256Fingerprint};${fingerprints(pool)};${fingerprints(anchors)}`;
  let outcome = pathSearches.get(key);
  if (!outcome) outcome = pathSearches.set(key, await findPath(opts.leaf, pool, anchors, maxDepth));

  if (outcome.path) {
    const result = finish(outcome.path, outcome.anchor, opts);
    if (!result.ok || !opts.revocation) return result;
    const revocation = await checkPathRevocation(outcome.path, opts.revocation);
    if (revocation.ok) return { ...result, revocation };
    return {
      ...result,
      ok: false,
      code: revocation.code as ChainFailure,
      message: revocation.message,
      revocation,
    };
  }
  if (outcome.lastSignatureFailure) {
    return {
      ok: false,
      code: 'CERT_BAD_SIGNATURE',
      message: outcome.lastSignatureFailure,
      weakAlgorithms: [],
    };
  }
  return {
    ok: false,
    code: 'CHAIN_UNTRUSTED',
    message: anchors.length
      ? `${opts.leaf.summary.subject || 'the signer'} does not chain to any supplied trust root`
      : 'no trust root was supplied',
    weakAlgorithms: [],
  };
}

function fingerprints(certs: ParsedCertificate[]): string {
  return certs.map((c) => c.summary.sha256Fingerprint).join(',');
}

async function findPath(
  leaf: ParsedCertificate,
  pool: ParsedCertificate[],
  anchors: ParsedCertificate[],
  maxDepth: number,
): Promise<PathSearch> {
  let lastSignatureFailure: string | undefined;
  const search = async (path: ParsedCertificate[]): Promise<PathSearch | undefined> => {
    const current = path[path.length - 1]!;
    if (path.length > maxDepth) return undefined;
    // The leaf itself may be an anchor (a pinned self-signed signer).
    const pinned = anchors.find((a) => sameKeyAndName(a, current));
    if (pinned) return { path, anchor: pinned };
    for (const anchor of anchors) {
      if (!issuedBy(current, anchor)) continue;
      if (await signedBy(current, anchor)) return { path: [...path, anchor], anchor };
      lastSignatureFailure = `${current.summary.subject} is not signed by the key of trusted ${anchor.summary.subject}`;
    }
    for (const candidate of pool) {
      if (path.some((p) => sameCert(p, candidate))) continue;
      if (!issuedBy(current, candidate)) continue;
      if (!(await signedBy(current, candidate))) {
        lastSignatureFailure = `${current.summary.subject} is not signed by the key of ${candidate.summary.subject}`;
        continue;
      }
      const found = await search([...path, candidate]);
      if (found) return found;
    }
    return undefined;
  };
  return (await search([leaf])) ?? { lastSignatureFailure };
}

function finish(path: ParsedCertificate[], anchor: ParsedCertificate, opts: ChainOptions): ChainResult {
  const weak = new Set<string>();
  for (const c of path) {
    if (sameCert(c, anchor)) continue;
    const oid = c.signatureAlgorithm;
    const alg = oid === '1.3.14.3.2.29' ? 'SHA1withRSA' : oidName(oid);
    if (WEAK.test(alg)) weak.add(alg);
  }
  const problem = checkPath(path, opts);
  if (problem) return { ...problem, ok: false, path: [...path], anchor, weakAlgorithms: [...weak] };
  return {
    ok: true,
    code: 'CHAIN_VALID',
    message: `chains to trusted ${anchor.summary.subject}`,
    path: [...path],
    anchor,
    weakAlgorithms: [...weak],
  };
}

function checkPath(
  path: ParsedCertificate[],
  opts: ChainOptions,
): { code: ChainFailure; message: string } | undefined {
  if (opts.checkValidity !== false) {
    for (const c of path) {
      if (opts.at < c.notBefore) {
        return {
          code: 'CERT_NOT_YET_VALID',
          message: `${c.summary.subject} is not valid before ${c.summary.notBefore}`,
        };
      }
      if (opts.at > c.notAfter) {
        return { code: 'CERT_EXPIRED', message: `${c.summary.subject} expired on ${c.summary.notAfter}` };
      }
    }
  }
  for (const c of path) {
    const problem = unhandledExtension(c, opts.platformExtensions ?? []);
    if (problem) return { code: 'CERT_UNHANDLED_EXTENSION', message: problem };
  }
  for (let i = 1; i < path.length; i++) {
    const ca = path[i]!;
    const bc = extension<pkijs.BasicConstraints>(ca, '2.5.29.19');
    // Without basicConstraints only an X.509 v1 anchor may issue, as OpenSSL's check_chain_extensions
    // decides, plus the one v3 root osslsigncode whitelists by fingerprint (osslsigncode.c trusted_cert():
    // the 1997 Microsoft Root Authority, which Windows keeps trusting for old signatures). An anchor that
    // says cA=FALSE, and every intermediate without cA=TRUE, may not issue.
    const isAnchor = i === path.length - 1;
    const legacyAnchor =
      isAnchor && (ca.version < 2 || CA_WITHOUT_BASIC_CONSTRAINTS.has(ca.summary.sha256Fingerprint));
    if (bc ? !bc.cA : !legacyAnchor) {
      return { code: 'CA_CONSTRAINT_VIOLATED', message: `${ca.summary.subject} is not a CA certificate` };
    }
    if (
      bc?.pathLenConstraint !== undefined &&
      typeof bc.pathLenConstraint === 'number' &&
      i - 1 > bc.pathLenConstraint
    ) {
      return {
        code: 'CA_CONSTRAINT_VIOLATED',
        message: `path length constraint of ${ca.summary.subject} exceeded`,
      };
    }
    const ku = keyUsageBits(ca);
    if (ku !== undefined && !(ku & 0x04)) {
      return {
        code: 'CA_CONSTRAINT_VIOLATED',
        message: `${ca.summary.subject} may not sign certificates (keyUsage)`,
      };
    }
  }
  if (opts.requiredEku) {
    const checked = opts.requiredEkuOnIssuers === false ? path.slice(0, 1) : path;
    for (const [i, c] of checked.entries()) {
      const eku = extension<pkijs.ExtKeyUsage>(c, '2.5.29.37');
      if (eku && !eku.keyPurposes.includes(opts.requiredEku) && !eku.keyPurposes.includes(ANY_EKU)) {
        const role = i === 0 ? '' : ', an issuer on the path,';
        return {
          code: 'EKU_NOT_ALLOWED',
          message: `${c.summary.subject}${role} is not allowed for ${oidName(opts.requiredEku)} (EKU: ${eku.keyPurposes.map(oidName).join(', ')})`,
        };
      }
    }
  }
  return undefined;
}

/** Why `c` (any certificate on the path, the anchor too, as Go and OpenSSL check it) cannot be judged here. */
function unhandledExtension(c: ParsedCertificate, platform: readonly string[]): string | undefined {
  for (const { oid, critical } of c.extensionIds) {
    const constraint = UNEVALUATED_CONSTRAINTS[oid];
    if (constraint) {
      return `${c.summary.subject} carries ${constraint}, which sigscan does not evaluate (the platform's verifier applies it)`;
    }
    if (critical && !UNDERSTOOD_EXTENSIONS.has(oid) && !platform.includes(oid)) {
      return `${c.summary.subject} carries critical extension ${oid}, which sigscan does not process (RFC 5280 4.2: such a certificate must be rejected)`;
    }
  }
  return undefined;
}

async function signedBy(child: ParsedCertificate, issuer: ParsedCertificate): Promise<boolean> {
  const key = `${child.summary.sha256Fingerprint}/${issuer.summary.sha256Fingerprint}`;
  const known = signatureChecks.get(key);
  if (known !== undefined) return known;
  let good: boolean;
  try {
    good = nodeCertificateSignature(child, issuer) ?? (await child.cert.verify(issuer.cert));
  } catch {
    good = false;
  }
  // pkijs (WebCrypto) knows neither MD5 nor the legacy OIW OID 1.3.14.3.2.29 (sha1WithRSASignature) that
  // the 1997 Microsoft Root Authority used to sign Microsoft Code Signing PCA (2007); OpenSSL, which
  // osslsigncode verifies with, maps that OID to SHA-1 with RSA (crypto/objects/obj_xref.txt). Only
  // those RSA algorithms get OpenSSL's second opinion: ECDSA keys with explicit curve parameters (the
  // CVE-2020-0601 vector) stay refused as pkijs refuses them.
  if (!good && OPENSSL_ONLY_SIGNATURE_OIDS.has(child.signatureAlgorithm)) {
    good = opensslVerifies(child, issuer);
  }
  return signatureChecks.set(key, good);
}

/** sha1WithRSASignature (OIW) and md5WithRSAEncryption: RSA signatures WebCrypto cannot check. */
const OPENSSL_ONLY_SIGNATURE_OIDS = new Set(['1.3.14.3.2.29', '1.2.840.113549.1.1.4']);

function opensslVerifies(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return new X509Certificate(child.der).verify(new X509Certificate(issuer.der).publicKey);
  } catch {
    return false;
  }
}

/** The child names this certificate as its issuer (OpenSSL's Name match, byte-identical Names first). */
function issuedBy(child: ParsedCertificate, issuer: ParsedCertificate): boolean {
  return namesEqual(issuer.subjectDer, child.issuerDer);
}

function extension<T>(cert: ParsedCertificate, oid: string): T | undefined {
  return cert.extension(oid)?.parsedValue as T | undefined;
}

/** keyUsage as a number with bit 0 = digitalSignature ... bit 5 = keyCertSign (shifted to 0x04 of byte 0). */
function keyUsageBits(cert: ParsedCertificate): number | undefined {
  const ku = extension<asn1js.BitString>(cert, '2.5.29.15');
  if (!ku) return undefined;
  const bytes = ku.valueBlock.valueHexView;
  return bytes[0] ?? 0;
}

/** Certificate keyUsage bit test: digitalSignature=0x80, nonRepudiation=0x40, keyEncipherment=0x20,
 * dataEncipherment=0x10, keyAgreement=0x08, keyCertSign=0x04, cRLSign=0x02. */
export function hasKeyUsage(cert: ParsedCertificate, bit: number): boolean | undefined {
  const bits = keyUsageBits(cert);
  return bits === undefined ? undefined : (bits & bit) !== 0;
}

function sameCert(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return a.summary.sha256Fingerprint === b.summary.sha256Fingerprint;
}

function sameKeyAndName(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return (
    sameCert(a, b) ||
    (a.summary.spkiSha256 === b.summary.spkiSha256 && namesEqual(a.subjectDer, b.subjectDer))
  );
}

function dedupe(certs: ParsedCertificate[]): ParsedCertificate[] {
  const seen = new Set<string>();
  return certs.filter((c) => !seen.has(c.summary.sha256Fingerprint) && seen.add(c.summary.sha256Fingerprint));
}
