import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';

import type { Sidecar } from '../detectors/detector.js';

/** Suffixes naming the file they sign: `<file><suffix>`. Longest first. */
const BUNDLE_SUFFIXES = ['.sigstore.json', '.sigstore'];
const JSONL_SUFFIXES = ['.intoto.jsonl'];
const CERT_SUFFIXES = ['.pem', '.crt', '.cert'];
/** Standalone attestation files that name their subjects inside (GitHub `gh attestation download`). */
const STANDALONE = /(\.intoto\.jsonl|\.sigstore\.json|^sha256[:-][0-9a-f]{64}\.jsonl)$/;
/** Signature files are small; anything larger is not read while walking. */
const MAX_SIDECAR_PEEK = 4 * 1024 * 1024;
const MAX_SUBJECTS = 256;

/**
 * Sidecar suffixes that plugin families declared (`<file>.ed25519.sig`), with the family each belongs
 * to; set for the duration of an fs scan by usePluginSidecars.
 */
let pluginSuffixes: ReadonlyArray<readonly [suffix: string, family: string]> = [];

/** Makes these plugin suffixes sidecars until the returned function is called. */
export function usePluginSidecars(suffixes: ReadonlyArray<readonly [string, string]>): () => void {
  const before = pluginSuffixes;
  pluginSuffixes = [...suffixes].sort((a, b) => b[0].length - a[0].length);
  return () => {
    pluginSuffixes = before;
  };
}

export interface DirectorySidecars {
  /** Sidecars per signed file name. */
  attached: Map<string, Sidecar[]>;
  /** Names of the signature files: never targets, never counted as skipped. */
  claimed: Set<string>;
}

/**
 * Finds detached signatures among the regular files of one directory (formats.md §2.9): bundles and
 * `.intoto.jsonl` named after the file, `<file>.sig` (base64, as cosign writes it) with an optional
 * `<file>.pem`/`.crt`/`.cert`, and standalone attestation files whose in-toto subjects name a sibling.
 * A name is a sidecar only when the file it names exists beside it.
 *
 * `names` are the files that may be sidecars. Without `present` they are every file of the directory and
 * presence is looked up among them; a directory too large to hold in memory passes only the names that
 * `maySidecar` accepts and answers presence from the file system.
 */
export async function findSidecars(
  dir: string,
  displayDir: string,
  names: readonly string[],
  present: (name: string) => boolean | Promise<boolean> = setLookup(names),
): Promise<DirectorySidecars> {
  const attached = new Map<string, Sidecar[]>();
  const claimed = new Set<string>();
  const attach = (target: string, sidecar: Sidecar, ...files: string[]): void => {
    const list = attached.get(target) ?? [];
    if (list.some((s) => s.absolutePath === sidecar.absolutePath)) return;
    list.push(sidecar);
    attached.set(target, list);
    for (const f of files) claimed.add(f);
  };
  const ref = (name: string) => ({ absolutePath: join(dir, name), displayPath: join(displayDir, name) });

  for (const name of names) {
    const plugin = pluginSuffixes.find(([suffix]) => name.endsWith(suffix) && name.length > suffix.length);
    if (plugin) {
      const target = name.slice(0, -plugin[0].length);
      if (await present(target)) attach(target, { kind: 'plugin', family: plugin[1], ...ref(name) }, name);
      continue;
    }
    const bundleBase = base(name, BUNDLE_SUFFIXES);
    if (bundleBase && (await present(bundleBase))) {
      attach(bundleBase, { kind: 'bundle', ...ref(name) }, name);
      continue;
    }
    const jsonlBase = base(name, JSONL_SUFFIXES);
    if (jsonlBase && (await present(jsonlBase))) {
      attach(jsonlBase, { kind: 'jsonl', ...ref(name) }, name);
      continue;
    }
    if (name.endsWith('.sig') && name.length > 4) {
      const target = name.slice(0, -4);
      if (!(await present(target))) continue;
      const head = await peek(join(dir, name), 16 * 1024 + 1);
      // The sigstore code (X.509 and pkijs under it) loads only for a tree with such files.
      const { looksLikeBase64Signature } = await import('../formats/sigstore/index.js');
      if (!head || !looksLikeBase64Signature(head)) continue; // e.g. an OpenPGP detached signature
      let cert: string | undefined;
      for (const candidate of CERT_SUFFIXES.map((s) => `${target}${s}`)) {
        if (await present(candidate)) {
          cert = candidate;
          break;
        }
      }
      attach(
        target,
        { kind: 'signature', ...ref(name), ...(cert ? { certificate: ref(cert) } : {}) },
        name,
        ...(cert ? [cert] : []),
      );
    }
  }

  // Standalone attestation files: attach to the siblings their statements name.
  for (const name of names) {
    if (claimed.has(name) || !STANDALONE.test(name)) continue;
    const bytes = await peek(join(dir, name), MAX_SIDECAR_PEEK);
    if (!bytes) continue;
    const kind: Sidecar['kind'] = name.endsWith('.jsonl') ? 'jsonl' : 'bundle';
    for (const subject of await subjectNames(bytes, kind)) {
      const target = basename(subject);
      if (target !== name && !claimed.has(target) && (await present(target))) {
        attach(target, { kind, ...ref(name), standalone: true }, name);
      }
    }
  }
  return { attached, claimed };
}

