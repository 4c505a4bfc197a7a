/**
 * Docker Content Trust attacks (issue #16 items 1, 2 and the TUF half of 4), each made with the real
 * `notary` client against a real notary-server and a real docker-registry, with the reference tool's
 * decision asserted beside sigscan's:
 * - a target without sha256 (`notary addhash --sha512` only): the docker client refuses it;
 * - a target whose length is not the manifest's size; a tag moved after signing;
 * - a rollback: older, still unexpired, correctly signed metadata replayed by a server after a newer
 *   version was seen; the notary client, whose trust dir remembers the newer one, refuses it;
 * - one role per trust input: the root key given as `--key` (cosign) or `--in-toto-layout-key` never
 *   pins the TUF root; only `--tuf-root` does.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tufDetector } from '../../src/detectors/tuf.js';
import type { TufRepositoryFiles } from '../../src/formats/tuf/repository.js';
import type { Evidence, ImageTarget, Verdict } from '../../src/model/index.js';
import { NotaryService } from '../../src/oci/notary/client.js';
import { emptyTrustConfig, readPublicKey, type TrustConfig } from '../../src/trust/config.js';
import { TrustEvaluator } from '../../src/trust/evaluator.js';
import { DEFAULT_LIMITS } from '../../src/util/limits.js';
import { silentLogger } from '../../src/util/logger.js';
import { makeAndPushImage, type PushedImage } from '../helpers/images.js';
import {
  NOTARY_BIN,
  NOTARY_PASSPHRASES,
  serveTufMetadata,
  startNotaryServer,
  type TestNotary,
} from '../helpers/notary.js';
import { CORPUS_DIR } from '../helpers/corpus.js';
import { closeAgents } from '../helpers/push.js';
import { startRegistry, type TestRegistry } from '../helpers/registry.js';
import { onPath, run, type RunResult } from '../helpers/tools.js';

const hex = (d: string): string => d.slice('sha256:'.length);

describe('DCT rules against the real notary client and server', () => {
  let reg: TestRegistry;
  let notary: TestNotary;
  let tmp: string;
  let gun: string;
  let good: PushedImage;
  let nosha: PushedImage;
  let badlen: PushedImage;
  let moved: PushedImage;
  let rootCert: string;
  let rootJson: string;
  /** The GUN's metadata as the server served it before and after a later publish. */
  let before: TufRepositoryFiles;
  let after: TufRepositoryFiles;
  /** The publisher's trust dir as it was right after the later publish (it has seen `after`). */
  let clientDirAfter: string;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'sigscan-dct-rules-'));
    reg = await startRegistry();
    notary = await startNotaryServer();
    const push = (tag: string) =>
      makeAndPushImage(reg, join(tmp, tag), 'dct/rules', tag, { seed: `rules-${tag}` });
    good = await push('good');
    nosha = await push('nosha');
    badlen = await push('badlen');
    moved = await push('moved');
    gun = `${reg.host}/dct/rules`;
    const manifest = async (img: PushedImage) =>
      new Uint8Array(await (await fetch(`${reg.url}/v2/dct/rules/manifests/${img.digest}`, {
        headers: { accept: img.mediaType },
      })).arrayBuffer()); // prettier-ignore
    const sha512 = createHash('sha512')
      .update(await manifest(nosha))
      .digest('hex');

    await notary.client(['init', gun]);
    await notary.client(['addhash', gun, 'good', String(good.size), '--sha256', hex(good.digest)]);
    // The real client lets a publisher sign a target by sha512 alone.
    await notary.client(['addhash', gun, 'nosha', String(nosha.size), '--sha512', sha512]);
    await notary.client(['addhash', gun, 'badlen', String(badlen.size + 1), '--sha256', hex(badlen.digest)]);
    await notary.client(['addhash', gun, 'moved', String(good.size), '--sha256', hex(good.digest)]);
    // `shadow` in targets names good's manifest; targets/releases (below) names another one.
    await notary.client(['addhash', gun, 'shadow', String(good.size), '--sha256', hex(good.digest)]);
    await notary.client(['publish', gun]);
    // Two delegations with their own keys: targets/releases (docker reads it first) and targets/alice
    // (docker never reads it).
    for (const role of ['releases', 'alice']) {
      const key = join(tmp, `${role}.key`);
      const crt = join(tmp, `${role}.crt`);
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', crt, '-days', '2', '-subj', `/CN=${role}`]); // prettier-ignore
      await notary.client(['delegation', 'add', gun, `targets/${role}`, crt, '--all-paths']);
      await notary.client(['publish', gun]);
      await notary.client(['key', 'import', key, '--role', `targets/${role}`]);
    }
    await notary.client([
      'addhash',
      gun,
      'shadow',
      String(nosha.size),
      '--sha256',
      hex(nosha.digest),
      '--roles',
      'targets/releases',
    ]);
    await notary.client([
      'addhash',
      gun,
      'alice',
      String(good.size),
      '--sha256',
      hex(good.digest),
      '--roles',
      'targets/alice',
    ]);
    await notary.client(['publish', gun]);

    const service = new NotaryService({ serverUrl: notary.url, caFile: notary.caFile });
    before = (await service.repository(gun))!;
    await service.close();
    // A later release: every role's version goes up; the old files stay valid until they expire.
    await notary.client(['addhash', gun, 'later', String(good.size), '--sha256', hex(good.digest)]);
    await notary.client(['publish', gun]);
    const service2 = new NotaryService({ serverUrl: notary.url, caFile: notary.caFile });
    after = (await service2.repository(gun))!;
    await service2.close();
    clientDirAfter = join(tmp, 'client-after');
    await cp(notary.trustDir, clientDirAfter, { recursive: true });

    rootJson = join(notary.trustDir, 'tuf', gun, 'metadata', 'root.json');
    const root = JSON.parse(await readFile(rootJson, 'utf8')) as {
      signed: {
        keys: Record<string, { keyval: { public: string } }>;
        roles: Record<string, { keyids: string[] }>;
      };
    };
    rootCert = join(tmp, 'root.crt');
    await writeFile(
      rootCert,
      Buffer.from(root.signed.keys[root.signed.roles['root']!.keyids[0]!]!.keyval.public, 'base64'),
    );
  }, 240_000);

  afterAll(async () => {
    await notary?.stop();
    await reg?.stop();
    await closeAgents();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  function image(img: PushedImage, tag = img.tag): ImageTarget {
    return {
      kind: 'image',
      registry: reg.host,
      repository: 'dct/rules',
      tag,
      digest: img.digest,
      mediaType: img.mediaType,
      size: img.size,
    };
  }

  /** The tuf detector on `files` (served by a stub service), then the trust evaluator. */
  async function verdicts(
    target: ImageTarget,
    config: TrustConfig,
    files: TufRepositoryFiles,
  ): Promise<Verdict[]> {
    // A NotaryService that answers from `files` (the detector accepts only NotaryService instances).
    const stub = Object.assign(Object.create(NotaryService.prototype) as NotaryService, {
      serverUrl: new URL(notary.url),
      repository: async () => files,
    });
    const services = { notary: stub };
    const found: Evidence[] = [];
    for await (const e of tufDetector.detect(target, {
      limits: DEFAULT_LIMITS,
      log: silentLogger,
      services,
    } as never))
      found.push(e);
    const trust = new TrustEvaluator(config);
    return Promise.all(found.map((e) => trust.evaluate(e, target)));
  }

  const pinned = (cache?: string): TrustConfig => ({
    ...emptyTrustConfig(),
    tufRoots: [rootJson],
    tufCache: cache,
  });

  /** The real notary client, read-only, against `server` with its trust dir `dir`. */
  const notaryAt = (server: string, dir: string, args: string[]): Promise<RunResult> =>
    run(NOTARY_BIN, ['-s', server, '-d', dir, '--tlscacert', notary.caFile, ...args], {
      env: NOTARY_PASSPHRASES,
      check: false,
      timeoutMs: 60_000,
    });

  it('a correctly signed tag verifies (the baseline every attack below departs from)', async () => {
    const [v] = await verdicts(image(good), pinned(), after);
    expect([v!.status, v!.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    expect(v!.message).toContain('rollback not checked: no --tuf-cache');
  });

  describe('item 1: the target entry must name the scanned manifest', () => {
    it('a target with only a sha512 hash is invalid TUF_NO_SHA256; the docker client refuses it', async () => {
      const [v] = await verdicts(image(nosha), pinned(), after);
      expect([v!.status, v!.code]).toEqual(['invalid', 'TUF_NO_SHA256']);
      expect(v!.message).toContain('only sha512');
      // Reference: the docker client resolves the tag through notary before it needs a daemon.
      const docker = await onPath('docker');
      if (docker) {
        const cfg = join(tmp, 'docker-config');
        const ref = await run('docker', ['pull', `${gun}:nosha`], {
          check: false,
          timeoutMs: 60_000,
          env: {
            DOCKER_CONFIG: cfg,
            DOCKER_CONTENT_TRUST: '1',
            DOCKER_CONTENT_TRUST_SERVER: notary.url,
            DOCKER_HOST: `unix://${join(tmp, 'no-daemon.sock')}`,
          },
        });
        expect(ref.code).not.toBe(0);
        expect(ref.stderr).toContain('no valid hash, expecting sha256');
      }
    });

    it('a target whose length is not the manifest size is invalid TUF_LENGTH_MISMATCH (stricter than notary verify)', async () => {
      const [v] = await verdicts(image(badlen), pinned(), after);
      expect([v!.status, v!.code]).toEqual(['invalid', 'TUF_LENGTH_MISMATCH']);
      // `notary verify` compares hashes only (cmd/notary/tuf.go tufVerify → data.CheckHashes), so it
      // accepts the bytes; the TUF spec binds the length too, and a length that cannot be the digest's
      // bytes means the metadata was not made from this manifest.
      const bytes = new Uint8Array(
        await (
          await fetch(`${reg.url}/v2/dct/rules/manifests/${badlen.digest}`, {
            headers: { accept: badlen.mediaType },
          })
        ).arrayBuffer(),
      );
      const ref = await run(
        NOTARY_BIN,
        [
          '-s',
          notary.url,
          '-d',
          notary.trustDir,
          '--tlscacert',
          notary.caFile,
          'verify',
          gun,
          'badlen',
          '-q',
        ],
        {
          input: bytes,
          check: false,
        },
      );
      expect(ref.code).toBe(0);
    });

    it('a tag moved after signing is invalid TUF_DIGEST_MISMATCH; notary verify refuses the served manifest', async () => {
      const [v] = await verdicts(image(moved), pinned(), after);
      expect([v!.status, v!.code]).toEqual(['invalid', 'TUF_DIGEST_MISMATCH']);
      const bytes = new Uint8Array(
        await (
          await fetch(`${reg.url}/v2/dct/rules/manifests/moved`, { headers: { accept: moved.mediaType } })
        ).arrayBuffer(),
      );
      const ref = await run(
        NOTARY_BIN,
        ['-s', notary.url, '-d', notary.trustDir, '--tlscacert', notary.caFile, 'verify', gun, 'moved', '-q'],
        {
          input: bytes,
          check: false,
        },
      );
      expect(ref.code).not.toBe(0);
      expect(ref.stdout + ref.stderr).toContain('data not present in the trusted collection');
    });

    it('a manifest of unknown size is never verified (the length could not be compared)', async () => {
      const [v] = await verdicts({ ...image(good), size: undefined }, pinned(), after);
      expect([v!.status, v!.code]).toEqual(['error', 'TUF_LENGTH_UNKNOWN']);
    });
  });

  describe('only the roles docker reads: targets/releases, then targets', () => {
    /** `docker pull` with content trust, no daemon: it resolves the tag through notary first. */
    async function dockerPull(tag: string) {
      return run('docker', ['pull', `${gun}:${tag}`], {
        check: false,
        timeoutMs: 60_000,
        env: {
          DOCKER_CONFIG: join(tmp, 'docker-config'),
          DOCKER_CONTENT_TRUST: '1',
          DOCKER_CONTENT_TRUST_SERVER: notary.url,
          DOCKER_HOST: `unix://${join(tmp, 'no-daemon.sock')}`,
        },
      });
    }

    it('a tag signed only in targets/alice is untrusted TUF_ROLE_NOT_USED; the docker client finds no trust data', async () => {
      const vs = await verdicts(image(good, 'alice'), pinned(), after);
      expect(vs.map((v) => [v.status, v.code])).toEqual([['untrusted', 'TUF_ROLE_NOT_USED']]);
      if (await onPath('docker')) {
        const ref = await dockerPull('alice');
        expect(ref.code).not.toBe(0);
        expect(ref.stderr).toContain('No trust data for alice');
      }
    });

    it('a targets entry shadowed by a different targets/releases entry is not verified; docker pulls the releases digest', async () => {
      const vs = await verdicts(image(good, 'shadow'), pinned(), after);
      // releases first (docker's order): it names another manifest; then targets, which docker never reads here.
      expect(vs.map((v) => [v.status, v.code])).toEqual([
        ['invalid', 'TUF_DIGEST_MISMATCH'],
        ['untrusted', 'TUF_SHADOWED'],
      ]);
      if (await onPath('docker')) {
        const ref = await dockerPull('shadow');
        expect(ref.stdout).toContain(`@${nosha.digest}`);
        expect(ref.stdout).not.toContain(`@${good.digest}`);
      }
    });
  });

  describe('item 2: rollback', () => {
    let replay: Awaited<ReturnType<typeof serveTufMetadata>>;
    let replayUrl: string;
    let served: TufRepositoryFiles;

    beforeAll(async () => {
      // Replays whatever `served` holds at the notary paths; the real client talks to it.
      replay = await serveTufMetadata(() => served);
      replayUrl = replay.url;
    });
    afterAll(() => replay.close());

    it('older, unexpired, correctly signed metadata after a newer scan is invalid TUF_ROLLBACK; the notary client refuses it', async () => {
      expect(JSON.parse(Buffer.from(after.timestamp!).toString()).signed.version).toBeGreaterThan(
        JSON.parse(Buffer.from(before.timestamp!).toString()).signed.version,
      );
      const cache = join(tmp, 'cache-rollback');
      // Alone, the old metadata is perfectly valid.
      const [fresh] = await verdicts(image(good), pinned(join(tmp, 'cache-fresh')), before);
      expect([fresh!.status, fresh!.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
      expect(fresh!.message).toContain('rollback could not be checked on first sight');

      const [seen] = await verdicts(image(good), pinned(cache), after);
      expect([seen!.status, seen!.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
      const [back] = await verdicts(image(good), pinned(cache), before);
      expect([back!.status, back!.code]).toEqual(['invalid', 'TUF_ROLLBACK']);
      expect(back!.message).toMatch(/timestamp version \d+ is older than version \d+ seen earlier/);
      // The same data seen again is fine: the cache only refuses going back.
      const [again] = await verdicts(image(good), pinned(cache), after);
      expect([again!.status, again!.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);

      // Reference: a notary client that looked the tag up while the server served `after`, then
      // asks again while the server replays `before`.
      const dir = await copyDir(clientDirAfter, 'ref-client');
      served = after;
      const ok = await notaryAt(replayUrl, dir, ['lookup', gun, 'good']);
      expect(ok.code, ok.stderr).toBe(0);
      served = before;
      const refused = await notaryAt(replayUrl, dir, ['lookup', gun, 'good']);
      expect(refused.code, refused.stdout + refused.stderr).not.toBe(0);
      expect(refused.stdout + refused.stderr).toMatch(/fatal: version \d+ is lower than current version \d+/);
    });

    it('unanchored metadata is never recorded: a repository not signed by the pinned root cannot raise the cache', async () => {
      const cache = join(tmp, 'cache-unpinned');
      const [v] = await verdicts(image(good), { ...emptyTrustConfig(), tufCache: cache }, after);
      expect([v!.status, v!.code]).toEqual(['unverified', 'TUF_ROOT_NOT_PINNED']);
      const [old] = await verdicts(image(good), pinned(cache), before);
      expect([old!.status, old!.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    });

    async function copyDir(src: string, name: string): Promise<string> {
      const dest = join(tmp, name);
      await cp(src, dest, { recursive: true });
      return dest;
    }
  });

  describe('item 4: only --tuf-root pins a TUF root', () => {
    it('the root certificate given as --key (cosign) does not pin the root', async () => {
      const config = emptyTrustConfig();
      config.keys.push(await readPublicKey(rootCert));
      const [v] = await verdicts(image(good), config, after);
      expect([v!.status, v!.code]).toEqual(['unverified', 'TUF_ROOT_NOT_PINNED']);
    });

    it('the root certificate given as --in-toto-layout-key does not pin the root', async () => {
      const config = emptyTrustConfig();
      config.inTotoLayoutKeys.push(await readPublicKey(rootCert));
      const [v] = await verdicts(image(good), config, after);
      expect([v!.status, v!.code]).toEqual(['unverified', 'TUF_ROOT_NOT_PINNED']);
    });

    it('a GPG keyring does not pin the root', async () => {
      const config = {
        ...emptyTrustConfig(),
        gpgKeyrings: [join(CORPUS_DIR, 'simple-signing/containers-image/public-key.gpg')],
      };
      const [v] = await verdicts(image(good), config, after);
      expect([v!.status, v!.code]).toEqual(['unverified', 'TUF_ROOT_NOT_PINNED']);
    });

    it('the same certificate given as --tuf-root does', async () => {
      const [v] = await verdicts(image(good), { ...emptyTrustConfig(), tufRoots: [rootCert] }, after);
      expect([v!.status, v!.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    });
  });
});
