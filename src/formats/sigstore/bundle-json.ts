import { SigscanError } from '../../errors.js';
import { decodeBase64 } from '../cosign/layer.js';
import { parseInTotoStatement, IN_TOTO_PAYLOAD_TYPE, type InTotoStatement } from '../dsse/index.js';
import { pemCertificates } from '../x509.js';

/** Every Sigstore bundle media type (formats.md §2.9), and the OCI artifactType prefix for all of them. */
export const SIGSTORE_BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';
export const SIGSTORE_BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const KNOWN_MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.bundle(\+json;version=0\.[123]|\.v0\.3\+json)$/;

export function isSigstoreBundleMediaType(mediaType: string | undefined): boolean {
  return Boolean(mediaType?.startsWith(SIGSTORE_BUNDLE_PREFIX));
}

/** What a Sigstore bundle says, read leniently for reporting (verification re-parses strictly). */
export interface BundleSummary {
  mediaType: string;
  knownMediaType: boolean;
  content: 'messageSignature' | 'dsseEnvelope' | 'unknown';
  certificateDer?: Uint8Array;
  chainDer: Uint8Array[];
  publicKeyHint?: string;
  /** `messageSignature.messageDigest` as `<alg>:<hex>` (`sha256:`, `sha384:`, `sha512:`). */
  messageDigest?: string;
  payloadType?: string;
  statement?: InTotoStatement;
  dsseSignatureCount?: number;
  tlogEntries: Array<{ logIndex?: string; integratedTime?: number; kind?: string; version?: string }>;
  rfc3161Count: number;
}

const HASH_NAMES: Record<string, string> = { SHA2_256: 'sha256', SHA2_384: 'sha384', SHA2_512: 'sha512' };

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
const b64 = (v: unknown, what: string): Uint8Array => decodeBase64(str(v) ?? '', what);

/** True when the JSON document looks like a Sigstore bundle (a bundle media type or verification material). */
export function isSigstoreBundleJson(doc: unknown): boolean {
  const b = obj(doc);
  return isSigstoreBundleMediaType(str(b?.['mediaType'])) || Boolean(obj(b?.['verificationMaterial']));
}

export function summarizeBundle(doc: unknown): BundleSummary {
  const b = obj(doc);
  const mediaType = str(b?.['mediaType']);
  if (!b || !mediaType) throw new SigscanError('MALFORMED_SIGNATURE', 'Sigstore bundle has no mediaType');
  const vm = obj(b['verificationMaterial']) ?? {};
  const summary: BundleSummary = {
    mediaType,
    knownMediaType: KNOWN_MEDIA_TYPE.test(mediaType),
    content: 'unknown',
    chainDer: [],
    tlogEntries: [],
    rfc3161Count: 0,
  };
  const cert = obj(vm['certificate']);
  const chain = obj(vm['x509CertificateChain']);
  if (cert) summary.certificateDer = b64(cert['rawBytes'], 'bundle certificate');
  else if (chain && Array.isArray(chain['certificates'])) {
    const ders = chain['certificates'].map((c, i) =>
      b64(obj(c)?.['rawBytes'], `bundle chain certificate ${i}`),
    );
    summary.certificateDer = ders[0];
    summary.chainDer = ders.slice(1);
  }
  const key = obj(vm['publicKey']);
  if (key) summary.publicKeyHint = str(key['hint']) ?? '';
  for (const e of Array.isArray(vm['tlogEntries']) ? vm['tlogEntries'] : []) {
    const entry = obj(e) ?? {};
    const kv = obj(entry['kindVersion']);
    const time = Number(str(entry['integratedTime']) ?? '0');
    summary.tlogEntries.push({
      logIndex: str(entry['logIndex']),
      integratedTime: Number.isFinite(time) && time > 0 ? time : undefined,
      kind: str(kv?.['kind']),
      version: str(kv?.['version']),
    });
  }
  const tsv = obj(vm['timestampVerificationData']);
  if (tsv && Array.isArray(tsv['rfc3161Timestamps'])) summary.rfc3161Count = tsv['rfc3161Timestamps'].length;

  const ms = obj(b['messageSignature']);
  const env = obj(b['dsseEnvelope']);
  if (ms) {
    summary.content = 'messageSignature';
    const md = obj(ms['messageDigest']);
    const alg = HASH_NAMES[str(md?.['algorithm']) ?? ''];
    if (md && alg)
      summary.messageDigest = `${alg}:${Buffer.from(b64(md['digest'], 'message digest')).toString('hex')}`;
  } else if (env) {
    summary.content = 'dsseEnvelope';
    summary.payloadType = str(env['payloadType']);
    summary.dsseSignatureCount = Array.isArray(env['signatures']) ? env['signatures'].length : 0;
    if (summary.payloadType === IN_TOTO_PAYLOAD_TYPE) {
      summary.statement = parseInTotoStatement(b64(env['payload'], 'DSSE payload'));
    }
  }
  return summary;
}

