import { createPublicKey } from 'node:crypto';

import { fulcioIssuer, type RekorBundle } from '../formats/cosign/index.js';
import { sha256Hex } from '../formats/der.js';
import { parseCertificate } from '../formats/x509.js';
import type { Countersigner, SignerIdentity } from '../model/index.js';

/** Signer identity from a certificate Sigstore tooling attached (Fulcio or a private PKI). */
export function certificateSigner(certificateDer: Uint8Array, chainDer: Uint8Array[]): SignerIdentity {
  const leaf = parseCertificate(certificateDer);
  const oidc = fulcioIssuer(leaf.cert);
  return {
    subject: leaf.summary.subject,
    issuer: leaf.summary.issuer,
    sha256Fingerprint: leaf.summary.sha256Fingerprint,
    publicKeyAlgorithm: leaf.summary.publicKeyAlgorithm,
    subjectAlternativeNames: leaf.summary.subjectAlternativeNames,
    oidcIssuer: oidc?.issuer,
    certificate: leaf.summary,
    chain: chainDer.map((der) => parseCertificate(der).summary),
  };
}

/** The transparency-log entry a cosign layer carries, as the countersigner that fixes its time. */
export function rekorCountersigner(bundle: RekorBundle): Countersigner {
  return {
    kind: 'rekor',
    subject: `Rekor log index ${bundle.logIndex}`,
    time: new Date(bundle.integratedTime * 1000).toISOString(),
  };
}

/** The public key a hashedrekord entry recorded, as a key id (SHA-256 of the SPKI DER). */
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function rekorKeySigner(bundle: RekorBundle): { keyId: string; algorithm: string } | undefined {
  try {
    const body = JSON.parse(Buffer.from(bundle.body, 'base64').toString('utf8')) as {
      spec?: { signature?: { publicKey?: { content?: string } } };
    };
    const pem = Buffer.from(body.spec?.signature?.publicKey?.content ?? '', 'base64').toString('utf8');
    if (!pem.includes('PUBLIC KEY')) return undefined;
    const key = createPublicKey(pem);
    const der = key.export({ type: 'spki', format: 'der' });
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return {
      keyId: sha256Hex(der),
      // Spelled as src/trust/config.ts keyAlgorithm spells a --key, so one key has one name.
      algorithm: curve
        ? `ECDSA-${CURVES[curve] ?? curve}`
        : key.asymmetricKeyType === 'rsa'
          ? `RSA-${key.asymmetricKeyDetails?.modulusLength ?? 0}`
          : key.asymmetricKeyType === 'ed25519'
            ? 'Ed25519'
            : (key.asymmetricKeyType ?? 'unknown').toUpperCase(),
    };
  } catch {
    return undefined;
  }
}
