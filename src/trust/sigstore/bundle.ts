import { createHash, X509Certificate } from 'node:crypto';

import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { HashAlgorithm } from '@sigstore/protobuf-specs';

import { fulcioIssuer } from '../../formats/cosign/index.js';
import { parseCertificate, subjectAlternativeNames } from '../../formats/x509.js';
import type { Verdict } from '../../model/index.js';
import type { TrustedKey } from '../config.js';
import type { TrustContext } from '../verifier.js';
import { invalid, unverified, untrusted, verificationError, verified } from '../verdicts.js';
import {
  certificateIdentity,
  checkIdentityPolicy,
  hasCompleteIdentityPolicy,
  plainSanValues,
} from './identity.js';
import { runSigstore } from './run.js';
import { tlogMissing, TLOG_NOT_REQUIRED } from './tlog-required.js';
import { loadTrustedRoots } from './trusted-root.js';

const HASHES: Partial<Record<HashAlgorithm, string>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_384]: 'sha384',
  [HashAlgorithm.SHA2_512]: 'sha512',
};
const IN_TOTO = 'application/vnd.in-toto+json';

/**
 * Verifies a Sigstore bundle (v0.1–v0.3, formats.md §2.9) over `artifact` with @sigstore/verify:
 * the bundle's `messageDigest` (or in-toto subject) must be the artifact's, the signer is a Fulcio
 * certificate chaining to a `--trusted-root` CA at a verified signing time (with the identity policy,
 * which is required) or a `--key` (the bundle's key hint is ignored: every supplied key is tried), and
 * every transparency-log entry must verify and describe this signature; a key-signed bundle needs one
 * unless `--insecure-ignore-tlog`.
 */
export async function verifySigstoreBundle(
  bundleJson: unknown,
  artifact: Uint8Array,
  ctx: TrustContext,
  signedBy: SignedBy = {},
): Promise<Verdict> {
  return verifyBound(bundleJson, (bundle) => artifactBinding(bundle, artifact), artifact, ctx, signedBy);
}

/** Filled in when a supplied `--key` is what verified the bundle, so the caller can name it. */
export interface SignedBy {
  key?: TrustedKey;
}

/** An artifact known by its digest (`<alg>:<hex>`), with its bytes when the caller has them. */
export interface ArtifactReference {
  digest: string;
  bytes?: Uint8Array;
}

/**
 * {@link verifySigstoreBundle} for an artifact known by digest, such as an image manifest in a registry:
 * a DSSE bundle binds through its in-toto subject digest and needs no bytes; a message signature covers
 * the bytes themselves, so they must be supplied (their digest must be `artifact.digest`).
 */
export async function verifySigstoreBundleDigest(
  bundleJson: unknown,
  artifact: ArtifactReference,
  ctx: TrustContext,
  signedBy: SignedBy = {},
): Promise<Verdict> {
  const [alg, hex] = artifact.digest.split(':');
  if (!alg || !hex || !DIGEST_ALGS.has(alg)) {
    return invalid('MALFORMED_DIGEST', `unsupported artifact digest ${artifact.digest}`);
  }
  if (artifact.bytes) {
    if (createHash(alg).update(artifact.bytes).digest('hex') !== hex.toLowerCase()) {
      return invalid('DIGEST_MISMATCH', `the artifact bytes do not hash to ${artifact.digest}`);
    }
    return verifySigstoreBundle(bundleJson, artifact.bytes, ctx, signedBy);
  }
  return verifyBound(
    bundleJson,
    (bundle) => digestBinding(bundle, alg, hex.toLowerCase()),
    undefined,
    ctx,
    signedBy,
  );
}

const DIGEST_ALGS = new Set(['sha256', 'sha384', 'sha512']);

