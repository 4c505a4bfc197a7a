import { constants, createHash, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';

import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

import { parseTimeStampToken } from '../../formats/cms.js';
import { oidName, toArrayBuffer } from '../../formats/der.js';
import { NotaryHeader } from '../../formats/notation/common.js';
import { parseNotationPayload } from '../../formats/notation/payload.js';
import { equalBytes } from '../../formats/der-reader.js';
import { parseCertificate, type ParsedCertificate } from '../../formats/x509.js';
import type { Target, Verdict } from '../../model/index.js';
import { checkPathRevocation, type RevocationOptions } from '../revocation/check.js';
import { verifyTimestamp } from '../timestamp.js';
import { invalid, untrusted, unverified, verified } from '../verdicts.js';
import { selfSigned, storeLabel, type NotationTrustStore } from './truststore.js';
import {
  identityMatches,
  type CheckAction,
  type CheckName,
  type TrustPolicyStatement,
  type TrustStoreRef,
} from './trustpolicy.js';

/**
 * The Notary Project verification of formats.md §3.5, in notation-go's order: integrity (algorithm from
 * the leaf key, signature, critical headers, payload target, certificate chain and profile), then, under
 * the selected trust policy statement, authenticity (trust store anchor, trusted identities), the
 * authentic timestamp, expiry and revocation, each enforced, logged or skipped as the policy says.
 *
 * Chain structure and the certificate profile (§3.5 items 7 and 8) are checked with integrity, as
 * notation-core-go does (envelope `Verify` → `ValidateCodeSigningCertChain`): a chain that is broken or
 * breaks the profile is `invalid` and no policy level can turn that into a logged warning. Only the
 * anchoring in a trust store and the identity match are "authenticity" (`untrusted` when they fail).
 */

/** What the detector hands over (NotationMaterial) plus the protected-header facts. */
export interface NotationSignatureInput {
  alg: string;
  signedBytes: Uint8Array;
  signature: Uint8Array;
  /** Leaf first, as in the envelope. */
  certificatesDer: Uint8Array[];
  timestampTokenDer?: Uint8Array;
  payloadBytes: Uint8Array;
  signingScheme?: string;
  crit?: string[];
  expiry?: Date;
  authenticSigningTime?: Date;
}

/** Stable verdict codes of the notation verifier. */
export const NotationCode = {
  verified: 'VERIFIED',
  verifiedWithLoggedFailures: 'VERIFIED_WITH_LOGGED_FAILURES',
  malformedCertificate: 'CERT_MALFORMED',
  keyUnsupported: 'KEY_UNSUPPORTED',
  algMismatch: 'ALG_MISMATCH',
  signatureInvalid: 'SIGNATURE_INVALID',
  critUnknown: 'CRIT_UNKNOWN',
  schemeUnknown: 'SIGNING_SCHEME_UNKNOWN',
  pluginRequired: 'VERIFICATION_PLUGIN_REQUIRED',
  payloadInvalid: 'PAYLOAD_INVALID',
  targetMismatch: 'TARGET_MISMATCH',
  chainIncomplete: 'CHAIN_INCOMPLETE',
  chainInvalid: 'CHAIN_INVALID',
  profileViolation: 'CERT_PROFILE_VIOLATION',
  chainUntrusted: 'CHAIN_UNTRUSTED',
  identityNotTrusted: 'IDENTITY_NOT_TRUSTED',
  certExpired: 'CERT_EXPIRED',
  certNotYetValid: 'CERT_NOT_YET_VALID',
  timestampMissing: 'TIMESTAMP_MISSING',
  timestampInvalid: 'TIMESTAMP_INVALID',
  timestampUntrusted: 'TIMESTAMP_UNTRUSTED',
  timestampOutsideValidity: 'TIMESTAMP_OUTSIDE_VALIDITY',
  signingTimeOutsideValidity: 'SIGNING_TIME_OUTSIDE_VALIDITY',
  signatureExpired: 'SIGNATURE_EXPIRED',
  noTrustRoot: 'NO_TRUST_ROOT',
  noPolicyForScope: 'NO_POLICY_FOR_SCOPE',
  policySkip: 'POLICY_SKIP',
} as const;

export interface CheckOutcome {
  check: CheckName;
  action: CheckAction;
  ok: boolean;
  code: string;
  message: string;
  /** The authentic signing time a passing authenticTimestamp check established. */
  signingTime?: Date;
}

export interface IntegrityResult {
  ok: boolean;
  /** When !ok: the verdict (invalid, or unverified for a plugin-only signature). */
  verdict?: Verdict;
  chain?: ParsedCertificate[];
}

const HASH_OF: Record<string, { hash: string; length: number }> = {
  PS256: { hash: 'sha256', length: 32 },
  PS384: { hash: 'sha384', length: 48 },
  PS512: { hash: 'sha512', length: 64 },
  ES256: { hash: 'sha256', length: 32 },
  ES384: { hash: 'sha384', length: 48 },
  ES512: { hash: 'sha512', length: 64 },
};
const UNDERSTOOD_CRIT = new Set<string>([
  NotaryHeader.signingScheme,
  NotaryHeader.authenticSigningTime,
  NotaryHeader.expiry,
]);
const PLUGIN_CRIT = new Set<string>([
  NotaryHeader.verificationPlugin,
  NotaryHeader.verificationPluginMinVersion,
]);
const SCHEMES = ['notary.x509', 'notary.x509.signingAuthority'];

/** §3.5 items 3–8: everything that does not depend on the trust policy. */
export async function checkIntegrity(
  input: NotationSignatureInput,
  target: Target,
): Promise<IntegrityResult> {
  const bad = (code: string, message: string): IntegrityResult => ({
    ok: false,
    verdict: invalid(code, message),
  });
  let chain: ParsedCertificate[];
  try {
    if (input.certificatesDer.length === 0) throw new Error('the envelope carries no certificate');
    chain = input.certificatesDer.map((der) => parseCertificate(der));
  } catch (err) {
    return bad(
      NotationCode.malformedCertificate,
      `the signing certificate chain cannot be read: ${(err as Error).message}`,
    );
  }
  const leaf = chain[0]!;

  // 3. The algorithm comes from the leaf key; `alg` must name the same one (anti-substitution).
  let key: KeyObject;
  try {
    key = new X509Certificate(leaf.der).publicKey;
  } catch (err) {
    return bad(
      NotationCode.keyUnsupported,
      `the public key of ${leaf.summary.subject} cannot be used: ${(err as Error).message}`,
    );
  }
  const derived = algorithmForKey(key);
  if (!derived.alg) {
    return bad(
      NotationCode.keyUnsupported,
      `the signing key of ${leaf.summary.subject} (${derived.description}) is not one notation signs with (RSA 2048/3072/4096, EC P-256/P-384/P-521)`,
    );
  }
  if (input.alg !== derived.alg) {
    return bad(
      NotationCode.algMismatch,
      `the envelope says ${input.alg} but the signing key of ${leaf.summary.subject} (${derived.description}) means ${derived.alg}; the algorithm may not be substituted`,
    );
  }

  // 4. The signature over the exact signed bytes.
  if (!signatureVerifies(derived.alg, key, input.signedBytes, input.signature)) {
    return bad(
      NotationCode.signatureInvalid,
      `the ${derived.alg} signature does not verify with the key of ${leaf.summary.subject}: the envelope was altered or signed by another key`,
    );
  }

  // 6. Critical headers (the signature covers them, so they are read after it verified).
  const scheme = input.signingScheme;
  if (scheme === undefined || !SCHEMES.includes(scheme)) {
    return bad(
      NotationCode.schemeUnknown,
      `signing scheme ${JSON.stringify(scheme)} is not notary.x509 or notary.x509.signingAuthority`,
    );
  }
  const plugins: string[] = [];
  for (const entry of input.crit ?? []) {
    if (UNDERSTOOD_CRIT.has(entry)) continue;
    if (PLUGIN_CRIT.has(entry)) {
      plugins.push(entry);
      continue;
    }
    return bad(
      NotationCode.critUnknown,
      `the signature marks header ${JSON.stringify(entry)} as critical and sigscan does not understand it`,
    );
  }

  // 5. The payload must describe the artifact being verified.
  let claimed;
  try {
    claimed = parseNotationPayload(input.payloadBytes).targetArtifact;
  } catch (err) {
    return bad(NotationCode.payloadInvalid, `the signed payload cannot be read: ${(err as Error).message}`);
  }
  if (claimed.digest !== target.digest) {
    return bad(
      NotationCode.targetMismatch,
      `the signature covers ${claimed.digest}, not this artifact ${target.digest}`,
    );
  }
  if (target.kind === 'image') {
    if (target.size !== undefined && claimed.size !== target.size) {
      return bad(
        NotationCode.targetMismatch,
        `the signed payload gives size ${claimed.size}, the artifact is ${target.size} bytes`,
      );
    }
    if (target.mediaType && claimed.mediaType !== target.mediaType) {
      return bad(
        NotationCode.targetMismatch,
        `the signed payload gives media type ${claimed.mediaType}, the artifact is ${target.mediaType}`,
      );
    }
  } else if (claimed.size !== target.size) {
    return bad(
      NotationCode.targetMismatch,
      `the signed payload gives size ${claimed.size}, the file is ${target.size} bytes`,
    );
  }

  // 7 (structure). Complete and ordered: each certificate issued by the next, the last a self-signed root.
  const structure = await checkChainStructure(chain);
  if (structure) return bad(structure.code, structure.message);

  // 8. Certificate profile.
  const profile = checkProfile(chain);
  if (profile) return bad(NotationCode.profileViolation, profile);

  if (plugins.length) {
    return {
      ok: false,
      verdict: unverified(
        NotationCode.pluginRequired,
        `the signature is intact but requires a notation verification plugin (${plugins.join(', ')}), which sigscan does not run`,
      ),
    };
  }
  return { ok: true, chain };
}

export interface PolicyRun {
  statement: TrustPolicyStatement;
  /** Where the statement came from, for messages: a trustpolicy file, or the `--trust-root` fallback. */
  source: string;
  stores: (ref: TrustStoreRef) => Promise<NotationTrustStore>;
}

/**
 * The whole verification of one signature under one trust policy statement. Throws only for
 * configuration problems (a missing trust store), which the family verifier reports as errors.
 */
export async function verifyUnderPolicy(
  input: NotationSignatureInput,
  chain: ParsedCertificate[],
  run: PolicyRun,
  now: Date,
  revocation?: RevocationOptions,
): Promise<{ verdict: Verdict; outcomes: CheckOutcome[] }> {
  const { statement } = run;
  const policyText = `trust policy "${statement.name}" (${statement.level}${run.source ? `, ${run.source}` : ''})`;
  if (statement.level === 'skip') {
    return {
      verdict: unverified(
        NotationCode.policySkip,
        `the signature is intact, but ${policyText} skips verification for this repository`,
      ),
      outcomes: [],
    };
  }
  const leaf = chain[0]!;
  const outcomes: CheckOutcome[] = [];
  const logged: CheckOutcome[] = [];
  const steps: Array<[CheckName, () => Promise<Omit<CheckOutcome, 'check' | 'action'>>]> = [
    ['authenticity', () => checkAuthenticity(input, chain, run)],
    ['authenticTimestamp', () => checkAuthenticTimestamp(input, chain, run, now, revocation)],
    ['expiry', async () => checkExpiry(input, now)],
    [
      'revocation',
      async () =>
        checkRevocation(
          chain,
          revocation,
          input.signingScheme === 'notary.x509.signingAuthority' ? input.authenticSigningTime : undefined,
        ),
    ],
  ];
  for (const [check, step] of steps) {
    const action = statement.actions[check];
    if (action === 'skip') continue;
    const outcome: CheckOutcome = { check, action, ...(await step()) };
    outcomes.push(outcome);
    if (outcome.ok) continue;
    if (action === 'log') {
      logged.push(outcome);
      continue;
    }
    return {
      verdict: untrusted(
        outcome.code,
        withLogged(`${outcome.message}; ${check} is enforced by ${policyText}`, logged),
      ),
      outcomes,
    };
  }
  const passed = outcomes.filter((o) => o.ok && o.check !== 'expiry').map((o) => o.message);
  const base = `notation signature by ${leaf.summary.subject} verified under ${policyText}: ${passed.join('; ')}`;
  if (logged.length) {
    return { verdict: verified(NotationCode.verifiedWithLoggedFailures, withLogged(base, logged)), outcomes };
  }
  return { verdict: verified(NotationCode.verified, base), outcomes };
}

function withLogged(message: string, logged: CheckOutcome[]): string {
  if (!logged.length) return message;
  return `${message}; logged but not enforced by the policy: ${logged.map((o) => `${o.check} failed (${o.code}): ${o.message}`).join('; ')}`;
}

type Step = Omit<CheckOutcome, 'check' | 'action'>;

async function checkAuthenticity(
  input: NotationSignatureInput,
  chain: ParsedCertificate[],
  run: PolicyRun,
): Promise<Step> {
  const leaf = chain[0]!;
  const type = input.signingScheme === 'notary.x509.signingAuthority' ? 'signingAuthority' : 'ca';
  const refs = run.statement.trustStores.filter((r) => r.type === type);
  if (refs.length === 0) {
    return {
      ok: false,
      code: NotationCode.chainUntrusted,
      message: `signature valid but trust policy "${run.statement.name}" names no "${type}" trust store for the ${input.signingScheme} signing scheme`,
    };
  }
  const stores = await Promise.all(refs.map((r) => run.stores(r)));
  // notation-core-go VerifyAuthenticity: some certificate of the (already validated) chain must be one of
  // the trust store's certificates, byte for byte.
  let anchor: { store: NotationTrustStore; cert: ParsedCertificate } | undefined;
  for (const cert of chain) {
    for (const store of stores) {
      if (store.certificates.some((t) => t.summary.sha256Fingerprint === cert.summary.sha256Fingerprint)) {
        anchor = { store, cert };
        break;
      }
    }
    if (anchor) break;
  }
  const names = refs.map((r) => `'${storeLabel(r)}'`).join(', ');
  if (!anchor) {
    return {
      ok: false,
      code: NotationCode.chainUntrusted,
      message: `signature valid but signer ${leaf.summary.subject} (root ${chain[chain.length - 1]!.summary.subject}) is not in trust store ${names}`,
    };
  }
  const identities = run.statement.trustedIdentities;
  if (identities !== 'any') {
    // notation-go (verifier/verifier.go, verifyX509TrustedIdentities) parses the leaf subject with
    // internal/pkix ParseDistinguishedName, which fails on a multi-valued RDN and on an attribute type
    // that appears twice, and then matches with IsSubsetDN over single-valued attributes. Go's
    // pkix.Name.String() writes two O= values as one multi-valued RDN "O=a+O=b"; it flattens a
    // multi-valued RDN of distinct types, which we refuse all the same (where readers may differ, refuse).
    const refused = leafSubjectRefusal(leaf.cert.subject);
    if (refused) {
      return {
        ok: false,
        code: NotationCode.identityNotTrusted,
        message: `signature valid and anchored in '${storeLabel(anchor.store)}', but signer ${leaf.summary.subject} cannot be matched against trusted identities: ${refused}`,
      };
    }
    const subject = subjectAttributes(leaf.cert.subject);
    if (!identities.some((id) => identityMatches(id, subject))) {
      return {
        ok: false,
        code: NotationCode.identityNotTrusted,
        message: `signature valid and anchored in '${storeLabel(anchor.store)}', but signer ${leaf.summary.subject} matches none of the trusted identities of policy "${run.statement.name}" (${identities.map((i) => i.raw).join('; ')})`,
      };
    }
  }
  return {
    ok: true,
    code: 'AUTHENTIC',
    message: `chain anchored by ${anchor.cert.summary.subject} in trust store '${storeLabel(anchor.store)}'`,
  };
}

async function checkAuthenticTimestamp(
  input: NotationSignatureInput,
  chain: ParsedCertificate[],
  run: PolicyRun,
  now: Date,
  revocation: RevocationOptions | undefined,
): Promise<Step> {
  if (input.signingScheme === 'notary.x509.signingAuthority') {
    const at = input.authenticSigningTime;
    if (!at) {
      return {
        ok: false,
        code: NotationCode.signingTimeOutsideValidity,
        message: 'the signing-authority signature has no authentic signing time',
      };
    }
    for (const c of chain) {
      if (at < c.cert.notBefore.value || at > c.cert.notAfter.value) {
        return {
          ok: false,
          code: NotationCode.signingTimeOutsideValidity,
          message: `certificate ${c.summary.subject} (valid ${c.summary.notBefore} to ${c.summary.notAfter}) was not valid at the authentic signing time ${at.toISOString()}`,
        };
      }
    }
    return {
      ok: true,
      code: 'SIGNING_TIME_VALID',
      message: `the chain was valid at the authentic signing time ${at.toISOString()}`,
      signingTime: at,
    };
  }

  // notary.x509 (notation-go verifyTimestamp): a timestamp is required only when the policy names a tsa
  // store, and with afterCertExpiry only once a chain certificate has expired. Otherwise "now" must lie
  // within every certificate's validity.
  const tsaRefs = run.statement.trustStores.filter((r) => r.type === 'tsa');
  let reason: string | undefined;
  if (tsaRefs.length === 0) reason = 'the policy names no tsa trust store';
  else if (
    run.statement.verifyTimestamp === 'afterCertExpiry' &&
    !chain.some((c) => now > c.cert.notAfter.value)
  ) {
    reason = 'verifyTimestamp is afterCertExpiry and no certificate has expired';
  }
  if (reason) {
    for (const c of chain) {
      if (now < c.cert.notBefore.value) {
        return {
          ok: false,
          code: NotationCode.certNotYetValid,
          message: `certificate ${c.summary.subject} is not valid before ${c.summary.notBefore} (verification time ${now.toISOString()}; no timestamp was checked because ${reason})`,
        };
      }
      if (now > c.cert.notAfter.value) {
        return {
          ok: false,
          code: NotationCode.certExpired,
          message: `certificate ${c.summary.subject} expired on ${c.summary.notAfter} (verification time ${now.toISOString()}; no timestamp was checked because ${reason})`,
        };
      }
    }
    return {
      ok: true,
      code: 'CERTS_VALID_NOW',
      message: `the chain is valid at ${now.toISOString()} (${reason})`,
    };
  }

  if (!input.timestampTokenDer) {
    return {
      ok: false,
      code: NotationCode.timestampMissing,
      message: `the policy requires an RFC 3161 timestamp (verifyTimestamp ${run.statement.verifyTimestamp}) and the envelope has none`,
    };
  }
  const stores = await Promise.all(tsaRefs.map((r) => run.stores(r)));
  const tsaRoots = stores.flatMap((s) => s.certificates);
  const ts = await verifyTimestamp({
    tokenDer: input.timestampTokenDer,
    stampedBytes: input.signature,
    tsaRoots,
  });
  if (!ts.ok) {
    return {
      ok: false,
      code: NotationCode.timestampInvalid,
      message: `the timestamp countersignature is invalid: ${ts.message}`,
    };
  }
  const storeNames = tsaRefs.map((r) => `'${storeLabel(r)}'`).join(', ');
  if (!ts.trusted) {
    return {
      ok: false,
      code: NotationCode.timestampUntrusted,
      message: `the timestamp is intact but not trusted by ${storeNames}: ${ts.message}`,
    };
  }
  const tsaProblem =
    signingCertificateProblem(input.timestampTokenDer, ts.tsa) ??
    tsaProfileProblem(ts.tsa) ??
    (await tsaChainProblem(ts.path ?? []));
  if (tsaProblem) return { ok: false, code: NotationCode.timestampUntrusted, message: tsaProblem };
  const genTime = ts.time!;
  const accuracyMs = timestampAccuracyMs(input.timestampTokenDer);
  const earliest = new Date(genTime.getTime() - accuracyMs);
  const latest = new Date(genTime.getTime() + accuracyMs);
  for (const c of chain) {
    if (earliest < c.cert.notBefore.value) {
      return {
        ok: false,
        code: NotationCode.timestampOutsideValidity,
        message: `the timestamp (${genTime.toISOString()} ±${accuracyMs / 1000}s) can be before certificate ${c.summary.subject} became valid on ${c.summary.notBefore}`,
      };
    }
    if (latest > c.cert.notAfter.value) {
      return {
        ok: false,
        code: NotationCode.timestampOutsideValidity,
        message: `the timestamp (${genTime.toISOString()} ±${accuracyMs / 1000}s) can be after certificate ${c.summary.subject} expired on ${c.summary.notAfter}`,
      };
    }
  }
  // notation-go verifyTimestamp step 5: the TSA chain's revocation, under the authenticTimestamp check
  // (whatever the policy's revocation action), with no signing time, so any revoked entry fails
  // (notation-core-go ValidateContext); unknown fails too, and as for the signing chain sigscan fails it
  // only once sources were asked (online modes), otherwise it is reported in the message.
  let tsaRevocation = '';
  if (revocation && revocation.mode !== 'off') {
    const { signingTime: _signingTime, ...withoutTime } = revocation;
    const r = await checkRevocation(ts.path ?? [], withoutTime, undefined);
    if (!r.ok) {
      return {
        ok: false,
        code: NotationCode.timestampUntrusted,
        message: `the timestamping chain fails its revocation check: ${r.message}`,
      };
    }
    if (r.code === 'REVOCATION_UNKNOWN') tsaRevocation = `; timestamping chain: ${r.message}`;
  }
  return {
    ok: true,
    code: 'TIMESTAMP_VALID',
    message: `timestamped ${genTime.toISOString()} by ${ts.tsa?.summary.subject ?? 'a trusted TSA'} (${storeNames}), within the chain's validity${tsaRevocation}`,
    signingTime: genTime,
  };
}

/**
 * notation-go verifyRevocation: every certificate of the envelope's chain (root excepted) is checked;
 * revoked fails, and so does unknown once sources were actually consulted (online modes), each under the
 * policy's revocation action (enforce fails the signature, log records it). As in notation-go, only a
 * signing-authority signature's authentic signing time is passed on, and it keeps a revoked certificate
 * only before the entry's invalidityDate (decideNotationRevocation); a notary.x509 signature's RFC 3161
 * time is not a signing time for revocation. Offline without a CRL covering the chain the status is
 * only reported, since nothing was asked.
 */
async function checkRevocation(
  chain: ParsedCertificate[],
  options: RevocationOptions | undefined,
  signingTime: Date | undefined,
): Promise<Step> {
  if (!options || options.mode === 'off') {
    return { ok: true, code: 'REVOCATION_NOT_CHECKED', message: 'revocation (OCSP/CRL) was not checked' };
  }
  const result = await checkPathRevocation(chain, {
    ...options,
    rule: 'notation',
    ...(signingTime ? { signingTime } : {}),
  });
  const consulted = options.mode !== 'offline';
  const ok = result.ok && !(result.code === 'REVOCATION_UNKNOWN' && consulted);
  return { ok, code: result.code, message: result.message };
}

function checkExpiry(input: NotationSignatureInput, now: Date): Step {
  if (input.expiry && now >= input.expiry) {
    return {
      ok: false,
      code: NotationCode.signatureExpired,
      message: `the signature expired on ${input.expiry.toISOString()} (verification time ${now.toISOString()})`,
    };
  }
  return {
    ok: true,
    code: 'NOT_EXPIRED',
    message: input.expiry ? `valid until ${input.expiry.toISOString()}` : 'the signature has no expiry',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Algorithms and keys

export function algorithmForKey(key: KeyObject): { alg?: string; description: string } {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = d?.modulusLength ?? 0;
    const alg = ({ 2048: 'PS256', 3072: 'PS384', 4096: 'PS512' } as Record<number, string>)[bits];
    return { ...(alg ? { alg } : {}), description: `RSA ${bits}` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = d?.namedCurve ?? 'unknown curve';
    const alg = ({ prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' } as Record<string, string>)[
      curve
    ];
    return { ...(alg ? { alg } : {}), description: `EC ${curve}` };
  }
  return { description: key.asymmetricKeyType ?? 'unknown key type' };
}

function signatureVerifies(alg: string, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  const h = HASH_OF[alg]!;
  try {
    if (alg.startsWith('PS')) {
      return cryptoVerify(
        h.hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: h.length },
        signature,
      );
    }
    return cryptoVerify(h.hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Chain structure and certificate profile (§3.5 items 7 and 8)

async function checkChainStructure(
  chain: ParsedCertificate[],
): Promise<{ code: string; message: string } | undefined> {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    let signed = false;
    // notation-core-go isIssuedBy: the issuer Name byte for byte (bytes.Equal(RawSubject, RawIssuer)),
    // not pkijs' case-folding, collating isEqual.
    if (equalBytes(child.issuerDer, parent.subjectDer)) {
      try {
        signed = await child.cert.verify(parent.cert);
      } catch {
        signed = false;
      }
    }
    if (!signed) {
      return {
        code: NotationCode.chainInvalid,
        message: `the certificate chain is not in order or not complete: ${child.summary.subject} is not issued by the next certificate ${parent.summary.subject}`,
      };
    }
  }
  const root = chain[chain.length - 1]!;
  if (!(await selfSigned(root))) {
    return {
      code: NotationCode.chainIncomplete,
      message: `the certificate chain does not end with a root: ${root.summary.subject} is not self-signed (issuer ${root.summary.issuer}); notation requires the full chain in the envelope`,
    };
  }
  return undefined;
}

const KU = {
  digitalSignature: 0x80,
  keyEncipherment: 0x20,
  dataEncipherment: 0x10,
  keyAgreement: 0x08,
  keyCertSign: 0x04,
  cRLSign: 0x02,
  encipherOnly: 0x01,
};
const NON_REPUDIATION = 0x40;
const FORBIDDEN_LEAF_EKU: Record<string, string> = {
  '2.5.29.37.0': 'anyExtendedKeyUsage',
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
  '1.3.6.1.5.5.7.3.4': 'emailProtection',
  '1.3.6.1.5.5.7.3.8': 'timeStamping',
};
const WEAK_SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSASignature',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
};
const SHA1 = '1.3.14.3.2.26';

/** The first profile rule the chain breaks, as a sentence; undefined when it complies. */
export function checkProfile(chain: ParsedCertificate[]): string | undefined {
  for (const [i, c] of chain.entries()) {
    const who = `certificate ${c.summary.subject}`;
    const weak = weakSignature(c.cert);
    if (weak) return `${who} is signed with ${weak}; SHA-1 and weaker are not accepted anywhere in the chain`;
    const keyProblem = keySizeProblem(c);
    if (keyProblem) return `${who}: ${keyProblem}`;
    const bc = ext(c.cert, '2.5.29.19');
    const ku = ext(c.cert, '2.5.29.15');
    const basic = bc?.parsedValue as pkijs.BasicConstraints | undefined;
    if (i === 0) {
      // The leaf (also when it is a lone self-signed certificate).
      if (basic?.cA)
        return `${who} is the signing (leaf) certificate but is marked as a CA (basicConstraints cA=true)`;
      if (!ku)
        return `${who} has no keyUsage extension; the signing certificate needs a critical keyUsage with digitalSignature`;
      if (!ku.critical) return `${who}: the keyUsage extension must be critical`;
      const [b0, b1] = keyUsageBytes(ku);
      if (!(b0 & KU.digitalSignature)) return `${who}: keyUsage lacks digitalSignature`;
      const forbidden = Object.entries(KU)
        .filter(([name, bit]) => name !== 'digitalSignature' && b0 & bit)
        .map(([name]) => name);
      if (b1 & 0x80) forbidden.push('decipherOnly');
      if (forbidden.length)
        return `${who}: keyUsage of a signing certificate may not include ${forbidden.join(', ')}`;
      const eku = ext(c.cert, '2.5.29.37')?.parsedValue as pkijs.ExtKeyUsage | undefined;
      const bad = (eku?.keyPurposes ?? [])
        .filter((p) => FORBIDDEN_LEAF_EKU[p])
        .map((p) => FORBIDDEN_LEAF_EKU[p]);
      if (bad.length)
        return `${who}: extendedKeyUsage ${bad.join(', ')} is not allowed for a code-signing certificate`;
    } else {
      if (!bc || !basic) return `${who} is used as a CA but has no basicConstraints extension`;
      if (!bc.critical) return `${who}: the basicConstraints extension of a CA must be critical`;
      if (!basic.cA) return `${who} is used as a CA but basicConstraints says cA=false`;
      const pathLen = pathLenOf(basic);
      // Intermediate CAs between this certificate and the leaf: i - 1.
      if (pathLen !== undefined && i - 1 > pathLen) {
        return `${who} allows at most ${pathLen} intermediate CA(s) below it (pathLenConstraint) but the chain has ${i - 1}`;
      }
      if (!ku) return `${who} is a CA without a keyUsage extension; keyCertSign is required`;
      if (!ku.critical) return `${who}: the keyUsage extension of a CA must be critical`;
      if (!(keyUsageBytes(ku)[0] & KU.keyCertSign)) return `${who} is a CA whose keyUsage lacks keyCertSign`;
    }
  }
  return undefined;
}

function ext(cert: pkijs.Certificate, oid: string): pkijs.Extension | undefined {
  return cert.extensions?.find((e) => e.extnID === oid);
}

function keyUsageBytes(ku: pkijs.Extension): [number, number] {
  const bits = ku.parsedValue as asn1js.BitString | undefined;
  const view = bits?.valueBlock.valueHexView ?? new Uint8Array();
  return [view[0] ?? 0, view[1] ?? 0];
}

function pathLenOf(basic: pkijs.BasicConstraints): number | undefined {
  const p = basic.pathLenConstraint;
  if (p === undefined) return undefined;
  if (typeof p === 'number') return p;
  return p.valueBlock.valueDec;
}

function weakSignature(cert: pkijs.Certificate): string | undefined {
  const oid = cert.signatureAlgorithm.algorithmId;
  if (WEAK_SIGNATURE_OIDS[oid]) return WEAK_SIGNATURE_OIDS[oid];
  if (oid === '1.2.840.113549.1.1.10') {
    // RSASSA-PSS parameters default to SHA-1 when absent.
    try {
      const params = new pkijs.RSASSAPSSParams({ schema: cert.signatureAlgorithm.algorithmParams });
      if (params.hashAlgorithm.algorithmId === SHA1) return 'RSASSA-PSS with SHA-1';
    } catch {
      return 'RSASSA-PSS with unreadable parameters';
    }
  }
  return undefined;
}

function keySizeProblem(c: ParsedCertificate): string | undefined {
  let key: KeyObject;
  try {
    key = new X509Certificate(c.der).publicKey;
  } catch (err) {
    return `its public key cannot be read (${(err as Error).message})`;
  }
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
    if ((d?.modulusLength ?? 0) < 2048)
      return `RSA key of ${d?.modulusLength ?? 0} bits is shorter than 2048`;
    return undefined;
  }
  if (key.asymmetricKeyType === 'ec') {
    if (!['prime256v1', 'secp384r1', 'secp521r1'].includes(d?.namedCurve ?? '')) {
      return `EC curve ${d?.namedCurve ?? 'unknown'} is not P-256, P-384 or P-521`;
    }
    return undefined;
  }
  return `${key.asymmetricKeyType ?? 'unknown'} keys are not allowed (RSA or EC only)`;
}

/**
 * notation-core-go ExtractKeySpec (via validateSignatureAlgorithm on the TSA certificate): RSA of exactly
 * 2048, 3072 or 4096 bits (Go counts the modulus in whole bytes) or EC on P-256, P-384 or P-521; any other
 * key, RSASSA-PSS keys included (Go does not parse them), is refused. Stricter than keySizeProblem's
 * RSA >= 2048, which stays as it is for the signing chain.
 */
function tsaKeySpecProblem(c: ParsedCertificate): string | undefined {
  let key: KeyObject;
  try {
    key = new X509Certificate(c.der).publicKey;
  } catch (err) {
    return `its public key cannot be read (${(err as Error).message})`;
  }
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = Math.ceil((d?.modulusLength ?? 0) / 8) * 8;
    if (![2048, 3072, 4096].includes(bits)) return `RSA key of ${bits} bits is not 2048, 3072 or 4096`;
    return undefined;
  }
  if (key.asymmetricKeyType === 'ec') return keySizeProblem(c);
  return `${key.asymmetricKeyType ?? 'unknown'} keys are not allowed (RSA or EC only)`;
}

// ---------------------------------------------------------------------------------------------------------
// Timestamp helpers

/** The TSA certificate needs a critical EKU that is timeStamping only (notation / RFC 3161 §2.3). */
function tsaProfileProblem(tsa: ParsedCertificate | undefined): string | undefined {
  if (!tsa) return 'the timestamp has no TSA certificate';
  const eku = ext(tsa.cert, '2.5.29.37');
  const purposes = (eku?.parsedValue as pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  if (!eku || !eku.critical || purposes.length !== 1 || purposes[0] !== '1.3.6.1.5.5.7.3.8') {
    return `the TSA certificate ${tsa.summary.subject} must carry a critical extendedKeyUsage of timeStamping only (has ${eku ? `${eku.critical ? 'critical' : 'non-critical'} ${purposes.map(oidName).join(', ')}` : 'none'})`;
  }
  return undefined;
}

const SIGNING_CERTIFICATE_V2 = '1.2.840.113549.1.9.16.2.47';
const ESS_HASHES: Record<string, string> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/**
 * tspclient-go SignedToken.SigningCertificate (RFC 5816, RFC 5035): the token's signer must name its
 * certificate in a signed ESS signingCertificateV2 attribute (v1 signingCertificate is not read), whose
 * first ESSCertIDv2 hashes it with SHA-256 (the default), SHA-384 or SHA-512. Without it an attacker
 * holding another certificate for the TSA's key could swap the unsigned sid. verifyTimestamp (shared
 * with Authenticode and JAR, whose verifiers do not ask for it) picked the certificate by sid; the
 * attribute must name that same one: by its issuerSerial when present, else by the sid itself, as
 * tspclient-go does.
 */
function signingCertificateProblem(
  tokenDer: Uint8Array,
  tsa: ParsedCertificate | undefined,
): string | undefined {
  const signer = parseTimeStampToken(tokenDer).signer;
  const attr = signer?.signerInfo.signedAttrs?.attributes.find((a) => a.type === SIGNING_CERTIFICATE_V2);
  if (!tsa || !attr?.values[0]) {
    return 'the timestamp token has no signed signingCertificateV2 attribute naming its TSA certificate (RFC 5816)';
  }
  const v = attr.values[0];
  const certId = essCertId(v.bytes.subarray(v.start, v.end));
  if (typeof certId === 'string') return `the timestamp token's signingCertificateV2 attribute ${certId}`;
  if (!certId.hash) {
    return `the timestamp token's signingCertificateV2 attribute hashes with unsupported ${oidName(certId.hashOid)}`;
  }
  if (certId.issuerSerial && !Buffer.from(certId.issuerSerial).equals(Buffer.from(issuerSerialOf(tsa)))) {
    return `the timestamp token's signingCertificateV2 attribute names a certificate other than its signer ${tsa.summary.subject}`;
  }
  if (!createHash(certId.hash).update(tsa.der).digest().equals(Buffer.from(certId.certHash))) {
    return `the timestamp token's signingCertificateV2 hash does not match its signer ${tsa.summary.subject}`;
  }
  return undefined;
}

interface EssCertId {
  hashOid: string;
  hash?: string;
  certHash: Uint8Array;
  /** DER of [issuer Name, serialNumber INTEGER] when the ESSCertIDv2 carries issuerSerial. */
  issuerSerial?: Uint8Array;
}

/** The first ESSCertIDv2 of a SigningCertificateV2 value, or why it cannot be read. */
function essCertId(der: Uint8Array): EssCertId | string {
  const parsed = asn1js.fromBER(toArrayBuffer(new Uint8Array(der)));
  // SigningCertificateV2 and its certs are SEQUENCEs: tspclient-go unmarshals them with encoding/asn1,
  // which refuses any other tag (a SET there read the same to asn1js).
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return 'lists no ESSCertIDv2';
  const certs = parsed.result.valueBlock.value[0];
  const first = certs instanceof asn1js.Sequence ? certs.valueBlock.value[0] : undefined;
  if (!(first instanceof asn1js.Sequence)) return 'lists no ESSCertIDv2';
  const parts = [...first.valueBlock.value];
  let hashOid = '2.16.840.1.101.3.4.2.1';
  if (parts[0] instanceof asn1js.Sequence) {
    const oid = (parts.shift() as asn1js.Sequence).valueBlock.value[0];
    if (!(oid instanceof asn1js.ObjectIdentifier)) return 'has an unreadable hashAlgorithm';
    hashOid = oid.valueBlock.toString();
  }
  const certHash = parts[0];
  if (!(certHash instanceof asn1js.OctetString)) return 'has no certHash';
  const issuerSerial = parts[1] as asn1js.Sequence | undefined;
  let serialDer: Uint8Array | undefined;
  if (issuerSerial) {
    // IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber }; tspclient-go reads only a
    // directoryName [4] (EXPLICIT Name) as the issuer.
    const [names, serial] = issuerSerial.valueBlock.value ?? [];
    const dn = (names as asn1js.Sequence | undefined)?.valueBlock?.value?.[0] as
      asn1js.Constructed | undefined;
    const name =
      dn?.idBlock.tagClass === 3 && dn.idBlock.tagNumber === 4 ? dn.valueBlock.value[0] : undefined;
    if (!name || !(serial instanceof asn1js.Integer))
      return 'has an issuerSerial without a directoryName issuer';
    serialDer = new Uint8Array([...new Uint8Array(name.toBER()), ...new Uint8Array(serial.toBER())]);
  }
  return {
    hashOid,
    ...(ESS_HASHES[hashOid] ? { hash: ESS_HASHES[hashOid] } : {}),
    certHash: certHash.valueBlock.valueHexView,
    ...(serialDer ? { issuerSerial: serialDer } : {}),
  };
}

/** The certificate's issuer Name and serialNumber INTEGER, DER, for comparing with an IssuerSerial. */
function issuerSerialOf(c: ParsedCertificate): Uint8Array {
  return new Uint8Array([
    ...new Uint8Array(c.cert.issuer.toSchema().toBER()),
    ...new Uint8Array(c.cert.serialNumber.toBER()),
  ]);
}

/**
 * notation-core-go ValidateTimestampingCertChain on the validated TSA path (TSA certificate first): the
 * TSA certificate is no CA and has a keyUsage extension (critical or not) with digitalSignature and no
 * other usage but nonRepudiation; every CA above it (the trust anchor included) has basicConstraints
 * cA=true, a pathLenConstraint that allows the CAs below it, and a keyUsage with keyCertSign.
 * verifyTimestamp's chain check (shared with Authenticode and JAR) lets an X.509 v1 anchor issue and a
 * CA without keyUsage sign, as OpenSSL does, and does not look at the TSA certificate's keyUsage.
 * The path must also end in a self-signed root (a lone TSA certificate included): verifyTimestamp stops
 * at the first trusted certificate, so a tsa store holding an intermediate or the TSA certificate itself
 * gives a path notation-go refuses (isSelfSigned on the last certificate). And the TSA certificate's key
 * must be one notation signs with (validateSignatureAlgorithm, tsaKeySpecProblem).
 */
async function tsaChainProblem(path: ParsedCertificate[]): Promise<string | undefined> {
  const last = path[path.length - 1];
  if (last && !(await selfSigned(last))) {
    return `the TSA chain ends at ${last.summary.subject}, which is not self-signed; notation requires a self-signed TSA root`;
  }
  for (const [i, c] of path.entries()) {
    const who = `the TSA chain certificate ${c.summary.subject}`;
    const basic = ext(c.cert, '2.5.29.19')?.parsedValue as pkijs.BasicConstraints | undefined;
    const ku = ext(c.cert, '2.5.29.15');
    if (i === 0) {
      if (basic?.cA) return `${who} is the TSA certificate but is marked as a CA (basicConstraints cA=true)`;
      if (!ku) return `${who} has no keyUsage extension`;
      const [b0, b1] = keyUsageBytes(ku);
      if (!(b0 & KU.digitalSignature)) return `${who}: keyUsage lacks digitalSignature`;
      if (b0 & ~(KU.digitalSignature | NON_REPUDIATION) || b1 & 0x80) {
        return `${who}: keyUsage of a TSA certificate may be digitalSignature (and nonRepudiation) only`;
      }
      const keyProblem = tsaKeySpecProblem(c);
      if (keyProblem) return `${who}: ${keyProblem}`;
    } else {
      // pathLenConstraint, and keyCertSign when keyUsage is present, validateChain has already enforced.
      if (!basic?.cA) return `${who} is used as a CA but basicConstraints does not say cA=true`;
      if (!ku) return `${who} has no keyUsage extension`;
    }
  }
  return undefined;
}

const BASELINE_TSA_POLICY = '0.4.0.2023.1.1';

/** TSTInfo accuracy in ms; 1 s under the RFC 3628 baseline policy when absent or zero, else 0 (§3.5). */
export function timestampAccuracyMs(tokenDer: Uint8Array): number {
  try {
    const content = parseTimeStampToken(tokenDer).content;
    if (!content) return 0;
    const tst = pkijs.TSTInfo.fromBER(toArrayBuffer(content));
    const a = tst.accuracy;
    const ms = (a?.seconds ?? 0) * 1000 + (a?.millis ?? 0) + Math.ceil((a?.micros ?? 0) / 1000);
    // tspclient-go (TSTInfo.Validate) takes 1 s whenever the accuracy adds up to zero under the baseline
    // policy, an Accuracy of explicit zeros included: reading that as 0 would accept a stamp notation-go
    // finds too close to a certificate's validity bound.
    if (ms === 0 && tst.policy === BASELINE_TSA_POLICY) return 1000;
    return ms;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Subject attributes for trustedIdentities

const ATTRIBUTE_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.8': 'ST',
  '2.5.4.7': 'L',
  '2.5.4.9': 'STREET',
  '2.5.4.17': 'POSTALCODE',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
  '2.5.4.5': 'SERIALNUMBER',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
};

/** The attribute types Go's pkix.RDNSequence.String() names; any other it writes as `<oid>=#<hex>`. */
const GO_NAMED_ATTRIBUTES = new Set([
  'C',
  'ST',
  'L',
  'STREET',
  'POSTALCODE',
  'O',
  'OU',
  'CN',
  'SERIALNUMBER',
]);

/**
 * Why notation-go would not match this leaf subject against any trusted identity, or undefined. It
 * parses `leafCert.Subject.String()` with internal/pkix ParseDistinguishedName
 * (verifier/verifier.go, verifyX509TrustedIdentities), which fails, and so matches nothing, when:
 * - the string contains "=#": Go writes every attribute outside its short names (emailAddress, UID,
 *   DC...) as `<oid>=#<hex>`, and a value may itself contain "=#";
 * - an RDN is multi-valued: Go writes a repeated type (two O=) as one RDN "O=a+O=b"; a multi-valued RDN
 *   of distinct types Go flattens, and we refuse it all the same (readers differ there);
 * - an attribute type appears twice;
 * - C, ST or O is missing.
 */
export function leafSubjectRefusal(name: pkijs.RelativeDistinguishedNames): string | undefined {
  const raw = name.valueBeforeDecode;
  if (raw && raw.byteLength) {
    const parsed = asn1js.fromBER(raw);
    const rdns = (parsed.result as asn1js.Sequence).valueBlock?.value ?? [];
    for (const rdn of rdns) {
      const count = (rdn as asn1js.Set).valueBlock?.value?.length ?? 0;
      if (count > 1) return 'its subject has a multi-valued RDN, which notation does not match';
    }
  }
  const seen = new Set<string>();
  for (const atv of name.typesAndValues) {
    const key = ATTRIBUTE_NAMES[atv.type] ?? atv.type;
    if (!GO_NAMED_ATTRIBUTES.has(key)) {
      return `its subject holds ${key}, which notation-go reads as "=#" hex and refuses`;
    }
    const block = (atv.value as { valueBlock?: { value?: unknown } }).valueBlock;
    if (typeof block?.value === 'string' && block.value.includes('=#')) {
      return `its subject's ${key} value contains "=#", which notation refuses`;
    }
    if (seen.has(key)) return `its subject repeats ${key}, which notation does not match`;
    seen.add(key);
  }
  const missing = ['C', 'ST', 'O'].filter((k) => !seen.has(k));
  if (missing.length) return `its subject lacks ${missing.join(', ')}, which notation requires`;
  return undefined;
}

export function subjectAttributes(name: pkijs.RelativeDistinguishedNames): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const atv of name.typesAndValues) {
    const key = ATTRIBUTE_NAMES[atv.type] ?? atv.type;
    const block = (atv.value as { valueBlock?: { value?: unknown } }).valueBlock;
    const value = block && typeof block.value === 'string' ? block.value : String(atv.value);
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}
