/**
 * verifyTufChain on a repository the real notary client made against a real notary-server
 * (test/helpers/tuf-repo-cache.ts: root → timestamp → snapshot → targets → targets/releases →
 * targets/releases/qa, plus targets/alice → targets/alice/dev, each delegation with its own key), with byte surgery for each
 * attack: exact problem objects, the boundaries of expiry and of the root certificate's validity, the
 * pins, and the root rotation walk on the notary rotation fixtures.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, sign } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { canonicalJson } from '../../../src/formats/tuf/canonical.js';
import { resolveKey } from '../../../src/formats/tuf/keys.js';
import { parseTufMetadata } from '../../../src/formats/tuf/metadata.js';
import { parseTufRepository, type TufRepositoryFiles } from '../../../src/formats/tuf/repository.js';
import type { CertificateSummary } from '../../../src/model/index.js';
import {
  problemsFor,
  verifyTufChain,
  walkRootRotation,
  type ChainOptions,
} from '../../../src/trust/tuf/chain.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { run } from '../../helpers/tools.js';
import { TUF_GUN, tufRepoFixture, type TufRepoFixture } from '../../helpers/tuf-repo-cache.js';

type Doc = {
  signed: Record<string, unknown> & { roles?: Record<string, { keyids: string[]; threshold: number }> };
  signatures: Array<{ keyid: string; method?: string; sig: string }>;
};

let f: TufRepoFixture;
let now: Date;
let rootCert: CertificateSummary;
let rootKeyId: string;

beforeAll(async () => {
  f = await tufRepoFixture();
  now = new Date(f.builtAt.getTime() + 3_600_000);
  const root = parseTufMetadata(f.after.root);
  rootKeyId = root.root!.roles['root']!.keyids[0]!;
  rootCert = resolveKey(root.root!.keys.get(rootKeyId)!).certificate!.summary;
});

const doc = (bytes: Uint8Array): Doc => JSON.parse(Buffer.from(bytes).toString('utf8')) as Doc;
const enc = (d: unknown, indent?: number): Uint8Array =>
  new Uint8Array(Buffer.from(JSON.stringify(d, null, indent)));
/** The same document re-indented: its signed content (and signatures) unchanged, its bytes not. */
const reindent = (bytes: Uint8Array): Uint8Array => enc(doc(bytes), 2);

function chain(files: TufRepositoryFiles, opts: Partial<ChainOptions> = {}) {
  const repo = parseTufRepository(files);
  const pin = { roots: [{ path: 'pinned.json', bytes: new Uint8Array(readFileSync(f.rootJsonPath)) }] };
  return { repo, report: verifyTufChain(repo, { now, gun: TUF_GUN, pin, ...opts }) };
}
const problems = (files: TufRepositoryFiles, opts: Partial<ChainOptions> = {}) =>
  chain(files, opts).report.problems;

