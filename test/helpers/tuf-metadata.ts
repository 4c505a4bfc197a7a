/**
 * Real TUF metadata from the shared corpus (notary 0.1 / 0.3 client output, python-tuf's test repository,
 * Sigstore's roots) and byte surgery on it, for the format readers' tests (test/formats/tuf/).
 *
 * Surgery edits the decoded `signed` object and writes the file back with JSON.stringify: the parsers
 * under test check structure only, so the (now stale) signatures are kept as the tool wrote them.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { canonicalJson, type TufRepositoryFiles } from '../../src/formats/tuf/index.js';
import { CORPUS_DIR } from './corpus.js';
import { breathe, cachedFixtureDir } from './fixture-cache.js';

export const TUF_CORPUS = join(CORPUS_DIR, 'notary-v1-tuf');
export const NOTARY03 = 'notary/notary0.3';
export const PYTHON_TUF = 'python-tuf/metadata';

export interface MetadataDoc {
  signed: Record<string, unknown>;
  signatures: Array<Record<string, unknown>>;
}

/** A corpus file's bytes, by path under notary-v1-tuf/. */
export function tufBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TUF_CORPUS, rel)));
}

/** A corpus file decoded, for surgery. */
export function tufDoc(rel: string): MetadataDoc {
  return JSON.parse(readFileSync(join(TUF_CORPUS, rel), 'utf8')) as MetadataDoc;
}

export function encodeDoc(doc: unknown): Uint8Array {
  return new Uint8Array(Buffer.from(JSON.stringify(doc), 'utf8'));
}

/** The corpus file with `edit` applied to its decoded `signed` object (signatures kept as written). */
export function withSigned(rel: string, edit: (signed: Record<string, unknown>) => void): Uint8Array {
  const doc = tufDoc(rel);
  edit(doc.signed);
  return encodeDoc(doc);
}

/** The corpus file with `edit` applied to the whole decoded document. */
export function withDoc(rel: string, edit: (doc: MetadataDoc) => unknown): Uint8Array {
  const doc = tufDoc(rel);
  const replaced = edit(doc);
  return encodeDoc(replaced === undefined ? doc : replaced);
}

/** The notary 0.3 client's repository (`docker.com/notary0.3/tst`) as a notary server serves it. */
export function notary03Files(): TufRepositoryFiles {
  return {
    root: tufBytes(`${NOTARY03}/root.json`),
    timestamp: tufBytes(`${NOTARY03}/timestamp.json`),
    snapshot: tufBytes(`${NOTARY03}/snapshot.json`),
    targets: tufBytes(`${NOTARY03}/targets.json`),
    delegations: { 'targets/releases': tufBytes(`${NOTARY03}/targets/releases.json`) },
  };
}

/**
 * A notary delegation file: the 0.3 client's `targets/releases.json` with its own delegation list replaced
 * by `children` (each `{name, paths}` and the file's rsa-x509 key) and its targets by `targets`.
 */
export function delegationFile(
  children: Array<{ name: string; paths?: string[]; path_hash_prefixes?: string[] }>,
  targets?: Record<string, unknown>,
): Uint8Array {
  return withSigned(`${NOTARY03}/targets/releases.json`, (s) => {
    const keyid = '68243a1f948be7841403f65fc8f24d5eda9050c337e727e2eacc3d3cb5227d73';
    const top = tufDoc(`${NOTARY03}/targets.json`).signed['delegations'] as { keys: Record<string, unknown> };
    s['delegations'] = {
      keys: children.length ? { [keyid]: top.keys[keyid] } : {},
      roles: children.map((c) => ({ keyids: [keyid], threshold: 1, ...c })),
    };
    if (targets) s['targets'] = targets;
  });
}

/** The notary 0.3 top-level targets.json with its delegation roles replaced by `children`. */
export function topTargetsDelegating(
  children: Array<{ name: string; paths?: string[]; path_hash_prefixes?: string[] }>,
): Uint8Array {
  return withSigned(`${NOTARY03}/targets.json`, (s) => {
    const del = s['delegations'] as { keys: Record<string, unknown>; roles: Array<Record<string, unknown>> };
    const template = del.roles[0]!;
    del.roles = children.map((c) => ({ keyids: template['keyids'], threshold: 1, ...c }));
  });
}

