import { createHash, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';

import type { Nv2Material } from '../../detectors/nv2.js';
import { parseCertificate, type ParsedCertificate } from '../../formats/x509.js';
import type { Verdict } from '../../model/index.js';
import type { TrustContext, FamilyVerifier } from '../verifier.js';
import { invalid, untrusted, unverified, verified } from '../verdicts.js';
import { validateChain } from '../x509-chain.js';
import { notationVerifier } from './notation.js';

/**
 * The `notation` family verifier: legacy nv2 prototype signatures (details.legacy) are verified the way the
 * nv2 prototype's x509 scheme did it, against `--trust-root` only, and stay labelled legacy (no current
 * notation trust policy accepts them, formats.md §3.1); everything else goes to the Notary Project verifier.
 */
export const notationFamilyVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  if (evidence.details?.['legacy'] !== undefined) {
    const material = evidence.material as Nv2Material | undefined;
    if (!material || !ctx.config.roots.length) {
      return unverified(
        'LEGACY_NV2',
        'legacy Notary v2 prototype signature; not accepted under a current notation trust policy ' +
          '(give --trust-root to verify it as the nv2 prototype did)',
      );
    }
    return verifyNv2(material, ctx);
  }
  return notationVerifier(evidence, target, ctx);
};

/**
 * What libtrust (the nv2 prototype's signing library) accepts per `alg`: RSA PKCS #1 v1.5 with any RSA key,
 * ECDSA only with the curve the algorithm names. Nothing else: `none` and HMAC would let anyone "sign".
 */
const NV2_ALGORITHMS: Record<string, { hash: string; keyType: 'rsa' | 'ec'; curve?: string }> = {
  RS256: { hash: 'sha256', keyType: 'rsa' },
  RS384: { hash: 'sha384', keyType: 'rsa' },
  RS512: { hash: 'sha512', keyType: 'rsa' },
  ES256: { hash: 'sha256', keyType: 'ec', curve: 'prime256v1' },
  ES384: { hash: 'sha384', keyType: 'ec', curve: 'secp384r1' },
  ES512: { hash: 'sha512', keyType: 'ec', curve: 'secp521r1' },
};

/**
 * nv2 `pkg/signature/x509/verifier.go` and `scheme.go`: `typ` x509; the key from the `x5c` leaf (chained to
 * the roots, any EKU) or from the root whose libtrust key id is `kid`; the JWS signature; `exp`/`nbf`;
 * every reference's host named by the signing certificate.
 */
