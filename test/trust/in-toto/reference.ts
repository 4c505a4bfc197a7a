/**
 * in-toto's own verifier as the oracle for the unit tests of src/trust/in-toto (issue #18): the Python
 * in-toto 1.3.1 and securesystemslib 0.26 of Debian's in-toto package make keys of every type and scheme,
 * signatures, signed layouts and links, and answer each case (reference.py). The cases are defined here
 * so the tests and the oracle share them. Built once per UTC day into the fixture cache: Stryker reruns
 * the tests' hooks for every mutant they cover.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { onPath, run } from '../../helpers/tools.js';

export const MESSAGE = 'sigscan in-toto key test';

/** Rules for in_toto.rulelib.unpack_rule: every MATCH form, each keyword wrong in turn, each length off by one. */
export const RULES: string[][] = [
  ['ALLOW'],
  ['ALLOW', '*', 'extra'],
  ['allow', '*'],
  ['REQUIRE', 'foo.py'],
  ['FROB', '*'],
  ['FROB', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'IN', 'dst', 'FROM', 'a'],
  ['match', 'x*', 'in', 'Src', 'with', 'Materials', 'in', 'Dst', 'from', 'Step-A'],
  ['MATCH', '*', 'ON', 'src', 'WITH', 'PRODUCTS', 'IN', 'dst', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITHIN', 'PRODUCTS', 'IN', 'dst', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'ON', 'dst', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'IN', 'dst', 'FOR', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'IN', 'dst', 'FROM', 'a', 'b'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'IN', 'dst', 'FROM'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'ON', 'src', 'WITH', 'PRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITHIN', 'PRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'FOR', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'FROM', 'a', 'b'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'PRODUCTS', 'FROM'],
  ['MATCH', '*', 'WITH', 'MATERIALS', 'IN', 'dst', 'FROM', 'a'],
  ['MATCH', '*', 'WITHIN', 'MATERIALS', 'IN', 'dst', 'FROM', 'a'],
  ['MATCH', '*', 'WITH', 'MATERIALS', 'ON', 'dst', 'FROM', 'a'],
  ['MATCH', '*', 'WITH', 'MATERIALS', 'IN', 'dst', 'FOR', 'a'],
  ['MATCH', '*', 'WITH', 'MATERIALS', 'IN', 'dst', 'FROM', 'a', 'b'],
  ['MATCH', '*', 'WITH', 'MATERIALS', 'IN', 'dst', 'FROM'],
  ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'WITHIN', 'PRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'WITH', 'PRODUCTS', 'FOR', 'a'],
  ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM', 'a', 'b'],
  ['MATCH', '*', 'WITH', 'PRODUCTS', 'FROM'],
  ['MATCH', '*', 'WITH', 'BYPRODUCTS', 'FROM', 'a'],
  ['MATCH', '*', 'IN', 'src', 'WITH', 'BYPRODUCTS', 'IN', 'dst', 'FROM', 'a'],
  ['MATCH', '*'],
];

/** [pattern, path] for Python's fnmatch (in-toto filters artifact paths with fnmatch.filter). */
export const FNMATCH: Array<[string, string]> = [
  ['?', 'a'],
  ['?', ''],
  ['?', 'ab'],
  ['a?c', 'a/c'],
  ['**.py', 'x.py'],
  ['[!ab].txt', 'c.txt'],
  ['[!ab].txt', 'a.txt'],
  ['[!a]', '!'],
  ['[]]', ']'],
  ['[]a]', 'a'],
  ['[!]]', 'a'],
  ['[!]]', ']'],
  ['[a', '[a'],
  ['[a', 'a'],
  ['[^a]', '^'],
  ['[^a]', 'b'],
  ['[\\x]', '\\'],
  ['[a-c]', 'b'],
  ['a', 'b'],
  ['a.b', 'a.b'],
  // Python's fnmatch translates to (?s:...): `*` and `?` match a newline; and `?` is one code point.
  ['*', 'a\nb'],
  ['?', '\n'],
  ['?', '\u{1F600}'],
];

interface ItemLink {
  materials: Record<string, Record<string, string>>;
  products: Record<string, Record<string, string>>;
}
export interface ItemCase {
  name: string;
  item: string;
  type: 'materials' | 'products';
  rules: string[][];
  links: Record<string, ItemLink>;
}

