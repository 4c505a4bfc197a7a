import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inTotoKeyId } from '../../../src/formats/in-toto/index.js';
import { onPath, run } from '../../helpers/tools.js';
import { inTotoVerdict } from './helpers.js';

/**
 * Real metadata from Debian's `in-toto` package (in-toto-keygen, in-toto-run, in-toto-sign): a
 * two-step layout (write-code by bob, package by carl) signed by alice. For each scenario our verdict
 * must agree with `in-toto-verify`. The layout has no inspections, so in-toto-verify runs nothing.
 */
const tool = await onPath('in-toto-verify');

describe.skipIf(!tool)('in-toto CLI agreement (Debian in-toto)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sigscan-intoto-cli-'));
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

  /** Runs the supply chain in a fresh directory; `tamper` runs between the two steps. */
  async function chain(name: string, opts: { expires?: string; tamper?: (dir: string) => void } = {}) {
    const dir = join(root, name);
    cpSync(join(root, 'src'), dir, { recursive: true });
    const bob = pubKey('bob');
    const carl = pubKey('carl');
    await run('in-toto-run', ['-n', 'write-code', '-k', join(keys, 'bob'), '-p', 'foo.py', '-x', '-q'], {
      cwd: dir,
    });
    opts.tamper?.(dir);
    await run(
      'in-toto-run',
      [
        '-n',
        'package',
        '-k',
        join(keys, 'carl'),
        '-m',
        'foo.py',
        '-p',
        'foo.tar.gz',
        '-q',
        '--',
        'tar',
        'czf',
        'foo.tar.gz',
        'foo.py',
      ],
      { cwd: dir },
    );
    const layout = {
      signed: {
        _type: 'layout',
        expires: opts.expires ?? '2099-01-01T00:00:00Z',
        readme: 'sigscan test layout',
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
        inspect: [],
      },
      signatures: [],
    };
    writeFileSync(join(dir, 'root.layout'), JSON.stringify(layout, null, 1));
    await run('in-toto-sign', ['-f', join(dir, 'root.layout'), '-k', join(keys, 'alice'), '-q'], {
      cwd: dir,
    });
    return dir;
  }

  async function both(dir: string, layoutKey: string) {
    const ref = await run(
      'in-toto-verify',
      ['-l', 'root.layout', '-k', join(keys, `${layoutKey}.pub`), '-q'],
      {
        cwd: dir,
        check: false,
      },
    );
    const { verdict } = await inTotoVerdict(join(dir, 'root.layout'), [join(keys, `${layoutKey}.pub`)]);
    return { reference: ref.code === 0, ours: verdict };
  }

  beforeAll(async () => {
    mkdirSync(keys);
    for (const k of ['alice', 'bob', 'carl', 'mallory'])
      await run('in-toto-keygen', ['-b', '2048', join(keys, k)]);
    const src = join(root, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'foo.py'), 'print("hello")\n');
  }, 120_000);

  it('good chain: both verify', async () => {
    const r = await both(await chain('good'), 'alice');
    expect(r.reference).toBe(true);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['verified', 'VERIFIED']);
  }, 60_000);

  it('link file names and layout key ids agree with in-toto-run', async () => {
    const dir = await chain('names');
    const bob = pubKey('bob')['keyid'] as string;
    expect(readFileSync(join(dir, `write-code.${bob.slice(0, 8)}.link`)).length).toBeGreaterThan(0);
  }, 60_000);

  it('tampered artifact (foo.py edited after write-code recorded it): both fail', async () => {
    const dir = await chain('tampered', {
      tamper: (d) => writeFileSync(join(d, 'foo.py'), 'print("evil")\n'),
    });
    const r = await both(dir, 'alice');
    expect(r.reference).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'RULE_VIOLATION']);
    expect(r.ours.message).toMatch(/DISALLOW \*.*"foo\.py"/);
  }, 60_000);

  it('missing link: both fail', async () => {
    const dir = await chain('missing');
    const carl = pubKey('carl')['keyid'] as string;
    unlinkSync(join(dir, `package.${carl.slice(0, 8)}.link`));
    const r = await both(dir, 'alice');
    expect(r.reference).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'LINK_MISSING']);
  }, 60_000);

  it('wrong layout key: both fail', async () => {
    const r = await both(await chain('wrongkey'), 'mallory');
    expect(r.reference).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
  }, 60_000);

  it('expired layout: both fail', async () => {
    const r = await both(await chain('expired', { expires: '2001-01-01T00:00:00Z' }), 'alice');
    expect(r.reference).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'LAYOUT_EXPIRED']);
  }, 60_000);

  it('layout edited after signing: both fail', async () => {
    const dir = await chain('edited');
    const path = join(dir, 'root.layout');
    writeFileSync(path, readFileSync(path, 'utf8').replace('sigscan test layout', 'sigscan test layouT'));
    const r = await both(dir, 'alice');
    expect(r.reference).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'LAYOUT_SIGNATURE_INVALID']);
  }, 60_000);
});
