import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inTotoKeyId } from '../../../src/formats/in-toto/index.js';
import { onPath, run } from '../../helpers/tools.js';
import { inTotoVerdict } from './helpers.js';

/**
 * Issue #16 item 3 (and the in-toto half of item 4), with Debian's in-toto tools (in-toto-keygen,
 * in-toto-run, in-toto-sign, in-toto-verify). The in-toto demo chain: bob writes foo.py, carl packages
 * it, alice signs the layout, and an inspection `untar` checks that the tarball is the one carl made
 * and holds the foo.py bob wrote. in-toto-verify runs the inspection; sigscan never runs commands
 * named in metadata, so such a layout is never `verified`. Every case asserts in-toto-verify's
 * decision beside ours.
 */
const tool = await onPath('in-toto-verify');

describe.skipIf(!tool)('in-toto inspections and layout keys (Debian in-toto)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sigscan-intoto-insp-'));
  const keys = join(root, 'keys');
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const pubKey = (name: string): Record<string, unknown> => {
    const pem = readFileSync(join(keys, `${name}.pub`), 'utf8').trim();
    const key = {
      keytype: 'rsa',
      scheme: 'rsassa-pss-sha256',
      keyid_hash_algorithms: ['sha256', 'sha512'],
      keyval: { public: pem },
    };
    return { ...key, keyid: inTotoKeyId(key) };
  };
  const pub = (name: string): string => join(keys, `${name}.pub`);

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

  /**
   * Runs the chain in a fresh directory and writes `root.layout` signed by `signers`.
   * `afterLastStep` runs after carl's step (the attacker's window before delivery).
   */
  async function chain(
    name: string,
    opts: {
      inspect?: boolean;
      signers?: string[];
      author?: string;
      afterLastStep?: (dir: string) => Promise<void>;
    } = {},
  ): Promise<string> {
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

  /** in-toto-verify in a scratch copy (it runs the inspections there), and sigscan on the original. */
  async function both(dir: string, layoutKeys: string[], opts: { keys?: string[] } = {}) {
    const scratch = `${dir}-verify-${Math.random().toString(16).slice(2)}`;
    cpSync(dir, scratch, { recursive: true });
    const ref = await run('in-toto-verify', ['-l', 'root.layout', '-k', ...layoutKeys.map(pub)], {
      cwd: scratch,
      check: false,
    });
    const { verdict, evidence } = await inTotoVerdict(
      join(dir, 'root.layout'),
      layoutKeys.map(pub),
      undefined,
      { keys: opts.keys?.map(pub) },
    );
    return { reference: ref.code === 0, referenceOutput: ref.stdout + ref.stderr, ours: verdict, evidence };
  }

  beforeAll(async () => {
    mkdirSync(keys);
    for (const k of ['alice', 'bob', 'carl', 'dan'])
      await run('in-toto-keygen', ['-b', '2048', join(keys, k)]);
  }, 120_000);

  it('the demo chain with an inspection: in-toto-verify runs it and passes; sigscan is unverified INSPECTIONS_NOT_RUN and says the signature is valid', async () => {
    const r = await both(await chain('demo', { inspect: true }), ['alice']);
    expect(r.reference, r.referenceOutput).toBe(true);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['unverified', 'INSPECTIONS_NOT_RUN']);
    expect(r.ours.message).toContain('untar (["tar","xfz","foo.tar.gz"])');
    expect(r.evidence.findings).toContainEqual(
      expect.objectContaining({ code: 'LAYOUT_SIGNATURE_VALID', severity: 'info' }),
    );
  }, 60_000);

  it('the final product replaced after the last step: in-toto-verify fails it; sigscan never says verified', async () => {
    const dir = await chain('swapped', {
      inspect: true,
      afterLastStep: async (d) => {
        writeFileSync(join(d, 'foo.py'), 'print("evil")\n');
        await run('tar', ['czf', 'foo.tar.gz', 'foo.py'], { cwd: d });
        writeFileSync(join(d, 'foo.py'), 'print("hello")\n');
      },
    });
    const r = await both(dir, ['alice']);
    expect(r.reference).toBe(false);
    expect(r.referenceOutput).toMatch(/RuleVerificationError: 'DISALLOW foo.tar.gz'[^]*item 'untar'/);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['unverified', 'INSPECTIONS_NOT_RUN']);
  }, 60_000);

  it('the same chain without inspections verifies in both (the defence is the inspection, not the chain)', async () => {
    const r = await both(await chain('plain'), ['alice']);
    expect(r.reference, r.referenceOutput).toBe(true);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['verified', 'VERIFIED']);
  }, 60_000);

  describe('every given layout key must have signed', () => {
    it('two layout keys, only alice signed: in-toto-verify fails; sigscan untrusted LAYOUT_KEY_NOT_SIGNED', async () => {
      const r = await both(await chain('one-of-two'), ['alice', 'dan']);
      expect(r.reference).toBe(false);
      expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['untrusted', 'LAYOUT_KEY_NOT_SIGNED']);
      expect(r.ours.message).toContain('dan.pub');
    }, 60_000);

    it('two layout keys, both signed: both verify', async () => {
      const r = await both(await chain('two-of-two', { signers: ['alice', 'dan'] }), ['alice', 'dan']);
      expect(r.reference, r.referenceOutput).toBe(true);
      expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['verified', 'VERIFIED']);
    }, 60_000);
  });

  describe('role confusion: functionary keys never sign layouts', () => {
    it('bob (a functionary) writes and signs his own layout; his key given as --key does not make it trusted', async () => {
      const dir = await chain('bob-layout', { signers: ['bob'], author: 'bob' });
      // The user trusts alice for layouts; bob's key is around for his links (or cosign).
      const r = await both(dir, ['alice'], { keys: ['bob'] });
      expect(r.reference).toBe(false);
      expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
    }, 60_000);

    it('the layout key given only as --key (cosign) does not sign a layout: unverified NO_TRUST_ROOT', async () => {
      const dir = await chain('key-as-cosign');
      const r = await both(dir, ['alice']);
      expect(r.reference).toBe(true);
      const { verdict } = await inTotoVerdict(join(dir, 'root.layout'), [], undefined, {
        keys: [pub('alice')],
      });
      expect([verdict.status, verdict.code]).toEqual(['unverified', 'NO_TRUST_ROOT']);
    }, 60_000);

    it('a lone link is unverified LINK_WITHOUT_LAYOUT, whatever keys are given', async () => {
      const dir = await chain('lone');
      const bob = (pubKey('bob')['keyid'] as string).slice(0, 8);
      const { verdict } = await inTotoVerdict(join(dir, `write-code.${bob}.link`), [pub('bob')], undefined, {
        keys: [pub('bob')],
      });
      expect([verdict.status, verdict.code]).toEqual(['unverified', 'LINK_WITHOUT_LAYOUT']);
    }, 60_000);
  });
});
