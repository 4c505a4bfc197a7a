import type { ArtifactMap, ArtifactRule, InTotoLink } from '../../formats/in-toto/index.js';

/**
 * in-toto artifact rules (in-toto spec §4.3.3, as the reference implementation's `verifylib`
 * applies them): an item's materials or products go into a queue; the rules run in order, each
 * consuming the queued paths it matches (MATCH, ALLOW, CREATE, DELETE, MODIFY); DISALLOW fails if
 * anything it matches is still queued, REQUIRE fails if its exact path is not queued. Whatever is
 * left at the end is implicitly allowed.
 */

export type ParsedRule =
  | { type: 'create' | 'delete' | 'modify' | 'allow' | 'disallow' | 'require'; pattern: string }
  | {
      type: 'match';
      pattern: string;
      sourcePrefix: string;
      destType: 'materials' | 'products';
      destPrefix: string;
      destName: string;
    };

export class RuleFormatError extends Error {}

const GENERIC = new Set(['create', 'delete', 'modify', 'allow', 'disallow', 'require']);

export function unpackRule(rule: ArtifactRule): ParsedRule {
  const lower = rule.map((x) => x.toLowerCase());
  const bad = (): never => {
    throw new RuleFormatError(`malformed artifact rule ${JSON.stringify(rule)}`);
  };
  if (rule.length < 2) return bad();
  const type = lower[0]!;
  const pattern = rule[1]!;
  if (GENERIC.has(type)) {
    if (rule.length !== 2) return bad();
    return { type: type as 'allow', pattern };
  }
  if (type !== 'match') return bad();
  let sourcePrefix = '';
  let destPrefix = '';
  let destTypeWord: string;
  let destName: string;
  if (
    rule.length === 10 &&
    lower[2] === 'in' &&
    lower[4] === 'with' &&
    lower[6] === 'in' &&
    lower[8] === 'from'
  ) {
    sourcePrefix = rule[3]!;
    destTypeWord = lower[5]!;
    destPrefix = rule[7]!;
    destName = rule[9]!;
  } else if (rule.length === 8 && lower[2] === 'in' && lower[4] === 'with' && lower[6] === 'from') {
    sourcePrefix = rule[3]!;
    destTypeWord = lower[5]!;
    destName = rule[7]!;
  } else if (rule.length === 8 && lower[2] === 'with' && lower[4] === 'in' && lower[6] === 'from') {
    destTypeWord = lower[3]!;
    destPrefix = rule[5]!;
    destName = rule[7]!;
  } else if (rule.length === 6 && lower[2] === 'with' && lower[4] === 'from') {
    destTypeWord = lower[3]!;
    destName = rule[5]!;
  } else return bad();
  if (destTypeWord !== 'materials' && destTypeWord !== 'products') return bad();
  return { type: 'match', pattern, sourcePrefix, destType: destTypeWord, destPrefix, destName };
}

/** Python's `fnmatch.fnmatchcase`: `*` and `?` also match `/`; `[seq]`, `[!seq]`; case-sensitive. */
export function fnmatchRegExp(pattern: string): RegExp {
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i++]!;
    if (c === '*') {
      out += '.*';
      while (pattern[i] === '*') i++;
    } else if (c === '?') out += '.';
    else if (c === '[') {
      let j = i;
      if (pattern[j] === '!') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j++;
      if (j >= pattern.length) out += '\\[';
      else {
        let body = pattern.slice(i, j);
        i = j + 1;
        body = body.replace(/\\/g, '\\\\').replace(/\^/g, '\\^').replace(/\]/g, '\\]');
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += body === '' ? '(?!)' : `[${body}]`;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${out})$`, 'su');
}

const filter = (paths: Iterable<string>, pattern: string): string[] => {
  const re = fnmatchRegExp(pattern);
  return [...paths].filter((p) => re.test(p));
};

const sameHashes = (
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean => {
  if (!a || !b) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

const has = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** `os.path.join(prefix, "")` with forward slashes: a trailing slash unless there is one. */
const withSlash = (p: string): string => (p.endsWith('/') ? p : `${p}/`);

export interface RuleViolation {
  /** The rule as the layout spells it. */
  rule: string;
  /** The artifacts that broke it (DISALLOW: still queued; REQUIRE: the missing file). */
  artifacts: string[];
  message: string;
}

/**
 * Applies one item's rules for its materials or products. `links` holds one link per step name (the
 * reduced chain); a MATCH against a step without a link consumes nothing (as in-toto does). Returns
 * the first violation, or undefined.
 */
export function verifyItemRules(
  itemName: string,
  sourceType: 'materials' | 'products',
  rules: ArtifactRule[],
  links: ReadonlyMap<string, InTotoLink>,
): RuleViolation | undefined {
  const item = links.get(itemName);
  if (!item) return undefined;
  const materials = item.materials;
  const products = item.products;
  const artifacts: ArtifactMap = item[sourceType];
  const queue = new Set(Object.keys(artifacts));
  for (const raw of rules) {
    const rule = unpackRule(raw);
    const text = raw.join(' ');
    let consumed: string[] = [];
    switch (rule.type) {
      case 'match':
        consumed = matchRule(rule, queue, artifacts, links);
        break;
      case 'create':
        consumed = filter(queue, rule.pattern).filter((p) => has(products, p) && !has(materials, p));
        break;
      case 'delete':
        consumed = filter(queue, rule.pattern).filter((p) => has(materials, p) && !has(products, p));
        break;
      case 'modify':
        consumed = filter(queue, rule.pattern).filter(
          (p) => has(materials, p) && has(products, p) && !sameHashes(materials[p], products[p]),
        );
        break;
      case 'allow':
        consumed = filter(queue, rule.pattern);
        break;
      case 'disallow': {
        const left = filter(queue, rule.pattern).sort();
        if (left.length) {
          return {
            rule: text,
            artifacts: left,
            message: `${itemName} ${sourceType}: rule "${text}" matched ${left.map((p) => `"${p}"`).join(', ')} (not consumed by an earlier rule)`,
          };
        }
        break;
      }
      case 'require':
        if (!queue.has(rule.pattern)) {
          return {
            rule: text,
            artifacts: [rule.pattern],
            message: `${itemName} ${sourceType}: rule "${text}" did not find "${rule.pattern}" among the unconsumed artifacts`,
          };
        }
        break;
    }
    for (const p of consumed) queue.delete(p);
  }
  return undefined;
}

function matchRule(
  rule: Extract<ParsedRule, { type: 'match' }>,
  queue: Set<string>,
  source: ArtifactMap,
  links: ReadonlyMap<string, InTotoLink>,
): string[] {
  const dest = links.get(rule.destName);
  if (!dest) return [];
  const destArtifacts = dest[rule.destType];
  let candidates: string[];
  if (rule.sourcePrefix) {
    const prefix = withSlash(rule.sourcePrefix);
    candidates = [...queue].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
  } else candidates = [...queue];
  const consumed: string[] = [];
  for (const path of filter(candidates, rule.pattern)) {
    const full = rule.sourcePrefix ? `${withSlash(rule.sourcePrefix)}${path}` : path;
    const destPath = rule.destPrefix ? `${withSlash(rule.destPrefix)}${path}` : path;
    if (has(destArtifacts, destPath) && sameHashes(source[full], destArtifacts[destPath]))
      consumed.push(full);
  }
  return consumed;
}
