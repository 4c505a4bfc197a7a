/**
 * Real TUF metadata from the shared corpus (notary 0.1 / 0.3 client output, python-tuf's test repository,
 * Sigstore's roots) and byte surgery on it, for the format readers' tests (test/formats/tuf/).
 *
 * Surgery edits the decoded `signed` object and writes the file back with JSON.stringify: the parsers
 * under test check structure only, so the (now stale) signatures are kept as the tool wrote them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { TufRepositoryFiles } from '../../src/formats/tuf/index.js';
import { CORPUS_DIR } from './corpus.js';

export const TUF_CORPUS = join(CORPUS_DIR, 'notary-v1-tuf');
export const NOTARY03 = 'notary/notary0.3';
export const PYTHON_TUF = 'python-tuf/metadata';

export interface MetadataDoc {
  signed: Record<string, unknown>;
  signatures: Array<Record<string, unknown>>;
}

/** A corpus file's bytes, by path under notary-v1-tuf/. */
export function tufBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TUF_CORPUS, rel)));
}

/** A corpus file decoded, for surgery. */
export function tufDoc(rel: string): MetadataDoc {
  return JSON.parse(readFileSync(join(TUF_CORPUS, rel), 'utf8')) as MetadataDoc;
}

export function encodeDoc(doc: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(doc), 'utf8'));
}

/** The corpus file with `edit` applied to its decoded `signed` object (signatures kept as written). */
export function withSigned(rel: string, edit: (signed: Record<string, unknown>) => void): Uint8Array {
  const doc = tufDoc(rel);
  edit(doc.signed);
  return encodeDoc(doc);
}

/** The corpus file with `edit` applied to the whole decoded document. */
export function withDoc(rel: string, edit: (doc: MetadataDoc) => unknown): Uint8Array {
  const doc = tufDoc(rel);
  const replaced = edit(doc);
  return encodeDoc(replaced === undefined ? doc : replaced);
}

/** The notary 0.3 client's repository (`docker.com/notary0.3/tst`) as a notary server serves it. */
export function notary03Files(): TufRepositoryFiles {
  return {
    root: tufBytes(`${NOTARY03}/root.json`),
    timestamp: tufBytes(`${NOTARY03}/timestamp.json`),
    snapshot: tufBytes(`${NOTARY03}/snapshot.json`),
    targets: tufBytes(`${NOTARY03}/targets.json`),
    delegations: { 'targets/releases': tufBytes(`${NOTARY03}/targets/releases.json`) },
  };
}

/**
 * A notary delegation file: the 0.3 client's `targets/releases.json` with its own delegation list replaced
 * by `children` (each `{name, paths}` and the file's rsa-x509 key) and its targets by `targets`.
 */
export function delegationFile(
  children: Array<{ name: string; paths?: string[]; path_hash_prefixes?: string[] }>,
  targets?: Record<string, unknown>,
): Uint8Array {
  return withSigned(`${NOTARY03}/targets/releases.json`, (s) => {
    const keyid = '68243a1f948be7841403f65fc8f24d5eda9050c337e727e2eacc3d3cb5227d73';
    const top = tufDoc(`${NOTARY03}/targets.json`).signed['delegations'] as { keys: Record<string, unknown> };
    s['delegations'] = {
      keys: children.length ? { [keyid]: top.keys[keyid] } : {},
      roles: children.map((c) => ({ keyids: [keyid], threshold: 1, ...c })),
    };
    if (targets) s['targets'] = targets;
  });
}

/** The notary 0.3 top-level targets.json with its delegation roles replaced by `children`. */
export function topTargetsDelegating(
  children: Array<{ name: string; paths?: string[]; path_hash_prefixes?: string[] }>,
): Uint8Array {
  return withSigned(`${NOTARY03}/targets.json`, (s) => {
    const del = s['delegations'] as { keys: Record<string, unknown>; roles: Array<Record<string, unknown>> };
    const template = del.roles[0]!;
    del.roles = children.map((c) => ({ keyids: template['keyids'], threshold: 1, ...c }));
  });
}
