/**
 * The Docker Content Trust verdicts (src/trust/families/tuf.ts) on a repository the real notary client
 * made against a real notary-server (test/helpers/tuf-repo-cache.ts, built once a day), with the notary
 * client's own answers from that build beside sigscan's, and byte surgery for the attacks. Each rollback
 * memory lives in a temporary directory.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { TufMaterial } from '../../../src/detectors/tuf.js';
import { parseTufMetadata } from '../../../src/formats/tuf/metadata.js';
import { parseTufRepository, type TufRepositoryFiles } from '../../../src/formats/tuf/repository.js';
import type { Evidence, FileTarget, ImageTarget, Verdict } from '../../../src/model/index.js';
import { emptyTrustConfig, type TrustConfig } from '../../../src/trust/config.js';
import { tufVerdict, tufVerifier } from '../../../src/trust/families/tuf.js';
import { problemsFor, verifyTufChain } from '../../../src/trust/tuf/chain.js';
import { TARGETS, TUF_GUN, tufRepoFixture, type TufRepoFixture } from '../../helpers/tuf-repo-cache.js';

let f: TufRepoFixture;
let now: Date;
let tmp: string;
/** Role versions of a file set, by role name. */
let v: (files: TufRepositoryFiles, role: string) => number;

beforeAll(async () => {
  f = await tufRepoFixture();
  // Inside every role's validity: the timestamp lives 14 days from the build.
  now = new Date(f.builtAt.getTime() + 3_600_000);
  tmp = mkdtempSync(join(tmpdir(), 'sigscan-tuf-family-'));
  v = (files, role) => {
    const bytes =
      role === 'root' || role === 'timestamp' || role === 'snapshot' || role === 'targets'
        ? files[role]!
        : files.delegations![role]!;
    return parseTufMetadata(bytes).version;
  };
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const image = (tag: string, t: { sha256: string; length: number } = TARGETS.good): ImageTarget => ({
  kind: 'image',
  registry: 'example.test',
  repository: 'tuft/app',
  tag,
  digest: `sha256:${t.sha256}`,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  size: t.length,
});

const evidence = (name: string, role: string, files: TufRepositoryFiles): Evidence =>
  ({
    family: 'tuf',
    location: `${name} (${role})`,
    signer: {},
    material: {
      kind: 'tuf',
      gun: TUF_GUN,
      server: 'https://notary.example.test',
      name,
      role,
      files,
    } satisfies TufMaterial,
  }) as unknown as Evidence;

const pinned = (tufCache?: string, root = f.rootJsonPath): TrustConfig => ({
  ...emptyTrustConfig(),
  tufRoots: [root],
  tufCache,
});

function scan(
  name: string,
  role: string,
  opts: { files?: TufRepositoryFiles; config?: TrustConfig; target?: ImageTarget } = {},
): Promise<Verdict> {
  return tufVerifier(evidence(name, role, opts.files ?? f.after), opts.target ?? image(name), {
    config: opts.config ?? pinned(),
    now,
  });
}

const chainText = (files: TufRepositoryFiles, role?: string): string =>
  ['root', 'timestamp', 'snapshot', 'targets', ...(role ? [role] : [])]
    .map((r) => `${r} v${v(files, r)} 1/1`)
    .join(' → ');

/** The file set with one role file replaced (byte surgery on the real metadata). */
function withFile(files: TufRepositoryFiles, role: 'targets' | 'snapshot', edit: (s: string) => string) {
  return { ...files, [role]: new Uint8Array(Buffer.from(edit(Buffer.from(files[role]!).toString('utf8')))) };
}

const cacheFile = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir) : []);

