import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  dockerScopes,
  evaluatePolicy,
  identityMatches,
  parsePolicy,
  readPolicyFile,
  requirementsFor,
  type ContainersPolicy,
} from '../../../src/trust/policy/index.js';
import { parseDockerReference } from '../../../src/formats/simple-signing/reference.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';

const DIR = join(CORPUS_DIR, 'simple-signing', 'containers-image');
const DIGEST = `sha256:${createHash('sha256')
  .update(readFileSync(join(DIR, 'image.manifest.json')))
  .digest('hex')}`;
const now = new Date('2026-11-21T00:00:00Z');
const sig = (name: string): Uint8Array => new Uint8Array(readFileSync(join(DIR, name)));
const img = (registry: string, repository: string, tag?: string) => ({
  registry,
  repository,
  tag,
  digest: DIGEST,
});

describe('containers policy.json parsing and scopes (formats.md §4.7)', () => {
  it('reads the containers/image fixture policy and picks the most specific scope', async () => {
    const p = await readPolicyFile(join(DIR, 'policy.json'));
    const scope = (registry: string, repository: string) =>
      requirementsFor(p, img(registry, repository, 'latest')).scope;
    expect(scope('example.com', 'playground/app')).toBe('docker:example.com/playground');
    expect(scope('registry.access.redhat.com', 'rhel7/rhel')).toBe('docker:registry.access.redhat.com');
    expect(scope('foo.access.redhat.com', 'x')).toBe('docker:*.access.redhat.com');
    expect(scope('bar.redhat.com', 'x')).toBe('docker:*.redhat.com');
    expect(scope('private-mirror:5000', 'vendor-mirror/app')).toBe(
      'docker:private-mirror:5000/vendor-mirror',
    );
    expect(scope('quay.io', 'x')).toBe('default');
    expect(dockerScopes(img('a.b.example.com:5000', 'ns/app', 'v1'))).toEqual([
      'a.b.example.com:5000/ns/app:v1',
      'a.b.example.com:5000/ns/app',
      'a.b.example.com:5000/ns',
      'a.b.example.com:5000',
      '*.b.example.com',
      '*.example.com',
      '*.com',
    ]);
  });

  it('is strict: unknown fields, duplicates, empty requirement lists, missing default', () => {
    expect(() => parsePolicy('{"default":[{"type":"reject"}],"extra":1}')).toThrow(/unknown field/);
    expect(() => parsePolicy('{"default":[{"type":"reject"}],"default":[{"type":"reject"}]}')).toThrow(
      /duplicate/,
    );
    expect(() => parsePolicy('{"default":[]}')).toThrow(/empty/);
    expect(() => parsePolicy('{"transports":{}}')).toThrow(/required/);
    expect(() => parsePolicy('{"default":[{"type":"signedBy","keyType":"GPGKeys"}]}')).toThrow(/exactly one/);
    expect(() => parsePolicy('{"default":[{"type":"reject","keyPath":"/x"}]}')).toThrow(/unknown field/);
    expect(() =>
      parsePolicy('{"default":[{"type":"sigstoreSigned","keyPath":"/a","keyData":"AA=="}]}'),
    ).toThrow(/exactly one/);
  });
});

describe('signedIdentity', () => {
  const r = parseDockerReference;
  it('implements each variant', () => {
    expect(
      identityMatches(undefined, r('docker.io/testing/manifest:latest'), r('testing/manifest:latest')),
    ).toBe(true);
    expect(identityMatches(undefined, r('docker.io/testing/manifest:v2'), r('testing/manifest:latest'))).toBe(
      false,
    );
    expect(identityMatches(undefined, r(`testing/manifest@${DIGEST}`), r('testing/manifest:whatever'))).toBe(
      true,
    );
    expect(
      identityMatches({ type: 'matchExact' }, r(`testing/manifest@${DIGEST}`), r('testing/manifest:x')),
    ).toBe(false);
    expect(
      identityMatches({ type: 'matchRepository' }, r('testing/manifest:v2'), r('testing/manifest:latest')),
    ).toBe(true);
    expect(
      identityMatches(
        { type: 'exactReference', dockerReference: 'q.io/a:1' },
        r('other.io/b:2'),
        r('q.io/a:1'),
      ),
    ).toBe(true);
    expect(
      identityMatches({ type: 'exactRepository', dockerRepository: 'q.io/a' }, r('x.io/b:2'), r('q.io/a:7')),
    ).toBe(true);
    const remap = {
      type: 'remapIdentity' as const,
      prefix: 'private-mirror:5000/vendor-mirror',
      signedPrefix: 'vendor.example.com',
    };
    expect(
      identityMatches(remap, r('private-mirror:5000/vendor-mirror/app:1'), r('vendor.example.com/app:1')),
    ).toBe(true);
    expect(
      identityMatches(remap, r('private-mirror:5000/vendor-mirror/app:1'), r('vendor.example.com/app:2')),
    ).toBe(false);
  });
});