/** True for a name `findSidecars` could claim: the only names a streamed directory keeps in memory. */
export function maySidecar(name: string): boolean {
  return (
    pluginSuffixes.some(([suffix]) => name.endsWith(suffix)) ||
    base(name, BUNDLE_SUFFIXES) !== undefined ||
    base(name, JSONL_SUFFIXES) !== undefined ||
    base(name, CERT_SUFFIXES) !== undefined ||
    (name.endsWith('.sig') && name.length > 4) ||
    STANDALONE.test(name)
  );
}

function setLookup(names: readonly string[]): (name: string) => boolean {
  const set = new Set(names);
  return (name) => set.has(name);
}

function base(name: string, suffixes: readonly string[]): string | undefined {
  const suffix = suffixes.find((s) => name.endsWith(s) && name.length > s.length);
  return suffix ? name.slice(0, -suffix.length) : undefined;
}

/** Subject names of the in-toto statements in a bundle or JSON-Lines file (unverified: for matching). */
async function subjectNames(bytes: Uint8Array, kind: Sidecar['kind']): Promise<string[]> {
  const [{ envelopeAsBundles, isSigstoreBundleJson }, { parseInTotoStatement, IN_TOTO_PAYLOAD_TYPE }] =
    await Promise.all([import('../formats/sigstore/index.js'), import('../formats/dsse/index.js')]);
  const text = Buffer.from(bytes).toString('utf8');
  const docs = kind === 'jsonl' ? text.split('\n').filter((l) => l.trim()) : [text];
  const out: string[] = [];
  for (const line of docs) {
    try {
      const doc = JSON.parse(line) as { dsseEnvelope?: unknown };
      const envelope = isSigstoreBundleJson(doc)
        ? doc.dsseEnvelope
        : envelopeAsBundles(doc).length
          ? doc
          : undefined;
      const env = envelope as { payload?: string; payloadType?: string } | undefined;
      if (!env || env.payloadType !== IN_TOTO_PAYLOAD_TYPE || typeof env.payload !== 'string') continue;
      const statement = parseInTotoStatement(new Uint8Array(Buffer.from(env.payload, 'base64')));
      for (const s of statement.subjects) if (s.name) out.push(s.name);
    } catch {
      // not an attestation: this file is not a sidecar
    }
    if (out.length >= MAX_SUBJECTS) break;
  }
  return out;
}

async function peek(path: string, max: number): Promise<Uint8Array | undefined> {
  try {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      if (size > max) return undefined;
      const buf = Buffer.alloc(size);
      const { bytesRead } = await fh.read(buf, 0, size, 0);
      return new Uint8Array(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}
