/**
 * verifyLayout's MALFORMED_LAYOUT refusals (issue #18), on layouts signed with Debian's in-toto tools
 * (in-toto-keygen, in-toto-sign, in-toto-run; securesystemslib for layouts in-toto-sign refuses to sign) so
 * the signature check passes and the malformation is what is met.
 * in-toto-verify is the oracle: it refuses both. Keys, layouts and its answers are cached on disk
 * (keyed by FIXTURE_VERSION): Stryker reruns beforeAll for every mutant.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  inTotoKeyId,
  parseInTotoMetadata,
  type InTotoLayout,
  type InTotoMetadata,
} from '../../../src/formats/in-toto/metadata.js';
import { trustedKeyVerifiers } from '../../../src/trust/in-toto/keys.js';
import { verifyLayout } from '../../../src/trust/in-toto/verify.js';
import { CORPUS_DIR } from '../../helpers/corpus.js';
import { onPath, PROJECT_ROOT, run } from '../../helpers/tools.js';
import { inTotoVerdict } from './helpers.js';
import { CHAINS, EXPIRY_INSTANTS, reference, referenceTools, type Reference } from './reference.js';

const FIXTURE_VERSION = 'in-toto-verify-v1';
const CACHE = join(PROJECT_ROOT, '.cache', 'test-fixtures', FIXTURE_VERSION);
const tools = (await onPath('in-toto-sign')) && (await onPath('in-toto-verify'));
const refTools = await referenceTools();

/** name -> [expires, expected_products] of a one-step layout signed by alice. */
const LAYOUTS: Record<string, [string, unknown[]]> = {
  good: ['2099-01-01T00:00:00Z', [['CREATE', 'foo.py']]],
  expires: ['next tuesday', [['CREATE', 'foo.py']]],
  rule: ['2099-01-01T00:00:00Z', [['MATCH', 'foo.py']]],
};

const SIGN = `
import json, sys
from securesystemslib.interface import import_rsa_privatekey_from_file
from securesystemslib.keys import create_signature
from securesystemslib.formats import encode_canonical
key = import_rsa_privatekey_from_file(sys.argv[1])
layout = json.load(open(sys.argv[2]))
layout['signatures'] = [create_signature(key, encode_canonical(layout['signed']).encode())]
json.dump(layout, open(sys.argv[2], 'w'))
`;

async function make(): Promise<Record<string, boolean>> {
  const answers = join(CACHE, 'in-toto-verify.json');
  if (existsSync(answers)) return JSON.parse(readFileSync(answers, 'utf8')) as Record<string, boolean>;
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  await run('in-toto-keygen', ['-b', '2048', join(CACHE, 'alice')], { cwd: CACHE });
  const raw = {
    keytype: 'rsa',
    scheme: 'rsassa-pss-sha256',
    keyid_hash_algorithms: ['sha256', 'sha512'],
    keyval: { public: readFileSync(join(CACHE, 'alice.pub'), 'utf8').trim() },
  };
  const alice = { ...raw, keyid: inTotoKeyId(raw) };
  const found: Record<string, boolean> = {};
  for (const [name, [expires, products]] of Object.entries(LAYOUTS)) {
    const dir = join(CACHE, name);
    mkdirSync(dir);
    const layout = {
      signed: {
        _type: 'layout',
        expires,
        readme: '',
        keys: { [alice.keyid]: alice },
        steps: [
          {
            _type: 'step',
            name: 'write-code',
            threshold: 1,
            pubkeys: [alice.keyid],
            expected_command: [],
            expected_materials: [],
            expected_products: products,
          },
        ],
        inspect: [],
      },
      signatures: [],
    };
    writeFileSync(join(dir, 'root.layout'), JSON.stringify(layout));
    if (name === 'good') {
      await run('in-toto-sign', ['-f', 'root.layout', '-k', join(CACHE, 'alice'), '-q'], { cwd: dir });
    } else {
      // in-toto-sign validates the layout first and will not sign these; securesystemslib, the library
      // it signs with, signs the canonical JSON as it would.
      await run('/usr/bin/python3', ['-c', SIGN, join(CACHE, 'alice'), 'root.layout'], { cwd: dir });
    }
    // The step's link, by alice, so the good layout verifies end to end.
    writeFileSync(join(dir, 'foo.py'), 'print("hello")\n');
    await run(
      'in-toto-run',
      ['-n', 'write-code', '-k', join(CACHE, 'alice'), '-p', 'foo.py', '-q', '--', 'true'],
      {
        cwd: dir,
      },
    );
    const r = await run('in-toto-verify', ['-l', 'root.layout', '-k', join(CACHE, 'alice.pub'), '-q'], {
      cwd: dir,
      check: false,
    });
    found[name] = r.code === 0;
  }
  writeFileSync(answers, JSON.stringify(found));
  return found;
}