async function verifyBound(
  bundleJson: unknown,
  binding: (bundle: Bundle) => Verdict | undefined,
  artifact: Uint8Array | undefined,
  ctx: TrustContext,
  signedBy: SignedBy,
): Promise<Verdict> {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(typeof bundleJson === 'string' ? JSON.parse(bundleJson) : bundleJson);
  } catch (err) {
    return invalid('MALFORMED_BUNDLE', `not a valid Sigstore bundle: ${(err as Error).message}`);
  }
  const known = /^application\/vnd\.dev\.sigstore\.bundle(\+json;version=0\.[123]|\.v0\.3\+json)$/;
  if (!known.test(bundle.mediaType)) {
    return invalid('MALFORMED_BUNDLE', `unsupported Sigstore bundle media type ${bundle.mediaType}`);
  }
  const subject = binding(bundle);
  if (subject) return subject;
  if (!artifact && bundle.content.$case === 'messageSignature') {
    return verificationError(
      'ARTIFACT_UNAVAILABLE',
      'the bundle signs the artifact bytes, which were not available to check the signature',
    );
  }

  const { config } = ctx;
  const material = bundle.verificationMaterial.content;
  if (material.$case === 'publicKey') {
    if (!config.keys.length) {
      return unverified('NO_TRUST_ROOT', 'key-signed Sigstore bundle; pass --key to verify it');
    }
    const roots = await loadTrustedRoots(config.trustedRoots);
    const failures: Verdict[] = [];
    for (const key of config.keys) {
      const outcome = runSigstore({
        bundle,
        artifact,
        roots,
        key: key.key,
        options: {
          tlogThreshold: bundle.verificationMaterial.tlogEntries.length ? 1 : 0,
          ctlogThreshold: 0,
          // A supplied key does not expire: a bundle signed offline (`cosign sign-blob --key
          // --tlog-upload=false`) carries no time, and none is needed to trust the key.
          timestampThreshold: hasTimestamps(bundle) ? 1 : 0,
        },
      });
      if (outcome.ok) {
        const who = `key ${key.path} (${key.algorithm})`;
        const logged = bundle.verificationMaterial.tlogEntries.length > 0;
        // cosign verify-blob --key asks for one verified tlog entry unless --insecure-ignore-tlog.
        const missing = logged ? undefined : tlogMissing(config, `the bundle signature verifies with ${who}`);
        if (missing) return missing;
        signedBy.key = key;
        return verified(
          'KEY_VERIFIED',
          `bundle signature verifies with ${who} at ${outcome.signingTime?.toISOString() ?? 'an unverified time'}${logged ? '' : `; ${TLOG_NOT_REQUIRED}`}`,
        );
      }
      failures.push(outcome.verdict);
    }
    // A signature that no supplied key verifies was most likely made by another key.
    const tampered = failures.find((f) => f.status === 'invalid' && f.code !== 'SIGNATURE_INVALID');
    return (
      tampered ??
      untrusted(
        'KEY_NOT_TRUSTED',
        `the bundle signature does not verify with any supplied key (${failures[0]?.message ?? ''})`,
      )
    );
  }

  if (!config.trustedRoots.length) {
    return unverified('NO_TRUST_ROOT', 'keyless Sigstore bundle; pass --trusted-root and an identity policy');
  }
  if (material.$case === 'x509CertificateChain' && material.x509CertificateChain.certificates.length === 0) {
    return invalid('MALFORMED_BUNDLE', 'the bundle certificate chain is empty');
  }
  if (material.$case === 'x509CertificateChain') {
    // Bundles must not carry trust anchors (§2.9): a self-signed certificate in the chain is refused.
    for (const c of material.x509CertificateChain.certificates.slice(1)) {
      const cert = new X509Certificate(Buffer.from(c.rawBytes));
      if (cert.checkIssued(cert)) return invalid('MALFORMED_BUNDLE', 'the bundle carries a root certificate');
    }
  }
  const roots = await loadTrustedRoots(config.trustedRoots);
  const outcome = runSigstore({ bundle, artifact, roots, options: { tlogThreshold: 1, ctlogThreshold: 1 } });
  if (!outcome.ok) return outcome.verdict;
  const leafDer =
    material.$case === 'certificate'
      ? material.certificate.rawBytes
      : material.x509CertificateChain.certificates[0]!.rawBytes;
  const leaf = parseCertificate(new Uint8Array(leafDer));
  const sans = plainSanValues(subjectAlternativeNames(leaf.cert));
  const issuer = fulcioIssuer(leaf.cert)?.issuer;
  if (!hasCompleteIdentityPolicy(config)) {
    return unverified(
      'IDENTITY_POLICY_MISSING',
      `keyless bundle by ${sans.join(', ')} (issuer ${issuer ?? 'unknown'}) chains to a trusted CA, but no identity policy was given`,
    );
  }
  const policy = checkIdentityPolicy(config, certificateIdentity(leaf.cert, 'sigstore-go'));
  if (policy) return policy;
  return verified(
    'KEYLESS_VERIFIED',
    `keyless bundle by ${sans.join(', ')} (issuer ${issuer ?? 'unknown'}) verified with ${outcome.root?.path ?? 'the trusted root'} at ${outcome.signingTime?.toISOString() ?? 'the signing time'}`,
  );
}