const H = (c: string): string => c.repeat(64);
/** Two steps: `a` made src/x.py and README; `b` used them (x.py under no prefix) and made out.tgz. */
const ITEM_LINKS: Record<string, ItemLink> = {
  a: { materials: {}, products: { 'src/x.py': { sha256: H('1') }, README: { sha256: H('2') } } },
  b: {
    materials: {
      'x.py': { sha256: H('1') },
      README: { sha256: H('2') },
      'lib/y.py': { sha256: H('5') },
      'z.py': { sha256: H('1'), sha512: H('2') },
    },
    products: {
      'x.py': { sha256: H('1'), sha512: H('7') },
      README: { sha256: H('2') },
      'lib/y.py': { sha256: H('5'), sha512: H('8') },
      'out.tgz': { sha256: H('4') },
      'z.py': { sha256: H('1'), sha512: H('3') },
    },
  },
  c: { materials: { 'pkg/x.py': { sha256: H('1') }, 'pkg/README': { sha256: H('9') } }, products: {} },
};
export const ITEMS: ItemCase[] = [
  {
    name: 'MATCH with prefixes written with a trailing slash',
    item: 'c',
    type: 'materials',
    rules: [
      ['MATCH', '*', 'IN', 'pkg/', 'WITH', 'PRODUCTS', 'IN', 'src/', 'FROM', 'a'],
      ['DISALLOW', 'pkg/x.py'],
    ],
    links: ITEM_LINKS,
  },
  {
    name: 'MATCH with a source prefix: only paths under it, their hashes compared',
    item: 'c',
    type: 'materials',
    rules: [
      ['MATCH', '*', 'IN', 'pkg', 'WITH', 'PRODUCTS', 'IN', 'src', 'FROM', 'a'],
      ['DISALLOW', 'pkg/x.py'],
    ],
    links: ITEM_LINKS,
  },
  {
    name: 'MATCH consumes a path only with equal hashes (README differs)',
    item: 'c',
    type: 'materials',
    rules: [
      ['MATCH', '*', 'IN', 'pkg', 'WITH', 'MATERIALS', 'FROM', 'b'],
      ['DISALLOW', 'pkg/README'],
    ],
    links: ITEM_LINKS,
  },
  {
    name: 'MATCH without a source prefix compares the whole path',
    item: 'c',
    type: 'materials',
    rules: [
      ['MATCH', '*', 'WITH', 'MATERIALS', 'FROM', 'b'],
      ['DISALLOW', '*x.py'],
    ],
    links: ITEM_LINKS,
  },
  {
    name: 'MODIFY: hashes that differ in one algorithm only, or in the set of algorithms',
    item: 'b',
    type: 'products',
    rules: [
      ['MODIFY', '*'],
      ['DISALLOW', 'x.py'],
      ['DISALLOW', 'lib/y.py'],
    ],
    links: ITEM_LINKS,
  },
  {
    name: 'MODIFY: the same algorithms, one digest changed',
    item: 'b',
    type: 'products',
    rules: [
      ['MODIFY', 'z.py'],
      ['DISALLOW', 'z.py'],
    ],
    links: ITEM_LINKS,
  },
  {
    name: 'MODIFY leaves an unchanged file queued',
    item: 'b',
    type: 'products',
    rules: [
      ['MODIFY', '*'],
      ['DISALLOW', 'README'],
    ],
    links: ITEM_LINKS,
  },
];

/** A step of a layout in reference.py's placeholder notation ("@bob" is bob's key id). */
export const step = (
  name: string,
  pubkeys: string[],
  opts: { threshold?: number; command?: string[]; materials?: string[][]; products?: string[][] } = {},
) => ({
  _type: 'step',
  name,
  threshold: opts.threshold ?? 1,
  pubkeys,
  expected_command: opts.command ?? [],
  expected_materials: opts.materials ?? [],
  expected_products: opts.products ?? [],
});

