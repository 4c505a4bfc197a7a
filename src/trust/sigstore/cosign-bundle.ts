import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

import { BUNDLE_V01_MEDIA_TYPE, bundleFromJSON, type Bundle } from '@sigstore/bundle';

import type { RekorBundle } from '../../formats/cosign/index.js';

/** What the cosign detector hands the trust layer for one `.sig` layer (Evidence.material). */
export interface CosignMaterial {
  payload: Uint8Array;
  signature: Uint8Array;
  certificateDer?: Uint8Array;
  chainDer: Uint8Array[];
  rekorBundle?: RekorBundle;
  rfc3161Timestamp?: Uint8Array;
}

export function isCosignMaterial(value: unknown): value is CosignMaterial {
  const m = value as Partial<CosignMaterial> | undefined;
  return Boolean(m && m.payload instanceof Uint8Array && m.signature instanceof Uint8Array);
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/**
 * Expresses a classic cosign signature as a v0.1 Sigstore bundle so @sigstore/verify can check it:
 * `messageSignature` over the payload bytes (SHA-256), the certificate (or a public-key hint), the
 * Rekor "bundle" annotation as a tlog entry with an `inclusionPromise` (its SET is computed over the
 * same {body, integratedTime, logID, logIndex} JCS document) and the RFC 3161 timestamp.
 */
export function cosignAsBundle(
  m: CosignMaterial,
  signer: { certificateDer: Uint8Array } | { hint: string },
): Bundle {
  const tlogEntries = m.rekorBundle ? [rekorTlogEntry(m.rekorBundle)] : [];
  const json = {
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      ...('certificateDer' in signer
        ? { x509CertificateChain: { certificates: [{ rawBytes: b64(signer.certificateDer) }] } }
        : { publicKey: { hint: signer.hint } }),
      tlogEntries,
      ...(m.rfc3161Timestamp
        ? { timestampVerificationData: { rfc3161Timestamps: [{ signedTimestamp: b64(m.rfc3161Timestamp) }] } }
        : {}),
    },
    messageSignature: {
      messageDigest: { algorithm: 'SHA2_256', digest: b64(createHash('sha256').update(m.payload).digest()) },
      signature: b64(m.signature),
    },
  };
  return bundleFromJSON(json);
}

/**
 * A cosign `.att` layer (one DSSE signature, the certificate and Rekor bundle annotations) as a v0.1
 * Sigstore bundle with `dsseEnvelope` content, so @sigstore/verify checks it as cosign
 * verify-attestation does: certificate chain and SCT, the Rekor SET and that the logged entry is this
 * envelope's, at the logged time.
 */
export function dsseAsBundle(d: {
  payloadType: string;
  payload: Uint8Array;
  signature: Uint8Array;
  /** Absent for a key-signed envelope: the verifier is then given the key (a public-key hint). */
  certificateDer?: Uint8Array;
  rekorBundle?: RekorBundle;
}): Bundle {
  return bundleFromJSON({
    mediaType: BUNDLE_V01_MEDIA_TYPE,
    verificationMaterial: {
      ...(d.certificateDer
        ? { x509CertificateChain: { certificates: [{ rawBytes: b64(d.certificateDer) }] } }
        : { publicKey: { hint: 'cosign-signer' } }),
      tlogEntries: d.rekorBundle ? [rekorTlogEntry(d.rekorBundle)] : [],
    },
    dsseEnvelope: {
      payload: b64(d.payload),
      payloadType: d.payloadType,
      signatures: [{ sig: b64(d.signature), keyid: '' }],
    },
  });
}

function rekorTlogEntry(r: RekorBundle): Record<string, unknown> {
  const body = parseRekorBody(r.body);
  return {
    logIndex: String(r.logIndex),
    logId: { keyId: Buffer.from(r.logId, 'hex').toString('base64') },
    kindVersion: { kind: String(body?.kind ?? ''), version: String(body?.apiVersion ?? '') },
    integratedTime: String(r.integratedTime),
    inclusionPromise: { signedEntryTimestamp: r.signedEntryTimestamp },
    canonicalizedBody: r.body,
  };
}

interface RekorBody {
  kind?: string;
  apiVersion?: string;
  spec?: {
    /** hashedrekord / rekord. */
    signature?: { publicKey?: { content?: string } };
    /** dsse 0.0.1. */
    signatures?: Array<{ verifier?: string }>;
    /** intoto 0.0.2. */
    content?: { envelope?: { signatures?: Array<{ publicKey?: string }> } };
  };
}

function parseRekorBody(body: string): RekorBody | undefined {
  try {
    return JSON.parse(Buffer.from(body, 'base64').toString('utf8')) as RekorBody;
  } catch {
    return undefined;
  }
}

type RecordedSigner = { certificateDer?: Uint8Array; key: KeyObject };

/** The key or certificate a Rekor `hashedrekord`/`rekord` entry recorded for the signer. */
export function rekorSignerMaterial(r: RekorBundle): RecordedSigner | undefined {
  return rekorSignerMaterials(r)[0];
}

/**
 * Every key or certificate the entry recorded: one for `hashedrekord`/`rekord`, one per envelope
 * signature for `dsse` (verifier) and `intoto` 0.0.2 (publicKey), each base64 of a PEM.
 */
export function rekorSignerMaterials(r: RekorBundle): RecordedSigner[] {
  const spec = parseRekorBody(r.body)?.spec;
  const contents = [
    spec?.signature?.publicKey?.content,
    ...(Array.isArray(spec?.signatures) ? spec.signatures.map((x) => x?.verifier) : []),
    ...(Array.isArray(spec?.content?.envelope?.signatures)
      ? spec.content.envelope.signatures.map((x) => x?.publicKey)
      : []),
  ];
  return contents.flatMap((c) => {
    const m = typeof c === 'string' ? signerFromPem(c) : undefined;
    return m ? [m] : [];
  });
}

function signerFromPem(content: string): RecordedSigner | undefined {
  try {
    const pem = Buffer.from(content, 'base64').toString('utf8');
    if (pem.includes('BEGIN CERTIFICATE')) {
      const cert = new X509Certificate(pem);
      return { certificateDer: new Uint8Array(cert.raw), key: cert.publicKey };
    }
    return { key: createPublicKey(pem) };
  } catch {
    return undefined;
  }
}

/**
 * §2.5 binding beyond sigstore-js (which compares only hash and signature for hashedrekord): the
 * log entry must name the same certificate (byte for byte) or, for key-based entries, the same key.
 * Returns false when the entry names something else or cannot be read.
 */
export function rekorEntryNamesSigner(
  r: RekorBundle,
  signer: { certificateDer?: Uint8Array; key: KeyObject },
): boolean {
  return rekorSignerMaterials(r).some((recorded) =>
    signer.certificateDer
      ? Boolean(
          recorded.certificateDer &&
          Buffer.from(recorded.certificateDer).equals(Buffer.from(signer.certificateDer)),
        )
      : spki(recorded.key).equals(spki(signer.key)),
  );
}

export function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}
