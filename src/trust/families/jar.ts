import type { JarEvidenceMaterial } from '../../detectors/jar.js';
import { parseSignedData, type SignerInfoView } from '../../formats/cms.js';
import { parseCertificate, type ParsedCertificate } from '../../formats/x509.js';
import type { Evidence } from '../../model/index.js';
import { CODE_SIGNING_EKU, decideCmsSigner } from '../cms-signer.js';
import { invalid, verificationError } from '../verdicts.js';
import type { FamilyVerifier } from '../verifier.js';

const WEAK = new Set(['MD5', 'SHA-1', 'SHA1']);

/**
 * One JAR signer (one block file): the CMS signature over the .SF bytes, entry coverage, the optional
 * RFC 3161 timestamp (config.tsaRoots plus config.roots) and the signer chain to config.roots with EKU codeSigning, at
 * the trusted timestamp time or ctx.now. Manifest/.SF digest mismatches were already turned into
 * `invalid` by the evaluator from the detector's integrity findings.
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
  const certificates = [...info.certificates, ...extraCertificates(m, info.certificates)];
  const signer = pickSigner(info.signers, m.signerCertificateDer);
  if (!signer) return invalid('SIGNER_CERTIFICATE_MISSING', `${evidence.location} holds no SignerInfo`);

  const weakAlgorithms = ((evidence.details?.['digestAlgorithms'] as string[] | undefined) ?? []).filter(
    (a) => WEAK.has(a.toUpperCase()),
  );
  return decideCmsSigner({
    what: `JAR signature ${evidence.location}`,
    signer,
    content,
    certificates,
    ctx,
    requiredEku: CODE_SIGNING_EKU,
    timestampExtendsValidity: true,
    // jarsigner validates the TSA chain against the same truststore as the signer, and -strict fails a
    // jar whose timestamp it cannot validate; --tsa-root adds anchors for TSAs only.
    requireTrustedTimestamp: true,
    tsaAnchors: [...ctx.config.tsaRoots, ...ctx.config.roots],
    weakAlgorithms,
    afterSignature: () => unsignedEntries(evidence),
  });
};

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

/** The SignerInfo whose certificate the detector reported as the signer; else the first. */
function pickSigner(
  signers: SignerInfoView[],
  signerDer: Uint8Array | undefined,
): SignerInfoView | undefined {
  if (signerDer) {
    const hex = Buffer.from(signerDer).toString('hex');
    const match = signers.find(
      (s) => s.certificate && Buffer.from(s.certificate.der).toString('hex') === hex,
    );
    if (match) return match;
  }
  return signers[0];
}

/** Certificates the detector passed that the block's own set does not hold (normally none). */
function extraCertificates(m: JarEvidenceMaterial, have: ParsedCertificate[]): ParsedCertificate[] {
  const known = new Set(have.map((c) => Buffer.from(c.der).toString('hex')));
  const out: ParsedCertificate[] = [];
  for (const der of m.certificatesDer ?? []) {
    const key = Buffer.from(der).toString('hex');
    if (known.has(key)) continue;
    known.add(key);
    try {
      out.push(parseCertificate(der));
    } catch {
      // The detector already reported unreadable certificates; chain building just has one fewer.
    }
  }
  return out;
}