/** in-toto-golang's demo supply chain in the corpus: a layout signed by alice, her key, two links. */
export const INTOTO_DEMO = join(CORPUS_DIR, 'dsse', 'in-toto-golang');

/**
 * What Signy stores in a target's `custom` (cnabio/signy pkg/intoto `Metadata`): a Go struct of `[]byte`
 * fields, so standard base64 of the layout key PEM, the signed layout and each link file, marshalled with
 * docker/go's canonical JSON. Built from the in-toto demo files.
 */
export function signyInTotoFields(): { key: string; layout: string; links: Record<string, string> } {
  const b64 = (name: string): string => readFileSync(join(INTOTO_DEMO, name)).toString('base64');
  return {
    key: b64('alice.pub'),
    layout: b64('demo.layout'),
    links: {
      'write-code.b7d643de.link': b64('write-code.b7d643de.link'),
      'package.d3ffd108.link': b64('package.d3ffd108.link'),
    },
  };
}

export const NOTARY_GUN = 'example.com/signy/helloworld';

/**
 * Metadata written by the real notary client (Debian `notary`) against a real notary-server, cached per day:
 * target `0.1.1` added with `notary add --custom` carrying Signy's in-toto metadata, a `targets/releases`
 * delegation (ECDSA key, certificate from openssl) restricted to `--paths v1/ --paths v2/`, and `v1/app` signed
 * by it. Files: root.json, snapshot.json, targets.json, targets/releases.json (the client's cached copies after
 * `notary list`).
 */
export function notaryCustomRepository(): Promise<string> {
  return cachedFixtureDir('tuf-formats-notary-custom-v1', async (dir) => {
    const work = join(dir, 'work');
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'custom.json'), canonicalJson(signyInTotoFields()));
    writeFileSync(
      join(work, 'bundle.json'),
      '{"name":"helloworld","schemaVersion":"v1.0.0","version":"0.1.1"}',
    );
    writeFileSync(join(work, 'app'), 'app\n');
    // Loaded on a cache miss only: the server harness and its imports are not needed to read the cache.
    const { startNotaryServer } = await import('./notary.js');
    const { run } = await import('./tools.js');
    const notary = await startNotaryServer();
    try {
      // run() throws on a non-zero exit, with the client's stderr.
      const client = async (args: string[]): Promise<void> => {
        await notary.client(args);
        await breathe();
      };
      await client(['init', NOTARY_GUN]);
      await client([
        'add',
        NOTARY_GUN,
        '0.1.1',
        join(work, 'bundle.json'),
        '--custom',
        join(work, 'custom.json'),
      ]);
      const key = join(work, 'releases.key');
      const crt = join(work, 'releases.crt');
      await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', key, '-out', crt, '-days', '30', '-subj', '/CN=releases']); // prettier-ignore
      await client([
        'delegation',
        'add',
        NOTARY_GUN,
        'targets/releases',
        crt,
        '--paths',
        'v1/',
        '--paths',
        'v2/',
      ]);
      await client(['publish', NOTARY_GUN]);
      await client(['key', 'import', key, '--role', 'targets/releases']);
      await client(['add', NOTARY_GUN, 'v1/app', join(work, 'app'), '--roles', 'targets/releases']);
      await client(['publish', NOTARY_GUN]);
      // Publishing caches only what the client signed; listing fetches every role, delegations included.
      await client(['list', NOTARY_GUN]);
      const metadata = join(notary.trustDir, 'tuf', NOTARY_GUN, 'metadata');
      mkdirSync(join(dir, 'targets'));
      for (const f of ['root.json', 'snapshot.json', 'targets.json', 'targets/releases.json']) {
        copyFileSync(join(metadata, f), join(dir, f));
      }
    } finally {
      await notary.stop();
    }
    rmSync(work, { recursive: true, force: true });
  });
}

/** The notary-made repository of notaryCustomRepository() as parseTufRepository takes it. */
export function notaryCustomFiles(dir: string): TufRepositoryFiles {
  const read = (f: string): Uint8Array => new Uint8Array(readFileSync(join(dir, f)));
  return {
    root: read('root.json'),
    snapshot: read('snapshot.json'),
    targets: read('targets.json'),
    delegations: { 'targets/releases': read('targets/releases.json') },
  };
}
