import type { JarEvidenceMaterial } from '../../detectors/jar.js';
import {
  parseSignedData,
  signerTimestamps,
  unsignedAttributeValues,
  type SignedDataInfo,
  type SignerInfoView,
  type TimestampInfo,
} from '../../formats/cms.js';
import type { ParsedCertificate } from '../../formats/x509.js';
import type { Evidence, Verdict } from '../../model/index.js';
import { CODE_SIGNING_EKU } from '../cms-signer.js';
import { verifySignerInfo } from '../cms-verify.js';
import {
  disabledCertpathAlgorithms,
  disabledJarAlgorithms,
  type CertpathCertificate,
} from '../jar-algorithms.js';
import { verifyTimestamp, type TimestampCheck } from '../timestamp.js';
import { invalid, untrusted, unverified, verificationError, verified } from '../verdicts.js';
import type { FamilyVerifier, TrustContext } from '../verifier.js';
import { revocationNote, revokedTimestamp } from '../cms-signer.js';
import { revocationOptions } from '../revocation/options.js';
import { validateChain } from '../x509-chain.js';

const WEAK = new Set(['MD5', 'SHA-1', 'SHA1']);

/**
 * One JAR signature block (one block file), each of its SignerInfos decided the way the JDK 17 decides
 * it, in the order that keeps verdicts honest:
 * 1. the CMS signature over the .SF bytes (bad => `invalid`, even without trust roots);
 * 2. entry coverage (jarsigner -strict fails partially signed jars => `invalid`);
 * 3. the RFC 3161 timestamp's integrity. PKCS #9 countersignatures are ignored: the JDK reads only the
 *    signatureTimeStampToken attribute (sun.security.pkcs.SignerInfo.getTimestamp), so a signer that
 *    expired stays expired however it is countersigned;
 * 4. no trust roots => `unverified`; a present timestamp must validate (jarsigner -strict fails a jar
 *    whose TSA chain it cannot validate; jarsigner checks it against the same truststore as the signer,
 *    so --trust-root counts for this);
 * 5. jdk.jar.disabledAlgorithms (jar-algorithms.ts): "treated as unsigned" there => `untrusted`
 *    WEAK_ALGORITHM, unless --allow-weak-algorithms, which the report then says;
 * 6. the signer chains to config.roots with EKU codeSigning, at the timestamp's time only when the
 *    timestamp counts: its TSA certificate has the timeStamping EKU, chains to --tsa-root and was valid
 *    at the stamped time, and the stamp is not later than the verification time (--at);
 * 7. jdk.certpath.disabledAlgorithms on that path (dated like step 6) and on the TSA path (dated at the
 *    verification time, as jarsigner validates it with no timestamp): `untrusted` WEAK_ALGORITHM naming
 *    the certificate and the rule, with the same --allow-weak-algorithms opt-out.
 * Manifest/.SF digest mismatches were already turned into `invalid` by the evaluator from the detector's
 * integrity findings.
 */
export const jarVerifier: FamilyVerifier = async (evidence, _target, ctx) => {
  const m = evidence.material as JarEvidenceMaterial | undefined;
  if (!m?.blockDer)
    return verificationError('INTERNAL', 'the JAR detector supplied no signature block bytes');
  const info = parseSignedData(m.blockDer);
  const content = m.signatureFileBytes ?? info.content;
  if (!content) {
    return invalid(
      'SIGNATURE_FILE_MISSING',
      `${evidence.location} has no .SF file to check its signature against`,
    );
  }
  if (info.signers.length === 0) {
    return invalid('SIGNER_CERTIFICATE_MISSING', `${evidence.location} holds no SignerInfo`);
  }
  // jarsigner -strict validates every signer the block yields: each SignerInfo that verifies becomes a
  // CodeSigner of every entry it covers, and one untrusted CodeSigner fails the jar. So every SignerInfo
  // is judged, in block order. The first is the one the detector reports (its certificate, digests and
  // timestamp); a trusted second one never stands in for it, and an untrusted second one is not excused by
  // it. Stricter than the JDK in one case, on purpose: a SignerInfo whose signature does not verify is
  // dropped there (PKCS7.verify), and refused here.
  const count = info.signers.length;
  let first: Verdict | undefined;
  for (const [index, signer] of info.signers.entries()) {
    const verdict = await judgeSigner(evidence, m, info, content, signer, ctx);
    if (verdict.status !== 'verified') {
      return count === 1
        ? verdict
        : { ...verdict, message: `SignerInfo ${index + 1} of ${count}: ${verdict.message}` };
    }
    first ??= verdict;
  }
  return count === 1
    ? first!
    : { ...first!, message: `${first!.message}; all ${count} SignerInfos verified` };
};

