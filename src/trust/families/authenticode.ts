import type { AuthenticodeMaterial } from '../../detectors/authenticode.js';
import { parseSignedData } from '../../formats/cms.js';
import { SigscanError } from '../../errors.js';
import { CODE_SIGNING_EKU, decideCmsSigner } from '../cms-signer.js';
import { invalid, verificationError } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';

/** Microsoft's lifetime-signing EKU: the signature dies with the certificate, timestamp or not. */
const LIFETIME_SIGNING = 'lifetimeSigning';
const NETSCAPE_CERT_TYPE = '2.16.840.1.113730.1.1';
const WEAK = new Set(['MD5', 'SHA-1']);
/**
 * Authenticode weak-algorithm policy. MD5 anywhere (image hash, SignerInfo digest, a certificate signature
 * below the anchor, the timestamp) is refused: Windows stopped trusting MD5 in code-signing chains with
 * Microsoft Security Advisory 2862973 (KB2862973, 2013), though osslsigncode 2.9 still accepts it. SHA-1 is
 * accepted and reported, as both osslsigncode and WinVerifyTrust accept it (Windows refuses SHA-1 only
 * for Mark-of-the-Web downloads stamped after 2016, which a file scan cannot know).
 * `--allow-weak-algorithms` accepts MD5 too, and the verdict message says so.
 */
const REFUSED_WEAK = /MD5|MD2/i;

/**
 * One Authenticode signature (primary or nested; each is its own evidence): the CMS signature, whose
 * messageDigest covers the SpcIndirectDataContent contents octets (formats.md §7.3); the image hash
 * (compared by the detector: a mismatch is already an integrity finding, so the evaluator answered
 * `invalid` before we run); the PKCS #9 / RFC 3161 countersignature with config.tsaRoots; the chain to
 * config.roots with EKU codeSigning at the countersigned time, else ctx.now.
 *
 * CVE-2020-0601: validateChain checks each certificate's signature with the issuer's real key, so a
 * root that copies a trusted root's name with forged curve parameters never ends a path.
 */
export const authenticodeVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as AuthenticodeMaterial | undefined;
  if (!m?.signedDataDer || !m.spcIndirectDataDer) {
    return verificationError('INTERNAL', 'the Authenticode detector supplied no signature bytes');
  }
  // A catalog signs its own trust list (inside the SignedData): the CMS check below is the binding.
  const embedded = evidence.details?.['signedContent'] === 'embedded';
  if (!embedded && evidence.details?.['imageHashMatches'] !== true) {
    // No mismatch finding yet no match: the image hash algorithm was not supported, so nothing bound
    // the signature to this file. That check was skipped; never `verified`.
    return verificationError(
      'UNSUPPORTED_DIGEST',
      `the image hash (${String(evidence.details?.['imageHashAlgorithm'])}) could not be checked, so the signature is not bound to this file`,
    );
  }
  const info = parseSignedData(m.signedDataDer);
  const signer = info.signers[0];
  if (!signer) return invalid('SIGNER_CERTIFICATE_MISSING', 'the Authenticode signature holds no SignerInfo');

  const lifetime = signer.certificate?.summary.extendedKeyUsages?.includes(LIFETIME_SIGNING) ?? false;
  const weakAlgorithms = [evidence.details?.['imageHashAlgorithm'], signer.digestAlgorithm].filter(
    (a): a is string => typeof a === 'string' && WEAK.has(a),
  );
  return decideCmsSigner({
    what: `Authenticode signature ${evidence.location}`,
    signer,
    content: contentsOctets(m.spcIndirectDataDer),
    certificates: info.certificates,
    ctx,
    requiredEku: CODE_SIGNING_EKU,
    // netscape-cert-type: OpenSSL processes it (X509_supported_extension), so UEFI firmware (EDK2),
    // sbverify and osslsigncode accept it critical, as Debian's Secure Boot CA marks it. Go would not.
    platformExtensions: [NETSCAPE_CERT_TYPE],
    timestampExtendsValidity: !lifetime,
    timestampLimitation:
      'the signer certificate has the lifetime-signing EKU, so it does not extend validity',
    weakAlgorithms: [...new Set(weakAlgorithms)],
    refusedWeakAlgorithms: REFUSED_WEAK,
  });
};

/**
 * The contents octets of one BER/DER element (tag and length stripped), from the original bytes: the
 * Authenticode messageDigest covers exactly these (PKCS #7 v1.5 §9.3), not the full SEQUENCE.
 */
export function contentsOctets(der: Uint8Array): Uint8Array {
  let i = 1;
  if ((der[0]! & 0x1f) === 0x1f) while (i < der.length && der[i++]! & 0x80);
  const first = der[i++];
  if (first === undefined) throw new SigscanError('MALFORMED_CMS', 'SpcIndirectDataContent is truncated');
  if (first === 0x80) {
    // Indefinite length: contents run to the closing end-of-contents octets.
    return der.subarray(i, der.length - 2);
  }
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    length = 0;
    for (let k = 0; k < n; k++) length = length * 256 + der[i++]!;
  }
  if (i + length > der.length) throw new SigscanError('MALFORMED_CMS', 'SpcIndirectDataContent is truncated');
  return der.subarray(i, i + length);
}
