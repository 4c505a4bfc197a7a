import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';

import type { Bundle } from '@sigstore/bundle';
import {
  PolicyError,
  toSignedEntity,
  VerificationError,
  Verifier,
  type KeyFinderFunc,
  type SignedEntity,
  type Signer,
  type TrustMaterial,
  type VerifierOptions,
} from '@sigstore/verify';

import type { Verdict } from '../../model/index.js';
import { invalid, untrusted, verificationError } from '../verdicts.js';
import { trustMaterial, type LoadedTrustedRoot } from './trusted-root.js';

export type SigstoreOutcome =
  | {
      ok: true;
      signer: Signer;
      /** The trusted root that verified (undefined when none was needed). */
      root?: LoadedTrustedRoot;
      /** The earliest verified signing time (Rekor integratedTime or RFC 3161 genTime), if any. */
      signingTime?: Date;
    }
  | { ok: false; verdict: Verdict };

export interface SigstoreRun {
  bundle: Bundle;
  /** Artifact bytes for message signatures (DSSE envelopes carry their payload). */
  artifact?: Uint8Array;
  /** Trusted roots to try, in order. Empty: an empty trust material (key + no log checks only). */
  roots: readonly LoadedTrustedRoot[];
  /** For `publicKey` bundles: the one key being tried, whatever the hint says. */
  key?: KeyObject;
  options: VerifierOptions;
}

/** Verdict severity, worst first: a root that proves tampering wins over one that merely does not know the signer. */
const RANK: Record<Verdict['status'], number> = {
  invalid: 0,
  untrusted: 1,
  unverified: 2,
  error: 3,
  verified: 4,
};

/**
 * Runs sigstore-js' Verifier (signature, certificate chain at the verified signing time, SCTs, Rekor
 * SET / inclusion proof + checkpoint, log body ↔ signature binding, TSA timestamps) against each
 * trusted root in turn; the first that verifies wins, otherwise the most severe failure is returned.
 */
export function runSigstore(run: SigstoreRun): SigstoreOutcome {
  const artifact = run.artifact ? Buffer.from(run.artifact) : undefined;
  let entity: SignedEntity;
  try {
    entity = hashedRekordOverDsse(run.bundle, toSignedEntity(run.bundle, artifact));
  } catch (err) {
    return { ok: false, verdict: invalid('MALFORMED_BUNDLE', `sigstore bundle: ${message(err)}`) };
  }
  const keyFinder: KeyFinderFunc | undefined = run.key
    ? () => ({ publicKey: run.key!, validFor: () => true })
    : undefined;
  const roots: Array<LoadedTrustedRoot | undefined> = run.roots.length ? [...run.roots] : [undefined];
  let worst: Verdict | undefined;
  for (const root of roots) {
    const material = trustMaterial(root, keyFinder);
    try {
      const signer = new Verifier(material, run.options).verify(entity);
      return { ok: true, signer, root, signingTime: signingTime(entity.timestamps) };
    } catch (err) {
      const verdict = mapSigstoreError(err, run.bundle, material, root);
      if (!worst || RANK[verdict.status] < RANK[worst.status]) worst = verdict;
    }
  }
  return { ok: false, verdict: worst! };
}

/**
 * Rekor v2 logs DSSE envelopes as `hashedrekord` 0.0.2 entries holding SHA-256(PAE) (rekor-v2 spec
 * §6.1.4, conformance rekor2-dsse-happy-path); @sigstore/verify 3.1 compares such a digest with
 * SHA-256(payload). For a DSSE bundle whose entries are all hashedrekord, the logged digest must be
 * the digest of the bytes actually signed, the PAE, so that is what the entity compares.
 */
function hashedRekordOverDsse(bundle: Bundle, entity: SignedEntity): SignedEntity {
  if (bundle.content.$case !== 'dsseEnvelope') return entity;
  const entries = bundle.verificationMaterial.tlogEntries;
  if (!entries.length || !entries.every((e) => e.kindVersion?.kind === 'hashedrekord')) return entity;
  const env = bundle.content.dsseEnvelope;
  const type = Buffer.from(env.payloadType, 'utf8');
  const body = Buffer.from(env.payload);
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, 'utf8'),
    type,
    Buffer.from(` ${body.length} `, 'utf8'),
    body,
  ]);
  const paeDigest = createHash('sha256').update(pae).digest();
  const inner = entity.signature;
  return {
    ...entity,
    signature: {
      signature: inner.signature,
      compareSignature: (s) => inner.compareSignature(s),
      compareDigest: (d) => d.length === paeDigest.length && timingSafeEqual(d, paeDigest),
      verifySignature: (k) => inner.verifySignature(k),
    },
  };
}

