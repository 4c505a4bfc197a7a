import type { KeyObject } from 'node:crypto';

import type { DsseMaterial } from '../../detectors/cosign-attestation.js';
import { fulcioIssuer } from '../../formats/cosign/index.js';
import { parseCertificate, subjectAlternativeNames, type ParsedCertificate } from '../../formats/x509.js';
import type { Evidence, Verdict } from '../../model/index.js';
import { certificateKey, verifyWithKey } from '../dsse-signature.js';
import { dsseAsBundle } from '../sigstore/cosign-bundle.js';
import { certificateIdentity, checkIdentityPolicy, plainSanValues } from '../sigstore/identity.js';
import { attributeToKey } from '../sigstore/key-signer.js';
import {
  checkRekorEntry,
  keylessThroughTrustedRoot,
  tlogMissing,
  TLOG_NOT_REQUIRED,
} from '../sigstore/tlog-required.js';
import { loadTrustedRoots } from '../sigstore/trusted-root.js';
import { invalid, untrusted, unverified, verified } from '../verdicts.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';
import { revocationOptions } from '../revocation/options.js';
import { validateChain } from '../x509-chain.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';
const RANK = { invalid: 0, untrusted: 1, unverified: 2, error: 3, verified: 4 } as const;

/**
 * DSSE attestations (`.att`), decided as `cosign verify-attestation` decides them
 * (pkg/cosign/verify.go, VerifyImageAttestations → verifyInternal): a supplied key first (the
 * certificate is then not read); otherwise the attached certificate's key must verify the PAE, and
 * the certificate must chain to `--trust-root` (private PKI, checked now, with whatever identity
 * constraints were given) or be a Fulcio certificate of a `--trusted-root` with an SCT and a signing
 * time proven by its Rekor entry, under a complete identity policy (issue #11, #16 item 6). A key or a
 * private-PKI certificate needs a Rekor entry too, verified with `--trusted-root`, unless
 * `--insecure-ignore-tlog` (verifyInternal checks the tlog before it looks at the signer).
 */
export const cosignAttestationVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as DsseMaterial;
  const { keys } = ctx.config;
  for (const key of keys) {
    const signature = m.signatures.find((sig) => verifyWithKey(key.key, m.pae, sig));
    if (signature) {
      const who = `the supplied key ${key.path} (${key.algorithm})`;
      const tlog = m.rekorBundle
        ? await checkRekor(m, signature, { key: key.key }, ctx)
        : tlogMissing(ctx.config, `the DSSE signature verifies with ${who}`);
      if (tlog) return tlog;
      attributeToKey(evidence, key);
      return verified(
        'KEY_VERIFIED',
        `DSSE signature verifies with ${who}${m.rekorBundle ? `; Rekor entry ${m.rekorBundle.logIndex} verified` : `; ${TLOG_NOT_REQUIRED}`}`,
      );
    }
  }
  if (m.certificateDer) return withCertificate(evidence, m, m.certificateDer, ctx);
  if (keys.length)
    return untrusted('KEY_NOT_TRUSTED', 'the DSSE signature does not verify with any supplied key');
  return unverified('NO_TRUST_ROOT', 'attestation signed with a key; no --key was supplied to check it');
};

async function withCertificate(
  evidence: Evidence,
  m: DsseMaterial,
  certificateDer: Uint8Array,
  ctx: TrustContext,
): Promise<Verdict> {
  const { config } = ctx;
  const certKey = certificateKey(certificateDer);
  const signature = m.signatures.find((sig) => verifyWithKey(certKey, m.pae, sig));
  if (!signature) {
    return invalid('SIGNATURE_INVALID', 'the DSSE signature does not verify with the attached certificate');
  }
  const leaf = parseCertificate(certificateDer);
  const sans = plainSanValues(subjectAlternativeNames(leaf.cert));
  const oidc = fulcioIssuer(leaf.cert)?.issuer;
  const who = leaf.summary.subject || sans.join(', ') || leaf.summary.sha256Fingerprint;
  const failures: Verdict[] = [];

  if (config.roots.length) {
    failures.push(await privatePki(leaf, m, signature, oidc, sans, who, ctx));
    if (failures[0]!.status === 'verified') return failures[0]!;
  }

  if (config.trustedRoots.length) {
    const roots = await loadTrustedRoots(config.trustedRoots);
    const keyless = keylessThroughTrustedRoot(
      {
        bundle: dsseAsBundle({
          payloadType: m.payloadType,
          payload: m.payload,
          signature,
          certificateDer,
          rekorBundle: m.rekorBundle,
        }),
        roots,
      },
      {
        config,
        logged: Boolean(m.rekorBundle),
        leaf: leaf.cert,
        what: 'attestation',
        signer: { sans, oidc, who },
        verifies: `the DSSE signature verifies with the certificate of ${who}`,
      },
    );
    if (keyless.ok) return keyless.verdict;
    failures.push(keyless.verdict);
  }

  if (!failures.length) {
    return config.keys.length
      ? untrusted(
          'KEY_NOT_TRUSTED',
          'the DSSE signature verifies with its certificate, but with none of the supplied keys',
        )
      : unverified('NO_TRUST_ROOT', 'DSSE signature valid with its certificate; no trust root was supplied');
  }
  return failures.sort((a, b) => RANK[a.status] - RANK[b.status])[0]!;
}

