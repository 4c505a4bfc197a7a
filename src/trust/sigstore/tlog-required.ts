import type { KeyObject } from 'node:crypto';

import type { Bundle } from '@sigstore/bundle';
import type * as pkijs from 'pkijs';

import type { RekorBundle } from '../../formats/cosign/index.js';
import type { Verdict } from '../../model/index.js';
import type { TrustConfig } from '../config.js';
import { invalid, untrusted, unverified } from '../verdicts.js';
import { rekorEntryNamesSigner } from './cosign-bundle.js';
import type { LoadedTrustedRoot } from './trusted-root.js';
import { keylessVerdict } from './identity.js';
import { runSigstore, tlogFirst, type SigstoreRun } from './run.js';

/** What a verdict says when `--insecure-ignore-tlog` is all that let a signature without a log entry through. */
export const TLOG_NOT_REQUIRED = 'transparency log not required (--insecure-ignore-tlog)';

/**
 * The transparency-log requirement for signatures whose signer is trusted without Sigstore's CAs: a
 * supplied `--key`, or a certificate chaining to a private `--trust-root`. cosign 2.x refuses both
 * without a verified Rekor entry (pkg/cosign/verify.go, verifyInternal: unless `co.IgnoreTlog`, a
 * signature without a Rekor bundle must be found in Rekor online, and `--offline` fails it), so a
 * signature stripped of its Rekor bundle, or never logged, does not stay `verified` here either.
 * Returns undefined when the requirement is met or waived.
 */
export function tlogMissing(config: TrustConfig, what: string): Verdict | undefined {
  if (config.insecureIgnoreTlog) return undefined;
  return untrusted(
    'TLOG_MISSING',
    `${what}, but carries no transparency-log (Rekor) entry, which cosign requires; pass --insecure-ignore-tlog to accept it without one`,
  );
}

/**
 * A keyless cosign `.sig` or `.att` through `--trusted-root`. An RFC 3161 timestamp dates it but does not
 * log it: cosign 2.5 wants the Rekor entry as well unless --insecure-ignore-tlog (pkg/cosign/verify.go
 * verifyInternal: without a Rekor bundle it must look the entry up online, and --offline fails). And as
 * cosign checks the log before the certificate, a missing entry is the reason given, unless sigstore
 * found the signature invalid.
 */
export function keylessThroughTrustedRoot(
  run: Omit<SigstoreRun, 'options'>,
  opts: {
    config: TrustConfig;
    logged: boolean;
    leaf: pkijs.Certificate;
    what: 'signature' | 'attestation';
    signer: { sans: string[]; oidc?: string; who: string };
    /** How the signature verifies, for the TLOG_MISSING message. */
    verifies: string;
  },
): { verdict: Verdict; ok: boolean } {
  const { config, logged } = opts;
  const outcome = runSigstore({
    ...run,
    options: {
      tlogThreshold: logged || !config.insecureIgnoreTlog ? 1 : 0,
      ctlogThreshold: 1,
      timestampThreshold: 1,
    },
  });
  if (outcome.ok) {
    const verdict = keylessVerdict(config, opts.leaf, opts.what, opts.signer, outcome);
    // Only the waiver let it through without a log entry: say so, as the key paths do.
    return {
      ok: true,
      verdict:
        logged || !config.insecureIgnoreTlog || verdict.status !== 'verified'
          ? verdict
          : { ...verdict, message: `${verdict.message}; ${TLOG_NOT_REQUIRED}` },
    };
  }
  return {
    ok: false,
    verdict: tlogFirst(logged ? undefined : tlogMissing(config, opts.verifies), outcome.verdict),
  };
}

/**
 * The Rekor bundle of a `.sig` or `.att` layer whose signer is trusted another way (a key, a private
 * CA): SET checked with the trusted roots' log keys, entry against the signed bytes, and the entry must
 * record this very signer. Undefined when it holds; `bundle` carries the layer with its Rekor entry.
 */
export function checkRekorEntry(
  rekor: RekorBundle,
  run: { bundle: Bundle; artifact?: Uint8Array; roots: readonly LoadedTrustedRoot[] },
  signer: { certificateDer?: Uint8Array; key: KeyObject },
  what: 'signature' | 'attestation',
): Verdict | undefined {
  if (!run.roots.length) {
    return unverified(
      'TLOG_UNCHECKED',
      `the ${what} carries Rekor entry ${rekor.logIndex}, which cannot be checked without --trusted-root`,
    );
  }
  if (!rekorEntryNamesSigner(rekor, signer)) {
    return invalid(
      'TLOG_ENTRY_MISMATCH',
      `Rekor entry ${rekor.logIndex} records another signer than this ${what}'s`,
    );
  }
  const outcome = runSigstore({
    ...run,
    key: signer.key,
    options: { tlogThreshold: 1, ctlogThreshold: 0, timestampThreshold: 0 },
  });
  return outcome.ok ? undefined : outcome.verdict;
}
