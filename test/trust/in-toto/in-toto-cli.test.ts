import { cpSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { inTotoKeyId } from '../../../src/formats/in-toto/index.js';
import { cachedFixtureDir } from '../../helpers/fixture-cache.js';
import { onPath, run } from '../../helpers/tools.js';
import { inTotoVerdict } from './helpers.js';

/**
 * Real metadata from Debian's `in-toto` package (in-toto-keygen, in-toto-run, in-toto-sign): a
 * two-step layout (write-code by bob, package by carl) signed by alice. For each scenario our verdict
 * must agree with `in-toto-verify`. The layout has no inspections, so in-toto-verify runs nothing.
 *
 * The keys, chains and in-toto-verify's exit codes are built once per UTC day into the fixture cache
 * (test/helpers/fixture-cache.ts): Stryker reruns this file's hooks for every mutant its tests cover,
 * and each chain costs several Python starts. in-toto-verify's answer is a property of the cached bytes
 * and the day (the expiry check), so it is stored beside them; sigscan's verdict is computed live.
 */
const tool = await onPath('in-toto-verify');

/** Scenario -> the layout key in-toto-verify and sigscan are given. */
const CASES = {
  good: 'alice',
  tampered: 'alice',
  missing: 'alice',
  wrongkey: 'mallory',
  expired: 'alice',
  edited: 'alice',
} as const;
type Case = keyof typeof CASES;

interface Reference {
  /** in-toto-verify exited 0. */
  passed: boolean;
  output: string;
}

async function build(root: string): Promise<void> {
  const keys = join(root, 'keys');
  mkdirSync(keys);
  for (const k of ['alice', 'bob', 'carl', 'mallory'])
    await run('in-toto-keygen', ['-b', '2048', join(keys, k)]);
  const src = join(root, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'foo.py'), 'print("hello")\n');

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
    cpSync(src, dir, { recursive: true });
    const bob = pubKey('bob');
    const carl = pubKey('carl');
    await run('in-toto-run', ['-n', 'write-code', '-k', join(keys, 'bob'), '-p', 'foo.py', '-x', '-q'], {
      cwd: dir,
    });
    opts.tamper?.(dir);
    await run(
      'in-toto-run',
      ['-n', 'package', '-k', join(keys, 'carl'), '-m', 'foo.py', '-p', 'foo.tar.gz', '-q', '--',
        'tar', 'czf', 'foo.tar.gz', 'foo.py'], // prettier-ignore
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

  await chain('good');
  await chain('tampered', { tamper: (d) => writeFileSync(join(d, 'foo.py'), 'print("evil")\n') });
  const missing = await chain('missing');
  unlinkSync(join(missing, `package.${(pubKey('carl')['keyid'] as string).slice(0, 8)}.link`));
  await chain('wrongkey');
  await chain('expired', { expires: '2001-01-01T00:00:00Z' });
  const edited = join(await chain('edited'), 'root.layout');
  writeFileSync(edited, readFileSync(edited, 'utf8').replace('sigscan test layout', 'sigscan test layouT'));

  const answers: Record<string, Reference> = {};
  for (const [name, layoutKey] of Object.entries(CASES)) {
    const r = await run('in-toto-verify', ['-l', 'root.layout', '-k', join(keys, `${layoutKey}.pub`)], {
      cwd: join(root, name),
      check: false,
    });
    answers[name] = { passed: r.code === 0, output: r.stdout + r.stderr };
  }
  writeFileSync(join(root, 'in-toto-verify.json'), JSON.stringify(answers));
}

describe.skipIf(!tool)('in-toto CLI agreement (Debian in-toto)', () => {
  let root: string;
  let reference: Record<Case, Reference>;
  beforeAll(async () => {
    root = await cachedFixtureDir('in-toto-cli-v1', build);
    reference = JSON.parse(readFileSync(join(root, 'in-toto-verify.json'), 'utf8')) as typeof reference;
  }, 180_000);

  const keyid = (name: string): string => {
    const key = {
      keytype: 'rsa',
      scheme: 'rsassa-pss-sha256',
      keyid_hash_algorithms: ['sha256', 'sha512'],
      keyval: { public: readFileSync(join(root, 'keys', `${name}.pub`), 'utf8').trim() },
    };
    return inTotoKeyId(key);
  };

  async function both(name: Case) {
    const { verdict } = await inTotoVerdict(join(root, name, 'root.layout'), [
      join(root, 'keys', `${CASES[name]}.pub`),
    ]);
    return { reference: reference[name], ours: verdict };
  }

  it('good chain: both verify', async () => {
    const r = await both('good');
    expect(r.reference.passed, r.reference.output).toBe(true);
    expect([r.ours.status, r.ours.code], r.ours.message).toEqual(['verified', 'VERIFIED']);
    expect(r.ours.message).toMatch(
      /; 2 step\(s\) \(write-code, package\) have threshold links by authorized functionaries and all step artifact rules hold$/,
    );
  });

  it('link file names and layout key ids agree with in-toto-run', () => {
    const bob = keyid('bob');
    expect(readFileSync(join(root, 'good', `write-code.${bob.slice(0, 8)}.link`)).length).toBeGreaterThan(0);
  });

  it('tampered artifact (foo.py edited after write-code recorded it): both fail', async () => {
    const r = await both('tampered');
    expect(r.reference.passed).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'RULE_VIOLATION']);
    expect(r.ours.message).toMatch(/DISALLOW \*.*"foo\.py"/);
  });

  it('missing link: both fail', async () => {
    const r = await both('missing');
    expect(r.reference.passed).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'LINK_MISSING']);
  });

  it('wrong layout key: both fail', async () => {
    const r = await both('wrongkey');
    expect(r.reference.passed).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['untrusted', 'KEY_NOT_TRUSTED']);
  });

  it('expired layout: both fail', async () => {
    const r = await both('expired');
    expect(r.reference.passed).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'LAYOUT_EXPIRED']);
  });

  it('layout edited after signing: both fail', async () => {
    const r = await both('edited');
    expect(r.reference.passed).toBe(false);
    expect([r.ours.status, r.ours.code]).toEqual(['invalid', 'LAYOUT_SIGNATURE_INVALID']);
  });
});
