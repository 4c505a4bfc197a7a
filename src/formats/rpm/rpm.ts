import { createHash } from 'node:crypto';

import type { Finding } from '../../model/index.js';
import { SigscanError } from '../../errors.js';
import {
  binValue,
  intValue,
  LEAD_SIZE,
  looksLikeRpm,
  readHeader,
  stringValue,
  type RpmHeader,
} from './header.js';

// Signature header tags (rpm's rpmtag.h, RPMSIGTAG_*).
const SIG_DSA = 267;
const SIG_RSA = 268;
const SIG_SHA1 = 269;
const SIG_LONGSIZE = 270;
const SIG_SHA256 = 273;
const SIG_SIZE = 1000;
const SIG_PGP = 1002;
const SIG_MD5 = 1004;
const SIG_GPG = 1005;
// Main header tags.
const TAG_NAME = 1000;
const TAG_VERSION = 1001;
const TAG_RELEASE = 1002;
const TAG_ARCH = 1022;
const TAG_PAYLOADDIGEST = 5092;
const TAG_PAYLOADDIGESTALGO = 5093;

/** OpenPGP hash algorithm ids (RFC 4880 §9.4) as rpm stores them in PAYLOADDIGESTALGO. */
const PGP_HASHES: Record<number, string> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
  11: 'sha224',
};

export type RpmSignedRange = 'header' | 'header+payload';

export interface RpmSignature {
  /** The signature header tag that holds it. */
  tag: number;
  tagName: 'RSAHEADER' | 'DSAHEADER' | 'SIGPGP' | 'SIGGPG';
  range: RpmSignedRange;
  /** The OpenPGP signature packet(s) as stored. */
  packet: Uint8Array;
}

export interface RpmAnalysis {
  signatureHeader: RpmHeader;
  header: RpmHeader;
  /** First byte of the payload. */
  payloadOffset: number;
  package: { name?: string; version?: string; release?: string; arch?: string };
  signatures: RpmSignature[];
  /** Digests recomputed and compared (all matched unless a finding says otherwise). */
  digestsChecked: string[];
  /** The main (signed) header binds the payload by a digest that matched. */
  payloadDigestChecked: boolean;
  findings: Finding[];
}

const SIGNATURE_TAGS: ReadonlyArray<[number, RpmSignature['tagName'], RpmSignedRange]> = [
  [SIG_RSA, 'RSAHEADER', 'header'],
  [SIG_DSA, 'DSAHEADER', 'header'],
  [SIG_PGP, 'SIGPGP', 'header+payload'],
  [SIG_GPG, 'SIGGPG', 'header+payload'],
];

/** The bytes a signature of this range covers: the main header from its magic, plus the payload. */
export function signedBytes(bytes: Uint8Array, analysis: RpmAnalysis, range: RpmSignedRange): Uint8Array {
  return bytes.subarray(analysis.header.start, range === 'header' ? analysis.header.end : bytes.byteLength);
}

/**
 * Reads the package's two headers and checks every digest rpm would check (header SHA-256 and SHA-1,
 * the payload digest the main header signs, the MD5 and size of header+payload). Mismatches are
 * integrity findings. The OpenPGP signatures are returned for the trust layer to verify.
 */