export const layout = (
  functionaries: string[],
  steps: unknown[],
  opts: { expires?: string; inspect?: unknown[]; keys?: Record<string, unknown> } = {},
) => ({
  _type: 'layout',
  expires: opts.expires ?? '2099-01-01T00:00:00Z',
  readme: '',
  keys: opts.keys ?? Object.fromEntries(functionaries.map((f) => [`@${f}`, `@${f}:key`])),
  steps,
  inspect: opts.inspect ?? [],
});

/** path -> one hex digit repeated as its SHA-256, or algorithm -> digit for several digests. */
type Digests = Record<string, string | Record<string, string>>;

export const link = (
  name: string,
  opts: { materials?: Digests; products?: Digests; command?: string[] } = {},
) => {
  const arts = (m: Digests = {}) =>
    Object.fromEntries(
      Object.entries(m).map(([p, h]) => [
        p,
        typeof h === 'string'
          ? { sha256: H(h) }
          : Object.fromEntries(Object.entries(h).map(([a, c]) => [a, H(c)])),
      ]),
    );
  return {
    _type: 'link',
    name,
    materials: arts(opts.materials),
    products: arts(opts.products),
    byproducts: {},
    command: opts.command ?? [],
    environment: {},
  };
};

export interface ChainFile {
  /** Relative path; `{bob}` is the first 8 hex of bob's key id. */
  path: string;
  signed: unknown;
  signers: string[];
  /** Rewrites the signatures' key id (to "@dan": dan's), after signing. */
  keyidOverride?: string;
}
export interface Chain {
  files: ChainFile[];
  /** Functionaries whose keys in_toto_verify is given as layout keys (default alice). */
  layoutKeys?: string[];
}

export interface Answers {
  verify: Record<string, boolean>;
  ecdsaKeyClaimingScheme: Record<string, boolean>;
  p384KeyAsNistp256: boolean;
  unpackRule: Array<[true, Record<string, string>] | [false, string]>;
  fnmatch: boolean[];
  items: Array<[boolean, string | null]>;
  /** in_toto_verify: [passed, error]. */
  chains: Record<string, [boolean, string | null]>;
  /** in_toto_verify with the clock frozen (faketime) at each instant, for the chain `expiry`. */
  expiry: Record<string, [boolean, string | null]>;
}

export interface KeyFile {
  key: { keyid: string; keytype: string; scheme: string; keyval: { public: string } } & Record<
    string,
    unknown
  >;
  pem: string;
  sig: string;
}