describe('verifyTufChain on notary-made metadata', () => {
  it('the unedited repository: no problem, every role and delegation checked with its own keys', () => {
    const { report } = chain(f.after);
    expect(report.problems).toEqual([]);
    expect(report.pin).toEqual({
      kind: 'root',
      matched: true,
      message: 'root matches the pinned pinned.json (version 1)',
    });
    expect(
      [...report.roles.values()].map((s) => [
        s.role,
        s.signatures.validKeyIds.length,
        s.keyTypes,
        s.certificates.length,
      ]),
    ).toEqual([
      ['root', 1, ['ecdsa-x509'], 1],
      ['timestamp', 1, ['ed25519'], 0],
      ['snapshot', 1, ['ecdsa'], 0],
      ['targets', 1, ['ecdsa'], 0],
      ['targets/releases', 1, ['ecdsa-x509'], 1],
      ['targets/releases/qa', 1, ['ecdsa-x509'], 1],
      ['targets/alice', 1, ['ecdsa-x509'], 1],
      ['targets/alice/dev', 1, ['ecdsa-x509'], 1],
    ]);
    expect(report.rootKeyIds).toEqual([rootKeyId]);
    expect(report.rootCertificateSubjects).toEqual([rootCert.subject]);
    expect(rootCert.subject).toBe(`CN=${TUF_GUN}`);
  });

  it('a root that grants no root role: no root key ids, no subjects, TUF_ROLE_UNDEFINED', () => {
    const d = doc(f.after.root);
    delete d.signed.roles!['root'];
    const { report } = chain({ ...f.after, root: enc(d) }, { pin: undefined });
    expect(report.rootKeyIds).toEqual([]);
    expect(report.rootCertificateSubjects).toEqual([]);
    expect(report.problems.filter((p) => p.role === 'root').map((p) => p.code)).toEqual([
      'TUF_ROLE_UNDEFINED',
      'TUF_SNAPSHOT_ROOT', // the edited root is not the one the snapshot lists
    ]);
  });

  it('metadata expires at the instant it names: expired at exactly that time, not a millisecond before', () => {
    const at = parseTufMetadata(f.after.timestamp!).expires.getTime();
    expect(problems(f.after, { now: new Date(at) }).map((p) => [p.role, p.code])).toEqual([
      ['timestamp', 'TUF_METADATA_EXPIRED'],
    ]);
    expect(problems(f.after, { now: new Date(at - 1) })).toEqual([]);
  });

  it('the root certificate is usable from its notBefore to its notAfter inclusive, and not outside', () => {
    const rootProblems = (t: number) =>
      problems(f.after, { now: new Date(t) })
        // Root metadata expires with its certificate (both ten years): only the certificate rule here.
        .filter((p) => p.role === 'root' && p.code !== 'TUF_METADATA_EXPIRED')
        .map((p) => p.code);
    const nb = Date.parse(rootCert.notBefore);
    const na = Date.parse(rootCert.notAfter);
    expect(rootProblems(nb)).toEqual([]);
    expect(rootProblems(na)).toEqual([]);
    expect(rootProblems(nb - 1000)).toEqual(['TUF_ROOT_CERT_EXPIRED', 'TUF_ROOT_CERT_EXPIRED']);
    expect(rootProblems(na + 1000)).toEqual(['TUF_ROOT_CERT_EXPIRED', 'TUF_ROOT_CERT_EXPIRED']);
  });

  it('root grants timestamp a threshold of 0: TUF_THRESHOLD, not allowed (even though timestamp signed)', () => {
    const d = doc(f.after.root);
    d.signed.roles!['timestamp']!.threshold = 0;
    const ts = problems({ ...f.after, root: enc(d) }).filter((p) => p.role === 'timestamp');
    expect(ts).toEqual([
      {
        role: 'timestamp',
        severity: 'integrity',
        code: 'TUF_THRESHOLD',
        message: 'timestamp: threshold 0 is not allowed',
      },
    ]);
  });

  it('a threshold not met lists every signature that did not count, with its reason', () => {
    const d = doc(f.after.root);
    d.signed.roles!['timestamp']!.threshold = 2;
    const t = doc(f.after.timestamp!);
    const valid = t.signatures[0]!;
    const snapSig = doc(f.after.snapshot!).signatures[0]!;
    const flipped = Buffer.from(valid.sig, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    t.signatures = [valid, snapSig, { ...valid, sig: flipped.toString('base64') }];
    const ts = problems({ ...f.after, root: enc(d), timestamp: enc(t) }).filter(
      (p) => p.role === 'timestamp',
    );
    expect(ts).toEqual([
      {
        role: 'timestamp',
        severity: 'integrity',
        code: 'TUF_THRESHOLD',
        message: `timestamp: 1 valid signature(s) from role keys, threshold 2; ${snapSig.keyid.slice(0, 12)}: not-in-role; ${valid.keyid.slice(0, 12)}: invalid (signature does not verify)`,
      },
    ]);
  });

  it('each file must be the bytes its parent lists: snapshot, targets, a delegation', () => {
    const mismatch = (role: 'snapshot' | 'targets') =>
      problems({ ...f.after, [role]: reindent(f.after[role]!) }).map((p) => [p.role, p.severity, p.code]);
    expect(mismatch('snapshot')).toEqual([['snapshot', 'integrity', 'TUF_HASH_MISMATCH']]);
    expect(mismatch('targets')).toEqual([['targets', 'integrity', 'TUF_HASH_MISMATCH']]);
    const d = {
      ...f.after.delegations!,
      'targets/releases': reindent(f.after.delegations!['targets/releases']!),
    };
    const p = problems({ ...f.after, delegations: d });
    expect(p.map((x) => [x.role, x.severity, x.code])).toEqual([
      ['targets/releases', 'integrity', 'TUF_HASH_MISMATCH'],
    ]);
    expect(p[0]!.message).toMatch(/^targets\/releases\.json does not match snapshot: /);
    const s = problems({ ...f.after, snapshot: reindent(f.after.snapshot!) });
    expect(s[0]!.message).toMatch(/^snapshot\.json does not match timestamp: /);
    const t = problems({ ...f.after, targets: reindent(f.after.targets!) });
    expect(t[0]!.message).toMatch(/^targets\.json does not match snapshot: /);
  });

  it('a root.json other than the one the snapshot lists: a warning on the root', () => {
    expect(
      problems({ ...f.after, root: reindent(f.after.root) }).map((p) => [p.role, p.severity, p.code]),
    ).toEqual([['root', 'warning', 'TUF_SNAPSHOT_ROOT']]);
  });

  it('problemsFor: a role sees the problems of the delegations above it, and no others', () => {
    const d = {
      ...f.after.delegations!,
      'targets/releases': reindent(f.after.delegations!['targets/releases']!),
    };
    const { repo, report } = chain({ ...f.after, delegations: d });
    const codes = (role: string) => problemsFor(report, repo, role).map((p) => p.role);
    expect(codes('targets/releases/qa')).toEqual(['targets/releases']);
    expect(codes('targets/releases')).toEqual(['targets/releases']);
    expect(codes('targets/alice')).toEqual([]);
    expect(codes('targets')).toEqual([]);
  });
});

describe('verifyTufChain: pins', () => {
  it('no pin: kind none, never matched', () => {
    expect(chain(f.after, { pin: undefined }).report.pin).toEqual({
      kind: 'none',
      matched: false,
      message:
        'no root pinned (--tuf-root: a root.json or the root key): a self-signed root is trust on first use, not trust',
    });
  });

  it("a pinned file that is not a root (the repository's own timestamp.json) pins nothing", () => {
    const { report } = chain(f.after, { pin: { roots: [{ path: 'ts.json', bytes: f.after.timestamp! }] } });
    expect(report.pin).toMatchObject({ kind: 'root', matched: false });
    expect(report.problems.map((p) => [p.severity, p.code])).toEqual([['trust', 'TUF_ROOT_NOT_PINNED']]);
  });
});

describe('walkRootRotation on the notary rotation fixtures', () => {
  const DIR = join(import.meta.dirname, 'rotation');
  const file = (p: string) => new Uint8Array(readFileSync(join(DIR, p)));
  const md = (p: string) => parseTufMetadata(file(p));
  /** Root version 2 with the signatures of the key that signed `rootFile`'s root role dropped. */
  const root2Without = (rootFile: string) => {
    const id = doc(file(rootFile)).signed.roles!['root']!.keyids[0]!;
    const d = doc(file('v3/2.root.json'));
    d.signatures = d.signatures.filter((s) => s.keyid !== id);
    return enc(d);
  };
  const walk = (two: Uint8Array) =>
    walkRootRotation(md('v3/1.root.json'), md('v3/root.json'), new Map([[2, two]]));

  it('the served versions walk 1 → 2 → 3', () => {
    expect(walk(file('v3/2.root.json'))).toEqual({ ok: true });
  });

  it('a version 3 root served as version 2: TUF_ROOT_ROTATION_GAP', () => {
    expect(walk(file('v3/root.json'))).toEqual({
      ok: false,
      code: 'TUF_ROOT_ROTATION_GAP',
      message: 'the file served as root version 2 is root version 3',
    });
  });

  it('a non-root file of version 2 served as root version 2: TUF_ROOT_ROTATION_GAP', () => {
    // A delegation of the notary fixture that is at version 2 in `before`.
    const notRoot = f.before.delegations!['targets/releases']!;
    expect(parseTufMetadata(notRoot)).toMatchObject({ type: 'targets', version: 2 });
    expect(walk(notRoot)).toEqual({
      ok: false,
      code: 'TUF_ROOT_ROTATION_GAP',
      message: 'the file served as root version 2 is targets version 2',
    });
  });

  it('root 2 not signed by the version 1 key: TUF_ROOT_ROTATION_UNSIGNED (previous keys)', () => {
    expect(walk(root2Without('v3/1.root.json'))).toEqual({
      ok: false,
      code: 'TUF_ROOT_ROTATION_UNSIGNED',
      message: 'root version 2 is not signed by a threshold (1) of the keys of root version 1',
    });
  });

  it('root 2 not signed by its own key: TUF_ROOT_ROTATION_UNSIGNED (own keys)', () => {
    expect(walk(root2Without('v3/2.root.json'))).toEqual({
      ok: false,
      code: 'TUF_ROOT_ROTATION_UNSIGNED',
      message: 'root version 2 is not signed by a threshold (1) of its own root keys',
    });
  });
});

describe('verifyTufChain: TUF 1.0 (python-tuf corpus) is not held to notary rules', () => {
  it('a TUF 1.0 root key carried as an X.509 certificate is not checked against the GUN (notary-only rule)', async () => {
    // An openssl certificate for another name than the GUN, as the root key of the corpus python-tuf root.
    const dir = await cachedFixtureDir(
      'tuf-x509-root-key',
      (d) =>
      run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', join(d, 'key.pem'), '-out', join(d, 'cert.pem'), '-days', '30', '-subj', '/CN=not-the-gun']), // prettier-ignore
    );
    const r = doc(
      new Uint8Array(readFileSync(join(CORPUS_DIR, 'notary-v1-tuf', 'python-tuf', 'metadata', 'root.json'))),
    );
    const id = 'x509-root-key';
    (r.signed['keys'] as Record<string, unknown>)[id] = {
      keytype: 'ecdsa',
      scheme: 'ecdsa-sha2-nistp256',
      keyval: { public: readFileSync(join(dir, 'cert.pem'), 'utf8') },
    };
    r.signed.roles!['root'] = { keyids: [id], threshold: 1 };
    const sig = sign('sha256', canonicalJson(r.signed), {
      key: createPrivateKey(readFileSync(join(dir, 'key.pem'))),
      dsaEncoding: 'der',
    });
    r.signatures = [{ keyid: id, sig: sig.toString('hex') }];
    const report = verifyTufChain(parseTufRepository({ root: enc(r) }), { now: new Date(), gun: TUF_GUN });
    expect(report.flavour).toBe('tuf');
    expect(report.roles.get('root')!.certificates.map((c) => c.subject)).toEqual(['CN=not-the-gun']);
    expect(report.problems.filter((p) => p.role === 'root')).toEqual([]);
  });

  it('a snapshot listing another root.json is no warning there (only notary snapshots list the root)', () => {
    const dir = join(CORPUS_DIR, 'notary-v1-tuf', 'python-tuf', 'metadata');
    const read = (n: string) => new Uint8Array(readFileSync(join(dir, `${n}.json`)));
    const snap = doc(read('snapshot'));
    (snap.signed['meta'] as Record<string, unknown>)['root.json'] = {
      version: 1,
      length: 3,
      hashes: { sha256: Buffer.alloc(32).toString('hex') },
    };
    const files: TufRepositoryFiles = {
      root: read('root'),
      timestamp: read('timestamp'),
      snapshot: enc(snap),
      targets: read('targets'),
    };
    const codes = verifyTufChain(parseTufRepository(files), {
      now: new Date('2020-01-01T00:00:00Z'),
    }).problems.map((p) => p.code);
    expect(codes).not.toContain('TUF_SNAPSHOT_ROOT');
    // The surgery itself is seen: the snapshot's signature and the timestamp's hash of it.
    expect(codes).toEqual(expect.arrayContaining(['TUF_THRESHOLD', 'TUF_HASH_MISMATCH']));
  });
});