/** The bundle must be about these bytes: message digest, or an in-toto subject digest for DSSE. */
function artifactBinding(bundle: Bundle, artifact: Uint8Array): Verdict | undefined {
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    const digest = content.messageSignature.messageDigest;
    const alg = digest ? HASHES[digest.algorithm] : undefined;
    if (!digest || !alg)
      return invalid('MALFORMED_BUNDLE', 'unsupported or missing message digest algorithm');
    const actual = createHash(alg).update(artifact).digest();
    if (!actual.equals(Buffer.from(digest.digest))) {
      return invalid('ARTIFACT_DIGEST_MISMATCH', 'the bundle message digest is not the artifact digest');
    }
    return undefined;
  }
  const env = content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO) {
    return unverified('UNSUPPORTED', `DSSE payload type ${env.payloadType} cannot be bound to an artifact`);
  }
  let subjects: Array<{ digest?: Record<string, string> }>;
  try {
    const statement = JSON.parse(Buffer.from(env.payload).toString('utf8')) as { subject?: unknown };
    if (!Array.isArray(statement.subject)) throw new Error('no subject list');
    subjects = statement.subject as typeof subjects;
  } catch (err) {
    return invalid('MALFORMED_BUNDLE', `in-toto statement: ${(err as Error).message}`);
  }
  const ours: Record<string, string> = {
    sha256: createHash('sha256').update(artifact).digest('hex'),
    sha384: createHash('sha384').update(artifact).digest('hex'),
    sha512: createHash('sha512').update(artifact).digest('hex'),
  };
  const match = subjects.some((s) =>
    Object.entries(s.digest ?? {}).some(
      ([alg, value]) => ours[alg] !== undefined && ours[alg] === value.toLowerCase(),
    ),
  );
  return match
    ? undefined
    : invalid('ARTIFACT_DIGEST_MISMATCH', 'no in-toto subject names the artifact digest');
}

/** {@link artifactBinding} for an artifact known only by its digest. */
function digestBinding(bundle: Bundle, alg: string, hex: string): Verdict | undefined {
  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    const digest = content.messageSignature.messageDigest;
    const bundleAlg = digest ? HASHES[digest.algorithm] : undefined;
    if (!digest || !bundleAlg)
      return invalid('MALFORMED_BUNDLE', 'unsupported or missing message digest algorithm');
    if (bundleAlg !== alg || Buffer.from(digest.digest).toString('hex') !== hex) {
      return invalid('ARTIFACT_DIGEST_MISMATCH', `the bundle message digest is not ${alg}:${hex}`);
    }
    return undefined;
  }
  const subjects = statementSubjects(bundle);
  if ('status' in subjects) return subjects;
  const match = subjects.some((s) => s.digest?.[alg]?.toLowerCase() === hex);
  return match ? undefined : invalid('ARTIFACT_DIGEST_MISMATCH', `no in-toto subject names ${alg}:${hex}`);
}

function statementSubjects(bundle: Bundle): Array<{ digest?: Record<string, string> }> | Verdict {
  if (bundle.content.$case !== 'dsseEnvelope') return [];
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO) {
    return unverified('UNSUPPORTED', `DSSE payload type ${env.payloadType} cannot be bound to an artifact`);
  }
  try {
    const statement = JSON.parse(Buffer.from(env.payload).toString('utf8')) as { subject?: unknown };
    if (!Array.isArray(statement.subject)) throw new Error('no subject list');
    return statement.subject as Array<{ digest?: Record<string, string> }>;
  } catch (err) {
    return invalid('MALFORMED_BUNDLE', `in-toto statement: ${(err as Error).message}`);
  }
}

function hasTimestamps(bundle: Bundle): boolean {
  const vm = bundle.verificationMaterial;
  return vm.tlogEntries.length > 0 || (vm.timestampVerificationData?.rfc3161Timestamps.length ?? 0) > 0;
}
