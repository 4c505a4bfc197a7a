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
  const key = keyOf(facts.signerCertificateDer);
  if (key && (key.type === 'rsa' || key.type === 'dsa') && key.bits < MIN_KEY_BITS) {
    out.add(`${key.type.toUpperCase()} ${key.bits}-bit key`);
  }
  return [...out];
}

function keyOf(der: Uint8Array | undefined): { type: string; bits: number } | undefined {
  if (!der) return undefined;
  try {
    const key = new X509Certificate(der).publicKey;
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (!key.asymmetricKeyType || bits === undefined) return undefined;
    return { type: key.asymmetricKeyType === 'rsa-pss' ? 'rsa' : key.asymmetricKeyType, bits };
  } catch {
    return undefined;
  }
}
