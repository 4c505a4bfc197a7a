import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  canonicalJson,
  parseTufRepository,
  type TufRepositoryFiles,
} from '../../../src/formats/tuf/index.js';
import { problemsFor, verifyTufChain } from '../../../src/trust/tuf/index.js';
import { tufVerdict } from '../../../src/trust/families/tuf.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const NOW = new Date('2026-11-21T00:00:00Z');
const enc = (v: unknown): Uint8Array => new Uint8Array(Buffer.from(JSON.stringify(v)));

interface Key {
  id: string;
  pub: Record<string, unknown>;
  priv: KeyObject;
}

function ed25519(): Key {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const pub = { keytype: 'ed25519', keyval: { private: null, public: raw.toString('base64') } };
  return { id: createHash('sha256').update(canonicalJson(pub)).digest('hex'), pub, priv: privateKey };
}

function signed(body: Record<string, unknown>, keys: Key[]): Uint8Array {
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

function meta(bytes: Uint8Array): { hashes: { sha256: string }; length: number } {
  return {
    hashes: { sha256: createHash('sha256').update(bytes).digest('base64') },
    length: bytes.byteLength,
  };
}

/** A small notary-flavour repository signed with fresh ed25519 keys. */
function makeRepo(
  opts: {
    targetsThreshold?: number;
    targetsSigners?: 'one' | 'dup' | 'both';
    timestampExpires?: string;
  } = {},
) {
  const [root, targets, targets2, snapshot, timestamp] = [
    ed25519(),
    ed25519(),
    ed25519(),
    ed25519(),
    ed25519(),
  ];
  const exp = '2030-01-01T00:00:00.123456789-05:00';
  const rootBytes = signed(
    {
      _type: 'Root',
      consistent_snapshot: false,
      expires: exp,
      version: 1,
      keys: Object.fromEntries([root, targets, targets2, snapshot, timestamp].map((k) => [k.id, k.pub])),
      roles: {
        root: { keyids: [root.id], threshold: 1 },
        targets: { keyids: [targets.id, targets2.id], threshold: opts.targetsThreshold ?? 1 },
        snapshot: { keyids: [snapshot.id], threshold: 1 },
        timestamp: { keyids: [timestamp.id], threshold: 1 },
      },
    },
    [root],
  );
  const signers =
    opts.targetsSigners === 'dup'
      ? [targets, targets]
      : opts.targetsSigners === 'both'
        ? [targets, targets2]
        : [targets];
  const targetsBytes = signed(
    {
      _type: 'Targets',
      delegations: { keys: {}, roles: [] },
      expires: exp,
      version: 3,
      targets: { latest: { hashes: { sha256: Buffer.alloc(32, 1).toString('base64') }, length: 10 } },
    },
    signers,
  );
  const snapshotBytes = signed(
    {
      _type: 'Snapshot',
      expires: exp,
      version: 2,
      meta: { root: meta(rootBytes), targets: meta(targetsBytes) },
    },
    [snapshot],
  );
  const timestampBytes = signed(
    {
      _type: 'Timestamp',
      expires: opts.timestampExpires ?? exp,
      version: 2,
      meta: { snapshot: meta(snapshotBytes) },
    },
    [timestamp],
  );
  return {
    files: {
      root: rootBytes,
      targets: targetsBytes,
      snapshot: snapshotBytes,
      timestamp: timestampBytes,
    } as TufRepositoryFiles,
    rootKey: root,
  };
}

function verdict(files: TufRepositoryFiles, pinKey?: KeyObject) {
  const repo = parseTufRepository(files);
  const report = verifyTufChain(repo, { now: NOW, pin: pinKey ? { keys: [pinKey] } : undefined });
  return { report, verdict: tufVerdict(report, problemsFor(report, repo, 'targets'), 'targets') };
}

function pubOf(k: Key): KeyObject {
  const raw = Buffer.from((k.pub['keyval'] as { public: string }).public, 'base64');
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
}

describe('TUF chain verification', () => {
  it('verifies a well-formed repository when the root key is pinned', () => {
    const { files, rootKey } = makeRepo();
    const { verdict: v, report } = verdict(files, pubOf(rootKey));
    expect(report.problems).toEqual([]);
    expect(v).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  });

  it('is unverified without a pin, and says the chain is consistent', () => {
    const { files } = makeRepo();
    const { verdict: v } = verdict(files);
    expect(v.status).toBe('unverified');
    expect(v.message).toContain('internally consistent');
  });

  it('rejects a tampered signature', () => {
    const { files, rootKey } = makeRepo();
    const doc = JSON.parse(Buffer.from(files.targets!).toString()) as { signatures: Array<{ sig: string }> };
    const sig = Buffer.from(doc.signatures[0]!.sig, 'base64');
    sig[5] = sig[5]! ^ 1;
    doc.signatures[0]!.sig = sig.toString('base64');
    const { verdict: v, report } = verdict({ ...files, targets: enc(doc) }, pubOf(rootKey));
    expect(v.status).toBe('invalid');
    expect(report.problems.map((p) => p.code)).toEqual(
      expect.arrayContaining(['TUF_THRESHOLD', 'TUF_HASH_MISMATCH']),
    );
  });

  it('a threshold of 2 is not met by one key signing twice, and is met by two keys', () => {
    const dup = makeRepo({ targetsThreshold: 2, targetsSigners: 'dup' });
    const r1 = verdict(dup.files, pubOf(dup.rootKey));
    expect(r1.verdict).toMatchObject({ status: 'invalid', code: 'TUF_THRESHOLD' });
    expect(r1.report.roles.get('targets')!.signatures.checks.map((c) => c.status)).toEqual([
      'valid',
      'duplicate',
    ]);
    const both = makeRepo({ targetsThreshold: 2, targetsSigners: 'both' });
    expect(verdict(both.files, pubOf(both.rootKey)).verdict.status).toBe('verified');
  });

  it('expired timestamp is stale trust data (untrusted), not an invalid signature', () => {
    const { files, rootKey } = makeRepo({ timestampExpires: '2026-01-01T00:00:00Z' });
    const { verdict: v } = verdict(files, pubOf(rootKey));
    expect(v).toMatchObject({ status: 'untrusted', code: 'TUF_METADATA_EXPIRED' });
  });

  it('a snapshot that does not match the timestamp hash is invalid even though its signature is fine', () => {
    const { files, rootKey } = makeRepo();
    // Re-indented: same canonical form (signature still valid), different bytes.
    const snap = enc(JSON.parse(Buffer.from(files.snapshot!).toString()));
    const pretty = new Uint8Array(
      Buffer.from(JSON.stringify(JSON.parse(Buffer.from(snap).toString()), null, 1)),
    );
    const { verdict: v, report } = verdict({ ...files, snapshot: pretty }, pubOf(rootKey));
    expect(report.roles.get('snapshot')!.signatures.met).toBe(true);
    expect(v).toMatchObject({ status: 'invalid', code: 'TUF_HASH_MISMATCH' });
  });

  it('rejects DER-encoded ECDSA signatures for notary (raw r||s only)', () => {
    const raw = readFileSync(join(CORPUS_DIR, 'notary-v1-tuf/notary/notary0.1/timestamp.json'));
    const doc = JSON.parse(raw.toString()) as { signatures: Array<{ sig: string }> };
    const rs = Buffer.from(doc.signatures[0]!.sig, 'base64');
    expect(rs).toHaveLength(64);
    const int = (b: Buffer): Buffer => {
      let x = b;
      while (x.length > 1 && x[0] === 0) x = x.subarray(1);
      return x[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), x]) : x;
    };
    const r = int(rs.subarray(0, 32));
    const s = int(rs.subarray(32));
    const der = Buffer.concat([
      Buffer.from([0x30, r.length + s.length + 4, 2, r.length]),
      r,
      Buffer.from([2, s.length]),
      s,
    ]);
    doc.signatures[0]!.sig = der.toString('base64');
    const base = join(CORPUS_DIR, 'notary-v1-tuf/notary/notary0.1');
    const files: TufRepositoryFiles = {
      root: new Uint8Array(readFileSync(join(base, 'root.json'))),
      timestamp: enc(doc),
    };
    const report = verifyTufChain(parseTufRepository(files), { now: NOW });
    expect(report.roles.get('timestamp')!.signatures.checks[0]!.detail).toMatch(/raw r\|\|s/);
  });
});