describe('evaluatePolicy with the corpus signatures', () => {
  const policy = (reqs: unknown[]): ContainersPolicy => ({
    ...parsePolicy(
      JSON.stringify({
        default: [{ type: 'reject' }],
        transports: { docker: { 'docker.io/testing': reqs } },
      }),
    ),
    path: join(DIR, 'policy.json'),
  });
  const image = img('docker.io', 'testing/manifest');
  const signedBy = (keyPath: string, extra: object = {}) => ({
    type: 'signedBy',
    keyType: 'GPGKeys',
    keyPath,
    ...extra,
  });

  // image.signature claims the name-only "testing/manifest": only matchRepository (or exactRepository)
  // accepts it; the default matchRepoDigestOrExact refuses a name-only claim, as containers/image does.
  const byRepo = { signedIdentity: { type: 'matchRepository' } };

  it('signedBy accepts a good signature (keyPath relative to the policy file) and names the key', async () => {
    const d = await evaluatePolicy(
      policy([signedBy('public-key.gpg', byRepo)]),
      image,
      [sig('image.signature')],
      { now },
    );
    expect(d).toMatchObject({ decision: 'accept', scope: 'docker:docker.io/testing' });
    expect(d.requirement).toBe('signedBy GPGKeys public-key.gpg matchRepository');
    const byDefault = await evaluatePolicy(
      policy([signedBy('public-key.gpg')]),
      image,
      [sig('image.signature')],
      {
        now,
      },
    );
    expect(byDefault.reason).toBe(
      'no signature satisfies it: signature is for "testing/manifest", which does not match the image',
    );
    expect(d.reason).toContain('08CD26E446E2E95249B7A405E932F44B23E8DD43');
  });

  it('one good signature among bad ones is enough; none is a rejection with reasons', async () => {
    const blobs = [sig('corrupt.signature'), sig('image.signature')];
    expect(
      (await evaluatePolicy(policy([signedBy('public-key.gpg', byRepo)]), image, blobs, { now })).decision,
    ).toBe('accept');
    const d = await evaluatePolicy(policy([signedBy('public-key.gpg')]), image, [sig('corrupt.signature')], {
      now,
    });
    expect(d.decision).toBe('reject');
    expect(d.reason).toMatch(/does not verify/);
    const none = await evaluatePolicy(policy([signedBy('public-key.gpg')]), image, [], { now });
    expect(none.reason).toMatch(/has none/);
  });

  it('every requirement must accept: the first rejecting one decides', async () => {
    const d = await evaluatePolicy(
      policy([{ type: 'insecureAcceptAnything' }, signedBy('public-key-2.gpg')]),
      image,
      [sig('image.signature')],
      { now },
    );
    expect(d).toMatchObject({ decision: 'reject', requirement: 'signedBy GPGKeys public-key-2.gpg' });
    expect(d.reason).toMatch(/not in the trusted keyrings/);
  });

  it('identity mismatch, reject, unsupported keyType and sigstoreSigned reject', async () => {
    const tagged = { ...image, tag: 'v9' };
    const id = await evaluatePolicy(
      policy([signedBy('public-key-with-subkey.gpg')]),
      tagged,
      [sig('subkey.signature')],
      {
        now,
      },
    );
    expect(id.decision).toBe('reject');
    expect(id.reason).toMatch(/does not match/);
    const repo = await evaluatePolicy(
      policy([signedBy('public-key-with-subkey.gpg', { signedIdentity: { type: 'matchRepository' } })]),
      tagged,
      [sig('subkey.signature')],
      { now },
    );
    expect(repo.decision).toBe('accept');
    expect((await evaluatePolicy(policy([{ type: 'reject' }]), image, [], { now })).requirement).toBe(
      'reject',
    );
    const x509 = await evaluatePolicy(
      policy([{ type: 'signedBy', keyType: 'X509Certificates', keyPath: '/nonexistent' }]),
      image,
      [sig('image.signature')],
      { now },
    );
    expect(x509.reason).toMatch(/not supported/);
    const sigstore = await evaluatePolicy(
      policy([{ type: 'sigstoreSigned', keyPath: '/k.pub' }]),
      image,
      [],
      { now },
    );
    expect(sigstore).toMatchObject({ decision: 'reject', requirement: 'sigstoreSigned' });
  });

  it('falls back to default when no scope matches', async () => {
    const d = await evaluatePolicy(policy([{ type: 'insecureAcceptAnything' }]), img('quay.io', 'x/y'), [], {
      now,
    });
    expect(d).toMatchObject({ decision: 'reject', scope: 'default', requirement: 'reject' });
  });
});
