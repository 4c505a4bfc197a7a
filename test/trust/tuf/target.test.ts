/**
 * The DCT target-entry rule (src/trust/tuf/target.ts) on entries the real notary client wrote
 * (test/helpers/tuf-repo-cache.ts), with byte surgery for the entries no client writes.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { parseTufMetadata, type TufTargetInfo } from '../../../src/formats/tuf/metadata.js';
import { checkTargetEntry } from '../../../src/trust/tuf/target.js';
import { TARGETS, tufRepoFixture } from '../../helpers/tuf-repo-cache.js';

let good: TufTargetInfo;
let nosha: TufTargetInfo;
/** The targets.json the client wrote, with `good`'s sha256 replaced (the signature no longer matters here). */
let withSha256: (bytes: Buffer) => TufTargetInfo;

beforeAll(async () => {
  const f = await tufRepoFixture();
  const targets = parseTufMetadata(f.after.targets!).targets!.targets;
  good = targets.get('good')!;
  nosha = targets.get('nosha')!;
  withSha256 = (bytes) => {
    const doc = JSON.parse(Buffer.from(f.after.targets!).toString('utf8')) as {
      signed: { targets: Record<string, { hashes: Record<string, string> }> };
    };
    doc.signed.targets['good']!.hashes['sha256'] = bytes.toString('base64');
    const md = parseTufMetadata(new Uint8Array(Buffer.from(JSON.stringify(doc))));
    return md.targets!.targets.get('good')!;
  };
});

const image = (digest: string, size?: number) => ({ digest, size });
const GOOD = `sha256:${TARGETS.good.sha256}`;

describe('checkTargetEntry', () => {
  it('the entry notary wrote for the scanned manifest: ok, with its sha256 and length', () => {
    expect(good).toEqual({ hashes: { sha256: TARGETS.good.sha256 }, length: 528 });
    expect(checkTargetEntry('good', 'targets', good, image(GOOD, 528))).toEqual({
      ok: true,
      sha256: TARGETS.good.sha256,
      length: 528,
    });
  });

  it('an entry notary signed by sha512 alone: TUF_NO_SHA256 (the docker client refuses it)', () => {
    const r = checkTargetEntry('nosha', 'targets', nosha, image(GOOD, 300));
    expect(r).toMatchObject({ ok: false, code: 'TUF_NO_SHA256' });
    expect(r.ok || r.message).toBe(
      'targets lists nosha without a sha256 hash (only sha512); the docker client refuses such a target ("no valid hash, expecting sha256")',
    );
  });

  it('no hashes at all: TUF_NO_SHA256, saying so', () => {
    const r = checkTargetEntry('x', 'targets', { hashes: {}, length: 1 }, image(GOOD, 1));
    expect(r.ok || [r.code, r.message]).toEqual([
      'TUF_NO_SHA256',
      'targets lists x without a sha256 hash (no hashes); the docker client refuses such a target ("no valid hash, expecting sha256")',
    ]);
  });

  it('a sha256 of 33 bytes (66 hex digits) is not a sha256: TUF_NO_SHA256 even when its first or last 64 digits match', () => {
    const digest = Buffer.from(TARGETS.good.sha256, 'hex');
    const longer = withSha256(Buffer.concat([digest, Buffer.from([0])]));
    expect(longer.hashes['sha256']).toBe(`${TARGETS.good.sha256}00`);
    expect(checkTargetEntry('good', 'targets', longer, image(GOOD, 528))).toMatchObject({
      ok: false,
      code: 'TUF_NO_SHA256',
    });
    const prefixed = withSha256(Buffer.concat([Buffer.from([0]), digest]));
    expect(checkTargetEntry('good', 'targets', prefixed, image(GOOD, 528))).toMatchObject({
      ok: false,
      code: 'TUF_NO_SHA256',
    });
  });

  it('a tag whose manifest is not the signed one: TUF_DIGEST_MISMATCH', () => {
    const other = `sha256:${TARGETS.rel.sha256}`;
    expect(checkTargetEntry('good', 'targets', good, image(other, 528))).toMatchObject({
      ok: false,
      code: 'TUF_DIGEST_MISMATCH',
    });
    // The same hex under another algorithm is not the signed digest either.
    expect(
      checkTargetEntry('good', 'targets', good, image(`sha512:${TARGETS.good.sha256}`, 528)),
    ).toMatchObject({ ok: false, code: 'TUF_DIGEST_MISMATCH' });
  });

  it('a manifest size the source did not report: TUF_LENGTH_UNKNOWN', () => {
    expect(checkTargetEntry('good', 'targets', good, image(GOOD))).toMatchObject({
      ok: false,
      code: 'TUF_LENGTH_UNKNOWN',
    });
  });

  it('a manifest one byte longer than the signed length: TUF_LENGTH_MISMATCH', () => {
    expect(checkTargetEntry('good', 'targets', good, image(GOOD, 529))).toMatchObject({
      ok: false,
      code: 'TUF_LENGTH_MISMATCH',
    });
  });
});
