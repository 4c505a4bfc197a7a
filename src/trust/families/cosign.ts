import { X509Certificate, type KeyObject } from 'node:crypto';

import { fulcioIssuer } from '../../formats/cosign/index.js';
import { sha256Hex } from '../../formats/der.js';
import { parseCertificate, subjectAlternativeNames, type ParsedCertificate } from '../../formats/x509.js';
import type { Evidence, Target, Verdict } from '../../model/index.js';
import type { TrustedKey } from '../config.js';
import {
  cosignAsBundle,
  isCosignMaterial,
  rekorEntryNamesSigner,
  rekorSignerMaterial,
  type CosignMaterial,
} from '../sigstore/cosign-bundle.js';
import { certificateIdentity, checkIdentityPolicy, plainSanValues } from '../sigstore/identity.js';
import { attributeToKey } from '../sigstore/key-signer.js';
import { verifyRawSignature } from '../sigstore/signature.js';
import {
  checkRekorEntry,
  keylessThroughTrustedRoot,
  tlogMissing,
  TLOG_NOT_REQUIRED,
} from '../sigstore/tlog-required.js';
import { loadTrustedRoots, type LoadedTrustedRoot } from '../sigstore/trusted-root.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';
import { invalid, unverified, untrusted, verificationError, verified } from '../verdicts.js';
import { revocationOptions } from '../revocation/options.js';
import { validateChain, type ChainResult } from '../x509-chain.js';

const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/**
 * cosign "classic" signatures (formats.md §2.4): the payload must name the target, the signature must
 * verify over the exact payload bytes with a supplied key, or with its certificate's key when that
 * certificate chains to `--trust-root` (private PKI) or to a Fulcio CA of a `--trusted-root` at the
 * signing time (Rekor SET / RFC 3161), with the identity policy for keyless certificates. A Rekor
 * entry, when present, must verify and name this signature, payload and signer; for a key or a
 * private-PKI certificate it must be present unless `--insecure-ignore-tlog` (as cosign 2.x requires).
 * Never `verified` when a check was skipped.
 */
export const cosignVerifier: FamilyVerifier = async (evidence, target, ctx) => {
  const m = evidence.material;
  if (!isCosignMaterial(m)) {
    return verificationError('MALFORMED_SIGNATURE', 'cosign evidence carries no payload and signature');
  }
  const { config } = ctx;
  if (!config.keys.length && !config.roots.length && !config.trustedRoots.length) {
    return unverified(
      'NO_TRUST_ROOT',
      'cosign signature found; pass --key, --trust-root or --trusted-root (with an identity policy) to verify it',
    );
  }
  const binding = payloadBinding(evidence, target);
  if (binding) return binding;
  if (!m.signature.length) return invalid('SIGNATURE_INVALID', 'the cosign signature annotation is empty');

  const roots = await loadTrustedRoots(config.trustedRoots);

  // 1. Supplied keys (§2.4: they take precedence over any certificate in the layer).
  for (const key of config.keys) {
    if (verifyRawSignature(m.payload, m.signature, key.key)) {
      const verdict = await withKey(m, key, roots, config);
      if (verdict.status === 'verified') attributeToKey(evidence, key);
      return verdict;
    }
  }

  // 2. The certificate in the layer.
  if (m.certificateDer) {
    const leaf = parseCertificate(m.certificateDer);
    return withCertificate(m, leaf, roots, ctx);
  }

  // 3. A bare signature no supplied key verifies.
  if (!config.keys.length) {
    return unverified(
      'NO_TRUST_ROOT',
      'key-based cosign signature (no certificate attached); only --key can verify it',
    );
  }
  const recorded = m.rekorBundle ? rekorSignerMaterial(m.rekorBundle) : undefined;
  if (recorded && !verifyRawSignature(m.payload, m.signature, recorded.key)) {
    return invalid(
      'SIGNATURE_INVALID',
      'the signature verifies neither with a supplied key nor with the key its Rekor entry recorded',
    );
  }
  const signedBy = recorded
    ? ` (it was made by key ${sha256Hex(recorded.key.export({ type: 'spki', format: 'der' }))})`
    : '';
  return untrusted('KEY_NOT_TRUSTED', `the signature does not verify with any supplied key${signedBy}`);
};

/** The payload must name the target (two-hop binding signature → payload → manifest digest). */
function payloadBinding(evidence: Evidence, target: Target): Verdict | undefined {
  const named = evidence.claims?.subjectDigest;
  if (!named) return invalid('MALFORMED_PAYLOAD', 'the cosign payload names no image digest');
  if (target.kind === 'image' && named !== target.digest) {
    return invalid(
      'PAYLOAD_DIGEST_MISMATCH',
      `the signed payload names ${named}, not this image (${target.digest})`,
    );
  }
  return undefined;
}

async function withKey(
  m: CosignMaterial,
  key: TrustedKey,
  roots: LoadedTrustedRoot[],
  config: TrustContext['config'],
): Promise<Verdict> {
  const who = `key ${key.path} (${key.algorithm}, ${key.spkiSha256.slice(0, 16)}…)`;
  if (!m.rekorBundle) {
    return (
      tlogMissing(config, `the signature verifies with ${who}`) ??
      verified('KEY_VERIFIED', `signature verifies with ${who}; ${TLOG_NOT_REQUIRED}`)
    );
  }
  const tlog = checkRekor(m, { key: key.key }, roots);
  if (tlog) return tlog;
  return verified(
    'KEY_VERIFIED',
    `signature verifies with ${who}; Rekor entry ${m.rekorBundle.logIndex} verified`,
  );
}

/**
 * Checks the Rekor bundle annotation alone (SET with the trusted roots' log keys, entry ↔ payload
 * hash, signature and signer) for signatures whose signer is already trusted another way.
 */
