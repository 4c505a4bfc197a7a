import * as asn1js from 'asn1js';
import {
  constants,
  createHash,
  createPublicKey,
  publicDecrypt,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import * as pkijs from 'pkijs';

import { OID, type CmsAttributes, type CmsSignerInfo, type SignerInfoView } from '../formats/cms.js';
import { oidName } from '../formats/der.js';
import { elementBytes, isUniversal, octetStringValue, readOid, TAG } from '../formats/der-reader.js';
import type { ParsedCertificate } from '../formats/x509.js';

/**
 * CMS SignerInfo verification with node:crypto rather than pkijs' `SignedData.verify`.
 *
 * Why: pkijs goes through WebCrypto, which has no MD5 and no DSA, so 2008-era Authenticode (MD5) and
 * DSA-signed JARs could never verify, and its errors do not say which step failed. node:crypto (OpenSSL)
 * verifies RSA PKCS #1 v1.5 with MD5/SHA-1/SHA-2, RSA-PSS with explicit parameters, ECDSA (DER), DSA and
 * Ed25519 from the certificate's own SubjectPublicKeyInfo. The SignerInfo comes from cms.ts' DER reader,
 * which keeps the signed attributes' original bytes (re-tagged 0x31 here), so nothing is re-encoded.
 */

export type CmsCheckCode =
  | 'CMS_SIGNATURE_VALID'
  | 'CMS_SIGNATURE_INVALID'
  | 'CMS_DIGEST_MISMATCH'
  | 'SIGNER_CERTIFICATE_MISSING'
  | 'UNSUPPORTED_ALGORITHM';

export interface CmsCheck {
  ok: boolean;
  code: CmsCheckCode;
  message: string;
  /** Hash used for the messageDigest / signature (`sha256`, `md5`...), when known. */
  digestAlgorithm?: string;
  /** Digest or signature algorithm that is weak (MD5, SHA-1), for flagging; never a reason to fail here. */
  weakAlgorithm?: string;
}

/** Digest OIDs and the node:crypto names. Signature OIDs appear as digestAlgorithm in old JARs too. */
const HASH_BY_OID: Record<string, string> = {
  '1.2.840.113549.2.5': 'md5',
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha1',
  '1.3.14.3.2.27': 'sha1',
  '2.16.840.1.101.3.4.3.1': 'sha224',
  '2.16.840.1.101.3.4.3.2': 'sha256',
};

/** Signature OIDs that say only "RSA" / "EC" / "DSA": the hash is the SignerInfo digestAlgorithm. */
const KEY_ONLY_SIGNATURE_OIDS = new Set(['1.2.840.113549.1.1.1', '1.2.840.10045.2.1', '1.2.840.10040.4.1']);
const RSA_PSS = '1.2.840.113549.1.1.10';
const ED25519 = '1.3.101.112';
const MGF1 = '1.2.840.113549.1.1.8';

/**
 * The key types (node:crypto's asymmetricKeyType) a signature algorithm OID can be verified with. node:crypto
 * verifies with whatever key it is given (an ECDSA signature under an RSA label checks out with the EC key, and
 * a `null` hash picks a default), whereas OpenSSL's CMS_SignerInfo_verify and Windows refuse a label that does
 * not match the key: so a mismatch is refused here rather than verified under another algorithm than the one
 * signed. A digest OID written as the signature algorithm (an old signer habit) names no key type.
 */
const KEY_TYPES_BY_SIGNATURE_OID: Readonly<Record<string, readonly string[]>> = {
  '1.2.840.113549.1.1.1': ['rsa'], // rsaEncryption, as OpenSSL writes it
  '1.2.840.113549.1.1.4': ['rsa'],
  '1.2.840.113549.1.1.5': ['rsa'],
  '1.2.840.113549.1.1.11': ['rsa'],
  '1.2.840.113549.1.1.12': ['rsa'],
  '1.2.840.113549.1.1.13': ['rsa'],
  '1.2.840.113549.1.1.14': ['rsa'],
  [RSA_PSS]: ['rsa', 'rsa-pss'],
  '1.2.840.10045.2.1': ['ec'], // id-ecPublicKey
  '1.2.840.10045.4.1': ['ec'],
  '1.2.840.10045.4.3.1': ['ec'],
  '1.2.840.10045.4.3.2': ['ec'],
  '1.2.840.10045.4.3.3': ['ec'],
  '1.2.840.10045.4.3.4': ['ec'],
  '1.2.840.10040.4.1': ['dsa'], // id-dsa
  '1.2.840.10040.4.3': ['dsa'],
  '1.3.14.3.2.27': ['dsa'],
  '2.16.840.1.101.3.4.3.1': ['dsa'],
  '2.16.840.1.101.3.4.3.2': ['dsa'],
  [ED25519]: ['ed25519'],
};
const WEAK_HASHES = new Set(['md5', 'sha1']);

export function hashNameForOid(oid: string): string | undefined {
  return HASH_BY_OID[oid];
}

export function digest(hash: string, data: Uint8Array): Buffer {
  return createHash(hash).update(data).digest();
}

/**
 * Keys by parsed certificate: a vendor's signer key is imported once, not once per file. Weak keys, so
 * an entry lives exactly as long as the bounded certificate cache keeps its certificate.
 */
const publicKeys = new WeakMap<ParsedCertificate, KeyObject>();

/** The certificate's public key as node:crypto wants it, from the exact SPKI bytes. */
export function certificatePublicKey(cert: ParsedCertificate): KeyObject {
  const cached = publicKeys.get(cert);
  if (cached) return cached;
  const der = cert.spkiDer;
  const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
  publicKeys.set(cert, key);
  return key;
}

/**
 * Verifies one SignerInfo: messageDigest attribute (if signed attributes) == hash(content), then the
 * signature over the DER SET of signed attributes, or over content directly when there are none.
 * content = detached content or eContent octets (for Authenticode: SpcIndirectDataContent contents
 * octets without its outer tag and length, formats.md §7.3).
 */
export async function verifySignerInfo(args: {
  signer: SignerInfoView;
  content: Uint8Array;
}): Promise<CmsCheck> {
  const { signer, content } = args;
  const si = signer.signerInfo;
  const digestOid = si.digestAlgorithm.oid;
  const hash = hashNameForOid(digestOid);
  if (!hash) {
    return {
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message: `digest algorithm ${oidName(digestOid)} is not supported`,
    };
  }
  const weakAlgorithm = WEAK_HASHES.has(hash) ? oidName(digestOid) : undefined;
  const base = { digestAlgorithm: hash, ...(weakAlgorithm ? { weakAlgorithm } : {}) };
  if (!signer.certificate) {
    return {
      ok: false,
      code: 'SIGNER_CERTIFICATE_MISSING',
      message: 'the certificate the SignerInfo names (sid) is not among the certificates supplied',
      ...base,
    };
  }

  const placement = attributePlacementProblem(si);
  if (placement) return { ok: false, code: 'CMS_SIGNATURE_INVALID', message: placement, ...base };

  let signedBytes: Uint8Array[];
  const attrs = si.signedAttrs;
  // Any signed-attribute set, even an empty one (which cms.ts refuses), is what the signature covers: a
  // view with no attributes must not fall back to a signature over the content (OpenSSL hashes the set).
  if (attrs) {
    const md = attrs.attributes.filter((a) => a.type === OID.messageDigest);
    if (md.length !== 1 || md[0]!.values.length !== 1 || !isUniversal(md[0]!.values[0], TAG.OCTET_STRING)) {
      return {
        ok: false,
        code: 'CMS_DIGEST_MISMATCH',
        message: 'the signed attributes do not carry exactly one messageDigest value',
        ...base,
      };
    }
    const claimed = Buffer.from(octetStringValue(md[0]!.values[0], READ, 'messageDigest attribute'));
    const actual = digest(hash, content);
    if (!claimed.equals(actual)) {
      return {
        ok: false,
        code: 'CMS_DIGEST_MISMATCH',
        message: `messageDigest attribute ${claimed.toString('hex')} does not match the ${oidName(digestOid)} of the signed content (${actual.toString('hex')})`,
        ...base,
      };
    }
    const typeProblem = contentTypeProblem(attrs, signer.contentType);
    if (typeProblem) return { ok: false, code: 'CMS_SIGNATURE_INVALID', message: typeProblem, ...base };
    signedBytes = signedAttributeEncodings(attrs);
  } else {
    signedBytes = [content];
  }

  let key: KeyObject;
  try {
    key = certificatePublicKey(signer.certificate);
  } catch (err) {
    return {
      ok: false,
      code: 'UNSUPPORTED_ALGORITHM',
      message: `the signer's public key (${signer.certificate.summary.publicKeyAlgorithm}) cannot be used: ${(err as Error).message}`,
      ...base,
    };
  }
  const params = verifyParameters(si, hash, key);
  if ('error' in params) {
    return { ok: false, code: 'UNSUPPORTED_ALGORITHM', message: params.error, ...base };
  }
  if ('mismatch' in params) {
    return { ok: false, code: 'CMS_SIGNATURE_INVALID', message: params.mismatch, ...base };
  }
  const signature = Buffer.from(signer.signatureValue);
  for (const data of signedBytes) {
    let good: boolean;
    try {
      good = cryptoVerify(params.hash, data, params.key, signature);
    } catch (err) {
      // OpenSSL refuses some combinations outright (e.g. a hash it has disabled): say so, don't guess.
      return {
        ok: false,
        code: 'UNSUPPORTED_ALGORITHM',
        message: `${oidName(si.signatureAlgorithm.oid)} with ${oidName(digestOid)} could not be checked: ${(err as Error).message}`,
        ...base,
      };
    }
    // Legacy quirk: pre-2010 VeriSign timestamp countersigners (and some old Authenticode signers) put
    // the bare MD5/SHA-1 hash under PKCS #1 type-1 padding, without the DigestInfo wrapper. Windows and
    // signify accept it; the padding is still checked by OpenSSL, so this proves the same key signed it.
    if (!good && params.key === key && key.asymmetricKeyType === 'rsa' && params.hash) {
      good = bareRsaDigestMatches(key, signature, digest(params.hash, data));
    }
    if (good) {
      return {
        ok: true,
        code: 'CMS_SIGNATURE_VALID',
        message: `${oidName(si.signatureAlgorithm.oid)} signature by ${signer.certificate.summary.subject} is valid`,
        ...base,
      };
    }
  }
  return {
    ok: false,
    code: 'CMS_SIGNATURE_INVALID',
    message: `the ${oidName(si.signatureAlgorithm.oid)} signature does not verify with the key of ${signer.certificate.summary.subject}`,
    ...base,
  };
}

const READ = { code: 'MALFORMED_CMS', ber: true } as const;

/**
 * The content-type signed attribute (RFC 5652 §11.1) says what the signer signed: without it, bytes signed
 * as one kind of content could be presented as another. OpenSSL (ossl_cms_si_check_attributes) refuses a
 * missing, repeated or multi-valued one; the JDK (SignerInfo.verify) refuses a value other than the
 * eContentType. A countersignature (no eContentType) must not carry it (§11.4), so is not checked here.
 */
function contentTypeProblem(attrs: CmsAttributes, eContentType: string | undefined): string | undefined {
  if (eContentType === undefined) return undefined;
  const found = attrs.attributes.filter((a) => a.type === OID.contentType);
  const value = found[0]?.values[0];
  if (found.length !== 1 || found[0]!.values.length !== 1 || !isUniversal(value, TAG.OID)) {
    return 'the signed attributes do not carry exactly one content-type value';
  }
  const named = readOid(value, READ, 'content-type attribute');
  if (named !== eContentType) {
    return `the content-type attribute names ${oidName(named)}, but the signed content is ${oidName(eContentType)}`;
  }
  return undefined;
}

/** Attributes RFC 5652 §11 allows only among the signed attributes. */
const SIGNED_ONLY: readonly string[] = [OID.contentType, OID.messageDigest, OID.signingTime];

/**
 * RFC 5652 §11, as OpenSSL's ossl_cms_si_check_attributes applies it: content-type, message-digest and
 * signing-time are signed attributes only, a countersignature is unsigned only, and signing-time is one
 * attribute with one value (content-type and message-digest are checked where they are read). Unsigned
 * attributes are not signed: anyone can add one, and a reader that looks for a signing time in either set,
 * or takes another of several, would date the signature otherwise.
 */
function attributePlacementProblem(si: CmsSignerInfo): string | undefined {
  const unsigned = si.unsignedAttrs?.attributes.find((a) => SIGNED_ONLY.includes(a.type));
  if (unsigned)
    return `the unsigned attributes carry ${oidName(unsigned.type)}, which only a signed attribute may`;
  const signed = si.signedAttrs?.attributes ?? [];
  if (signed.some((a) => a.type === OID.counterSignature)) {
    return 'the signed attributes carry a countersignature, which only an unsigned attribute may';
  }
  const times = signed.filter((a) => a.type === OID.signingTime);
  if (times.length > 1 || times.some((a) => a.values.length !== 1)) {
    return 'the signed attributes carry more than one signing-time value';
  }
  return undefined;
}

/**
 * The bytes the signature covers when signed attributes exist: first the original encoding re-tagged as
 * SET. Only when that original was BER rather than DER (indefinite length), also a DER re-encoding, since
 * a conforming signer signed the DER form; both are encodings of the same attribute set, so accepting
 * either proves nothing weaker. That rare re-encoding is left to asn1js/pkijs, as it always was.
 */
function signedAttributeEncodings(attrs: CmsAttributes): Uint8Array[] {
  const out: Uint8Array[] = [];
  const tagged = attrs.der.slice();
  tagged[0] = 0x31;
  out.push(tagged);
  if (attrs.der[1] === 0x80) {
    try {
      const parsed = new pkijs.SignedAndUnsignedAttributes({
        type: 0,
        schema: asn1js.fromBER(attrs.der.slice()).result,
      });
      const der = new asn1js.Set({ value: parsed.attributes.map((a) => a.toSchema()) }).toBER();
      out.push(new Uint8Array(der));
    } catch {
      // Not re-encodable: only the stored bytes are tried.
    }
  }
  return out;
}

function bareRsaDigestMatches(key: KeyObject, signature: Buffer, hashValue: Buffer): boolean {
  try {
    const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature);
    return recovered.length === hashValue.length && timingSafeEqual(recovered, hashValue);
  } catch {
    return false;
  }
}

