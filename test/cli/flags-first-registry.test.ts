/**
 * cosign and notation users type flags first: `sigscan repo --key k.pub host/app:1` must read k.pub as
 * the one key and host/app:1 as the image, against a real registry and a real cosign signature.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { sigscanJson } from '../helpers/cli.js';
import { cosignKeypair, cosignSign, ensureCosign, type CosignKeypair } from '../helpers/cosign.js';
import { makeAndPushImage, type PushedLayoutImage } from '../helpers/images.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

describe('repeatable flags never swallow the image argument', () => {
  let reg: TestRegistry;
  let work: string;
  let keys: CosignKeypair;
  let other: CosignKeypair;
  let image: PushedLayoutImage;

  beforeAll(async () => {
    await ensureCosign();
    work = await mkdtemp(join(tmpdir(), 'sigscan-flags-first-'));
    reg = await startRegistry();
    await run('mkdir', ['-p', join(work, 'k1'), join(work, 'k2')]);
    keys = await cosignKeypair(join(work, 'k1'));
    other = await cosignKeypair(join(work, 'k2'));
    image = await makeAndPushImage(reg, join(work, 'l1'), 'ff/app', '1', { seed: 'flags-first' });
    await cosignSign(reg, `ff/app@${image.digest}`, keys.key);
  }, 240_000);

  afterAll(async () => {
    await reg?.stop();
    await closeAgents();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it.each([
    // Signed with --tlog-upload=false: --insecure-ignore-tlog, a boolean among the repeatable flags.
    [
      'flags first',
      () => ['repo', '--insecure-ignore-tlog', '--key', keys.pub, '--plain-http', `${reg.host}/ff/app:1`],
    ],
    [
      'flags last',
      () => ['repo', `${reg.host}/ff/app:1`, '--plain-http', '--key', keys.pub, '--insecure-ignore-tlog'],
    ],
    [
      'two keys, flags first',
      () => [
        'repo',
        '--insecure-ignore-tlog',
        '--key',
        other.pub,
        '--key',
        keys.pub,
        '--plain-http',
        `${reg.host}/ff/app:1`,
      ],
    ],
  ])('%s: the one image is scanned and its cosign signature verifies', async (_name, args) => {
    const { code, report } = await sigscanJson(args());
    expect(code).toBe(0);
    expect(report.targets.map((t) => `${t.repository}:${t.tag}@${t.digest}`)).toEqual([
      `ff/app:1@${image.digest}`,
    ]);
    const sig = report.targets[0]!.signatures.find((s) => s.family === 'cosign');
    expect(sig?.verdict.status).toBe('verified');
  });

  it('images takes flags first too', async () => {
    const { code } = await sigscanJson(['images', '--key', keys.pub, '--plain-http', `${reg.host}/ff/app:1`]);
    expect(code).toBe(0);
  });
});