function checkRekor(
  m: CosignMaterial,
  signer: { certificateDer?: Uint8Array; key: KeyObject },
  roots: LoadedTrustedRoot[],
): Verdict | undefined {
  return checkRekorEntry(
    m.rekorBundle!,
    {
      bundle: cosignAsBundle({ ...m, rfc3161Timestamp: undefined }, { hint: 'cosign-signer' }),
      artifact: m.payload,
      roots,
    },
    signer,
    'signature',
  );
}

async function withCertificate(
  m: CosignMaterial,
  leaf: ParsedCertificate,
  roots: LoadedTrustedRoot[],
  ctx: TrustContext,
): Promise<Verdict> {
  const { config } = ctx;
  const key = leafKey(leaf);
  if (!verifyRawSignature(m.payload, m.signature, key)) {
    return invalid('SIGNATURE_INVALID', 'the signature does not verify with the key of its own certificate');
  }
  const sans = plainSanValues(subjectAlternativeNames(leaf.cert));
  const oidc = fulcioIssuer(leaf.cert)?.issuer;
  const who = `${leaf.summary.subject || sans.join(', ') || leaf.summary.sha256Fingerprint}`;
  const failures: Verdict[] = [];

  // Private PKI (--trust-root). A certificate with Fulcio's OIDC issuer extension is a keyless one:
  // it lives ten minutes, so only a logged time may place the signature inside it, never `now` or
  // `--at` (issue #16 item 6; cosign verify requires the tlog whatever roots it is given).
  if (config.roots.length && oidc !== undefined && !m.rekorBundle) {
    failures.push(
      untrusted(
        'TLOG_MISSING',
        `the certificate of ${who} is a keyless (Fulcio) certificate, and no Rekor entry or RFC 3161 timestamp proves when it signed; --at does not stand in for one`,
      ),
    );
  } else if (config.roots.length) {
    let at = ctx.now;
    let timeNote = 'now';
    if (m.rekorBundle) {
      const tlog = checkRekor(m, { certificateDer: m.certificateDer, key }, roots);
      if (tlog) return tlog;
      at = new Date(m.rekorBundle.integratedTime * 1000);
      timeNote = `the Rekor integrated time ${at.toISOString()}`;
    }
    const chain = await validateChain({
      leaf,
      intermediates: m.chainDer.map((der) => parseCertificate(der)),
      anchors: config.roots,
      at,
      requiredEku: CODE_SIGNING,
      // A Rekor integrated time is a trusted signing time, as a TSA's would be.
      revocation: revocationOptions(ctx, m.rekorBundle ? at : undefined),
    });
    const missing = m.rekorBundle
      ? undefined
      : tlogMissing(config, `the signature verifies with the certificate of ${who}`);
    if (chain.ok) {
      const policy = checkIdentityPolicy(config, certificateIdentity(leaf.cert, 'cosign'));
      if (policy) return policy;
      // A private CA's certificate is not in Rekor's view unless logged: cosign requires the entry
      // for it as for a key. (No SCT is required: a private CA logs to no CT log, as cosign
      // --insecure-ignore-sct; see README "Transparency log".)
      if (missing) failures.push(missing);
      else {
        return verified(
          'CHAIN_VALID',
          `signature verifies with the certificate of ${who}, which chains to trusted ${chain.anchor?.summary.subject} at ${timeNote}${chain.revocation ? `; ${chain.revocation.message}` : ''}${m.rekorBundle ? '' : `; ${TLOG_NOT_REQUIRED}`}`,
        );
      }
    } else failures.push(chainVerdict(chain, Boolean(m.rekorBundle)));
  }

  // Sigstore trusted roots (Fulcio CAs, Rekor, CT logs, TSAs).
  if (roots.length) {
    if (m.rekorBundle && !rekorEntryNamesSigner(m.rekorBundle, { certificateDer: m.certificateDer, key })) {
      return invalid(
        'TLOG_ENTRY_MISMATCH',
        `Rekor entry ${m.rekorBundle.logIndex} records another certificate than this signature's`,
      );
    }
    const keyless = keylessThroughTrustedRoot(
      { bundle: cosignAsBundle(m, { certificateDer: m.certificateDer! }), artifact: m.payload, roots },
      {
        config,
        logged: Boolean(m.rekorBundle),
        leaf: leaf.cert,
        what: 'signature',
        signer: { sans, oidc, who },
        verifies: `the signature verifies with the certificate of ${who}`,
      },
    );
    if (keyless.ok) return keyless.verdict;
    failures.push(keyless.verdict);
  }

  if (!failures.length) {
    // Only --key was given and none matched: the certificate's own key verifies, but nothing anchors it.
    return untrusted(
      'KEY_NOT_TRUSTED',
      `the signature verifies with the certificate of ${who}, but not with any supplied key; pass --trust-root or --trusted-root to trust certificates`,
    );
  }
  const rank = { invalid: 0, untrusted: 1, unverified: 2, error: 3, verified: 4 } as const;
  return failures.sort((a, b) => rank[a.status] - rank[b.status])[0]!;
}

function leafKey(leaf: ParsedCertificate): KeyObject {
  return new X509Certificate(Buffer.from(leaf.der)).publicKey;
}

function chainVerdict(chain: ChainResult, timeFromLog: boolean): Verdict {
  switch (chain.code) {
    case 'CERT_BAD_SIGNATURE':
      return invalid(chain.code, chain.message);
    case 'CERT_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      // A logged signing time outside the certificate's validity is a forgery signal (§2.10).
      return timeFromLog ? invalid(chain.code, chain.message) : untrusted(chain.code, chain.message);
    default:
      return untrusted(chain.code, chain.message);
  }
}