describe.skipIf(!tools)('verifyLayout on in-toto-signed layouts (oracle: in-toto-verify)', () => {
  let oracle: Record<string, boolean>;
  beforeAll(async () => {
    oracle = await make();
  }, 180_000);
  const ours = async (name: string) => {
    const { verdict } = await inTotoVerdict(join(CACHE, name, 'root.layout'), [join(CACHE, 'alice.pub')]);
    return [verdict.status, verdict.code, verdict.message];
  };

  it('the well-formed layout with its link: both verify (the control)', async () => {
    expect(oracle['good']).toBe(true);
    expect((await ours('good')).slice(0, 2)).toEqual(['verified', 'VERIFIED']);
  });

  // A layout sigscan cannot read is a verification error (the layout was not checked), not `invalid`.
  it('"expires" that is not a time: in-toto-verify refuses; MALFORMED_LAYOUT', async () => {
    expect(oracle['expires']).toBe(false);
    expect(await ours('expires')).toEqual([
      'error',
      'MALFORMED_LAYOUT',
      'layout "expires" "next tuesday" is not a time',
    ]);
  });

  it('a MATCH rule without WITH … FROM: in-toto-verify refuses; MALFORMED_LAYOUT naming the step', async () => {
    expect(oracle['rule']).toBe(false);
    const v = await ours('rule');
    expect(v.slice(0, 2)).toEqual(['error', 'MALFORMED_LAYOUT']);
    expect(v[2]).toMatch(/^step "write-code": /);
  });
});

describe('verifyLayout given a link', () => {
  it('a corpus link passed as the layout: MALFORMED_LAYOUT, before any key is consulted', () => {
    const link = parseInTotoMetadata(
      new Uint8Array(readFileSync(join(CORPUS_DIR, 'dsse/in-toto-golang/write-code.b7d643de.link'))),
    );
    const r = verifyLayout(link, { keys: [], now: new Date(), links: new Map() });
    expect([r.code, r.message]).toEqual(['MALFORMED_LAYOUT', 'the metadata is a link, not a layout']);
  });
});

/**
 * Thresholds, the same-artifacts rule, expected_command, sublayouts, expiry at the exact second and the
 * layout-key checks, on layouts and links signed by securesystemslib (Ed25519 functionaries alice, bob,
 * carl, dan; alice signs the root layouts), each also verified by in-toto's in_toto_verify (reference.py,
 * cached per day). Where sigscan is stricter than in-toto the test says so.
 */
