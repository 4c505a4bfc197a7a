import type { TufTargetInfo } from '../../formats/tuf/metadata.js';

/** The image as sigscan resolved it: the digest the tag points at and the manifest's size. */
export interface ResolvedImage {
  /** `sha256:<hex>` (or another algorithm, which never matches a DCT target). */
  digest: string;
  /** Manifest size in bytes, when the source reported it. */
  size?: number;
}

export type TargetCheck =
  | { ok: true; sha256: string; length: number }
  | {
      ok: false;
      code: 'TUF_NO_SHA256' | 'TUF_DIGEST_MISMATCH' | 'TUF_LENGTH_MISMATCH' | 'TUF_LENGTH_UNKNOWN';
      message: string;
    };

/**
 * A DCT target entry must name exactly the manifest sigscan scanned. The docker client
 * (docker/cli v28.2.2 cli/command/image/trust.go, `convertTarget`) refuses a target without a
 * `sha256` hash ("no valid hash, expecting sha256") and then pulls `repo@sha256:<that hash>`, so what
 * docker runs is the signed digest, never whatever the tag currently points at. Hence: no sha256 →
 * invalid; sha256 ≠ the digest sigscan resolved → invalid (the image scanned is not the one signed);
 * the signed length ≠ the manifest size → invalid. docker itself drops the length (it pulls by digest),
 * but the TUF specification (§5.7.3, "the target's length and hashes must match") and the notary
 * client (`data.CheckHashes` after a length-capped read in tuf/client) bind both; a length that does
 * not fit the digest's bytes means the metadata was not made from this manifest. A size sigscan does
 * not know cannot be compared, so such a target is never `verified`.
 */
export function checkTargetEntry(
  name: string,
  role: string,
  t: TufTargetInfo,
  image: ResolvedImage,
): TargetCheck {
  const hex = t.hashes['sha256'];
  if (!hex || !/^[0-9a-f]{64}$/.test(hex)) {
    const algs = Object.keys(t.hashes);
    return {
      ok: false,
      code: 'TUF_NO_SHA256',
      message: `${role} lists ${name} without a sha256 hash (${algs.length ? `only ${algs.join(', ')}` : 'no hashes'}); the docker client refuses such a target ("no valid hash, expecting sha256")`,
    };
  }
  if (image.digest !== `sha256:${hex}`) {
    return {
      ok: false,
      code: 'TUF_DIGEST_MISMATCH',
      message: `${role} signs ${name} as sha256:${hex}, but the registry serves ${image.digest} (tag moved after signing?)`,
    };
  }
  if (image.size === undefined) {
    return {
      ok: false,
      code: 'TUF_LENGTH_UNKNOWN',
      message: `${role} signs ${name} with length ${t.length}, but the manifest size is unknown, so the length could not be compared`,
    };
  }
  if (t.length !== image.size) {
    return {
      ok: false,
      code: 'TUF_LENGTH_MISMATCH',
      message: `${role} signs ${name} with length ${t.length}, the manifest is ${image.size} bytes`,
    };
  }
  return { ok: true, sha256: hex, length: t.length };
}
