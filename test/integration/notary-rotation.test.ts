/**
 * Docker Content Trust through a root key rotation: a real notary-server and notary client, `notary key
 * rotate <gun> root` twice, each published. A scan pinned to the first root.json walks 1 → 2 → 3 with the
 * `<N>.root.json` files the server keeps. Oracle: a notary client whose trust dir still holds only root
 * version 1 lists the tag after the rotations (it walks the same chain).
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NotaryService } from '../../src/oci/notary/client.js';
import { sigscanJson } from '../helpers/cli.js';
import { makeAndPushImage, type PushedImage } from '../helpers/images.js';
import { NOTARY_BIN, NOTARY_PASSPHRASES, startNotaryServer, type TestNotary } from '../helpers/notary.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { run } from '../helpers/tools.js';

describe('Docker Content Trust across notary root rotations', () => {
  let reg: TestRegistry;
  let notary: TestNotary;
  let gun: string;
  let image: PushedImage;
  let pinnedV1: string;
  let oldTrustDir: string;

  const rotateRoot = () =>
    run(
      NOTARY_BIN,
      ['-s', notary.url, '-d', notary.trustDir, '--tlscacert', notary.caFile, 'key', 'rotate', gun, 'root'],
      { env: NOTARY_PASSPHRASES, input: 'yes\n', timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    reg = await startRegistry();
    notary = await startNotaryServer();
    image = await makeAndPushImage(reg, join(notary.dir, 'l1'), 'rot/app', 'v1', { seed: 'rotation' });
    gun = `${reg.host}/rot/app`;
    await notary.client(['init', gun]);
    await notary.client(['addhash', gun, 'v1', String(image.size), '--sha256', image.digest.slice(7)]);
    await notary.client(['publish', gun]);
    pinnedV1 = join(notary.dir, 'pinned-root-v1.json');
    await writeFile(pinnedV1, await readFile(join(notary.trustDir, 'tuf', gun, 'metadata', 'root.json')));
    oldTrustDir = join(notary.dir, 'trust-v1');
    await cp(notary.trustDir, oldTrustDir, { recursive: true });
    for (let i = 0; i < 2; i++) {
      expect((await rotateRoot()).stdout).toContain('Successfully rotated root key');
      await notary.client(['publish', gun]);
    }
  }, 180_000);

  afterAll(async () => {
    await notary?.stop();
    await reg?.stop();
    await closeAgents();
  });

  const scan = (...flags: string[]) =>
    sigscanJson([
      'repo',
      `${reg.host}/rot/app:v1`,
      '--plain-http',
      '--notary-server',
      notary.url,
      '--ca-file',
      notary.caFile,
      '--tuf-cache',
      'none',
      ...flags,
    ]);

  it('the server keeps the earlier roots; the client pinned to version 1 walks to version 3', async () => {
    const service = new NotaryService({ serverUrl: notary.url, caFile: notary.caFile });
    try {
      const files = await service.repository(gun);
      expect(Object.keys(files!.previousRoots ?? {})).toEqual(['1', '2']);
      const current = JSON.parse(Buffer.from(files!.root).toString('utf8')) as {
        signed: { version: number };
      };
      expect(current.signed.version).toBe(3);
    } finally {
      await service.close();
    }
    const oracle = await run(
      NOTARY_BIN,
      ['-s', notary.url, '-d', oldTrustDir, '--tlscacert', notary.caFile, 'list', gun],
      { timeoutMs: 60_000 },
    );
    expect(oracle.stdout).toContain(image.digest.slice(7));
  }, 120_000);

  it('verifies the tag through the rotation from the pinned version 1 root.json', async () => {
    const { report } = await scan('--tuf-root', pinnedV1);
    const sig = report.targets[0]!.signatures.find((s) => s.family === 'tuf')!;
    expect(sig.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
    expect(sig.verdict.message).toContain(
      `root rotated from the pinned ${pinnedV1} (version 1) to version 3, each version signed by a threshold`,
    );
  }, 120_000);

  it('is untrusted when the pinned root keys did not sign the next version', async () => {
    const other = JSON.parse(await readFile(pinnedV1, 'utf8')) as { signed: { version: number } };
    other.signed.version = 2; // no longer what any key signed: the walk from it fails
    const forged = join(notary.dir, 'pinned-forged.json');
    await writeFile(forged, JSON.stringify(other));
    const { report } = await scan('--tuf-root', forged);
    const sig = report.targets[0]!.signatures.find((s) => s.family === 'tuf')!;
    expect(sig.verdict.status).toBe('untrusted');
    expect(sig.verdict.code).toBe('TUF_ROOT_ROTATION_UNSIGNED');
  }, 120_000);
});
