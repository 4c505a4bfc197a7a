/**
 * A Docker Content Trust repository made by the real `notary` client against a real notary-server
 * (test/helpers/notary.ts), once per UTC day (cachedFixtureDir), with the notary client's own verdicts
 * saved beside the metadata. Tests read files only: Stryker reruns them for every mutant they cover.
 *
 * GUN `example.test/tuft/app`, all targets by `notary addhash` (no registry needed: a DCT target is a
 * name, a length and hashes):
 * - `targets`: `good` (sha256 of "good", length 528), `nosha` (sha512 only), `shadow` (the good digest);
 * - `targets/releases` (its own ECDSA key, all paths): `rel` (sha256 of "rel", 611) and `shadow`
 *   (sha256 of "shadow", 700: the entry docker reads first);
 * - `targets/alice` (its own key, all paths): `alice` (the good digest);
 * - `targets/releases/qa` (its own key, granted by targets/releases, all paths): `qa` (the rel digest);
 * - `targets/alice/dev` (its own key, granted by targets/alice, all paths): `dev` (the good digest);
 * - `before/`: the metadata as served then; `after/`: after `addhash later` to targets and to
 *   targets/releases + `publish` (timestamp, snapshot, targets and targets/releases versions higher,
 *   every file still valid).
 * verdicts.json: exit code and output of `notary lookup` per tag against the server, `notary list`, and
 * the rollback refusal: the publisher's client (which has seen `after`) against a server replaying
 * `before`.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { TufRepositoryFiles } from '../../src/formats/tuf/repository.js';
import { NotaryService } from '../../src/oci/notary/client.js';
import { breathe, cachedFixtureDir } from './fixture-cache.js';
import { NOTARY_BIN, NOTARY_PASSPHRASES, serveTufMetadata, startNotaryServer } from './notary.js';
import { run, type RunResult } from './tools.js';

export const TUF_GUN = 'example.test/tuft/app';
/** sha256 hex of a word: the fixed "manifest digests" the targets name. */
export const digestOf = (word: string): string => createHash('sha256').update(word).digest('hex');
export const TARGETS = {
  good: { sha256: digestOf('good'), length: 528 },
  rel: { sha256: digestOf('rel'), length: 611 },
  shadowReleases: { sha256: digestOf('shadow'), length: 700 },
} as const;

export interface NotaryVerdict {
  code: number;
  out: string;
}

export interface TufRepoFixture {
  dir: string;
  /** When the repository was made (every role is valid for 14 days after it: the timestamp's life). */
  builtAt: Date;
  before: TufRepositoryFiles;
  after: TufRepositoryFiles;
  /** The root.json the notary client pinned on `init` (its trust dir), and the root certificate PEM. */
  rootJsonPath: string;
  rootCertPath: string;
  verdicts: Record<string, NotaryVerdict>;
}

const ROLES = ['root', 'timestamp', 'snapshot', 'targets'] as const;

async function save(dir: string, files: TufRepositoryFiles): Promise<void> {
  await mkdir(join(dir, 'targets'), { recursive: true });
  for (const r of ROLES) if (files[r]) await writeFile(join(dir, `${r}.json`), files[r]);
  const names = Object.keys(files.delegations ?? {});
  for (const n of names) {
    await mkdir(dirname(join(dir, `${n}.json`)), { recursive: true });
    await writeFile(join(dir, `${n}.json`), files.delegations![n]!);
  }
  await writeFile(join(dir, 'delegations.json'), JSON.stringify(names));
}

async function load(dir: string): Promise<TufRepositoryFiles> {
  const bytes = async (p: string) => new Uint8Array(await readFile(join(dir, p)));
  const names = JSON.parse(await readFile(join(dir, 'delegations.json'), 'utf8')) as string[];
  const delegations: Record<string, Uint8Array> = {};
  for (const n of names) delegations[n] = await bytes(`${n}.json`);
  return {
    root: await bytes('root.json'),
    timestamp: await bytes('timestamp.json'),
    snapshot: await bytes('snapshot.json'),
    targets: await bytes('targets.json'),
    delegations,
  };
}

