import {
  CompressedDataPacket,
  LiteralDataPacket,
  OnePassSignaturePacket,
  readMessage,
  SignaturePacket,
  type Message,
} from 'openpgp';

import { SigscanError } from '../../errors.js';

/** Facts about one signature in a simple-signing message, read before any verification. */
export interface OpenPgpSignatureInfo {
  /** Issuer key ID, 16 upper-case hex digits. */
  keyId: string;
  /** Issuer fingerprint subpacket (33), upper-case hex, when present. */
  issuerFingerprint?: string;
  created?: Date;
  /** Signature expiration (subpacket 3) as an absolute time. */
  expires?: Date;
  hashAlgorithm?: string;
  publicKeyAlgorithm?: string;
}

export interface SimpleSigningMessage {
  message: Message<Uint8Array>;
  /** The literal data: the claim JSON bytes (not yet authenticated). */
  literal: Uint8Array;
  signatures: OpenPgpSignatureInfo[];
  /** Packet tags as read, nested compressed content in brackets, e.g. `8[4,11,2]`. */
  structure: string;
}

const ENCRYPTION_TAGS = new Set([1, 3, 9, 18, 20]);
const HASH_NAMES: Record<number, string> = {
  2: 'SHA-1',
  8: 'SHA-256',
  9: 'SHA-384',
  10: 'SHA-512',
  11: 'SHA-224',
};
const PK_NAMES: Record<number, string> = {
  1: 'RSA',
  3: 'RSA',
  17: 'DSA',
  19: 'ECDSA',
  22: 'EdDSA',
  27: 'Ed25519',
  28: 'Ed448',
};

function malformed(message: string): SigscanError {
  return new SigscanError('MALFORMED_SIGNATURE', message);
}

/**
 * Parses a simple-signing OpenPGP message (formats.md §4.3) and applies the structural rules the
 * reference implementation relies on gpgme for: a *signed* message (one-pass signature or signature
 * packets around one literal packet, optionally compressed), never a bare literal, an encrypted
 * message or a cleartext signature. Nothing is verified here.
 */
export async function parseSimpleSigningMessage(bytes: Uint8Array): Promise<SimpleSigningMessage> {
  let message: Message<Uint8Array>;
  try {
    message = await readMessage({ binaryMessage: bytes });
  } catch (err) {
    throw malformed(`not an OpenPGP message: ${(err as Error).message}`);
  }
  const tags: number[] = [];
  let structure = '';
  const inner: unknown[] = [];
  for (const packet of message.packets) {
    const tag = (packet.constructor as { tag?: number }).tag ?? -1;
    tags.push(tag);
    if (packet instanceof CompressedDataPacket) {
      const nested = [...((packet as unknown as { packets?: Iterable<unknown> }).packets ?? [])];
      if (nested.some((p) => p instanceof CompressedDataPacket)) {
        throw malformed('nested compressed packets');
      }
      structure += `${tag}[${nested.map((p) => ((p as object).constructor as { tag?: number }).tag ?? -1).join(',')}]`;
      inner.push(...nested);
    } else {
      structure += (structure ? ',' : '') + String(tag);
      inner.push(packet);
    }
  }
  const innerTags = inner.map((p) => ((p as object).constructor as { tag?: number }).tag ?? -1);
  if ([...tags, ...innerTags].some((t) => ENCRYPTION_TAGS.has(t))) {
    throw malformed('an encrypted OpenPGP message, not a signature');
  }
  const literals = inner.filter((p): p is LiteralDataPacket => p instanceof LiteralDataPacket);
  if (literals.length !== 1) throw malformed(`expected one literal data packet, found ${literals.length}`);
  // openpgp.js keeps the packets after the literal data in a stream that only `verify` reads; asking it
  // with no keys yields each signature packet (its `verified` promise rejects, which we ignore).
  const signaturePackets: SignaturePacket[] = [];
  let verifications: Awaited<ReturnType<typeof message.verify>>;
  try {
    // openpgp.js throws plain Errors (e.g. "Invalid enum value.") for damaged signature packets here.
    verifications = await message.verify([]);
  } catch (err) {
    throw malformed(`unreadable signature packet: ${(err as Error).message}`);
  }
  for (const v of verifications) {
    v.verified.catch(() => undefined);
    const packet = (await v.signature.catch(() => undefined))?.packets[0];
    if (packet) signaturePackets.push(packet);
  }
  if (signaturePackets.length === 0 && inner.some((p) => p instanceof OnePassSignaturePacket)) {
    throw malformed('a one-pass signature without its signature packet');
  }
  if (signaturePackets.length === 0) throw malformed('a literal message without a signature');
  const literal = (literals[0] as unknown as { getBytes(): Uint8Array | null }).getBytes();
  if (!(literal instanceof Uint8Array)) throw malformed('streamed literal data is not supported');
  // A fresh copy for verification: the one above has had its packet stream consumed.
  const fresh = await readMessage({ binaryMessage: bytes });
  structure += `+${signaturePackets.length}sig`;
  return { message: fresh, literal, signatures: signaturePackets.map(signatureInfo), structure };
}

function signatureInfo(sig: SignaturePacket): OpenPgpSignatureInfo {
  const info: OpenPgpSignatureInfo = { keyId: sig.issuerKeyID.toHex().toUpperCase() };
  if (sig.issuerFingerprint)
    info.issuerFingerprint = Buffer.from(sig.issuerFingerprint).toString('hex').toUpperCase();
  if (sig.created) info.created = sig.created;
  if (sig.created && sig.signatureExpirationTime) {
    info.expires = new Date(sig.created.getTime() + Number(sig.signatureExpirationTime) * 1000);
  }
  const hashName = HASH_NAMES[sig.hashAlgorithm as number];
  if (hashName) info.hashAlgorithm = hashName;
  const pk = PK_NAMES[sig.publicKeyAlgorithm as number];
  if (pk) info.publicKeyAlgorithm = pk;
  return info;
}
