import { beforeAll, describe, expect, it } from 'vitest';

import { SigscanError } from '../../../src/errors.js';
import {
  MAX_DELEGATED_ROLES,
  MAX_DELEGATION_DEPTH,
  delegationCovers,
  delegationPath,
  findTarget,
  findTargetsByDigest,
  parseTufRepository,
  type DelegatedRole,
  type TufRepository,
  type TufRepositoryFiles,
} from '../../../src/formats/tuf/index.js';
import {
  NOTARY03,
  PYTHON_TUF,
  delegationFile,
  encodeDoc,
  notary03Files,
  notaryCustomFiles,
  notaryCustomRepository,
  topTargetsDelegating,
  tufBytes,
  withSigned,
} from '../../helpers/tuf-metadata.js';

const SHA256_EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** sha256("file3.txt") = 4532257ae36d…, sha256("latest") = 5e1e2bcac305… */
const FILE3_HASH_PREFIX = '4532257AE';

function parseError(files: TufRepositoryFiles): SigscanError {
  try {
    parseTufRepository(files);
  } catch (err) {
    expect(err).toBeInstanceOf(SigscanError);
    return err as SigscanError;
  }
  throw new Error('parsed');
}

const summary = (repo: TufRepository): Array<[string, string, number]> =>
  repo.delegations.map((d) => [d.name, d.parent, d.depth]);

describe('parseTufRepository on the tools’ own repositories', () => {
  it('notary 0.3: every role, the releases delegation under targets', () => {
    const repo = parseTufRepository(notary03Files());
    expect([repo.root.type, repo.timestamp!.type, repo.snapshot!.type, repo.targets!.type]).toEqual([
      'root',
      'timestamp',
      'snapshot',
      'targets',
    ]);
    expect(summary(repo)).toEqual([['targets/releases', 'targets', 1]]);
    expect(repo.delegations[0]!.role.paths).toEqual(['']);
    expect(repo.delegations[0]!.md.version).toBe(1);
    expect(repo.missingDelegations).toEqual([]);
    expect(repo.undeclared).toEqual([]);
    expect(repo.previousRoots.size).toBe(0);
  });

  it('python-tuf: role1 then role2, which role1 delegates to', () => {
    const repo = parseTufRepository({
      root: tufBytes(`${PYTHON_TUF}/root.json`),
      targets: tufBytes(`${PYTHON_TUF}/targets.json`),
      delegations: {
        role1: tufBytes(`${PYTHON_TUF}/role1.json`),
        role2: tufBytes(`${PYTHON_TUF}/role2.json`),
      },
    });
    expect(summary(repo)).toEqual([
      ['role1', 'targets', 1],
      ['role2', 'role1', 2],
    ]);
    expect(repo.timestamp).toBeUndefined();
    expect(repo.snapshot).toBeUndefined();
    expect(findTarget(repo, 'file3.txt').map((l) => [l.role, l.inPaths, l.target.length])).toEqual([
      ['role1', true, 28],
    ]);
    expect(delegationPath(repo, 'role2').map((d) => d.name)).toEqual(['role1', 'role2']);
  });

  it('earlier roots are kept unparsed by version number', () => {
    const old = new Uint8Array(Buffer.from('not even JSON'));
    const repo = parseTufRepository({ ...notary03Files(), previousRoots: { 1: old, 2: old } });
    expect([...repo.previousRoots.keys()]).toEqual([1, 2]);
    expect(repo.previousRoots.get(1)).toBe(old);
  });

  it('a declared delegation with no file is missing; a file nobody declares is undeclared', () => {
    const files = notary03Files();
    const repo = parseTufRepository({
      ...files,
      delegations: { 'targets/other': files.delegations!['targets/releases']!, targets: files.targets! },
    });
    expect(repo.delegations).toEqual([]);
    expect(repo.missingDelegations).toEqual(['targets/releases']);
    // `targets` is the top-level role, never a delegation file.
    expect(repo.undeclared).toEqual(['targets/other']);
  });

  it('without targets nothing is walked', () => {
    const files = notary03Files();
    const repo = parseTufRepository({ root: files.root, delegations: files.delegations });
    expect(repo.targets).toBeUndefined();
    expect(repo.delegations).toEqual([]);
    expect(repo.missingDelegations).toEqual([]);
    expect(repo.undeclared).toEqual(['targets/releases']);
  });
});

