/**
 * One TUF chain fault at a time, each yielding exactly its problem code (and, for the ones that decide a
 * verdict, exactly that verdict). Notary-flavour repositories signed here with fresh ed25519 keys (the
 * same construction as chain.test.ts), then one field changed before signing: no tool writes broken
 * TUF metadata, and node:crypto's Ed25519 is what notary and python-tuf verify against.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import {
  canonicalJson,
  parseTufRepository,
  type TufRepositoryFiles,
} from '../../../src/formats/tuf/index.js';
import { tufVerdict } from '../../../src/trust/families/tuf.js';
import { problemsFor, verifyTufChain, type ChainOptions } from '../../../src/trust/tuf/index.js';

const NOW = new Date('2026-11-21T00:00:00Z');
const EXPIRES = '2030-01-01T00:00:00Z';
const enc = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(v)));
type Body = Record<string, unknown>;

interface Key {
  id: string;
  pub: Body;
  priv: KeyObject;
  publicKey: KeyObject;
}

function ed25519(): Key {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const pub = { keytype: 'ed25519', keyval: { private: null, public: raw.toString('base64') } };
  return {
    id: createHash('sha256').update(canonicalJson(pub)).digest('hex'),
    pub,
    priv: privateKey,
    publicKey,
  };
}

function signed(body: Body, keys: Key[]): Uint8Array {
  const msg = canonicalJson(body);
  return enc({
    signed: body,
    signatures: keys.map((k) => ({
      keyid: k.id,
      method: 'eddsa',
      sig: sign(null, msg, k.priv).toString('base64'),
    })),
  });
}

function meta(bytes: Uint8Array, version?: number): Body {
  return {
    hashes: { sha256: createHash('sha256').update(bytes).digest('base64') },
    length: bytes.byteLength,
    ...(version === undefined ? {} : { version }),
  };
}

interface Edits {
  root?: (b: Body) => void;
  targets?: (b: Body) => void;
  snapshotMeta?: (m: Record<string, Body>) => void;
  /** Delegated role files by name (signed by the delegation key); declared in targets when `declare`. */
  delegated?: Record<string, { targets: Record<string, Body>; declare?: boolean; paths?: string[] }>;
  omit?: 'snapshot';
}

/** A notary-flavour repository with one edit applied before the signatures are made. */
function repository(edits: Edits = {}) {
  const [rootKey, targetsKey, snapshotKey, timestampKey, delegationKey] = [
    ed25519(),
    ed25519(),
    ed25519(),
    ed25519(),
    ed25519(),
  ];
  const rootBody: Body = {
    _type: 'Root',
    consistent_snapshot: false,
    expires: EXPIRES,
    version: 1,
    keys: Object.fromEntries([rootKey, targetsKey, snapshotKey, timestampKey].map((k) => [k.id, k.pub])),
    roles: {
      root: { keyids: [rootKey.id], threshold: 1 },
      targets: { keyids: [targetsKey.id], threshold: 1 },
      snapshot: { keyids: [snapshotKey.id], threshold: 1 },
      timestamp: { keyids: [timestampKey.id], threshold: 1 },
    },
  };
  edits.root?.(rootBody);
  const root = signed(rootBody, [rootKey]);
  const delegated = Object.entries(edits.delegated ?? {});
  const targetsBody: Body = {
    _type: 'Targets',
    delegations: {
      keys: delegated.length ? { [delegationKey.id]: delegationKey.pub } : {},
      roles: delegated
        .filter(([, d]) => d.declare !== false)
        .map(([name, d]) => ({ name, keyids: [delegationKey.id], threshold: 1, paths: d.paths ?? [''] })),
    },
    expires: EXPIRES,
    version: 3,
    targets: { latest: { hashes: { sha256: Buffer.alloc(32, 1).toString('base64') }, length: 10 } },
  };
  edits.targets?.(targetsBody);
  const targets = signed(targetsBody, [targetsKey]);
  const delegations: Record<string, Uint8Array> = {};
  for (const [name, d] of delegated) {
    delegations[name] = signed(
      {
        _type: 'Targets',
        delegations: { keys: {}, roles: [] },
        expires: EXPIRES,
        version: 1,
        targets: d.targets,
      },
      [delegationKey],
    );
  }
  const snapshotMeta: Record<string, Body> = { root: meta(root), targets: meta(targets, 3) };
  for (const [name, bytes] of Object.entries(delegations)) snapshotMeta[name] = meta(bytes, 1);
  edits.snapshotMeta?.(snapshotMeta);
  const snapshot = signed({ _type: 'Snapshot', expires: EXPIRES, version: 2, meta: snapshotMeta }, [
    snapshotKey,
  ]);
  const timestamp = signed(
    { _type: 'Timestamp', expires: EXPIRES, version: 2, meta: { snapshot: meta(snapshot) } },
    [timestampKey],
  );
  const files: TufRepositoryFiles = {
    root,
    targets,
    snapshot: edits.omit === 'snapshot' ? undefined : snapshot,
    timestamp,
    delegations,
  };
  return { files, rootKey: createPublicKey(rootKey.publicKey.export({ format: 'pem', type: 'spki' })), root };
}

