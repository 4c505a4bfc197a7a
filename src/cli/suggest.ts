/** "Did you mean" for mistyped commands and flags: the closest candidate within a small edit distance. */

/** Damerau-Levenshtein distance (adjacent transpositions count as one edit, as typos usually are). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `input`, or undefined when none is plausibly meant: at most a third of the
 * longer word may differ (so `--ky` finds `--key` but `--x` finds nothing), and a candidate that
 * starts with the input (an abbreviation) always counts.
 */
export function nearest(input: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const prefix = input.length >= 3 && c.startsWith(input);
    const score = prefix ? 0.5 : editDistance(input, c);
    const limit = Math.max(1, Math.floor(Math.max(input.length, c.length) / 3));
    if ((prefix || score <= limit) && score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