/**
 * A notary v1 root served for another repository (issue #18): notary's root keys are x509 certificates
 * whose CN must be the GUN (notary trustpinning/certs.go `validRootLeafCerts`), so the notary0.3 root
 * from the corpus, valid for docker.com/notary0.3/tst at a time its certificates were valid, is refused
 * when presented as the trust data of another GUN.
 */
describe('verifyTufChain: the root certificate CN names the GUN', () => {
  const dir = join(CORPUS_DIR, 'notary-v1-tuf', 'notary', 'notary0.3');
  const repo = () => parseTufRepository({ root: new Uint8Array(readFileSync(join(dir, 'root.json'))) });
  const THEN = new Date('2020-01-01T00:00:00Z');

  it('for its own GUN: no root problem (the control)', () => {
    const report = verifyTufChain(repo(), { now: THEN, gun: 'docker.com/notary0.3/tst' });
    expect(report.problems.filter((p) => p.role === 'root' && p.severity !== 'warning')).toEqual([]);
  });

  it('for another GUN: TUF_ROOT_CN_MISMATCH, and the root threshold is not met', () => {
    const report = verifyTufChain(repo(), { now: THEN, gun: 'docker.com/other/app' });
    const root = report.problems.filter((p) => p.role === 'root' && p.severity !== 'warning');
    expect(root).toHaveLength(2);
    expect([root[0]!.code, root[0]!.message]).toEqual([
      'TUF_ROOT_CN_MISMATCH',
      'root key certificate CN "docker.com/notary0.3/tst" does not name the GUN docker.com/other/app',
    ]);
    // The threshold problem that follows is coded TUF_ROOT_CERT_EXPIRED whatever made the certificates
    // unusable (a naming question for src/trust/tuf/chain.ts, reported, not pinned here).
    expect(root[1]!.message).toBe('only 0 root signature(s) come from usable root certificates, threshold 1');
  });
});