type KeyInput = KeyObject | { key: KeyObject; padding: number; saltLength: number };

function verifyParameters(
  si: CmsSignerInfo,
  digestHash: string,
  key: KeyObject,
): { hash: string | null; key: KeyInput } | { error: string } | { mismatch: string } {
  const sigOid = si.signatureAlgorithm.oid;
  const keyType = key.asymmetricKeyType ?? 'unknown';
  const keyTypes = KEY_TYPES_BY_SIGNATURE_OID[sigOid];
  if (keyTypes && !keyTypes.includes(keyType)) {
    return { mismatch: `the signature is labelled ${oidName(sigOid)}, but the signer's key is ${keyType}` };
  }
  if (keyType === 'ed25519') return { hash: null, key };
  if (sigOid === RSA_PSS) {
    const params = si.signatureAlgorithm.parameters;
    const pss = pssParameters(params ? asn1js.fromBER(elementBytes(params).slice()).result : undefined);
    if ('error' in pss) return pss;
    return {
      hash: pss.hash,
      key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pss.saltLength },
    };
  }
  if (KEY_ONLY_SIGNATURE_OIDS.has(sigOid) || HASH_BY_OID[sigOid] === undefined) {
    // Also covers the old habit of writing a digest OID (e.g. 1.3.14.3.2.26) as signatureAlgorithm.
    if (!KEY_ONLY_SIGNATURE_OIDS.has(sigOid) && !isDigestOid(sigOid)) {
      return { error: `signature algorithm ${oidName(sigOid)} is not supported` };
    }
    return { hash: digestHash, key };
  }
  return { hash: HASH_BY_OID[sigOid]!, key };
}

