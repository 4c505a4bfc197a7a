/**
 * signedIdentity matching (src/trust/policy/identity.ts) against containers/image: skopeo's decision on
 * a real registry image for each rule (skopeo-judge.ts), and the rows of containers/image's own tables
 * (signature/policy_reference_match_test.go @ df7e80d2) for what a registry test cannot reach: Docker Hub
 * normalisation, name-only references, invalid policy values.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { parseDockerReference } from '../../../src/formats/simple-signing/reference.js';
import { identityMatches, safeParse } from '../../../src/trust/policy/identity.js';
import type { SignedIdentity } from '../../../src/trust/policy/types.js';
import { generic, judgeAll, sigscanDecision, type Judged } from './skopeo-judge.js';

let J: Judged;
beforeAll(async () => {
  J = await judgeAll();
}, 300_000);

describe('signedIdentity on a registry image: sigscan decides as skopeo copy --policy does', () => {
  /** Case → skopeo's decision (recorded by the judge, asserted here so a changed skopeo shows). */
  const SKOPEO: Record<string, 'accept' | 'reject'> = {
    'default-tag-exact': 'accept',
    'default-tag-otherTag': 'reject',
    'default-tag-nameOnly': 'reject',
    'default-digest-otherTag': 'accept',
    // A signature naming no tag or digest is refused even for an image pulled by digest
    // (matchRepoDigestOrExactReferenceValues: reference.IsNameOnly(signature) → false).
    'default-digest-nameOnly': 'reject',
    'matchRepoDigestOrExact-digest-nameOnly': 'reject',
    'default-digest-otherRepo': 'reject',
    'matchExact-tag': 'accept',
    'matchExact-tag-otherTag': 'reject',
    'matchExact-digest': 'reject',
    'matchRepository-otherTag': 'accept',
    'matchRepository-otherRepo': 'reject',
    'exactReference-v2': 'accept',
    'exactReference-v2-sig-v1': 'reject',
    'exactRepository-other': 'accept',
    'exactRepository-other-sig-app': 'reject',
    'remap-namespace': 'accept',
    'remap-host': 'accept',
    'remap-whole-name': 'accept',
    'remap-partial-component': 'reject',
    'remap-not-applying': 'accept',
    'remap-digest': 'accept',
    'remap-digest-nameOnly': 'reject',
    'remap-to-hub': 'accept',
  };
  for (const [name, expected] of Object.entries(SKOPEO)) {
    it(`${name}: ${expected}`, async () => {
      expect(J.skopeo[name]).toBe(expected);
      const d = generic(J, await sigscanDecision(J, name));
      expect(d.decision, d.reason).toBe(expected);
      expect(d.scope).toBe('docker:HOST/ns/app');
      if (expected === 'reject') expect(d.reason).toMatch(/^no signature satisfies it: signature is for "/);
    });
  }

  it('names what was signed when it accepts, and what did not match when it rejects', async () => {
    expect(generic(J, await sigscanDecision(J, 'remap-to-hub')).reason).toMatch(
      /^signed by "policy-judge <policy-judge@sigscan\.test>" \([0-9A-F]{40}\) for "docker\.io\/library\/app:v1"$/,
    );
    expect(generic(J, await sigscanDecision(J, 'matchExact-digest')).reason).toBe(
      'no signature satisfies it: signature is for "HOST/ns/app:v1", which does not match the image',
    );
  });
});

