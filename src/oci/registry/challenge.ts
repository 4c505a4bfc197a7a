/** One WWW-Authenticate challenge: scheme plus its auth-params (RFC 7235). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate value that may hold several challenges; quoted values may contain commas,
 * so a naive split on "," would cut `scope="repository:a:pull,push"` in two.
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (!header) return [];
  const values = Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    let current: Challenge | undefined;
    const n = value.length;
    const skipSpaces = () => {
      while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
    };
    while (i < n) {
      skipSpaces();
      if (value[i] === ',') {
        i++;
        continue;
      }
      const tokenStart = i;
      while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(value[i]!)) i++;
      const token = value.slice(tokenStart, i);
      if (!token) {
        i++;
        continue;
      }
      skipSpaces();
      if (value[i] === '=') {
        i++;
        skipSpaces();
        let v = '';
        if (value[i] === '"') {
          i++;
          while (i < n && value[i] !== '"') {
            if (value[i] === '\\' && i + 1 < n) i++;
            v += value[i];
            i++;
          }
          i++;
        } else {
          const vs = i;
          while (i < n && value[i] !== ',' && value[i] !== ' ') i++;
          v = value.slice(vs, i);
        }
        if (current) current.params[token.toLowerCase()] = v;
      } else {
        current = { scheme: token.toLowerCase(), params: {} };
        out.push(current);
      }
    }
  }
  return out;
}
