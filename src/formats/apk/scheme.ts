import { SigscanError } from '../../errors.js';

/**
 * The signer records of APK Signature Scheme v2, v3 and v3.1 blocks. All integers are little-endian and
 * every sequence is "length-prefixed" (uint32 length, then that many bytes); a record that does not fill
 * its prefix exactly is malformed, so two readers cannot split it differently.
 */

export type ApkScheme = 'v2' | 'v3' | 'v3.1';

export interface ApkDigestRecord {
  algorithmId: number;
  digest: Uint8Array;
}

export interface ApkSignatureRecord {
  algorithmId: number;
  signature: Uint8Array;
}

export interface ApkAttribute {
  id: number;
  value: Uint8Array;
}

export interface ApkSignerRecord {
  scheme: ApkScheme;
  /** 1-based position in the block. */
  index: number;
  /** The exact bytes the signatures cover. */
  signedData: Uint8Array;
  digests: ApkDigestRecord[];
  certificates: Uint8Array[];
  attributes: ApkAttribute[];
  signatures: ApkSignatureRecord[];
  /** SubjectPublicKeyInfo DER. */
  publicKey: Uint8Array;
  /** v3 only: the SDK range outside the signed data, and the one inside it (must be equal). */
  minSdk?: number;
  maxSdk?: number;
  signedMinSdk?: number;
  signedMaxSdk?: number;
}

/** v2 signer attribute naming the schemes also used (value: uint32 scheme id): stripping protection. */
export const STRIPPING_PROTECTION_ATTR_ID = 0xbeeff00d;
/** v3 signer attribute: the proof-of-rotation lineage. */
export const PROOF_OF_ROTATION_ATTR_ID = 0x3ba06f8c;
/** v3 signer attribute: the SDK from which a v3.1 block takes over (its presence means v3.1 must exist). */
export const ROTATION_MIN_SDK_VERSION_ATTR_ID = 0x559f8b02;

/** A bounded little-endian reader; every read past its end is a MALFORMED_APK error. */
export class LeReader {
  private p = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.bytes.byteLength - this.p;
  }

  uint32(): number {
    if (this.remaining < 4) throw truncated(this.what);
    const v = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.p, 4).readUInt32LE(0);
    this.p += 4;
    return v;
  }

  lengthPrefixed(): Uint8Array {
    const length = this.uint32();
    if (length > this.remaining) throw truncated(this.what);
    const out = this.bytes.subarray(this.p, this.p + length);
    this.p += length;
    return out;
  }

  /** Each length-prefixed element until the end; the reader must end exactly. */
  sequence(): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (this.remaining > 0) out.push(this.lengthPrefixed());
    return out;
  }

  end(): void {
    if (this.remaining !== 0) {
      throw new SigscanError('MALFORMED_APK', `${this.what}: ${this.remaining} bytes left over`);
    }
  }
}

function truncated(what: string): SigscanError {
  return new SigscanError('MALFORMED_APK', `${what}: truncated`);
}

/** Every signer of one scheme block (the value of its id-value pair). */
export function parseSchemeBlock(value: Uint8Array, scheme: ApkScheme): ApkSignerRecord[] {
  const outer = new LeReader(value, `APK Signature Scheme ${scheme} block`);
  const signers = new LeReader(outer.lengthPrefixed(), `APK Signature Scheme ${scheme} signers`);
  outer.end();
  const out: ApkSignerRecord[] = [];
  for (const bytes of signers.sequence()) out.push(parseSigner(bytes, scheme, out.length + 1));
  if (out.length === 0)
    throw new SigscanError('MALFORMED_APK', `APK Signature Scheme ${scheme} block has no signers`);
  return out;
}