/** One SignerInfo of the block, decided by the steps above. */
async function judgeSigner(
  evidence: Evidence,
  m: JarEvidenceMaterial,
  info: SignedDataInfo,
  content: Uint8Array,
  signer: SignerInfoView,
  ctx: TrustContext,
): Promise<Verdict> {
  // The path is built from the block's own certificates only, as the JDK's PKCS7 reader does.
  const certificates = info.certificates;
  const what = `JAR signature ${evidence.location}`;
  const weak = new Set<string>(
    ((evidence.details?.['digestAlgorithms'] as string[] | undefined) ?? []).filter((a) =>
      WEAK.has(a.toUpperCase()),
    ),
  );

  const cms = await verifySignerInfo({ signer, content });
  if (cms.weakAlgorithm) weak.add(cms.weakAlgorithm);
  if (!cms.ok) {
    switch (cms.code) {
      case 'SIGNER_CERTIFICATE_MISSING':
        return invalid('SIGNER_CERTIFICATE_MISSING', `the ${what} cannot be checked: ${cms.message}`);
      case 'UNSUPPORTED_ALGORITHM':
        return verificationError('UNSUPPORTED_ALGORITHM', `the ${what} could not be checked: ${cms.message}`);
      default:
        return invalid(cms.code, `the ${what} is invalid: ${cms.message}`);
    }
  }
  const leaf = signer.certificate!;
  const who = leaf.summary.subject || '(empty subject)';

  const coverage = unsignedEntries(evidence);
  if (coverage) return coverage;

  const tokens = unsignedAttributeValues(signer.signerInfo, TIMESTAMP_TOKEN_OID).length;
  if (tokens > 1) {
    return invalid(
      'TIMESTAMP_AMBIGUOUS',
      `the ${what} by ${who} carries ${tokens} RFC 3161 timestamp tokens; the JDK refuses a duplicate or ` +
        'multi-valued signatureTimeStampToken attribute (PKCS9Attributes) and treats the jar as unsigned',
    );
  }
  const stamp = tokens === 1 ? rfc3161Timestamp(signer, certificates) : undefined;
  let ts: TimestampCheck | undefined;
  if (stamp) {
    ts = await verifyTimestamp({
      timestamp: stamp,
      stampedBytes: signer.signatureValue,
      tsaRoots: ctx.config.tsaRoots,
      extraCertificates: certificates,
      revocation: revocationOptions(ctx),
      requiredEkuOnIssuers: false,
    });
    for (const w of ts.weakAlgorithms ?? []) weak.add(w);
    if (!ts.ok && (ts.code === 'TIMESTAMP_IMPRINT_MISMATCH' || ts.code === 'TIMESTAMP_SIGNATURE_INVALID')) {
      return invalid('TIMESTAMP_INVALID', `the ${what} by ${who} carries a broken timestamp: ${ts.message}`);
    }
  }
  const usable = usableStampTime(ts, ctx);
  const at = usable ?? ctx.now;

  if (ctx.config.roots.length === 0) {
    return unverified(
      'NO_TRUST_ROOT',
      `the ${what} by ${who} is cryptographically valid${stampNote(ts, usable)}; ` +
        'no trust root was supplied to decide trust',
    );
  }

  const revokedTsa = revokedTimestamp(ts, what, who);
  if (revokedTsa) return revokedTsa;

  let tsaPath = ts?.ok && ts.trusted ? ts.path : undefined;
  if (ts && !(ts.ok && ts.trusted)) {
    // jarsigner's one truststore: a TSA the code-signing roots anchor passes -strict, but its time does
    // not count (the issue's rule: only --tsa-root makes a timestamp count).
    const strict = await verifyTimestamp({
      timestamp: stamp!,
      stampedBytes: signer.signatureValue,
      tsaRoots: [...ctx.config.tsaRoots, ...ctx.config.roots],
      extraCertificates: certificates,
      requiredEkuOnIssuers: false,
    });
    if (!(strict.ok && strict.trusted)) {
      return untrusted(
        strict.code,
        `signature by ${who} is valid but its timestamp could not be trusted: ${strict.message}`,
      );
    }
    tsaPath = strict.path;
  }

  const disabled = disabledJarAlgorithms(
    {
      digestAlgorithms: m.requiredDigestAlgorithms ?? [],
      signerCertificateDer: leaf.der,
    },
    at,
  );
  let allowedNote = '';
  if (disabled.length > 0) {
    const list = disabled.join(', ');
    if (!ctx.config.allowWeakAlgorithms) {
      return untrusted(
        'WEAK_ALGORITHM',
        `the ${what} by ${who} relies on ${list}, disabled by the JDK's jdk.jar.disabledAlgorithms: ` +
          'jarsigner treats the jar as unsigned (--allow-weak-algorithms accepts it)',
      );
    }
    allowedNote = `; accepted despite ${list} because of --allow-weak-algorithms`;
    allowWeak(evidence, `${evidence.location} relies on ${list}, which the JDK disables`);
  }

  const chain = await validateChain({
    leaf,
    intermediates: certificates,
    anchors: ctx.config.roots,
    at,
    requiredEku: CODE_SIGNING_EKU,
    // The JDK reads the signer's EKU only (sun.security.validator.EndEntityChecker).
    requiredEkuOnIssuers: false,
    revocation: revocationOptions(ctx, usable),
  });
  for (const w of chain.weakAlgorithms) weak.add(w);
  const weakNote = weak.size ? `; weak algorithms: ${[...weak].join(', ')}` : '';
  if (chain.ok) {
    const refused = [
      ...disabledCertpathAlgorithms(certpathView(chain.path!), at),
      ...disabledCertpathAlgorithms(certpathView(tsaPath ?? []), ctx.now).map((r) => `TSA ${r}`),
    ];
    if (refused.length > 0) {
      const list = refused.join('; ');
      if (!ctx.config.allowWeakAlgorithms) {
        return untrusted(
          'WEAK_ALGORITHM',
          `the ${what} by ${who} has a certificate path the JDK's jdk.certpath.disabledAlgorithms refuses: ` +
            `${list}; jarsigner -strict rejects the jar (--allow-weak-algorithms accepts it)`,
        );
      }
      allowedNote += `; accepted despite ${list} because of --allow-weak-algorithms`;
      allowWeak(evidence, `${evidence.location}: ${list}, which the JDK disables`);
    }
    const when = usable ? `at the timestamp ${at.toISOString()}` : `at ${at.toISOString()}`;
    return verified(
      'CHAIN_VALID',
      `${what} by ${who} is valid and chains to trusted ${chain.anchor!.summary.subject} (checked ${when})` +
        `${usable ? '' : stampNote(ts, usable)}${weakNote}${allowedNote}${revocationNote(chain.revocation)}`,
    );
  }
  return chainFailure(chain, who, at, ts, usable, weakNote);
}

