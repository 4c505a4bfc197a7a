import { X509Certificate } from 'node:crypto';

/**
 * JDK 17's `jdk.jar.disabledAlgorithms` (conf/security/java.security of 17.0.x):
 *
 *   MD2, MD5, RSA keySize < 1024, DSA keySize < 1024, SHA1 denyAfter 2019-01-01
 *
 * A JAR signed with one of these is "treated as unsigned" by the JDK (SignatureFileVerifier checks the
 * signer's digest and signature algorithms and key through JarConstraintsParameters; ManifestEntryVerifier
 * and the .SF checks skip a disabled digest and fail when nothing else is left). `denyAfter` compares with
 * the signer's timestamp when it has one, else with the current time.
 */
export const SHA1_DENY_AFTER = new Date('2019-01-01T00:00:00Z');
export const MIN_KEY_BITS = 1024;

export interface JarAlgorithmFacts {
  /** The strongest digest each passed check relied on (JarSignature.requiredDigestAlgorithms). */
  digestAlgorithms: string[];
  /** The signer certificate, for its key. */
  signerCertificateDer?: Uint8Array;
}

/**
 * The algorithms the JDK would refuse, e.g. `SHA-1 (used after 2019-01-01)`, `RSA 512-bit key`.
 * `at` is the trusted timestamp's time when one counts, else the verification time.
 */
export function disabledJarAlgorithms(facts: JarAlgorithmFacts, at: Date): string[] {
  const out = new Set<string>();
  for (const raw of facts.digestAlgorithms) {
    const alg = raw.toUpperCase().replace(/^SHA1$/, 'SHA-1');
    if (alg === 'MD2' || alg === 'MD5') out.add(alg);
    if (alg === 'SHA-1' && at.getTime() >= SHA1_DENY_AFTER.getTime()) {
      out.add(
        `SHA-1 (at ${at.toISOString()}, after its ${SHA1_DENY_AFTER.toISOString().slice(0, 10)} cut-off)`,
      );
    }
  }
  const key = facts.signerCertificateDer && certificateKey(facts.signerCertificateDer);
  if (key && (key.type === 'rsa' || key.type === 'dsa') && key.bits < MIN_KEY_BITS) {
    out.add(`${key.type.toUpperCase()} ${key.bits}-bit key`);
  }
  return [...out];
}

/**
 * JDK 17's `jdk.certpath.disabledAlgorithms`, the entries that bind a signed JAR:
 *
 *   MD2, MD5, SHA1 jdkCA & usage TLSServer, RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224,
 *   SHA1 usage SignedJAR & denyAfter 2019-01-01
 *
 * jarsigner validates the signer chain (variant "code signing", dated by the signer's timestamp when it
 * has one) and the TSA chain (variant "tsa server", dated now: Main.validateCertChain gets no timestamp),
 * and `usage SignedJAR` matches both variants (DisabledAlgorithmConstraints.UsageConstraint). A refusal
 * there is "certificate chain is invalid" and fails `-strict`. `SHA1 jdkCA & usage TLSServer` never
 * applies: it needs the TLS server variant and an anchor from the JDK's cacerts, and sigscan never uses
 * cacerts (anchors are only what --trust-root / --tsa-root name).
 *
 * sun.security.provider.certpath.AlgorithmChecker checks, for every certificate below the anchor, the
 * algorithm it is signed with and its own public key; of the anchor only the key (its self-signature is
 * never checked).
 */
export const CERTPATH_RULES = {
  md: 'MD2, MD5',
  sha1: 'SHA1 usage SignedJAR & denyAfter 2019-01-01',
  rsa: 'RSA keySize < 1024',
  dsa: 'DSA keySize < 1024',
  ec: 'EC keySize < 224',
} as const;
export const MIN_EC_KEY_BITS = 224;

