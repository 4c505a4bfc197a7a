import type * as pkijs from 'pkijs';

import { fulcioIssuerExtensions } from '../../formats/cosign/index.js';
import { subjectAlternativeNames } from '../../formats/x509.js';
import type { TrustConfig } from '../config.js';
import type { Verdict } from '../../model/index.js';
import { untrusted, unverified, verified } from '../verdicts.js';

/** Whether the user gave any keyless identity policy (cosign requires one for Fulcio certificates). */
export function hasIdentityPolicy(config: TrustConfig): boolean {
  return Boolean(
    config.certificateIdentity !== undefined ||
    config.certificateIdentityRegexp ||
    config.certificateOidcIssuer !== undefined ||
    config.certificateOidcIssuerRegexp,
  );
}

/** Whether the policy names both sides, as `cosign verify` demands for keyless signatures. */
export function hasCompleteIdentityPolicy(config: TrustConfig): boolean {
  return Boolean(
    (config.certificateIdentity !== undefined || config.certificateIdentityRegexp) &&
    (config.certificateOidcIssuer !== undefined || config.certificateOidcIssuerRegexp),
  );
}

/**
 * The SAN values of a certificate without the `email:`/`uri:`/`dns:`/`othername:<oid>:` prefixes
 * src/formats/x509.ts adds for display.
 */
export function plainSanValues(prefixed: readonly string[]): string[] {
  return prefixed.map((s) => {
    const other = /^othername:[0-9.]+:(.*)$/s.exec(s);
    if (other) return other[1]!;
    const m = /^(email|uri|dns|ip):(.*)$/s.exec(s);
    return m ? m[2]! : s;
  });
}

const FULCIO_USERNAME_OTHERNAME = '1.3.6.1.4.1.57264.1.7';

/**
 * Whose rules read a certificate's identity:
 * - `cosign`: `cosign verify`, `verify-attestation` and `verify-blob` without a protobuf bundle, i.e.
 *   CheckCertificatePolicy (cosign v2.5 pkg/cosign/verify.go): any SAN from
 *   cryptoutils.GetSubjectAlternateNames (sigstore/sigstore pkg/cryptoutils/certificate.go), which is
 *   every DNS name, email address, IP address and URI, plus the first otherName only when it is
 *   Fulcio's username OID (UnmarshalOtherNameSAN gives up on any other); the issuer is
 *   CertExtensions.GetIssuer (pkg/cosign/certextensions.go), the v1 extension 1.3.6.1.4.1.57264.1.1.
 * - `sigstore-go`: protobuf bundles, which cosign 2.5 hands to sigstore-go (VerifyNewBundle,
 *   pkg/cosign/verify_bundle.go): certificate.SummarizeCertificate (pkg/fulcio/certificate/summarize.go)
 *   keeps ONE SAN, the first URI, else the first email, else the Fulcio otherName; never a DNS name or
 *   IP. Its issuer is whichever of the v1/v2 extensions comes last (ParseExtensions).
 */
export type IdentityRules = 'cosign' | 'sigstore-go';

export interface CertificateIdentity {
  /** The values `--certificate-identity[-regexp]` may match under the rules. */
  sans: string[];
  /** The OIDC issuer `--certificate-oidc-issuer[-regexp]` is compared with. */
  issuer?: string;
  /** Set when the reference verifiers could read the identity differently: any policy is refused. */
  conflict?: string;
}