function parseSigner(bytes: Uint8Array, scheme: ApkScheme, index: number): ApkSignerRecord {
  const what = `APK Signature Scheme ${scheme} signer #${index}`;
  const r = new LeReader(bytes, what);
  const signedData = r.lengthPrefixed();
  let minSdk: number | undefined;
  let maxSdk: number | undefined;
  if (scheme !== 'v2') {
    minSdk = r.uint32();
    maxSdk = r.uint32();
  }
  const signatures = new LeReader(r.lengthPrefixed(), `${what} signatures`).sequence().map((s) => {
    const sr = new LeReader(s, `${what} signature`);
    const record = { algorithmId: sr.uint32(), signature: sr.lengthPrefixed() };
    sr.end();
    return record;
  });
  const publicKey = r.lengthPrefixed();
  r.end();

  const sd = new LeReader(signedData, `${what} signed data`);
  const digests = new LeReader(sd.lengthPrefixed(), `${what} digests`).sequence().map((d) => {
    const dr = new LeReader(d, `${what} digest`);
    const record = { algorithmId: dr.uint32(), digest: dr.lengthPrefixed() };
    dr.end();
    return record;
  });
  const certificates = new LeReader(sd.lengthPrefixed(), `${what} certificates`).sequence();
  let signedMinSdk: number | undefined;
  let signedMaxSdk: number | undefined;
  if (scheme !== 'v2') {
    signedMinSdk = sd.uint32();
    signedMaxSdk = sd.uint32();
  }
  const attributes = new LeReader(sd.lengthPrefixed(), `${what} attributes`).sequence().map((a) => {
    const ar = new LeReader(a, `${what} attribute`);
    const id = ar.uint32();
    return { id, value: a.subarray(4) };
  });
  // apksig ignores bytes after the attributes of v2 signed data (reserved for extensions); any reading of
  // the signed data still sees the same signed bytes, so only the parsed fields above matter.
  const record: ApkSignerRecord = {
    scheme,
    index,
    signedData,
    digests,
    certificates,
    attributes,
    signatures,
    publicKey,
  };
  if (minSdk !== undefined) {
    record.minSdk = minSdk;
    record.maxSdk = maxSdk;
    record.signedMinSdk = signedMinSdk;
    record.signedMaxSdk = signedMaxSdk;
  }
  return record;
}

export interface LineageNode {
  certificate: Uint8Array;
  /** The algorithm the previous node's key signed this node with (as this node's signed data says). */
  parentAlgorithmId: number;
  flags: number;
  /** The algorithm this node's key signs the next node with. */
  algorithmId: number;
  /** Over `signedData`, by the previous node's key; unchecked for the first node. */
  signature: Uint8Array;
  signedData: Uint8Array;
}

/**
 * The v3 proof-of-rotation attribute: uint32 version (1), then length-prefixed nodes, oldest first, each
 * [length-prefixed signed data: (length-prefixed certificate, uint32 parent algorithm)], uint32 flags,
 * uint32 algorithm, length-prefixed signature (after apksig's V3SigningCertificateLineage).
 */
export function parseLineage(value: Uint8Array): LineageNode[] {
  const r = new LeReader(value, 'proof-of-rotation lineage');
  const version = r.uint32();
  if (version !== 1)
    throw new SigscanError('MALFORMED_APK', `proof-of-rotation lineage version ${version} is unknown`);
  const nodes: LineageNode[] = [];
  for (const nodeBytes of r.sequence()) {
    const nr = new LeReader(nodeBytes, `lineage node #${nodes.length + 1}`);
    const signedData = nr.lengthPrefixed();
    const flags = nr.uint32();
    const algorithmId = nr.uint32();
    const signature = nr.lengthPrefixed();
    nr.end();
    const sr = new LeReader(signedData, `lineage node #${nodes.length + 1} signed data`);
    const certificate = sr.lengthPrefixed();
    const parentAlgorithmId = sr.uint32();
    sr.end();
    nodes.push({ certificate, parentAlgorithmId, flags, algorithmId, signature, signedData });
  }
  if (nodes.length === 0) throw new SigscanError('MALFORMED_APK', 'proof-of-rotation lineage has no nodes');
  return nodes;
}