describe.skipIf(!refTools)('verifyLayout against in_toto_verify', () => {
  let ref: Reference;
  let id8: Record<string, string>;
  beforeAll(async () => {
    ref = await reference();
    id8 = Object.fromEntries(Object.entries(ref.functionaries).map(([n, k]) => [n, k.keyid.slice(0, 8)]));
  }, 300_000);

  const keysOf = (names: string[]) =>
    names.map((n) => trustedKeyVerifiers(createPublicKey(readFileSync(ref.pem(n))), `${n}.pem`));
  /** Every file under the chain's directory, by `/`-separated relative path. */
  const linksOf = (dir: string, prefix = ''): Map<string, Uint8Array> => {
    const out = new Map<string, Uint8Array>();
    for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
      const rel = `${prefix}${e.name}`;
      if (e.isDirectory()) for (const [k, v] of linksOf(dir, `${rel}/`)) out.set(k, v);
      else if (rel !== 'root.layout') out.set(rel, new Uint8Array(readFileSync(join(dir, rel))));
    }
    return out;
  };
  const NOW = new Date('2026-12-01T00:00:00Z');
  const verify = (
    name: string,
    opts: {
      keys?: string[];
      now?: Date;
      edit?: (m: InTotoMetadata, links: Map<string, Uint8Array>) => void;
    } = {},
  ) => {
    const dir = ref.chain(name);
    const meta = parseInTotoMetadata(new Uint8Array(readFileSync(join(dir, 'root.layout'))));
    const links = linksOf(dir);
    opts.edit?.(meta, links);
    return verifyLayout(meta, {
      keys: keysOf(opts.keys ?? CHAINS[name]!.layoutKeys ?? ['alice']),
      now: opts.now ?? NOW,
      links,
    });
  };
  const inToto = (name: string) => ref.answers.chains[name]!;
  const verdictMessage = (signers: string, keyid: string, steps: string) =>
    `layout signed by ${signers} (key ${keyid.slice(0, 8)}), valid until 2099-01-01T00:00:00Z; ${steps} have threshold links by authorized functionaries and all step artifact rules hold`;

  describe('thresholds count distinct authorized keys; their links must agree', () => {
    it('threshold 2, bob and carl report the same artifacts: both verify', () => {
      expect(inToto('thr2-agree')).toEqual([true, null]);
      const r = verify('thr2-agree');
      expect([r.code, r.message]).toEqual([
        'VERIFIED',
        verdictMessage('alice.pem', ref.functionaries['alice']!.keyid, '1 step(s) (build)'),
      ]);
      expect(r.signedBy).toEqual({ label: 'alice.pem', keyid: ref.functionaries['alice']!.keyid });
      expect(r.steps).toEqual([
        {
          name: 'build',
          threshold: 2,
          links: [`build.${id8['bob']}.link`, `build.${id8['carl']}.link`],
          skipped: [],
        },
      ]);
      expect(r.warnings).toEqual([]);
      expect(r.inspectionsNotRun).toEqual([]);
    });

    it.each([
      ['thr2-products-differ', 'a product hash differs'],
      ['thr2-materials-differ', 'only the materials differ'],
      ['thr2-extra-product', 'carl reports one product more'],
      ['thr2-other-path', 'the same number of products under another path'],
      ['thr2-extra-digest', 'carl also gives a SHA-512 digest'],
      ['thr2-one-digest-differs', 'SHA-256 digests equal, SHA-512 digests differ'],
    ])('%s (%s): in-toto and sigscan refuse', (name) => {
      expect(inToto(name)[1]).toMatch(/^ThresholdVerificationError: .* have different artifacts!$/);
      const r = verify(name);
      expect([r.code, r.message]).toEqual([
        'THRESHOLD_NOT_MET',
        `links build.${id8['bob']}.link and build.${id8['carl']}.link of step "build" report different artifacts`,
      ]);
    });

    it('threshold 1 with two differing links: in-toto compares nothing; neither does sigscan (the first counts)', () => {
      expect(inToto('thr1-differ')).toEqual([true, null]);
      const r = verify('thr1-differ');
      expect(r.code).toBe('VERIFIED');
      expect(r.summary?.products).toEqual({ out: { sha256: '1'.repeat(64) } });
    });

    it("threshold 2, carl's link signed by dan: both refuse, 1 of 2", () => {
      expect(inToto('thr2-one-signer')[1]).toMatch(/requires at least '2' links .* Only found '1'$/);
      const r = verify('thr2-one-signer');
      expect([r.code, r.message]).toEqual([
        'THRESHOLD_NOT_MET',
        `step "build" needs links signed by 2 distinct authorized key(s), 1 verified (build.${id8['carl']}.link: signature by ${id8['carl']} does not verify)`,
      ]);
      expect(r.steps[0]!.links).toEqual([`build.${id8['bob']}.link`]);
    });

    it('threshold 2 with one key listed under two ids: sigscan counts the key once (in-toto counts ids)', () => {
      // bob's key also listed under carl's id, and bob's link under carl's file name with its signature
      // naming carl's id (signatures are outside what is signed): two links, one key. in-toto's
      // verify_link_signature_thresholds counts key ids ("we rely on the layout to not carry duplicate
      // verification keys under different dictionary keys"); sigscan counts distinct keys.
      const carl = ref.functionaries['carl']!.keyid;
      const r = verify('thr2-agree', {
        edit: (meta, links) => {
          const layout = meta.body as InTotoLayout;
          layout.keys[carl] = { ...layout.keys[ref.functionaries['bob']!.keyid]!, keyid: carl };
          const bobs = JSON.parse(Buffer.from(links.get(`build.${id8['bob']}.link`)!).toString('utf8')) as {
            signatures: Array<{ keyid: string }>;
          };
          bobs.signatures[0]!.keyid = carl;
          links.set(`build.${id8['carl']}.link`, new TextEncoder().encode(JSON.stringify(bobs)));
        },
      });
      expect([r.code, r.message]).toEqual([
        'THRESHOLD_NOT_MET',
        'step "build" needs links signed by 2 distinct authorized key(s), 1 verified',
      ]);
      expect(r.steps[0]!.links).toEqual([`build.${id8['bob']}.link`, `build.${id8['carl']}.link`]);
    });
  });

  it('a link whose signature names another key: in-toto looks signatures up by key id and refuses; so does sigscan', () => {
    expect(inToto('keyid-renamed')[1]).toMatch(/Only found '0'$/);
    const r = verify('keyid-renamed');
    expect([r.code, r.message]).toEqual([
      'THRESHOLD_NOT_MET',
      `step "build" needs links signed by 1 distinct authorized key(s), 0 verified (build.${id8['carl']}.link: signature by ${id8['carl']} does not verify)`,
    ]);
  });

  it('a link recording another step name: sigscan does not count it (stricter: in-toto only loads it by file name)', () => {
    expect(inToto('name-mismatch')).toEqual([true, null]);
    const r = verify('name-mismatch');
    expect([r.code, r.steps[0]!.skipped]).toEqual([
      'THRESHOLD_NOT_MET',
      [`build.${id8['bob']}.link: records step "test", not "build"`],
    ]);
  });

  it('a step key id the layout has no key for: the link is skipped, the others still count (both verify)', () => {
    expect(inToto('pubkey-not-in-keys')).toEqual([true, null]);
    const r = verify('pubkey-not-in-keys');
    expect(r.code).toBe('VERIFIED');
    expect(r.steps[0]!.skipped).toEqual([
      `build.${id8['dan']}.link: key ${id8['dan']} is not in the layout's keys`,
    ]);
  });

  it('a link that does not parse, and a layout key of a type in-toto does not define: skipped with the reason', () => {
    const bad = verify('thr2-agree', {
      edit: (_, links) => links.set(`build.${id8['carl']}.link`, new TextEncoder().encode('{}')),
    });
    expect([bad.code, bad.steps[0]!.skipped]).toEqual([
      'THRESHOLD_NOT_MET',
      [`build.${id8['carl']}.link: in-toto metadata needs "signed" and "signatures"`],
    ]);
    const dsa = verify('thr2-agree', {
      edit: (meta) => {
        const layout = meta.body as InTotoLayout;
        layout.keys[ref.functionaries['carl']!.keyid]!.keytype = 'dsa';
      },
    });
    expect([dsa.code, dsa.steps[0]!.skipped]).toEqual([
      'THRESHOLD_NOT_MET',
      [`build.${id8['carl']}.link: key type "dsa" is not supported`],
    ]);
  });

  it('a missing link: LINK_MISSING before any link is checked (the step is listed with nothing counted)', () => {
    const r = verify('thr2-agree', { edit: (_, links) => links.delete(`build.${id8['carl']}.link`) });
    expect([r.code, r.message]).toEqual([
      'LINK_MISSING',
      `step "build" needs 2 link file(s) (build.${id8['bob']}.link, build.${id8['carl']}.link), found 1`,
    ]);
    expect(r.steps).toEqual([{ name: 'build', threshold: 2, links: [], skipped: [] }]);
  });

  it('an artifact rule broken: both refuse; RULE_VIOLATION with the rule, the artifacts and the step', () => {
    expect(inToto('rule-violation')[1]).toMatch(/^RuleVerificationError: 'DISALLOW out' matched .*\['out'\]/);
    const r = verify('rule-violation');
    expect([r.code, r.violation]).toEqual([
      'RULE_VIOLATION',
      {
        rule: 'DISALLOW out',
        artifacts: ['out'],
        message: 'build products: rule "DISALLOW out" matched "out" (not consumed by an earlier rule)',
        item: 'build',
      },
    ]);
  });

  it('a layout without steps: both verify; the summary is empty', () => {
    expect(inToto('no-steps')).toEqual([true, null]);
    const r = verify('no-steps');
    expect([r.code, r.message]).toEqual([
      'VERIFIED',
      verdictMessage('alice.pem', ref.functionaries['alice']!.keyid, '0 step(s) ()'),
    ]);
    expect(r.summary).toEqual({
      type: 'link',
      name: '',
      materials: {},
      products: {},
      byproducts: {},
      command: [],
    });
  });

  describe('expected_command: in-toto only warns', () => {
    it('a different command: both verify; sigscan records the warning', () => {
      expect(inToto('cmd-mismatch')).toEqual([true, null]);
      const r = verify('cmd-mismatch');
      expect([r.code, r.warnings]).toEqual([
        'VERIFIED',
        ['step "build" ran ["make"], the layout expected ["make","all"] (in-toto only warns)'],
      ]);
    });
    it('the expected command: no warning', () => {
      expect(inToto('cmd-match')).toEqual([true, null]);
      const r = verify('cmd-match');
      expect([r.code, r.warnings]).toEqual(['VERIFIED', []]);
    });
  });

  describe('sublayouts', () => {
    it('a step delegated to a sublayout signed by its functionary, links under <step>.<keyid8>/: both verify', () => {
      expect(inToto('sublayout')).toEqual([true, null]);
      const r = verify('sublayout');
      expect(r.code).toBe('VERIFIED');
      expect(r.steps).toEqual([
        { name: 'build', threshold: 1, links: [`build.${id8['bob']}.link`], skipped: [], sublayout: true },
      ]);
      // The sublayout's summary stands for the step: materials of its first step, products of its last.
      expect(r.summary).toEqual({
        type: 'link',
        name: '',
        materials: { src: { sha256: '3'.repeat(64) } },
        products: { out: { sha256: '1'.repeat(64) } },
        byproducts: {},
        command: [],
      });
    });

    it("the sublayout's link missing: both refuse; LINK_MISSING names the sublayout", () => {
      expect(inToto('sublayout-missing-link')[1]).toMatch(/^LinkNotFoundError: Step 'compile'/);
      const r = verify('sublayout-missing-link');
      expect([r.code, r.message]).toEqual([
        'LINK_MISSING',
        `sublayout for step "build" (build.${id8['bob']}.link): step "compile" needs 1 link file(s) (build.${id8['bob']}/compile.${id8['carl']}.link), found 0`,
      ]);
    });

    it('a sublayout with an inspection: in-toto runs it; sigscan never does and carries it up as step/inspection', () => {
      expect(inToto('sublayout-inspection')).toEqual([true, null]);
      const r = verify('sublayout-inspection');
      expect([r.code, r.inspectionsNotRun]).toEqual([
        'INSPECTIONS_NOT_RUN',
        [{ name: 'build/check', run: ['true'] }],
      ]);
      expect(r.steps[0]!.sublayout).toBe(true);
    });

    it("a sublayout whose rule is broken: both refuse; the violation is the sublayout step's", () => {
      expect(inToto('sublayout-violation')[1]).toMatch(/^RuleVerificationError: 'DISALLOW out'/);
      const r = verify('sublayout-violation');
      expect([r.code, r.violation]).toEqual([
        'RULE_VIOLATION',
        {
          rule: 'DISALLOW out',
          artifacts: ['out'],
          message: 'compile products: rule "DISALLOW out" matched "out" (not consumed by an earlier rule)',
          item: 'compile',
        },
      ]);
      expect(r.message).toBe(
        `sublayout for step "build" (build.${id8['bob']}.link): ${r.violation!.message}`,
      );
    });

    it('a failing sublayout does not carry its inspections up', () => {
      const r = verify('sublayout-inspection', {
        edit: (_, links) => links.delete(`build.${id8['bob']}/compile.${id8['carl']}.link`),
      });
      expect([r.code, r.inspectionsNotRun]).toEqual(['LINK_MISSING', []]);
    });

    it("four nested sublayouts verify; five are refused (sigscan's depth guard; in-toto has none)", () => {
      expect(inToto('nest4')).toEqual([true, null]);
      expect(inToto('nest5')).toEqual([true, null]);
      expect(verify('nest4').code).toBe('VERIFIED');
      const r = verify('nest5');
      expect(r.code).toBe('MALFORMED_LAYOUT');
      expect(r.message).toMatch(
        /^sublayout for step "s" \(s\.[0-9a-f]{8}\.link\): sublayout for step "s" .*: sublayouts nest deeper than 4$/,
      );
    });
  });

  it.each(['expires-no-zone', 'expires-date-only', 'expires-offset', 'expires-feb-30', 'expires-hour-24'])(
    '%s: in-toto refuses the layout\'s "expires"; MALFORMED_LAYOUT',
    (name) => {
      expect(inToto(name)[0]).toBe(false);
      expect(inToto(name)[1]).toMatch(/Malformed date string in layout/);
      const expires = (CHAINS[name]!.files[0]!.signed as { expires: string }).expires;
      const r = verify(name);
      expect([r.code, r.message]).toEqual([
        'MALFORMED_LAYOUT',
        `layout "expires" ${JSON.stringify(expires)} is not a time`,
      ]);
    },
  );

  describe('expiry at the exact second (in_toto_verify under a frozen clock)', () => {
    it('at the expiry instant the layout is still valid; one second later it has expired', () => {
      const [at, after] = EXPIRY_INSTANTS as [string, string];
      expect(ref.answers.expiry[at]).toEqual([true, null]);
      expect(ref.answers.expiry[after]![0]).toBe(false);
      expect(ref.answers.expiry[after]![1]).toMatch(/LayoutExpiredError/);
      expect(verify('expiry', { now: new Date(at) }).code).toBe('VERIFIED');
      const r = verify('expiry', { now: new Date(after) });
      expect([r.code, r.message]).toEqual([
        'LAYOUT_EXPIRED',
        `the layout expired at 2030-01-01T00:00:00Z (checked at 2030-01-01T00:00:01.000Z)`,
      ]);
    });
  });

  describe('layout keys', () => {
    it('two layout keys that both signed: both verify; sigscan names both', () => {
      expect(inToto('two-layout-keys')).toEqual([true, null]);
      const r = verify('two-layout-keys');
      expect(r.code).toBe('VERIFIED');
      expect(r.signedBy).toEqual({ label: 'alice.pem, dan.pem', keyid: ref.functionaries['alice']!.keyid });
    });

    it('no layout key given: KEY_NOT_TRUSTED', () => {
      const r = verify('thr2-agree', { keys: [] });
      expect([r.code, r.message]).toEqual(['KEY_NOT_TRUSTED', 'no layout key was given']);
    });

    it("only keys that did not sign: KEY_NOT_TRUSTED naming the signature's key and each given key once", () => {
      const r = verify('thr2-agree', { keys: ['bob', 'bob', 'carl'] });
      expect([r.code, r.message]).toEqual([
        'KEY_NOT_TRUSTED',
        `the layout is signed by key ${id8['alice']}, which is none of the layout keys (bob.pem, carl.pem)`,
      ]);
      const unnamed = verify('thr2-agree', {
        keys: ['bob'],
        edit: (meta) => {
          const s = meta.signatures[0]!;
          meta.signatures.splice(0, 1, { sig: s.sig }, { sig: s.sig }, s, s);
        },
      });
      expect(unnamed.message).toBe(
        `the layout is signed by an unnamed key, key ${id8['alice']}, which is none of the layout keys (bob.pem)`,
      );
    });

    it('a signature naming a given layout key that does not verify: LAYOUT_SIGNATURE_INVALID', () => {
      const r = verify('thr2-agree', {
        edit: (meta) => {
          meta.signatures[0]!.sig[0]! ^= 1;
        },
      });
      expect([r.code, r.message]).toEqual([
        'LAYOUT_SIGNATURE_INVALID',
        'the layout signature by alice.pem does not verify: the layout was altered or the signature is corrupt',
      ]);
    });

    it('a given key in-toto has no scheme for (X25519) never signs: LAYOUT_KEY_NOT_SIGNED names "a layout key"', () => {
      const dir = ref.chain('thr2-agree');
      const meta = parseInTotoMetadata(new Uint8Array(readFileSync(join(dir, 'root.layout'))));
      const x25519 = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), Buffer.alloc(32, 9)]),
        format: 'der',
        type: 'spki',
      });
      const r = verifyLayout(meta, {
        keys: [...keysOf(['alice']), trustedKeyVerifiers(x25519, 'x.pem')],
        now: NOW,
        links: linksOf(dir),
      });
      expect([r.code, r.message]).toEqual([
        'LAYOUT_KEY_NOT_SIGNED',
        'the layout is not signed by every layout key: no signature by a layout key (in-toto-verify requires one by each)',
      ]);
    });

    it('one of two layout keys did not sign: LAYOUT_KEY_NOT_SIGNED naming it', () => {
      const r = verify('thr2-agree', { keys: ['alice', 'dan'] });
      expect([r.code, r.message]).toEqual([
        'LAYOUT_KEY_NOT_SIGNED',
        'the layout is not signed by every layout key: no signature by dan.pem (in-toto-verify requires one by each)',
      ]);
    });
  });
});