export function analyzeRpm(bytes: Uint8Array): RpmAnalysis {
  if (!looksLikeRpm(bytes) || bytes.byteLength < LEAD_SIZE)
    throw new SigscanError('MALFORMED_RPM', 'no RPM lead');
  const signatureHeader = readHeader(bytes, LEAD_SIZE, 'the signature header');
  // The signature header is padded to a multiple of 8 bytes.
  const sigLength = signatureHeader.end - signatureHeader.start;
  const headerStart = signatureHeader.end + ((8 - (sigLength % 8)) % 8);
  const header = readHeader(bytes, headerStart, 'the main header');
  const findings: Finding[] = [];
  for (const [h, what] of [
    [signatureHeader, 'signature header'],
    [header, 'main header'],
  ] as const) {
    if (h.duplicateTags.length > 0) {
      findings.push({
        code: 'RPM_AMBIGUOUS',
        severity: 'integrity',
        message: `the ${what} holds tag ${h.duplicateTags[0]} more than once: readers that take different copies see different packages`,
      });
    }
  }
  const analysis: RpmAnalysis = {
    signatureHeader,
    header,
    payloadOffset: header.end,
    package: {
      name: stringValue(header, TAG_NAME),
      version: stringValue(header, TAG_VERSION),
      release: stringValue(header, TAG_RELEASE),
      arch: stringValue(header, TAG_ARCH),
    },
    signatures: [],
    digestsChecked: [],
    payloadDigestChecked: false,
    findings,
  };
  const headerBytes = signedBytes(bytes, analysis, 'header');
  const all = signedBytes(bytes, analysis, 'header+payload');
  const payload = bytes.subarray(header.end);

  const check = (
    name: string,
    recorded: string | undefined,
    algorithm: string,
    data: Uint8Array,
    code: string,
  ) => {
    if (recorded === undefined) return;
    analysis.digestsChecked.push(name);
    if (createHash(algorithm).update(data).digest('hex') !== recorded.toLowerCase()) {
      findings.push(mismatch(code, name));
    }
  };
  check(
    'header SHA256',
    stringValue(signatureHeader, SIG_SHA256),
    'sha256',
    headerBytes,
    'RPM_HEADER_DIGEST_MISMATCH',
  );
  check(
    'header SHA1',
    stringValue(signatureHeader, SIG_SHA1),
    'sha1',
    headerBytes,
    'RPM_HEADER_DIGEST_MISMATCH',
  );
  const payloadAlgorithm = PGP_HASHES[intValue(header, TAG_PAYLOADDIGESTALGO) ?? 8];
  const payloadDigest = stringValue(header, TAG_PAYLOADDIGEST);
  if (payloadDigest !== undefined && payloadAlgorithm) {
    check(
      `payload ${payloadAlgorithm.toUpperCase()}`,
      payloadDigest,
      payloadAlgorithm,
      payload,
      'RPM_PAYLOAD_DIGEST_MISMATCH',
    );
    analysis.payloadDigestChecked = !findings.some((f) => f.code === 'RPM_PAYLOAD_DIGEST_MISMATCH');
  }
  const md5 = binValue(signatureHeader, SIG_MD5);
  if (md5)
    check('header+payload MD5', Buffer.from(md5).toString('hex'), 'md5', all, 'RPM_PAYLOAD_DIGEST_MISMATCH');
  const size = intValue(signatureHeader, SIG_LONGSIZE) ?? intValue(signatureHeader, SIG_SIZE);
  if (size !== undefined && size !== all.byteLength) {
    findings.push({
      code: 'RPM_SIZE_MISMATCH',
      severity: 'integrity',
      message: `the signature header gives header+payload as ${size} bytes, the file holds ${all.byteLength}`,
    });
  }
  for (const [tag, tagName, range] of SIGNATURE_TAGS) {
    const packet = binValue(signatureHeader, tag);
    if (packet) analysis.signatures.push({ tag, tagName, range, packet });
  }
  return analysis;
}

function mismatch(code: string, name: string): Finding {
  const what = code === 'RPM_HEADER_DIGEST_MISMATCH' ? 'the header changed' : 'the payload changed';
  return { code, severity: 'integrity', message: `the ${name} digest does not match (${what})` };
}

const OPENPGP_PUBKEY: Record<number, string> = {
  1: 'RSA',
  3: 'RSA',
  17: 'DSA',
  19: 'ECDSA',
  22: 'EdDSA',
  27: 'Ed25519',
  28: 'Ed448',
};
const OPENPGP_HASH: Record<number, string> = {
  1: 'MD5',
  2: 'SHA1',
  8: 'SHA256',
  9: 'SHA384',
  10: 'SHA512',
  11: 'SHA224',
};

/** `RSA/SHA512`, as `rpmkeys --checksig` names a signature's algorithms (RFC 4880 ids). */
export function openPgpAlgorithmName(
  publicKeyAlgorithm: number | null,
  hashAlgorithm: number | null,
): string {
  return `${OPENPGP_PUBKEY[publicKeyAlgorithm ?? 0] ?? `pk${publicKeyAlgorithm}`}/${OPENPGP_HASH[hashAlgorithm ?? 0] ?? `hash${hashAlgorithm}`}`;
}

/**
 * The version byte of the first OpenPGP packet (RFC 4880 §4.2, old and new packet headers), or undefined
 * when the bytes are not a packet: openpgp.js drops V3 signatures silently, reports still name them.
 */
export function openPgpSignatureVersion(packet: Uint8Array): number | undefined {
  const tag = packet[0];
  if (tag === undefined || (tag & 0x80) === 0) return undefined;
  let body: number;
  if (tag & 0x40) {
    const first = packet[1] ?? 0;
    body = first < 192 ? 2 : first < 224 ? 3 : 6;
  } else {
    body = [2, 3, 5, 1][tag & 3]!;
  }
  return packet[body];
}
