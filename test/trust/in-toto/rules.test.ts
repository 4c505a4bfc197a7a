import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { parseInTotoMetadata, type InTotoLink } from '../../../src/formats/in-toto/index.js';
import {
  fnmatchRegExp,
  trustedKeyVerifiers,
  unpackRule,
  verifyItemRules,
  verifyLayout,
  type ParsedRule,
} from '../../../src/trust/in-toto/index.js';
import { RuleFormatError } from '../../../src/trust/in-toto/rules.js';
import { createPublicKey } from 'node:crypto';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { FNMATCH, ITEMS, reference, referenceTools, RULES, type Reference } from './reference.js';

const tools = await referenceTools();

const link = (
  name: string,
  materials: Record<string, string>,
  products: Record<string, string>,
): InTotoLink => ({
  type: 'link',
  name,
  materials: Object.fromEntries(Object.entries(materials).map(([k, v]) => [k, { sha256: v }])),
  products: Object.fromEntries(Object.entries(products).map(([k, v]) => [k, { sha256: v }])),
  byproducts: {},
  command: [],
});

describe('fnmatch patterns (Python fnmatchcase)', () => {
  it.each([
    ['*', 'a/b/c', true],
    ['*.py', 'dir/x.py', true],
    ['?.py', 'ab.py', false],
    ['[ab].txt', 'b.txt', true],
    ['[!ab].txt', 'b.txt', false],
    ['a.b', 'axb', false],
    ['demo-project/*', 'demo-project/foo.py', true],
    ['[', '[', true],
  ])('%s vs %s → %s', (pattern, path, ok) => {
    expect(fnmatchRegExp(pattern).test(path)).toBe(ok);
  });
});

describe('artifact rules (queue semantics)', () => {
  const links = new Map([
    ['a', link('a', {}, { 'src/x.py': '1', README: '2' })],
    ['b', link('b', { 'x.py': '1', README: '2', old: '9' }, { 'x.py': '3', README: '2', 'out.tgz': '4' })],
  ]);
  const check = (type: 'materials' | 'products', rules: string[][]) =>
    verifyItemRules('b', type, rules, links);

  it('MATCH with prefixes consumes equal hashes only', () => {
    expect(
      check('materials', [
        ['MATCH', '*', 'WITH', 'PRODUCTS', 'IN', 'src', 'FROM', 'a'],
        ['ALLOW', 'README'],
        ['ALLOW', 'old'],
        ['DISALLOW', '*'],
      ]),
    ).toBeUndefined();
    const v = check('materials', [
      ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
      ['DISALLOW', '*'],
    ]);
    expect(v?.rule).toBe('DISALLOW *');
    expect(v?.artifacts).toEqual(['old', 'x.py']);
  });
  it('a rule consumes, so a later DISALLOW does not see it (order matters)', () => {
    expect(
      check('products', [
        ['ALLOW', '*'],
        ['DISALLOW', '*'],
      ]),
    ).toBeUndefined();
    expect(
      check('products', [
        ['DISALLOW', 'out.tgz'],
        ['ALLOW', '*'],
      ])?.artifacts,
    ).toEqual(['out.tgz']);
  });
  it('CREATE, MODIFY, DELETE consume by what changed', () => {
    expect(
      check('products', [
        ['CREATE', '*'],
        ['MODIFY', '*'],
        ['DISALLOW', '*'],
      ])?.artifacts,
    ).toEqual(['README']);
    expect(
      check('materials', [
        ['DELETE', '*'],
        ['MODIFY', '*'],
        ['DISALLOW', '*'],
      ])?.artifacts,
    ).toEqual(['README']);
    expect(
      check('products', [
        ['MODIFY', 'out.tgz'],
        ['DISALLOW', 'out.tgz'],
      ])?.artifacts,
    ).toEqual(['out.tgz']);
  });
  it('REQUIRE needs the exact path still queued', () => {
    expect(check('products', [['REQUIRE', 'out.tgz']])).toBeUndefined();
    expect(
      check('products', [
        ['ALLOW', 'out.tgz'],
        ['REQUIRE', 'out.tgz'],
      ])?.rule,
    ).toBe('REQUIRE out.tgz');
    expect(check('products', [['REQUIRE', '*.tgz']])?.artifacts).toEqual(['*.tgz']);
  });
  it('leftovers are implicitly allowed; MATCH against a missing step consumes nothing', () => {
    expect(check('products', [])).toBeUndefined();
    expect(
      check('products', [
        ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'nope'],
        ['DISALLOW', 'x.py'],
      ])?.artifacts,
    ).toEqual(['x.py']);
  });
  it('malformed rules throw', () => {
    expect(() => check('products', [['MATCH', '*', 'WITH', 'BYPRODUCTS', 'FROM', 'a']])).toThrow(/malformed/);
    expect(() => check('products', [['FROB', '*']])).toThrow(/malformed/);
  });
});

