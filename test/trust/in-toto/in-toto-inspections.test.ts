import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { inTotoKeyId } from '../../../src/formats/in-toto/index.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { onPath, run } from '../../helpers/tools.js';
import { inTotoVerdict } from './helpers.js';

/**
 * Issue #16 item 3 (and the in-toto half of item 4), with Debian's in-toto tools (in-toto-keygen,
 * in-toto-run, in-toto-sign, in-toto-verify). The in-toto demo chain: bob writes foo.py, carl packages
 * it, alice signs the layout, and an inspection `untar` checks that the tarball is the one carl made
 * and holds the foo.py bob wrote. in-toto-verify runs the inspection; sigscan never runs commands
 * named in metadata, so such a layout is never `verified`. Every case asserts in-toto-verify's
 * decision beside ours.
 *
 * Keys, chains and in-toto-verify's answers (exit code and output, each run in a scratch copy since it
 * executes the inspection there) are built once per UTC day into the fixture cache: Stryker reruns this
 * file's hooks for every mutant its tests cover. sigscan's verdicts are computed live on the cached files.
 */
const tool = await onPath('in-toto-verify');

const UNTAR = {
  _type: 'inspection',
  name: 'untar',
  run: ['tar', 'xfz', 'foo.tar.gz'],
  // The tarball must be carl's product and must hold bob's foo.py: what catches a final product
  // swapped after the last step. (Inspections record every file in the directory.)
  expected_materials: [
    ['MATCH', 'foo.tar.gz', 'WITH', 'PRODUCTS', 'FROM', 'package'],
    ['DISALLOW', 'foo.tar.gz'],
    ['ALLOW', '*'],
  ],
  expected_products: [
    ['MATCH', 'foo.py', 'WITH', 'PRODUCTS', 'FROM', 'write-code'],
    ['DISALLOW', 'foo.py'],
    ['ALLOW', '*'],
  ],
};

interface ChainOptions {
  inspect?: boolean;
  signers?: string[];
  author?: string;
  /** Runs after carl's step (the attacker's window before delivery). */
  afterLastStep?: (dir: string) => Promise<void>;
}

/** Chain name -> how it is made and the layout keys in-toto-verify is given. */
const CHAINS: Record<string, { opts: ChainOptions; layoutKeys: string[] }> = {
  demo: { opts: { inspect: true }, layoutKeys: ['alice'] },
  swapped: {
    opts: {
      inspect: true,
      afterLastStep: async (d) => {
        writeFileSync(join(d, 'foo.py'), 'print("evil")\n');
        await run('tar', ['czf', 'foo.tar.gz', 'foo.py'], { cwd: d });
        writeFileSync(join(d, 'foo.py'), 'print("hello")\n');
      },
    },
    layoutKeys: ['alice'],
  },
  plain: { opts: {}, layoutKeys: ['alice'] },
  'one-of-two': { opts: {}, layoutKeys: ['alice', 'dan'] },
  'two-of-two': { opts: { signers: ['alice', 'dan'] }, layoutKeys: ['alice', 'dan'] },
  'bob-layout': { opts: { signers: ['bob'], author: 'bob' }, layoutKeys: ['alice'] },
};

interface Reference {
  passed: boolean;
  output: string;
}

const pubKeyOf = (keys: string, name: string): Record<string, unknown> => {
  const pem = readFileSync(join(keys, `${name}.pub`), 'utf8').trim();
  const key = {
    keytype: 'rsa',
    scheme: 'rsassa-pss-sha256',
    keyid_hash_algorithms: ['sha256', 'sha512'],
    keyval: { public: pem },
  };
  return { ...key, keyid: inTotoKeyId(key) };
};

