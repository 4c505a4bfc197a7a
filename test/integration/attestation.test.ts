/** cosign attestations (`.att`, DSSE + in-toto) made by the real cosign on a loopback registry. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson, type JsonTarget } from '../helpers/cli.js';
import { cosignAttest, cosignKeypair, ensureCosign, type CosignKeypair } from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents, getManifest, pushManifest } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';

describe('cosign attestations', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let other: CosignKeypair;
  let image: PushedLayoutImage;
  let victim: PushedLayoutImage;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-att-'));
    reg = await startRegistry();
    keys = await cosignKeypair(work);
    await import('node:fs/promises').then((fs) => fs.mkdir(join(work, 'other')));
    other = await cosignKeypair(join(work, 'other'));
    image = await makeAndPushImage(reg, join(work, 'l1'), 'app', 'v1', { seed: 'att-1' });
    victim = await makeAndPushImage(reg, join(work, 'l2'), 'app', 'v2', { seed: 'att-2' });
    const predicate = join(work, 'provenance.json');
    await writeFile(
      predicate,
      JSON.stringify({ buildType: 'https://example.com/build@v1', builder: { id: 'ci' } }),
    );
    await cosignAttest(reg, `app@${image.digest}`, keys.key, predicate, { type: 'slsaprovenance' });
    // Replay: the .att of v1 copied onto v2's attestation tag. Its statement names v1, not v2.
    const att = await getManifest(reg, 'app', `sha256-${image.digest.slice(7)}.att`);
    await pushManifest(reg, 'app', `sha256-${victim.digest.slice(7)}.att`, att!.bytes, att!.mediaType);
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const attestation = (t: JsonTarget) => t.signatures.find((s) => s.family === 'cosign-attestation')!;

  it('reports the predicate type and subject, and verifies the DSSE signature with the key', async () => {
    // Signed with --tlog-upload=false: only --insecure-ignore-tlog accepts it (cosign 2.x's rule).
    const { report } = await sigscanJson([
      'repo',
      reg.host,
      '--plain-http',
      '--key',
      keys.pub,
      '--insecure-ignore-tlog',
    ]);
    const t = report.targets.find((x) => x.ref === `${reg.host}/app:v1`)!;
    const a = attestation(t);
    expect(a.location).toBe(`sha256-${image.digest.slice(7)}.att#layer0`);
    expect(a.details).toMatchObject({
      payloadType: 'application/vnd.in-toto+json',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      predicateKind: 'SLSA provenance',
    });
    expect(a.claims?.subjectDigest).toBe(image.digest);
    expect(a.verdict).toMatchObject({ status: 'verified', code: 'KEY_VERIFIED' });
    const strict = await sigscanJson(['repo', `${reg.host}/app:v1`, '--plain-http', '--key', keys.pub]);
    expect(attestation(strict.report.targets[0]!).verdict).toMatchObject({
      status: 'untrusted',
      code: 'TLOG_MISSING',
    });
  });

  it('rejects an attestation replayed onto another image', async () => {
    const { report } = await sigscanJson([
      'repo',
      reg.host,
      '--plain-http',
      '--key',
      keys.pub,
      '--insecure-ignore-tlog',
    ]);
    const t = report.targets.find((x) => x.ref === `${reg.host}/app:v2`)!;
    expect(attestation(t).verdict).toMatchObject({ status: 'invalid', code: 'SUBJECT_DIGEST_MISMATCH' });
  });

  it('does not verify with the wrong key, nor without one', async () => {
    const wrong = await sigscanJson([
      'repo',
      `${reg.host}/app:v1`,
      '--plain-http',
      '--key',
      other.pub,
      '--insecure-ignore-tlog',
    ]);
    expect(attestation(wrong.report.targets[0]!).verdict).toMatchObject({
      status: 'untrusted',
      code: 'KEY_NOT_TRUSTED',
    });
    const none = await sigscanJson(['repo', `${reg.host}/app:v1`, '--plain-http']);
    expect(attestation(none.report.targets[0]!).verdict).toMatchObject({
      status: 'unverified',
      code: 'NO_TRUST_ROOT',
    });
  });
});