/** The report's problems as [severity, code], and the verdict for `role` with the root key pinned. */
function outcome(r: ReturnType<typeof repository>, role = 'targets', pin?: ChainOptions['pin']) {
  const repo = parseTufRepository(r.files);
  const report = verifyTufChain(repo, { now: NOW, pin: pin ?? { keys: [r.rootKey] } });
  return {
    problems: report.problems.map((p) => [p.severity, p.code]),
    verdict: tufVerdict(report, problemsFor(report, repo, role), role),
  };
}

describe('TUF chain problem codes', () => {
  it('the unedited repository has no problem and verifies (the control for every case below)', () => {
    const o = outcome(repository({ delegated: { 'targets/releases': { targets: {} } } }), 'targets/releases');
    expect(o.problems).toEqual([]);
    expect(o.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  });

  it('root grants no keys to timestamp: TUF_ROLE_UNDEFINED, invalid', () => {
    const o = outcome(repository({ root: (b) => delete (b['roles'] as Body)['timestamp'] }));
    expect(o.problems).toEqual([['integrity', 'TUF_ROLE_UNDEFINED']]);
    expect(o.verdict).toMatchObject({ status: 'invalid', code: 'TUF_ROLE_UNDEFINED' });
  });

  it('snapshot.json missing: TUF_INCOMPLETE, untrusted', () => {
    const o = outcome(repository({ omit: 'snapshot' }));
    expect(o.problems).toEqual([['trust', 'TUF_INCOMPLETE']]);
    expect(o.verdict).toMatchObject({ status: 'untrusted', code: 'TUF_INCOMPLETE' });
  });

  it('snapshot does not list targets: TUF_NOT_IN_SNAPSHOT, invalid', () => {
    const o = outcome(repository({ snapshotMeta: (m) => delete m['targets'] }));
    expect(o.problems).toEqual([['integrity', 'TUF_NOT_IN_SNAPSHOT']]);
    expect(o.verdict).toMatchObject({ status: 'invalid', code: 'TUF_NOT_IN_SNAPSHOT' });
  });

  it('snapshot lists targets version 4, the file is version 3: TUF_VERSION_MISMATCH, invalid', () => {
    const o = outcome(repository({ snapshotMeta: (m) => (m['targets']!['version'] = 4) }));
    expect(o.problems).toEqual([['integrity', 'TUF_VERSION_MISMATCH']]);
    expect(o.verdict).toMatchObject({ status: 'invalid', code: 'TUF_VERSION_MISMATCH' });
  });

  it('a notary delegation not named under its parent: TUF_DELEGATION_NAME, invalid', () => {
    const o = outcome(repository({ delegated: { releases: { targets: {} } } }), 'releases');
    expect(o.problems).toEqual([['integrity', 'TUF_DELEGATION_NAME']]);
    expect(o.verdict).toMatchObject({ status: 'invalid', code: 'TUF_DELEGATION_NAME' });
  });

  it('a delegated role listing a target outside its paths: TUF_OUTSIDE_PATHS warning, still verified', () => {
    const d = { targets: { 'app/x': meta(enc('x')), 'other/y': meta(enc('y')) }, paths: ['app/'] };
    const o = outcome(repository({ delegated: { 'targets/releases': d } }), 'targets/releases');
    expect(o.problems).toEqual([['warning', 'TUF_OUTSIDE_PATHS']]);
    expect(o.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  });

  it('a role file nobody delegates: TUF_UNDECLARED_ROLE warning, still verified', () => {
    const o = outcome(repository({ delegated: { 'targets/stray': { targets: {}, declare: false } } }));
    expect(o.problems).toEqual([['warning', 'TUF_UNDECLARED_ROLE']]);
    expect(o.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  });

  it('snapshot lists another root.json: TUF_SNAPSHOT_ROOT warning, still verified', () => {
    const o = outcome(repository({ snapshotMeta: (m) => (m['root'] = meta(enc('a newer root'))) }));
    expect(o.problems).toEqual([['warning', 'TUF_SNAPSHOT_ROOT']]);
    expect(o.verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  });

  it('a pinned root.json that does not parse: TUF_PIN_UNREADABLE, untrusted', () => {
    const r = repository();
    const o = outcome(r, 'targets', { roots: [{ path: 'pinned.json', bytes: enc({ not: 'tuf' }) }] });
    expect(o.problems).toEqual([
      ['trust', 'TUF_PIN_UNREADABLE'],
      ['trust', 'TUF_ROOT_NOT_PINNED'],
    ]);
    expect(o.verdict).toMatchObject({ status: 'untrusted', code: 'TUF_PIN_UNREADABLE' });
  });

  it('a pinned root of a higher version than the fetched one: TUF_ROLLBACK, invalid', () => {
    const r = repository();
    const newer = repository({ root: (b) => (b['version'] = 2) });
    const o = outcome(r, 'targets', { roots: [{ path: 'pinned.json', bytes: newer.root }] });
    expect(o.problems).toEqual([
      ['integrity', 'TUF_ROLLBACK'],
      ['trust', 'TUF_ROOT_NOT_PINNED'],
    ]);
    expect(o.verdict).toMatchObject({ status: 'invalid', code: 'TUF_ROLLBACK' });
  });
});
