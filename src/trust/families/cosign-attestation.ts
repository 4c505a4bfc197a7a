import type { DsseMaterial } from '../../detectors/cosign-attestation.js';
import { parseCertificate } from '../../formats/x509.js';
import { attributeToKey } from '../sigstore/key-signer.js';
import { certificateKey, verifyWithKey } from '../dsse-signature.js';
import { invalid, untrusted, unverified, verified } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';
import { validateChain } from '../x509-chain.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/**
 * DSSE attestations: a signature over the PAE with a supplied key, or with the attached certificate's
 * key chained to a supplied root. Keyless (Fulcio) attestations need the Rekor time and the identity
 * policy, which this verifier does not apply yet: they stay `unverified`, never `verified`.
 */
export const cosignAttestationVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as DsseMaterial;
  const { keys, roots } = ctx.config;
  for (const key of keys) {
    if (m.signatures.some((sig) => verifyWithKey(key.key, m.pae, sig))) {
      attributeToKey(evidence, key);
      return verified(
        'KEY_VERIFIED',
        `DSSE signature verifies with the supplied key ${key.path} (${key.algorithm})`,
      );
    }
  }
  if (m.certificateDer) {
    const certKey = certificateKey(m.certificateDer);
    if (!m.signatures.some((sig) => verifyWithKey(certKey, m.pae, sig))) {
      return invalid('SIGNATURE_INVALID', 'the DSSE signature does not verify with the attached certificate');
    }
    if (evidence.signer.oidcIssuer) {
      return unverified(
        'NOT_SUPPORTED',
        `keyless attestation by ${evidence.signer.subjectAlternativeNames?.join(', ') ?? 'unknown identity'}: verification against the Sigstore trusted root is not implemented for attestations yet`,
      );
    }
    if (!roots.length) {
      return keys.length
        ? untrusted(
            'KEY_NOT_TRUSTED',
            'the DSSE signature verifies with its certificate, but with none of the supplied keys',
          )
        : unverified(
            'NO_TRUST_ROOT',
            'DSSE signature valid with its certificate; no trust root was supplied',
          );
    }
    const chain = await validateChain({
      leaf: parseCertificate(m.certificateDer),
      intermediates: m.chainDer.map(parseCertificate),
      anchors: roots,
      at: ctx.now,
      requiredEku: CODE_SIGNING,
    });
    if (!chain.ok) return untrusted(chain.code, `signature valid but ${chain.message}`);
    return verified('CHAIN_VALID', `signed by ${evidence.signer.subject}, ${chain.message}`);
  }
  if (keys.length)
    return untrusted('KEY_NOT_TRUSTED', 'the DSSE signature does not verify with any supplied key');
  return unverified('NO_TRUST_ROOT', 'attestation signed with a key; no --key was supplied to check it');
};
