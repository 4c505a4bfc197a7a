import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expandConfigFile, type FlagShape } from '../../src/cli/config-file.js';
import { sigscan } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/tools.js';

const FLAGS: Record<string, FlagShape> = {
  config: { type: 'option' },
  output: { type: 'option', char: 'o' },
  'fail-on': { type: 'option', multiple: true },
  'trust-root': { type: 'option', multiple: true },
  'plain-http': { type: 'boolean' },
  nested: { type: 'boolean', allowNo: true },
  timeout: { type: 'option' },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigscan-config-file-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('expandConfigFile', () => {
  it('turns every section and spelling into flags, before any --', async () => {
    const path = await file(
      'all.yaml',
      'trust:\n  trustRoot: [a.pem, b.pem]\nregistry:\n  plain-http: true\noutput:\n  output: json\n  failOn: unsigned\nnested: false\ntimeout: 5\n',
    );
    expect(await expandConfigFile(['dir', '--config', path, '--', '-x'], FLAGS)).toEqual([
      'dir',
      '--trust-root=a.pem',
      '--trust-root=b.pem',
      '--plain-http',
      '--output=json',
      '--fail-on=unsigned',
      '--no-nested',
      '--timeout=5',
      '--',
      '-x',
    ]);
  });

  it('the command line wins for single values and adds to lists', async () => {
    const path = await file('over.yaml', 'output: json\ntrust-root: [a.pem]\nnested: false\n');
    expect(
      await expandConfigFile([`--config=${path}`, '-o', 'csv', '--trust-root', 'c.pem', '--nested'], FLAGS),
    ).toEqual(['-o', 'csv', '--trust-root', 'c.pem', '--nested', '--trust-root=a.pem']);
  });

  it('names an unknown or misshapen setting', async () => {
    await expect(
      expandConfigFile(['--config', await file('u.yaml', 'outptu: json\n')], FLAGS),
    ).rejects.toThrow(/unknown setting "outptu"/);
    await expect(
      expandConfigFile(['--config', await file('l.yaml', 'output: [a, b]\n')], FLAGS),
    ).rejects.toThrow(/"output" takes one value, not a list/);
    await expect(
      expandConfigFile(['--config', await file('b.yaml', 'plain-http: maybe\n')], FLAGS),
    ).rejects.toThrow(/"plain-http" takes true or false/);
    await expect(expandConfigFile(['--config', join(dir, 'missing.yaml')], FLAGS)).rejects.toMatchObject({
      code: 'USAGE',
    });
  });

  it('leaves argv alone without --config', async () => {
    expect(await expandConfigFile(['a', '-o', 'json'], FLAGS)).toEqual(['a', '-o', 'json']);
  });
});

describe('--config through the CLI', () => {
  const fixtures = join(PROJECT_ROOT, 'fixtures');
  const root = join(fixtures, 'fixture-root-ca.pem');

  it('takes output, --fail-on and trust settings from the file; flags override', async () => {
    const path = await file(
      'scan.yaml',
      `trust:\n  trust-root: [${root}]\noutput:\n  output: json\n  fail-on: [unsigned]\n`,
    );
    const res = await sigscan(['fs', fixtures, '--config', path]);
    // fail-on unsigned from the file: the two unsigned fixtures fail the gate.
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout) as { summary: { verdicts: Record<string, number> } };
    expect(doc.summary.verdicts.verified).toBe(2);
    const csv = await sigscan(['fs', fixtures, '--config', path, '-o', 'csv']);
    expect(csv.stdout.split('\n')[0]).toMatch(/^kind,ref,/);
  });

  it('an unknown setting is a usage error naming it', async () => {
    const path = await file('typo.yaml', 'trust-rot: x\n');
    const res = await sigscan(['fs', fixtures, '--config', path]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(`sigscan: --config ${path}: unknown setting "trust-rot" for this command\n`);
  });
});