/**
 * A bare DSSE envelope (as in older `*.intoto.jsonl` files) expressed as a v0.3 bundle with a public-key
 * hint and no log entries, so the one bundle verifier checks it (only `--key` can). One bundle per
 * signature: a bundle carries exactly one.
 */
export function envelopeAsBundles(doc: unknown): Json[] {
  const env = obj(doc);
  if (!env || typeof env['payloadType'] !== 'string' || !Array.isArray(env['signatures'])) return [];
  return env['signatures'].map((s) => ({
    mediaType: SIGSTORE_BUNDLE_V03,
    verificationMaterial: { publicKey: { hint: str(obj(s)?.['keyid']) ?? '' }, tlogEntries: [] },
    dsseEnvelope: { payload: env['payload'], payloadType: env['payloadType'], signatures: [s] },
  }));
}

/** cosign's own (pre-Sigstore-bundle) `sign-blob --bundle` file: `{base64Signature, cert?, rekorBundle?}`. */
export interface LegacyCosignBundle {
  signature: Uint8Array;
  /** PEM text of the certificate (cosign base64-wraps the PEM here). */
  certificatePem?: string;
  /** The Rekor bundle as cosign's layer annotation spells it (JSON text). */
  rekorBundleJson?: string;
}

export function isLegacyCosignBundle(doc: unknown): boolean {
  return typeof obj(doc)?.['base64Signature'] === 'string';
}

export function parseLegacyCosignBundle(doc: unknown): LegacyCosignBundle {
  const b = obj(doc);
  if (!b || typeof b['base64Signature'] !== 'string')
    throw new SigscanError('MALFORMED_SIGNATURE', 'cosign bundle has no base64Signature');
  const cert = str(b['cert']);
  return {
    signature: decodeBase64(b['base64Signature'], 'cosign bundle signature'),
    certificatePem: cert ? certificatePemText(Buffer.from(cert, 'utf8')) : undefined,
    rekorBundleJson: obj(b['rekorBundle']) ? JSON.stringify(b['rekorBundle']) : undefined,
  };
}

/**
 * A certificate file as cosign writes it: PEM, base64 of the PEM (`--output-certificate` in older
 * cosign, and the `cert` field of its bundle), or DER. Returns PEM text.
 */
export function certificatePemText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8');
  if (text.includes('-----BEGIN CERTIFICATE-----')) return text;
  const compact = text.replace(/\s+/g, '');
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    const decoded = Buffer.from(compact, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN CERTIFICATE-----')) return decoded;
  }
  if (bytes[0] === 0x30) {
    const body = Buffer.from(bytes)
      .toString('base64')
      .replace(/(.{64})/g, '$1\n');
    return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
  }
  throw new SigscanError('MALFORMED_CERTIFICATE', 'certificate file is neither PEM, base64 PEM nor DER');
}

/** Certificates (leaf first) from a certificate sidecar. */
export function certificateFileDers(bytes: Uint8Array): Uint8Array[] {
  const ders = pemCertificates(certificatePemText(bytes));
  if (!ders.length) throw new SigscanError('MALFORMED_CERTIFICATE', 'certificate file holds no certificate');
  return ders;
}

/** A detached cosign signature file (`sign-blob --output-signature`): base64 text of the raw signature. */
export function looksLikeBase64Signature(bytes: Uint8Array): boolean {
  if (!bytes.length || bytes.length > 16 * 1024) return false;
  const text = Buffer.from(bytes).toString('latin1').trim();
  return text.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(text);
}