/** Only OIDs HASH_BY_OID lacks get here: MD5 and SHA-1 (1.2.840.113549.2.5, 1.3.14.3.2.26) are in it. */
function isDigestOid(oid: string): boolean {
  return oid.startsWith('2.16.840.1.101.3.4.2.');
}

/** RSASSA-PSS-params: hashAlgorithm [0], maskGenAlgorithm [1] (MGF1 with the same hash only), saltLength [2]. */
function pssParameters(params: unknown): { hash: string; saltLength: number } | { error: string } {
  let parsed: pkijs.RSASSAPSSParams;
  try {
    parsed = new pkijs.RSASSAPSSParams({ schema: params });
  } catch (err) {
    return { error: `malformed RSASSA-PSS parameters: ${(err as Error).message}` };
  }
  const hash = hashNameForOid(parsed.hashAlgorithm.algorithmId);
  if (!hash)
    return { error: `RSASSA-PSS hash ${oidName(parsed.hashAlgorithm.algorithmId)} is not supported` };
  // OpenSSL (ossl_rsa_pss_to_ctx) refuses a mask generation function other than MGF1, and MGF1 whose
  // parameters are not a hash AlgorithmIdentifier ("invalid pss parameters"); node:crypto would verify
  // those as MGF1 with the message hash, accepting a label the reference verifier refuses.
  const mgf = parsed.maskGenAlgorithm;
  if (mgf.algorithmId !== MGF1) {
    return { error: `RSASSA-PSS mask generation function ${oidName(mgf.algorithmId)} is not supported` };
  }
  let mgfHash: string | undefined;
  try {
    mgfHash = hashNameForOid(new pkijs.AlgorithmIdentifier({ schema: mgf.algorithmParams }).algorithmId);
  } catch {
    // Not an AlgorithmIdentifier: no hash, refused below.
  }
  if (mgfHash !== hash) {
    return { error: 'RSASSA-PSS with an MGF1 hash different from the message hash is not supported' };
  }
  return { hash, saltLength: parsed.saltLength };
}
