import { describe, expect, it } from 'vitest';

import { GlobSet, pathFilter } from '../../src/util/glob.js';

describe('globs', () => {
  it('matches segments, ** and alternatives', () => {
    const g = new GlobSet(['team/*', 'apps/**/web', 'v{1,2}.*']);
    expect(g.matches('team/app')).toBe(true);
    expect(g.matches('team/app/sub')).toBe(false);
    expect(g.matches('apps/a/b/web')).toBe(true);
    expect(g.matches('apps/web')).toBe(true);
    expect(g.matches('v1.0')).toBe(true);
    expect(g.matches('v3.0')).toBe(false);
  });

  it('includes then excludes, patterns without a slash matching the file name', () => {
    const keep = pathFilter(['*.jar'], ['**/test/**']);
    expect(keep('lib/a.jar')).toBe(true);
    expect(keep('lib/test/a.jar')).toBe(false);
    expect(keep('lib/a.exe')).toBe(false);
  });
});