const SIGNATURE_DIGEST: Record<string, 'MD2' | 'MD5' | 'SHA1'> = {
  '1.2.840.113549.1.1.2': 'MD2', // md2WithRSAEncryption
  '1.2.840.113549.1.1.4': 'MD5', // md5WithRSAEncryption
  '1.2.840.113549.1.1.5': 'SHA1', // sha1WithRSAEncryption
  '1.3.14.3.2.29': 'SHA1', // sha1WithRSASignature (OIW)
  '1.2.840.10040.4.3': 'SHA1', // dsa-with-sha1
  '1.2.840.10045.4.1': 'SHA1', // ecdsa-with-SHA1
};

const CURVE_BITS: Record<string, number> = {
  prime192v1: 192,
  secp192k1: 192,
  secp224r1: 224,
  secp224k1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
};

export interface CertpathCertificate {
  der: Uint8Array;
  /** The certificate's signatureAlgorithm OID. */
  signatureOid: string;
  subject: string;
}

/**
 * What jdk.certpath.disabledAlgorithms refuses on a validated path (leaf first, anchor last), each as
 * `certificate <DN> is signed with SHA1withRSA (rule "SHA1 usage SignedJAR & denyAfter 2019-01-01",
 * checked at ...)`. `at` is the date the JDK validates the path at.
 */
export function disabledCertpathAlgorithms(path: CertpathCertificate[], at: Date): string[] {
  const out: string[] = [];
  path.forEach((c, i) => {
    const anchor = i === path.length - 1;
    const digest = anchor ? undefined : SIGNATURE_DIGEST[c.signatureOid];
    if (digest === 'MD2' || digest === 'MD5') {
      out.push(`certificate ${c.subject} is signed with ${digest} (rule "${CERTPATH_RULES.md}")`);
    } else if (digest === 'SHA1' && at.getTime() >= SHA1_DENY_AFTER.getTime()) {
      out.push(
        `certificate ${c.subject} is signed with SHA-1 (rule "${CERTPATH_RULES.sha1}", checked at ${at.toISOString()})`,
      );
    }
    const key = certificateKey(c.der);
    const rule =
      key?.type === 'rsa' && key.bits < MIN_KEY_BITS
        ? CERTPATH_RULES.rsa
        : key?.type === 'dsa' && key.bits < MIN_KEY_BITS
          ? CERTPATH_RULES.dsa
          : key?.type === 'ec' && key.bits < MIN_EC_KEY_BITS
            ? CERTPATH_RULES.ec
            : undefined;
    if (rule) {
      out.push(
        `${anchor ? 'trust anchor' : 'certificate'} ${c.subject} has a ${key!.bits}-bit ${key!.type.toUpperCase()} key (rule "${rule}")`,
      );
    }
  });
  return out;
}

/**
 * Answers by DER buffer: callers pass a parsed certificate's `der`, which the certificate cache keeps,
 * and OpenSSL's X509 parse per call was a large share of a warm JAR verification. Weak keys: an entry
 * lives as long as its certificate.
 */
const keysByDer = new WeakMap<Uint8Array, { type: string; bits: number } | undefined>();

/** Key type and size as the JDK's KeyUtil.getKeySize sees them (EC: the curve's field size). */
export function certificateKey(der: Uint8Array): { type: string; bits: number } | undefined {
  if (keysByDer.has(der)) return keysByDer.get(der);
  const key = readCertificateKey(der);
  keysByDer.set(der, key);
  return key;
}

function readCertificateKey(der: Uint8Array): { type: string; bits: number } | undefined {
  try {
    const key = new X509Certificate(der).publicKey;
    const details = key.asymmetricKeyDetails;
    const type = key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType;
    if (!type || !details) return undefined;
    if (type === 'ec') {
      const bits = details.namedCurve ? CURVE_BITS[details.namedCurve] : undefined;
      return bits === undefined ? undefined : { type, bits };
    }
    return details.modulusLength === undefined ? undefined : { type, bits: details.modulusLength };
  } catch {
    return undefined;
  }
}