describe('identityMatches: rows of containers/image policy_reference_match_test.go', () => {
  const r = parseDockerReference;
  const D = `@sha256:${'a'.repeat(64)}`;
  const D2 = `@sha256:${'b'.repeat(64)}`;
  const m = (id: SignedIdentity | undefined, image: string, signed: string) =>
    identityMatches(id, r(image), r(signed));

  it('matchExact: both must carry a tag or digest and be equal after normalisation', () => {
    const exact: SignedIdentity = { type: 'matchExact' };
    expect(m(exact, 'busybox:latest', 'docker.io/library/busybox:latest')).toBe(true);
    expect(m(exact, `busybox${D}`, `busybox${D}`)).toBe(true);
    expect(m(exact, `busybox:latest${D}`, `busybox:latest${D}`)).toBe(true);
    expect(m(exact, 'busybox:latest', 'busybox:notlatest')).toBe(false);
    expect(m(exact, `busybox${D}`, `busybox${D2}`)).toBe(false);
    expect(m(exact, `busybox:latest${D}`, 'busybox:latest')).toBe(false);
    // {"busybox", "busybox", false}: a name-only image matches nothing, not even itself.
    expect(m(exact, 'busybox', 'busybox')).toBe(false);
  });

  it('matchRepoDigestOrExact (the default): tag → exact, digest → same repository, name-only → never', () => {
    expect(m(undefined, 'library/busybox:latest', 'busybox:latest')).toBe(true);
    expect(m(undefined, `busybox${D}`, 'busybox:latest')).toBe(true);
    expect(m(undefined, `busybox${D}`, `busybox${D2}`)).toBe(true);
    expect(m(undefined, `busybox${D}`, `notbusybox${D}`)).toBe(false);
    expect(m(undefined, 'busybox:latest', `busybox${D}`)).toBe(false);
    expect(m(undefined, `busybox:latest${D}`, 'busybox:latest')).toBe(false);
    expect(m(undefined, 'busybox', 'busybox:latest')).toBe(false);
    expect(m(undefined, 'busybox', `busybox${D}`)).toBe(false);
    expect(m(undefined, 'busybox:latest', 'busybox')).toBe(false);
    expect(m(undefined, `busybox${D}`, 'busybox')).toBe(false);
    expect(m({ type: 'matchRepoDigestOrExact' }, `busybox${D}`, 'busybox')).toBe(false);
  });

  it('matchRepository compares names only', () => {
    const repo: SignedIdentity = { type: 'matchRepository' };
    expect(m(repo, 'busybox', 'busybox:notlatest')).toBe(true);
    expect(m(repo, `busybox:latest${D}`, `busybox:latest${D2}`)).toBe(true);
    expect(m(repo, 'hostname/library/busybox:latest', 'busybox:notlatest')).toBe(false);
  });

  it('exactReference: the policy value must be valid and carry a tag or digest', () => {
    const ref = (dockerReference: string): SignedIdentity => ({ type: 'exactReference', dockerReference });
    expect(m(ref('library/busybox:latest'), 'other.io/x:1', 'busybox:latest')).toBe(true);
    expect(m(ref(`busybox${D}`), 'other.io/x:1', `docker.io/library/busybox${D}`)).toBe(true);
    expect(m(ref('busybox:latest'), 'busybox:latest', 'busybox:notlatest')).toBe(false);
    expect(m(ref('busybox'), 'busybox', 'busybox')).toBe(false);
    expect(m(ref('INVALID'), 'busybox:latest', 'busybox:latest')).toBe(false);
  });

  it('exactRepository: the policy value must be valid; tags are ignored', () => {
    const repo = (dockerRepository: string): SignedIdentity => ({
      type: 'exactRepository',
      dockerRepository,
    });
    expect(m(repo('busybox'), 'other.io/x:1', 'busybox:latest')).toBe(true);
    expect(m(repo('busybox'), 'busybox:latest', 'notbusybox:latest')).toBe(false);
    expect(m(repo('UPPERCASE_IS_INVALID'), 'busybox:latest', 'busybox:latest')).toBe(false);
  });

  it('remapIdentity: whole components only, tag or digest kept, invalid results never match', () => {
    const remap = (prefix: string, signedPrefix: string): SignedIdentity => ({
      type: 'remapIdentity',
      prefix,
      signedPrefix,
    });
    expect(m(remap('docker.io/library', 'original.com'), 'copied:latest', 'original.com/copied:latest')).toBe(
      true,
    );
    expect(
      m(remap('docker.io/library', 'original.com'), 'copied:latest', 'original.com/ns/copied:latest'),
    ).toBe(false);
    expect(
      m(remap('mirror.example', 'vendor.example'), `mirror.example/image${D}`, 'vendor.example/image:x'),
    ).toBe(true);
    // "Rewrite creating an invalid reference": vendor.example:5000:tag.
    expect(
      m(
        remap('mirror.example/ns/image', 'vendor.example:5000'),
        'mirror.example/ns/image:tag',
        'vendor.example:5000/x:tag',
      ),
    ).toBe(false);
    // A name-only image stays name-only after the rewrite, and matchRepoDigestOrExact refuses it.
    expect(
      m(
        remap('mirror.example', 'vendor.example'),
        'mirror.example/busybox',
        'vendor.example/busybox:undefined',
      ),
    ).toBe(false);
  });

  it('safeParse: a reference, or undefined for an invalid one', () => {
    expect(safeParse('busybox:1')).toEqual({ domain: 'docker.io', path: 'library/busybox', tag: '1' });
    expect(safeParse('Not A Reference')).toBeUndefined();
  });
});