async function build(dir: string): Promise<void> {
  const notary = await startNotaryServer();
  const verdicts: Record<string, NotaryVerdict> = {};
  const v = (r: RunResult): NotaryVerdict => ({ code: r.code, out: (r.stdout + r.stderr).trim() });
  try {
    const gun = TUF_GUN;
    const c = (args: string[]) => notary.client(args);
    await c(['init', gun]);
    const { good, rel, shadowReleases } = TARGETS;
    await c(['addhash', gun, 'good', String(good.length), '--sha256', good.sha256]);
    await c(['addhash', gun, 'nosha', '300', '--sha512', createHash('sha512').update('nosha').digest('hex')]);
    await c(['addhash', gun, 'shadow', String(good.length), '--sha256', good.sha256]);
    await c(['publish', gun]);
    await breathe();
    for (const role of ['releases', 'alice']) {
      const key = join(dir, `${role}.key`);
      const crt = join(dir, `${role}.crt`);
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', crt, '-days', '30', '-subj', `/CN=${role}`]); // prettier-ignore
      await c(['delegation', 'add', gun, `targets/${role}`, crt, '--all-paths']);
      await c(['publish', gun]);
      await c(['key', 'import', key, '--role', `targets/${role}`]);
      await breathe();
    }
    const addTo = (role: string, name: string, t: { sha256: string; length: number }) =>
      c(['addhash', gun, name, String(t.length), '--sha256', t.sha256, '--roles', role]);
    await addTo('targets/releases', 'rel', rel);
    await addTo('targets/releases', 'shadow', shadowReleases);
    await addTo('targets/alice', 'alice', good);
    await c(['publish', gun]);
    // A nested delegation with its own key, granted in targets/releases (signed with the releases key).
    const qaKey = join(dir, 'qa.key');
    const qaCrt = join(dir, 'qa.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', qaKey, '-out', qaCrt, '-days', '30', '-subj', '/CN=qa']); // prettier-ignore
    await c(['delegation', 'add', gun, 'targets/releases/qa', qaCrt, '--all-paths']);
    await c(['publish', gun]);
    await c(['key', 'import', qaKey, '--role', 'targets/releases/qa']);
    // And one below targets/alice, so a nested role's parent is not always the first delegation.
    const devKey = join(dir, 'dev.key');
    const devCrt = join(dir, 'dev.crt');
    await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', devKey, '-out', devCrt, '-days', '30', '-subj', '/CN=dev']); // prettier-ignore
    await c(['delegation', 'add', gun, 'targets/alice/dev', devCrt, '--all-paths']);
    await c(['publish', gun]);
    await c(['key', 'import', devKey, '--role', 'targets/alice/dev']);
    await addTo('targets/releases/qa', 'qa', rel);
    await addTo('targets/alice/dev', 'dev', good);
    await c(['publish', gun]);
    await breathe();

    const fetchAll = async (): Promise<TufRepositoryFiles> => {
      const s = new NotaryService({ serverUrl: notary.url, caFile: notary.caFile });
      try {
        return (await s.repository(gun))!;
      } finally {
        await s.close();
      }
    };
    const before = await fetchAll();
    await c(['addhash', gun, 'later', String(good.length), '--sha256', good.sha256]);
    await addTo('targets/releases', 'later', good);
    await c(['publish', gun]);
    const after = await fetchAll();
    await save(join(dir, 'before'), before);
    await save(join(dir, 'after'), after);

    const read = (args: string[]) =>
      run(NOTARY_BIN, ['-s', notary.url, '-d', notary.trustDir, '--tlscacert', notary.caFile, ...args], {
        env: NOTARY_PASSPHRASES,
        check: false,
        timeoutMs: 60_000,
      });
    for (const tag of ['good', 'rel', 'shadow', 'alice', 'nosha', 'qa'])
      verdicts[`lookup ${tag}`] = v(await read(['lookup', gun, tag]));
    verdicts['list'] = v(await read(['list', gun]));
    verdicts['list targets/alice'] = v(await read(['list', gun, '--roles', 'targets/alice']));
    await breathe();

    // The rollback reference: the publisher's client has seen `after`; a server now replays `before`.
    const replay = await serveTufMetadata(() => before);
    try {
      verdicts['rollback lookup good'] = v(
        await run(NOTARY_BIN, ['-s', replay.url, '-d', notary.trustDir, 'lookup', gun, 'good'], {
          env: NOTARY_PASSPHRASES,
          check: false,
          timeoutMs: 60_000,
        }),
      );
    } finally {
      await replay.close();
    }

    const rootJson = await readFile(join(notary.trustDir, 'tuf', gun, 'metadata', 'root.json'));
    await writeFile(join(dir, 'pinned-root.json'), rootJson);
    const root = JSON.parse(rootJson.toString('utf8')) as {
      signed: {
        keys: Record<string, { keyval: { public: string } }>;
        roles: Record<string, { keyids: string[] }>;
      };
    };
    const rootKeyId = root.signed.roles['root']!.keyids[0]!;
    await writeFile(join(dir, 'root.crt'), Buffer.from(root.signed.keys[rootKeyId]!.keyval.public, 'base64'));
    await writeFile(join(dir, 'verdicts.json'), JSON.stringify(verdicts, null, 1));
    await writeFile(join(dir, 'built-at.txt'), new Date().toISOString());
    await rm(join(dir, 'releases.key'), { force: true });
    await rm(join(dir, 'alice.key'), { force: true });
    await rm(join(dir, 'qa.key'), { force: true });
    await rm(join(dir, 'dev.key'), { force: true });
  } finally {
    await notary.stop();
    await rm(notary.dir, { recursive: true, force: true });
  }
}

let cached: Promise<TufRepoFixture> | undefined;

/** The day's notary-made repository (built on first use, then read from .cache/test-fixtures). */
export function tufRepoFixture(): Promise<TufRepoFixture> {
  cached ??= (async () => {
    const dir = await cachedFixtureDir('tuf-notary-repo', build);
    return {
      dir,
      builtAt: new Date((await readFile(join(dir, 'built-at.txt'), 'utf8')).trim()),
      before: await load(join(dir, 'before')),
      after: await load(join(dir, 'after')),
      rootJsonPath: join(dir, 'pinned-root.json'),
      rootCertPath: join(dir, 'root.crt'),
      verdicts: JSON.parse(await readFile(join(dir, 'verdicts.json'), 'utf8')) as Record<
        string,
        NotaryVerdict
      >,
    };
  })();
  return cached;
}
