import { X509Certificate } from 'node:crypto';

import { isBlobSignatureMaterial, type BlobSignatureMaterial } from '../../detectors/cosign-blob.js';
import { sha256Hex } from '../../formats/der.js';
import { fulcioIssuer } from '../../formats/cosign/index.js';
import { parseCertificate, subjectAlternativeNames } from '../../formats/x509.js';
import type { Verdict } from '../../model/index.js';
import { checkIdentityPolicy, hasCompleteIdentityPolicy, plainSanValues } from '../sigstore/identity.js';
import { verifyRawSignature } from '../sigstore/signature.js';
import { loadTrustedRoots } from '../sigstore/trusted-root.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';
import { invalid, unverified, untrusted, verified } from '../verdicts.js';
import { validateChain } from '../x509-chain.js';
import { cosignVerifier } from './cosign.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/**
 * The `cosign` family: image signatures go to {@link cosignVerifier}; detached blob signatures
 * (`cosign sign-blob` output beside a file) are bound to the file and then verified the same way (the
 * signed payload is the file), except for a keyless certificate with neither a Rekor entry nor an RFC
 * 3161 timestamp, which no log proves the signing time of: its chain is checked against the Fulcio CAs
 * of `--trusted-root` at `--at` (or now).
 */
export const cosignFamilyVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  const m = evidence.material;
  if (!isBlobSignatureMaterial(m)) return cosignVerifier(evidence, target, ctx);
  if (target.kind !== 'file' || `sha256:${sha256Hex(m.payload)}` !== target.digest) {
    return invalid('ARTIFACT_DIGEST_MISMATCH', 'the detached signature was not checked against this file');
  }
  const { config } = ctx;
  const keyMatches = config.keys.some((k) => verifyRawSignature(m.payload, m.signature, k.key));
  if (
    m.certificateDer &&
    !m.rekorBundle &&
    !m.rfc3161Timestamp &&
    !keyMatches &&
    config.trustedRoots.length
  ) {
    return untimedKeyless(m, ctx);
  }
  return cosignVerifier(evidence, target, ctx);
};

async function untimedKeyless(m: BlobSignatureMaterial, ctx: TrustContext): Promise<Verdict> {
  const { config } = ctx;
  const leaf = parseCertificate(m.certificateDer!);
  const key = new X509Certificate(Buffer.from(leaf.der)).publicKey;
  if (!verifyRawSignature(m.payload, m.signature, key)) {
    return invalid(
      'SIGNATURE_INVALID',
      'the signature does not verify over this file with its certificate key',
    );
  }
  const roots = await loadTrustedRoots(config.trustedRoots);
  const anchors = [];
  const intermediates = m.chainDer.map((der) => parseCertificate(der));
  for (const r of roots) {
    for (const ca of r.root.certificateAuthorities) {
      const certs = (ca.certChain?.certificates ?? []).map((c) =>
        parseCertificate(new Uint8Array(c.rawBytes)),
      );
      if (!certs.length) continue;
      anchors.push(certs[certs.length - 1]!);
      intermediates.push(...certs.slice(0, -1));
    }
  }
  const at = ctx.now;
  const when = config.at ? `--at ${at.toISOString()}` : `now (${at.toISOString()})`;
  const chain = await validateChain({ leaf, intermediates, anchors, at, requiredEku: CODE_SIGNING });
  if (!chain.ok) {
    if (chain.code === 'CERT_BAD_SIGNATURE') return invalid(chain.code, chain.message);
    if ((chain.code === 'CERT_EXPIRED' || chain.code === 'CERT_NOT_YET_VALID') && !config.at) {
      return unverified(
        'NO_SIGNING_TIME',
        `the certificate (valid ${leaf.summary.notBefore} to ${leaf.summary.notAfter}) is not valid ${when}, and no Rekor entry or RFC 3161 timestamp proves when the file was signed; pass --at with a time you trust`,
      );
    }
    return untrusted(chain.code, `certificate chain: ${chain.message.trim()} (checked at ${when})`);
  }
  const sans = plainSanValues(subjectAlternativeNames(leaf.cert));
  const oidc = fulcioIssuer(leaf.cert)?.issuer;
  if (!hasCompleteIdentityPolicy(config)) {
    return unverified(
      'IDENTITY_POLICY_MISSING',
      `keyless signature by ${sans.join(', ')} (issuer ${oidc ?? 'unknown'}) chains to a Fulcio CA, but no identity policy was given`,
    );
  }
  const policy = checkIdentityPolicy(config, sans, oidc);
  if (policy) return policy;
  return verified(
    'CHAIN_VALID',
    `keyless signature by ${sans.join(', ')} (issuer ${oidc ?? 'unknown'}) verifies over the file and its certificate chains to ${chain.anchor?.summary.subject ?? 'a trusted Fulcio CA'} at ${when}; no transparency-log entry accompanies it`,
  );
}
