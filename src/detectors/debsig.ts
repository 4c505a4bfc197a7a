import { SigscanError } from '../errors.js';
import { analyzeDeb } from '../formats/deb/index.js';
import { openPgpAlgorithmName } from '../formats/rpm/index.js';
import type { Evidence, SignerIdentity, Target } from '../model/index.js';
import type { DetectContext, Detector } from './detector.js';

/** What the trust layer needs to check one debsigs signature; never serialised. */
export interface DebsigEvidenceMaterial {
  packet: Uint8Array;
  /** debian-binary + control.tar.* + data.tar.* contents, concatenated. */
  signed: Uint8Array;
}

/** debsigs signatures (`_gpgorigin`, `_gpgmaint`, ...) in Debian packages: one evidence per member. */
export const debsigDetector: Detector = {
  name: 'debsig',
  family: 'debsig',
  applies(target: Target): boolean {
    return target.kind === 'file' && target.format === 'deb';
  },
  async *detect(target: Target, ctx: DetectContext): AsyncIterable<Evidence> {
    if (target.kind !== 'file') return;
    if (!ctx.file) throw new SigscanError('INTERNAL', `debsig detector needs the contents of ${target.path}`);
    const analysis = analyzeDeb(ctx.file.bytes);
    if (analysis.signatures.length === 0) return;
    const { readSignature } = await import('openpgp');
    for (const sig of analysis.signatures) {
      const signer: SignerIdentity = {};
      const details: Record<string, unknown> = {
        role: sig.role,
        members: analysis.members.map((m) => m.name),
        signatures: analysis.signatures.length,
      };
      const evidence: Evidence = {
        family: 'debsig',
        location: sig.member,
        signer,
        details,
        findings: [...analysis.findings],
        material: { packet: sig.packet, signed: analysis.signed } satisfies DebsigEvidenceMaterial,
      };
      try {
        const packet = (await readSignature({ binarySignature: sig.packet })).packets[0];
        if (packet) {
          signer.keyId = packet.issuerKeyID.toHex().toUpperCase();
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
