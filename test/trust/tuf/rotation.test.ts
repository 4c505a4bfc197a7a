import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { parseTufRepository, type TufRepositoryFiles } from '../../../src/formats/tuf/index.js';
import { parseTufMetadata } from '../../../src/formats/tuf/metadata.js';
import { tufVerdict } from '../../../src/trust/families/tuf.js';
import { problemsFor, verifyTufChain } from '../../../src/trust/tuf/index.js';
import { walkRootRotation } from '../../../src/trust/tuf/chain.js';

/** Root rotation (TUF 5.3, notary updateRootVersions) on files the real notary client and server made. */
const DIR = join(import.meta.dirname, 'rotation');
const GUN = 'example.test/rot/app';
const file = (p: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, p)));
const json = (p: string) =>
  JSON.parse(Buffer.from(file(p)).toString('utf8')) as {
    signed: { roles: Record<string, { keyids: string[] }>; expires: string };
    signatures: Array<{ keyid: string }>;
  };
/** A week before the fixture's timestamp expires: every role and certificate is valid then. */
const NOW = new Date(Date.parse(json('v3/timestamp.json').signed.expires) - 7 * 86_400_000);

const rootKey = (p: string): string => json(p).signed.roles['root']!.keyids[0]!;
const K1 = rootKey('v3/1.root.json');
const K2 = rootKey('v3/2.root.json');
const K3 = rootKey('v3/root.json');

function files(era: 'v1' | 'v3', previousRoots?: Record<number, Uint8Array>): TufRepositoryFiles {
  const f: TufRepositoryFiles = {
    root: file(`${era}/root.json`),
    timestamp: file(`${era}/timestamp.json`),
    snapshot: file(`${era}/snapshot.json`),
    targets: file(`${era}/targets.json`),
  };
  if (previousRoots) f.previousRoots = previousRoots;
  return f;
}
const served = () => ({ 1: file('v3/1.root.json'), 2: file('v3/2.root.json') });

/** The root file without the signatures of `drop` (byte surgery: signatures are outside `signed`). */
function without(p: string, drop: string): Uint8Array {
  const doc = json(p);
  doc.signatures = doc.signatures.filter((s) => s.keyid !== drop);
  return new Uint8Array(Buffer.from(JSON.stringify(doc)));
}

function decide(f: TufRepositoryFiles, pinned: Uint8Array) {
  const repo = parseTufRepository(f);
  const report = verifyTufChain(repo, {
    now: NOW,
    gun: GUN,
    pin: { roots: [{ path: 'pinned.json', bytes: pinned }] },
  });
  return { report, verdict: tufVerdict(report, problemsFor(report, repo, 'targets'), 'targets') };
}