export function certificateIdentity(cert: pkijs.Certificate, rules: IdentityRules): CertificateIdentity {
  const names = subjectAlternativeNames(cert);
  const conflicts: string[] = [];
  const of = (prefix: string) =>
    names.filter((n) => n.startsWith(`${prefix}:`)).map((n) => n.slice(prefix.length + 1));
  const dns = of('dns');
  const email = of('email');
  const uri = of('uri');
  const ip = of('ip');
  // Go's x509 parser refuses the whole certificate for a non-IA5 email/DNS/URI SAN (parseSANExtension),
  // and cosign compares url.URL.String(), which rewrites some URIs (scheme case, escapes, spaces).
  for (const v of [...dns, ...email, ...uri]) {
    if (!/^[\x21-\x7e]+$/.test(v))
      conflicts.push(`SAN "${v}" is not a plain ASCII value Go reads as written`);
  }
  for (const v of uri) {
    if (!/^[a-z][a-z0-9+.-]*:/.test(v) || /%(?![0-9A-F]{2})/.test(v)) {
      conflicts.push(`URI SAN "${v}" is not in the form Go's url.URL.String() gives back unchanged`);
    }
  }
  const others = of('othername');
  const first = others[0];
  const fulcioOther =
    first?.startsWith(`${FULCIO_USERNAME_OTHERNAME}:`) === true
      ? first.slice(FULCIO_USERNAME_OTHERNAME.length + 1)
      : undefined;

  const ext = fulcioIssuerExtensions(cert);
  let issuer: string | undefined;
  if (ext.v2Present && ext.v2 === undefined) conflicts.push('the v2 OIDC issuer extension does not decode');
  if (ext.v1 !== undefined && ext.v2 !== undefined && ext.v1 !== ext.v2) {
    conflicts.push(`the OIDC issuer extensions disagree (v1 ${ext.v1}, v2 ${ext.v2})`);
  }
  let sans: string[];
  if (rules === 'cosign') {
    // IP SANs: only IPv4 is spelled as Go's net.IP.String() spells it; IPv6 never matches here.
    sans = [...dns, ...email, ...ip.filter((v) => v.includes('.')), ...uri];
    if (fulcioOther !== undefined) sans.push(fulcioOther);
    issuer = ext.v1;
  } else {
    const one = uri[0] ?? email[0] ?? fulcioOther;
    sans = one === undefined ? [] : [one];
    issuer = ext.v1 ?? ext.v2;
  }
  return { sans, issuer, conflict: conflicts.length ? conflicts.join('; ') : undefined };
}

/**
 * Applies `--certificate-identity[-regexp]` to the SAN values and `--certificate-oidc-issuer[-regexp]`
 * to the OIDC issuer of {@link certificateIdentity}: exact string equality or a fully anchored regexp
 * (config.ts anchors them; cosign's Go regexps are unanchored, so ours only ever match less). Returns a
 * failing verdict, or undefined when every given constraint holds.
 */
export function checkIdentityPolicy(config: TrustConfig, id: CertificateIdentity): Verdict | undefined {
  if (!hasIdentityPolicy(config)) return undefined;
  if (id.conflict) {
    return untrusted(
      'IDENTITY_AMBIGUOUS',
      `the certificate identity is not read the same way by every verifier: ${id.conflict}`,
    );
  }
  const { sans } = id;
  const oidcIssuer = id.issuer;
  const shown = sans.length ? sans.join(', ') : '(none)';
  if (config.certificateIdentity !== undefined && !sans.includes(config.certificateIdentity)) {
    return untrusted(
      'IDENTITY_MISMATCH',
      `certificate identity ${shown} is not the required ${config.certificateIdentity}`,
    );
  }
  const idRe = config.certificateIdentityRegexp;
  if (idRe && !sans.some((s) => idRe.test(s))) {
    return untrusted('IDENTITY_MISMATCH', `certificate identity ${shown} does not match ${idRe.source}`);
  }
  const issuerShown = oidcIssuer ?? '(none)';
  if (config.certificateOidcIssuer !== undefined && oidcIssuer !== config.certificateOidcIssuer) {
    return untrusted(
      'ISSUER_MISMATCH',
      `certificate OIDC issuer ${issuerShown} is not the required ${config.certificateOidcIssuer}`,
    );
  }
  const issRe = config.certificateOidcIssuerRegexp;
  if (issRe && (oidcIssuer === undefined || !issRe.test(oidcIssuer))) {
    return untrusted(
      'ISSUER_MISMATCH',
      `certificate OIDC issuer ${issuerShown} does not match ${issRe.source}`,
    );
  }
  return undefined;
}

/**
 * The verdict of a keyless cosign signature or attestation that @sigstore/verify accepted (chain, SCT,
 * proof of time): the identity policy decides, as in `cosign verify` and `cosign verify-attestation`.
 */
export function keylessVerdict(
  config: TrustConfig,
  leaf: pkijs.Certificate,
  what: 'signature' | 'attestation',
  signer: { sans: string[]; oidc?: string; who: string },
  outcome: { root?: { path: string }; signingTime?: Date },
): Verdict {
  const issuer = signer.oidc ?? 'unknown';
  if (!hasCompleteIdentityPolicy(config)) {
    return unverified(
      'IDENTITY_POLICY_MISSING',
      `keyless ${what} by ${signer.sans.join(', ') || signer.who} (issuer ${issuer}) chains to a Fulcio CA, but no identity policy was given: pass --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp]`,
    );
  }
  const policy = checkIdentityPolicy(config, certificateIdentity(leaf, 'cosign'));
  if (policy) return policy;
  return verified(
    'KEYLESS_VERIFIED',
    `keyless ${what} by ${signer.sans.join(', ')} (issuer ${issuer}) verified with ${outcome.root?.path ?? 'the trusted root'} at ${outcome.signingTime?.toISOString() ?? 'the signing time'}`,
  );
}