/** Records on the signature that --allow-weak-algorithms let a JDK-disabled algorithm through. */
function allowWeak(evidence: Evidence, what: string): void {
  evidence.findings = [
    ...(evidence.findings ?? []),
    {
      code: 'WEAK_ALGORITHM_ALLOWED',
      severity: 'warning',
      message: `${what}; accepted because of --allow-weak-algorithms`,
    },
  ];
}

function certpathView(path: ParsedCertificate[]): CertpathCertificate[] {
  return path.map((c) => ({
    der: c.der,
    signatureOid: c.signatureAlgorithm,
    subject: c.summary.subject || '(empty subject)',
  }));
}

function chainFailure(
  chain: { code: string; message: string },
  who: string,
  at: Date,
  ts: TimestampCheck | undefined,
  usable: Date | undefined,
  weakNote: string,
): Verdict {
  switch (chain.code) {
    case 'CHAIN_UNTRUSTED':
      return untrusted(
        'CHAIN_UNTRUSTED',
        `signature valid but signer ${who} does not chain to a supplied trust root${weakNote}`,
      );
    case 'CERT_EXPIRED':
    case 'CERT_NOT_YET_VALID': {
      const note = !ts
        ? 'the signature has no timestamp (the JDK reads RFC 3161 tokens only, never PKCS #9 countersignatures)'
        : usable
          ? `the timestamp (${usable.toISOString()}) was considered`
          : `a timestamp exists but does not count${stampNote(ts, usable)}`;
      return untrusted(
        chain.code,
        `signature valid but ${chain.message}, checked at ${at.toISOString()}; ${note}${weakNote}`,
      );
    }
    default:
      return untrusted(
        chain.code,
        `signature valid but the chain of ${who} is not acceptable: ${chain.message}`,
      );
  }
}

