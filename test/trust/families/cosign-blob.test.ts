/**
 * cosignFamilyVerifier on detached blob signatures (issue #18): `cosign sign-blob --key` output beside a
 * file, read by the cosign-blob detector as an fs scan reads it, with `cosign verify-blob`'s own verdict
 * beside sigscan's. The signature covers the file bytes, so it is first bound to the file it is checked
 * against: the same evidence judged against another file, or an image of the same digest, is
 * ARTIFACT_DIGEST_MISMATCH. Made once a day (.cache/test-fixtures): Stryker reruns the hook per mutant.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { cosignBlobDetector } from '../../../src/detectors/cosign-blob.js';
import type { Evidence, FileTarget, ImageTarget, Target, Verdict } from '../../../src/model/index.js';
import { emptyTrustConfig, readPublicKey, type TrustConfig } from '../../../src/trust/config.js';
import { cosignFamilyVerifier } from '../../../src/trust/families/cosign-blob.js';
import { DEFAULT_LIMITS } from '../../../src/util/limits.js';
import { silentLogger } from '../../../src/util/logger.js';
import { cosign, cosignKeypair } from '../../helpers/cosign.js';
import { breathe, cachedFixtureDir } from '../../helpers/fixture-cache.js';

interface CosignSays {
  blob: boolean;
  other: boolean;
}

let dir: string;
let says: CosignSays;

beforeAll(async () => {
  dir = await cachedFixtureDir('csn-cosign-blob-v1', async (d) => {
    const keys = await cosignKeypair(d);
    writeFileSync(join(d, 'blob.txt'), 'sigscan cosign-blob fixture\n');
    // One byte changed: what an attacker would ship under the original's signature.
    writeFileSync(join(d, 'other.txt'), 'sigscan cosign-blob fixturE\n');
    await cosign(
      [
        'sign-blob',
        '--yes',
        '--key',
        keys.key,
        '--tlog-upload=false',
        '--output-signature',
        'blob.txt.sig',
        'blob.txt',
      ],
      { cwd: d },
    );
    await breathe();
    const accepts = async (file: string) =>
      (
        await cosign(
          ['verify-blob', '--key', keys.pub, '--insecure-ignore-tlog', '--signature', 'blob.txt.sig', file],
          { cwd: d, check: false },
        )
      ).code === 0;
    const verdicts: CosignSays = { blob: await accepts('blob.txt'), other: await accepts('other.txt') };
    writeFileSync(join(d, 'cosign-says.json'), JSON.stringify(verdicts));
  });
  says = JSON.parse(readFileSync(join(dir, 'cosign-says.json'), 'utf8')) as CosignSays;
}, 180_000);

function fileTarget(name: string): FileTarget {
  const bytes = readFileSync(join(dir, name));
  return {
    kind: 'file',
    path: join(dir, name),
    size: bytes.length,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
  } as FileTarget;
}

/** The evidence an fs scan of `name` makes from `blob.txt.sig` beside it. */
async function scan(name: string): Promise<Evidence> {
  const target = fileTarget(name);
  const out: Evidence[] = [];
  const ctx = {
    file: {
      absolutePath: target.path,
      bytes: new Uint8Array(readFileSync(target.path)),
      sidecars: [
        { kind: 'signature' as const, absolutePath: join(dir, 'blob.txt.sig'), displayPath: 'blob.txt.sig' },
      ],
    },
    limits: DEFAULT_LIMITS,
    log: silentLogger,
  };
  for await (const e of cosignBlobDetector.detect(target, ctx)) out.push(e);
  expect(out).toHaveLength(1);
  return out[0]!;
}

async function config(ignoreTlog: boolean): Promise<TrustConfig> {
  const c = emptyTrustConfig();
  c.keys = [await readPublicKey(join(dir, 'cosign.pub'))];
  c.insecureIgnoreTlog = ignoreTlog;
  return c;
}

async function verdict(e: Evidence, target: Target, c: TrustConfig): Promise<[string, string]> {
  const v: Verdict = await cosignFamilyVerifier(e, target, { config: c, now: new Date() });
  return [v.status, v.code];
}

describe('cosign family: detached blob signatures', () => {
  it('the file cosign signed: cosign verify-blob accepts, sigscan verifies with the key (tlog waived)', async () => {
    expect(says.blob).toBe(true);
    const e = await scan('blob.txt');
    expect(await verdict(e, fileTarget('blob.txt'), await config(true))).toEqual([
      'verified',
      'KEY_VERIFIED',
    ]);
    // No Rekor entry (--tlog-upload=false): cosign 2.x requires one unless waived, and so does sigscan.
    expect(await verdict(e, fileTarget('blob.txt'), await config(false))).toEqual([
      'untrusted',
      'TLOG_MISSING',
    ]);
  });

  it('the signature beside a changed file: cosign refuses, sigscan does not verify', async () => {
    expect(says.other).toBe(false);
    const e = await scan('other.txt');
    expect(await verdict(e, fileTarget('other.txt'), await config(true))).toEqual([
      'untrusted',
      'KEY_NOT_TRUSTED',
    ]);
  });

  it("the signed file's evidence judged against another file: invalid ARTIFACT_DIGEST_MISMATCH", async () => {
    const e = await scan('blob.txt');
    const v = await cosignFamilyVerifier(e, fileTarget('other.txt'), {
      config: await config(true),
      now: new Date(),
    });
    expect([v.status, v.code, v.message]).toEqual([
      'invalid',
      'ARTIFACT_DIGEST_MISMATCH',
      'the detached signature was not checked against this file',
    ]);
  });

  it('judged against an image whose digest is the file digest: still ARTIFACT_DIGEST_MISMATCH, a blob signature names no image', async () => {
    const e = await scan('blob.txt');
    const image: ImageTarget = {
      kind: 'image',
      registry: 'registry.example',
      repository: 'app',
      digest: fileTarget('blob.txt').digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    };
    expect(await verdict(e, image, await config(true))).toEqual(['invalid', 'ARTIFACT_DIGEST_MISMATCH']);
  });
});
