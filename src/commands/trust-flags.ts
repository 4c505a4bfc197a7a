import { Flags } from '@oclif/core';

/** Trust inputs shared by every scanning command; the same names work in the --config file. */
export const trustFlags = {
  config: Flags.string({
    summary: 'YAML file of settings for any flag, by long name (command-line flags win; lists add up).',
  }),
  'trust-root': Flags.string({
    summary: 'CA certificates to trust (PEM/DER file or directory).',
    multiple: true,
  }),
  'tsa-root': Flags.string({
    summary: 'Timestamp authority roots (PEM/DER file or directory).',
    multiple: true,
  }),
  key: Flags.string({
    summary: 'Public keys to trust (PEM SPKI such as cosign.pub, or a certificate).',
    multiple: true,
  }),
  'certificate-identity': Flags.string({
    summary: 'Keyless Sigstore: the expected certificate identity (SAN).',
  }),
  'certificate-identity-regexp': Flags.string({
    summary: 'Keyless Sigstore: a regexp the identity must match.',
  }),
  'certificate-oidc-issuer': Flags.string({ summary: 'Keyless Sigstore: the expected OIDC issuer.' }),
  'certificate-oidc-issuer-regexp': Flags.string({
    summary: 'Keyless Sigstore: a regexp the OIDC issuer must match.',
  }),
  'trusted-root': Flags.string({
    summary: 'Sigstore trusted_root.json (Fulcio, Rekor, TSA keys).',
    multiple: true,
  }),
  'notation-dir': Flags.string({ summary: 'notation config directory (truststore/ and trustpolicy.json).' }),
  'gpg-keyring': Flags.string({
    summary: 'OpenPGP keyring for simple signing, RPM and debsigs signatures (armored or binary).',
    multiple: true,
  }),
  'tuf-root': Flags.string({
    summary:
      'Pinned TUF root for Docker Content Trust: a root.json, or the root key / root certificate (PEM).',
    multiple: true,
  }),
  policy: Flags.string({ summary: 'containers-policy.json to evaluate per image.' }),
  'registries-d': Flags.string({
    summary:
      'containers registries.d directory (simple-signing lookaside); default: the containers location.',
    multiple: true,
  }),
  at: Flags.string({ summary: 'Verify as of this RFC 3339 time instead of now.' }),
  'allow-weak-algorithms': Flags.boolean({
    summary:
      'Accept algorithms the platform verifier disables (MD5, SHA-1 without an early timestamp, small RSA keys); reported per signature.',
  }),
  'in-toto-layout-key': Flags.string({
    summary: 'Public key that may sign in-toto layouts (as in-toto-verify --layout-keys); repeatable.',
    multiple: true,
  }),
  'tuf-cache': Flags.string({
    summary:
      'Directory remembering TUF role versions per GUN to refuse rollbacks (default: $SIGSCAN_CACHE_DIR/tuf or ~/.cache/sigscan/tuf; "none": no cache).',
  }),
  crl: Flags.string({
    summary:
      'CRL to check certificates against (PEM or DER file, or directory); repeatable. Used only when signed by the issuer and current.',
    multiple: true,
  }),
  revocation: Flags.string({
    summary:
      'Revocation sources: off, offline (default: only --crl files), online (also CRL distribution points and OCSP the certificates name), online-strict (unknown status fails).',
    options: ['off', 'offline', 'online', 'online-strict'],
  }),
  'signed-identity': Flags.string({
    summary:
      'Docker reference simple signatures must claim for an image with no name of its own (a skopeo dir: layout), as skopeo standalone-verify takes it.',
  }),
  'insecure-ignore-tlog': Flags.boolean({
    summary:
      'Accept key-signed and private-PKI cosign/Sigstore signatures without a transparency-log (Rekor) entry, as cosign --insecure-ignore-tlog; verdicts and the report say so.',
  }),
};

// What the scanning commands make of these flags lives in flag-values.ts (no oclif to load there).
export { trustInput, type TrustFlagValues } from './flag-values.js';