describe('tufVerifier: what docker would pull, on notary-made metadata', () => {
  it('a tag signed in targets, root.json pinned, no cache: verified, with the chain it rests on', async () => {
    expect(f.verdicts['lookup good']).toEqual({
      code: 0,
      out: `good sha256:${TARGETS.good.sha256} 528`,
    });
    expect(await scan('good', 'targets')).toEqual({
      status: 'verified',
      code: 'TUF_CHAIN_VERIFIED',
      message: `chain ${chainText(f.after)} is internally consistent; root matches the pinned ${f.rootJsonPath} (version 1); rollback not checked: no --tuf-cache`,
    });
  });

  it('the root certificate PEM as --tuf-root pins it by key', async () => {
    const r = await scan('good', 'targets', { config: pinned(undefined, f.rootCertPath) });
    const rootKeyId = parseTufRepository(f.after).root.root!.roles['root']!.keyids[0]!;
    expect(r).toEqual({
      status: 'verified',
      code: 'TUF_CHAIN_VERIFIED',
      message: `chain ${chainText(f.after)} is internally consistent; root is signed by pinned key ${rootKeyId}; rollback not checked: no --tuf-cache`,
    });
  });

  it('a tag signed in targets/releases: verified, the chain running down to it', async () => {
    expect(f.verdicts['lookup rel']!.code).toBe(0);
    const r = await scan('rel', 'targets/releases', { target: image('rel', TARGETS.rel) });
    expect([r.status, r.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    expect(r.message).toMatch(
      new RegExp(`^chain ${chainText(f.after, 'targets/releases')} is internally consistent; `),
    );
  });

  it('a tag signed only in targets/alice: untrusted TUF_ROLE_NOT_USED (notary lookup finds it, docker reads no such role)', async () => {
    expect(f.verdicts['lookup alice']!.code).toBe(0);
    expect(f.verdicts['list targets/alice']!.out).toContain('targets/alice');
    const r = await scan('alice', 'targets/alice');
    expect([r.status, r.code]).toEqual(['untrusted', 'TUF_ROLE_NOT_USED']);
  });

  it('an unpinned chain stays unverified TUF_ROOT_NOT_PINNED for any role (the role rule only narrows a verified one)', async () => {
    const r = await scan('alice', 'targets/alice', { config: emptyTrustConfig() });
    expect([r.status, r.code]).toEqual(['unverified', 'TUF_ROOT_NOT_PINNED']);
  });

  it('a nested delegation docker never reads: untrusted TUF_ROLE_NOT_USED', async () => {
    expect(f.verdicts['lookup qa']!.code).toBe(0);
    const r = await scan('qa', 'targets/releases/qa', { target: image('qa', TARGETS.rel) });
    expect([r.status, r.code]).toEqual(['untrusted', 'TUF_ROLE_NOT_USED']);
  });

  it('targets names one manifest, targets/releases another: the targets entry is TUF_SHADOWED, the releases one verifies', async () => {
    // notary lookup reads targets first; docker reads targets/releases first.
    expect(f.verdicts['lookup shadow']!.out).toBe(`shadow sha256:${TARGETS.good.sha256} 528`);
    const t = await scan('shadow', 'targets');
    expect([t.status, t.code]).toEqual(['untrusted', 'TUF_SHADOWED']);
    const r = await scan('shadow', 'targets/releases', { target: image('shadow', TARGETS.shadowReleases) });
    expect([r.status, r.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
  });

  it('targets and targets/releases naming the same manifest: the targets entry verifies (no shadow)', async () => {
    const r = await scan('later', 'targets');
    expect([r.status, r.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
  });

  it('target entry faults: sha512 only is invalid, an unknown size is an error, a wrong size is invalid', async () => {
    expect(await scan('nosha', 'targets', { target: image('nosha', { sha256: TARGETS.good.sha256, length: 300 }) }))
      .toMatchObject({ status: 'invalid', code: 'TUF_NO_SHA256' }); // prettier-ignore
    expect(await scan('good', 'targets', { target: { ...image('good'), size: undefined } })).toMatchObject({
      status: 'error',
      code: 'TUF_LENGTH_UNKNOWN',
    });
    expect(await scan('good', 'targets', { target: image('good', { ...TARGETS.good, length: 529 }) }))
      .toMatchObject({ status: 'invalid', code: 'TUF_LENGTH_MISMATCH' }); // prettier-ignore
  });

  it('no material, no metadata, not an image, a role that does not list the tag', async () => {
    const ctx = { config: pinned(), now };
    const e = evidence('good', 'targets', f.after);
    expect(await tufVerifier({ ...e, material: undefined }, image('good'), ctx)).toMatchObject({
      status: 'error',
      code: 'NO_MATERIAL',
    });
    expect(
      await tufVerifier(
        { ...e, material: { kind: 'tuf', name: 'good', role: 'targets' } },
        image('good'),
        ctx,
      ),
    ).toMatchObject({ status: 'error', code: 'NO_MATERIAL' });
    expect(
      await tufVerifier(
        { ...e, material: { ...(e.material as object), kind: 'cosign' } },
        image('good'),
        ctx,
      ),
    ).toMatchObject({ status: 'error', code: 'NO_MATERIAL' });
    const file: FileTarget = { kind: 'file', path: '/tmp/x' } as FileTarget;
    expect(await tufVerifier(e, file, ctx)).toMatchObject({ status: 'error', code: 'UNSUPPORTED' });
    expect(await scan('good', 'targets/alice')).toMatchObject({ status: 'error', code: 'NO_MATERIAL' });
  });

  it('no pin: unverified TUF_ROOT_NOT_PINNED, and the chain summary', async () => {
    const r = await scan('good', 'targets', { config: emptyTrustConfig() });
    expect(r).toEqual({
      status: 'unverified',
      code: 'TUF_ROOT_NOT_PINNED',
      message: `no TUF root pinned (pass the root.json or the root key with --tuf-root); chain ${chainText(f.after)} is internally consistent; rollback not checked: no --tuf-cache`,
    });
  });

  it('snapshot.json withheld: untrusted TUF_INCOMPLETE, the summary naming the missing role', async () => {
    const r = await scan('good', 'targets', { files: { ...f.after, snapshot: undefined } });
    expect(r.code).toBe('TUF_INCOMPLETE');
    expect(r.message).toContain(
      `→ snapshot missing → targets v${v(f.after, 'targets')} 1/1 has problems: snapshot.json is missing: the chain is incomplete`,
    );
  });
});

describe('tufVerifier: the rollback memory (--tuf-cache)', () => {
  it('newer metadata seen, then older metadata replayed: invalid TUF_ROLLBACK; the notary client refuses it too', async () => {
    const cache = join(tmp, 'rollback');
    const first = await scan('good', 'targets', { config: pinned(cache) });
    expect([first.status, first.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    expect(first.message).toMatch(
      /; no earlier versions of example\.test\/tuft\/app in the tuf cache, recorded these \(rollback could not be checked on first sight\)$/,
    );
    // Only the roles the verdict rests on are recorded: targets' chain, no delegation.
    const [name] = cacheFile(cache);
    expect(JSON.parse(readFileSync(join(cache, name!), 'utf8'))).toEqual({
      gun: TUF_GUN,
      versions: {
        root: 1,
        timestamp: v(f.after, 'timestamp'),
        snapshot: v(f.after, 'snapshot'),
        targets: v(f.after, 'targets'),
      },
    });
    const back = await scan('good', 'targets', { files: f.before, config: pinned(cache) });
    expect([back.status, back.code]).toEqual(['invalid', 'TUF_ROLLBACK']);
    expect(f.verdicts['rollback lookup good']).toEqual({
      code: 1,
      out: `* fatal: version ${v(f.before, 'timestamp')} is lower than current version ${v(f.after, 'timestamp')}`,
    });
    const again = await scan('good', 'targets', { config: pinned(cache) });
    expect([again.status, again.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    expect(again.message).toMatch(/; no role is older than seen before \(tuf cache\)$/);
  });

  it('the delegation path is remembered: an older targets/releases is a rollback even for a role below it', async () => {
    const cache = join(tmp, 'delegation');
    const rel = await scan('rel', 'targets/releases', {
      config: pinned(cache),
      target: image('rel', TARGETS.rel),
    });
    expect(rel.status).toBe('verified');
    const [name] = cacheFile(cache);
    expect(JSON.parse(readFileSync(join(cache, name!), 'utf8')).versions['targets/releases']).toBe(
      v(f.after, 'targets/releases'),
    );
    const qa = await scan('qa', 'targets/releases/qa', {
      files: f.before,
      config: pinned(cache),
      target: image('qa', TARGETS.rel),
    });
    expect([qa.status, qa.code]).toEqual(['invalid', 'TUF_ROLLBACK']);
    expect(qa.message).toContain(
      `targets/releases version ${v(f.before, 'targets/releases')} is older than version ${v(f.after, 'targets/releases')} seen earlier`,
    );
  });

  it('an unanchored chain is never recorded, so it cannot lock out the real repository', async () => {
    const cache = join(tmp, 'unpinned');
    const r = await scan('good', 'targets', { config: { ...emptyTrustConfig(), tufCache: cache } });
    expect([r.status, r.code]).toEqual(['unverified', 'TUF_ROOT_NOT_PINNED']);
    expect(cacheFile(cache)).toEqual([]);
    const old = await scan('good', 'targets', { files: f.before, config: pinned(cache) });
    expect([old.status, old.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
  });

  it('tampered older metadata stays invalid for what it is (TUF_HASH_MISMATCH), not a rollback', async () => {
    const cache = join(tmp, 'tampered');
    expect((await scan('good', 'targets', { config: pinned(cache) })).status).toBe('verified');
    // Re-indented targets.json: the same signed content, other bytes than the snapshot lists.
    const files = withFile(f.before, 'targets', (s) => JSON.stringify(JSON.parse(s), null, 2));
    const r = await scan('good', 'targets', { files, config: pinned(cache) });
    expect([r.status, r.code]).toEqual(['invalid', 'TUF_HASH_MISMATCH']);
  });

  it('a cache that cannot be written: still verified, saying the versions were not recorded', async () => {
    const blocker = join(tmp, 'blocker');
    writeFileSync(blocker, '');
    const r = await scan('good', 'targets', { config: pinned(join(blocker, 'tuf')) });
    expect([r.status, r.code]).toEqual(['verified', 'TUF_CHAIN_VERIFIED']);
    expect(r.message).toMatch(
      /; rollback checked, but the tuf cache .*\/blocker\/tuf could not be written \(ENOTDIR/,
    );
  });
});

describe('tufVerifier: --tuf-root files', () => {
  it('a file that is neither a root.json nor a PEM key is a usage error naming it, with the cause', async () => {
    const bad = join(tmp, 'bad.pem');
    writeFileSync(bad, '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n');
    const err = await scan('good', 'targets', { config: pinned(undefined, bad) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'USAGE' });
    expect((err as Error).message).toMatch(/^--tuf-root .*bad\.pem: not a root\.json nor a PEM key \(/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });

  it('a missing file is a usage error; once it exists, the same path is read again (failures are not cached)', async () => {
    const later = join(tmp, 'later-root.json');
    const err = await scan('good', 'targets', { config: pinned(undefined, later) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'USAGE' });
    expect((err as Error).message).toMatch(/^--tuf-root .*later-root\.json: ENOENT/);
    expect((err as Error).cause).toMatchObject({ code: 'ENOENT' });
    writeFileSync(later, readFileSync(f.rootJsonPath));
    expect((await scan('good', 'targets', { config: pinned(undefined, later) })).status).toBe('verified');
  });

  it('a root file is read once per path per process (a later change of the file is not seen)', async () => {
    const path = join(tmp, 'once-root.json');
    writeFileSync(path, readFileSync(f.rootJsonPath));
    expect((await scan('good', 'targets', { config: pinned(undefined, path) })).status).toBe('verified');
    writeFileSync(path, '-----BEGIN junk');
    expect((await scan('good', 'targets', { config: pinned(undefined, path) })).status).toBe('verified');
  });
});

describe('tufVerdict', () => {
  const report = (pin?: Parameters<typeof verifyTufChain>[1]['pin']) => {
    const repo = parseTufRepository(f.after);
    const r = verifyTufChain(repo, { now, gun: TUF_GUN, pin });
    return { repo, r };
  };

  it('warnings do not count as problems in the summary', () => {
    const { repo, r } = report({ roots: [{ path: 'pinned', bytes: readFileSync(f.rootJsonPath) }] });
    const problems = [
      ...problemsFor(r, repo, 'targets'),
      { role: 'root', code: 'TUF_SNAPSHOT_ROOT', severity: 'warning' as const, message: 'a warning' },
    ];
    expect(tufVerdict(r, problems, 'targets')).toEqual({
      status: 'verified',
      code: 'TUF_CHAIN_VERIFIED',
      message: `chain ${chainText(f.after)} is internally consistent; root matches the pinned pinned (version 1)`,
    });
  });

  it('a pin that did not match is never verified, even when the caller passes no problem for it', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const { r } = report({ keys: [publicKey] });
    expect(r.pin).toMatchObject({ kind: 'key', matched: false });
    expect(tufVerdict(r, [], 'targets')).toEqual({
      status: 'untrusted',
      code: 'TUF_ROOT_NOT_PINNED',
      message: `the root is not signed by any pinned root key or root.json; chain ${chainText(f.after)} is internally consistent`,
    });
  });

  it('several problems are listed in the summary, in the order found', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const repo = parseTufRepository({ ...f.after, snapshot: undefined });
    const r = verifyTufChain(repo, { now, gun: TUF_GUN, pin: { keys: [publicKey] } });
    expect(tufVerdict(r, problemsFor(r, repo, 'targets'), 'targets').message).toBe(
      `the root is not signed by any pinned root key or root.json; chain root v1 1/1 → timestamp v${v(f.after, 'timestamp')} 1/1 → snapshot missing → targets v${v(f.after, 'targets')} 1/1 has problems: the root is not signed by any pinned root key or root.json; snapshot.json is missing: the chain is incomplete`,
    );
  });

  it('a problem is listed in the summary by its message', () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const { repo, r } = report({ keys: [publicKey] });
    expect(tufVerdict(r, problemsFor(r, repo, 'targets'), 'targets')).toEqual({
      status: 'untrusted',
      code: 'TUF_ROOT_NOT_PINNED',
      message: `the root is not signed by any pinned root key or root.json; chain ${chainText(f.after)} has problems: the root is not signed by any pinned root key or root.json`,
    });
  });
});
