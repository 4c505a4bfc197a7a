import { describe, expect, it } from 'vitest';

import { imageScopes, normalizeImageRef, parseImageList } from '../../src/sources/image-list.js';

describe('image lists', () => {
  it('follows Docker reference rules', () => {
    expect(normalizeImageRef('nginx')).toEqual({
      registry: 'docker.io',
      repository: 'library/nginx',
      tag: 'latest',
    });
    expect(normalizeImageRef('bitnami/redis:7')).toEqual({
      registry: 'docker.io',
      repository: 'bitnami/redis',
      tag: '7',
    });
    expect(normalizeImageRef('localhost:5000/a/b@sha256:' + 'a'.repeat(64))).toMatchObject({
      registry: 'localhost:5000',
      repository: 'a/b',
      digest: `sha256:${'a'.repeat(64)}`,
    });
    expect(normalizeImageRef('ghcr.io/org/app')).toEqual({
      registry: 'ghcr.io',
      repository: 'org/app',
      tag: 'latest',
    });
  });

  it('reads every container kind from kubectl JSON, and plain lists with comments', () => {
    const pods = {
      items: [
        {
          spec: {
            initContainers: [{ image: 'busybox:1.36' }],
            containers: [{ image: 'ghcr.io/org/app:1.2' }, { image: 'nginx' }],
            ephemeralContainers: [{ image: 'debug/tools:latest' }],
          },
        },
        { spec: { template: { spec: { containers: [{ image: 'ghcr.io/org/app:1.2' }] } } } },
      ],
    };
    expect(parseImageList(JSON.stringify(pods))).toEqual([
      'ghcr.io/org/app:1.2',
      'nginx',
      'busybox:1.36',
      'debug/tools:latest',
      'ghcr.io/org/app:1.2',
    ]);
    expect(imageScopes(parseImageList(JSON.stringify(pods)))).toHaveLength(4);
    expect(parseImageList('# prod\nnginx:1\n\n  redis # cache\n')).toEqual(['nginx:1', 'redis']);
  });
});
