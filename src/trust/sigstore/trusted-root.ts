import { readFile } from 'node:fs/promises';

import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toTrustMaterial, VerificationError, type KeyFinderFunc, type TrustMaterial } from '@sigstore/verify';

import { SigscanError } from '../../errors.js';

/** One Sigstore `trusted_root.json` (Fulcio CAs, Rekor logs, CT logs, TSAs), parsed once. */
export interface LoadedTrustedRoot {
  path: string;
  root: TrustedRoot;
}

const cache = new Map<string, Promise<LoadedTrustedRoot>>();

/** Reads and parses a trusted_root.json (protobuf-JSON `TrustedRoot`); cached per path for the process. */
export function loadTrustedRoot(path: string): Promise<LoadedTrustedRoot> {
  let pending = cache.get(path);
  if (!pending) {
    pending = readTrustedRoot(path);
    cache.set(path, pending);
    pending.catch(() => cache.delete(path));
  }
  return pending;
}

export function loadTrustedRoots(paths: readonly string[]): Promise<LoadedTrustedRoot[]> {
  return Promise.all(paths.map(loadTrustedRoot));
}

/** Parses trusted_root.json text already in memory. */
export function parseTrustedRoot(json: unknown, path = '<memory>'): LoadedTrustedRoot {
  if (!json || typeof json !== 'object') {
    throw new SigscanError('USAGE', `--trusted-root ${path}: not a JSON object`);
  }
  let root: TrustedRoot;
  try {
    root = TrustedRoot.fromJSON(json);
  } catch (err) {
    throw new SigscanError('USAGE', `--trusted-root ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!root.certificateAuthorities.length && !root.tlogs.length && !root.timestampAuthorities.length) {
    throw new SigscanError('USAGE', `--trusted-root ${path}: names no CA, transparency log or TSA`);
  }
  return { path, root };
}

async function readTrustedRoot(path: string): Promise<LoadedTrustedRoot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SigscanError('USAGE', `--trusted-root ${path}: ${(err as Error).message}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new SigscanError('USAGE', `--trusted-root ${path}: not JSON (${(err as Error).message})`, {
      cause: err,
    });
  }
  return parseTrustedRoot(json, path);
}

/**
 * sigstore-js trust material for one trusted root. `keys` answers `publicKey.hint` lookups for
 * key-based signatures (the hint is unauthenticated: callers pass a finder that returns the one key
 * they are trying).
 */
export function trustMaterial(loaded: LoadedTrustedRoot | undefined, keys?: KeyFinderFunc): TrustMaterial {
  if (!loaded) {
    return {
      certificateAuthorities: [],
      timestampAuthorities: [],
      tlogs: [],
      ctlogs: [],
      publicKey: keys ?? noKeys,
    };
  }
  // A log key whose validity has no start is a malformed root, not an unbounded key (conformance
  // trust-root-tlog-missing-validity-start): such logs are not trusted at all.
  const root: TrustedRoot = {
    ...loaded.root,
    tlogs: loaded.root.tlogs.filter((t) => t.publicKey?.validFor?.start !== undefined),
  };
  return toTrustMaterial(root, keys ?? noKeys);
}

const noKeys: KeyFinderFunc = (hint) => {
  throw new VerificationError({
    code: 'PUBLIC_KEY_ERROR',
    message: `no public key supplied for key hint "${hint}"`,
  });
};

/** Hex log ids (SHA-256 of the log key) of the transparency logs a trusted root names. */
export function tlogIds(loaded: LoadedTrustedRoot): string[] {
  return loaded.root.tlogs.map((t) => Buffer.from(t.logId?.keyId ?? new Uint8Array()).toString('hex'));
}