/**
 * The one place the JDK reads a JAR signer's time: the PKCS #9 signatureTimeStampToken attribute. Its
 * PKCS9Attributes parser fails the whole block on a second such attribute or a second value ("not
 * parsable", jar treated as unsigned), and Microsoft's 1.3.6.1.4.1.311.3.3.1 token is not read at all,
 * so neither may give sigscan a time the JDK would not see.
 */
const TIMESTAMP_TOKEN_OID = '1.2.840.113549.1.9.16.2.14';

/** The RFC 3161 token, if any; PKCS #9 countersignatures are not looked at (the JDK ignores them). */
function rfc3161Timestamp(
  signer: SignerInfoView,
  certificates: ParsedCertificate[],
): TimestampInfo | undefined {
  let stamps: TimestampInfo[];
  try {
    stamps = signerTimestamps(signer, certificates);
  } catch {
    // signerTimestamps also parses countersignatures, which the JDK never reads: a malformed one must
    // not change the verdict. Without it the signer is judged at the verification time.
    return undefined;
  }
  return stamps.find((t) => t.kind === 'rfc3161');
}

/** The stamped time when the timestamp counts (trusted through --tsa-root, not after --at), else undefined. */
function usableStampTime(ts: TimestampCheck | undefined, ctx: TrustContext): Date | undefined {
  if (!ts?.ok || !ts.trusted || !ts.time) return undefined;
  if (ts.time.getTime() > ctx.now.getTime()) return undefined;
  return ts.time;
}

function stampNote(ts: TimestampCheck | undefined, usable: Date | undefined): string {
  if (!ts) return '';
  if (usable) return `; ${ts.message}`;
  if (ts.ok && ts.trusted && ts.time) {
    return `; timestamp not used (${ts.time.toISOString()} is later than the verification time)`;
  }
  return `; timestamp not used (${ts.code}: ${ts.message})`;
}

/**
 * `jarsigner -verify -strict` fails a jar holding entries this signer does not cover. We answer `invalid`
 * (not `untrusted`): trust is about who signed, and here the signer is not the problem; the archive a
 * user would run contains content nobody signed (typically added after signing), so the signature does
 * not vouch for the artifact. The signed part is still checked first, so a forged signature reads as
 * such rather than as a coverage problem.
 */
function unsignedEntries(evidence: Evidence) {
  const count = Number(evidence.details?.['unsignedEntryCount'] ?? 0);
  if (count <= 0) return undefined;
  const names = (evidence.details?.['unsignedEntries'] as string[] | undefined) ?? [];
  const sample = names.slice(0, 5).join(', ');
  return invalid(
    'UNSIGNED_ENTRIES',
    `${count} entr${count === 1 ? 'y is' : 'ies are'} not covered by ${evidence.location}` +
      `${sample ? ` (${sample}${count > 5 ? ', ...' : ''})` : ''}; jarsigner -strict rejects partially signed jars`,
  );
}