export async function verifyNv2(m: Nv2Material, ctx: TrustContext): Promise<Verdict> {
  if (m.header.typ !== 'x509') {
    return invalid('NV2_TYPE_UNSUPPORTED', `nv2 JWT typ ${m.header.typ ?? '(none)'} is not the x509 scheme`);
  }
  const alg = m.header.alg ?? '(none)';
  const spec = NV2_ALGORITHMS[alg];
  if (!spec) {
    return invalid('NV2_ALG_NOT_ALLOWED', `nv2 JWT alg ${alg} is not an RS*/ES* signature algorithm`);
  }

  let signer: ParsedCertificate;
  let how: string;
  if (m.x5c.length) {
    const [leafDer, ...rest] = m.x5c;
    signer = parseCertificate(leafDer!);
    const chain = await validateChain({
      leaf: signer,
      intermediates: rest.map((d) => parseCertificate(d)),
      anchors: ctx.config.roots,
      at: ctx.now,
    });
    if (!chain.ok) return untrusted(chain.code, `nv2 signer ${signer.summary.subject}: ${chain.message}`);
    how = `chains to trusted ${chain.anchor!.summary.subject}`;
  } else if (m.header.kid) {
    const byKid = ctx.config.roots.find((r) => libtrustKeyId(r) === m.header.kid);
    if (!byKid) {
      return untrusted('NV2_KID_UNKNOWN', `no --trust-root certificate has the nv2 key id ${m.header.kid}`);
    }
    signer = byKid;
    how = `is the trusted certificate with key id ${m.header.kid}`;
  } else {
    return invalid('NV2_KEY_MISSING', 'nv2 JWT names neither x5c nor kid');
  }

  const key = publicKeyOf(signer);
  if (
    key.asymmetricKeyType !== spec.keyType ||
    (spec.curve && key.asymmetricKeyDetails?.namedCurve !== spec.curve)
  ) {
    return invalid(
      'NV2_ALG_KEY_MISMATCH',
      `nv2 JWT alg ${alg} does not fit the signer's ${signer.summary.publicKeyAlgorithm} key`,
    );
  }
  if (!jwsVerifies(spec.hash, key, m.signingInput, m.signature)) {
    return invalid(
      'SIGNATURE_INVALID',
      `the nv2 JWT signature does not verify with ${signer.summary.subject}'s key`,
    );
  }

  const now = Math.floor(ctx.now.getTime() / 1000);
  if (m.claims.exp !== undefined && m.claims.exp !== 0 && now > m.claims.exp) {
    return invalid(
      'SIGNATURE_EXPIRED',
      `the nv2 JWT expired at ${new Date(m.claims.exp * 1000).toISOString()}`,
    );
  }
  if (m.claims.nbf !== undefined && m.claims.nbf !== 0 && now < m.claims.nbf) {
    return invalid(
      'NV2_NOT_YET_VALID',
      `the nv2 JWT is valid only from ${new Date(m.claims.nbf * 1000).toISOString()}`,
    );
  }
  const names = certifiedHosts(signer);
  const stray = (m.claims.references ?? []).filter((r) => !names.has(hostOf(r)));
  if (stray.length) {
    return untrusted(
      'NV2_REFERENCE_NOT_CERTIFIED',
      `the nv2 JWT claims ${stray.join(', ')}, whose registry host the signing certificate does not name ` +
        `(${[...names].join(', ') || 'none'})`,
    );
  }
  return verified(
    'NV2_SIGNATURE_VERIFIED',
    `legacy nv2 prototype (2020) signature by ${signer.summary.subject}, which ${how}; ` +
      'checked as the nv2 x509 scheme did, not under a notation trust policy',
  );
}

function jwsVerifies(hash: string, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

/** The registry host of `host[:port]/repo[:tag]`, lower-cased as DNS names compare. */
function hostOf(reference: string): string {
  return reference.split('/', 1)[0]!.toLowerCase();
}

/**
 * The names Go's VerifyHostname accepted in 2020 (Go 1.14, nv2's toolchain): the SAN dNSNames, or the
 * subject CN when the certificate has no SAN. Wildcards are not expanded: a reference is kept only when a
 * name equals its host exactly.
 */
function certifiedHosts(cert: ParsedCertificate): Set<string> {
  const sans = cert.summary.subjectAlternativeNames ?? [];
  if (sans.length) {
    return new Set(sans.filter((n) => n.startsWith('dns:')).map((n) => n.slice(4).toLowerCase()));
  }
  const cn = cert.cert.subject.typesAndValues.filter((tv) => tv.type === '2.5.4.3');
  return new Set(cn.map((tv) => String(tv.value.valueBlock.value).toLowerCase()));
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * libtrust's key id, which nv2 `kid` headers carry: the first 240 bits of SHA-256 over the DER
 * SubjectPublicKeyInfo, base32 (RFC 4648, 48 characters), in twelve groups of four joined by ':'.
 */
export function libtrustKeyId(cert: ParsedCertificate): string {
  const digest = createHash('sha256')
    .update(publicKeyOf(cert).export({ type: 'spki', format: 'der' }))
    .digest()
    .subarray(0, 30);
  let bits = '';
  for (const b of digest) bits += b.toString(2).padStart(8, '0');
  let text = '';
  for (let i = 0; i < bits.length; i += 5) text += BASE32[parseInt(bits.slice(i, i + 5), 2)];
  return text.match(/.{4}/g)!.join(':');
}

function publicKeyOf(cert: ParsedCertificate): KeyObject {
  return new X509Certificate(cert.der).publicKey;
}
