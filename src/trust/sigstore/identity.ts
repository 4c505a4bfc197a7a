import type { TrustConfig } from '../config.js';
import type { Verdict } from '../../model/index.js';
import { untrusted } from '../verdicts.js';

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

/**
 * Applies `--certificate-identity[-regexp]` to the SAN values and `--certificate-oidc-issuer[-regexp]`
 * to the Fulcio issuer extension: exact string equality or a fully anchored regexp (config.ts
 * anchors them). Returns a failing verdict, or undefined when every given constraint holds.
 */
export function checkIdentityPolicy(
  config: TrustConfig,
  sans: readonly string[],
  oidcIssuer: string | undefined,
): Verdict | undefined {
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
