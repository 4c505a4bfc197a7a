/**
 * attestationEvidence on a DSSE envelope made by `cosign attest-blob` (issue #18): the envelope as cosign
 * wrote it, and with its signatures removed, which cosign verify-blob-attestation refuses. The blob
 * stands for an image manifest (the attestation's subject is its digest). Outputs are cached on disk
 * (keyed by FIXTURE_VERSION): Stryker reruns beforeAll for every mutant.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { attestationEvidence } from '../../src/detectors/cosign-attestation.js';
import type { ImageTarget } from '../../src/model/index.js';
import { cosign, cosignKeypair } from '../helpers/cosign.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const FIXTURE_VERSION = 'cosign-attestation-v2';
const CACHE = join(PROJECT_ROOT, '.cache', 'test-fixtures', FIXTURE_VERSION);
const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  layers: [],
});
const IMAGE: ImageTarget = {
  kind: 'image',
  registry: 'registry.example',
  repository: 'app',
  digest: `sha256:${createHash('sha256').update(MANIFEST).digest('hex')}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
};

interface Made {
  envelope: string;
  stripped: string;
  cosignAccepts: { made: boolean; stripped: boolean };
}

async function make(): Promise<Made> {
  const done = join(CACHE, 'made.json');
  // Paths are stored by file name and joined on read: the cache directory may be shared by several checkouts.
  if (existsSync(done)) {
    const cached = JSON.parse(readFileSync(done, 'utf8')) as Made;
    return {
      ...cached,
      envelope: join(CACHE, basename(cached.envelope)),
      stripped: join(CACHE, basename(cached.stripped)),
    };
  }
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  const keys = await cosignKeypair(CACHE);
  const blob = join(CACHE, 'manifest.json');
  writeFileSync(blob, MANIFEST);
  writeFileSync(
    join(CACHE, 'predicate.json'),
    JSON.stringify({
      builder: { id: 'https://sigscan.test/builder' },
      buildType: 'https://sigscan.test/build',
    }),
  );
  const envelope = join(CACHE, 'made.intoto.json');
  await cosign(
    [
      'attest-blob',
      '--yes',
      '--key',
      keys.key,
      '--predicate',
      'predicate.json',
      '--type',
      'slsaprovenance',
      '--tlog-upload=false',
      '--output-signature',
      envelope,
      blob,
    ],
    { cwd: CACHE },
  );
  const env = JSON.parse(readFileSync(envelope, 'utf8')) as { signatures: unknown[] };
  const stripped = join(CACHE, 'stripped.intoto.json');
  writeFileSync(stripped, JSON.stringify({ ...env, signatures: [] }));
  const accepts = async (path: string) =>
    (
      await cosign(
        [
          'verify-blob-attestation',
          '--key',
          keys.pub,
          '--insecure-ignore-tlog',
          '--type',
          'slsaprovenance',
          '--signature',
          path,
          blob,
        ],
        { cwd: CACHE, check: false },
      )
    ).code === 0;
  const made: Made = {
    envelope,
    stripped,
    cosignAccepts: { made: await accepts(envelope), stripped: await accepts(stripped) },
  };
  writeFileSync(done, JSON.stringify(made));
  return made;
}

describe('attestationEvidence on a cosign attest-blob envelope', () => {
  let made: Made;
  beforeAll(async () => {
    made = await make();
  }, 180_000);

  const evidence = (path: string) =>
    attestationEvidence(IMAGE, 'sha256-x.att#layer0', {}, new Uint8Array(readFileSync(path)));

  it('as cosign wrote it: cosign accepts; no integrity finding, one signature (the control)', () => {
    expect(made.cosignAccepts.made).toBe(true);
    const e = evidence(made.envelope);
    expect((e.findings ?? []).filter((f) => f.severity === 'integrity')).toEqual([]);
    expect(e.details).toMatchObject({ signatureCount: 1, predicateType: 'https://slsa.dev/provenance/v0.2' });
    expect(e.claims?.subjectDigest).toBe(IMAGE.digest);
  });

  it('its signatures removed: cosign refuses; NO_SIGNATURES', () => {
    expect(made.cosignAccepts.stripped).toBe(false);
    const e = evidence(made.stripped);
    expect(
      (e.findings ?? []).filter((f) => f.severity === 'integrity').map((f) => [f.code, f.message]),
    ).toEqual([['NO_SIGNATURES', 'the DSSE envelope carries no signature']]);
    expect(e.details).toMatchObject({ signatureCount: 0 });
  });
});
