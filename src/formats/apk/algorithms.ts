import type { ContentDigestAlgorithm } from './content-digest.js';

/** A v2/v3 signature algorithm id, as apksig's SignatureAlgorithm names it. */
export interface ApkSignatureAlgorithm {
  id: number;
  name: string;
  keyType: 'RSA' | 'EC' | 'DSA';
  hash: 'sha256' | 'sha512';
  /** RSA-PSS salt length; absent for PKCS #1 v1.5, ECDSA and DSA. */
  pssSaltLength?: number;
  /** The content digest its digest record holds; `VERITY_CHUNKED_SHA256` is not computed here. */
  contentDigest: ContentDigestAlgorithm | 'VERITY_CHUNKED_SHA256';
}

const TABLE: ApkSignatureAlgorithm[] = [
  {
    id: 0x0101,
    name: 'RSA_PSS_WITH_SHA256',
    keyType: 'RSA',
    hash: 'sha256',
    pssSaltLength: 32,
    contentDigest: 'CHUNKED_SHA256',
  },
  {
    id: 0x0102,
    name: 'RSA_PSS_WITH_SHA512',
    keyType: 'RSA',
    hash: 'sha512',
    pssSaltLength: 64,
    contentDigest: 'CHUNKED_SHA512',
  },
  {
    id: 0x0103,
    name: 'RSA_PKCS1_V1_5_WITH_SHA256',
    keyType: 'RSA',
    hash: 'sha256',
    contentDigest: 'CHUNKED_SHA256',
  },
  {
    id: 0x0104,
    name: 'RSA_PKCS1_V1_5_WITH_SHA512',
    keyType: 'RSA',
    hash: 'sha512',
    contentDigest: 'CHUNKED_SHA512',
  },
  { id: 0x0201, name: 'ECDSA_WITH_SHA256', keyType: 'EC', hash: 'sha256', contentDigest: 'CHUNKED_SHA256' },
  { id: 0x0202, name: 'ECDSA_WITH_SHA512', keyType: 'EC', hash: 'sha512', contentDigest: 'CHUNKED_SHA512' },
  { id: 0x0301, name: 'DSA_WITH_SHA256', keyType: 'DSA', hash: 'sha256', contentDigest: 'CHUNKED_SHA256' },
  { id: 0x0303, name: 'DETDSA_WITH_SHA256', keyType: 'DSA', hash: 'sha256', contentDigest: 'CHUNKED_SHA256' },
  {
    id: 0x0421,
    name: 'VERITY_RSA_PKCS1_V1_5_WITH_SHA256',
    keyType: 'RSA',
    hash: 'sha256',
    contentDigest: 'VERITY_CHUNKED_SHA256',
  },
  {
    id: 0x0423,
    name: 'VERITY_ECDSA_WITH_SHA256',
    keyType: 'EC',
    hash: 'sha256',
    contentDigest: 'VERITY_CHUNKED_SHA256',
  },
  {
    id: 0x0425,
    name: 'VERITY_DSA_WITH_SHA256',
    keyType: 'DSA',
    hash: 'sha256',
    contentDigest: 'VERITY_CHUNKED_SHA256',
  },
];

const BY_ID = new Map(TABLE.map((a) => [a.id, a]));

export function apkSignatureAlgorithm(id: number): ApkSignatureAlgorithm | undefined {
  return BY_ID.get(id);
}

/**
 * Whether sigscan can check a signer using this algorithm end to end: verity algorithms sign a Merkle
 * tree digest of 4 KiB pages (for fs-verity), which is not computed here.
 */
export function isCheckable(alg: ApkSignatureAlgorithm): boolean {
  return alg.contentDigest !== 'VERITY_CHUNKED_SHA256';
}

export function algorithmLabel(id: number): string {
  return BY_ID.get(id)?.name ?? `0x${id.toString(16).padStart(4, '0')}`;
}