async function build(root: string): Promise<void> {
  const keys = join(root, 'keys');
  mkdirSync(keys);
  for (const k of ['alice', 'bob', 'carl', 'dan']) await run('in-toto-keygen', ['-b', '2048', join(keys, k)]);
  const pubKey = (name: string) => pubKeyOf(keys, name);

  /** Runs the chain in a fresh directory and writes `root.layout` signed by `signers`. */
  async function chain(name: string, opts: ChainOptions): Promise<string> {
    const dir = join(root, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'foo.py'), 'print("hello")\n');
    const bob = pubKey('bob');
    const carl = pubKey('carl');
    await run('in-toto-run', ['-n', 'write-code', '-k', join(keys, 'bob'), '-p', 'foo.py', '-x', '-q'], {
      cwd: dir,
    });
    await run(
      'in-toto-run',
      ['-n', 'package', '-k', join(keys, 'carl'), '-m', 'foo.py', '-p', 'foo.tar.gz', '-q', '--',
        'tar', 'czf', 'foo.tar.gz', 'foo.py'], // prettier-ignore
      { cwd: dir },
    );
    await opts.afterLastStep?.(dir);
    const layout = {
      signed: {
        _type: 'layout',
        expires: '2099-01-01T00:00:00Z',
        readme: `sigscan ${name} layout${opts.author ? ` written by ${opts.author}` : ''}`,
        keys: { [bob['keyid'] as string]: bob, [carl['keyid'] as string]: carl },
        steps: [
          {
            _type: 'step',
            name: 'write-code',
            threshold: 1,
            pubkeys: [bob['keyid']],
            expected_command: [],
            expected_materials: [],
            expected_products: [
              ['CREATE', 'foo.py'],
              ['DISALLOW', '*'],
            ],
          },
          {
            _type: 'step',
            name: 'package',
            threshold: 1,
            pubkeys: [carl['keyid']],
            expected_command: ['tar', 'czf', 'foo.tar.gz', 'foo.py'],
            expected_materials: [
              ['MATCH', 'foo.py', 'WITH', 'PRODUCTS', 'FROM', 'write-code'],
              ['DISALLOW', '*'],
            ],
            expected_products: [
              ['CREATE', 'foo.tar.gz'],
              ['DISALLOW', '*'],
            ],
          },
        ],
        inspect: opts.inspect ? [UNTAR] : [],
      },
      signatures: [],
    };
    writeFileSync(join(dir, 'root.layout'), JSON.stringify(layout, null, 1));
    const signers = opts.signers ?? ['alice'];
    await run('in-toto-sign', ['-f', 'root.layout', '-k', ...signers.map((k) => join(keys, k)), '-q'], {
      cwd: dir,
    });
    return dir;
  }

  const answers: Record<string, Reference> = {};
  for (const [name, c] of Object.entries(CHAINS)) {
    const dir = await chain(name, c.opts);
    // in-toto-verify runs the inspections in its working directory: a scratch copy, removed after.
    const scratch = join(root, `${name}.verify`);
    cpSync(dir, scratch, { recursive: true });
    const ref = await run(
      'in-toto-verify',
      ['-l', 'root.layout', '-k', ...c.layoutKeys.map((k) => join(keys, `${k}.pub`))],
      {
        cwd: scratch,
        check: false,
      },
    );
    rmSync(scratch, { recursive: true, force: true });
    answers[name] = { passed: ref.code === 0, output: ref.stdout + ref.stderr };
  }
  writeFileSync(join(root, 'in-toto-verify.json'), JSON.stringify(answers));
}