describe('parseTufRepository refuses a file in the wrong place', () => {
  it('a role file of another type', () => {
    const files = notary03Files();
    const err = parseError({ ...files, timestamp: files.snapshot });
    expect(err.code).toBe('MALFORMED_ENVELOPE');
    expect(err.message).toBe('timestamp.json has _type snapshot, expected timestamp');
    expect(parseError({ ...files, root: files.targets! }).message).toBe(
      'root.json has _type targets, expected root',
    );
    expect(parseError({ ...files, delegations: { 'targets/releases': files.root } }).message).toBe(
      'targets/releases.json has _type root, expected targets',
    );
  });

  it('a file that does not parse: named, with the parser’s error as cause', () => {
    const err = parseError({ ...notary03Files(), snapshot: new Uint8Array(Buffer.from('{')) });
    expect(err.code).toBe('MALFORMED_ENVELOPE');
    expect(err.message).toMatch(/^snapshot\.json: TUF metadata: not JSON \(/);
    expect(err.cause).toBeInstanceOf(SigscanError);
    expect((err.cause as SigscanError).message).toBe(err.message.slice('snapshot.json: '.length));
  });
});

describe('delegation walk limits', () => {
  /** targets → targets/d1 → targets/d2 → … → targets/d<n>, each file present. */
  function chain(n: number): TufRepositoryFiles {
    const delegations: Record<string, Uint8Array> = {};
    for (let i = 1; i <= n; i++) {
      delegations[`targets/d${i}`] = delegationFile(
        i < n ? [{ name: `targets/d${i + 1}`, paths: [''] }] : [],
      );
    }
    return {
      ...notary03Files(),
      targets: topTargetsDelegating([{ name: 'targets/d1', paths: [''] }]),
      delegations,
    };
  }

  it(`stops at depth ${MAX_DELEGATION_DEPTH}; deeper files are left undeclared`, () => {
    const repo = parseTufRepository(chain(10));
    expect(summary(repo)).toEqual(
      Array.from({ length: 8 }, (_, i) => [
        `targets/d${i + 1}`,
        i === 0 ? 'targets' : `targets/d${i}`,
        i + 1,
      ]),
    );
    expect(repo.undeclared).toEqual(['targets/d9', 'targets/d10']);
    expect(repo.missingDelegations).toEqual([]);
    expect(delegationPath(repo, 'targets/d8').map((d) => d.depth)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('a delegation cycle is walked once', () => {
    const repo = parseTufRepository({
      ...notary03Files(),
      targets: topTargetsDelegating([{ name: 'targets/a', paths: [''] }]),
      delegations: {
        'targets/a': delegationFile([{ name: 'targets/b', paths: [''] }]),
        'targets/b': delegationFile([
          { name: 'targets/a', paths: [''] },
          { name: 'targets', paths: [''] },
        ]),
      },
    });
    expect(summary(repo)).toEqual([
      ['targets/a', 'targets', 1],
      ['targets/b', 'targets/a', 2],
    ]);
    expect(repo.missingDelegations).toEqual([]);
  });

  it(`at most ${MAX_DELEGATED_ROLES} delegated roles; the rest are neither walked nor missing`, () => {
    const names = Array.from({ length: 300 }, (_, i) => `targets/r${String(i).padStart(3, '0')}`);
    const leaf = delegationFile([]);
    const repo = parseTufRepository({
      ...notary03Files(),
      targets: topTargetsDelegating(names.map((name) => ({ name, paths: [''] }))),
      delegations: Object.fromEntries(names.map((n) => [n, leaf])),
    });
    expect(repo.delegations.map((d) => d.name)).toEqual(names.slice(0, 256));
    expect(repo.undeclared).toEqual(names.slice(256));
    expect(repo.missingDelegations).toEqual([]);
  });

  it('delegationPath stops on a parent cycle (not something the walk builds) after depth + 1 steps', () => {
    const repo = parseTufRepository(chain(2));
    repo.delegations[0]!.parent = 'targets/d2';
    expect(delegationPath(repo, 'targets/d2')).toHaveLength(MAX_DELEGATION_DEPTH + 1);
    expect(delegationPath(repo, 'targets/none')).toEqual([]);
  });
});

describe('delegationCovers', () => {
  const role = (r: Partial<DelegatedRole>): DelegatedRole => ({
    name: 'r',
    keyids: [],
    threshold: 1,
    terminating: false,
    ...r,
  });

  it('notary: "" covers everything, other paths are name prefixes', () => {
    expect(delegationCovers(role({ paths: [''] }), 'latest')).toBe(true);
    expect(delegationCovers(role({ paths: ['lat'] }), 'latest')).toBe(true);
    expect(delegationCovers(role({ paths: ['test'] }), 'latest')).toBe(false);
    expect(delegationCovers(role({ paths: ['v1/', 'lat'] }), 'latest')).toBe(true);
    expect(delegationCovers(role({ paths: [] }), 'latest')).toBe(false);
  });

  it('TUF 1.0: shell-style patterns; * and ? stay within one path segment', () => {
    const covers = (p: string, name: string): boolean => delegationCovers(role({ paths: [p] }), name);
    expect(covers('*', 'file3.txt')).toBe(true);
    expect(covers('*.txt', 'file3.txt')).toBe(true);
    expect(covers('*.txt', 'dir/file3.txt')).toBe(false);
    expect(covers('dir/*', 'dir/file3.txt')).toBe(true);
    expect(covers('file?.txt', 'file3.txt')).toBe(true);
    expect(covers('file?.txt', 'file33.txt')).toBe(false);
    // Regex characters in a pattern are literal.
    expect(covers('v1.?', 'v1.2')).toBe(true);
    expect(covers('v1.?', 'v1x2')).toBe(false);
    expect(covers('a+(b)|c$*', 'a+(b)|c$d')).toBe(true);
    // A pattern that is no valid expression covers nothing.
    expect(covers('a[', 'ab')).toBe(false);
    expect(covers('file3.txt', 'file3.txt')).toBe(true);
  });

  it('path_hash_prefixes: prefixes of the name’s SHA-256, any case', () => {
    const covers = (p: string[]): boolean => delegationCovers(role({ pathHashPrefixes: p }), 'file3.txt');
    expect(covers([FILE3_HASH_PREFIX])).toBe(true);
    expect(covers(['5e1e', FILE3_HASH_PREFIX.toLowerCase()])).toBe(true);
    expect(covers(['5e1e'])).toBe(false);
    // The hash ends in …3252: a suffix is not a prefix.
    expect(covers(['3252'])).toBe(false);
    expect(covers([])).toBe(false);
  });

  it('paths win over path_hash_prefixes; neither covers nothing', () => {
    expect(
      delegationCovers(role({ paths: ['x/'], pathHashPrefixes: [FILE3_HASH_PREFIX] }), 'file3.txt'),
    ).toBe(false);
    expect(delegationCovers(role({}), 'file3.txt')).toBe(false);
  });
});

describe('findTarget and findTargetsByDigest', () => {
  it('notary 0.3: top-level and delegated listings', () => {
    const repo = parseTufRepository(notary03Files());
    expect(findTarget(repo, 'change').map((l) => [l.role, l.inPaths, l.target.hashes['sha256']])).toEqual([
      ['targets', true, SHA256_EMPTY],
    ]);
    expect(findTarget(repo, 'hello').map((l) => [l.role, l.inPaths])).toEqual([['targets/releases', true]]);
    expect(findTarget(repo, 'nothing')).toEqual([]);
    expect(
      findTargetsByDigest(repo, SHA256_EMPTY).map((l) => [l.name, l.role, l.inPaths, l.target.length]),
    ).toEqual([
      ['change', 'targets', true, 0],
      ['hello', 'targets/releases', true, 0],
    ]);
    expect(findTargetsByDigest(repo, SHA256_EMPTY.toUpperCase())).toEqual([]);
  });

  it('a listing outside the delegation’s paths is marked, top-level first', () => {
    const files = notary03Files();
    const repo = parseTufRepository({
      ...files,
      targets: topTargetsDelegating([{ name: 'targets/releases', paths: ['v1/'] }]),
      delegations: {
        'targets/releases': withSigned(`${NOTARY03}/targets/releases.json`, (s) => {
          const t = s['targets'] as Record<string, unknown>;
          t['change'] = t['hello'];
        }),
      },
    });
    expect(findTarget(repo, 'change').map((l) => [l.role, l.inPaths])).toEqual([
      ['targets', true],
      ['targets/releases', false],
    ]);
    expect(findTargetsByDigest(repo, SHA256_EMPTY).map((l) => [l.name, l.role, l.inPaths])).toEqual([
      ['change', 'targets', true],
      ['hello', 'targets/releases', false],
      ['change', 'targets/releases', false],
    ]);
  });

  it('every delegation on the path must cover the name, not just one', () => {
    const repo = parseTufRepository({
      ...notary03Files(),
      targets: topTargetsDelegating([{ name: 'targets/a', paths: [''] }]),
      delegations: {
        'targets/a': delegationFile([{ name: 'targets/b', paths: ['v1/'] }]),
        'targets/b': delegationFile([], {
          'v2/x': { hashes: {}, length: 1 },
          'v1/x': { hashes: {}, length: 2 },
        }),
      },
    });
    expect(findTarget(repo, 'v2/x').map((l) => [l.role, l.inPaths])).toEqual([['targets/b', false]]);
    expect(findTarget(repo, 'v1/x').map((l) => [l.role, l.inPaths])).toEqual([['targets/b', true]]);
  });
});

describe('a delegation restricted by the notary client (--paths v1/ --paths v2/)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await notaryCustomRepository();
  }, 180_000);

  it('the paths as notary wrote them; its target inside them', () => {
    const repo = parseTufRepository(notaryCustomFiles(dir));
    expect(repo.delegations.map((d) => [d.name, d.parent, d.role.paths, d.role.threshold])).toEqual([
      ['targets/releases', 'targets', ['v1/', 'v2/'], 1],
    ]);
    const role = repo.delegations[0]!.role;
    expect([
      delegationCovers(role, 'v1/app'),
      delegationCovers(role, 'v2/x'),
      delegationCovers(role, 'v3/app'),
    ]).toEqual([true, true, false]);
    expect(findTarget(repo, 'v1/app').map((l) => [l.role, l.inPaths, l.target.length])).toEqual([
      ['targets/releases', true, 4],
    ]);
    expect(findTarget(repo, '0.1.1').map((l) => [l.role, l.inPaths])).toEqual([['targets', true]]);
  });

  it('a listing moved outside the paths (surgery on the delegation file) is marked', () => {
    const files = notaryCustomFiles(dir);
    const doc = JSON.parse(Buffer.from(files.delegations!['targets/releases']!).toString('utf8')) as {
      signed: { targets: Record<string, unknown> };
    };
    doc.signed.targets['v3/app'] = doc.signed.targets['v1/app'];
    delete doc.signed.targets['v1/app'];
    const repo = parseTufRepository({ ...files, delegations: { 'targets/releases': encodeDoc(doc) } });
    expect(findTarget(repo, 'v3/app').map((l) => [l.role, l.inPaths])).toEqual([['targets/releases', false]]);
  });
});