/** `--trust-root`: the chain now (or at `--at`), then every identity constraint that was given. */
async function privatePki(
  leaf: ParsedCertificate,
  m: DsseMaterial,
  signature: Uint8Array,
  oidc: string | undefined,
  sans: string[],
  who: string,
  ctx: TrustContext,
): Promise<Verdict> {
  if (oidc !== undefined) {
    // A Fulcio certificate lives ten minutes: only a logged time, checked against --trusted-root,
    // may place the signature inside it; `now` or `--at` never does (issue #16 item 6).
    return untrusted(
      'TLOG_MISSING',
      `the certificate of ${who} is a keyless (Fulcio) certificate; it is verified only with --trusted-root and a Rekor entry proving when it signed`,
    );
  }
  let at = ctx.now;
  if (m.rekorBundle) {
    const tlog = await checkRekor(
      m,
      signature,
      { certificateDer: leaf.der, key: certificateKey(leaf.der) },
      ctx,
    );
    if (tlog) return tlog;
    at = new Date(m.rekorBundle.integratedTime * 1000);
  }
  const chain = await validateChain({
    leaf,
    intermediates: m.chainDer.map((der) => parseCertificate(der)),
    anchors: ctx.config.roots,
    at,
    requiredEku: CODE_SIGNING,
    // A verified Rekor integrated time is a trusted signing time, as a TSA's would be.
    revocation: revocationOptions(ctx, m.rekorBundle ? at : undefined),
  });
  if (!chain.ok) {
    return chain.code === 'CERT_BAD_SIGNATURE'
      ? invalid(chain.code, chain.message)
      : untrusted(chain.code, `signature valid but ${chain.message}`);
  }
  const policy = checkIdentityPolicy(ctx.config, certificateIdentity(leaf.cert, 'cosign'));
  if (policy) return policy;
  if (!m.rekorBundle) {
    const missing = tlogMissing(ctx.config, `the DSSE signature of ${who} chains to a trusted root`);
    if (missing) return missing;
  }
  const logged = m.rekorBundle
    ? `; Rekor entry ${m.rekorBundle.logIndex} verified, checked at its integrated time ${at.toISOString()}`
    : `; ${TLOG_NOT_REQUIRED}`;
  return verified(
    'CHAIN_VALID',
    `signed by ${who}, ${chain.message}${chain.revocation ? `; ${chain.revocation.message}` : ''}${logged}`,
  );
}

/**
 * The `.att` layer's Rekor bundle, for a signer trusted another way (a key, a private CA): SET with the
 * trusted roots' log keys, entry ↔ envelope, and the entry must record this very signer.
 */
async function checkRekor(
  m: DsseMaterial,
  signature: Uint8Array,
  signer: { certificateDer?: Uint8Array; key: KeyObject },
  ctx: TrustContext,
): Promise<Verdict | undefined> {
  const bundle = dsseAsBundle({
    payloadType: m.payloadType,
    payload: m.payload,
    signature,
    // The signer is trusted already: the entry is checked with its key, not against Fulcio CAs.
    rekorBundle: m.rekorBundle,
  });
  const roots = ctx.config.trustedRoots.length ? await loadTrustedRoots(ctx.config.trustedRoots) : [];
  return checkRekorEntry(m.rekorBundle!, { bundle, roots }, signer, 'attestation');
}
