/**
 * Byte surgery on cosign artifacts, with the real cosign doing every signature: `cosign sign-blob
 * --key` signs whatever bytes a test builds (a DSSE PAE, a payload), and these helpers place the
 * result where `cosign verify[-attestation]` and sigscan look for it (the `.att` / `.sig` tags).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { cosign } from './cosign.js';
import { digestTag, OCI_MANIFEST, pushBlob, pushManifest } from './push.js';
import type { TestRegistry } from './registry.js';

export const DSSE_LAYER = 'application/vnd.dsse.envelope.v1+json';
export const IN_TOTO = 'application/vnd.in-toto+json';

let counter = 0;

/** `cosign sign-blob --key <key> --tlog-upload=false` over `bytes`: the base64 signature cosign prints. */
export async function cosignSignBytes(
  dir: string,
  keyPath: string,
  bytes: Uint8Array | string,
): Promise<string> {
  const file = join(dir, `surgery-${process.pid}-${counter++}.bin`);
  await writeFile(file, bytes);
  const res = await cosign(['sign-blob', `--key=${keyPath}`, '--tlog-upload=false', '--yes', file]);
  const sig = res.stdout.trim().split('\n').pop()!.trim();
  if (!/^[A-Za-z0-9+/=]+$/.test(sig)) throw new Error(`cosign sign-blob printed no signature: ${res.stdout}`);
  return sig;
}

/** DSSE pre-authentication encoding (the bytes every DSSE signature covers). */
export function pae(payloadType: string, payload: Uint8Array | string): Buffer {
  const type = Buffer.from(payloadType);
  const body = Buffer.from(payload);
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${body.length} `), body]);
}

/** A DSSE envelope over `payload`, signed by cosign with `keyPath`. */
export async function cosignDsse(
  dir: string,
  keyPath: string,
  payloadType: string,
  payload: string,
): Promise<string> {
  const sig = await cosignSignBytes(dir, keyPath, pae(payloadType, payload));
  return JSON.stringify({
    payloadType,
    payload: Buffer.from(payload).toString('base64'),
    signatures: [{ keyid: '', sig }],
  });
}

/** An in-toto v0.1 statement (cosign's custom predicate type) naming `digests` as sha256 subjects. */
export function statement(digests: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType: 'https://cosign.sigstore.dev/attestation/v1',
    subject: digests.map((d) => ({ name: 'image', digest: { sha256: d.replace(/^sha256:/, '') } })),
    predicate: { Data: 'surgery', Timestamp: '2026-12-05T00:00:00Z' },
    ...extra,
  });
}

/** Pushes `layers` as the `.att` (or `.sig`) manifest of `imageDigest`, the way cosign lays it out. */
export async function pushCosignTag(
  reg: TestRegistry,
  repo: string,
  imageDigest: string,
  suffix: '.att' | '.sig',
  layers: Array<{ mediaType: string; bytes: string; annotations: Record<string, string> }>,
): Promise<void> {
  const config = await pushBlob(reg, repo, '{}');
  const descs = [];
  for (const l of layers) {
    const blob = await pushBlob(reg, repo, l.bytes);
    descs.push({ mediaType: l.mediaType, size: blob.size, digest: blob.digest, annotations: l.annotations });
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      size: config.size,
      digest: config.digest,
    },
    layers: descs,
  };
  await pushManifest(reg, repo, digestTag(imageDigest, suffix), JSON.stringify(manifest), OCI_MANIFEST);
}