describe('TUF root rotation from a pinned older root (notary fixtures)', () => {
  it('the fixtures are what the README says: root 3 is not signed by the version 1 key', () => {
    expect(
      json('v3/2.root.json')
        .signatures.map((s) => s.keyid)
        .sort(),
    ).toEqual([K1, K2].sort());
    expect(
      json('v3/root.json')
        .signatures.map((s) => s.keyid)
        .sort(),
    ).toEqual([K2, K3].sort());
    expect(new Set([K1, K2, K3]).size).toBe(3);
  });

  it('walks 1 → 2 → 3 with the versions the server keeps, and verifies the chain', () => {
    const { report, verdict } = decide(files('v3', served()), file('v1/root.json'));
    expect(report.pin).toMatchObject({ kind: 'root', matched: true });
    expect(report.pin.message).toBe(
      "root rotated from the pinned pinned.json (version 1) to version 3, each version signed by a threshold of the previous root's keys and of its own",
    );
    expect(report.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
    expect(verdict).toMatchObject({ status: 'verified', code: 'TUF_CHAIN_VERIFIED' });
  });

  it('needs no walk when the previous root signed the new one (pinned version 2)', () => {
    const { report, verdict } = decide(files('v3'), file('v3/2.root.json'));
    expect(report.pin.message).toBe(
      'root version 3 is signed by the threshold of the pinned pinned.json (version 2)',
    );
    expect(verdict.status).toBe('verified');
  });

  it('is untrusted when an intermediate root is not served', () => {
    const { verdict } = decide(files('v3', { 1: file('v3/1.root.json') }), file('v1/root.json'));
    expect(verdict).toMatchObject({ status: 'untrusted', code: 'TUF_ROOT_ROTATION_GAP' });
    expect(verdict.message).toContain(
      'root rotation from the pinned pinned.json: root version 2 (between the pinned version 1 and 3) is not available',
    );
  });

  it('refuses a forged rotation: root 2 signed only by its new key', () => {
    const forged = { 1: file('v3/1.root.json'), 2: without('v3/2.root.json', K1) };
    const { verdict } = decide(files('v3', forged), file('v1/root.json'));
    expect(verdict).toMatchObject({ status: 'untrusted', code: 'TUF_ROOT_ROTATION_UNSIGNED' });
    expect(verdict.message).toContain(
      'root version 2 is not signed by a threshold (1) of the keys of root version 1',
    );
  });

  it('refuses a root the previous keys sign but its own keys do not', () => {
    const forged = { 2: without('v3/2.root.json', K2) };
    const { verdict } = decide(files('v3', forged), file('v1/root.json'));
    expect(verdict).toMatchObject({ status: 'untrusted', code: 'TUF_ROOT_ROTATION_UNSIGNED' });
    expect(verdict.message).toContain('root version 2 is not signed by a threshold (1) of its own root keys');
  });

  it('refuses a final root that only its new key signs', () => {
    const f = files('v3', served());
    f.root = without('v3/root.json', K2);
    const { verdict } = decide(f, file('v1/root.json'));
    expect(verdict).toMatchObject({ status: 'untrusted', code: 'TUF_ROOT_ROTATION_UNSIGNED' });
    expect(verdict.message).toContain(
      'root version 3 is not signed by a threshold (1) of the keys of root version 2',
    );
  });

  it('refuses a file served under another version number, or not a root, or unreadable', () => {
    for (const [bytes, text] of [
      [file('v3/1.root.json'), 'the file served as root version 2 is root version 1'],
      [file('v3/timestamp.json'), 'the file served as root version 2 is timestamp version'],
      [new Uint8Array(Buffer.from('{')), 'root version 2 is unreadable'],
    ] as const) {
      const { verdict } = decide(files('v3', { 1: file('v3/1.root.json'), 2: bytes }), file('v1/root.json'));
      expect(verdict.code, text).toBe('TUF_ROOT_ROTATION_GAP');
      expect(verdict.message).toContain(text);
    }
  });

  it('does not walk from a pinned root of the same version with other content', () => {
    const doc = json('v3/1.root.json') as unknown as { signed: { version: number } };
    doc.signed.version = 3;
    const { report, verdict } = decide(
      files('v3', served()),
      new Uint8Array(Buffer.from(JSON.stringify(doc))),
    );
    expect(report.pin.matched).toBe(false);
    expect(verdict).toMatchObject({ status: 'untrusted', code: 'TUF_ROOT_NOT_PINNED' });
  });

  it('reports a rollback to an older root than the pinned one', () => {
    const { verdict } = decide(files('v1'), file('v3/root.json'));
    expect(verdict).toMatchObject({ status: 'invalid', code: 'TUF_ROLLBACK' });
    expect(verdict.message).toBe('root version 1 is older than the pinned pinned.json (version 3)');
  });
});

describe('walkRootRotation', () => {
  const md = (p: string) => parseTufMetadata(file(p));
  it('accepts a walk of zero steps and one step', () => {
    expect(walkRootRotation(md('v3/root.json'), md('v3/root.json'), new Map())).toEqual({ ok: true });
    expect(walkRootRotation(md('v3/2.root.json'), md('v3/root.json'), new Map())).toEqual({ ok: true });
  });
  it('refuses a pinned root without a usable root role', () => {
    const pinned = md('v3/1.root.json');
    pinned.root!.roles['root'] = { keyids: [K1], threshold: 0 };
    const walk = walkRootRotation(pinned, md('v3/2.root.json'), new Map());
    expect(walk).toMatchObject({ ok: false, code: 'TUF_ROOT_ROTATION_UNSIGNED' });
  });
});