export interface Reference {
  dir: string;
  answers: Answers;
  keys: Record<string, KeyFile>;
  /** Signatures only: cross-hash ECDSA ones securesystemslib never makes. */
  sigs: Record<string, string>;
  functionaries: Record<string, KeyFile['key']>;
  /** PEM file of a functionary's public key (alice signs the layouts). */
  pem(name: string): string;
  chain(name: string): string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
export const EXPIRY_INSTANTS = ['2030-01-01T00:00:00Z', '2030-01-01T00:00:01Z'];

export const referenceTools = async (): Promise<boolean> =>
  Boolean((await onPath('in-toto-verify')) && (await onPath('faketime')));

/** Builds (once per day per `recipe`) and loads the reference answers for `chains`. */
export async function inTotoReference(recipe: string, chains: Record<string, Chain>): Promise<Reference> {
  const dir = await cachedFixtureDir(recipe, async (d) => {
    writeFileSync(
      join(d, 'spec.json'),
      JSON.stringify({ message: MESSAGE, rules: RULES, fnmatch: FNMATCH, items: ITEMS, chains }),
    );
    await run('/usr/bin/python3', [join(HERE, 'reference.py'), d]);
    const answers = JSON.parse(readFileSync(join(d, 'answers.json'), 'utf8')) as Answers;
    answers.expiry = {};
    if (chains['expiry']) {
      for (const at of EXPIRY_INSTANTS) {
        // libfaketime with rate 0 freezes the clock at the instant: in_toto_verify's "now" is exactly it.
        const r = await run(
          'faketime',
          ['-f', `@${at.replace('T', ' ').replace('Z', '')} x0`, '/usr/bin/python3', '-c', EXPIRY_CHECK, d],
          { check: false },
        );
        answers.expiry[at] =
          r.code === 0 ? [true, null] : [false, (r.stdout + r.stderr).trim().split('\n').pop()!];
      }
    }
    writeFileSync(join(d, 'answers.json'), JSON.stringify(answers));
  });
  const keyFile = JSON.parse(readFileSync(join(dir, 'keys.json'), 'utf8')) as Record<string, KeyFile>;
  return {
    dir,
    answers: JSON.parse(readFileSync(join(dir, 'answers.json'), 'utf8')) as Answers,
    keys: Object.fromEntries(Object.entries(keyFile).filter(([, k]) => k.key)),
    sigs: Object.fromEntries(Object.entries(keyFile).map(([n, k]) => [n, k.sig])),
    functionaries: JSON.parse(readFileSync(join(dir, 'functionaries.json'), 'utf8')) as Record<
      string,
      KeyFile['key']
    >,
    pem: (name) => join(dir, `${name}.pem`),
    chain: (name) => join(dir, 'chains', name),
  };
}

const EXPIRY_CHECK = `
import json, os, sys
from securesystemslib import keys
from in_toto import verifylib
from in_toto.models.metadata import Metablock
d = sys.argv[1]
f = json.load(open(os.path.join(d, 'functionaries.json')))
layout = Metablock.load(os.path.join(d, 'chains', 'expiry', 'root.layout'))
verifylib.in_toto_verify(layout, {f['alice']['keyid']: f['alice']}, link_dir_path=os.path.join(d, 'chains', 'expiry'))
`;

const L = (path: string, signed: unknown, signers: string[], extra: Partial<ChainFile> = {}): ChainFile => ({
  path,
  signed,
  signers,
  ...extra,
});
const ROOT = (l: unknown, signers = ['alice']): ChainFile => L('root.layout', l, signers);
const OUT = { products: { out: '1' } };
/** A one-step layout `build` by bob and carl with `threshold`, and their links. */
const pair = (
  threshold: number,
  carl: Parameters<typeof link>[1],
  bob: Parameters<typeof link>[1] = OUT,
): Chain => ({
  files: [
    ROOT(layout(['bob', 'carl'], [step('build', ['@bob', '@carl'], { threshold })])),
    L('build.{bob}.link', link('build', bob), ['bob']),
    L('build.{carl}.link', link('build', carl), ['carl']),
  ],
});
/** `depth` sublayouts, each delegating step `s` to bob, the innermost with bob's link. */
const nested = (depth: number): Chain => {
  const files: ChainFile[] = [ROOT(layout(['bob'], [step('s', ['@bob'])]))];
  let dir = '';
  for (let i = 0; i < depth; i++) {
    files.push(L(`${dir}s.{bob}.link`, layout(['bob'], [step('s', ['@bob'])]), ['bob']));
    dir += 's.{bob}/';
  }
  files.push(L(`${dir}s.{bob}.link`, link('s', OUT), ['bob']));
  return { files };
};

/** Layout scenarios for verifyLayout, each also verified by in_toto_verify. */
export const CHAINS: Record<string, Chain> = {
  'thr2-agree': pair(2, OUT),
  'thr2-products-differ': pair(2, { products: { out: '2' } }),
  'thr2-materials-differ': pair(2, { materials: { src: '3' }, products: { out: '1' } }),
  'thr2-extra-product': pair(2, { products: { out: '1', extra: '1' } }),
  'thr2-other-path': pair(2, { products: { other: '1' } }),
  'thr2-extra-digest': pair(2, { products: { out: { sha256: '1', sha512: '1' } } }),
  'thr2-one-digest-differs': pair(
    2,
    { products: { out: { sha256: '1', sha512: '2' } } },
    { products: { out: { sha256: '1', sha512: '1' } } },
  ),
  'thr1-differ': pair(1, { products: { out: '2' } }),
  'thr2-one-signer': {
    files: [
      ROOT(layout(['bob', 'carl'], [step('build', ['@bob', '@carl'], { threshold: 2 })])),
      L('build.{bob}.link', link('build', OUT), ['bob']),
      L('build.{carl}.link', link('build', OUT), ['dan']),
    ],
  },
  // carl signed it, but the signature names dan's key: in-toto looks a link's signature up by key id.
  'keyid-renamed': {
    files: [
      ROOT(layout(['carl', 'dan'], [step('build', ['@carl'])])),
      L('build.{carl}.link', link('build', OUT), ['carl'], { keyidOverride: '@dan' }),
    ],
  },
  'cmd-mismatch': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'], { command: ['make', 'all'] })])),
      L('build.{bob}.link', link('build', { ...OUT, command: ['make'] }), ['bob']),
    ],
  },
  'cmd-match': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'], { command: ['make', 'all'] })])),
      L('build.{bob}.link', link('build', { ...OUT, command: ['make', 'all'] }), ['bob']),
    ],
  },
  'name-mismatch': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'])])),
      L('build.{bob}.link', link('test', OUT), ['bob']),
    ],
  },
  sublayout: {
    files: [
      ROOT(
        layout(
          ['bob'],
          [
            step('build', ['@bob'], {
              products: [
                ['ALLOW', 'out'],
                ['DISALLOW', '*'],
              ],
            }),
          ],
        ),
      ),
      L('build.{bob}.link', layout(['carl'], [step('compile', ['@carl'])]), ['bob']),
      L('build.{bob}/compile.{carl}.link', link('compile', { materials: { src: '3' }, ...OUT }), ['carl']),
    ],
  },
  'sublayout-missing-link': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'])])),
      L('build.{bob}.link', layout(['carl'], [step('compile', ['@carl'])]), ['bob']),
    ],
  },
  'sublayout-inspection': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'])])),
      L(
        'build.{bob}.link',
        layout(['carl'], [step('compile', ['@carl'])], {
          inspect: [
            {
              _type: 'inspection',
              name: 'check',
              run: ['true'],
              expected_materials: [],
              expected_products: [],
            },
          ],
        }),
        ['bob'],
      ),
      L('build.{bob}/compile.{carl}.link', link('compile', OUT), ['carl']),
    ],
  },
  nest4: nested(4),
  nest5: nested(5),
  'two-layout-keys': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'])]), ['alice', 'dan']),
      L('build.{bob}.link', link('build', OUT), ['bob']),
    ],
    layoutKeys: ['alice', 'dan'],
  },
  // dan's link for a step that lists him, though the layout's keys do not hold his key.
  'pubkey-not-in-keys': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob', '@dan'])])),
      L('build.{bob}.link', link('build', OUT), ['bob']),
      L('build.{dan}.link', link('build', OUT), ['dan']),
    ],
  },
  // "expires" spelled other than securesystemslib's ISO8601_DATETIME_SCHEMA (YYYY-MM-DDTHH:MM:SSZ), or a
  // date that does not exist: in-toto refuses the layout (models/layout.py `_validate_expires`).
  ...Object.fromEntries(
    (
      [
        ['expires-no-zone', '2099-01-01T00:00:00'],
        ['expires-date-only', '2099-01-01'],
        ['expires-offset', '2099-01-01T00:00:00+00:00'],
        ['expires-feb-30', '2099-02-30T00:00:00Z'],
        ['expires-hour-24', '2099-01-01T24:00:00Z'],
      ] as const
    ).map(([name, expires]) => [
      name,
      {
        files: [
          ROOT(layout(['bob'], [step('build', ['@bob'])], { expires })),
          L('build.{bob}.link', link('build', OUT), ['bob']),
        ],
      },
    ]),
  ),
  'no-steps': { files: [ROOT(layout([], []))] },
  'rule-violation': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'], { products: [['DISALLOW', 'out']] })])),
      L('build.{bob}.link', link('build', OUT), ['bob']),
    ],
  },
  'sublayout-violation': {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'])])),
      L(
        'build.{bob}.link',
        layout(['carl'], [step('compile', ['@carl'], { products: [['DISALLOW', 'out']] })]),
        ['bob'],
      ),
      L('build.{bob}/compile.{carl}.link', link('compile', OUT), ['carl']),
    ],
  },
  expiry: {
    files: [
      ROOT(layout(['bob'], [step('build', ['@bob'])], { expires: '2030-01-01T00:00:00Z' })),
      L('build.{bob}.link', link('build', OUT), ['bob']),
    ],
  },
};

export const reference = (): Promise<Reference> => inTotoReference('in-toto-reference-v5', CHAINS);
