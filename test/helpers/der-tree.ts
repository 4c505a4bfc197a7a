/**
 * A DER tree to edit: a real tool's output read element by element, one element changed, written back
 * with every length re-encoded (short form below 128), so only the change differs from the tool's bytes.
 */
import { sign, type KeyLike } from 'node:crypto';

import { childrenOf, readElement, type DerElement } from '../../src/formats/der-reader.js';

const READ = { code: 'MALFORMED_CERTIFICATE' } as const;

/** One element: its identifier octets and either contents or children. */
export interface DerNode {
  /** Identifier octets as stored (one, or more for a tag number of 31 and above). */
  id: number | number[];
  content?: Uint8Array;
  children?: DerNode[];
  /** Write the length in the long form even when the short one fits (a BER length DER forbids). */
  longLength?: boolean;
  /** Write the long form with a leading zero octet (82 00 05, 83 00 01 01): BER again, not DER. */
  paddedLength?: boolean;
}

export function derTree(bytes: Uint8Array): DerNode {
  return nodeOf(readElement(bytes, READ));
}

function nodeOf(el: DerElement): DerNode {
  const id = [...el.bytes.subarray(el.start, el.contentStart - lengthOctetCount(el))];
  return el.constructed
    ? { id: id.length === 1 ? id[0]! : id, children: childrenOf(el, READ).map(nodeOf) }
    : { id: id.length === 1 ? id[0]! : id, content: el.bytes.slice(el.contentStart, el.contentEnd) };
}

function lengthOctetCount(el: DerElement): number {
  const length = el.contentEnd - el.contentStart;
  if (length < 128) return 1;
  let n = 1;
  for (let v = length; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

export function derEncode(n: DerNode): Uint8Array {
  const body = n.children ? concatBytes(n.children.map(derEncode)) : n.content!;
  const len = body.length;
  const length: number[] = [];
  if (len < 128 && !n.longLength && !n.paddedLength) length.push(len);
  else {
    let v = len;
    do {
      length.unshift(v & 0xff);
      v = Math.floor(v / 256);
    } while (v > 0);
    if (n.paddedLength) length.unshift(0);
    length.unshift(0x80 | length.length);
  }
  return concatBytes([new Uint8Array([...[n.id].flat(), ...length]), body]);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The bytes rebuilt after `change` edits their tree. */
export function derRebuilt(bytes: Uint8Array, change: (root: DerNode) => void): Uint8Array {
  const root = derTree(bytes);
  change(root);
  return derEncode(root);
}

/**
 * A certificate with its tbsCertificate edited by `change` and signed again with `issuerKey` (SHA-256, the
 * key's own scheme: PKCS #1 for RSA, DER ECDSA for EC), so only that change differs from what the issuer
 * made and the signature still verifies.
 */
export function resignedCertificate(
  der: Uint8Array,
  issuerKey: KeyLike,
  change: (tbs: DerNode) => void,
): Uint8Array {
  return derRebuilt(der, (root) => {
    const tbs = root.children![0]!;
    change(tbs);
    root.children![2]!.content = new Uint8Array([0, ...sign('sha256', derEncode(tbs), issuerKey)]);
  });
}

/** Every element of the tree, depth first. */
export function derAll(n: DerNode): DerNode[] {
  return [n, ...(n.children ?? []).flatMap(derAll)];
}

export const latin1 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));
