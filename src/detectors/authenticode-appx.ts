import type { Evidence, Finding, Target } from '../model/index.js';
import {
  APPX_BUNDLE_SIP_GUID,
  APPX_SIGNATURE_NAME,
  APPX_SIP_GUID,
  readAppx,
  splitAppxDigest,
  type AppxPackage,
  type AppxPart,
} from '../formats/appx.js';
import { AUTHENTICODE_OID, flattenSignatures, parseAuthenticodeSignature } from '../formats/pe/index.js';
import { authenticodeBounds, fileBytes, signatureEvidence, type SignedSubject } from './authenticode.js';
import type { DetectContext, Detector } from './detector.js';

const HASH_LENGTHS: Record<string, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/**
 * Authenticode in APPX / MSIX packages and bundles (family `authenticode`, format `appx`): the PKCS #7 of
 * `AppxSignature.p7x`, whose digest is a blob of tagged hashes (formats.md §7.8, src/formats/appx.ts).
 * Each tagged hash is compared on its own so the finding names the part that changed, and the block map
 * is checked file by file. The packages inside a bundle are bundle files to the bundle's signature, and
 * their own signatures are checked too.
 */
export const authenticodeAppxDetector: Detector = {
  name: 'authenticode-appx',
  family: 'authenticode',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'appx';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    const appx = await readAppx(fileBytes(target, ctx, 'authenticode-appx'), ctx.limits);
    yield* packageEvidence(appx, '', ctx);
    // A bundle's packages carry their own signatures, which the installer checks too: each is evidence
    // of the bundle target, at `<package>!AppxSignature.p7x`. Bundles do not nest bundles.
    for (const inner of appx.packages) {
      const innerAppx = await readAppx(inner.bytes, ctx.limits);
      if (innerAppx.isBundle) continue;
      yield* packageEvidence(innerAppx, `${inner.name}!`, ctx);
    }
  },
};

function* packageEvidence(appx: AppxPackage, prefix: string, ctx: DetectContext): Iterable<Evidence> {
  if (!appx.signatureDer) return;
  const primary = parseAuthenticodeSignature(
    appx.signatureDer,
    `${prefix}${APPX_SIGNATURE_NAME}`,
    authenticodeBounds(ctx.limits),
  );
  const guid = appx.isBundle ? APPX_BUNDLE_SIP_GUID : APPX_SIP_GUID;
  // APPX signatures do not nest (osslsigncode appx.c), but a nested one would be checked the same way.
  for (const signature of flattenSignatures(primary)) {
    const { digestAlgorithm, digest } = signature.indirectData;
    const mismatches = digestFindings(appx, digestAlgorithm, digest);
    // Ambiguity first: when readers disagree about the archive, no hash of one reading settles it.
    const problems = appx.problems.map((p): Finding => ({
      code: p.code,
      severity: 'integrity',
      message: p.message,
    }));
    const findings: Finding[] = [
      ...problems.filter((p) => p.code === 'ZIP_AMBIGUOUS'),
      ...mismatches,
      ...problems.filter((p) => p.code !== 'ZIP_AMBIGUOUS'),
    ];
    const subject: SignedSubject = {
      what: appx.isBundle ? 'an APPX bundle' : 'an APPX package',
      describes: (data) => data.dataType === AUTHENTICODE_OID.spcSipInfo && data.sipGuid === guid,
      mismatchCode: 'SIGNED_SUBJECT_TYPE_MISMATCH',
      // Every tagged hash equal to ours means the signed blob is ours, in whatever order its signer wrote
      // the tags; otherwise ours in osslsigncode's order, which the comparison then reports as different.
      hash: () => (mismatches.length === 0 ? digest : appx.blob),
    };
    yield signatureEvidence(signature, subject, findings, {
      appxHashMethod: appx.hashAlgorithm,
      appxParts: [...appx.parts.keys()],
      appxBundle: appx.isBundle,
      blockMapFiles: appx.blockMapFiles,
    });
  }
}

/** One finding naming every tagged hash that differs from ours, is missing, or is not ours to have. */
function digestFindings(appx: AppxPackage, algorithm: string, signed: Uint8Array): Finding[] {
  if (algorithm !== appx.hashAlgorithm) {
    return [
      {
        code: 'APPX_DIGEST_MISMATCH',
        severity: 'integrity',
        message: `the signature hashes with ${algorithm} but AppxBlockMap.xml names ${appx.hashAlgorithm}`,
      },
    ];
  }
  const theirs = splitAppxDigest(signed, HASH_LENGTHS[algorithm] ?? 0);
  if (!theirs) {
    return [
      {
        code: 'APPX_DIGEST_MISMATCH',
        severity: 'integrity',
        message: 'the signed digest is not an APPX hash blob (APPX followed by tagged hashes)',
      },
    ];
  }
  const wrong: string[] = [];
  for (const [part, ours] of appx.parts) {
    const signedPart = theirs.get(part);
    if (!signedPart) wrong.push(`${part} (not signed)`);
    else if (!Buffer.from(signedPart).equals(Buffer.from(ours))) wrong.push(part);
  }
  for (const part of theirs.keys()) {
    if (!appx.parts.has(part as AppxPart)) wrong.push(`${part} (signed, but the package has no such part)`);
  }
  if (wrong.length === 0) return [];
  return [
    {
      code: 'APPX_DIGEST_MISMATCH',
      severity: 'integrity',
      message: `the package's ${wrong.join(', ')} ${wrong.length === 1 ? 'hash differs' : 'hashes differ'} from the signed ones: it was modified after signing`,
    },
  ];
}
