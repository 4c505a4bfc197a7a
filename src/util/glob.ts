/**
 * Shell-style globs for --include/--exclude/--repos/--tags: `*` within a path segment, `**` across
 * segments, `?`, and `{a,b}`. A pattern without `/` matches the last segment only, as .gitignore does.
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end === -1) re += '\\{';
      else {
        re += `(?:${pattern
          .slice(i + 1, end)
          .split(',')
          .map(escapeRegExp)
          .join('|')})`;
        i = end;
      }
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export class GlobSet {
  private readonly full: RegExp[] = [];
  private readonly base: RegExp[] = [];

  constructor(patterns: readonly string[] = []) {
    for (const p of patterns)
      (p.includes('/') ? this.full : this.base).push(globToRegExp(p.replace(/^\.\//, '')));
  }

  get empty(): boolean {
    return this.full.length === 0 && this.base.length === 0;
  }

  matches(path: string): boolean {
    const last = path.slice(path.lastIndexOf('/') + 1);
    return this.full.some((r) => r.test(path)) || this.base.some((r) => r.test(last));
  }
}

/** Include-then-exclude filter; an empty include list lets everything in. */
export function pathFilter(
  include: readonly string[] = [],
  exclude: readonly string[] = [],
): (path: string) => boolean {
  const inc = new GlobSet(include);
  const exc = new GlobSet(exclude);
  return (path) => (inc.empty || inc.matches(path)) && !exc.matches(path);
}
