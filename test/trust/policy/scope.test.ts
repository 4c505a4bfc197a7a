/**
 * docker scopes, most specific first (src/trust/policy/scope.ts): the scope skopeo copy --policy applies
 * to a real registry image (skopeo-judge.ts) beside the one sigscan reports, and the Docker Hub and
 * index-child names a local registry cannot have (containers/image docker/policyconfiguration/naming.go).
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { dockerScopes, requirementsFor, type ContainersPolicy } from '../../../src/trust/policy/index.js';
import { generic, judgeAll, sigscanDecision, type Judged } from './skopeo-judge.js';

let J: Judged;
beforeAll(async () => {
  J = await judgeAll();
}, 300_000);

describe('the scope that decides, beside skopeo copy --policy', () => {
  /** Case → [skopeo's decision, the scope sigscan must report]. */
  const CASES: Record<string, ['accept' | 'reject', string]> = {
    'scope-tag-over-repo': ['reject', 'docker:HOST/ns/app:v1'],
    'scope-digest-skips-tag': ['accept', 'docker:HOST/ns/app'],
    'scope-digest': ['reject', 'docker:HOST/ns/app@DIGEST'],
    'scope-repo-over-namespace': ['accept', 'docker:HOST/ns/app'],
    'scope-namespace': ['reject', 'docker:HOST/ns'],
    'scope-host': ['reject', 'docker:HOST'],
    // The host scope keeps the port; only wildcards are built from the port-less host.
    'scope-host-needs-port': ['accept', 'default'],
    'scope-wildcard': ['reject', 'docker:*.0.1'],
    'scope-host-over-wildcard': ['accept', 'docker:HOST'],
    'scope-transport-default': ['reject', 'docker:""'],
    'scope-other-repo': ['accept', 'default'],
  };
  for (const [name, [skopeo, scope]] of Object.entries(CASES)) {
    it(`${name}: ${skopeo} by ${scope}`, async () => {
      expect(J.skopeo[name], J.why[name]).toBe(skopeo);
      const d = generic(J, await sigscanDecision(J, name));
      expect([d.decision, d.scope]).toEqual([skopeo, scope]);
      expect(d.requirement).toBe(skopeo === 'accept' ? 'insecureAcceptAnything' : 'reject');
    });
  }
});

describe('dockerScopes', () => {
  const D = `sha256:${'c'.repeat(64)}`;

  it('Docker Hub: index.docker.io is docker.io, and a one-component name is under library/', () => {
    expect(
      dockerScopes({ registry: 'index.docker.io', repository: 'busybox', tag: 'latest', digest: D }),
    ).toEqual([
      'docker.io/library/busybox:latest',
      'docker.io/library/busybox',
      'docker.io/library',
      'docker.io',
      '*.io',
    ]);
    expect(dockerScopes({ registry: 'docker.io', repository: 'ns/app', digest: D })).toEqual([
      `docker.io/ns/app@${D}`,
      'docker.io/ns/app',
      'docker.io/ns',
      'docker.io',
      '*.io',
    ]);
  });

  it('only Docker Hub adds library/', () => {
    expect(dockerScopes({ registry: 'quay.io', repository: 'app', tag: 'v1', digest: D })).toEqual([
      'quay.io/app:v1',
      'quay.io/app',
      'quay.io',
      '*.io',
    ]);
  });

  it('a platform child of an index is named by its digest: its tag names the index', () => {
    expect(
      dockerScopes({
        registry: 'quay.io',
        repository: 'app',
        tag: 'v1',
        digest: D,
        platform: 'linux/arm64',
      })[0],
    ).toBe(`quay.io/app@${D}`);
  });

  it('requirementsFor: the global default when the docker transport has no scope for the image', () => {
    const policy: ContainersPolicy = {
      default: [{ type: 'reject' }],
      transports: { docker: { 'quay.io/other': [{ type: 'insecureAcceptAnything' }] } },
    };
    expect(requirementsFor(policy, { registry: 'quay.io', repository: 'app', digest: D })).toEqual({
      scope: 'default',
      requirements: [{ type: 'reject' }],
    });
  });
});
