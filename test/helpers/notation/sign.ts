import { constants, createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';

import { encode, Tagged } from 'cborg';

import type { Descriptor, OciManifest } from '../../../src/oci/types.js';
import { testPki, type TestCertificate, type TestKeyKind, type TestLeaf } from './pki.js';

/**
 * Produces real Notary Project signatures without the notation binary: the envelope (JWS or COSE),
 * the empty config blob and the signature manifest, ready to push to a registry or to serve from an
 * in-memory store. Written from formats.md §3 independently of src/formats/notation, so parsing these
 * with sigscan and checking the signature is a real cross-check.
 */

export const NOTARY_SIGNATURE = 'application/vnd.cncf.notary.signature';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const PAYLOAD_TYPE = 'application/vnd.cncf.notary.payload.v1+json';
export const THUMBPRINT_ANNOTATION = 'io.cncf.notary.x509chain.thumbprint#S256';

export interface SignNotationOptions {
  envelope?: 'jws' | 'cose';
  key?: TestKeyKind;
  /** A leaf other than the standard ones (e.g. from testLeafWithSubject); wins over `key`. */
  leaf?: TestLeaf;
  /** `artifactType` (OCI 1.1, empty config) or `config` (config.mediaType notary, no artifactType). */
  manifestForm?: 'artifactType' | 'config';
  signingScheme?: 'notary.x509' | 'notary.x509.signingAuthority';
  signingTime?: Date;
  expiry?: Date;
  /** null leaves the header out. */
  signingAgent?: string | null;
  /** What the payload claims to sign; defaults to the target (set it to forge a mismatch). */
  payloadTarget?: Descriptor;
  /** The manifest's `subject`; defaults to the target. */
  subject?: Descriptor;
  /** Replaces the thumbprint annotation value; null leaves it out. */
  thumbprintAnnotation?: string | null;
}

export interface Blob {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

export interface NotationTestSignature {
  manifest: OciManifest;
  manifestBytes: Uint8Array;
  manifestDigest: string;
  /** As a referrers listing shows it: artifactType (or config media type) and the annotations. */
  manifestDescriptor: Descriptor;
  envelopeBytes: Uint8Array;
  envelopeMediaType: 'application/jose+json' | 'application/cose';
  envelopeDescriptor: Descriptor;
  configBytes: Uint8Array;
  configDescriptor: Descriptor;
  /** Every blob the manifest references (config and envelope), to push before the manifest. */
  blobs: Blob[];
  /** Leaf first, ending with the root, as in the envelope. */
  certificates: TestCertificate[];
  alg: string;
  thumbprints: string[];
  signingTime: Date;
}

const HASHES = {
  PS256: 'sha256',
  PS384: 'sha384',
  PS512: 'sha512',
  ES256: 'sha256',
  ES384: 'sha384',
  ES512: 'sha512',
};
const COSE_LABELS = { PS256: -37, PS384: -38, PS512: -39, ES256: -7, ES384: -35, ES512: -36 };

export function signNotation(target: Descriptor, options: SignNotationOptions = {}): NotationTestSignature {
  const pki = testPki();
  const leaf = options.leaf ?? pki.leaves[options.key ?? 'rsa3072'];
  const chain: TestCertificate[] = [leaf, pki.root];
  const alg = leaf.alg;
  const scheme = options.signingScheme ?? 'notary.x509';
  // Notation writes whole seconds; the payload and times are Go encoding/json style output.
  const signingTime = new Date(Math.floor((options.signingTime ?? new Date()).getTime() / 1000) * 1000);
  const agent = options.signingAgent === undefined ? 'sigscan-test-signer/1.0' : options.signingAgent;
  const claimed = options.payloadTarget ?? target;
  const payload = utf8(
    JSON.stringify({
      targetArtifact: { mediaType: claimed.mediaType, digest: claimed.digest, size: claimed.size },
    }),
  );
  const timeKey =
    scheme === 'notary.x509' ? 'io.cncf.notary.signingTime' : 'io.cncf.notary.authenticSigningTime';
  const crit = ['io.cncf.notary.signingScheme'];
  if (scheme !== 'notary.x509') crit.push('io.cncf.notary.authenticSigningTime');
  if (options.expiry) crit.push('io.cncf.notary.expiry');

  let envelopeBytes: Uint8Array;
  let envelopeMediaType: NotationTestSignature['envelopeMediaType'];
  if ((options.envelope ?? 'jws') === 'jws') {
    envelopeMediaType = 'application/jose+json';
    const header: Record<string, unknown> = {
      alg,
      crit,
      cty: PAYLOAD_TYPE,
      'io.cncf.notary.signingScheme': scheme,
    };
    header[timeKey] = rfc3339(signingTime);
    if (options.expiry) header['io.cncf.notary.expiry'] = rfc3339(options.expiry);
    const protectedB64 = b64url(utf8(JSON.stringify(header)));
    const payloadB64 = b64url(payload);
    const signature = signBytes(alg, leaf.privateKey, utf8(`${protectedB64}.${payloadB64}`));
    const unprotected: Record<string, unknown> = {
      x5c: chain.map((c) => Buffer.from(c.der).toString('base64')),
    };
    if (agent !== null) unprotected['io.cncf.notary.signingAgent'] = agent;
    envelopeBytes = utf8(
      JSON.stringify({
        payload: payloadB64,
        protected: protectedB64,
        header: unprotected,
        signature: b64url(signature),
      }),
    );
  } else {
    envelopeMediaType = 'application/cose';
    const prot = new Map<number | string, unknown>([
      [1, COSE_LABELS[alg]],
      [2, crit],
      [3, PAYLOAD_TYPE],
      ['io.cncf.notary.signingScheme', scheme],
      [timeKey, new Tagged(1, signingTime.getTime() / 1000)],
    ]);
    if (options.expiry)
      prot.set('io.cncf.notary.expiry', new Tagged(1, Math.floor(options.expiry.getTime() / 1000)));
    const protectedBytes = encode(prot);
    const toBeSigned = encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
    const signature = signBytes(alg, leaf.privateKey, toBeSigned);
    const unprotected = new Map<number | string, unknown>([[33, chain.map((c) => c.der)]]);
    if (agent !== null) unprotected.set('io.cncf.notary.signingAgent', agent);
    envelopeBytes = encode(new Tagged(18, [protectedBytes, unprotected, payload, signature]));
  }

  const configBytes = utf8('{}');
  const form = options.manifestForm ?? 'artifactType';
  const configDescriptor: Descriptor = {
    mediaType: form === 'artifactType' ? OCI_EMPTY : NOTARY_SIGNATURE,
    digest: digestOf(configBytes),
    size: configBytes.length,
  };
  const envelopeDescriptor: Descriptor = {
    mediaType: envelopeMediaType,
    digest: digestOf(envelopeBytes),
    size: envelopeBytes.length,
  };
  const thumbprints = chain.map((c) => c.sha256Fingerprint);
  const annotations: Record<string, string> = {};
  if (options.thumbprintAnnotation !== null) {
    annotations[THUMBPRINT_ANNOTATION] = options.thumbprintAnnotation ?? JSON.stringify(thumbprints);
  }
  annotations['org.opencontainers.image.created'] = rfc3339(signingTime);
  const subject = options.subject ?? target;
  const manifest: OciManifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    ...(form === 'artifactType' ? { artifactType: NOTARY_SIGNATURE } : {}),
    config: configDescriptor,
    layers: [envelopeDescriptor],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations,
  };
  const manifestBytes = utf8(JSON.stringify(manifest));
  const manifestDigest = digestOf(manifestBytes);
  return {
    manifest,
    manifestBytes,
    manifestDigest,
    manifestDescriptor: {
      mediaType: OCI_MANIFEST,
      digest: manifestDigest,
      size: manifestBytes.length,
      artifactType: NOTARY_SIGNATURE,
      annotations,
    },
    envelopeBytes,
    envelopeMediaType,
    envelopeDescriptor,
    configBytes,
    configDescriptor,
    blobs: [
      { descriptor: configDescriptor, bytes: configBytes },
      { descriptor: envelopeDescriptor, bytes: envelopeBytes },
    ],
    certificates: chain,
    alg,
    thumbprints,
    signingTime,
  };
}

/** RSASSA-PSS with MGF1 and salt = hash length; ECDSA as raw r‖s, as JWS and COSE both require. */
function signBytes(alg: keyof typeof HASHES, key: KeyObject, data: Uint8Array): Uint8Array {
  const hash = HASHES[alg];
  if (alg.startsWith('PS')) {
    const saltLength = createHash(hash).digest().length;
    return new Uint8Array(
      cryptoSign(hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }),
    );
  }
  return new Uint8Array(cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }));
}

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