function signingTime(timestamps: SignedEntity['timestamps']): Date | undefined {
  const times = timestamps.map((t) =>
    t.$case === 'transparency-log'
      ? new Date(Number(t.tlogEntry.integratedTime) * 1000)
      : t.timestamp.signingTime,
  );
  return times.length ? new Date(Math.min(...times.map((t) => t.getTime()))) : undefined;
}

/** sigstore-js error codes → sigscan verdicts. */
export function mapSigstoreError(
  err: unknown,
  bundle: Bundle,
  material: TrustMaterial,
  root: LoadedTrustedRoot | undefined,
): Verdict {
  const where = root ? ` (trusted root ${root.path})` : '';
  const text = `${message(err)}${where}`;
  if (err instanceof PolicyError) return untrusted('IDENTITY_MISMATCH', text);
  if (!(err instanceof VerificationError)) return verificationError('INTERNAL', text);
  switch (err.code) {
    case 'SIGNATURE_ERROR':
      return invalid('SIGNATURE_INVALID', `the signature does not verify: ${text}`);
    case 'TLOG_BODY_ERROR':
      return invalid('TLOG_ENTRY_MISMATCH', `the transparency-log entry is for another signature: ${text}`);
    case 'TLOG_INCLUSION_PROMISE_ERROR':
    case 'TLOG_INCLUSION_PROOF_ERROR': {
      const known = bundle.verificationMaterial.tlogEntries.every((e) =>
        material.tlogs.some((t) => e.logId && t.logID.equals(Buffer.from(e.logId.keyId))),
      );
      return known
        ? invalid('TLOG_INVALID', `transparency-log proof does not verify: ${text}`)
        : untrusted('TLOG_UNTRUSTED', `the transparency log is not in the trusted root: ${text}`);
    }
    case 'TLOG_MISSING_INCLUSION_ERROR':
      return invalid('TLOG_INVALID', `transparency-log entry has neither promise nor proof: ${text}`);
    case 'TLOG_ERROR':
      // A keyless signature without a log entry is not merely unchecked: nothing proves it was made
      // while its 10-minute certificate was valid, and cosign refuses it (issue #16 item 6).
      return untrusted('TLOG_MISSING', `no transparency-log entry proves the signing time: ${text}`);
    case 'CERTIFICATE_ERROR':
      return /SCT/i.test(text)
        ? untrusted('SCT_INVALID', `certificate transparency check failed: ${text}`)
        : untrusted(
            'CHAIN_UNTRUSTED',
            `the certificate does not chain to a trusted CA at the signing time: ${text}`,
          );
    case 'PUBLIC_KEY_ERROR':
      return untrusted('KEY_NOT_TRUSTED', text);
    case 'TIMESTAMP_ERROR':
      return /expected \d+ timestamps, got 0/.test(err.message)
        ? untrusted(
            'TLOG_MISSING',
            `no Rekor entry or RFC 3161 timestamp proves the signing time (--at does not stand in for one): ${text}`,
          )
        : untrusted('TIMESTAMP_UNTRUSTED', `timestamp check failed: ${text}`);
    default:
      return invalid('SIGSTORE_VERIFY_FAILED', text);
  }
}

function message(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

/**
 * The verdict for a Sigstore failure when the signature also has no Rekor entry and no waiver
 * (`missing`, from tlogMissing). cosign checks the log before the certificate (pkg/cosign/verify.go
 * verifyInternal: no Rekor bundle and --offline fails before any chain or SCT check), so the missing
 * entry is the refusal; sigstore-js checks timestamps and SCTs first, whose failure is kept in the
 * message. Proof of tampering (an `invalid` verdict) still wins.
 */
export function tlogFirst(missing: Verdict | undefined, failure: Verdict): Verdict {
  if (!missing || failure.status === 'invalid') return failure;
  return { ...missing, message: `${missing.message} (sigstore: ${failure.message})` };
}
