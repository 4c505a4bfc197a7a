import { SigscanError } from '../../errors.js';
import { pemCertificates } from '../x509.js';

/** What one `.sig` layer carries in its annotations (formats.md §2.2). */
export interface CosignLayerAnnotations {
  signature: Uint8Array;
  certificateDer?: Uint8Array;
  chainDer: Uint8Array[];
  rekorBundle?: RekorBundle;
  rfc3161Timestamp?: Uint8Array;
  /** `dev.sigstore.cosign` (what code writes) or `dev.cosignproject.cosign` (the spec's prose spelling). */
  certificateKeySpelling?: string;
}

/** The Rekor "bundle" annotation: a signed entry timestamp over the log entry. */
export interface RekorBundle {
  signedEntryTimestamp: string;
  body: string;
  integratedTime: number;
  logIndex: number;
  logId: string;
}

export const ANNOTATION = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: ['dev.sigstore.cosign/certificate', 'dev.cosignproject.cosign/certificate'],
  chain: ['dev.sigstore.cosign/chain', 'dev.cosignproject.cosign/chain'],
  bundle: 'dev.sigstore.cosign/bundle',
  rfc3161: 'dev.sigstore.cosign/rfc3161timestamp',
} as const;

export function readLayerAnnotations(
  annotations: Record<string, string> | undefined,
): CosignLayerAnnotations {
  const a = stringAnnotations(annotations);
  const sigText = a[ANNOTATION.signature];
  if (sigText === undefined)
    throw new SigscanError('MALFORMED_SIGNATURE', 'cosign layer has no signature annotation');
  const signature = decodeBase64(sigText, 'signature annotation');
  const certKey = ANNOTATION.certificate.find((k) => a[k]);
  const chainKey = ANNOTATION.chain.find((k) => a[k]);
  const certificateDer = certKey ? pemCertificates(a[certKey]!)[0] : undefined;
  if (certKey && !certificateDer) {
    throw new SigscanError('MALFORMED_CERTIFICATE', `cosign ${certKey} annotation holds no PEM certificate`);
  }
  return {
    signature,
    certificateDer,
    chainDer: chainKey ? pemCertificates(a[chainKey]!) : [],
    rekorBundle: a[ANNOTATION.bundle] ? parseRekorBundle(a[ANNOTATION.bundle]!) : undefined,
    rfc3161Timestamp: a[ANNOTATION.rfc3161] ? parseRfc3161Annotation(a[ANNOTATION.rfc3161]!) : undefined,
    certificateKeySpelling: certKey?.split('/')[0],
  };
}

/** Descriptor annotations come from untyped manifest JSON: a cosign key whose value is not a string is malformed. */
function stringAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  const a = annotations ?? {};
  for (const key of [
    ANNOTATION.signature,
    ...ANNOTATION.certificate,
    ...ANNOTATION.chain,
    ANNOTATION.bundle,
    ANNOTATION.rfc3161,
  ]) {
    const value: unknown = Object.hasOwn(a, key) ? a[key] : undefined;
    if (value !== undefined && typeof value !== 'string') {
      throw new SigscanError('MALFORMED_SIGNATURE', `cosign layer annotation ${key} is not a string`);
    }
  }
  return a;
}

function parseRekorBundle(text: string): RekorBundle {
  try {
    const doc = JSON.parse(text) as {
      SignedEntryTimestamp?: string;
      Payload?: { body?: string; integratedTime?: number; logIndex?: number; logID?: string };
    };
    const p = doc.Payload;
    if (
      !doc.SignedEntryTimestamp ||
      !p ||
      typeof p.body !== 'string' ||
      typeof p.integratedTime !== 'number'
    ) {
      throw new Error('missing fields');
    }
    return {
      signedEntryTimestamp: doc.SignedEntryTimestamp,
      body: p.body,
      integratedTime: p.integratedTime,
      logIndex: Number(p.logIndex),
      logId: String(p.logID ?? ''),
    };
  } catch (cause) {
    throw new SigscanError(
      'MALFORMED_SIGNATURE',
      `cosign bundle annotation is malformed: ${(cause as Error).message}`,
    );
  }
}

function parseRfc3161Annotation(text: string): Uint8Array {
  try {
    const doc = JSON.parse(text) as { SignedRFC3161Timestamp?: string };
    return decodeBase64(doc.SignedRFC3161Timestamp ?? '', 'rfc3161 timestamp');
  } catch (cause) {
    if (cause instanceof SigscanError) throw cause;
    throw new SigscanError('MALFORMED_SIGNATURE', 'cosign rfc3161timestamp annotation is not JSON');
  }
}

/** Tolerant reader: standard or URL-safe alphabet, padding optional (formats.md §0.3). */
export function decodeBase64(text: string, what: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean)) {
    throw new SigscanError('MALFORMED_SIGNATURE', `${what} is not base64`);
  }
  return new Uint8Array(Buffer.from(clean.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
}