describe('DSSE links without key ids (in-toto-golang corpus, dsse-only.root.layout)', () => {
  const D = join(CORPUS_DIR, 'dsse', 'in-toto-golang');
  const keys = [trustedKeyVerifiers(createPublicKey(readFileSync(join(D, 'alice.pub'))), 'alice.pub')];
  const layout = parseInTotoMetadata(new Uint8Array(readFileSync(join(D, 'dsse-only.root.layout'))));
  const now = new Date('2026-11-21T00:00:00Z');
  const links = (): Map<string, Uint8Array> =>
    new Map(
      readdirSync(D)
        .filter((f) => f.endsWith('-dsse.776a00e2.link') || f.endsWith('-dsse.2f89b927.link'))
        .map((f) => [f, new Uint8Array(readFileSync(join(D, f)))]),
    );

  it('the chain as signed verifies', () => {
    const r = verifyLayout(layout, { keys, now, links: links() });
    expect([r.code, r.steps.map((s) => s.links.length)]).toEqual(['VERIFIED', [1, 1, 1]]);
  });

  it('a DSSE key id is an optional hint: a link whose signature names no key still counts', () => {
    // DSSE leaves "keyid" optional and outside what is signed (the PAE); go-securesystemslib's verifier
    // tries a signature without one against every key.
    const l = links();
    const file = 'package-dsse.2f89b927.link';
    const env = JSON.parse(Buffer.from(l.get(file)!).toString('utf8')) as {
      signatures: Array<{ keyid?: string }>;
    };
    for (const s of env.signatures) delete s.keyid;
    l.set(file, new TextEncoder().encode(JSON.stringify(env)));
    const r = verifyLayout(layout, { keys, now, links: l });
    expect([r.code, r.steps[2]!.links]).toEqual(['VERIFIED', [file]]);
  });
});