describe('verifyLayout on altered corpus material', () => {
  const D = join(CORPUS_DIR, 'dsse', 'in-toto-golang');
  const keys = [trustedKeyVerifiers(createPublicKey(readFileSync(join(D, 'alice.pub'))), 'alice.pub')];
  const layout = parseInTotoMetadata(new Uint8Array(readFileSync(join(D, 'demo.layout'))));
  const corpusLinks = (): Map<string, Uint8Array> =>
    new Map(
      readdirSync(D)
        .filter((f) => f.endsWith('.link'))
        .map((f) => [f, new Uint8Array(readFileSync(join(D, f)))]),
    );
  const now = new Date('2026-11-21T00:00:00Z');

  it('a link whose signed content changed does not count: THRESHOLD_NOT_MET', () => {
    const links = corpusLinks();
    const changed = Buffer.from(links.get('write-code.b7d643de.link')!)
      .toString('utf8')
      .replace('74dc3727', '74dc3728');
    links.set('write-code.b7d643de.link', new TextEncoder().encode(changed));
    const r = verifyLayout(layout, { keys, now, links });
    expect(r.code).toBe('THRESHOLD_NOT_MET');
    expect(r.message).toMatch(/write-code.*does not verify/);
  });
  it('a missing link: LINK_MISSING', () => {
    const links = corpusLinks();
    links.delete('package.d3ffd108.link');
    expect(verifyLayout(layout, { keys, now, links }).code).toBe('LINK_MISSING');
  });
  it('a link signed by an unauthorised key under the expected name does not count', () => {
    const links = corpusLinks();
    links.set('package.d3ffd108.link', links.get('write-code.b7d643de.link')!);
    expect(verifyLayout(layout, { keys, now, links }).code).toBe('THRESHOLD_NOT_MET');
  });
  it('a sublayout is verified recursively from <step>.<keyid8>/', () => {
    const sup = parseInTotoMetadata(new Uint8Array(readFileSync(join(D, 'super.layout'))));
    // super.layout is unsigned: it cannot pass, whatever its links.
    expect(verifyLayout(sup, { keys, now, links: corpusLinks() }).code).toBe('LAYOUT_SIGNATURE_INVALID');
  });
});

describe.skipIf(!tools)(
  'artifact rules against in-toto (rulelib.unpack_rule, fnmatch, verify_item_rules)',
  () => {
    let ref: Reference;
    beforeAll(async () => {
      ref = await reference();
    }, 300_000);

    it.each(RULES.map((r, i) => [r.join(' '), i] as const))('%s: parsed as in-toto parses it', (_, i) => {
      const theirs = ref.answers.unpackRule[i]!;
      let ours: ParsedRule | Error;
      try {
        ours = unpackRule(RULES[i]!);
      } catch (err) {
        ours = err as Error;
      }
      if (!theirs[0]) {
        expect(ours).toBeInstanceOf(RuleFormatError);
        expect((ours as Error).message).toBe(`malformed artifact rule ${JSON.stringify(RULES[i])}`);
        return;
      }
      const t = theirs[1];
      expect(ours).toEqual(
        t['rule_type'] === 'match'
          ? {
              type: 'match',
              pattern: t['pattern'],
              sourcePrefix: t['source_prefix'],
              destType: t['dest_type'],
              destPrefix: t['dest_prefix'],
              destName: t['dest_name'],
            }
          : { type: t['rule_type'], pattern: t['pattern'] },
      );
    });

    it.each(FNMATCH.map(([p, s], i) => [p, s, i] as const))(
      'fnmatch %j vs %j: as Python',
      (pattern, path, i) => {
        expect(fnmatchRegExp(pattern).test(path)).toBe(ref.answers.fnmatch[i]);
      },
    );

    it.each(ITEMS.map((c, i) => [c.name, i] as const))('%s: as verify_item_rules', (_, i) => {
      const c = ITEMS[i]!;
      const links = new Map(
        Object.entries(c.links).map(([name, l]) => [
          name,
          {
            type: 'link' as const,
            name,
            materials: l.materials,
            products: l.products,
            byproducts: {},
            command: [],
          },
        ]),
      );
      const ours = verifyItemRules(c.item, c.type, c.rules, links);
      const [passed, error] = ref.answers.items[i]!;
      if (passed) {
        expect(ours).toBeUndefined();
        return;
      }
      // in-toto: "RuleVerificationError: 'DISALLOW x' matched the following artifacts: ['a', 'b']".
      const m = /^RuleVerificationError: '([^']*)' matched the following artifacts: \[([^\]]*)\]/.exec(
        error!,
      )!;
      expect(m, error!).not.toBeNull();
      expect(ours?.rule).toBe(m[1]);
      expect(ours?.artifacts).toEqual([...m[2]!.matchAll(/'([^']*)'/g)].map((x) => x[1]).sort());
    });
  },
);