describe.skipIf(!tool)('in-toto inspections and layout keys (Debian in-toto)', () => {
  let root: string;
  let reference: Record<string, Reference>;
  beforeAll(async () => {
    root = await cachedFixtureDir('in-toto-inspections-v1', build);
    reference = JSON.parse(readFileSync(join(root, 'in-toto-verify.json'), 'utf8')) as typeof reference;
  }, 180_000);
  const keys = (): string => join(root, 'keys');
  const pub = (name: string): string => join(keys(), `${name}.pub`);
  const pubKey = (name: string) => pubKeyOf(keys(), name);

  /** in-toto-verify's cached answer for the chain, and sigscan's live verdict on the cached files. */
  async function both(name: string, opts: { keys?: string[] } = {}) {
    const ref = reference[name]!;
    const { verdict, evidence } = await inTotoVerdict(
      join(root, name, 'root.layout'),
      CHAINS[name]!.layoutKeys.map(pub),
      undefined,
      { keys: opts.keys?.map(pub) },
    );
    return { reference: ref.passed, referenceOutput: ref.output, ours: verdict, evidence };
  }

  it('the demo chain with an inspection: in-toto-verify runs it and passes; sigscan is unverified INSPECTIONS_NOT_RUN and says the signature is valid', async () => {
    const r = await both('demo');
    expect(r.reference, r.referenceOutput).toBe(true);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['unverified', 'INSPECTIONS_NOT_RUN']);
    expect(r.ours.message).toContain('untar (["tar","xfz","foo.tar.gz"])');
    expect(r.evidence.findings).toContainEqual(
      expect.objectContaining({ code: 'LAYOUT_SIGNATURE_VALID', severity: 'info' }),
    );
  });

  it('the final product replaced after the last step: in-toto-verify fails it; sigscan never says verified', async () => {
    const r = await both('swapped');
    expect(r.reference).toBe(false);
    expect(r.referenceOutput).toMatch(/RuleVerificationError: 'DISALLOW foo.tar.gz'[^]*item 'untar'/);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['unverified', 'INSPECTIONS_NOT_RUN']);
  });

  it('the same chain without inspections verifies in both (the defence is the inspection, not the chain)', async () => {
    const r = await both('plain');
    expect(r.reference, r.referenceOutput).toBe(true);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['verified', 'VERIFIED']);
  });

  describe('every given layout key must have signed', () => {
    it('two layout keys, only alice signed: in-toto-verify fails; sigscan untrusted LAYOUT_KEY_NOT_SIGNED', async () => {
      const r = await both('one-of-two');
      expect(r.reference).toBe(false);
      expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['untrusted', 'LAYOUT_KEY_NOT_SIGNED']);
      expect(r.ours.message).toContain('dan.pub');
    });

    it('two layout keys, both signed: both verify', async () => {
      const r = await both('two-of-two');
      expect(r.reference, r.referenceOutput).toBe(true);
      expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['verified', 'VERIFIED']);
    });
  });

  describe('role confusion: functionary keys never sign layouts', () => {
    it('bob (a functionary) writes and signs his own layout; his key given as --key does not make it trusted', async () => {
      // The user trusts alice for layouts; bob's key is around for his links (or cosign).
      const r = await both('bob-layout', { keys: ['bob'] });
      expect(r.reference).toBe(false);
      expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
    });

    it('the layout key given only as --key (cosign) does not sign a layout: unverified NO_TRUST_ROOT', async () => {
      // The plain chain: alice signed it, so in-toto-verify given her key as a layout key passes.
      const dir = join(root, 'plain');
      const r = await both('plain');
      expect(r.reference).toBe(true);
      const { verdict } = await inTotoVerdict(join(dir, 'root.layout'), [], undefined, {
        keys: [pub('alice')],
      });
      expect([verdict.status, verdict.code]).toEqual(['unverified', 'NO_TRUST_ROOT']);
    });

    it('a lone link is unverified LINK_WITHOUT_LAYOUT, whatever keys are given', async () => {
      const dir = join(root, 'plain');
      const bob = (pubKey('bob')['keyid'] as string).slice(0, 8);
      const { verdict } = await inTotoVerdict(join(dir, `write-code.${bob}.link`), [pub('bob')], undefined, {
        keys: [pub('bob')],
      });
      expect([verdict.status, verdict.code]).toEqual(['unverified', 'LINK_WITHOUT_LAYOUT']);
    });
  });
});
