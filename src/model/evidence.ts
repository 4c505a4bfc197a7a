/** One signature found on a target, as a detector extracted it. */

export type SignatureFamily =
  | 'cosign'
  | 'cosign-attestation'
  | 'sigstore-bundle'
  | 'notation'
  | 'simple-signing'
  | 'tuf'
  | 'oci-annotation'
  | 'jar'
  | 'authenticode'
  | 'in-toto'
  | 'apk'
  | 'rpm'
  | 'debsig'
  /** A family added by a plugin (`--plugin`): always `x-<name>`. */
  | `x-${string}`;

export interface CertificateSummary {
  /** RFC 4514 string, most specific RDN first, spelled as Go's pkix.Name.String(). */
  subject: string;
  issuer: string;
  serialNumber: string;
  sha256Fingerprint: string;
  sha1Fingerprint: string;
  spkiSha256: string;
  notBefore: string;
  notAfter: string;
  subjectAlternativeNames?: string[];
  extendedKeyUsages?: string[];
  publicKeyAlgorithm: string;
}

export interface SignerIdentity {
  subject?: string;
  issuer?: string;
  /** SHA-256 of the signer certificate DER. */
  sha256Fingerprint?: string;
  /** For bare keys: SHA-256 of the DER SubjectPublicKeyInfo. */
  keyId?: string;
  /** For signatures a supplied key verified: the key file (`--key`) that verified it. */
  keySource?: string;
  publicKeyAlgorithm?: string;
  subjectAlternativeNames?: string[];
  /** Fulcio OIDC issuer for keyless signatures. */
  oidcIssuer?: string;
  certificate?: CertificateSummary;
  /** Remaining certificates in the order the signature carries them. */
  chain?: CertificateSummary[];
}

export interface Countersigner {
  kind: 'rfc3161' | 'pkcs9' | 'rekor';
  subject?: string;
  issuer?: string;
  sha256Fingerprint?: string;
  /** ISO 8601 time the countersigner asserts. */
  time?: string;
}

export interface Evidence {
  family: SignatureFamily;
  /** Where it was found: a tag, a referrer digest, an archive entry, a certificate-table index. */
  location: string;
  signer: SignerIdentity;
  countersigner?: Countersigner;
  /** Signature algorithm as the format names it, e.g. `SHA256withRSA`, `PS256`, `ECDSA-SHA256`. */
  algorithm?: string;
  digestAlgorithm?: string;
  /** Signing time the signature claims (not necessarily trusted). */
  signingTime?: string;
  /** What the signed payload says it covers. */
  claims?: {
    subjectDigest?: string;
    identity?: string;
  };
  /** Family-specific facts worth reporting (signing scheme, entry coverage, nesting, ...). */
  details?: Record<string, unknown>;
  /**
   * Facts a detector established while extracting (e.g. entry digests that did not match).
   * The trust layer turns these into a verdict; reporters never print them directly.
   */
  findings?: Finding[];
  /**
   * Raw bytes the trust layer needs (certificates, signature, signed content). Never serialised:
   * reporters build their output field by field.
   */
  material?: unknown;
}

export interface Finding {
  code: string;
  message: string;
  /** `integrity` findings make a signature invalid whatever the trust roots say. */
  severity: 'integrity' | 'warning' | 'info';
}
