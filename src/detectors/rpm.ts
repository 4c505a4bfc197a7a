import { SigscanError } from '../errors.js';
import {
  analyzeRpm,
  openPgpAlgorithmName,
  openPgpSignatureVersion,
  signedBytes,
  type RpmSignedRange,
} from '../formats/rpm/index.js';
import type { Evidence, SignerIdentity, Target } from '../model/index.js';
import type { DetectContext, Detector } from './detector.js';

/** What the trust layer needs to check one RPM signature; never serialised. */
export interface RpmEvidenceMaterial {
  /** The OpenPGP signature packet as the signature header stores it. */
  packet: Uint8Array;
  /** The bytes it covers: the main header, or the main header and the payload (a view, not a copy). */
  signed: Uint8Array;
  range: RpmSignedRange;
  /** The signed header binds the payload by a digest that matched the payload. */
  payloadDigestChecked: boolean;
}

/**
 * RPM package signatures: one evidence per OpenPGP signature in the signature header (header-only
 * RSAHEADER/DSAHEADER, header+payload SIGPGP/SIGGPG). Digest mismatches found while reading (header
 * SHA-256/SHA-1, payload digest, MD5, size) are integrity findings on every one of them.
 */
export const rpmDetector: Detector = {
  name: 'rpm',
  family: 'rpm',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'rpm';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    if (target.kind !== 'file') return;
    if (!ctx.file) throw new SigscanError('INTERNAL', `rpm detector needs the contents of ${target.path}`);
    const bytes = ctx.file.bytes;
    const analysis = analyzeRpm(bytes);
    if (analysis.signatures.length === 0) return;
    // openpgp is loaded only once a signature is found: a tree without RPMs never pays for it.
    const { readSignature } = await import('openpgp');
    const pkg = analysis.package;
    for (const sig of analysis.signatures) {
      const signer: SignerIdentity = {};
      const details: Record<string, unknown> = {
        tag: sig.tagName,
        signed: sig.range,
        package: [pkg.name, pkg.version, pkg.release, pkg.arch].filter(Boolean).join(' '),
        digestsChecked: analysis.digestsChecked,
        payloadDigestChecked: analysis.payloadDigestChecked,
        packetVersion: openPgpSignatureVersion(sig.packet),
      };
      const evidence: Evidence = {
        family: 'rpm',
        location: `signature header ${sig.tagName}`,
        signer,
        details,
        findings: [...analysis.findings],
        material: {
          packet: sig.packet,
          signed: signedBytes(bytes, analysis, sig.range),
          range: sig.range,
          payloadDigestChecked: analysis.payloadDigestChecked,
        } satisfies RpmEvidenceMaterial,
      };
      try {
        const parsed = await readSignature({ binarySignature: sig.packet });
        const packet = parsed.packets[0];
        if (packet) {
          signer.keyId = packet.issuerKeyID.toHex().toUpperCase();
          if (packet.issuerFingerprint) {
            details.issuerFingerprint = Buffer.from(packet.issuerFingerprint).toString('hex').toUpperCase();
          }
          if (packet.created) evidence.signingTime = packet.created.toISOString();
          evidence.algorithm = openPgpAlgorithmName(packet.publicKeyAlgorithm, packet.hashAlgorithm);
        }
      } catch {
        // The trust layer reports a packet openpgp cannot read.
      }
      yield evidence;
    }
  },
};
